//! Fenced code highlighted at build time: syntect's scopes written as CSS classes (`hl-…`), so
//! the theme's stylesheet colours them, light and dark, and pages need no JavaScript. The code
//! itself stays escaped (syntect escapes every piece of text it writes).

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Past these, a block is shown plain: highlighting runs a grammar's regular expressions on each
/// line, far slower than the rest of a build, and a pasted log or minified JSON gains nothing.
const MAX_BLOCK_BYTES: usize = 64 * 1024;
const MAX_LINE_BYTES: usize = 2_000;

const CLASSES: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// The grammars bundled with syntect (Sublime Text's), loaded once per process.
fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// kb's own grammars (src/content/grammars/), compiled by syntect into a dump, which a test
/// (tests/code_and_links.rs) checks against their source: they take the languages they name
/// before syntect's.
const OWN_GRAMMARS: &[u8] = include_bytes!("grammars/yaml.packdump");

fn own_syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        syntect::dumps::from_uncompressed_data(OWN_GRAMMARS)
            .expect("kb's grammar dump is written by its own test")
    })
}

/// The grammar for a fence's language, kb's own first.
fn grammar(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    [own_syntaxes(), syntaxes()]
        .into_iter()
        .find_map(|set| Some((set, set.find_syntax_by_token(lang)?)))
}

/// The language a fence names: the first word of its info string (`rust,ignore`,
/// `sh title="x"`).
pub fn language(info: &str) -> &str {
    info.split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
}

/// `code` as highlighted HTML (spans with classes only), or `None` when the fence names no
/// language syntect knows or the block is too large to be worth it.
pub fn highlight(info: &str, code: &str) -> Option<String> {
    let lang = language(info);
    if lang.is_empty()
        || code.len() > MAX_BLOCK_BYTES
        || code.lines().any(|l| l.len() > MAX_LINE_BYTES)
    {
        return None;
    }
    let (set, syntax) = grammar(lang)?;
    classed(set, syntax, code)
}

/// `code` through `syntax` of `set`, as spans with classes.
fn classed(set: &SyntaxSet, syntax: &SyntaxReference, code: &str) -> Option<String> {
    let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASSES);
    for line in LinesWithEndings::from(code) {
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(html.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_classes_and_text_stays_escaped() {
        let html = highlight("rust,ignore", "let s = \"<script>\";\n").unwrap();
        assert!(html.contains("<span class=\"hl-"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        for info in [
            "sh", "bash", "python", "yaml", "json", "sql", "go", "js", "diff",
        ] {
            assert!(highlight(info, "x\n").is_some(), "{info}");
        }
    }

    #[test]
    fn unknown_languages_and_huge_blocks_are_left_plain() {
        assert_eq!(highlight("", "x\n"), None);
        assert_eq!(highlight("no-such-language", "x\n"), None);
        assert_eq!(highlight("json", &"1".repeat(MAX_LINE_BYTES + 1)), None);
    }

    /// `code` through one grammar set's `lang`, as `highlight` writes it.
    fn with(set: &SyntaxSet, lang: &str, code: &str) -> String {
        classed(set, set.find_syntax_by_token(lang).unwrap(), code).unwrap()
    }

    /// What postmortems quote gets the HTML Sublime Text's grammar (syntect's) gives it.
    #[test]
    fn yaml_gets_the_scopes_of_sublimes_grammar() {
        let code = "\
# Deployment for the api
apiVersion: apps/v1
kind: Deployment
metadata:
  name: \"api-server\"
  namespace: 'prod' # the only one
spec:
  replicas: 3
  paused: false
  ratio: 1.5
  hex: 0x1F
  nothing: null
  since: 2001-12-14
  list: [1, two, \"three\"]
  base: &defaults
    timeout: 30s # seconds
    window: 1_000
  derived:
    <<: *defaults
  - name: x
    image: !!str nginx:1.25
    url: http://example.com/#frag
    key with spaces: a#b
\"quoted key\": \"tab\\tand \\\"quote\\\"\"
'single': 'it''s'
---
connection_pool_size: 64  # raised from 16 during the incident
...
";
        assert_eq!(
            with(own_syntaxes(), "yaml", code),
            with(syntaxes(), "yaml", code)
        );
    }

    /// Where Sublime's grammar splits a flow mapping's keys (`a` + `pp`), kb's keeps them whole;
    /// a block scalar's text ends where its indentation does.
    #[test]
    fn yaml_flow_keys_and_block_scalars() {
        let html = highlight("yaml", "labels: {app: api, tier: 'backend'}\n").unwrap();
        assert!(
            html.contains("<span class=\"hl-entity hl-name hl-tag hl-yaml\">app</span>"),
            "{html}"
        );
        let html = highlight(
            "yml",
            "script: |\n  echo \"a: b\" # not a comment\n\n  exit 1\nnext: 2\n",
        )
        .unwrap();
        let block = "<span class=\"hl-string hl-unquoted hl-block hl-yaml\">";
        assert!(
            html.contains(&format!(
                "{block}  echo &quot;a: b&quot; # not a comment\n</span>"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!("{block}  exit 1\n</span>")),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hl-entity hl-name hl-tag hl-yaml\">next</span>"),
            "{html}"
        );
        assert!(!html.contains("hl-comment"), "{html}");
    }

    /// Lines made to make expressions retry: highlighted, escaped, no panic.
    #[test]
    fn hostile_yaml_lines_are_highlighted_and_escaped() {
        for line in [
            "k: ".to_string() + &"ab ".repeat(600),
            "- ".repeat(990),
            "[".repeat(1990),
            "{a: ".repeat(490),
            "a:".repeat(990),
            "\"".to_string() + &"\\".repeat(1990),
            " ".repeat(1900) + "x: |",
            "x: <script>".to_string() + &" ".repeat(1900) + "#",
        ] {
            let html = highlight("yaml", &format!("{line}\n{line}\n")).unwrap();
            assert!(!html.contains("<script"), "{line}");
        }
    }
}
