//! The one allowlist for what a postmortem may put on a page: URL schemes, HTML tags and
//! attributes, and how deep its blocks may nest. Markdown links and images, frontmatter URLs,
//! authors' raw HTML (through ammonia) and `kb check`'s reports all read these lists, so what
//! `kb check` says is removed is what the sanitizer removes.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Schemes a link or image may use; anything without a scheme is relative and allowed.
pub const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// How deep lists, quotes, emphasis and HTML elements may nest in a body. Real postmortems
/// stay under ten; past this the HTML parser behind sanitizing slows with the square of the
/// depth, so deeper bodies are refused with a located error.
pub const MAX_NESTING: usize = 100;

/// Tags (beyond ammonia's defaults) that authors' HTML keeps.
const EXTRA_TAGS: &[&str] = &[
    "details",
    "summary",
    "input",
    "figure",
    "figcaption",
    "mark",
    "kbd",
    "section",
];

/// Attributes any kept tag may carry. No `style`, no event handlers.
const GENERIC_ATTRIBUTES: &[&str] = &["id", "class", "title", "lang", "dir"];

const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("input", &["type", "checked", "disabled"]),
    ("details", &["open"]),
    ("th", &["colspan", "rowspan", "align"]),
    ("td", &["colspan", "rowspan", "align"]),
    ("img", &["src", "alt", "width", "height", "loading"]),
    ("a", &["href", "hreflang"]),
    ("ol", &["start"]),
];

/// The one `style` a table cell keeps: the alignment Markdown tables are written with.
const CELL_STYLES: &[&str] = &[
    "text-align: left",
    "text-align: center",
    "text-align: right",
];

/// Attributes holding a URL, checked against [`URL_SCHEMES`].
const URL_ATTRIBUTES: &[&str] = &["href", "src", "cite", "action", "formaction", "poster"];

/// The scheme of `url` as a browser reads it (leading spaces and controls dropped, tabs and
/// newlines inside removed, case ignored), or `None` for a relative URL. Entities must already
/// be decoded: pulldown-cmark and the HTML tokenizer both do that.
pub fn url_scheme(url: &str) -> Option<String> {
    let trimmed = url.trim_start_matches(|c: char| c <= ' ');
    let mut scheme = String::new();
    for c in trimmed.chars() {
        match c {
            '\t' | '\n' | '\r' => {}
            ':' => return (!scheme.is_empty()).then_some(scheme),
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            c if !scheme.is_empty() && (c.is_ascii_digit() || "+-.".contains(c)) => scheme.push(c),
            _ => return None,
        }
    }
    None
}

/// Whether a page may link to `url`.
pub fn url_allowed(url: &str) -> bool {
    url_scheme(url).is_none_or(|s| URL_SCHEMES.contains(&s.as_str()))
}

/// The sanitizer for authors' raw HTML, built from the lists above.
pub fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(EXTRA_TAGS);
        b.generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect());
        b.tag_attributes(
            TAG_ATTRIBUTES
                .iter()
                .map(|(t, a)| (*t, a.iter().copied().collect()))
                .collect(),
        );
        let styles: HashMap<&str, HashSet<&str>> =
            [("style", CELL_STYLES.iter().copied().collect())].into();
        b.tag_attribute_values([("th", styles.clone()), ("td", styles)].into());
        b.url_schemes(URL_SCHEMES.iter().copied().collect());
        // Footnote links and anchors are relative; keep them as written.
        b.url_relative(ammonia::UrlRelative::PassThrough);
        b.link_rel(None);
        b
    })
}

/// Why a piece of raw HTML does not reach the page, and where in the fragment (0-based line).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlFinding {
    pub line: usize,
    pub what: String,
}

/// What the sanitizer removes from one fragment of raw HTML, and the fragment's net element
/// depth (opened minus closed elements that nest). Linear in the fragment's length.
pub fn scan_html(fragment: &str) -> (Vec<HtmlFinding>, isize) {
    let sink = Scan::default();
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(fragment));
    let _ = tok.feed(&input);
    tok.end();
    let sink = tok.sink;
    (sink.findings.into_inner(), sink.depth.get())
}

#[derive(Default)]
struct Scan {
    findings: RefCell<Vec<HtmlFinding>>,
    depth: std::cell::Cell<isize>,
}

fn builder_lists() -> &'static (HashSet<&'static str>, HashSet<&'static str>) {
    static LISTS: OnceLock<(HashSet<&str>, HashSet<&str>)> = OnceLock::new();
    LISTS.get_or_init(|| {
        let b = sanitizer();
        (b.clone_tags(), b.clone_clean_content_tags())
    })
}

/// Elements that never nest (void) or that the parser closes by itself when the next one
/// opens (`<li>`, `<p>`, table cells): they do not make the tree deeper.
fn nests(tag: &str) -> bool {
    !matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "option"
            | "rp"
            | "rt"
    )
}

impl TokenSink for Scan {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        let name: &str = &tag.name;
        if nests(name) && !tag.self_closing {
            let d = self.depth.get();
            self.depth.set(match tag.kind {
                TagKind::StartTag => d + 1,
                TagKind::EndTag => d - 1,
            });
        }
        if tag.kind == TagKind::EndTag {
            return TokenSinkResult::Continue;
        }
        let line = (line_number as usize).saturating_sub(1);
        let mut out = self.findings.borrow_mut();
        let (tags, clean_content) = builder_lists();
        if clean_content.contains(name) {
            out.push(HtmlFinding {
                line,
                what: format!("removed `<{name}>` and its content"),
            });
            // Its content is not markup: read it as text, as a browser would.
            return TokenSinkResult::RawData(html5ever::tokenizer::states::RawKind::ScriptData);
        }
        if !tags.contains(name) {
            out.push(HtmlFinding {
                line,
                what: format!("removed the tag `<{}>` (its text is kept)", visible(name)),
            });
            return TokenSinkResult::Continue;
        }
        for attr in &tag.attrs {
            let attr_name: &str = &attr.name.local;
            let value: &str = &attr.value;
            let allowed = GENERIC_ATTRIBUTES.contains(&attr_name)
                || TAG_ATTRIBUTES
                    .iter()
                    .any(|(t, a)| *t == name && a.contains(&attr_name))
                || (attr_name == "style"
                    && matches!(name, "th" | "td")
                    && CELL_STYLES.contains(&value.to_ascii_lowercase().as_str()));
            if !allowed {
                out.push(HtmlFinding {
                    line,
                    what: format!(
                        "removed the attribute `{}` from `<{name}>`",
                        visible(attr_name)
                    ),
                });
            } else if URL_ATTRIBUTES.contains(&attr_name) && !url_allowed(value) {
                out.push(HtmlFinding {
                    line,
                    what: format!(
                        "removed `{attr_name}` from `<{name}>`: {}",
                        scheme_reason(value)
                    ),
                });
            }
        }
        TokenSinkResult::Continue
    }
}

/// `s` for a message: control characters shown escaped, cut to a readable length.
pub fn visible(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a URL is refused, for messages.
pub fn scheme_reason(url: &str) -> String {
    let scheme = url_scheme(url).unwrap_or_default();
    format!(
        "the scheme `{scheme}:` is not one of {}",
        URL_SCHEMES
            .iter()
            .map(|s| format!("`{s}:`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_read_as_a_browser_reads_them() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " \u{1}javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "data:text/html,x",
            "vbscript:x",
            "JAVASCRIPT:x",
        ] {
            assert!(!url_allowed(bad), "{bad:?} allowed");
        }
        for good in [
            "https://e.com/a",
            "HTTP://e.com",
            "mailto:a@b.c",
            "../x/",
            "#timeline",
            "a.png",
            "/abs/path",
            "?q=a:b",
            "x/y:z",
        ] {
            assert!(url_allowed(good), "{good:?} refused");
        }
    }

    #[test]
    fn scan_reports_what_the_sanitizer_removes() {
        let (f, depth) = scan_html(
            "<td style=\"position:fixed\">\n<img src=\"JavaScript:x\" onerror=\"y\">\n<script>a<b>c</script><td style=\"text-align: left\">",
        );
        let what: Vec<(usize, &str)> = f.iter().map(|f| (f.line, f.what.as_str())).collect();
        assert_eq!(
            what,
            [
                (0, "removed the attribute `style` from `<td>`"),
                (
                    1,
                    "removed `src` from `<img>`: the scheme `javascript:` is not one of `http:`, `https:`, `mailto:`"
                ),
                (1, "removed the attribute `onerror` from `<img>`"),
                (2, "removed `<script>` and its content"),
            ]
        );
        assert_eq!(depth, 0);
        assert_eq!(scan_html("<div><div><b>").1, 3);
    }
}
