//! What a link to a page shows when pasted into a chat tool (Open Graph and Twitter card tags,
//! read back with an HTML parser, as an unfurler reads them), the "Edit this page" link from
//! `[repository] edit_url`, and "Last updated" from git or the `updated` field.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::{build_site, copy_example, kb};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// The `<head>` as a link unfurler reads it: `property`/`name` → every `content`, plus the
/// canonical link, decoded by a real HTML tokenizer.
#[derive(Default)]
struct Head {
    meta: RefCell<BTreeMap<String, Vec<String>>>,
}

impl TokenSink for Head {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            let attr = |n: &str| {
                tag.attrs
                    .iter()
                    .find(|a| &*a.name.local == n)
                    .map(|a| a.value.to_string())
            };
            let key = match &*tag.name {
                "meta" => attr("property").or_else(|| attr("name")),
                "link" if attr("rel").as_deref() == Some("canonical") => {
                    Some("canonical".to_string())
                }
                _ => None,
            };
            let value = attr("content").or_else(|| attr("href"));
            if let (Some(k), Some(v)) = (key, value) {
                self.meta.borrow_mut().entry(k).or_default().push(v);
            }
        }
        TokenSinkResult::Continue
    }
}

fn head(page: &Path) -> BTreeMap<String, Vec<String>> {
    let html = fs::read_to_string(page).unwrap();
    let tok = Tokenizer::new(Head::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html.as_str()));
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.meta.into_inner()
}

fn one(meta: &BTreeMap<String, Vec<String>>, key: &str) -> String {
    match meta.get(key).map(Vec::as_slice) {
        Some([v]) => v.clone(),
        other => panic!("{key}: expected one value, got {other:?}"),
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

#[test]
fn an_incident_link_previews_its_title_summary_and_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    copy_example(&root);
    let out = tmp.path().join("out");
    build_site(&root, &out, &[]);
    let page = out.join("incidents/2022-10-19-node-pool-upgrade-503-all-services/index.html");
    let meta = head(&page);
    let title =
        "Node pool upgrade left the ingress controller unschedulable; HTTP 503 from every service";
    assert_eq!(one(&meta, "og:title"), title);
    assert_eq!(one(&meta, "og:type"), "article");
    assert_eq!(one(&meta, "og:site_name"), "Acme incident knowledge base");
    let url =
        "https://incidents.example.com/incidents/2022-10-19-node-pool-upgrade-503-all-services/";
    assert_eq!(one(&meta, "og:url"), url);
    assert_eq!(one(&meta, "canonical"), url);
    // The incident's own summary, not the site's description, cut at a word.
    let description = one(&meta, "og:description");
    assert!(
        description.starts_with("A routine node image upgrade replaced the nodes"),
        "{description}"
    );
    assert!(description.ends_with('…') && description.chars().count() <= 300);
    assert_eq!(one(&meta, "description"), description);
    assert_eq!(one(&meta, "twitter:card"), "summary");
    assert_eq!(one(&meta, "twitter:label1"), "Severity");
    assert_eq!(one(&meta, "twitter:data1"), "SEV2");
    assert_eq!(one(&meta, "twitter:label2"), "Time to resolve");
    assert_eq!(one(&meta, "twitter:data2"), "1h 26m");
    assert_eq!(one(&meta, "article:published_time"), "2022-10-19");
    assert_eq!(
        meta["article:tag"],
        ["kubernetes", "ingress", "upgrade", "manual-operation"]
    );

    // Other pages preview as themselves, with the site's description.
    let tags = head(&out.join("tags/index.html"));
    assert_eq!(one(&tags, "og:title"), "Tags");
    assert_eq!(one(&tags, "og:type"), "website");
    assert!(one(&tags, "og:description").starts_with("Postmortems of Acme"));
}

#[test]
fn preview_tags_carry_a_hostile_title_and_summary_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let title = r#"Quote " and <script>alert(1)</script> & 'apostrophe'"#;
    let summary = r#"Summary with "><meta property="og:title" content="forged"> inside"#;
    write(
        root,
        "content/evil.md",
        &format!(
            "---\ntitle: '{}'\ndate: 2024-01-02\nseverity: SEV1\nsummary: '{}'\n---\nBody.\n",
            title.replace('\'', "''"),
            summary
        ),
    );
    let out = root.join("public");
    build_site(root, &out, &[]);
    let meta = head(&out.join("incidents/evil/index.html"));
    assert_eq!(one(&meta, "og:title"), title);
    assert_eq!(one(&meta, "og:description"), summary);
    assert_eq!(one(&meta, "twitter:data1"), "SEV1");
    // No time to resolve: no second pair.
    assert!(!meta.contains_key("twitter:label2"), "{meta:?}");
    // Without an absolute base_url there is no URL to claim.
    assert!(!meta.contains_key("og:url") && !meta.contains_key("canonical"));
}

#[test]
fn edit_url_links_each_incident_to_its_source_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "site.toml",
        "[repository]\nedit_url = \"https://git.example.com/acme/incidents/edit/main/{path}\"\n",
    );
    write(
        root,
        "content/2024/Disk full & slow.md",
        "---\ntitle: Disk full\ndate: 2024-01-02\n---\nBody.\n",
    );
    let out = root.join("public");
    build_site(root, &out, &[]);
    let html = fs::read_to_string(out.join("incidents/disk-full-slow/index.html")).unwrap();
    assert!(
        html.contains(
            r#"<a class="edit-link" href="https://git.example.com/acme/incidents/edit/main/content/2024/Disk%20full%20%26%20slow.md" rel="noopener">Edit this page</a>"#
        ),
        "{html}"
    );

    // Only an absolute http(s) URL with a place for the path: anything else is a located error.
    for (bad, why) in [
        ("javascript:alert(1)//{path}", "absolute http"),
        (
            "https://git.example.com/edit/main/",
            "must contain `{path}`",
        ),
    ] {
        write(
            root,
            "site.toml",
            &format!("title = \"x\"\n[repository]\nedit_url = \"{bad}\"\n"),
        );
        let o = kb(root, &["build"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(why) && err.contains("site.toml:3:1"), "{err}");
    }
}

fn git(root: &Path, args: &[&str], date: &str) -> bool {
    Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn last_updated_comes_from_the_last_commit_else_the_updated_field() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    write(
        &root,
        "content/a.md",
        "---\ntitle: A\ndate: 2024-01-02\nupdated: 2024-02-03\n---\nBody.\n",
    );
    write(
        &root,
        "content/b.md",
        "---\ntitle: B\ndate: 2024-01-02\n---\nBody.\n",
    );
    let updated = |out: &Path, id: &str| {
        let html = fs::read_to_string(out.join(format!("incidents/{id}/index.html"))).unwrap();
        html.split("<dt>Last updated</dt><dd>")
            .nth(1)
            .map(|rest| rest.split("</dd>").next().unwrap().to_string())
    };
    // Not a repository: the author's `updated`, and nothing for the file without one.
    let out = tmp.path().join("plain");
    build_site(&root, &out, &[]);
    assert_eq!(
        updated(&out, "a").as_deref(),
        Some(r#"<time datetime="2024-02-03">3 Feb 2024</time>"#)
    );
    assert_eq!(updated(&out, "b"), None);

    // A repository: each file's last commit, whatever `updated` says.
    if !git(&root, &["init", "-q"], "2024-03-01T10:00:00Z") {
        eprintln!("skipped: the git part of this test: git is not installed");
        return;
    }
    assert!(git(&root, &["add", "."], "2024-03-01T10:00:00Z"));
    assert!(git(
        &root,
        &["commit", "-qm", "first"],
        "2024-03-01T10:00:00+02:00"
    ));
    fs::write(
        root.join("content/b.md"),
        "---\ntitle: B\ndate: 2024-01-02\n---\nBody, revised.\n",
    )
    .unwrap();
    assert!(git(
        &root,
        &["commit", "-qam", "second"],
        "2024-04-05T23:30:00-02:00"
    ));
    let out = tmp.path().join("git");
    build_site(&root, &out, &[]);
    assert_eq!(
        updated(&out, "a").as_deref(),
        Some(r#"<time datetime="2024-03-01T08:00:00Z">1 Mar 2024</time>"#)
    );
    // Dated in UTC, so every build of the commit says the same.
    assert_eq!(
        updated(&out, "b").as_deref(),
        Some(r#"<time datetime="2024-04-06T01:30:00Z">6 Apr 2024</time>"#)
    );
    let again = tmp.path().join("git2");
    build_site(&root, &again, &[]);
    assert_eq!(common::files(&out).len(), common::files(&again).len());
    for ((pa, a), (_, b)) in common::files(&out).iter().zip(common::files(&again).iter()) {
        assert!(a == b, "{} differs between two builds", pa.display());
    }
}

#[test]
fn a_bad_updated_field_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "content/a.md",
        "---\ntitle: A\ndate: 2024-01-02\nupdated: last week\n---\nBody.\n",
    );
    let o = kb(root, &["check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("content/a.md:4:10") && err.contains("`updated` value `last week`"),
        "{err}"
    );
}
