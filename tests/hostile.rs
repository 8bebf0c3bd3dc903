//! Postmortems written by an attacker, through the real binary: no script or page-covering
//! style reaches a page, `kb check` reports each removal at its line, a body nested deep
//! enough to make sanitizing quadratic is refused with a located error, quickly, and thousands
//! of keys are reported in a bounded list, quickly.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{kb, repo};
use serde_json::Value;

const SITE: &str = "title = \"Hostile\"\n";

fn hostile_kb(dir: &Path) {
    fs::create_dir_all(dir.join("content")).unwrap();
    fs::write(dir.join("site.toml"), SITE).unwrap();
    common::copy_dir(&repo().join("tests/fixtures/hostile"), &dir.join("content"));
}

/// The line of a fixture that contains `needle` (1-based).
fn line_of(file: &str, needle: &str) -> usize {
    let text = fs::read_to_string(repo().join("tests/fixtures/hostile").join(file)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the fixture"))
        + 1
}

#[test]
fn no_script_or_style_from_a_postmortem_reaches_its_page() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_kb(tmp.path());
    let out = kb(tmp.path(), &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let page = |id: &str| {
        fs::read_to_string(tmp.path().join(format!("public/incidents/{id}/index.html"))).unwrap()
    };
    let (markdown, html) = (page("hostile"), page("hostile-html"));
    for page in [&markdown, &html] {
        assert_safe(page);
    }
    // What is safe stays: heading ids and classes, the link texts, table alignment, details.
    let body = &markdown;
    assert!(body.contains("<h2 id=\"timeline\">"), "{body}");
    assert!(
        body.contains("<h2 id=\"details\" class=\"note\">"),
        "{body}"
    );
    assert!(
        body.contains("runbook") && body.contains("reference"),
        "{body}"
    );
    assert!(body.contains("style=\"text-align: right\""), "{body}");
    let body = &html;
    assert!(
        body.contains("<details open=\"\"><summary>More</summary>"),
        "{body}"
    );
    assert!(body.contains(">covered<"), "{body}");
    for body in [&markdown, &html] {
        assert!(
            body.contains("href=\"https://example.com/runbook\""),
            "{body}"
        );
    }
}

/// No handler, script, page-covering style or other scheme in the body of a built page.
fn assert_safe(page: &str) {
    let start = page.find("<div class=\"prose\">").expect("body rendered");
    let end = start + page[start..].find("relative one").unwrap();
    let body = &page[start..end];
    let lower = body.to_ascii_lowercase();
    // Every URL left in an attribute is a web, mail or relative one (a removed autolink's
    // text stays as text).
    for attr in ["href=\"", "src=\""] {
        for (i, _) in lower.match_indices(attr) {
            let value = &lower[i + attr.len()..];
            let value = &value[..value.find('"').unwrap()];
            assert!(
                value.starts_with("https://") || value.starts_with('#') || !value.contains(':'),
                "{attr}{value}\" reached the page"
            );
        }
    }
    for banned in [
        "=\"javascript",
        "java\tscript",
        "jav&#x09;ascript",
        "&#74;avascript",
        "onfocus",
        "onmouseover",
        "onerror",
        "ontoggle",
        "autofocus",
        "tabindex",
        "position:fixed",
        "<script",
        "<iframe",
        "example.invalid",
    ] {
        assert!(
            !lower.contains(banned),
            "`{banned}` reached the page:\n{body}"
        );
    }
}

#[test]
fn check_reports_each_removal_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    hostile_kb(tmp.path());
    let out = kb(tmp.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let removals: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "sanitized")
        .map(|d| {
            assert_eq!(d["level"], "warning");
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("## Timeline {", "heading attribute `autofocus`"),
        ("## Timeline {", "heading attribute `onfocus`"),
        ("## Timeline {", "heading attribute `tabindex`"),
        ("## Details {", "heading attribute `onmouseover`"),
        ("## Details {", "heading attribute `style`"),
        ("A [runbook]", "link `JavaScript:alert('link')`"),
        ("A [runbook]", "link `Javascript:alert('reference')`"),
        ("An autolink", "link `JavaScript:alert('autolink')`"),
        ("An autolink", "image `JavaScript:alert('image')`"),
        ("An [encoded]", "link `Javascript:alert('entity')`"),
        ("An [encoded]", "link `java\\tscript:alert('tab')`"),
        ("<table>", "attribute `style` from `<td>`"),
        ("<img src=\"x\"", "attribute `onerror` from `<img>`"),
        ("html link", "`href` from `<a>`: the scheme `javascript:`"),
        ("spaced", "`href` from `<a>`: the scheme `javascript:`"),
        ("<svg>", "tag `<svg>`"),
        ("<svg>", "`<script>` and its content"),
        ("<svg>", "tag `<iframe>`"),
        ("ontoggle", "attribute `ontoggle` from `<details>`"),
    ];
    for (line_text, what) in expect {
        let file = if line_text.starts_with('<')
            || line_text == "ontoggle"
            || line_text == "html link"
            || line_text == "spaced"
        {
            "html.md"
        } else {
            "markdown.md"
        };
        let line = line_of(file, line_text) as u64;
        let path = format!("content/{file}");
        assert!(
            removals
                .iter()
                .any(|(f, l, m)| *f == path && *l == line && m.contains(what)),
            "no removal `{what}` at {path}:{line}: {removals:#?}"
        );
    }
    assert_eq!(removals.len(), expect.len(), "{removals:#?}");
    // Nothing safe is reported.
    assert!(
        !removals
            .iter()
            .any(|(_, _, m)| m.contains("example.com") || m.contains("#details")),
        "{removals:#?}"
    );
}

/// A body of lists nested `depth` levels, one per line.
fn nested_list(depth: usize) -> String {
    let mut s = String::from("---\ndate: 2024-01-01\n---\n# Deep\n\n");
    for i in 0..depth {
        s.push_str(&"  ".repeat(i));
        s.push_str("- item\n");
    }
    s
}

#[test]
fn deep_nesting_is_a_located_error_and_fast() {
    let cases = [
        // Lists holding an HTML element, the shape that took 57 s to sanitize.
        (
            "list",
            format!(
                "---\ndate: 2024-01-01\n---\n{}item <div>\n",
                "- ".repeat(80_000)
            ),
        ),
        (
            "quote",
            format!("---\ndate: 2024-01-01\n---\n{}deep\n", "> ".repeat(50_000)),
        ),
        (
            "html",
            format!(
                "---\ndate: 2024-01-01\n---\nText.\n\n{}\n",
                "<div>".repeat(100_000)
            ),
        ),
    ];
    for (name, body) in cases {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("content")).unwrap();
        fs::write(tmp.path().join("content/deep.md"), &body).unwrap();
        let start = Instant::now();
        let out = kb(tmp.path(), &["build"]);
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("nest deeper than 100 levels") && stderr.contains("content/deep.md:"),
            "{name}: {stderr}"
        );
        assert!(
            !tmp.path().join("public").exists(),
            "{name}: nothing written"
        );
        // Not a timing assertion on speed, a guard against the minutes it used to take.
        assert!(took < Duration::from_secs(60), "{name} took {took:?}");
    }
}

#[test]
fn nesting_at_the_limit_builds() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("content")).unwrap();
    // 48 list levels, each a list and an item: 96 levels with the paragraph inside.
    let mut body = String::from("---\ndate: 2024-01-01\n---\n# Deep\n\n");
    for i in 0..48 {
        body.push_str(&"  ".repeat(i));
        body.push_str("- item\n");
    }
    fs::write(tmp.path().join("content/deep.md"), &body).unwrap();
    let out = kb(tmp.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(tmp.path().join("content/deep.md"), nested_list(60)).unwrap();
    let out = kb(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
}

/// A frontmatter of thousands of unknown or repeated keys, and a site.toml with one line of
/// thousands of values: each problem was located by reading the file from its start (53 s for
/// 80,000 keys, 8 s for 0.8 MB of site.toml in a release build). Now linear: the first 100
/// problems of a file are reported in full and the rest counted, an error still failing the
/// build.
/// `kb check --format json` on a knowledge base of `site.toml` and one postmortem: its exit
/// code and diagnostics, after the guard against the minutes quadratic checking took.
fn checked_quickly(name: &str, site: &str, postmortem: &str) -> (Option<i32>, Vec<Value>) {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("content")).unwrap();
    fs::write(tmp.path().join("site.toml"), site).unwrap();
    fs::write(tmp.path().join("content/many.md"), postmortem).unwrap();
    reported_quickly(name, tmp.path())
}

/// `kb check --format json` on the knowledge base at `root`: its exit code and diagnostics.
fn reported_quickly(name: &str, root: &Path) -> (Option<i32>, Vec<Value>) {
    let start = Instant::now();
    let out = kb(root, &["check", "--format", "json"]);
    let took = start.elapsed();
    // Not a timing assertion on speed, a guard against the minutes it used to take.
    assert!(took < Duration::from_secs(60), "{name} took {took:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap().clone();
    (out.status.code(), diags)
}

#[test]
fn thousands_of_keys_are_reported_in_a_bounded_list_quickly() {
    let front = |lines: String| format!("---\ntitle: Many\ndate: 2024-01-01\n{lines}---\nBody.\n");
    let lines = |n: usize, line: &dyn Fn(usize) -> String| (0..n).map(line).collect::<String>();
    let one = front(String::new());
    let values: Vec<String> = (0..80_000).map(|i| format!("\"w{i}\"")).collect();
    // (case, site.toml, postmortem, exit code, the diagnostic that counts the rest, the
    // message of the ones shown and how many)
    let cases = [
        (
            "unknown keys",
            SITE.to_string(),
            front(lines(30_000, &|i| format!("extra_{i}: v\n"))),
            0,
            Some("29900 more problems in this frontmatter, not shown"),
            ("unknown frontmatter key `extra_", 100),
        ),
        (
            "repeated keys",
            SITE.to_string(),
            front(lines(30_000, &|_| "title: Again\n".to_string())),
            1,
            Some("29900 more duplicate keys, not shown"),
            ("duplicate key `title`", 100),
        ),
        (
            "ownerless action items",
            SITE.to_string(),
            front(format!(
                "action_items:\n{}",
                lines(20_000, &|i| format!(
                    "  - title: Fix {i}\n    status: open\n"
                ))
            )),
            0,
            Some("19900 more action item warnings, not shown"),
            ("without an owner", 100),
        ),
        (
            "site.toml keys",
            format!("{SITE}{}", lines(30_000, &|i| format!("extra_{i} = 1\n"))),
            one.clone(),
            0,
            Some("29900 more unknown keys, not shown"),
            ("unknown key `extra_", 100),
        ),
        (
            "broken body links",
            SITE.to_string(),
            format!(
                "{one}{}",
                lines(20_000, &|i| format!("See [x](../nope-{i}.md).\n\n"))
            ),
            1,
            Some("19900 more broken links, not shown"),
            ("which is not a postmortem in this knowledge base", 100),
        ),
        (
            "unknown related ids",
            SITE.to_string(),
            front(format!(
                "related: [{}]\n",
                (0..20_000)
                    .map(|i| format!("nope-{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            1,
            Some("19900 more broken links, not shown"),
            ("unknown incident id `nope-", 100),
        ),
        (
            "missing images",
            SITE.to_string(),
            format!(
                "{one}{}",
                lines(20_000, &|i| format!("![graph](img/nope-{i}.png)\n\n"))
            ),
            1,
            Some("19900 more missing images and attachments, not shown"),
            ("the image `img/nope-", 100),
        ),
        (
            "site.toml values on one line",
            format!("{SITE}extra = [{}]\n", values.join(", ")),
            one,
            0,
            None,
            ("unknown key `extra`", 1),
        ),
    ];
    for (name, site, postmortem, code, counted, (shown, times)) in cases {
        let (status, diags) = checked_quickly(name, &site, &postmortem);
        let message = |d: &Value| d["message"].as_str().unwrap().to_string();
        let all: Vec<String> = diags.iter().map(message).collect();
        assert_eq!(status, Some(code), "{name}: {all:?}");
        // The ones shown, each at its place (after the site.toml's `title` line, or the
        // frontmatter's title and date); the one-line site.toml's key on its line 2.
        let located: Vec<(u64, u64)> = diags
            .iter()
            .filter(|d| message(d).contains(shown))
            .map(|d| (d["line"].as_u64().unwrap(), d["col"].as_u64().unwrap()))
            .collect();
        assert_eq!(located.len(), times, "{name}: {all:?}");
        assert!(
            located.iter().all(|&(l, c)| l >= 2 && c >= 1),
            "{name}: {located:?}"
        );
        if name == "site.toml values on one line" {
            assert_eq!(located, [(2, 1)]);
        }
        if let Some(counted) = counted {
            assert!(
                all.iter().any(|m| m.starts_with(counted)),
                "{name}: {all:?}"
            );
        }
    }
}

/// A broken `[[link]]` and a tag `site.toml` does not name in every postmortem (a wiki copied
/// in, its pages left behind): each one's "did you mean" compared it with every id or every
/// configured tag, so 2,000 postmortems took 16 s and 8 s (release) and the work grew with the
/// square of their number. The first 100 of a run get a suggestion; the rest say how to fix
/// it without one.
#[test]
fn a_broken_link_and_unknown_tag_in_every_postmortem_are_checked_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    fs::create_dir_all(&content).unwrap();
    let tags: String = (0..20_000)
        .map(|i| format!("[tags.configured-tag-{i}]\n"))
        .collect();
    fs::write(tmp.path().join("site.toml"), format!("{SITE}{tags}")).unwrap();
    let n = 2_000;
    for i in 0..n {
        // The newest links to a misspelt id and comes first: it gets a suggestion.
        let (date, link) = match i {
            0 => ("2024-02-01", "db-outage-number-1x".to_string()),
            _ => ("2024-01-01", format!("wiki-page-about-something-{i}")),
        };
        fs::write(
            content.join(format!("db-outage-number-{i}.md")),
            format!(
                "---\ntitle: Outage {i}\ndate: {date}\ntags: [wiki-{i}]\n---\nSee [[{link}]].\n"
            ),
        )
        .unwrap();
    }
    let (code, diags) = reported_quickly("a broken link in every postmortem", tmp.path());
    let broken: Vec<&Value> = diags
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .unwrap()
                .starts_with("link to unknown")
        })
        .collect();
    assert_eq!(code, Some(1));
    assert_eq!(broken.len(), n, "each file's one broken link is shown");
    let hint = |d: &Value| d["hint"].as_str().unwrap_or_default().to_string();
    let misspelt = broken
        .iter()
        .find(|d| d["file"].as_str().unwrap().ends_with("number-0.md"))
        .unwrap();
    assert_eq!(hint(misspelt), "did you mean `[[db-outage-number-1]]`?");
    assert!(broken.iter().all(|d| d["line"].as_u64() == Some(6)));
    let unknown_tags = diags
        .iter()
        .filter(|d| d["code"] == "unknown-tag" && d["line"] == 4)
        .count();
    assert_eq!(unknown_tags, n);
    assert!(
        broken
            .iter()
            .filter(|d| hint(d) == "check the incident id")
            .count()
            >= n - 100
    );
}

/// Thousands of configured synonym groups: each was merged by comparing it with every group
/// before it, on every `kb search` and build (20,000 took 2.5 s a search in a release build).
#[test]
fn thousands_of_synonym_groups_search_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("content")).unwrap();
    let groups: String = (0..40_000)
        .map(|i| format!("  [\"word{i}a\", \"word{i}b\"],\n"))
        .collect();
    // The last two join the first through a shared word.
    let site = format!(
        "{SITE}[search]\nsynonyms = [\n{groups}  [\"word0b\", \"fizzle\"],\n  [\"fizzle\", \"sputter\"],\n]\n"
    );
    fs::write(tmp.path().join("site.toml"), site).unwrap();
    fs::write(
        tmp.path().join("content/flaky.md"),
        "---\ntitle: Flaky\ndate: 2024-01-01\n---\nThe queue would word0a under load.\n",
    )
    .unwrap();
    let start = Instant::now();
    let out = kb(tmp.path(), &["search", "--json", "sputter"]);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let found: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(found["hits"][0]["id"], "flaky", "{stdout}");
}
