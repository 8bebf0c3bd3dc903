//! Incidents that read alike: tantivy's MoreLikeThis, tuned for small knowledge bases (its
//! defaults, min doc freq 5 and min term freq 2, find nothing in a few dozen postmortems), the
//! incident itself left out. Blended with tags, services and symptoms in `kb::related`.

use std::collections::HashMap;

use rayon::prelude::*;
use tantivy::collector::TopDocs;
use tantivy::query::MoreLikeThisQuery;
use tantivy::schema::{OwnedValue, Value};
use tantivy::{DocAddress, TantivyDocument};

use super::Index;
use crate::kb::Kb;

/// Candidates kept per incident, before blending.
const CANDIDATES: usize = 8;
/// Terms in more documents than this say little about what an incident is; they are also the
/// long posting lists that make the query slow at 10k incidents.
const MAX_DOC_FREQ: u64 = 500;

/// For each incident (by knowledge base index): other incidents with a text similarity in
/// (0, 1], relative to how well the incident matches its own terms.
pub fn compute(index: &Index, kb: &Kb) -> Vec<Vec<(usize, f32)>> {
    let searcher = index.searcher();
    let n = kb.entries.len();
    // Doc address ↔ incident index, through the stored-and-fast id.
    let mut addr_of: Vec<Option<DocAddress>> = vec![None; n];
    let mut entry_of: HashMap<DocAddress, usize> = HashMap::new();
    for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
        let Ok(Some(col)) = seg.fast_fields().str("id") else {
            continue;
        };
        let mut s = String::new();
        for doc in 0..seg.max_doc() {
            if let Some(ord) = col.term_ords(doc).next()
                && col.ord_to_str(ord, &mut s).unwrap_or(false)
                && let Some(&i) = kb.by_id.get(&s)
            {
                let addr = DocAddress::new(seg_ord as u32, doc);
                addr_of[i] = Some(addr);
                entry_of.insert(addr, i);
            }
        }
    }
    let max_df = (n as u64 / 10).clamp(5, MAX_DOC_FREQ);
    let text_fields = index.fields.text;
    (0..n)
        .into_par_iter()
        .map(|i| {
            let Some(addr) = addr_of[i] else {
                return Vec::new();
            };
            let Ok(doc) = searcher.doc::<TantivyDocument>(addr) else {
                return Vec::new();
            };
            let values: Vec<(tantivy::schema::Field, Vec<OwnedValue>)> = text_fields
                .iter()
                .map(|f| {
                    let v = doc
                        .get_all(*f)
                        .filter_map(|v| v.as_str().map(|s| OwnedValue::Str(s.to_string())))
                        .collect();
                    (*f, v)
                })
                .collect();
            let query = MoreLikeThisQuery::builder()
                .with_min_doc_frequency(2)
                .with_max_doc_frequency(max_df)
                .with_min_term_frequency(1)
                .with_max_query_terms(25)
                .with_min_word_length(3)
                .with_boost_factor(1.0)
                .with_document_fields(values);
            let Ok(top) = searcher.search(
                &query,
                &TopDocs::with_limit(CANDIDATES + 1).order_by_score(),
            ) else {
                return Vec::new();
            };
            // The incident matches its own terms best: its score is the scale.
            let own = top
                .iter()
                .find(|(_, a)| *a == addr)
                .map(|(s, _)| *s)
                .or_else(|| top.first().map(|(s, _)| *s))
                .unwrap_or(0.0);
            if own <= 0.0 {
                return Vec::new();
            }
            top.into_iter()
                .filter(|(_, a)| *a != addr)
                .filter_map(|(s, a)| Some((*entry_of.get(&a)?, (s / own).min(1.0))))
                .take(CANDIDATES)
                .collect()
        })
        .collect()
}
