//! The built site in a real browser (Debian's headless Chromium): pages load from disk, the
//! file:// link fix-up runs, and the incident page shows its content.
//!
//! Without Chromium the test says so and passes, so `cargo test` works on a fresh machine;
//! `.ci/run` installs Chromium and sets `KB_REQUIRE_BROWSER=1`, which makes its absence a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build_site, copy_example, ids, repo, search_json};

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn dump_dom(browser: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=2000", "--dump-dom", url])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn incident_page_renders_in_chromium_from_disk() {
    let Some(browser) = chromium() else {
        common::skipping("Chromium is not installed", "apt-get install -y chromium");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    build_site(&repo(), &out, &[]);

    let page = out.join("incidents/monitoring-user-broke-replication/index.html");
    let dom = dump_dom(&browser, &format!("file://{}", page.display()));
    assert!(
        dom.contains("id=\"incident-title\""),
        "title heading in the live DOM"
    );
    assert!(dom.contains("super_read_only"), "body rendered");
    // The inline script rewrote directory links so they open from disk.
    assert!(
        dom.contains("href=\"../../tags/replication/index.html\""),
        "file:// links point at index.html"
    );

    let home = dump_dom(
        &browser,
        &format!("file://{}", out.join("index.html").display()),
    );
    assert!(
        home.contains("href=\"incidents/index.html\""),
        "home links fixed up"
    );
    assert!(home.contains("Recent incidents"));
}

/// Node with playwright-core installed (`npm ci --prefix tests/browser`), and Chromium; `None`
/// (the test says so and passes) unless `KB_REQUIRE_BROWSER` is set.
fn driver() -> Option<PathBuf> {
    let ready = chromium().is_some()
        && repo()
            .join("tests/browser/node_modules/playwright-core")
            .is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        common::skipping(
            "Chromium, node or tests/browser/node_modules is missing",
            "apt-get install -y chromium nodejs; npm ci --prefix tests/browser",
        );
        return None;
    }
    Some(repo().join("tests/browser/search_page.mjs"))
}

/// Runs a node script of tests/browser with `args`: its JSON report, after checking it ran,
/// found no failure and saw no console error.
fn node_report(script: &Path, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v.get("failure").is_none(),
        "in the browser: {}",
        v["failure"]
    );
    assert_eq!(v["errors"], serde_json::json!([]), "console errors");
    v
}

/// Runs a scenario of search_page.mjs over a built site; what the page showed, as JSON.
fn drive(script: &Path, site: &Path, scenario: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![site.as_os_str(), scenario.as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let v = node_report(script, &args);
    assert_eq!(v["dialogs"], serde_json::json!([]), "dialogs opened");
    v
}

/// The incident ids of a result list, in order (from the links' last path segment).
fn result_ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            // A result links with the words to mark (`?hl=`): the id is the path's.
            let href = r["href"].as_str().unwrap();
            let href = href.split('?').next().unwrap().trim_end_matches('/');
            href.rsplit('/').next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn search_page_types_filters_navigates_and_agrees_with_the_terminal() {
    let Some(script) = driver() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    copy_example(&root);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    let v = drive(&script, &site, "search", &[]);

    // From the header's box on the home page, then typed on the search page: the terminal's
    // answer, in the same order.
    assert_eq!(
        result_ids(&v["fromHeader"]),
        terminal_ids(&root, "replica lag")
    );
    assert_eq!(
        result_ids(&v["typed"]),
        terminal_ids(&root, "writes rejected")
    );
    assert!(v["status"].as_str().unwrap().contains("incidents"));
    let marks = v["fromHeader"][0]["marks"].as_array().unwrap();
    assert!(!marks.is_empty(), "matching words are marked");

    // Every match of "writes rejected" is shown: its filter counts are over them all.
    let term = v["filter"]["term"].as_str().unwrap();
    let tag = term.trim_start_matches("tag:");
    let total = facets_total(&root, "writes rejected");
    assert_eq!(v["typed"].as_array().unwrap().len() as u64, total);
    assert_eq!(v["scope"]["kind"], "all");
    assert_eq!(
        v["scope"]["text"].as_str().unwrap(),
        format!("Counts over all {total} matches.")
    );
    let tag_count = |facets: &serde_json::Value, tag: &str| {
        facets["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["value"] == tag)
            .map_or(0, |f| f["count"].as_u64().unwrap())
    };
    assert_eq!(
        v["filter"]["count"].as_u64().unwrap(),
        tag_count(&terminal_facets(&root, "writes rejected"), tag)
    );

    // The filter: the query gains it, the list is the terminal's for the filtered query, and
    // its count was right.
    assert_eq!(
        v["filteredQuery"].as_str().unwrap(),
        format!("writes rejected {term}")
    );
    let filtered = result_ids(&v["filtered"]);
    assert_eq!(
        filtered,
        terminal_ids(&root, &format!("writes rejected {term}"))
    );
    assert_eq!(
        filtered.len() as u64,
        v["filter"]["count"].as_u64().unwrap()
    );
    for r in v["filtered"].as_array().unwrap() {
        assert!(
            r["tags"].as_array().unwrap().iter().any(|t| t == tag),
            "every filtered result has the tag"
        );
    }

    // The keyboard moves through the results in order; Enter follows the focused one.
    let hrefs: Vec<&str> = v["filtered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["href"].as_str().unwrap())
        .collect();
    assert_eq!(v["focus1"], hrefs[0]);
    assert_eq!(v["focus2"], hrefs[1]);
    assert_eq!(
        v["followed"].as_str().unwrap(),
        format!("/incidents/{}/", filtered[1])
    );
    assert_eq!(v["followedTitle"], v["filtered"][1]["title"]);

    // More matches than shown: counted over the shown results, said so, until asked; then
    // over every match, as `kb search --facets` counts them, downloading the m/ files once.
    let q = "service outage";
    let total = facets_total(&root, q);
    let shown = v["many"].as_array().unwrap();
    assert!(
        total > shown.len() as u64,
        "{total} matches, {} shown",
        shown.len()
    );
    assert_eq!(result_ids(&v["many"]), terminal_ids(&root, q));
    assert!(
        v["manyScope"].as_str().unwrap().starts_with(&format!(
            "Counts in the {} results shown. Count all matches",
            shown.len()
        )),
        "{}",
        v["manyScope"]
    );
    for pair in v["manyShown"].as_array().unwrap() {
        let tag = pair[0].as_str().unwrap().trim_start_matches("tag:");
        let with_tag = shown
            .iter()
            .filter(|r| r["tags"].as_array().unwrap().iter().any(|t| t == tag))
            .count();
        assert_eq!(pair[1].as_u64().unwrap(), with_tag as u64, "{tag}");
    }
    let facets = terminal_facets(&root, q);
    let all = v["allCounts"].as_array().unwrap();
    assert!(!all.is_empty());
    for pair in all {
        let tag = pair[0].as_str().unwrap().trim_start_matches("tag:");
        assert_eq!(pair[1].as_u64().unwrap(), tag_count(&facets, tag), "{tag}");
    }
    assert_ne!(
        v["allCounts"], v["manyShown"],
        "the example shows the difference"
    );
    assert_eq!(
        v["allScope"].as_str().unwrap(),
        format!("Counts over all {total} matches.")
    );
    assert_eq!(v["metaFetched"], serde_json::json!([0, 1]));

    // A shared URL with a misspelling: corrected, and said so.
    assert_eq!(result_ids(&v["shared"]), terminal_ids(&root, "replca lag"));
    assert!(
        v["sharedStatus"]
            .as_str()
            .unwrap()
            .contains("Showing results for replica lag"),
        "{}",
        v["sharedStatus"]
    );
    let err = v["errorStatus"].as_str().unwrap();
    assert!(
        err.contains("unknown filter") && err.contains("column 5") && err.contains("tag:"),
        "{err}"
    );
    // The same errors as the terminal: an empty filter named, an unknown severity with a
    // did-you-mean.
    let err = v["emptyFilterStatus"].as_str().unwrap();
    assert!(
        err.contains("`tag:` needs a value") && err.contains("column 9"),
        "{err}"
    );
    let err = v["unknownValueStatus"].as_str().unwrap();
    assert!(
        err.contains("no incident has the severity `SEV9`")
            && err.contains("did you mean `severity:SEV1`?"),
        "{err}"
    );
}

/// Opened from a search result, an incident marks the words searched for, stemmed as the
/// index matched them, in its main content, and scrolls to the first; its button or Esc clears
/// them; opened plainly it marks nothing; a hostile `?hl=` adds no element and runs nothing
/// (issue 18, point 7).
#[test]
fn words_searched_for_are_marked_on_the_incident_opened() {
    let Some(script) = driver() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    copy_example(&root);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    // "worker" (a stem) is only in the page's action items, far below the fold.
    let v = drive(&script, &site, "highlight", &["replica lagging", "worker"]);
    let first = &terminal_ids(&root, "replica lagging")[0];
    assert!(
        v["clicked"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/incidents/{first}/?hl=")),
        "{v}"
    );

    let clicked = &v["clicked"];
    let marks: Vec<String> = clicked["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_lowercase())
        .collect();
    // Stemming: "lagging" marks "lag" and "lagged" too.
    for w in ["replica", "lag", "lagged", "lagging"] {
        assert!(marks.iter().any(|m| m == w), "{w} marked: {marks:?}");
    }
    assert!(clicked["inProse"].as_u64().unwrap() > 0, "{clicked}");
    assert_eq!(clicked["inArticle"].as_u64().unwrap(), marks.len() as u64);
    assert_eq!(clicked["outsideMain"], 0);
    assert_eq!(clicked["firstInView"], true);
    assert!(
        clicked["bar"]
            .as_str()
            .unwrap()
            .contains("Clear highlights")
    );

    // Cleared (by the button, or by Esc), and opened without the parameter: no mark, the
    // same elements.
    let plain = &v["plain"];
    assert!(v["marked"].as_u64().unwrap() > 0, "{v}");
    for page in [&v["cleared"], &v["escaped"], plain] {
        assert_eq!(page["marks"], serde_json::json!([]), "{page}");
        assert_eq!(page["bar"], serde_json::Value::Null);
        assert_eq!(page["elements"], plain["elements"]);
    }
    for page in [&v["cleared"], &v["escaped"]] {
        assert!(!page["url"].as_str().unwrap().contains("hl="), "{page}");
    }

    // Hostile markup in `hl`: the page's own elements only, nothing ran; its word still
    // marked, and scrolled to.
    let hostile = &v["hostile"];
    assert_eq!(hostile["elements"], plain["elements"]);
    assert_eq!(hostile["pwned"], serde_json::Value::Null);
    assert_eq!(
        hostile["marks"],
        serde_json::json!(["workers"]),
        "{hostile}"
    );
    assert_eq!(hostile["firstInView"], true);
    assert!(hostile["scrollY"].as_u64().unwrap() > 0, "{hostile}");
}

#[test]
fn nothing_from_a_postmortem_runs_as_script_on_the_search_page() {
    let Some(script) = driver() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(root.join("site.toml"), "title = \"x\"\n").unwrap();
    let evil = [
        "<img src=x onerror=\"window.__pwned='img'\">",
        "<script>window.__pwned='script'</script>",
        "</script><script>window.__pwned='close'</script>",
        "\"><svg onload=\"window.__pwned='svg'\">",
    ];
    for (i, e) in evil.iter().enumerate() {
        let yaml = |s: &str| format!("'{}'", s.replace('\'', "''"));
        std::fs::write(
            root.join(format!("content/2024-01-0{}-evil.md", i + 1)),
            format!(
                "---\nid: evil-{i}\ntitle: {}\ndate: 2024-01-0{}\nseverity: SEV2\n\
                 summary: {}\ntags: [{}]\nservices: [{}]\nsymptoms:\n  - {}\n---\n\n\
                 Payload incident {e}\n",
                yaml(&format!("payload {e}")),
                i + 1,
                yaml(&format!("payload summary {e}")),
                yaml(e),
                yaml(e),
                yaml(&format!("payload symptom {e}")),
            ),
        )
        .unwrap();
    }
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    let v = drive(&script, &site, "xss", &["payload"]);
    assert_eq!(
        v["pwned"],
        serde_json::Value::Null,
        "script ran on the search page"
    );
    assert_eq!(
        v["pagePwned"],
        serde_json::Value::Null,
        "script ran on the incident page"
    );
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), evil.len());
    for r in results {
        let title = r["title"].as_str().unwrap();
        assert!(
            evil.iter().any(|e| title == format!("payload {e}")),
            "titles shown as text: {title}"
        );
        let html = r["html"].as_str().unwrap();
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<svg"));
    }
    let page = std::fs::read_to_string(site.join("search/index.html")).unwrap();
    assert!(
        !page.contains("__pwned"),
        "nothing of the postmortems inline"
    );
}

/// `kb search --json` top ids for the same query: the terminal's answer.
fn terminal_ids(root: &Path, q: &str) -> Vec<String> {
    ids(&search_json(root, q, &[]).0)
}

/// `kb search --facets`: the counts over every match.
fn terminal_facets(root: &Path, q: &str) -> serde_json::Value {
    search_json(root, q, &["--facets"]).0["facets"].clone()
}

fn facets_total(root: &Path, q: &str) -> u64 {
    search_json(root, q, &[]).0["total"].as_u64().unwrap()
}

/// A page built from every script-injection form of tests/fixtures/hostile.md: loaded, tabbed
/// through, hovered and clicked in Chromium, it opens no dialog, and nothing in its body is
/// fixed over the page or carries a handler.
#[test]
fn hostile_postmortem_runs_no_script_in_chromium() {
    let Some(script) = driver() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    common::copy_dir(
        &repo().join("tests/fixtures/hostile"),
        &root.join("content"),
    );
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    // Markdown alone (no raw HTML: the sanitizer once never ran on it), then raw HTML.
    for page in ["/incidents/hostile/", "/incidents/hostile-html/"] {
        let v = drive(&script, &site, "hostile", &[page]);
        assert!(v["clicked"].as_u64().unwrap() >= 1, "{page}: {v}");
        assert!(
            v["prose"].as_u64().unwrap() > 60,
            "{page}: the body is shown: {v}"
        );
        assert_eq!(v["covered"], 0, "{page}: {v}");
        assert_eq!(v["handlers"], serde_json::json!([]), "{page}: {v}");
    }
}

/// A postmortem's images next to it, in `assets/` and above its folder all load in Chromium
/// (issue 15, point 4).
#[test]
fn images_beside_a_postmortem_load_in_chromium() {
    let Some(script) = driver() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    common::copy_dir(&repo().join("tests/fixtures/assets-kb"), &root);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[]);
    let v = drive(
        &script,
        &site,
        "images",
        &["/incidents/2024-03-01-db-outage/"],
    );
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 3, "{v}");
    assert!(images.iter().all(|i| i["ok"] == true), "{v}");
}

/// Runs pages.mjs over a site built from `root`: what it found, as JSON.
fn audit(root: &Path, mode: &str) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    // Pages of 5 incidents, so the list has a page 2 to check.
    build_site(root, &site, &[("KB_LIST_PAGE", "5")]);
    node_report(
        &repo().join("tests/browser/pages.mjs"),
        &[site.as_os_str(), mode.as_ref()],
    )
}

/// The sites the page checks run on: the example, and the DFDS postmortems when they are
/// beside the repository.
fn audited_sites(test: &str) -> Vec<PathBuf> {
    let mut roots = vec![repo()];
    roots.extend(common::dfds(test));
    roots
}

/// axe-core finds nothing on any page type, at 1280 and 390 px, in light and in dark
/// (issue 18, point 9).
#[test]
fn every_page_type_passes_axe_at_two_widths_light_and_dark() {
    if driver().is_none() {
        return;
    }
    for root in audited_sites("every_page_type_passes_axe_at_two_widths_light_and_dark") {
        let v = audit(&root, "axe");
        let types: Vec<&str> = v["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        // The example names services; the DFDS write-ups may not.
        let service = (root == repo()).then_some("service");
        for t in [
            "home",
            "incident",
            "incidents",
            "incidents-page",
            "tag",
            "tag-page",
            "tags",
            "services",
            "lessons",
            "action-items",
            "action-items-closed",
            "action-items-open",
            "insights",
            "search",
            "404",
        ]
        .into_iter()
        .chain(service)
        {
            assert!(
                types.contains(&t),
                "{}: no {t} page checked",
                root.display()
            );
        }
        let violations = v["violations"].as_array().unwrap();
        assert!(
            violations.is_empty(),
            "{}: {} axe violations:\n{}",
            root.display(),
            violations.len(),
            serde_json::to_string_pretty(violations).unwrap()
        );
    }
}

/// No page is wider than a 390 px screen; chart text stays at least 11 px on a phone and on
/// a desktop; `/` focuses the search box; the search filters fold on a phone (issue 18,
/// points 1, 2 and 9).
#[test]
fn no_page_is_wider_than_a_phone_and_chart_text_stays_readable() {
    if driver().is_none() {
        return;
    }
    for root in audited_sites("no_page_is_wider_than_a_phone_and_chart_text_stays_readable") {
        let v = audit(&root, "overflow");
        let name = root.display();
        assert!(v["pages"].as_u64().unwrap() > 10, "{name}: {v}");
        assert_eq!(
            v["wide"],
            serde_json::json!([]),
            "{name}: pages wider than 390 px"
        );
        for w in ["phone", "desktop"] {
            let px = v["chartText"][w].as_f64().unwrap();
            assert!(px >= 11.0, "{name}: chart text {px} px on a {w}");
            assert_eq!(
                v[format!("slash_{w}")],
                "site-q",
                "{name}: `/` on the home page"
            );
            assert_eq!(
                v[format!("typed_{w}")],
                "a/b",
                "{name}: `/` typed in the box"
            );
            assert_eq!(
                v[format!("searchSlash_{w}")],
                "q",
                "{name}: `/` on the search page"
            );
            assert_eq!(
                v[format!("hintsBroken_{w}")],
                serde_json::json!([]),
                "{name}: search syntax hints split across lines on a {w}"
            );
        }
        assert_eq!(
            v["facetsOpen_phone"], false,
            "{name}: filters folded on a phone"
        );
        assert_eq!(
            v["facetsOpen_desktop"], true,
            "{name}: filters open on a desktop"
        );
    }
}

/// /incidents/ in Chromium (issue 18, point 4): filtering by tag and severity gives the right
/// rows and count, sorting by duration orders them, the compact table, the state kept in the
/// URL across a reload and the back button, an empty list that says why, a hostile tag's view
/// shown as text, the table on a phone, and the plain pages without JavaScript.
#[test]
fn incidents_list_filters_sorts_and_keeps_its_state_in_the_url() {
    if driver().is_none() {
        return;
    }
    use common::list_kb::{self, HOSTILE};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let written = list_kb::write(&root, 40);
    let site = tmp.path().join("site");
    build_site(&root, &site, &[("KB_LIST_PAGE", "10")]);
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("incidents/list.json")).unwrap()).unwrap();
    // The hostile tag as the knowledge base spells it.
    let hostile_tag = data["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .find(|t| t.contains("script"))
        .unwrap()
        .to_string();
    let v = node_report(
        &repo().join("tests/browser/list_page.mjs"),
        &[
            site.as_os_str(),
            "alpha".as_ref(),
            "SEV1".as_ref(),
            "svc-a".as_ref(),
            hostile_tag.as_ref(),
        ],
    );
    assert_eq!(v["dialogs"], serde_json::json!([]), "dialogs opened");

    // Before any filter: the server's page, the menus counting over every incident.
    assert_eq!(v["initial"]["pagesHidden"], false);
    assert_eq!(v["initial"]["status"], "");
    let alpha = written
        .iter()
        .filter(|l| l.tags.iter().any(|t| t == "alpha"))
        .count();
    assert_eq!(v["tagOption"], format!("alpha ({alpha})"));

    // Tag and severity: exactly the incidents with both, newest first, counted aloud.
    let both: Vec<&list_kb::Listed> = written
        .iter()
        .filter(|l| l.tags.iter().any(|t| t == "alpha") && l.severity == "SEV1")
        .collect();
    let ids = |l: &[&list_kb::Listed]| l.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
    let shown = |k: &str| -> Vec<String> {
        v[k]["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert!(both.len() > 3);
    assert_eq!(shown("filtered"), ids(&both));
    let status = v["filtered"]["status"].as_str().unwrap();
    assert!(
        status.starts_with(&format!("{} of {} incidents", both.len(), written.len())),
        "{status}"
    );
    assert!(
        status.contains("tag alpha") && status.contains("severity SEV1"),
        "{status}"
    );
    assert_eq!(v["filtered"]["pagesHidden"], true);
    assert_eq!(v["severityOption"], format!("SEV1 ({})", both.len()));
    let url = v["filtered"]["url"].as_str().unwrap();
    assert!(
        url.contains("tag=alpha") && url.contains("severity=SEV1"),
        "{url}"
    );

    // Longest to resolve first; those without a duration last.
    let mut by_duration = both.clone();
    by_duration.sort_by_key(|l| (l.minutes.is_none(), std::cmp::Reverse(l.minutes)));
    assert_eq!(shown("byDuration"), ids(&by_duration));
    assert!(
        v["byDuration"]["url"]
            .as_str()
            .unwrap()
            .contains("sort=duration")
    );

    // The compact table: same rows, in a box the keyboard can scroll.
    assert_eq!(v["table"]["table"], true);
    assert_eq!(v["table"]["pressed"], "true");
    assert_eq!(shown("table"), ids(&by_duration));
    assert_eq!(v["tableWrap"]["tabindex"], "0");
    assert_eq!(v["tableWrap"]["role"], "region");

    // A reload restores it all from the URL; back goes to the cards.
    assert_eq!(v["reloaded"]["table"], true);
    assert_eq!(shown("reloaded"), ids(&by_duration));
    assert_eq!(v["reloaded"]["values"]["tag"], "alpha");
    assert_eq!(v["reloaded"]["values"]["severity"], "SEV1");
    assert_eq!(v["reloaded"]["values"]["sort"], "duration");
    assert_eq!(v["back"]["table"], false);
    assert_eq!(shown("back"), ids(&by_duration));

    // Nothing left: the filters named, a way to drop each and all.
    assert_eq!(v["empty"]["rows"], 0);
    let text = v["empty"]["text"].as_str().unwrap();
    assert!(
        text.contains("tag alpha")
            && text.contains("service svc-a")
            && text.contains("severity SEV1"),
        "{text}"
    );
    let buttons = v["empty"]["buttons"].as_array().unwrap();
    assert!(
        buttons.iter().any(|b| b == "Remove service svc-a"),
        "{buttons:?}"
    );
    assert!(buttons.iter().any(|b| b == "Clear all filters"));
    // Cleared: every incident again, still sorted; focus on the first menu.
    assert_eq!(v["cleared"]["values"]["tag"], "");
    assert_eq!(shown("cleared").len(), written.len());
    assert_eq!(v["clearedFocus"], "lf-severity");

    // The hostile tag's view: title, tag and service as text; nothing ran.
    let h = &v["hostile"];
    assert_eq!(h["titles"], serde_json::json!([HOSTILE]));
    assert!(
        h["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == hostile_tag.as_str())
    );
    assert!(
        h["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == HOSTILE)
    );
    assert_eq!(h["images"], 0);
    assert_eq!(h["pwned"], serde_json::Value::Null);
    assert!(h["option"].as_str().unwrap().starts_with(&hostile_tag));

    // A phone: the table scrolls in its box, the page stays 390 px wide.
    let p = &v["phone"];
    assert_eq!(p["scrollWidth"], p["width"], "{p}");
    assert_eq!(p["rows"], written.len().min(100));

    // Without JavaScript: the first page of the plain list, and the way to the next.
    assert_eq!(v["noScript"]["controlsHidden"], true);
    assert_eq!(v["noScript"]["items"], 10);
    assert_eq!(v["noScript"]["next"], "../incidents/page/2/");
}

/// The minified copies kb serves for the built-in theme's scripts and stylesheet are exactly
/// what the pinned esbuild makes of today's sources (the unit test in src/render/theme.rs checks
/// only that they were made from them).
#[test]
fn minified_theme_files_are_esbuilds_output() {
    let ready = repo().join("tests/browser/node_modules/esbuild").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        common::skipping(
            "node or tests/browser/node_modules/esbuild is missing",
            "npm ci --prefix tests/browser",
        );
        return;
    }
    let out = Command::new("node")
        .arg(repo().join("tests/browser/minify.mjs"))
        .arg("--check")
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
