//! Snippets: the part of a hit that matched, from the field that matched best, with the
//! matching words marked.

use std::ops::Range;

use tantivy::Searcher;
use tantivy::TantivyDocument;
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;

use super::Index;
use crate::content::infer::clip;

/// One snippet generator per field, built once per query.
pub struct Snippets {
    /// (field name, generator) in preference order: symptoms, summary, factors, body.
    gens: Vec<(&'static str, Field, SnippetGenerator)>,
}

const SNIPPET_CHARS: usize = 180;

impl Snippets {
    pub fn new(searcher: &Searcher, query: &dyn Query, index: &Index) -> Snippets {
        let fields = &index.fields;
        let gens = [("symptoms", 0), ("summary", 2), ("factors", 3), ("body", 4)]
            .into_iter()
            .filter_map(|(name, k)| {
                let field = fields.text[k];
                let mut g = SnippetGenerator::create(searcher, query, field).ok()?;
                g.set_max_num_chars(SNIPPET_CHARS);
                Some((name, field, g))
            })
            .collect();
        Snippets { gens }
    }

    /// The snippet with the most distinct matching words; earlier fields win ties, so a
    /// matching symptom line comes first. Without any match, the summary's start.
    pub fn best(
        &self,
        doc: &TantivyDocument,
        f: &super::Fields,
    ) -> (&'static str, String, Vec<Range<usize>>) {
        let mut best: Option<(usize, &'static str, String, Vec<Range<usize>>)> = None;
        for (name, field, g) in &self.gens {
            // Each value on its own: a symptom line, a factor, the body.
            for v in doc.get_all(*field) {
                let Some(text) = v.as_str() else { continue };
                let s = g.snippet(text);
                if s.highlighted().is_empty() {
                    continue;
                }
                let frag = s.fragment();
                let mut words: Vec<String> = s
                    .highlighted()
                    .iter()
                    .map(|r| frag[r.clone()].to_lowercase())
                    .collect();
                words.sort();
                words.dedup();
                if best.as_ref().is_none_or(|b| words.len() > b.0) {
                    let text = frag.replace(['\n', '\t', '\r'], " ");
                    best = Some((words.len(), name, text, s.highlighted().to_vec()));
                }
            }
        }
        if let Some((_, name, text, marks)) = best {
            return (name, text, marks);
        }
        let summary = doc
            .get_first(f.text[2])
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let summary = summary.replace(['\n', '\t', '\r'], " ");
        ("summary", clip(&summary, SNIPPET_CHARS), Vec::new())
    }
}

/// The text HTML-escaped with the marked ranges in `<mark>`.
pub fn mark_html(text: &str, marks: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + marks.len() * 13);
    let mut i = 0;
    for r in marks {
        if r.start < i || r.end > text.len() {
            continue;
        }
        escape_into(&mut out, &text[i..r.start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[r.clone()]);
        out.push_str("</mark>");
        i = r.end;
    }
    escape_into(&mut out, &text[i..]);
    out
}

fn escape_into(out: &mut String, s: &str) {
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(out, s);
}
