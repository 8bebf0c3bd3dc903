//! `kb build` on real folders, through the real binary: the example knowledge base, the DFDS
//! corpus of real postmortems without frontmatter, determinism, sub-paths, drafts, links.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kb() -> Command {
    Command::cargo_bin("kb").unwrap()
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

fn read(p: impl AsRef<Path>) -> String {
    fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

fn build(root: &Path, out: &Path, extra: &[&str]) -> String {
    let output = kb()
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "build failed:\n{stderr}");
    stderr
}

#[test]
fn example_knowledge_base_builds_every_page_type() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let stderr = build(&repo(), &out, &[]);
    assert!(stderr.contains("Built "), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");

    for page in [
        "index.html",
        "404.html",
        "style.css",
        "incidents/index.html",
        "tags/index.html",
        "tags/replication/index.html",
        "tags/feature-flags/index.html",
        "services/index.html",
        "services/booking-api/index.html",
        "incidents/monitoring-user-broke-replication/index.html",
        ".kb-output",
    ] {
        assert!(out.join(page).is_file(), "missing {page}");
    }

    // The incident page: metadata panel, body, action items, related with reasons, backlinks.
    let page = read(out.join("incidents/monitoring-user-broke-replication/index.html"));
    assert!(page.contains("SEV1"), "severity shown");
    assert!(page.contains("super_read_only"), "body rendered");
    assert!(page.contains("class=\"toc\""), "table of contents");
    assert!(page.contains("Action items"));
    assert!(page.contains("Related incidents"));
    assert!(page.contains("shares tags"), "related reasons shown");
    assert!(
        page.contains("a recurrence of this incident"),
        "recurrence shown both ways"
    );

    // Drafts are left out unless asked for.
    assert!(
        !out.join("incidents/2026-11-18-ingest-consumer-lag-broker-restart")
            .exists()
    );

    // Aliases map to the canonical tag: no page for an alias.
    assert!(!out.join("tags/replicas").exists());
    assert!(!out.join("tags/feature-flag").exists());

    // The postmortem without frontmatter gets a title from its heading, a date from its name.
    let bare =
        read(out.join("incidents/2021-10-31-invoice-run-ran-twice-on-dst-change/index.html"));
    assert!(
        bare.contains("datetime=\"2021-10-31\""),
        "date from the file name"
    );
    assert!(bare.contains("no frontmatter"));
}

#[test]
fn drafts_flag_includes_drafts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo(), &out, &["--drafts"]);
    assert!(
        out.join("incidents/2026-11-18-ingest-consumer-lag-broker-restart/index.html")
            .is_file()
    );
}

#[test]
fn output_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&repo(), &a, &[]);
    build(&repo(), &b, &[]);
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs between two builds");
    }
}

#[test]
fn rebuild_replaces_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(root.join("content/2024-01-02-a.md"), "# First\n\nbody\n").unwrap();
    fs::write(root.join("content/2024-01-03-b.md"), "# Second\n\nbody\n").unwrap();
    let out = root.join("public");
    kb().args(["build", "--root"]).arg(&root).assert().success();
    assert!(out.join("incidents/2024-01-03-b/index.html").is_file());
    fs::remove_file(root.join("content/2024-01-03-b.md")).unwrap();
    kb().args(["build", "--root"]).arg(&root).assert().success();
    assert!(out.join("incidents/2024-01-02-a/index.html").is_file());
    assert!(
        !out.join("incidents/2024-01-03-b").exists(),
        "a deleted postmortem's page is gone"
    );
    // No staging directories left behind.
    let leftovers: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kb-staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn links_are_relative_so_the_site_works_under_a_sub_path() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build(&repo(), &out, &["--base-url", "https://example.com/kb/"]);
    let page = read(out.join("incidents/monitoring-user-broke-replication/index.html"));
    assert!(page.contains("href=\"../../style.css\""));
    assert!(page.contains("href=\"../../tags/replication/\""));
    assert!(page.contains("rel=\"canonical\" href=\"https://example.com/kb/incidents/monitoring-user-broke-replication/\""));
    // No root-absolute links that would escape a sub-path.
    for (name, bytes) in tree(&out) {
        if name.ends_with(".html") {
            let html = String::from_utf8(bytes).unwrap();
            assert!(
                !html.contains("href=\"/"),
                "{name} has a root-absolute link"
            );
            assert!(!html.contains("src=\"/"), "{name} has a root-absolute src");
        }
    }
}

#[test]
fn links_between_postmortems_resolve_and_make_backlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content/2023")).unwrap();
    fs::create_dir_all(root.join("content/2024")).unwrap();
    fs::write(
        root.join("content/2023/2023-05-01-first.md"),
        "---\ntitle: First\n---\nThe first one.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/2024/2024-06-01-second.md"),
        "---\ntitle: Second\nrelated: [2023-05-01-first]\n---\nLike [the first](../2023/2023-05-01-first.md#x) and [[2023-05-01-first]].\n",
    )
    .unwrap();
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    let second = read(out.join("incidents/2024-06-01-second/index.html"));
    assert!(
        second.contains("href=\"../2023-05-01-first/#x\""),
        "relative .md link resolved"
    );
    assert!(
        second.contains("href=\"../2023-05-01-first/\""),
        "[[id]] link resolved"
    );
    let first = read(out.join("incidents/2023-05-01-first/index.html"));
    assert!(first.contains("Linked from"), "backlink shown");
    assert!(
        first.contains("lists this incident as related"),
        "explicit relation shown from the other side"
    );
}

#[test]
fn raw_html_is_sanitized_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content")).unwrap();
    let body = "---\ntitle: \"<script>alert('t')</script> Outage\"\ntags: [\"<b>x</b>\"]\n---\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n<details><summary>More</summary>\n\nHidden text\n\n</details>\n\n[click](javascript:alert(3))\n";
    fs::write(root.join("content/2024-01-01-x.md"), body).unwrap();
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    let page = read(out.join("incidents/2024-01-01-x/index.html"));
    assert!(!page.contains("<script>alert"), "script removed or escaped");
    assert!(
        page.contains("&lt;script&gt;alert"),
        "title escaped, not dropped"
    );
    assert!(!page.contains("onerror"));
    assert!(!page.contains("javascript:alert"));
    assert!(page.contains("<details><summary>More</summary>"));

    fs::write(root.join("site.toml"), "[markdown]\nunsafe_html = true\n").unwrap();
    build(&root, &out, &[]);
    let page = read(out.join("incidents/2024-01-01-x/index.html"));
    assert!(
        page.contains("<script>alert(1)</script>"),
        "unsafe_html passes HTML through"
    );
}

/// Real postmortems written with no frontmatter (DFDS, MIT): titles, dates, lessons and action
/// items must be found.
#[test]
fn dfds_corpus_builds_into_a_useful_site() {
    let Some(corpus) = common::dfds("dfds_corpus_builds_into_a_useful_site") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let stderr = build(&corpus, &out, &[]);
    assert!(stderr.contains("Built 38 incidents"), "{stderr}");
    assert!(
        stderr.contains("PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues"),
        "the file without .md is named"
    );
    assert!(
        stderr.contains("looks like a postmortem template"),
        "{stderr}"
    );
    assert!(
        !corpus.join("public").exists(),
        "nothing written into the corpus"
    );

    let pages: Vec<PathBuf> = fs::read_dir(out.join("incidents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(pages.len(), 38);
    let (mut dated, mut with_lessons, mut with_items) = (0, 0, 0);
    for p in &pages {
        let html = read(p.join("index.html"));
        assert!(
            html.contains("<h1 id=\"incident-title\">"),
            "{}",
            p.display()
        );
        dated += usize::from(html.contains("<time datetime=\"20"));
        with_lessons += usize::from(html.contains("id=\"lessons-h\""));
        with_items += usize::from(html.contains("id=\"ai-h\""));
    }
    assert!(dated >= 37, "dated {dated}/38");
    assert!(with_lessons >= 35, "lessons {with_lessons}/38");
    assert!(with_items >= 36, "action items {with_items}/38");

    let p503 =
        read(out.join("incidents/pm2021-005-all-services-returning-503-in-kubernetes/index.html"));
    assert!(p503.contains("All services returning 503 in Kubernetes"));
    assert!(p503.contains("datetime=\"2021-06-22\""));
    // Timeline in UTC read into timestamps: started 08:21, resolved 08:46.
    assert!(
        p503.contains("2021-06-22T08:21:00+00:00"),
        "started from the timeline"
    );
    assert!(p503.contains("25m"), "duration from the timeline");
    // The three 503 incidents relate to each other through their shared category tag.
    assert!(read(out.join("tags/kubernetes/index.html")).contains("pm2021-006"));
}

/// The site is not content, wherever `--output` puts it: a knowledge base without content/
/// (the root is read) built into `site/` checks and rebuilds without reading the site
/// (issue 15, point 1: `kb check` once warned about 24 files there).
#[test]
fn a_site_built_inside_the_root_is_never_read_as_content() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::write(
        root.join("2024-01-02-db.md"),
        "---\nseverity: SEV2\n---\n# Database down\n\nIt was down.\n",
    )
    .unwrap();
    build(root, &root.join("site"), &[]);
    assert!(root.join("site/.kb-output").is_file());
    let out = kb()
        .args(["check", "--format", "json", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let about_site: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().unwrap_or("").starts_with("site"))
        .collect();
    assert!(about_site.is_empty(), "{about_site:#?}");
    let again = build(root, &root.join("site"), &[]);
    assert!(again.contains("Built 1 incident,"), "{again}");
    assert!(!again.contains("site/"), "{again}");
}
