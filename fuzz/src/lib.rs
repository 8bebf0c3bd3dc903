//! The rules the fuzz targets and `tests/properties.rs` hold kb's parsers to, in one place so
//! both check the same thing: whatever the text, no panic; every error points inside the text
//! (line ≥ 1, column ≥ 1); rendered HTML runs no script.
//!
//! The property test includes this file with `#[path]` (the fuzz crate is not part of the main
//! build), so it may use only `kb` and std.

use std::path::Path;

use kb::config::Config;
use kb::content::incident::LinkTarget;
use kb::content::{markdown, parse};
use kb::diagnostics::Diagnostic;
use kb::kb::Kb;
use kb::search::{Index, SearchOptions, print, query, run::Searching, synonyms::Synonyms};

/// Where the fuzzed postmortem sits: no date in its name, so the date is inferred from the body.
const FILE: &str = "content/fuzz.md";
const REL: &str = "fuzz.md";

/// A second postmortem, so that `[[companion]]` and `2023/companion.md` links resolve (and an
/// `id: companion` collides) as they would in a real knowledge base.
const COMPANION_FILE: &str = "content/2023/companion.md";
const COMPANION_REL: &str = "2023/companion.md";
const COMPANION: &str = "---\nid: companion\ntitle: Replica lag\ndate: 2023-05-02\nseverity: SEV2\ntags: [replication, Database]\nservices: [checkout-api]\n---\n# Replica lag\n\nThe replica fell behind and reads were stale.\n\n## Timeline\n\nAll times in UTC.\n\n- 2023-05-02 10:00 lag alert\n\n## Action items\n\n- [ ] Alert on lag (owner: Ana, due 2023-06-01)\n";

/// Panics unless an error diagnostic points at a line and column that exist in `text`.
/// Warnings may be about the whole file (line 0).
pub fn assert_located(text: &str, d: &Diagnostic) {
    // Rendering is what `kb check` and `kb build` print: it must not panic either.
    let _ = d.render(false);
    if !d.is_error() && d.line == 0 {
        return;
    }
    // kb counts lines at `\n`; the YAML parser (like most editors) also ends a line at a lone
    // `\r`, so an old Mac line ending shifts YAML errors down. Either count is accepted
    // (docs/dev/fuzzing.md, findings).
    let crlf = text.replace("\r\n", "\n");
    let counts = [
        text.split('\n').collect::<Vec<_>>(),
        crlf.split(['\r', '\n']).collect(),
    ];
    let inside = |lines: &Vec<&str>| {
        d.line >= 1
            && d.col >= 1
            && d.line <= lines.len()
            && d.col <= lines[d.line - 1].chars().count() + 1
    };
    assert!(
        counts.iter().any(inside),
        "error outside the text ({} lines) at {}:{}: {}",
        counts[0].len(),
        d.line,
        d.col,
        d.message
    );
}

/// Asserts a query error or clause column is within `1..=len + 1` characters of the query.
fn assert_query_col(input: &str, col: usize, what: &str) {
    let len = input.chars().count();
    assert!(
        (1..=len + 1).contains(&col),
        "{what} at column {col} of a {len}-character query"
    );
}

/// One postmortem through what `kb build` does to it: frontmatter, fields and inference,
/// the knowledge base's cross-file checks, then the body rendered as on its page (raw HTML
/// sanitized) and as indexed. Returns the page's body HTML for [`script_in_html`].
pub fn postmortem(text: &str) -> String {
    let config = Config::default();
    let (inc, diags) = parse::parse(FILE, REL, text, &config);
    // parse() drops a byte order mark before locating anything.
    let located = text.strip_prefix('\u{feff}').unwrap_or(text);
    for d in &diags {
        assert_located(located, d);
    }
    let (companion, _) = parse::parse(COMPANION_FILE, COMPANION_REL, COMPANION, &config);
    let mut kb_diags = Vec::new();
    let kb = Kb::build(config, vec![inc, companion], &mut kb_diags);
    for d in kb_diags.iter().filter(|d| d.file == FILE && d.line > 0) {
        assert_located(located, d);
    }
    let e = kb
        .entries
        .iter()
        .find(|e| e.incident.path == FILE)
        .expect("the fuzzed postmortem is in the knowledge base");
    let resolve = |t: &LinkTarget| {
        e.resolved_links
            .get(t)
            .map(|j| format!("../{}/", kb.entries[*j].incident.id))
    };
    let skip_h1 = e.incident.inferred.contains("title");
    let rendered = markdown::render(&e.incident.body, &resolve, skip_h1, false);
    let _ = markdown::plain_text(&e.incident.body);
    rendered.html
}

/// `site.toml` as `Config::parse` reads it; when it parses, the settings are put to use: a
/// postmortem read with its severity levels, the tag taxonomy and the synonym groups.
pub fn site_toml(text: &str) {
    let config = match Config::parse(text) {
        Ok(c) => c,
        Err(d) => {
            assert!(d.is_error());
            assert!(
                d.line >= 1,
                "site.toml error without a position: {}",
                d.message
            );
            assert_located(text, &d);
            return;
        }
    };
    let _ = Synonyms::new(
        &config.search.synonyms,
        &config.search.drop_synonyms,
        &mut kb::search::analyzer::en_split(),
    );
    let (inc, mut diags) = parse::parse(COMPANION_FILE, COMPANION_REL, COMPANION, &config);
    let kb = Kb::build(config, vec![inc], &mut diags);
    for d in &diags {
        if d.file == COMPANION_FILE {
            assert_located(COMPANION, d);
        }
    }
    let taxonomy = kb::kb::Taxonomy::new(&kb.config);
    for e in &kb.entries {
        let _ = taxonomy.tags_of(&e.incident);
    }
}

/// A knowledge base indexed in memory, for running queries against.
pub struct Example {
    pub config: Config,
    pub index: Index,
}

impl Example {
    /// Loads and indexes the knowledge base at `root` (the repository's example).
    pub fn load(root: &Path) -> Example {
        let config = Config::load(root).expect("the example site.toml parses");
        let content = kb::content::load::content_dir(root);
        let skip = kb::content::load::skip_dirs(root, &root.join("public"));
        let loaded = kb::content::load::load(root, &content, &skip, &config);
        assert!(
            !loaded.incidents.is_empty(),
            "no postmortems under {root:?}"
        );
        let mut diags = loaded.diagnostics;
        let kb = Kb::build(config.clone(), loaded.incidents, &mut diags);
        let stamp = kb::search::store::stamp(root, &root.join("public"), false);
        let (index, _, ()) =
            kb::search::store::write(&kb, None, &stamp, || ()).expect("indexing in memory");
        Example { config, index }
    }
}

/// A query as `kb search` runs it: parsed (clause and error columns inside the query), run
/// with facets against `example`, and printed for the terminal.
pub fn query(example: &Example, input: &str) {
    // Code words: a compound has two parts or more, which spell the word in order.
    for run in input.split(|c: char| !c.is_alphanumeric()) {
        let (end, parts) = kb::search::analyzer::split(run);
        assert!(parts.len() != 1, "{run:?}");
        let joined: String = parts.iter().map(|p| &run[p.clone()]).collect();
        assert!(parts.is_empty() || joined == run[..end], "{run:?}");
    }
    for w in kb::search::analyzer::words(&mut kb::search::analyzer::en_split(), input) {
        assert!(w.parts.len() != 1, "{input:?}");
    }
    match query::parse(input) {
        Ok(q) => {
            for c in &q.clauses {
                let col = match c {
                    query::Clause::Word { col, .. }
                    | query::Clause::Phrase { col, .. }
                    | query::Clause::Filter { col, .. }
                    | query::Clause::Date { col, .. } => *col,
                };
                assert_query_col(input, col, "clause");
            }
        }
        Err(e) => {
            assert_query_col(input, e.col, &e.message);
            let _ = e.render(input);
        }
    }
    let opts = SearchOptions {
        limit: 10,
        facets: true,
    };
    match Searching::new(&example.index, &example.config).search(input, &opts) {
        Ok(results) => {
            for h in &results.hits {
                for m in &h.snippet_marks {
                    assert!(
                        h.snippet_text.get(m.clone()).is_some(),
                        "mark {m:?} is not inside the snippet {:?}",
                        h.snippet_text
                    );
                }
            }
            let _ = print::human(&results, true);
        }
        Err(e) => {
            assert_query_col(input, e.col, &e.message);
            let _ = e.render(input);
        }
    }
}

/// Elements that load or run something; the sanitizer allows none of them.
const ACTIVE: [&str; 13] = [
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link",
    "style", "svg", "math",
];

/// Attributes whose value a browser follows as a URL.
const URL_ATTRS: [&str; 8] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "data",
];

/// What in `html` could run script, if anything: an element from [`ACTIVE`], an `on…` event
/// handler, or a `javascript:` or `vbscript:` URL (read as a browser reads it: entities
/// decoded, tabs and newlines dropped, case ignored). A small tokenizer rather than a
/// substring search, so that text like "depends on=" or a title attribute quoting code is not
/// taken for markup.
pub fn script_in_html(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        let rest = &html[i..];
        if let Some(after) = rest.strip_prefix("!--") {
            i += 3 + after.find("-->").map_or(after.len(), |e| e + 3);
            continue;
        }
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if ACTIVE.contains(&name.as_str()) {
            return Some(format!("a <{name}> element"));
        }
        i += name_len;
        // Attributes, up to the end of the tag.
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'/' | b'>' | b'=')
            {
                i += 1;
            }
            // At least one byte, so a stray `=` cannot stop the loop.
            i = i.max(start + 1);
            let attr = html[start..i].to_ascii_lowercase();
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = "";
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let end = b[i + 1..]
                        .iter()
                        .position(|c| *c == q)
                        .map_or(b.len(), |e| i + 1 + e);
                    value = &html[i + 1..end];
                    i = (end + 1).min(b.len());
                } else {
                    let s = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = &html[s..i];
                }
            }
            if attr.starts_with("on") {
                return Some(format!("an event handler `{attr}` on <{name}>"));
            }
            if URL_ATTRS.contains(&attr.as_str()) {
                let url = browser_url(value);
                if url.starts_with("javascript:") || url.starts_with("vbscript:") {
                    return Some(format!("a script URL in `{attr}` on <{name}>: {value}"));
                }
            }
        }
    }
    None
}

/// An attribute value as a browser's URL parser sees its scheme: character references
/// decoded, ASCII tabs and newlines removed, leading spaces and controls trimmed, lowercased.
fn browser_url(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(rest.len(), |e| e + 1);
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            n.and_then(char::from_u32)
        } else {
            match name.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => None,
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.retain(|c| !matches!(c, '\t' | '\n' | '\r'));
    out.trim_start_matches(|c: char| c <= ' ')
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::script_in_html;

    #[test]
    fn finds_what_runs_script_and_nothing_else() {
        for bad in [
            "<p>x</p><SCRIPT>alert(1)</SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<img src=\"x\" ONLOAD = \"alert(1)\">",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=' JaVa&#x09;Script&colon;alert(1)'>x</a>",
            "<a href=&#106;avascript:alert(1)>x</a>",
            "<svg><a xlink:href=\"#\">x</a></svg>",
        ] {
            assert!(script_in_html(bad).is_some(), "missed: {bad}");
        }
        for good in [
            "<p>it depends on=that &lt;script&gt;</p>",
            "<a href=\"https://e.com/javascript:x\" title=\"a onclick=b\">x</a>",
            "<img src=\"a.png\" alt=\"javascript:\"><!-- <script> -->",
            "<h2 id=\"onboarding\">x</h2><p>1 < 2</p>",
        ] {
            assert_eq!(script_in_html(good), None, "{good}");
        }
    }
}
