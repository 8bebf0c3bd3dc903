//! Fenced code highlighted at build time: syntect's scopes written as CSS classes (`hl-…`), so
//! the theme's stylesheet colours them, light and dark, and pages need no JavaScript. The code
//! itself stays escaped (syntect escapes every piece of text it writes).

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
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
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
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
}
