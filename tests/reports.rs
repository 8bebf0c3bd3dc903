//! The pages that read across incidents (lessons, action items, insights, tag and service
//! figures), built by the real binary from a small knowledge base whose numbers are known.

mod common;

use std::fs;
use std::path::Path;

use common::build_site;

/// 2024-06-01: overdue is judged against this.
const EPOCH: &str = "1717200000";

const SITE: &str = r#"
title = "Reports test"
base_url = "https://kb.example.com/"
[severity]
levels = ["SEV1", "SEV2", "SEV3"]
"#;

fn incident(id: &str, front: &str) -> String {
    format!("---\nid: {id}\n{front}---\nBody of {id}.\n")
}

fn knowledge_base(root: &Path) {
    fs::write(root.join("site.toml"), SITE).unwrap();
    let c = root.join("content");
    fs::create_dir_all(&c).unwrap();
    let files = [
        (
            "a",
            "title: Primary failed\ndate: 2024-01-10\nseverity: SEV1\ntags: [db]\n\
             timestamps:\n  started: 2024-01-10T00:00:00Z\n  detected: 2024-01-10T00:10:00Z\n  \
             mitigated: 2024-01-10T00:30:00Z\n  resolved: 2024-01-10T01:00:00Z\n\
             lessons:\n  - Alert on the cause, not only on the symptoms.\n\
             action_items:\n  - {title: Page on replica lag, owner: ana, status: open, due: 2024-02-01}\n  \
             - {title: Write the runbook, owner: ben, status: done}\n",
        ),
        (
            "b",
            "title: Replica lag\ndate: 2024-02-10\nseverity: SEV2\ntags: [db]\n\
             services: [db-proxy]\nsymptoms: [replica lag above 300s]\n\
             timestamps:\n  started: 2024-02-10T00:00:00Z\n  resolved: 2024-02-10T02:00:00Z\n\
             lessons:\n  - Alert on the causes, not just the symptoms.\n\
             action_items:\n  - {title: Nobody owns this, status: open, due: 2024-12-01}\n",
        ),
        (
            "c",
            "title: Network partition\ndate: 2024-03-10\nseverity: SEV2\ntags: [db, network]\n\
             timestamps:\n  started: 2024-03-10T00:00:00Z\n  resolved: 2024-03-10T10:00:00Z\n\
             lessons:\n  - \"<script>alert(1)</script> stays text\"\n",
        ),
        ("d", "title: No timeline\ndate: 2024-03-20\ntags: [db]\n"),
        (
            "f",
            "title: Lag again\ndate: 2024-04-01\nservices: [db-proxy]\n\
             symptoms: [replica lag above 300s]\n",
        ),
        (
            "e",
            "title: Almost again\nnear_miss: true\ntags: [network]\nrecurrence_of: a\n",
        ),
    ];
    for (id, front) in files {
        fs::write(c.join(format!("{id}.md")), incident(id, front)).unwrap();
    }
}

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    knowledge_base(dir.path());
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    (dir, out)
}

fn page(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path).join("index.html")).unwrap()
}

/// The text of the element starting at `marker`, tags stripped and spaces collapsed.
fn text_after(html: &str, marker: &str, len: usize) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in page"));
    // From the end of the tag holding the marker.
    let start = at + html[at..].find('>').map_or(0, |i| i + 1);
    let mut out = String::new();
    let mut in_tag = false;
    for c in html[start..].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
        if out.len() > len * 2 {
            break;
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut joined = words.join(" ");
    for p in [":", ";", ",", ".", ")"] {
        joined = joined.replace(&format!(" {p}"), p);
    }
    joined.chars().take(len).collect()
}

#[test]
fn tag_pages_give_median_and_p90_and_say_what_was_left_out() {
    let (_dir, out) = built();
    let db = page(&out, "tags/db");
    // Time to resolve over a, b, c: 1h, 2h, 10h; d has no timestamps.
    let stats = text_after(&db, "class=\"figures\"", 400);
    assert!(stats.contains("Incidents 4"), "{stats}");
    assert!(
        stats.contains("Time to resolve 2h median · p90 10h"),
        "{stats}"
    );
    // Time to detect: only a has it (10m).
    assert!(
        stats.contains("Time to detect 10m median · p90 10m"),
        "{stats}"
    );
    assert!(
        db.contains("time to detect 1 of 4, time to mitigate 1 of 4, time to resolve 3 of 4"),
        "the page says how many were left out"
    );
    // Severities, co-occurring tags, lessons and open items of the tag.
    let sev = text_after(&db, "class=\"severity-breakdown\"", 60);
    assert!(
        sev.starts_with("SEV1 1 SEV2 2 none 1 Incidents per month"),
        "{sev}"
    );
    assert!(text_after(&db, "Often together with", 40).contains("network 1"));
    assert!(db.contains("Nobody owns this"));
    assert!(db.contains("Page on replica lag"));
    assert!(
        !db.contains("Write the runbook"),
        "done items are not open items"
    );
    // Charts: SVG with a title and description, numbers in a table.
    assert!(db.contains(r#"role="img" aria-labelledby="tag-db-months-t""#));
    let months = text_after(&db, "id=\"tag-db-months-d\"", 120);
    assert!(
        months.starts_with(
            "4 incidents from Jan 2024 to Mar 2024; the busiest month was Mar 2024 (2)."
        ),
        "{months}"
    );
}

#[test]
fn insights_show_recurrences_near_misses_and_undated_incidents() {
    let (_dir, out) = built();
    let p = page(&out, "insights");
    let months = text_after(&p, "id=\"all-months-d\"", 200);
    assert!(
        months.contains("5 incidents from Jan 2024 to Apr 2024")
            && months.contains("1 undated incident is not shown."),
        "{months}"
    );
    let chain = text_after(&p, "class=\"chain\"", 80);
    assert!(
        chain.starts_with("Primary failed 10 Jan 2024 Almost again"),
        "{chain}"
    );
    assert!(text_after(&p, "id=\"near-h\"", 40).contains("Almost again"));
    // Same symptom on a shared service, not marked: a likely recurrence.
    let likely = text_after(&p, "id=\"likely-h\"", 400);
    assert!(
        likely
            .contains("Lag again 1 Apr 2024 ← looks like a recurrence of Replica lag 10 Feb 2024"),
        "{likely}"
    );
    assert!(
        likely.contains("same symptom: replica lag above 300s"),
        "{likely}"
    );
    // Durations as a distribution with median and p90, not a mean.
    let ttr = text_after(&p, "id=\"all-ttr-d\"", 120);
    assert!(
        ttr.starts_with(
            "3 incidents: median 2h, p90 10h, longest 10h. 3 without the timestamps are left out."
        ),
        "{ttr}"
    );
    // The home page carries the headline and links here.
    let home = page(&out, "");
    assert!(home.contains("href=\"insights/\""));
    assert!(
        text_after(&home, "<dt>Time to resolve</dt>", 40)
            .starts_with("Time to resolve 2h median · p90 10h")
    );
}

#[test]
fn action_items_are_sorted_overdue_first_and_ownerless_ones_called_out() {
    let (_dir, out) = built();
    let p = page(&out, "action-items");
    let stats = text_after(&p, "<dl class=\"stats\">", 160);
    assert!(
        stats.starts_with(
            "Overdue 1 Open 1 In progress 0 Done 1 33% of all Open without an owner 1"
        ),
        "{stats}"
    );
    let overdue = text_after(&p, "id=\"overdue\"", 200);
    assert!(
        overdue.contains("Page on replica lag ana overdue · open 1 Feb 2024 Primary failed"),
        "{overdue}"
    );
    let no_owner = text_after(&p, "id=\"no-owner\"", 300);
    assert!(
        no_owner.contains("Nobody owns this no owner open 1 Dec 2024 Replica lag"),
        "{no_owner}"
    );
    let owners = text_after(&p, "id=\"owners\"", 300);
    // Owner, items, done, open, overdue, follow-through.
    assert!(owners.contains("ana 1 0 1 1 0%"), "{owners}");
    assert!(owners.contains("ben 1 1 0 0 100%"), "{owners}");
    assert!(owners.contains("no owner 1 0 1 0 0%"), "{owners}");
    // Every closed item has a page of its own.
    let closed = page(&out, "action-items/closed");
    let rows = text_after(&closed, "<tbody>", 200);
    assert!(
        rows.starts_with("Write the runbook ben done Primary failed"),
        "{rows}"
    );
}

#[test]
fn recurring_lessons_are_grouped_and_stay_text() {
    let (_dir, out) = built();
    let p = page(&out, "lessons");
    let recurring = text_after(&p, "id=\"recurring-h\"", 300);
    assert!(
        recurring.contains("Keep coming back 1 Alert on the causes, not just the symptoms. 2 incidents: Replica lag (10 Feb 2024); Primary failed (10 Jan 2024)"),
        "{recurring}"
    );
    assert!(!p.contains("<script>alert(1)"));
    assert!(p.contains("&lt;script&gt;alert(1)&lt;/script&gt; stays text"));
    // Each lesson once, though its incident has two tags (issue 18, point 3); with its tag
    // chips and a list of tags to jump to.
    assert_eq!(p.matches("stays text").count(), 1, "{p}");
    let lesson = text_after(&p, "class=\"lesson-tag\"", 200);
    assert!(
        lesson.starts_with("network 1 &lt;script&gt;alert(1)&lt;/script&gt; stays text Network partition (10 Mar 2024) network db"),
        "{lesson}"
    );
    assert!(p.contains("aria-label=\"Lessons by tag\""));
    // Both tags still list it on their pages.
    for tag in ["tags/db", "tags/network"] {
        assert!(page(&out, tag).contains("stays text"), "{tag}");
    }
}

#[test]
fn no_lesson_heading_stands_empty() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("site.toml"), SITE).unwrap();
    fs::create_dir_all(dir.path().join("content")).unwrap();
    fs::write(
        dir.path().join("content/x.md"),
        incident(
            "x",
            "title: Once\ndate: 2024-03-20\ntags: [db]\nlessons:\n  - Only this once.\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    let p = page(&out, "lessons");
    assert!(
        !p.contains("Keep coming back"),
        "no recurring lesson, no heading"
    );
    assert!(text_after(&p, "id=\"by-tag-h\"", 60).starts_with("By tag db 1 Only this once."));
}

#[test]
fn charts_without_data_say_so() {
    let (_dir, out) = built_from(&[("x", "title: No timeline\ndate: 2024-03-20\n")]);
    let p = page(&out, "insights");
    let ttr = text_after(&p, "id=\"all-ttr\"", 120);
    assert!(
        ttr.starts_with("Time to resolve No incident here has the timestamps for this (1 left out). Durations count"),
        "{ttr}"
    );
    assert!(!text_after(&p, "id=\"all-ttr\"", 400).contains("The numbers"));
    assert!(text_after(&p, "id=\"triggers\"", 60).contains("No trigger recorded."));
    let l = page(&out, "lessons");
    assert!(l.contains("No lessons yet."));
}

/// The home page's "last 90 days" figure beside the 90 days before: up, as many, and none in
/// either (an archive of old or undated postmortems) said as such.
#[test]
fn the_home_page_compares_the_last_90_days_with_the_90_before() {
    let (_dir, out) = built();
    let home = fs::read_to_string(out.join("index.html")).unwrap();
    let figure = text_after(&home, "Incidents in the last 90 days</dt>", 60);
    assert!(
        figure.starts_with("3 up from 2 in the 90 days before "),
        "{figure}"
    );

    let (_dir, out) = built_from(&[
        ("old", "title: Long ago\ndate: 2019-03-20\n"),
        ("undated", "title: When?\n"),
    ]);
    let home = fs::read_to_string(out.join("index.html")).unwrap();
    let figure = text_after(&home, "Incidents in the last 90 days</dt>", 60);
    assert!(
        figure.starts_with("0 none in the 90 days before either "),
        "{figure}"
    );
}

#[test]
fn a_busy_tag_lists_its_hundred_most_urgent_open_items() {
    let (dir, c) = empty_kb();
    // Item k is due on day k from 2024-05-22: the first ten are overdue on 2024-06-01.
    let start = jiff::civil::date(2024, 5, 22);
    let items: String = (0..130)
        .map(|k| {
            let due = start.checked_add(jiff::Span::new().days(k)).unwrap();
            format!("  - {{title: Item {k:03}, owner: ana, status: open, due: {due}}}\n")
        })
        .collect();
    fs::write(
        c.join("busy.md"),
        incident(
            "busy",
            &format!(
                "title: Busy\ndate: 2024-01-10\ntags: [db]\nservices: [api]\naction_items:\n{items}"
            ),
        ),
    )
    .unwrap();
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    for group in ["tags/db", "services/api"] {
        let html = page(&out, group);
        let section = &html[html.find("id=\"open-items\"").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let shown: Vec<usize> = (0..130)
            .filter(|k| section.contains(&format!("Item {k:03}")))
            .collect();
        assert_eq!(shown, (0..100).collect::<Vec<_>>(), "{group}");
        assert!(
            text_after(section, "id=\"items-h\"", 40).starts_with("Open action items 130"),
            "{group}"
        );
        assert!(
            section.contains("The 100 most urgent are shown, of 130")
                && section.contains("href=\"../../action-items/open/\""),
            "{group}"
        );
    }
    let all = page(&out, "action-items/open");
    assert!((0..130).all(|k| all.contains(&format!("Item {k:03}"))));
}

/// A knowledge base with the test's site.toml and an empty `content/` (returned).
fn empty_kb() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("site.toml"), SITE).unwrap();
    let c = dir.path().join("content");
    fs::create_dir_all(&c).unwrap();
    (dir, c)
}

/// A knowledge base of these incidents (id, frontmatter), built; the folder and its output.
fn built_from(incidents: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, c) = empty_kb();
    for (id, front) in incidents {
        fs::write(c.join(format!("{id}.md")), incident(id, front)).unwrap();
    }
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    (dir, out)
}

/// A knowledge base of one incident with these action items (YAML flow maps), built; the
/// folder and its output.
fn one_busy_incident(
    items: impl Iterator<Item = String>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let items: String = items.map(|i| format!("  - {i}\n")).collect();
    built_from(&[(
        "busy",
        &format!("title: Busy\ndate: 2024-01-10\naction_items:\n{items}"),
    )])
}

#[test]
fn closed_items_come_a_thousand_to_a_page_with_a_pager() {
    let (_dir, out) = one_busy_incident(
        (0..2100).map(|k| format!("{{title: Closed {k:04}, owner: ana, status: done}}")),
    );
    let pages = [
        "action-items/closed",
        "action-items/closed/page/2",
        "action-items/closed/page/3",
    ];
    let mut seen = vec![0; 2100];
    for (n, p) in pages.iter().enumerate() {
        let html = page(&out, p);
        let on_page: Vec<usize> = (0..2100)
            .filter(|k| html.contains(&format!("Closed {k:04}<")))
            .collect();
        for k in &on_page {
            seen[*k] += 1;
        }
        let expected = if n < 2 { 1000 } else { 100 };
        assert_eq!(on_page.len(), expected, "{p}");
        assert!(
            html.contains(&format!("page {} of 3", n + 1)),
            "{p} says where it is"
        );
        // The pager: this page marked, previous and next where there are some.
        assert!(
            html.contains(&format!("aria-current=\"page\">{}<", n + 1)),
            "{p}"
        );
        assert_eq!(html.contains("rel=\"prev\""), n > 0, "{p}");
        assert_eq!(html.contains("rel=\"next\""), n < 2, "{p}");
    }
    assert!(seen.iter().all(|&s| s == 1), "every closed item once");
    assert!(
        page(&out, "action-items/closed/page/2")
            .contains("href=\"../../../../action-items/closed/page/3/\"")
    );
    assert!(!out.join("action-items/closed/page/4").exists());
    assert!(!out.join("action-items/closed/page/1").exists());
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://kb.example.com/action-items/closed/page/3/</loc>"));
}

/// The main page keeps the 200 most urgent of each open list; every open item is on pages of
/// its own, the overdue ones first (at 100,000 generated incidents the main page listed them
/// all: 74 MB of HTML).
#[test]
fn open_items_come_a_thousand_to_a_page_overdue_first() {
    // 300 overdue (due in 2020, before the build's date in 2024), 1,800 open later, 50 of
    // them without an owner.
    let (_dir, out) = one_busy_incident((0..2100).map(|k| {
        let due = if k < 300 { "2020-01-01" } else { "2030-01-01" };
        let owner = if k % 42 == 0 { "" } else { ", owner: ana" };
        format!("{{title: Item {k:04}, status: open, due: {due}{owner}}}")
    }));
    let shown = |html: &str| {
        (0..2100)
            .filter(|k| html.contains(&format!("Item {k:04}<")))
            .collect::<Vec<usize>>()
    };
    let main = page(&out, "action-items");
    let section = |id: &str| {
        let start = main.find(&format!("<section id=\"{id}\"")).unwrap();
        let end = start + main[start..].find("</section>").unwrap();
        main[start..end].to_string()
    };
    let overdue = section("overdue");
    assert_eq!(shown(&overdue).len(), 200);
    assert!(overdue.contains(">300<"), "the count is of all of them");
    assert!(overdue.contains("href=\"open/\""), "a link to the rest");
    let open = section("open");
    assert_eq!(shown(&open).len(), 200);
    assert!(open.contains(">1800<") && open.contains("All 2100 open items"));
    let no_owner = section("no-owner");
    assert!(no_owner.contains(">50<") && !no_owner.contains("href=\"open/\">All"));
    let mut seen = vec![0; 2100];
    for (n, p) in [
        "action-items/open",
        "action-items/open/page/2",
        "action-items/open/page/3",
    ]
    .iter()
    .enumerate()
    {
        let html = page(&out, p);
        let on_page = shown(&html);
        assert_eq!(on_page.len(), if n < 2 { 1000 } else { 100 }, "{p}");
        assert!(html.contains(&format!("page {} of 3", n + 1)), "{p}");
        for k in on_page {
            seen[k] += 1;
        }
    }
    assert!(seen.iter().all(|&s| s == 1), "every open item once");
    // Overdue first: the first page starts with the 300 overdue items.
    let first = page(&out, "action-items/open");
    let pos = |k: usize| first.find(&format!("Item {k:04}<")).unwrap();
    assert!(pos(299) < pos(300) && pos(0) < pos(300));
    assert!(!out.join("action-items/open/page/4").exists());
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://kb.example.com/action-items/open/</loc>"));
    assert!(sitemap.contains("<loc>https://kb.example.com/action-items/open/page/3/</loc>"));
}

#[test]
fn an_incident_page_draws_its_phases_from_its_timestamps() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(
        root.join("content/a.md"),
        "---\ntitle: A\ndate: 2024-03-07\ntimestamps:\n  started: 2024-03-07T23:50:00+01:00\n  \
         detected: 2024-03-07T23:58:00+01:00\n  mitigated: 2024-03-08T00:30:00+01:00\n  \
         resolved: 2024-03-08T01:50:00+01:00\n---\nBody.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/b.md"),
        "---\ntitle: B\ndate: 2024-03-07\ntimestamps:\n  started: 2024-03-07T23:50:00+01:00\n---\nBody.\n",
    )
    .unwrap();
    let out = root.join("public");
    build_site(root, &out, &[]);
    let a = page(&out, "incidents/a");
    assert!(
        a.contains(r#"<figcaption>From <time datetime="2024-03-07T23:50:00+01:00">23:50</time> (started) to <time datetime="2024-03-08T01:50:00+01:00">8 Mar 01:50</time> (resolved): <strong>2h</strong></figcaption>"#),
        "{a}"
    );
    // Each phase's label, length and share; no acknowledged, so no phase for it.
    for (to, label, length, share) in [
        ("detected", "To detect", "8m", "0.0667"),
        ("mitigated", "To mitigate", "32m", "0.2667"),
        ("resolved", "To resolve", "1h 20m", "0.6667"),
    ] {
        let li = format!(
            r#"<li class="phase phase-{to}" style="--share: {share}"><span class="phase-name">{label}</span> <strong class="phase-len">{length}</strong>"#
        );
        assert!(a.contains(&li), "{li}\n{a}");
    }
    assert!(!a.contains("phase-acknowledged"));
    // One timestamp is no timeline.
    assert!(!page(&out, "incidents/b").contains(r#"class="phases""#));
}

/// A tag's and a service's incidents come 50 to a page, newest first; the first page keeps the
/// figures over all of them. /insights/ lists the 100 longest recurrence chains and the 100
/// newest near misses, with their totals (at 100,000 generated incidents one tag's page was
/// 20 MB of HTML and /insights/ 3 MB).
#[test]
fn tag_and_service_pages_list_their_incidents_fifty_to_a_page() {
    let (dir, c) = empty_kb();
    // 120 incidents on one day each; every one a near miss, pairs of them a chain.
    for k in 0..120 {
        let day = jiff::civil::date(2020, 1, 1) + jiff::Span::new().days(k);
        let recurs = if k % 2 == 1 {
            format!("recurrence_of: inc-{:03}\n", k - 1)
        } else {
            String::new()
        };
        let front = format!(
            "title: Incident {k:03}\ndate: {day}\ntags: [busy]\nservices: [api]\nnear_miss: true\n{recurs}"
        );
        fs::write(
            c.join(format!("inc-{k:03}.md")),
            incident(&format!("inc-{k:03}"), &front),
        )
        .unwrap();
    }
    let out = dir.path().join("public");
    build_site(dir.path(), &out, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    let listed = |html: &str| {
        (0..120)
            .filter(|k| html.contains(&format!(">Incident {k:03}<")))
            .collect::<Vec<usize>>()
    };
    for base in ["tags/busy", "services/api"] {
        let first = page(&out, base);
        // Newest first: 119 down to 70, then 69 to 20, then 19 to 0.
        assert_eq!(listed(&first), (70..120).collect::<Vec<_>>(), "{base}");
        assert!(
            first.contains("120 incidents"),
            "{base}: the count is of all"
        );
        assert!(first.contains("page 1 of 3"), "{base}");
        assert!(
            first.contains(&format!("href=\"../../{base}/page/2/\"")),
            "{base}"
        );
        let second = page(&out, &format!("{base}/page/2"));
        assert_eq!(listed(&second), (20..70).collect::<Vec<_>>(), "{base}");
        assert!(second.contains("Incidents 51–100, page 2 of 3"), "{base}");
        assert!(!second.contains("id=\"lessons\""), "{base}: figures once");
        let third = page(&out, &format!("{base}/page/3"));
        assert_eq!(listed(&third), (0..20).collect::<Vec<_>>(), "{base}");
        assert!(!out.join(base).join("page/4").exists());
        let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
        assert!(sitemap.contains(&format!("<loc>https://kb.example.com/{base}/page/3/</loc>")));
    }
    let insights = page(&out, "insights");
    assert!(insights.contains("The newest 100 of 120 are shown."));
    assert!(insights.contains("Recurrences <span class=\"count\">60</span>"));
    assert!(!insights.contains("The 60 longest"), "all 60 chains fit");
    // The near misses shown are the newest: 119 down to 20.
    let near = &insights[insights.find("id=\"near-h\"").unwrap()..];
    assert_eq!(listed(near), (20..120).collect::<Vec<_>>());
}
