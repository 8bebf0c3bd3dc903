//! Did-you-mean on the probe set (tests/search/spelling-probes.toml; issue 16, point 3): through
//! `kb search --json`, at least 90 % of real typos are corrected to the intended word and at
//! most 3 % of correct English words absent from the knowledge base are changed; the browser
//! engine makes exactly the same decisions.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{build_site, copy_dir, copy_example, node, repo, search_json};
use serde_json::Value;

struct Probe {
    kb: String,
    q: String,
    /// The word a typo must become; None for a correct word, which must stay.
    want: Option<String>,
}

fn probes() -> Vec<Probe> {
    let text = std::fs::read_to_string(repo().join("tests/search/spelling-probes.toml")).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let s = |v: &toml::Value| v.as_str().unwrap().to_string();
    let mut out: Vec<Probe> = v["typos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Probe {
            kb: s(&t["kb"]),
            q: s(&t["q"]),
            want: Some(s(&t["want"])),
        })
        .collect();
    for group in v["words"].as_array().unwrap() {
        for q in group["q"].as_array().unwrap() {
            out.push(Probe {
                kb: s(&group["kb"]),
                q: s(q),
                want: None,
            });
        }
    }
    out
}

/// The knowledge bases the probes name, copied into `tmp`.
fn knowledge_bases(tmp: &Path) -> BTreeMap<&'static str, PathBuf> {
    let mut kbs = BTreeMap::new();
    let example = tmp.join("example");
    copy_example(&example);
    kbs.insert("example", example);
    for (name, dir) in [("heldout", "heldout-kb"), ("spelling", "spelling-kb")] {
        let to = tmp.join(name);
        copy_dir(&repo().join("tests/fixtures").join(dir), &to);
        kbs.insert(name, to);
    }
    kbs
}

/// The suggestion for the probe's word, `None` when it was left alone; panics unless the word
/// was unknown to the index (the probe's premise).
fn suggestion(v: &Value, probe: &Probe) -> Option<String> {
    let c = &v["corrections"];
    assert_eq!(
        c.as_array().map(Vec::len),
        Some(1),
        "{:?} on {}: the index must not know it: {v}",
        probe.q,
        probe.kb
    );
    assert_eq!(c[0]["word"], probe.q.as_str());
    let s = c[0]["suggestion"].as_str().map(str::to_string);
    assert_eq!(v["did_you_mean"].as_str(), s.as_deref(), "{v}");
    s
}

#[test]
fn did_you_mean_corrects_typos_and_leaves_english_words_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let kbs = knowledge_bases(tmp.path());
    let probes = probes();
    let (mut typos, mut fixed, mut words, mut changed) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    let mut decisions: BTreeMap<&str, Vec<(String, Option<String>)>> = BTreeMap::new();
    for p in &probes {
        let root = &kbs[p.kb.as_str()];
        let (v, _) = search_json(root, &p.q, &[]);
        let got = suggestion(&v, p);
        decisions
            .entry(p.kb.as_str())
            .or_default()
            .push((p.q.clone(), got.clone()));
        match &p.want {
            Some(want) => {
                // The intended word is one the index holds.
                let (known, _) = search_json(root, want, &["--no-refresh"]);
                assert_eq!(known["corrections"], Value::Array(vec![]), "{want}");
                typos += 1;
                if got.as_ref() == Some(want) {
                    fixed += 1;
                } else {
                    misses.push(format!("typo {:?} → {got:?}, not {want:?}", p.q));
                }
            }
            None => {
                words += 1;
                if let Some(g) = got {
                    changed += 1;
                    misses.push(format!("word {:?} → {g:?}", p.q));
                }
            }
        }
    }
    let fixed_pct = 100.0 * fixed as f64 / typos as f64;
    let changed_pct = 100.0 * changed as f64 / words as f64;
    eprintln!(
        "did you mean: {fixed} of {typos} typos corrected ({fixed_pct:.1} %), \
         {changed} of {words} correct words changed ({changed_pct:.1} %)\n{}",
        misses.join("\n")
    );
    assert!(typos >= 100 && words >= 100, "{typos} typos, {words} words");
    assert!(fixed_pct >= 90.0, "{fixed_pct:.1} % of typos corrected");
    assert!(
        changed_pct <= 3.0,
        "{changed_pct:.1} % of correct words changed"
    );

    // The browser engine, over each knowledge base's built site, decides the same.
    let Some(node) = node() else { return };
    for (kb, expected) in decisions {
        let root = &kbs[kb];
        let site = root.join("public");
        build_site(root, &site, &[]);
        let queries: Vec<&str> = expected.iter().map(|(q, _)| q.as_str()).collect();
        let mut child = Command::new(&node)
            .arg(repo().join("tests/js/run_queries.js"))
            .arg(&site)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(queries.join("\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let js: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(js.len(), expected.len());
        for ((q, want), j) in expected.iter().zip(&js) {
            let c = &j["corrections"];
            assert_eq!(c[0]["word"], q.as_str(), "{kb}: {j}");
            assert_eq!(
                c[0]["suggestion"].as_str(),
                want.as_deref(),
                "{kb}: {q:?}: the browser engine decided otherwise"
            );
            assert_eq!(j["did_you_mean"].as_str(), want.as_deref(), "{kb}: {j}");
        }
    }
}
