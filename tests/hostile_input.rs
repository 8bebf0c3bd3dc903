//! Input that would flood a build (thousands of tags, names longer than a file name) and files
//! kb must not publish (symbolic links leading out of the knowledge base), through the real
//! binary on real folders. Each failing build must leave the previous output as it was.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{files, kb};

const GOOD: &str = "\
---
title: Good incident
date: 2024-01-01
tags: [database]
services: [api]
---
The database was slow.
";

/// `<tmp>/kb` with one good postmortem, built once into `<tmp>/kb/public`.
fn knowledge_base(tmp: &Path) -> PathBuf {
    let root = tmp.join("kb");
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(root.join("site.toml"), "title = \"Test KB\"\n").unwrap();
    fs::write(root.join("content/good.md"), GOOD).unwrap();
    let out = kb(&root, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    root
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn output_bytes(dir: &Path) -> usize {
    files(dir).values().map(Vec::len).sum()
}

/// Runs `kb <args>` expecting content errors (exit 1), and returns its stderr.
fn fails(root: &Path, args: &[&str]) -> String {
    let out = kb(root, args);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(1), "kb {args:?}: {err}");
    err
}

/// The rendered diagnostic at `loc`, which must exist and say every one of `parts`.
#[track_caller]
fn says_at(stderr: &str, loc: &str, parts: &[&str]) {
    let arrow = format!("--> {loc}");
    let block = stderr
        .split("\n\n")
        .find(|b| b.lines().any(|l| l.trim() == arrow))
        .unwrap_or_else(|| panic!("no diagnostic at {loc}:\n{stderr}"));
    for p in parts {
        assert!(block.contains(p), "expected {p:?} at {loc}:\n{block}");
    }
}

// ---------------------------------------------------------------------------------------------
// Limits: tags and services per incident, name length
// ---------------------------------------------------------------------------------------------

#[test]
fn four_thousand_tags_or_services_are_a_located_error_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    let before = files(&root.join("public"));
    // 4,000 tags one per line (line 5 onwards), 4,000 services in one flow list.
    let mut text = String::from("---\ntitle: Flood\ndate: 2024-05-01\ntags:\n");
    for i in 0..4000 {
        text.push_str(&format!("  - tag-{i}\n"));
    }
    let services: Vec<String> = (0..4000).map(|i| format!("svc-{i}")).collect();
    let line = format!("services: [{}]", services.join(", "));
    let col = line.find("svc-50,").unwrap() + 1;
    text.push_str(&format!("{line}\n---\nBody.\n"));
    fs::write(root.join("content/flood.md"), &text).unwrap();
    let services_at = format!("content/flood.md:4005:{col}");

    for args in [&["check"][..], &["build"]] {
        let start = Instant::now();
        let err = fails(&root, args);
        // Before the limits the build wrote a gigabyte, for minutes.
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kb {args:?} took {:?}",
            start.elapsed()
        );
        says_at(
            &err,
            "content/flood.md:55:5",
            &[
                "too many tags: 4000; an incident may have at most 50",
                "51st",
            ],
        );
        says_at(&err, &services_at, &["too many services: 4000"]);
    }
    assert!(
        files(&root.join("public")) == before,
        "the previous output changed"
    );
}

#[test]
fn a_name_too_long_for_a_file_name_is_a_located_error_in_check_and_build() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    let before = files(&root.join("public"));
    let long = "a".repeat(300);
    let longer = "b".repeat(260);
    fs::write(
        root.join("content/long.md"),
        format!(
            "---\ntitle: Long names\ndate: 2024-05-01\ntags: [database, {long}]\nservices: \"api, {longer}\"\n---\nBody.\n"
        ),
    )
    .unwrap();
    // 40 characters, well within the character limit, spelled out in ASCII in the URL.
    fs::write(
        root.join("content/wide.md"),
        format!(
            "---\ntitle: Wide names\ndate: 2024-05-02\ntags: [{}]\n---\nBody.\n",
            "東京".repeat(20)
        ),
    )
    .unwrap();
    for args in [&["check"][..], &["build"]] {
        let err = fails(&root, args);
        // `tags: [database, ` is 17 characters; `services: "api, ` 16.
        says_at(
            &err,
            "content/long.md:4:18",
            &["tag `aaaa", "is 300 characters long; the limit is 100"],
        );
        says_at(
            &err,
            "content/long.md:5:17",
            &["service `bbbb", "is 260 characters long"],
        );
        says_at(
            &err,
            "content/wide.md:4:8",
            &["makes a URL name of", "the limit is 120"],
        );
        assert!(!err.contains("File name too long"), "{err}");
    }
    assert!(
        files(&root.join("public")) == before,
        "the previous output changed"
    );
}

#[test]
fn category_lines_count_toward_the_same_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    let tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let long = "c".repeat(150);
    fs::write(
        root.join("content/stats.md"),
        format!(
            "---\ntitle: At the limit\ndate: 2024-05-01\ntags: [{}]\n---\n# At the limit\n\n## Stats\n\n- Category: {long}\n- Category: T7\n- Category: Extra\n",
            tags.join(", ")
        ),
    )
    .unwrap();
    let err = fails(&root, &["check"]);
    says_at(
        &err,
        "content/stats.md:10:13",
        &["tag `cccc", "150 characters"],
    );
    // `T7` is written already (as `t7`): the 51st tag is `Extra`.
    says_at(&err, "content/stats.md:12:13", &["too many tags: 51"]);
    assert!(!err.contains("stats.md:11:"), "{err}");
}

/// `incidents` postmortems with `n` tags and `n` services each, all different.
fn many_names(root: &Path, incidents: usize, n: usize) {
    fs::create_dir_all(root.join("content")).unwrap();
    for k in 0..incidents {
        let tags: Vec<String> = (0..n).map(|i| format!("tag-{k}-{i}")).collect();
        let services: Vec<String> = (0..n).map(|i| format!("svc-{k}-{i}")).collect();
        fs::write(
            root.join(format!("content/inc-{k}.md")),
            format!(
                "---\ntitle: Incident {k}\ndate: 2024-01-{:02}\ntags: [{}]\nservices: [{}]\n---\nBody {k}.\n",
                k + 1,
                tags.join(", "),
                services.join(", ")
            ),
        )
        .unwrap();
    }
}

#[test]
fn at_the_limit_the_site_builds_and_grows_linearly_with_the_names() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for n in [25, 50] {
        let root = tmp.path().join(format!("n{n}"));
        many_names(&root, 5, n);
        let out = kb(&root, &["build"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let pages = fs::read_dir(root.join("public/tags")).unwrap().count();
        assert_eq!(pages, 5 * n + 1, "a page per tag, and the list");
        bytes.push(output_bytes(&root.join("public")));
    }
    // Twice the names: twice the pages, each the same size (an incident's card lists a few
    // of its names). In the square of the names it was 2.6 times.
    let ratio = bytes[1] as f64 / bytes[0] as f64;
    assert!(
        ratio < 2.2,
        "25 names: {} bytes, 50: {} ({ratio:.2}×)",
        bytes[0],
        bytes[1]
    );
    let page = fs::read_to_string(tmp.path().join("n50/public/tags/tag-0-0/index.html")).unwrap();
    assert!(page.contains("42 more services"), "{page}");
    assert!(page.contains("and 42 more tags"), "{page}");
    let own = fs::read_to_string(tmp.path().join("n50/public/incidents/inc-0/index.html")).unwrap();
    assert!(own.contains("tags/tag-0-49/") && own.contains("services/svc-0-49/"));
}

// ---------------------------------------------------------------------------------------------
// Symbolic links
// ---------------------------------------------------------------------------------------------

/// One word to every tokenizer, so it is found in the index and the search export too.
const SECRET: &str = "ghpsecrettoken7f3a";

/// Text that would be published if it were read: a valid postmortem holding the secret.
fn secret_postmortem() -> String {
    format!("---\ntitle: Leaked {SECRET}\ndate: 2024-02-02\n---\ntoken = {SECRET}\n")
}

/// No file under `dir` (the knowledge base with its output and index) holds the secret.
#[track_caller]
fn nowhere(dir: &Path) {
    for (path, bytes) in files(dir) {
        assert!(
            !String::from_utf8_lossy(&bytes)
                .to_lowercase()
                .contains(SECRET),
            "the secret is in {}",
            path.display()
        );
    }
}

#[test]
fn links_leading_out_of_the_knowledge_base_are_refused_and_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    let before = files(&root.join("public"));
    fs::write(tmp.path().join("secret.txt"), secret_postmortem()).unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(outside.join("deeper")).unwrap();
    fs::write(outside.join("deeper/leak.md"), secret_postmortem()).unwrap();
    symlink("../../secret.txt", root.join("content/x.md")).unwrap();
    symlink(&outside, root.join("content/more")).unwrap();
    let secret = fs::canonicalize(tmp.path().join("secret.txt")).unwrap();
    let outside = fs::canonicalize(&outside).unwrap();

    let err = fails(&root, &["build"]);
    says_at(
        &err,
        "content/x.md",
        &[
            &format!("content/x.md is a symbolic link to {}", secret.display()),
            "outside the knowledge base; kb does not read it",
        ],
    );
    says_at(
        &err,
        "content/more",
        &[
            &format!("content/more is a symbolic link to {}", outside.display()),
            "outside the knowledge base",
        ],
    );
    assert!(!err.contains(SECRET), "{err}");
    assert!(
        files(&root.join("public")) == before,
        "the previous output changed"
    );
    for args in [&["check"][..], &["export"]] {
        let err = fails(&root, args);
        says_at(&err, "content/x.md", &["outside the knowledge base"]);
        assert!(!err.contains(SECRET), "{err}");
    }
    // A search goes on past errors: it must not have read the linked files either.
    let out = kb(&root, &["search", "--json", SECRET]);
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found["hits"].as_array().map(Vec::len), Some(0), "{found}");
    assert!(!stderr(&out).contains(SECRET));
    nowhere(&root);
}

#[test]
fn site_toml_and_theme_leading_out_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    fs::write(
        tmp.path().join("their-site.toml"),
        format!("title = \"{SECRET}\"\n"),
    )
    .unwrap();
    fs::remove_file(root.join("site.toml")).unwrap();
    symlink("../their-site.toml", root.join("site.toml")).unwrap();
    let err = fails(&root, &["build"]);
    says_at(
        &err,
        "site.toml",
        &["symbolic link", "outside the knowledge base"],
    );

    fs::remove_file(root.join("site.toml")).unwrap();
    let theme = tmp.path().join("their-theme");
    fs::create_dir_all(theme.join("static")).unwrap();
    fs::write(theme.join("static/leak.txt"), SECRET).unwrap();
    symlink(&theme, root.join("theme")).unwrap();
    let err = fails(&root, &["build"]);
    says_at(
        &err,
        "theme",
        &["symbolic link", "outside the knowledge base"],
    );
    nowhere(&root);
}

#[test]
fn links_that_stay_inside_are_followed_and_loops_end() {
    let tmp = tempfile::tempdir().unwrap();
    let root = knowledge_base(tmp.path());
    fs::create_dir_all(root.join("archive/team")).unwrap();
    fs::write(
        root.join("archive/old.md"),
        "---\ntitle: Archived outage\ndate: 2020-01-01\n---\nOld.\n",
    )
    .unwrap();
    fs::write(
        root.join("archive/team/b.md"),
        "---\ntitle: Team outage\ndate: 2021-01-01\n---\nTeam.\n",
    )
    .unwrap();
    symlink("../archive/old.md", root.join("content/old.md")).unwrap();
    symlink("../archive/team", root.join("content/team")).unwrap();
    let out = kb(&root, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(root.join("public/incidents/old/index.html").is_file());
    assert!(root.join("public/incidents/b/index.html").is_file());

    // Two folders linking to each other: reported, and the walk ends.
    fs::create_dir_all(root.join("content/a")).unwrap();
    fs::create_dir_all(root.join("content/b")).unwrap();
    symlink("../b", root.join("content/a/to-b")).unwrap();
    symlink("../a", root.join("content/b/to-a")).unwrap();
    let start = Instant::now();
    let err = fails(&root, &["check"]);
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(err.contains("symbolic link loop"), "{err}");
}
