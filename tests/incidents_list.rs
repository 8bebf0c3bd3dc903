//! /incidents/ through the real binary (issue 18, point 4): pages of incidents with plain
//! previous/next links, every incident on exactly one page, newest first, and the list's data
//! for the script that filters them, with everything from a postmortem escaped.

mod common;

use std::path::Path;

use common::build_site;
use common::list_kb::{self, HOSTILE, HOSTILE_AT};

/// The incident ids a page lists, in order (its incident title links).
fn listed(html: &str) -> Vec<String> {
    html.split("class=\"incident-title\" href=\"")
        .skip(1)
        .map(|s| {
            let href = &s[..s.find('"').unwrap()];
            href.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The `href` of the page's `rel` link, if any.
fn rel(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\" href=\""))?;
    let s = &html[at + rel.len() + 13..];
    Some(s[..s.find('"').unwrap()].to_string())
}

fn read(site: &Path, page: &str) -> String {
    std::fs::read_to_string(site.join(page).join("index.html")).unwrap()
}

#[test]
fn pages_list_every_incident_once_newest_first_with_links_between_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let written = list_kb::write(&root, 120);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);

    // 50 a page: three pages, plain links between them (no script needed).
    let pages: Vec<String> = ["incidents", "incidents/page/2", "incidents/page/3"]
        .iter()
        .map(|p| read(&site, p))
        .collect();
    assert!(!site.join("incidents/page/4").exists());
    assert!(
        !site.join("incidents/page/1").exists(),
        "page 1 is /incidents/"
    );
    assert_eq!(rel(&pages[0], "prev"), None);
    assert_eq!(rel(&pages[0], "next").unwrap(), "../incidents/page/2/");
    assert_eq!(rel(&pages[1], "prev").unwrap(), "../../../incidents/");
    assert_eq!(
        rel(&pages[1], "next").unwrap(),
        "../../../incidents/page/3/"
    );
    assert_eq!(
        rel(&pages[2], "prev").unwrap(),
        "../../../incidents/page/2/"
    );
    assert_eq!(rel(&pages[2], "next"), None);
    assert!(pages[1].contains("Incidents 51–100, page 2 of 3."));

    // Every incident exactly once, newest first, the undated last: the whole list.
    let sizes: Vec<usize> = pages.iter().map(|p| listed(p).len()).collect();
    assert_eq!(sizes, [50, 50, 20]);
    let ids: Vec<String> = pages.iter().flat_map(|p| listed(p)).collect();
    let expected: Vec<&str> = written.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, expected);
    assert!(written.last().unwrap().date.is_none());
    assert!(pages[2].contains("id=\"undated\""));

    // The years link to the page each starts on.
    let first_2023 = written
        .iter()
        .position(|l| l.date.as_deref().is_some_and(|d| d.starts_with("2023")))
        .unwrap();
    let page = first_2023 / 50 + 1;
    let url = match page {
        1 => "incidents/#y2023".to_string(),
        n => format!("incidents/page/{n}/#y2023"),
    };
    assert!(pages[0].contains(&format!("href=\"../{url}\"")), "{url}");

    // Further pages are in the sitemap.
    let sitemap = std::fs::read_to_string(site.join("sitemap.xml")).unwrap();
    assert!(
        sitemap.contains("incidents/page/2/</loc>") && sitemap.contains("incidents/page/3/</loc>")
    );

    // The hostile incident's title is text in the HTML, never markup.
    let all = pages.concat();
    assert!(all.contains("&lt;&#x2F;script&gt;&lt;img") || all.contains("&lt;/script&gt;&lt;img"));
    assert!(!all.contains("<img src=x"), "hostile markup escaped");
}

#[test]
fn list_data_has_every_incident_in_order_with_what_the_filters_need() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let written = list_kb::write(&root, 30);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    let bytes = std::fs::read(site.join("incidents/list.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let field = |name: &str| {
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .position(|f| f == name)
            .unwrap()
    };
    let rows = v["incidents"].as_array().unwrap();
    assert_eq!(rows.len(), written.len());
    let name = |list: &str, row: &serde_json::Value, f: &str| -> Vec<String> {
        row[field(f)]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let item = &v[list][i.as_u64().unwrap() as usize];
                // Services are [key, name].
                item.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| item[1].as_str().unwrap().to_string())
            })
            .collect()
    };
    for (row, l) in rows.iter().zip(&written) {
        assert_eq!(row[field("id")], l.id.as_str());
        assert_eq!(row[field("date")].as_str(), l.date.as_deref());
        let sev = row[field("severity")].as_u64().unwrap() as usize;
        assert_eq!(v["severities"][sev], l.severity.as_str());
        assert_eq!(
            row[field("minutes")].as_u64(),
            l.minutes.map(u64::from),
            "{}",
            l.id
        );
        let mut tags = name("tags", row, "tags");
        tags.sort();
        assert_eq!(tags.len(), l.tags.len(), "{}", l.id);
        assert_eq!(name("services", row, "services").len(), l.services.len());
    }
    // Hostile text is data: JSON strings, read with JSON.parse, never markup.
    let hostile = rows
        .iter()
        .find(|r| r[field("id")] == format!("inc-{HOSTILE_AT:03}").as_str())
        .unwrap();
    assert_eq!(hostile[field("title")], HOSTILE);
    assert!(
        name("services", hostile, "services")
            .iter()
            .any(|s| s == HOSTILE)
    );
    // The menus' values and counts, loaded first (the rows only once a filter is used).
    let facets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("incidents/list-facets.json")).unwrap())
            .unwrap();
    assert_eq!(facets["total"], written.len());
    let count = |list: &str, value: &str| {
        facets[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v[0] == value)
            .map(|v| v.as_array().unwrap().last().unwrap().as_u64().unwrap() as usize)
    };
    let having = |f: &dyn Fn(&list_kb::Listed) -> bool| written.iter().filter(|l| f(l)).count();
    assert_eq!(
        count("tag", "alpha"),
        Some(having(&|l| l.tags.iter().any(|t| t == "alpha")))
    );
    assert_eq!(
        count("severity", "SEV2"),
        Some(having(&|l| l.severity == "SEV2"))
    );
    assert_eq!(
        count("service", "svc-a"),
        Some(having(&|l| l.services.iter().any(|s| s == "svc-a")))
    );
    assert_eq!(count("year", "undated"), Some(1));
    let years: Vec<&str> = facets["year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y[0].as_str().unwrap())
        .collect();
    assert_eq!(years.first(), Some(&"2020"));
    assert_eq!(years.last(), Some(&"undated"));
    let page = read(&site, "incidents");
    assert!(page.contains("js/list.js"));
    assert!(!page.contains("list.json\">"), "the data is not inline");
}

/// With many pages, each links its neighbours and the ends, not every page: the links grow
/// with the pages, not with their square.
#[test]
fn many_pages_link_the_ends_and_the_neighbours() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    list_kb::write(&root, 60);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[("KB_LIST_PAGE", "3")]);
    assert!(site.join("incidents/page/20").exists());
    assert!(!site.join("incidents/page/21").exists());
    let html = read(&site, "incidents/page/10");
    let nav = &html[html.find("<nav class=\"pager\"").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    let numbers: Vec<&str> = nav
        .split("\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .filter(|s| s.parse::<u32>().is_ok())
        .collect();
    assert_eq!(numbers, ["1", "8", "9", "10", "11", "12", "20"]);
    assert_eq!(nav.matches("pager-gap").count(), 2);
    assert!(nav.contains("aria-current=\"page\">10<"));
}

/// Lists show each incident's card as rendered once (`card_html`, with the page's root put in):
/// the same pages as a theme whose lists render the card component on every list, and text
/// holding the placeholder kb writes the root as stays escaped text.
#[test]
fn cards_rendered_once_read_as_cards_rendered_on_every_list() {
    let tmp = tempfile::tempdir().unwrap();
    let postmortem = "---\ntitle: \"Lag <kb-root> on the replica\"\ndate: 2024-05-01\n\
                      tags: [replication, database]\nsummary: \"Writes <kb-root> rejected\"\n---\n\nBody.\n";
    let built = |name: &str, macros: Option<String>| {
        let root = tmp.path().join(name);
        common::copy_example(&root);
        std::fs::write(root.join("content/placeholder.md"), postmortem).unwrap();
        if let Some(m) = macros {
            std::fs::create_dir_all(root.join("theme/templates")).unwrap();
            std::fs::write(root.join("theme/templates/macros.html"), m).unwrap();
        }
        let out = root.join("public");
        build_site(&root, &out, &[]);
        common::files(&out)
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "html"))
            .map(|(p, bytes)| (p.strip_prefix(&out).unwrap().to_path_buf(), bytes))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let once = built("once", None);
    // The built-in components, the card's renamed: kb gives no `card_html` to render it with.
    let macros = std::fs::read_to_string(common::repo().join("theme/templates/macros.html"))
        .unwrap()
        .replace("incident_card", "incident_card_each");
    let each = built("each", Some(macros));
    assert_eq!(
        once.keys().collect::<Vec<_>>(),
        each.keys().collect::<Vec<_>>()
    );
    for (page, html) in &once {
        assert!(
            html == &each[page],
            "{} differs from the card rendered on every list",
            page.display()
        );
        let html = String::from_utf8_lossy(html);
        assert!(!html.contains("<kb-root>"), "{}", page.display());
    }
    let tag = String::from_utf8_lossy(&once[Path::new("tags/replication/index.html")]).into_owned();
    assert!(
        tag.contains(
            "href=\"../../incidents/placeholder/\">Lag &lt;kb-root&gt; on the replica</a>"
        ),
        "{tag}"
    );
    assert!(tag.contains("Writes &lt;kb-root&gt; rejected"));
    let home = String::from_utf8_lossy(&once[Path::new("index.html")]).into_owned();
    assert!(home.contains("href=\"incidents/placeholder/\""), "{home}");
}
