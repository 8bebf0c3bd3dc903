//! Text left from the `kb new` template (issue 15, point 7): `kb check` finds it at its line,
//! and it never becomes data (summary, timestamps, action items, lessons, factors).

mod common;

use std::fs;
use std::path::Path;

use common::kb;
use serde_json::Value;

const REL: &str = "content/2024/2024-05-02-disk-filled-up.md";

/// A knowledge base with one fresh `kb new` postmortem, untouched.
fn fresh() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("content")).unwrap();
    let o = kb(
        dir.path(),
        &["new", "Disk filled up", "--date", "2024-05-02"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn check_json(root: &Path, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    let o = kb(root, &all);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unfilled-template")
        .cloned()
        .collect();
    (o.status.code(), found)
}

/// (line, col, level) of each `unfilled-template` diagnostic.
fn places(found: &[Value]) -> Vec<(u64, u64, String)> {
    found
        .iter()
        .map(|d| {
            assert_eq!(d["file"], REL);
            (
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
                d["level"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The 1-based line and column of `needle` in the written file.
fn at(root: &Path, needle: &str) -> (u64, u64) {
    let text = fs::read_to_string(root.join(REL)).unwrap();
    let (i, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in\n{text}"));
    (i as u64 + 1, line.find(needle).unwrap() as u64 + 1)
}

/// Every prompt of the built-in template, as `kb new` writes it.
const PROMPTS: [&str; 9] = [
    "Two or three sentences: what happened",
    "Who and what was affected, how badly",
    "What happened first.",
    "What made this possible, one factor per item.",
    "Something that helped: an alert",
    "Something that made it longer or worse.",
    "Something that could have made it much worse",
    "What we will change, so that this cannot happen again",
    "What someone who was not there should take away.",
];

#[test]
fn check_finds_every_prompt_a_warning_on_a_draft_an_error_once_published() {
    let dir = fresh();
    let root = dir.path();
    let expected = |level: &str| {
        let mut v: Vec<_> = PROMPTS
            .iter()
            .map(|p| {
                let (l, c) = at(root, p);
                (l, c, level.to_string())
            })
            .collect();
        v.sort();
        v
    };

    let (code, found) = check_json(root, &["--drafts"]);
    assert_eq!(code, Some(0), "warnings only on a draft");
    assert_eq!(places(&found), expected("warning"));
    assert!(
        found[0]["hint"].as_str().unwrap().contains("replace"),
        "{found:?}"
    );

    let path = root.join(REL);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("status: draft", "status: published")).unwrap();
    let (code, found) = check_json(root, &[]);
    assert_eq!(code, Some(1), "an error once published");
    assert_eq!(places(&found), expected("error"));

    // The human format points at the line.
    let o = kb(root, &["check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    let (l, c) = at(root, "What happened first.");
    assert!(err.contains(&format!("{REL}:{l}:{c}")), "{err}");
}

#[test]
fn filled_sections_are_not_reported() {
    let dir = fresh();
    let root = dir.path();
    let path = root.join(REL);
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace(
            "Two or three sentences: what happened, who was affected, for how long.",
            "The log volume filled and the API stopped writing for 20 minutes.",
        )
        .replace("| What happened first. |", "| Disk alert fires. |");
    fs::write(&path, text).unwrap();
    let (_, found) = check_json(root, &["--drafts"]);
    let lines: Vec<u64> = places(&found).iter().map(|p| p.0).collect();
    assert_eq!(lines.len(), PROMPTS.len() - 2, "{found:?}");
    assert!(!lines.contains(&at(root, "The log volume filled").0));
    assert!(!lines.contains(&at(root, "Disk alert fires.").0));
}

#[test]
fn export_of_a_fresh_postmortem_takes_nothing_from_the_prompts() {
    let dir = fresh();
    let o = kb(dir.path(), &["export", "--drafts"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["id"], "2024-05-02-disk-filled-up");
    assert_eq!(v["summary"], "", "{v:#}");
    assert!(
        v["timestamps"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null),
        "{v:#}"
    );
    assert_eq!(v["metrics"]["open_action_items"], 0, "{v:#}");
    assert_eq!(v["action_items"], serde_json::json!([]), "{v:#}");
    assert_eq!(v["contributing_factors"], serde_json::json!([]), "{v:#}");
    for part in ["general", "went_well", "went_wrong", "got_lucky"] {
        assert_eq!(v["lessons"][part], serde_json::json!([]), "{part}: {v:#}");
    }
    assert!(v["impact"].is_null(), "{v:#}");
}
