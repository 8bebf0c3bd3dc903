//! Snippets: the part of a hit that matched, from the field that matched best, with the
//! matching words marked.

use std::ops::Range;

use std::collections::{BTreeMap, BTreeSet};

use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Score, Searcher, TantivyDocument, Term};

use super::{Index, analyzer};
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
                Some((name, field, generator(searcher, query, field)?))
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

/// tantivy's `SnippetGenerator::create` (the query's terms in `field`, each weighed by its
/// rarity), with an analyzer that stems only the words that may be one of them
/// ([`analyzer::en_split_finding`]): the same snippets, without stemming every word of every
/// hit's body on each search.
fn generator(searcher: &Searcher, query: &dyn Query, field: Field) -> Option<SnippetGenerator> {
    let mut terms: BTreeSet<&Term> = BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term);
        }
    });
    let mut weights: BTreeMap<String, Score> = BTreeMap::new();
    for term in terms {
        let value = term.value();
        let Some(text) = value.as_str() else {
            continue;
        };
        let doc_freq = searcher.doc_freq(term).ok()?;
        if doc_freq > 0 {
            weights.insert(text.to_string(), 1.0 / (1.0 + doc_freq as Score));
        }
    }
    let analyzer = analyzer::en_split_finding(weights.keys().map(String::as_str));
    Some(SnippetGenerator::new(
        weights,
        analyzer,
        field,
        SNIPPET_CHARS,
    ))
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
