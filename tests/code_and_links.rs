//! Code and links on an incident page, through the real `kb build`: bare URLs become links
//! (never inside code or links, never with a scheme the allowlist refuses), headings carry
//! self-links beside them, fenced code is highlighted with classes, and all of it survives the sanitizer when the body has raw HTML.

mod common;

use std::fs;
use std::path::Path;

const BODY: &str = r#"---
title: Cache stampede
date: 2024-03-01
---
The status page at https://status.example.com/incidents/42. said so (see
http://wiki.example.com/Cache_(computing)), and the runbook
<https://runbook.example.com/> too.

## What `https://inline.example.com/code` did

Run `curl https://api.example.com/health` first, or [the dashboard](https://grafana.example.com/d/1),
or [https://text.example.com/](https://target.example.com/).

```sh
curl -s https://block.example.com/health "<script>alert(1)</script>"
```

```no-such-language
plain <b>text</b>
```

```yaml
replicas: 3 # was 1
```

javascript://not-a-link.example.com and ftp://files.example.com stay text.

## Why "we" waited

Done.
"#;

fn incident_page(body: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(root.join("content/2024-03-01-cache.md"), body).unwrap();
    let out = tmp.path().join("site");
    common::build_site(&root, &out, &[]);
    read(&out.join("incidents/2024-03-01-cache/index.html"))
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn links_to(page: &str, url: &str) -> usize {
    page.matches(&format!("href=\"{url}\"")).count()
}

fn check(page: &str) {
    // Bare URLs are links, without the sentence's punctuation, balanced parentheses kept.
    assert!(
        page.contains("<a href=\"https://status.example.com/incidents/42\">https://status.example.com/incidents/42</a>. said"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"http://wiki.example.com/Cache_(computing)\">http://wiki.example.com/Cache_(computing)</a>), and"),
        "{page}"
    );
    // Markdown's own links and autolinks stay one link each.
    assert_eq!(links_to(page, "https://runbook.example.com/"), 1);
    assert_eq!(links_to(page, "https://grafana.example.com/d/1"), 1);
    assert_eq!(links_to(page, "https://target.example.com/"), 1);
    assert_eq!(links_to(page, "https://text.example.com/"), 0);
    // Nothing in code becomes a link; what the body says stays escaped.
    for inert in [
        "https://inline.example.com/code",
        "https://api.example.com/health",
        "https://block.example.com/health",
    ] {
        assert_eq!(links_to(page, inert), 0, "{inert}");
        assert!(page.contains(inert), "{inert}");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"));
    // Fenced code in a known language is highlighted with classes, never inline colours.
    assert!(
        page.contains("<pre><code class=\"language-sh\"><span class=\"hl-source hl-shell"),
        "{page}"
    );
    assert!(
        page.contains("<pre><code class=\"language-yaml\"><span class=\"hl-source hl-yaml\"><span class=\"hl-string hl-unquoted hl-plain hl-out hl-yaml\"><span class=\"hl-entity hl-name hl-tag hl-yaml\">replicas</span></span>"),
        "{page}"
    );
    assert!(!page.contains("style=\"color"));
    assert!(page.contains("<pre><code class=\"language-no-such-language\">plain &lt;b&gt;text&lt;/b&gt;\n</code></pre>"));
    // Only http and https.
    assert!(!page.contains("href=\"javascript"));
    assert!(!page.contains("href=\"ftp"));

    // Each body heading has its self-link beside it, named by text, the heading's text escaped.
    assert!(
        page.contains(
            "<a class=\"anchor\" href=\"#why-we-waited\"><span class=\"visually-hidden\">Link to this section: Why \"we\" waited</span></a>"
        ) || page.contains(
            "<a class=\"anchor\" href=\"#why-we-waited\"><span class=\"visually-hidden\">Link to this section: Why &quot;we&quot; waited</span></a>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<a class=\"anchor\" href=\"#what-https-inline-example-com-code-did\">"),
        "{page}"
    );
    assert!(page.contains("<div class=\"heading\">\n<h2 id=\"why-we-waited\">"));
}

#[test]
fn bare_urls_become_links_and_headings_link_to_themselves() {
    check(&incident_page(BODY));
}

/// With raw HTML in the body the whole body goes through the sanitizer: what kb adds must
/// come out as it went in.
#[test]
fn links_and_self_links_survive_the_sanitizer() {
    let page = incident_page(&BODY.replace("Done.", "Done.\n\n<details><summary>More</summary>\n\nhttps://more.example.com/x\n\n</details>\n\n<a href=\"https://raw.example.com/\">https://raw.example.com/</a>\n"));
    check(&page);
    assert!(page.contains("<details><summary>More</summary>"));
    assert_eq!(links_to(&page, "https://more.example.com/x"), 1);
    assert_eq!(links_to(&page, "https://raw.example.com/"), 1);
}

/// kb embeds its own grammars compiled (src/content/grammars/*.packdump, which the binary loads
/// without syntect's YAML reader); the dump is its source compiled. `KB_WRITE_GRAMMARS=1`
/// rewrites it after the grammar is edited. Compiled from the text, not the folder: a grammar
/// read from a file keeps its path in the dump.
#[test]
fn the_embedded_grammar_dump_is_its_source_compiled() {
    use syntect::parsing::{SyntaxDefinition, SyntaxSetBuilder};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/content/grammars");
    let source = read(&dir.join("yaml.sublime-syntax"));
    let mut builder = SyntaxSetBuilder::new();
    builder.add(SyntaxDefinition::load_from_str(&source, true, None).unwrap());
    let set = builder.build();
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("yaml.packdump");
    syntect::dumps::dump_to_uncompressed_file(&set, &fresh).unwrap();
    let fresh = fs::read(&fresh).unwrap();
    let embedded = dir.join("yaml.packdump");
    if std::env::var_os("KB_WRITE_GRAMMARS").is_some() {
        fs::write(&embedded, &fresh).unwrap();
    }
    assert!(
        fs::read(&embedded).unwrap() == fresh,
        "src/content/grammars/yaml.packdump is stale: run `KB_WRITE_GRAMMARS=1 cargo test --test code_and_links grammar`"
    );
}
