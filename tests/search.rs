//! `kb search` through the real binary on real folders: freshness of the index, the query
//! language, errors, JSON output, escaping, and searching while a build replaces the index.

mod common;

use std::fs;

use common::{copy_dir, copy_example, dfds, ids, kb, search_json, search_timed};
use serde_json::Value;

/// The example knowledge base, copied into a temporary folder.
fn example() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    tmp
}

const NEW_INCIDENT: &str = "---
title: Zanzibar queue stalled after a broker failover
date: 2026-01-05
severity: SEV3
tags: [streaming]
symptoms:
  - consumer offsets frozen on the zanzibar topic
---

The zanzibar consumers stopped committing offsets after the broker failover.
";

#[test]
fn works_without_a_build_and_follows_edits_and_deletes() {
    let tmp = example();
    let root = tmp.path();
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(stderr.contains("building the search index"), "{stderr}");
    assert!(root.join(".kb/index/kb-stamp.json").is_file());
    assert_eq!(
        ids(&v)[0],
        "mysql-replica-lag-primary-overload",
        "{}",
        v["hits"][0]
    );

    // A second search uses the index as it is.
    let (_, stderr) = search_json(root, "replica lag", &[]);
    assert!(!stderr.contains("note:"), "{stderr}");

    let new = root.join("content/2026/2026-01-05-zanzibar-queue.md");
    fs::write(&new, NEW_INCIDENT).unwrap();
    // --no-refresh trusts the index as it is, stale or not.
    let (v, stderr) = search_json(root, "zanzibar", &["--no-refresh"]);
    assert_eq!(v["corrections"][0]["word"], "zanzibar", "{stderr}");
    assert!(!ids(&v).contains(&"2026-01-05-zanzibar-queue".to_string()));
    let (v, stderr) = search_json(root, "zanzibar offsets", &[]);
    assert!(stderr.contains("changed"), "{stderr}");
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"]);
    assert_eq!(v["hits"][0]["snippet_field"], "symptoms");

    // An edit in place (same size is not enough to hide it: the time changes too).
    fs::write(&new, NEW_INCIDENT.replace("zanzibar", "mombasa")).unwrap();
    let (v, _) = search_json(root, "mombasa", &[]);
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"]);

    fs::remove_file(&new).unwrap();
    let (v, _) = search_json(root, "mombasa", &[]);
    assert!(!ids(&v).contains(&"2026-01-05-zanzibar-queue".to_string()));
    assert_eq!(
        v["corrections"][0]["word"], "mombasa",
        "no longer a known word"
    );
}

/// Editors save in two ways: in place (VS Code truncates and rewrites the file) or by writing
/// a new file and renaming it over the old one (vim, and tools such as rsync). `kb search`
/// sees both, even when the size and the modification time stay the same.
#[test]
fn sees_saves_in_place_and_by_rename_even_with_the_same_size_and_time() {
    let tmp = example();
    let root = tmp.path();
    let file = root.join("content/2026/2026-01-05-zanzibar-queue.md");
    fs::write(&file, NEW_INCIDENT).unwrap();
    let (v, _) = search_json(root, "zanzibar", &[]);
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"]);
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();

    // In place, same size: only the modification time tells.
    fs::write(&file, NEW_INCIDENT.replace("zanzibar", "mombasa!")).unwrap();
    let (v, stderr) = search_json(root, "mombasa", &[]);
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"], "{stderr}");

    // Renamed over, with the original size and modification time: only the inode tells.
    let text = NEW_INCIDENT.replace("zanzibar", "kismayu!");
    assert_eq!(text.len(), fs::metadata(&file).unwrap().len() as usize);
    let swap = root.join("content/2026/.2026-01-05-zanzibar-queue.md.swp");
    fs::write(&swap, &text).unwrap();
    fs::File::options()
        .write(true)
        .open(&swap)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    fs::rename(&swap, &file).unwrap();
    let (v, stderr) = search_json(root, "kismayu", &[]);
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"], "{stderr}");
    assert!(stderr.contains("changed"), "{stderr}");
    let (v, _) = search_json(root, "mombasa", &[]);
    assert!(
        !ids(&v).contains(&"2026-01-05-zanzibar-queue".to_string()),
        "the old text is gone"
    );

    // Deleted: gone from the results.
    fs::remove_file(&file).unwrap();
    let (v, _) = search_json(root, "kismayu", &[]);
    assert!(!ids(&v).contains(&"2026-01-05-zanzibar-queue".to_string()));
}

/// Sets the modification time of site.toml and of every folder under content/ an hour back: a
/// folder changed in the last two seconds cannot vouch for its files (a second change within
/// the same tick of the file system's clock would not show).
fn age_folders(root: &std::path::Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let folders = walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path());
    for path in folders.chain([root.join("site.toml")]) {
        fs::File::open(&path)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
}

/// Past 10,000 files, `kb search` checks their folders instead of every file: a new postmortem,
/// a deleted one, a save by rename and an edit of site.toml are seen; a save in place is seen
/// with --refresh (or by a build, or a running serve), as documented.
#[test]
fn many_files_are_checked_by_their_folders() {
    let tmp = example();
    let root = tmp.path();
    let images = root.join("content/images");
    fs::create_dir(&images).unwrap();
    for i in 0..10_000 {
        fs::write(images.join(format!("{i}.png")), b"").unwrap();
    }
    let (_, stderr) = search_timed(root, "replica lag", &[]);
    assert!(stderr.contains("building the search index"), "{stderr}");
    // Built seconds after the folders changed, the index cannot be vouched for by them yet:
    // each file is checked, and once the folders are old enough, their stamp is written.
    let (_, stderr) = search_timed(root, "replica lag", &[]);
    assert!(stderr.contains("stamped 10014 files"), "{stderr}");
    age_folders(root);
    let (_, stderr) = search_timed(root, "replica lag", &[]);
    assert!(stderr.contains("stamped 10014 files"), "{stderr}");
    let (hits, stderr) = search_timed(root, "replica lag", &[]);
    assert!(
        stderr.contains("checked 8 folders of 10014 files") && stderr.contains("unchanged"),
        "{stderr}"
    );
    assert!(!stderr.contains("stamped"), "{stderr}");
    assert_eq!(hits[0], "mysql-replica-lag-primary-overload");

    // A new postmortem changes its folder.
    let new = root.join("content/2026/2026-01-05-zanzibar-queue.md");
    fs::write(&new, NEW_INCIDENT).unwrap();
    let (hits, stderr) = search_timed(root, "zanzibar", &[]);
    assert!(stderr.contains("changed"), "{stderr}");
    assert_eq!(hits, ["2026-01-05-zanzibar-queue"]);

    // A save in place leaves the folder as it was.
    age_folders(root);
    search_timed(root, "zanzibar", &["--refresh"]);
    fs::write(&new, NEW_INCIDENT.replace("zanzibar", "mombasa")).unwrap();
    let (hits, stderr) = search_timed(root, "mombasa", &[]);
    assert!(stderr.contains("unchanged"), "{stderr}");
    assert!(hits.is_empty(), "{stderr}");
    let (hits, stderr) = search_timed(root, "mombasa", &["--refresh"]);
    assert!(!stderr.contains("checked"), "{stderr}");
    assert_eq!(hits, ["2026-01-05-zanzibar-queue"], "{stderr}");

    // A save by rename, as vim and Emacs save, changes the folder.
    age_folders(root);
    search_timed(root, "mombasa", &["--refresh"]);
    let swap = root.join("content/2026/.2026-01-05-zanzibar-queue.md.swp");
    fs::write(&swap, NEW_INCIDENT.replace("zanzibar", "kismayu")).unwrap();
    fs::rename(&swap, &new).unwrap();
    let (hits, stderr) = search_timed(root, "kismayu", &[]);
    assert!(stderr.contains("checked 8 folders"), "{stderr}");
    assert_eq!(hits, ["2026-01-05-zanzibar-queue"], "{stderr}");

    // Deleted.
    age_folders(root);
    search_timed(root, "kismayu", &["--refresh"]);
    fs::remove_file(&new).unwrap();
    let (hits, stderr) = search_timed(root, "kismayu", &[]);
    assert!(stderr.contains("changed"), "{stderr}");
    assert!(hits.is_empty(), "{stderr}");

    // site.toml, edited in place, is checked as a file.
    age_folders(root);
    search_timed(root, "kismayu", &["--refresh"]);
    let mut toml = fs::read_to_string(root.join("site.toml")).unwrap();
    toml.push_str("\n# edited\n");
    fs::write(root.join("site.toml"), toml).unwrap();
    let (_, stderr) = search_timed(root, "replica", &[]);
    assert!(stderr.contains("folders of 10014 files in"), "{stderr}");
    assert!(stderr.contains("changed"), "{stderr}");
}

/// What the index holds, by its files: tantivy names each segment anew when it indexes.
fn index_files(root: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(".kb/index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "kb-stamp.json")
        .collect();
    names.sort();
    names
}

/// A checkout or a sync writes every file again as it was: the freshness check sees new files,
/// but what the index holds is the same, so the search keeps it (and says nothing) instead of
/// indexing again; a real edit after that is still seen.
#[test]
fn files_written_again_as_they_were_keep_the_index() {
    let tmp = example();
    let root = tmp.path();
    let (before, _) = search_json(root, "replica lag", &[]);
    let held = index_files(root);
    let stamp = fs::read(root.join(".kb/index/kb-stamp.json")).unwrap();
    for e in walkdir::WalkDir::new(root.join("content")) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let bytes = fs::read(e.path()).unwrap();
            fs::remove_file(e.path()).unwrap();
            fs::write(e.path(), bytes).unwrap();
        }
    }
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(!stderr.contains("note:"), "{stderr}");
    assert_eq!(ids(&v), ids(&before));
    assert_eq!(index_files(root), held, "indexed again");
    assert_ne!(
        fs::read(root.join(".kb/index/kb-stamp.json")).unwrap(),
        stamp,
        "the stamp says the files as they are now"
    );
    // Trusted as it is now: the next search checks the stamp and finds it current.
    let (_, stderr) = search_json(root, "replica lag", &[]);
    assert!(!stderr.contains("note:"), "{stderr}");

    let new = root.join("content/2026/2026-01-05-zanzibar-queue.md");
    fs::write(&new, NEW_INCIDENT).unwrap();
    let (v, stderr) = search_json(root, "zanzibar offsets", &[]);
    assert!(stderr.contains("changed"), "{stderr}");
    assert_eq!(ids(&v), ["2026-01-05-zanzibar-queue"]);
    assert_ne!(index_files(root), held);
}

#[test]
fn build_writes_the_index_search_uses() {
    let tmp = example();
    let root = tmp.path();
    let out = kb(root, &["build"]);
    assert!(out.status.success());
    let (_, stderr) = search_json(root, "replica lag", &[]);
    assert!(
        !stderr.contains("note:"),
        "a fresh build's index is reused: {stderr}"
    );
    // The index is a cache beside the site, never inside it.
    assert!(!root.join("public/.kb").exists());
}

#[test]
fn a_corrupt_or_half_deleted_index_is_rebuilt_with_a_note() {
    let tmp = example();
    let root = tmp.path();
    assert!(kb(root, &["build"]).status.success());
    fs::write(root.join(".kb/index/meta.json"), "{ not json").unwrap();
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(stderr.contains("unreadable"), "{stderr}");
    assert!(v["total"].as_u64().unwrap() > 0);

    // An index from a kb with another schema is rebuilt, and says why.
    let stamp = root.join(".kb/index/kb-stamp.json");
    let text = fs::read_to_string(&stamp).unwrap();
    let mut json: Value = serde_json::from_str(&text).unwrap();
    json["schema"] = Value::from(1);
    fs::write(&stamp, json.to_string()).unwrap();
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(stderr.contains("another version of kb"), "{stderr}");
    assert!(v["total"].as_u64().unwrap() > 0);

    // Lose the segment files but keep the stamp.
    for e in fs::read_dir(root.join(".kb/index")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx" || x == "term") {
            fs::remove_file(p).unwrap();
        }
    }
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(stderr.contains("note:"), "{stderr}");
    assert!(v["total"].as_u64().unwrap() > 0);

    // Did-you-mean reads the surface words kept beside the index; without them the index is
    // incomplete and written again, and the suggestion is the same.
    let (v, stderr) = search_json(root, "replca lag", &[]);
    assert_eq!(v["did_you_mean"], "replica lag", "{stderr}");
    fs::remove_file(root.join(".kb/index/kb-words.bin")).unwrap();
    let (v, stderr) = search_json(root, "replca lag", &[]);
    assert!(stderr.contains("kb-words.bin is missing"), "{stderr}");
    assert_eq!(v["did_you_mean"], "replica lag");
    assert!(root.join(".kb/index/kb-words.bin").is_file());
    let (v, stderr) = search_json(root, "replca lag", &[]);
    assert_eq!(stderr, "");
    assert_eq!(v["did_you_mean"], "replica lag");
}

#[test]
fn query_errors_exit_2_with_the_position_and_a_fix() {
    let tmp = example();
    let root = tmp.path();
    let cases = [
        (
            r#"replica "read only"#,
            "this quote is never closed",
            "close the phrase",
        ),
        (
            "lag tga:replication",
            "unknown filter `tga:`",
            "did you mean `tag:`?",
        ),
        (
            "since:2023-02-30",
            "`2023-02-30` is not a date",
            "YYYY-MM-DD",
        ),
        (
            "tag:replicaton",
            "no incident has the tag `replicaton`",
            "tag:replication",
        ),
        (
            "severity:SEV9",
            "no incident has the severity `SEV9`",
            "severity:",
        ),
    ];
    for (q, message, hint) in cases {
        let out = kb(root, &["search", q]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{q}: {stderr}");
        assert!(stderr.contains(message), "{q}: {stderr}");
        assert!(stderr.contains(hint), "{q}: {stderr}");
        assert!(
            stderr.contains(&format!("| {q}")),
            "the query is shown: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    // The caret sits under the unknown filter.
    let out = kb(root, &["search", "lag tga:replication"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("  |     ^"), "{stderr}");

    let out = kb(root, &["search", "!!! ..."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no words to search for"));
    // A word found nowhere, with nothing near it, matches nothing (not everything).
    let (v, _) = search_json(root, "qxzvkj", &[]);
    assert_eq!(v["total"], 0);
    assert_eq!(v["corrections"][0]["suggestion"], Value::Null);
    let out = kb(root, &["search", "  "]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the query is empty"));
    let out = kb(root, &["search"]);
    assert_eq!(out.status.code(), Some(2), "no query is a usage error");
    let out = kb(root, &["search", "--limit", "0", "lag"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Every filter answers alike (issue 16): an empty filter is an error that names it, never the
/// word "tag" searched (or corrected to "lag"); an unknown value of any facet is an error with a
/// did-you-mean, exit 2.
#[test]
fn filters_answer_alike_empty_and_unknown_values_are_errors() {
    let tmp = example();
    let root = tmp.path();
    for (q, message, hint) in [
        ("tag:", "`tag:` needs a value", "e.g. tag:replication"),
        (
            "lag tag:",
            "`tag:` needs a value",
            "no space after the colon",
        ),
        (
            "lag since:",
            "`since:` needs a value",
            "e.g. since:2023-01-01",
        ),
        (
            "-service: lag",
            "`service:` needs a value",
            "e.g. service:checkout",
        ),
        (
            "Severity:",
            "`Severity:` needs a value",
            "e.g. severity:SEV1",
        ),
        (
            "tag:replicaton",
            "no incident has the tag `replicaton`",
            "did you mean `tag:replication`?",
        ),
        (
            "service:booking-ap lag",
            "no incident has the service `booking-ap`",
            "did you mean `service:booking-api`?",
        ),
        (
            "severity:SEV9 lag",
            "no incident has the severity `SEV9`",
            "did you mean `severity:SEV1`?",
        ),
    ] {
        let out = kb(root, &["search", "--", q]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{q}: {stderr}");
        assert!(
            stderr.contains(&format!("error: {message}")),
            "{q}: {stderr}"
        );
        assert!(stderr.contains(hint), "{q}: {stderr}");
        assert!(out.stdout.is_empty(), "{q}: nothing searched");
    }
    // A colon after a word that names no filter still stays part of the word.
    let (v, _) = search_json(root, "lag error:", &[]);
    assert!(v["total"].as_u64().unwrap() > 0, "{v}");
    // A service, tag or level the site defines but no incident has is known, not a typo: no
    // results, exit 0, for services as for tags and levels.
    let mut toml = fs::read_to_string(root.join("site.toml")).unwrap();
    toml.push_str("\n[services.ledger-archive]\ndescription = \"x\"\n\n[tags.never-used]\n");
    fs::write(root.join("site.toml"), toml).unwrap();
    for q in [
        "service:ledger-archive lag",
        "tag:never-used lag",
        "severity:SEV4 lag",
    ] {
        let (v, _) = search_json(root, q, &[]);
        assert_eq!(v["total"], 0, "{q}");
    }
}

/// `-q` prints only errors: not the note that the index is being built.
#[test]
fn quiet_search_prints_only_errors() {
    let tmp = example();
    let root = tmp.path();
    let out = kb(root, &["search", "-q", "replica lag"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Replica lag"));
    // Edited, so the index is rebuilt: still silent.
    fs::write(root.join("content/new.md"), NEW_INCIDENT).unwrap();
    let out = kb(root, &["search", "--quiet", "zanzibar"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // Errors still reach stderr.
    let out = kb(root, &["search", "-q", "tag:"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`tag:` needs a value"));
}

#[test]
fn json_output_has_the_documented_shape() {
    let tmp = example();
    let (v, _) = search_json(tmp.path(), "replca lag", &["--limit", "3"]);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["corrections", "did_you_mean", "hits", "query", "total"],
        "facets only with --facets"
    );
    assert_eq!(v["query"], "replca lag");
    assert_eq!(v["did_you_mean"], "replica lag");
    assert_eq!(v["corrections"][0]["word"], "replca");
    assert_eq!(v["corrections"][0]["suggestion"], "replica");
    assert_eq!(v["hits"].as_array().unwrap().len(), 3);
    assert!(v["total"].as_u64().unwrap() >= 3);
    let hit = &v["hits"][0];
    let mut keys: Vec<&String> = hit.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "date",
            "id",
            "path",
            "score",
            "services",
            "severity",
            "snippet",
            "snippet_field",
            "tags",
            "title",
            "url"
        ]
    );
    assert_eq!(
        hit["url"],
        format!(
            "https://incidents.example.com/incidents/{}/",
            hit["id"].as_str().unwrap()
        )
    );
    assert!(hit["path"].as_str().unwrap().starts_with("content/"));
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"));
    let scores: Vec<f64> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
}

#[test]
fn filters_narrow_and_synonyms_widen() {
    let tmp = example();
    let root = tmp.path();
    // `replica` is an alias of the tag `replication` in site.toml.
    let (by_alias, _) = search_json(root, "tag:replica", &[]);
    let (by_name, _) = search_json(root, "tag:replication", &[]);
    assert_eq!(ids(&by_alias), ids(&by_name));
    assert!(by_name["total"].as_u64().unwrap() >= 3);
    // Filters alone list incidents newest first.
    let dates: Vec<&str> = by_name["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    let (v, _) = search_json(
        root,
        "tag:replication since:2024-01-01 until:2024-12-31",
        &[],
    );
    for h in v["hits"].as_array().unwrap() {
        assert!(h["date"].as_str().unwrap().starts_with("2024"), "{h}");
    }
    assert!(v["total"].as_u64().unwrap() >= 1);

    let (v, _) = search_json(root, "replication -tag:mysql", &[]);
    for h in v["hits"].as_array().unwrap() {
        assert!(
            !h["tags"].as_array().unwrap().iter().any(|t| t == "mysql"),
            "{h}"
        );
    }

    // Severity is matched whatever its case.
    let (upper, _) = search_json(root, "severity:SEV1", &[]);
    let (lower, _) = search_json(root, "severity:sev1", &[]);
    assert_eq!(ids(&upper), ids(&lower));
    assert!(
        upper["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["severity"] == "SEV1")
    );

    // `slave` is in no postmortem; the default synonyms search for replicas.
    let (v, _) = search_json(root, "slave lag", &[]);
    assert_eq!(v["corrections"].as_array().unwrap().len(), 0);
    assert_eq!(ids(&v)[0], "mysql-replica-lag-primary-overload");

    // A required word and an exact phrase.
    let (v, _) = search_json(root, r#"+backup "delayed replica""#, &[]);
    assert!(ids(&v).contains(&"contractor-dropped-production-database".to_string()));
}

/// Found by the query fuzz target: a negated phrase that occurs nowhere, though each of its
/// words does, panicked debug builds inside tantivy's exclusion (release builds were right).
#[test]
fn negated_phrases_exclude_exactly_their_matches() {
    let tmp = example();
    let root = tmp.path();
    let (all, _) = search_json(root, "replica", &[]);
    assert!(all["total"].as_u64().unwrap() >= 4);
    // Found nowhere: excludes nothing.
    let (v, _) = search_json(root, r#"replica -"supplier file""#, &[]);
    assert_eq!(ids(&v), ids(&all));
    // Found in one incident: excludes only that one.
    let (phrase, _) = search_json(root, r#""fare import""#, &[]);
    assert_eq!(ids(&phrase), ["mysql-replica-lag-primary-overload"]);
    let (v, _) = search_json(root, r#"replica -"fare import""#, &[]);
    let mut expected = ids(&all);
    expected.retain(|id| id != "mysql-replica-lag-primary-overload");
    assert_eq!(ids(&v), expected);
    // A negation alone lists everything else.
    let (v, _) = search_json(root, r#"-"supplier file""#, &["--limit", "100"]);
    assert!(v["total"].as_u64().unwrap() >= 13, "{v}");
}

#[test]
fn facets_count_the_whole_matching_set() {
    let tmp = example();
    let (v, _) = search_json(tmp.path(), "data dropped", &["--facets", "--limit", "1"]);
    let total = v["total"].as_u64().unwrap();
    assert!(total > 1);
    let facets = &v["facets"];
    let sum = |k: &str| -> u64 {
        facets[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("years"), total, "every matching incident here is dated");
    assert!(sum("severity") <= total);
    let tags = facets["tags"].as_array().unwrap();
    assert!(
        tags.windows(2)
            .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64())
    );
}

#[test]
fn text_from_postmortems_is_escaped_in_snippets() {
    let tmp = example();
    let root = tmp.path();
    fs::write(
        root.join("content/2026/2026-02-01-script.md"),
        "---\ntitle: \"<script>alert(1)</script> quokka\"\ndate: 2026-02-01\nsymptoms:\n  - \"<img src=x onerror=alert(2)> quokka errors\"\n---\n\nquokka body\n",
    )
    .unwrap();
    let (v, _) = search_json(root, "quokka", &[]);
    let hit = &v["hits"][0];
    assert_eq!(
        hit["title"], "<script>alert(1)</script> quokka",
        "JSON keeps the text"
    );
    let snippet = hit["snippet"].as_str().unwrap();
    assert_eq!(
        snippet,
        "&lt;img src=x onerror=alert(2)&gt; <mark>quokka</mark> errors"
    );
}

#[test]
fn escape_sequences_from_postmortems_never_reach_the_terminal() {
    let tmp = example();
    let root = tmp.path();
    // A window title, an OSC-8 link, a colour and a screen clear, in every field search prints.
    let esc = "\\e]0;owned\\a\\e]8;;https://evil.example/\\e\\\\here\\e]8;;\\e\\\\\\e[31m\\e[2J";
    fs::create_dir_all(root.join("content/2026/x\x1b[2Jy")).unwrap();
    fs::write(
        root.join("content/2026/x\x1b[2Jy/2026-02-01-evil.md"),
        format!(
            "---\ntitle: \"quokka {esc}\"\ndate: 2026-02-01\nseverity: SEV2\ntags: [\"t{esc}\"]\nservices: [\"s{esc}\"]\nsymptoms:\n  - \"quokka {esc} errors\"\naction_items:\n  - {{title: \"fix {esc}\", status: done}}\n---\n\nquokka body\n"
        ),
    )
    .unwrap();
    for args in [&["search", "quokka"][..], &["search", "--facets", "quokka"]] {
        let out = kb(root, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("quokka"), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "a control character reached the terminal: {text:?}"
        );
        assert!(text.contains("␛]0;owned␇"), "{text}");
        assert!(text.contains("x␛[2Jy/2026-02-01-evil.md"), "{text}");
    }
    // JSON keeps the text as written, escaped as JSON.
    let out = kb(root, &["search", "--json", "quokka"]);
    assert!(!out.stdout.contains(&0x1b), "raw ESC in the JSON");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["hits"][0]["title"]
            .as_str()
            .unwrap()
            .contains("\x1b]0;owned\x07"),
        "{}",
        v["hits"][0]
    );
}

#[test]
fn human_output_shows_what_a_responder_needs() {
    let tmp = example();
    let out = kb(tmp.path(), &["search", "-n", "2", "replica", "lag"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("for \"replica lag\", best first"), "{text}");
    assert!(
        text.contains("1. Replica lag sent every read to the MySQL primary"),
        "{text}"
    );
    assert!(text.contains("2021-03-16 · SEV2 · replication"), "{text}");
    assert!(
        text.contains("*replica* *lag*"),
        "matches marked without colour: {text}"
    );
    assert!(text.contains("content/2021/2021-03-16-mysql-replica-lag-primary-overload.md"));
    // What was done: its action items, done ones first.
    assert!(text.contains("   actions: [done] "), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn searches_during_rebuilds_see_a_whole_index() {
    let tmp = example();
    let root = tmp.path().to_path_buf();
    assert!(kb(&root, &["build"]).status.success());
    let builder = {
        let root = root.clone();
        std::thread::spawn(move || {
            for _ in 0..6 {
                assert!(kb(&root, &["build"]).status.success());
            }
        })
    };
    for _ in 0..25 {
        let (v, stderr) = search_json(&root, "replica lag", &[]);
        assert_eq!(ids(&v)[0], "mysql-replica-lag-primary-overload");
        // A half-replaced index would read as unreadable and be rebuilt, with a note.
        assert!(!stderr.contains("note:"), "{stderr}");
    }
    builder.join().unwrap();
}

#[test]
fn incident_pages_show_similar_incidents_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let Some(dfds) = dfds("incident_pages_show_similar_incidents_with_the_reason") else {
        return;
    };
    copy_dir(&dfds, root);
    assert!(kb(root, &["build"]).status.success());
    // The three "All services returning 503" postmortems share no tags or frontmatter: only
    // their text makes them related.
    let page =
        fs::read_to_string(root.join(
            "public/incidents/pm2021-006-all-services-returning-503-in-kubernetes/index.html",
        ))
        .unwrap();
    let related = &page[page.find("class=\"related\"").expect("a related section")..];
    for other in ["pm2021-005", "pm2021-007"] {
        assert!(related.contains(other), "{other} missing from {related}");
    }
    // The reason names words both use, from their titles first.
    assert!(
        related.contains("similar wording: 503, returning, service"),
        "{related}"
    );
    assert!(
        !related.contains("pm2021-006-all"),
        "an incident is not similar to itself"
    );
}

#[test]
fn an_unwritable_cache_costs_only_a_warning() {
    let tmp = example();
    let root = tmp.path();
    // `.kb` is a file, so no index directory can be made under it.
    fs::write(root.join(".kb"), "not a directory").unwrap();
    let out = kb(root, &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("could not write the search index"),
        "{stderr}"
    );
    assert!(root.join("public/index.html").is_file());
    let (v, stderr) = search_json(root, "replica lag", &[]);
    assert!(
        stderr.contains("could not save the search index"),
        "{stderr}"
    );
    assert_eq!(ids(&v)[0], "mysql-replica-lag-primary-overload");
    assert_eq!(
        fs::read_to_string(root.join(".kb")).unwrap(),
        "not a directory"
    );
}

#[test]
fn a_broken_postmortem_is_reported_and_does_not_stop_the_search() {
    let tmp = example();
    let root = tmp.path();
    fs::write(
        root.join("content/2026/2026-03-01-broken.md"),
        "---\ntitle: Broken replica story\ndate: 2026-13-45\n---\n\nreplica body\n",
    )
    .unwrap();
    for _ in 0..2 {
        // Reported on every search until fixed, not only on the first.
        let (v, stderr) = search_json(root, "replica", &[]);
        assert!(
            stderr.contains("content/2026/2026-03-01-broken.md:3:7"),
            "{stderr}"
        );
        assert!(
            stderr.contains("searched as far as they could be read"),
            "{stderr}"
        );
        assert!(v["total"].as_u64().unwrap() >= 3);
    }
    // A file that does not parse at all is left out; the rest is still searched.
    fs::write(
        root.join("content/2026/2026-03-01-broken.md"),
        "---\ntitle: [unclosed\n---\n\nreplica body\n",
    )
    .unwrap();
    let (v, stderr) = search_json(root, "replica", &[]);
    assert!(
        stderr.contains("content/2026/2026-03-01-broken.md:2"),
        "{stderr}"
    );
    assert!(v["total"].as_u64().unwrap() >= 3);
    // An unreadable site.toml is not a postmortem that can be left out.
    fs::write(root.join("site.toml"), "title = [").unwrap();
    let out = kb(root, &["search", "replica"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("site.toml"));
}
