//! Old postmortems as teams have them, through the real binary: plain text exports (`.txt`, and
//! plain text saved as `.md`), the section names of the common templates, and pages that show
//! each section once. Fixtures are in tests/fixtures/plain-text and tests/fixtures/templates;
//! the corpora in ../shared/corpora/ are checked too when they are there.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_dir, kb, repo};
use serde_json::Value;

fn fixture(name: &str, to: &Path) -> PathBuf {
    let root = to.join(name);
    copy_dir(&repo().join("tests/fixtures").join(name), &root);
    root
}

/// Builds `root` into `<root>/../site`, and returns the site folder and stderr.
fn build(root: &Path) -> (PathBuf, String) {
    let out = root.with_file_name(format!(
        "{}-site",
        root.file_name().unwrap().to_string_lossy()
    ));
    let o = kb(root, &["build", "--output", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "kb build: {stderr}");
    (out, stderr)
}

fn page(site: &Path, id: &str) -> String {
    let p = site.join("incidents").join(id).join("index.html");
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `kb export` records by id.
fn export(root: &Path) -> std::collections::BTreeMap<String, Value> {
    let o = kb(root, &["export"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// The part of a page after its `<h2 id="{id}"`, up to the next `<h2`: one section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<h2 id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start + 4..];
    &rest[..rest.find("<h2").unwrap_or(rest.len())]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_blog_export_in_plain_text_is_read_for_its_structure() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("plain-text", tmp.path());
    let (site, stderr) = build(&root);
    assert!(stderr.contains("Built 3 incidents"), "{stderr}");
    assert!(!stderr.contains("not a Markdown file"), "{stderr}");

    let all = export(&root);
    let inc = &all["blog-export"];
    // The title is the one "Cover image for" names, once, not the site name or the byline.
    assert_eq!(inc["title"], "Post-Mortem: The Night the Queue Froze");
    assert!(
        inc["summary"]
            .as_str()
            .unwrap()
            .starts_with("On a Tuesday night, from 9:40 PM"),
        "{}",
        inc["summary"]
    );
    let items: Vec<&str> = inc["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        [
            "Pin the broker protocol version explicitly in the broker configuration.",
            "Alert on consumer reconnect loops, not only on latency.",
            "Upgrade a staging broker a week before production."
        ]
    );
    let lessons = strings(&inc["lessons"]["general"]);
    assert_eq!(lessons.len(), 2, "{lessons:?}");
    assert!(lessons[0].starts_with("A default that changes in an upgrade"));
    assert_eq!(inc["contributing_factors"].as_array().unwrap().len(), 2);

    let html = page(&site, "blog-export");
    assert_eq!(html.matches("The Night the Queue Froze</h1>").count(), 1);
    // The indented timeline is a list of rows under its heading, not a code block.
    let timeline = section(&html, "timeline");
    assert!(!html.contains("<pre"), "{timeline}");
    assert_eq!(timeline.matches("<li>").count(), 5, "{timeline}");
    assert!(timeline.contains("<li>9:52 PM: Checkout latency alert fires; on-call paged.</li>"));
    // Chrome, placeholders and the comments after the text are not on the page.
    for gone in [
        "Ops Notes Weekly",
        "Cover image for",
        "Dana Whitfield",
        "Posted on",
        "No alt text",
        "Top comments",
        "Sam Ortiz",
    ] {
        assert!(!html.contains(gone), "{gone} is on the page");
    }
}

#[test]
fn kb_check_points_at_plain_text_lines_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("plain-text", tmp.path());
    let o = kb(&root, &["check"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    // The converted text keeps the file's line numbers; the snippet is the file's own line.
    assert!(
        stderr.contains(
            "--> blog-export.txt:35:5\n   |\n35 |     Pin the broker protocol version explicitly"
        ),
        "{stderr}"
    );
}

#[test]
fn a_document_editor_export_fills_impact_trigger_detection_and_lessons() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("plain-text", tmp.path());
    let (site, _) = build(&root);
    let inc = &export(&root)["editor-export"];
    assert_eq!(inc["title"], "Search results empty after index rebuild");
    assert!(
        inc["impact"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Every search returned nothing")
    );
    assert!(
        inc["trigger"]
            .as_str()
            .unwrap()
            .starts_with("The nightly rebuild job")
    );
    assert!(
        inc["detection"]["source"]
            .as_str()
            .unwrap()
            .starts_with("A synthetic check")
    );
    let inferred = strings(&inc["inferred"]);
    for f in ["impact", "trigger", "detection", "lessons", "action_items"] {
        assert!(inferred.contains(&f.to_string()), "{f} not in {inferred:?}");
    }
    assert_eq!(inc["contributing_factors"].as_array().unwrap().len(), 2);
    assert_eq!(inc["action_items"].as_array().unwrap().len(), 2);
    assert_eq!(strings(&inc["lessons"]["went_well"]).len(), 1);
    assert_eq!(strings(&inc["lessons"]["went_wrong"]).len(), 1);
    assert_eq!(strings(&inc["lessons"]["got_lucky"]).len(), 1);
    assert_eq!(inc["date"], "2021-06-30", "from the dated timeline rows");

    let html = page(&site, "editor-export");
    // Timeline rows written without indentation but starting with a time are rows too.
    assert_eq!(section(&html, "timeline").matches("<li>").count(), 4);
    // Read from the body, trigger and impact are shown there once, not again in the panel.
    assert_eq!(html.matches("The nightly rebuild job ran").count(), 1);
    assert!(!html.contains("<dt>Trigger</dt>"));
    assert_eq!(html.matches("about 12,000 searches failed").count(), 1);
    // Text is text: nothing in it becomes markup.
    assert!(!html.contains("<script>alert"), "script in the page");
    assert!(html.contains("&lt;script&gt;alert"));
    assert!(!html.contains("href=\"javascript"));
    assert!(html.contains("*stars*"));
}

#[test]
fn markdown_that_is_plain_text_is_read_as_plain_text() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("plain-text", tmp.path());
    let (site, _) = build(&root);
    let inc = &export(&root)["renamed-export"];
    assert_eq!(inc["title"], "Certificate expiry took down the partner API");
    assert_eq!(inc["action_items"].as_array().unwrap().len(), 2);
    let html = page(&site, "renamed-export");
    assert!(!html.contains("<pre"), "indented rows read as code");
    assert_eq!(section(&html, "timeline").matches("<li>").count(), 3);

    // With one Markdown heading it is Markdown, and the indented lines stay code.
    let md = root.join("renamed-export.md");
    let text = fs::read_to_string(&md).unwrap();
    fs::write(&md, format!("# {text}")).unwrap();
    let (site, _) = build(&root);
    assert!(page(&site, "renamed-export").contains("<pre"));
}

#[test]
fn extensions_are_read_in_any_case_and_left_out_of_ids_and_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(
        root.join("content/Login Outage.MD"),
        "Logins failed for an hour.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/2024-02-03-cache-flush.Markdown"),
        "The cache was flushed by hand.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/queue-stall.TXT"),
        "Queue stall\n\nSummary:\n\nThe queue stalled.\n",
    )
    .unwrap();
    fs::write(root.join("content/notes.rst"), "not a postmortem\n").unwrap();
    // A licence beside the postmortems of a plain folder is not one.
    let plain = tmp.path().join("plain");
    fs::create_dir_all(&plain).unwrap();
    fs::write(plain.join("LICENSE.txt"), "MIT License\n").unwrap();
    fs::write(plain.join("a.txt"), "A\n\nSummary:\n\nIt broke.\n").unwrap();

    let (_, stderr) = build(&root);
    assert!(stderr.contains("Built 3 incidents"), "{stderr}");
    assert!(stderr.contains("notes.rst"), "{stderr}");
    let all = export(&root);
    let ids: Vec<&String> = all.keys().collect();
    assert_eq!(
        ids,
        ["2024-02-03-cache-flush", "login-outage", "queue-stall"]
    );
    assert_eq!(all["login-outage"]["title"], "Login Outage");
    assert_eq!(all["2024-02-03-cache-flush"]["title"], "Cache flush");
    assert_eq!(all["2024-02-03-cache-flush"]["date"], "2024-02-03");
    assert_eq!(all["queue-stall"]["title"], "Queue stall");

    let (_, stderr) = build(&plain);
    assert!(stderr.contains("Built 1 incident,"), "{stderr}");
}

#[test]
fn the_sre_book_template_fills_its_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("templates", tmp.path());
    let (site, _) = build(&root);
    let inc = &export(&root)["2024-05-03-cart-cache-restart"];
    assert!(
        inc["impact"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Roughly 8% of active carts")
    );
    assert_eq!(
        inc["trigger"],
        "A routine kernel patch restarted cache node 3."
    );
    assert!(
        inc["detection"]["source"]
            .as_str()
            .unwrap()
            .starts_with("Customer support saw a spike")
    );
    assert_eq!(inc["contributing_factors"].as_array().unwrap().len(), 1);
    // The action items table, its columns found by their headers.
    let items = inc["action_items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0]["title"],
        "Generate the cache config from version control only"
    );
    assert_eq!(items[0]["owner"], "ana");
    assert_eq!(items[0]["type"], "prevent");
    assert_eq!(items[1]["type"], "detect");
    // What went well / wrong / lucky under Lessons Learned, each in its list.
    assert_eq!(strings(&inc["lessons"]["went_well"]).len(), 1);
    assert_eq!(strings(&inc["lessons"]["went_wrong"]).len(), 1);
    assert_eq!(strings(&inc["lessons"]["got_lucky"]).len(), 1);
    assert!(strings(&inc["lessons"]["general"]).is_empty());

    // An inferred trigger is a sentence: it is not a bar of the "Top triggers" chart.
    let insights = fs::read_to_string(site.join("insights/index.html")).unwrap();
    assert!(!insights.contains("A routine kernel patch"));
}

/// How many times each of these is on the page.
fn counts(html: &str, needles: &[&str]) -> Vec<usize> {
    needles.iter().map(|n| html.matches(n).count()).collect()
}

#[test]
fn sections_written_in_frontmatter_and_body_are_shown_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("templates", tmp.path());
    let (site, _) = build(&root);
    let html = page(&site, "2024-06-11-written-twice");
    // One heading each, the structured version, the body's prose kept with it.
    assert_eq!(
        counts(
            &html,
            &[
                ">Action items <",
                ">Contributing factors</h2>",
                ">Lessons</h2>",
                "action-items-",
                "lessons-learned\""
            ]
        ),
        [1, 1, 1, 0, 0],
        "{html}"
    );
    let ai = section(&html, "ai-h");
    assert!(ai.contains("Give flag responses a five-minute expiry"));
    assert!(ai.contains("Both were agreed at the review on 12 June."));
    // The section named "Follow-up" is an action items section too: its prose joins.
    assert!(ai.contains("Nothing else."));
    assert!(!html.contains("(Ana)"), "the body's list is not repeated");
    let cf = section(&html, "cf-h");
    assert!(cf.contains("Flag clients cached responses with no expiry."));
    assert!(cf.contains("The client library was written before flags changed"));
    assert!(
        !html.contains("no expiry at all"),
        "the body's item is not repeated"
    );
    assert!(!html.contains("Caches need an expiry"));
    // In the body's order: factors, then action items, then lessons, then related incidents.
    let at = |s: &str| html.find(s).unwrap();
    assert!(at("id=\"cf-h\"") < at("id=\"ai-h\""));
    assert!(at("id=\"ai-h\"") < at("id=\"lessons-h\""));
    assert!(at("id=\"lessons-h\"") < at("id=\"related-h\""));
}

/// `detail.body_html` is the whole body, as written, for a theme that prints it: kb makes it
/// only for such themes (the built-in one shows `blocks`), and it holds what the blocks took.
#[test]
fn a_theme_printing_body_html_gets_the_whole_body() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("templates", tmp.path());
    fs::create_dir_all(root.join("theme/templates")).unwrap();
    fs::write(
        root.join("theme/templates/incident.html"),
        "{% extends \"base.html\" %}{% block content %}<div id=\"whole\">{{ detail.body_html | safe }}</div>\
         {% for b in detail.blocks %}<div class=\"block\">{{ b.html | safe }}</div>{% endfor %}\
         {% endblock content %}",
    )
    .unwrap();
    let (site, _) = build(&root);
    let html = page(&site, "2024-06-11-written-twice");
    let whole = &html
        [html.find("<div id=\"whole\">").unwrap()..html.find("<div class=\"block\">").unwrap()];
    // The sections the page places elsewhere are in it, as the body has them.
    for text in [
        "no expiry at all",
        "The client library was written before flags changed",
        "(Ana)",
        "Both were agreed at the review on 12 June.",
        "Caches need an expiry.",
        "Nothing else.",
    ] {
        assert!(whole.contains(text), "{text} not in {whole}");
    }
    // And the blocks are what the built-in theme shows, the body's list not among them.
    let blocks = &html[html.find("<div class=\"block\">").unwrap()..];
    assert!(blocks.contains("Both were agreed at the review on 12 June."));
    assert!(blocks.contains("The client library was written before flags changed"));
    assert!(!blocks.contains("(Ana)") && !blocks.contains("no expiry at all"));
}

#[test]
fn sections_read_from_the_body_are_shown_once_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fixture("templates", tmp.path());
    let (site, _) = build(&root);
    let html = page(&site, "2023-01-09-no-frontmatter");
    let ai = section(&html, "ai-h");
    // The author's list, links and emphasis kept, under one heading.
    assert!(ai.contains("<strong>30 days</strong>"), "{ai}");
    assert!(
        ai.contains("href=\"https://runbooks.example/disk\""),
        "{ai}"
    );
    assert_eq!(html.matches("Alert at 80% disk").count(), 1);
    assert_eq!(html.matches("Artifacts were never deleted.").count(), 1);
    assert_eq!(html.matches("Disks fill up.").count(), 1);
    // The heading it came from is named, escaped.
    assert!(ai.contains("under “Action items &lt;img src=x onerror=alert(1)&gt;”"));
    // Items read from a list name no owner or due date: the note says so.
    assert!(
        ai.contains("; <span class=\"missing\">no owners recorded</span>, no due dates."),
        "{ai}"
    );
    assert!(!html.contains("<img"));
    // Sections that fill no field stay in the body.
    assert!(html.contains("<h2 id=\"attendees\">Attendees</h2>"));
}

#[test]
fn the_example_kb_init_writes_shows_each_section_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kb"))
        .arg("init")
        .arg(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (site, _) = build(&root);
    let html = page(&site, "example-config-push-503s");
    assert_eq!(
        counts(
            &html,
            &[
                ">Action items <",
                ">Contributing factors</h2>",
                ">Lessons</h2>",
                "Validate that every route names an existing pool",
            ]
        ),
        [1, 1, 1, 1],
    );
    assert!(section(&html, "lessons-h").contains("gives confidence it has not earned"));
}

/// The corpus folder, or `None` after saying the test is skipped.
fn corpus(name: &str) -> Option<PathBuf> {
    let p = repo().join("../shared/corpora").join(name);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {name} (../shared/corpora/{name} not found)");
        None
    }
}

#[test]
fn the_blog_corpus_builds_five_pages_with_titles_summaries_and_lists() {
    let Some(corpus) = corpus("blog-postmortems") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("blog");
    copy_dir(&corpus, &root);
    let (site, stderr) = build(&root);
    assert!(stderr.contains("Built 5 incidents"), "{stderr}");
    let all = export(&root);
    let titles: Vec<&str> = all.values().map(|v| v["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "How I caused my first Production Incident",
            "Post-Mortem: The Great Database Debacle",
            "Situation Room: On-Call Team Faces Worst Case of Sunday Scaries",
            "The Hot Seat",
            "I caused a SEV. Here is what I learned.",
        ]
    );
    for v in all.values() {
        let summary = v["summary"].as_str().unwrap();
        assert!(summary.len() > 80, "{summary}");
        assert!(!summary.contains(v["title"].as_str().unwrap()), "{summary}");
    }
    let debacle = page(&site, "001-b2ffc5dee9f9320c");
    assert_eq!(section(&debacle, "timeline").matches("<li>").count(), 9);
    assert!(!debacle.contains("<pre"));
    let count = |id: &str, key: &str| all[id][key].as_array().unwrap().len();
    assert_eq!(count("001-b2ffc5dee9f9320c", "action_items"), 5);
    assert_eq!(count("002-be5fb65da1fb1982", "action_items"), 5);
    assert_eq!(
        strings(&all["002-be5fb65da1fb1982"]["lessons"]["general"]).len(),
        6
    );
    assert_eq!(
        strings(&all["004-387a15747919318c"]["lessons"]["general"]).len(),
        2
    );
}

#[test]
fn dfds_pages_show_each_section_once() {
    let Some(corpus) = corpus("dfds-postmortems") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("dfds");
    copy_dir(&corpus, &root);
    let (site, _) = build(&root);
    let mut checked = 0;
    for e in fs::read_dir(site.join("incidents")).unwrap() {
        let p = e.unwrap().path().join("index.html");
        if !p.is_file() {
            continue;
        }
        let html = fs::read_to_string(&p).unwrap();
        for (slot, body_id) in [
            ("ai-h", "action-items"),
            ("lessons-h", "lessons-learned"),
            ("cf-h", "contributing-factors"),
        ] {
            let slots = html.matches(&format!("id=\"{slot}\"")).count();
            let body = html.matches(&format!("<h2 id=\"{body_id}\"")).count();
            assert!(
                slots + body <= 1,
                "{}: {slot} {slots}, {body_id} {body}",
                p.display()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 38);
    let p503 = page(&site, "pm2021-005-all-services-returning-503-in-kubernetes");
    assert_eq!(p503.matches("Create ingress test suite.").count(), 1);
}

/// A link to another postmortem resolves whatever its extension's case: `.MD`, `.markdown`,
/// `.txt`, like the loader reads them (issue 15, point 1).
#[test]
fn links_to_postmortems_resolve_whatever_their_extension() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content/old")).unwrap();
    fs::write(
        root.join("content/a.md"),
        "---\ndate: 2024-01-02\n---\n# A\n\nSee [the login one](old/Login.MD), [notes](old/notes.markdown) and [blog](old/blog.txt).\n",
    )
    .unwrap();
    fs::write(
        root.join("content/old/Login.MD"),
        "# Login outage\n\nDown.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/old/notes.markdown"),
        "# Notes outage\n\nDown.\n",
    )
    .unwrap();
    fs::write(
        root.join("content/old/blog.txt"),
        "Blog outage\n\nIt was down.\n",
    )
    .unwrap();
    let (site, stderr) = build(&root);
    assert!(!stderr.contains("broken"), "{stderr}");
    let a = page(&site, "a");
    for id in ["login", "notes", "blog"] {
        assert!(a.contains(&format!("href=\"../{id}/\"")), "{id}: {a}");
        assert!(page(&site, id).contains("Linked from"), "{id}");
    }
}
