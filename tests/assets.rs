//! Images and attachments next to a postmortem (issue 15, point 4): copied beside its page
//! once, links rewritten where the file sits above the postmortem's folder, a missing one an
//! error at its line; other files under content/ are attachments, not warnings.

mod common;

use std::fs;
use std::path::Path;

use common::{build_site, copy_dir, kb, repo};
use serde_json::Value;

fn fixture(to: &Path) {
    copy_dir(&repo().join("tests/fixtures/assets-kb"), to);
}

#[test]
fn linked_images_and_attachments_are_copied_beside_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fixture(&root);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    let page_dir = site.join("incidents/2024-03-01-db-outage");
    let page = fs::read_to_string(page_dir.join("index.html")).unwrap();
    for (src, file) in [
        ("assets/latency.png", "content/2024/assets/latency.png"),
        ("screenshot.png", "content/2024/screenshot.png"),
        (
            "_up/_up/assets/images/arch%20diagram.png",
            "assets/images/arch diagram.png",
        ),
    ] {
        assert!(page.contains(&format!("src=\"{src}\"")), "{src}: {page}");
        let copied = page_dir.join(
            percent_encoding::percent_decode_str(src)
                .decode_utf8()
                .unwrap()
                .as_ref(),
        );
        assert_eq!(
            fs::read(&copied).unwrap(),
            fs::read(root.join(file)).unwrap(),
            "{src}"
        );
    }
    assert!(page.contains("href=\"assets/errors.log#L1\""), "{page}");
    assert!(page_dir.join("assets/errors.log").is_file());
    // A text file in an attachment folder is an attachment, not an incident of its own.
    assert!(page.contains("href=\"assets/notes.txt\""), "{page}");
    assert!(page_dir.join("assets/notes.txt").is_file());
    assert!(!site.join("incidents/notes").exists());
    // The same bytes on a second build.
    let again = tmp.path().join("again");
    build_site(&root, &again, &[]);
    assert_eq!(
        fs::read(page_dir.join("assets/latency.png")).unwrap(),
        fs::read(again.join("incidents/2024-03-01-db-outage/assets/latency.png")).unwrap()
    );
    // The images and the log under content/ are attachments: no "not a Markdown file".
    let out = kb(&root, &["check", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["message"].as_str().unwrap().contains("not a Markdown"))
            .count(),
        0,
        "{v:#}"
    );
}

#[test]
fn a_missing_image_or_attachment_is_an_error_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fixture(&root);
    fs::write(
        root.join("content/2024/2024-03-02-gone.md"),
        "---\ndate: 2024-03-02\n---\n# Gone\n\nSee ![graph](assets/missing.png)\nand [the dump](dumps/core.txt.gz) and ![secret](../../../outside.png).\n",
    )
    .unwrap();
    let out = kb(&root, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == "content/2024/2024-03-02-gone.md" && d["level"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("broken-image".to_string(), 6, 5),
            ("broken-attachment".to_string(), 7, 5),
            ("broken-image".to_string(), 7, 39),
        ],
        "{v:#}"
    );
    let build = kb(&root, &["build"]);
    assert_eq!(build.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&build.stderr)
            .contains("the image `assets/missing.png` does not exist")
    );
}
