//! Machine-readable output through the real binary: `/incidents.json`, `/atom.xml` (read with a
//! real feed parser), `/sitemap.xml` (read as XML) and `kb export`, on the example knowledge
//! base plus postmortems written to test metrics, overdue items and escaping.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{build_site, copy_example, kb};
use serde_json::Value;

/// 2024-06-01: overdue is judged against this, not the day the test runs.
const EPOCH: &str = "1717200000";

const TIMED: &str = "---
id: timed-failover
title: Failover took an hour
date: 2024-05-02
severity: SEV2
services: [checkout]
tags: [database]
timestamps:
  started: 2024-05-02T10:00:00Z
  detected: 2024-05-02T10:07:00Z
  mitigated: 2024-05-02T11:30:00+01:00
  resolved: 2024-05-02T11:00:00Z
action_items:
  - title: Page on replica lag
    owner: ana
    status: open
    due: 2024-05-20
  - title: Document the failover
    status: done
    due: 2024-05-10
  - title: Rehearse failover quarterly
    owner: ben
    status: in-progress
    due: 2024-09-01
---
The primary failed over.
";

const DISORDERED: &str = "---
id: disordered
title: Clocks disagree
date: 2024-04-01
timestamps:
  started: 2024-04-01T10:00:00Z
  detected: 2024-04-01T09:00:00Z
  resolved: 2024-04-01T12:00:00Z
---
Detected before it started, says the file.
";

/// Text that must stay text everywhere: markup, an ampersand, quotes, a control character.
const HOSTILE: &str = "---
id: hostile
title: \"<script>alert(1)</script> & \\\"quotes\\\" \\u000b in </title>\"
date: 2024-03-01
authors: [\"<b>Bold</b> & co\"]
summary: \"]]> <![CDATA[ & &amp; <img src=x onerror=alert(1)>\"
---
Body.
";

fn knowledge_base(dir: &Path) {
    copy_example(dir);
    let extra = dir.join("content/extra");
    fs::create_dir_all(&extra).unwrap();
    fs::write(extra.join("2024-05-02-timed.md"), TIMED).unwrap();
    fs::write(extra.join("2024-04-01-disordered.md"), DISORDERED).unwrap();
    fs::write(extra.join("2024-03-01-hostile.md"), HOSTILE).unwrap();
}

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    knowledge_base(dir.path());
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    (dir, out)
}

fn record<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

#[test]
fn incidents_json_has_fields_metrics_and_overdue_items() {
    let (_dir, out) = built();
    let doc: Value =
        serde_json::from_slice(&fs::read(out.join("incidents.json")).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["as_of"], "2024-06-01");
    // The example's 13 and the 3 written here.
    assert_eq!(doc["incidents"].as_array().unwrap().len(), 16);

    let r = record(&doc, "timed-failover");
    assert_eq!(
        r["url"],
        "https://incidents.example.com/incidents/timed-failover/"
    );
    assert_eq!(r["path"], "content/extra/2024-05-02-timed.md");
    assert_eq!(r["severity"], "SEV2");
    assert_eq!(r["tags"], serde_json::json!(["database"]));
    // Offsets count: mitigated at 11:30+01:00 is 10:30Z.
    assert_eq!(r["timestamps"]["mitigated"], "2024-05-02T11:30:00+01:00");
    let m = &r["metrics"];
    assert_eq!(m["timestamps_out_of_order"], false);
    assert_eq!(m["time_to_detect_s"], 420);
    assert_eq!(m["time_to_mitigate_s"], 1800);
    assert_eq!(m["time_to_resolve_s"], 3600);
    assert_eq!(m["duration_s"], 3600);
    assert_eq!(m["action_items"], 3);
    assert_eq!(m["open_action_items"], 2);
    assert_eq!(m["overdue_action_items"], 1);
    let items = r["action_items"].as_array().unwrap();
    let overdue: Vec<(&str, bool)> = items
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap(),
                i["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [
            // Open and due before the build date.
            ("Page on replica lag", true),
            // Past due but done.
            ("Document the failover", false),
            // Open, due after the build date.
            ("Rehearse failover quarterly", false),
        ]
    );
    assert_eq!(items[0]["owner"], "ana");
    assert_eq!(items[0]["status"], "open");
    assert_eq!(items[0]["due"], "2024-05-20");

    // Out of order: no metric at all, never a negative duration.
    let r = record(&doc, "disordered");
    assert_eq!(r["metrics"]["timestamps_out_of_order"], true);
    for k in [
        "time_to_detect_s",
        "time_to_mitigate_s",
        "time_to_resolve_s",
    ] {
        assert_eq!(r["metrics"][k], Value::Null, "{k}");
    }

    // An example incident with a full timeline in +02:00.
    let r = record(&doc, "session-service-oom-after-runtime-upgrade");
    assert_eq!(r["timestamps"]["started"], "2026-07-08T09:10:00+02:00");
    assert_eq!(r["timestamps"]["detected"], "2026-07-08T10:02:00+02:00");
    assert_eq!(r["metrics"]["time_to_detect_s"], 52 * 60);
}

/// The incident page's action items: open and overdue counts, and the owner and due columns
/// shown only when some item has one (the counts kb gives the template, as the JSON has them).
#[test]
fn the_action_items_table_counts_and_columns() {
    let (dir, out) = built();
    let page =
        |id: &str| fs::read_to_string(out.join(format!("incidents/{id}/index.html"))).unwrap();
    let timed = page("timed-failover");
    assert!(timed.contains("2 open of 3</span>"), "{timed}");
    assert!(timed.contains("<span class=\"count count-danger\">1 overdue</span>"));
    assert!(timed.contains("<th scope=\"col\">Owner</th>"));
    assert!(timed.contains("<th scope=\"col\">Due</th>"));
    assert!(timed.contains("<span class=\"missing\">no owner</span>"));
    assert_eq!(timed.matches("overdue-label").count(), 1);

    // Items with neither owners nor due dates: the owner column stays (they are the
    // frontmatter's, so a missing owner is worth showing), the due column goes.
    let extra = dir.path().join("content/extra");
    fs::write(
        extra.join("2024-02-01-unowned.md"),
        "---\nid: unowned\ntitle: Nobody owns these\ndate: 2024-02-01\naction_items:\n  - title: Add an alert\n    status: open\n  - title: Write the runbook\n    status: done\n---\nBody.\n",
    )
    .unwrap();
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    let unowned = page("unowned");
    assert!(unowned.contains("1 open of 2</span>"), "{unowned}");
    assert!(!unowned.contains("count-danger"));
    assert!(unowned.contains("<th scope=\"col\">Owner</th>"));
    assert!(!unowned.contains("<th scope=\"col\">Due</th>"));
    assert_eq!(
        unowned
            .matches("<span class=\"missing\">no owner</span>")
            .count(),
        2
    );
}

#[test]
fn the_feed_reads_in_a_feed_parser_with_the_newest_incidents() {
    let (_dir, out) = built();
    let bytes = fs::read(out.join("atom.xml")).unwrap();
    // Well-formed XML 1.0 (roxmltree rejects characters XML forbids; feed parsers forgive).
    roxmltree::Document::parse(std::str::from_utf8(&bytes).unwrap()).expect("atom.xml is XML");
    let feed = feed_rs::parser::parse(&bytes[..]).expect("atom.xml parses as a feed");
    assert_eq!(feed.title.unwrap().content, "Acme incident knowledge base");
    let doc: Value =
        serde_json::from_slice(&fs::read(out.join("incidents.json")).unwrap()).unwrap();
    let dated: Vec<&Value> = doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["date"].is_null())
        .collect();
    assert_eq!(feed.entries.len(), dated.len().min(20));
    for (entry, r) in feed.entries.iter().zip(&dated) {
        assert_eq!(entry.links[0].href, r["url"].as_str().unwrap());
        let title = entry.title.as_ref().unwrap().content.clone();
        // XML cannot hold most control characters; the feed drops them.
        let written: String = r["title"]
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        assert!(title.ends_with(&written), "{title}");
        let updated = entry.updated.unwrap().date_naive().to_string();
        assert_eq!(updated, r["date"].as_str().unwrap());
    }
    // Markup in a postmortem is text in the feed: the parser gives it back as written, minus
    // the control character XML cannot hold.
    let hostile = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with("/incidents/hostile/"))
        .expect("the hostile incident is in the feed");
    assert_eq!(
        hostile.title.as_ref().unwrap().content,
        "<script>alert(1)</script> & \"quotes\"  in </title>"
    );
    assert_eq!(
        hostile.summary.as_ref().unwrap().content,
        "]]> <![CDATA[ & &amp; <img src=x onerror=alert(1)>"
    );
    assert_eq!(hostile.authors[0].name.as_deref(), Some("<b>Bold</b> & co"));
    // Pages announce the feed.
    let home = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains(r#"type="application/atom+xml""#));
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// (loc, lastmod) of every `<url>` of the site's sitemap, through its index when it has one.
fn sitemap_urls(out: &Path) -> Vec<(String, Option<String>)> {
    let text = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    let xml = roxmltree::Document::parse(&text).expect("sitemap.xml is XML");
    let root = xml.root_element();
    let child = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((SITEMAP_NS, name)))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    if root.has_tag_name((SITEMAP_NS, "sitemapindex")) {
        return root
            .children()
            .filter(|n| n.has_tag_name((SITEMAP_NS, "sitemap")))
            .flat_map(|n| {
                let loc = child(n, "loc").unwrap();
                let file = loc.strip_prefix("https://incidents.example.com/").unwrap();
                let text = fs::read_to_string(out.join(file)).unwrap();
                let part = roxmltree::Document::parse(&text).expect("a sitemap part is XML");
                assert!(part.root_element().has_tag_name((SITEMAP_NS, "urlset")));
                part.root_element()
                    .children()
                    .filter(|n| n.has_tag_name((SITEMAP_NS, "url")))
                    .map(|n| (child(n, "loc").unwrap(), child(n, "lastmod")))
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    assert!(root.has_tag_name((SITEMAP_NS, "urlset")));
    root.children()
        .filter(|n| n.has_tag_name((SITEMAP_NS, "url")))
        .map(|n| (child(n, "loc").unwrap(), child(n, "lastmod")))
        .collect()
}

/// The site's HTML pages (but the 404) as absolute URLs.
fn pages(out: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() == "index.html")
        .map(|e| {
            let rel = e.path().parent().unwrap().strip_prefix(out).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            let url = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            format!("https://incidents.example.com/{url}")
        })
        .collect()
}

#[test]
fn the_sitemap_lists_every_page_once_with_absolute_urls() {
    let (dir, out) = built();
    let urls = sitemap_urls(&out);
    let unique: BTreeSet<String> = urls.iter().map(|u| u.0.clone()).collect();
    assert_eq!(unique.len(), urls.len(), "duplicates in the sitemap");
    assert_eq!(unique, pages(&out));
    let lastmod = urls
        .iter()
        .find(|u| u.0 == "https://incidents.example.com/incidents/timed-failover/")
        .and_then(|u| u.1.clone());
    assert_eq!(lastmod.as_deref(), Some("2024-05-02"));

    // Past the per-file limit (50,000; lowered here) sitemap.xml becomes an index of parts
    // holding the same URLs.
    let split = dir.path().join("split");
    build_site(dir.path(), &split, &[("KB_SITEMAP_URLS", "10")]);
    let text = fs::read_to_string(split.join("sitemap.xml")).unwrap();
    assert!(text.contains("<sitemapindex"), "{text}");
    let parts = sitemap_urls(&split);
    assert_eq!(parts, urls);
    assert!(split.join("sitemap-2.xml").is_file());
}

#[test]
fn export_prints_the_same_records_as_the_site() {
    let (dir, out) = built();
    let doc: Value =
        serde_json::from_slice(&fs::read(out.join("incidents.json")).unwrap()).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kb"));
    cmd.args(["export", "--root"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", EPOCH);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(&Value::from(lines), &doc["incidents"]);
    // Similar incidents are found as the build finds them.
    assert!(
        !doc["incidents"][0]["similar"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no similar incidents in {}",
        doc["incidents"][0]
    );
    // --json is the whole document.
    let o = kb(dir.path(), &["export", "--json"]);
    let whole: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(whole["incidents"].as_array().unwrap().len(), 16);
    // Exporting writes nothing: the folder holds the same files, unchanged, afterwards.
    let snapshot = |root: &Path| -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.path().to_path_buf(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect()
    };
    let before = snapshot(dir.path());
    kb(dir.path(), &["export"]);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn export_reports_bad_postmortems_and_wrong_roots() {
    let dir = tempfile::tempdir().unwrap();
    knowledge_base(dir.path());
    fs::write(
        dir.path().join("content/extra/bad.md"),
        "---\ntitle: Bad\ndate: 2024-13-45\n---\nBody\n",
    )
    .unwrap();
    let o = kb(dir.path(), &["export"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "a failed export prints no records");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("content/extra/bad.md:3:"), "{err}");
    let o = kb(&dir.path().join("nowhere"), &["export"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Below `KB_DATA_PART_BYTES` (16 MiB by default) `/incidents.json` holds every record; above
/// it, it lists parts of at most that size, which hold the same records in the same order.
#[test]
fn incidents_json_splits_into_parts_above_the_limit() {
    let (dir, out) = built();
    let whole: Value =
        serde_json::from_slice(&fs::read(out.join("incidents.json")).unwrap()).unwrap();
    assert_eq!(whole["parts"], serde_json::json!([]));
    let records = whole["incidents"].as_array().unwrap().clone();
    assert_eq!(whole["count"], records.len());
    assert!(!out.join("data").exists(), "no parts below the limit");
    // The same document `kb export --json` prints.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["export", "--json", "--root"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap(), whole);

    // Exactly at the file's size it stays whole; a byte less splits it.
    let size = fs::metadata(out.join("incidents.json")).unwrap().len() as usize;
    let at = dir.path().join("at");
    build_site(
        dir.path(),
        &at,
        &[
            ("SOURCE_DATE_EPOCH", EPOCH),
            ("KB_DATA_PART_BYTES", &size.to_string()),
        ],
    );
    assert_eq!(fs::read(at.join("incidents.json")).unwrap().len(), size);
    let below = dir.path().join("below");
    build_site(
        dir.path(),
        &below,
        &[
            ("SOURCE_DATE_EPOCH", EPOCH),
            ("KB_DATA_PART_BYTES", &(size - 1).to_string()),
        ],
    );
    let index: Value =
        serde_json::from_slice(&fs::read(below.join("incidents.json")).unwrap()).unwrap();
    assert_eq!(index["parts"].as_array().unwrap().len(), 2, "{index}");

    let limit = size / 4;
    let split = dir.path().join("split");
    build_site(
        dir.path(),
        &split,
        &[
            ("SOURCE_DATE_EPOCH", EPOCH),
            ("KB_DATA_PART_BYTES", &limit.to_string()),
        ],
    );
    let index: Value =
        serde_json::from_slice(&fs::read(split.join("incidents.json")).unwrap()).unwrap();
    assert!(index.get("incidents").is_none(), "{index}");
    assert_eq!(index["count"], records.len());
    assert_eq!(index["version"], whole["version"]);
    assert_eq!(index["site"], whole["site"]);
    let parts: Vec<String> = index["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert!(parts.len() >= 4, "{parts:?}");
    let mut joined = Vec::new();
    for (n, p) in parts.iter().enumerate() {
        assert_eq!(p, &format!("data/incidents-{:04}.json", n + 1));
        let bytes = fs::read(split.join(p)).unwrap();
        let part: Value = serde_json::from_slice(&bytes).unwrap();
        let slice = part["incidents"].as_array().unwrap();
        assert_eq!(part["count"], slice.len());
        assert!(
            bytes.len() <= limit || slice.len() == 1,
            "{p}: {} bytes, limit {limit}",
            bytes.len()
        );
        joined.extend(slice.iter().cloned());
    }
    assert_eq!(joined, records);
}
