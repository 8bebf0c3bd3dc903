//! Incidents that read alike: a MoreLikeThis query (the incident's most distinctive terms,
//! weighted by tf × idf) run against the index, the incident itself left out. Tuned for small
//! knowledge bases: tantivy's defaults (min doc freq 5, min term freq 2) find nothing in a few
//! dozen postmortems. Blended with tags, services and symptoms in `kb::related`.

use std::collections::HashMap;

use ahash::AHashMap;
use rayon::prelude::*;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, TantivyDocument, Term};

use super::Index;
use crate::kb::Kb;
use crate::kb::related::TextMatch;

/// Candidates kept per incident, before blending.
const CANDIDATES: usize = 8;
/// Terms in more documents than this say little about what an incident is; they are also the
/// long posting lists that make the query slow at 10k incidents.
const MAX_DOC_FREQ: u64 = 500;
/// Terms in a query, and the shortest stem worth one.
const QUERY_TERMS: usize = 25;
const MIN_WORD: usize = 3;
/// How much a title-only match counts next to a whole-text one.
const TITLE_WEIGHT: f32 = 0.8;
/// Bytes of each field value analysed for the query.
const MLT_TEXT: usize = 1000;

/// For each incident (by knowledge base index): the other incidents that read alike, with a
/// similarity relative to how well the incident matches its own terms, and up to three words
/// both use in their title, symptoms, summary or factors (rarest first), from `vocab` (the
/// same knowledge base's [`Vocabulary`]).
pub fn compute(index: &Index, kb: &Kb, vocab: &Vocabulary) -> Vec<Vec<TextMatch>> {
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
    let doc_freqs = DocFreqs::new(&searcher, &text_fields, max_df);
    (0..n)
        .into_par_iter()
        .map_init(
            || index.analyzer(),
            |analyzer, i| {
                let Some(addr) = addr_of[i] else {
                    return Vec::new();
                };
                let Ok(doc) = searcher.doc::<TantivyDocument>(addr) else {
                    return Vec::new();
                };
                let values: Vec<(Field, Vec<&str>)> = text_fields
                    .iter()
                    .map(|f| {
                        (
                            *f,
                            doc.get_all(*f)
                                .filter_map(|v| v.as_str())
                                .map(head)
                                .collect(),
                        )
                    })
                    .collect();
                let terms = weighed(&searcher, analyzer, &values, &doc_freqs);
                let mut sims = relative(&searcher, &terms, |_| true, addr, &entry_of);
                // Titles alone: two postmortems titled alike ("All services returning 503 in
                // Kubernetes") are alike even when their write-ups wander. The title's terms are
                // weighed as above: tf and idf are per field.
                let title = index.fields.title();
                let is_title = |t: &Term| t.field() == title;
                for (j, t) in relative(&searcher, &terms, is_title, addr, &entry_of) {
                    let t = t * TITLE_WEIGHT;
                    match sims.iter_mut().find(|(k, _)| *k == j) {
                        Some((_, s)) => *s = s.max(t),
                        None => sims.push((j, t)),
                    }
                }
                sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                sims.truncate(CANDIDATES);
                sims.into_iter()
                    .map(|(j, similarity)| TextMatch {
                        index: j,
                        similarity,
                        words: vocab.shared(i, j),
                    })
                    .collect()
            },
        )
        .collect()
}

/// The start of a long text: what an incident is about is said early, and analysing whole
/// bodies again would double the indexing time.
fn head(s: &str) -> &str {
    if s.len() <= MLT_TEXT {
        return s;
    }
    let mut end = MLT_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// How many incidents hold each term of the text fields, for the terms a query may use (held
/// by 2 to `max_df` incidents), read once from the term dictionaries: looking each candidate
/// term up in the dictionary, per incident, was a fifth of finding similar incidents.
struct DocFreqs(HashMap<Field, AHashMap<Box<[u8]>, u64>>);

impl DocFreqs {
    fn new(searcher: &tantivy::Searcher, fields: &[Field], max_df: u64) -> DocFreqs {
        let mut all: HashMap<Field, AHashMap<Box<[u8]>, u64>> = HashMap::new();
        for &field in fields {
            let freqs = all.entry(field).or_default();
            super::each_term(searcher, field, |key, df| {
                *freqs.entry(key.into()).or_default() += u64::from(df);
            });
            freqs.retain(|_, df| (2..=max_df).contains(df));
        }
        DocFreqs(all)
    }

    /// The term's document frequency when a query may use it.
    #[cfg(test)]
    fn get(&self, term: &Term) -> Option<u64> {
        self.of(term.field())?
            .get(term.serialized_value_bytes())
            .copied()
    }

    /// The table of one field's terms, by their text.
    fn of(&self, field: Field) -> Option<&AHashMap<Box<[u8]>, u64>> {
        self.0.get(&field)
    }
}

/// The terms of `values` worth a MoreLikeThis query, scored tf × idf, best first; ties by
/// term, so the same text always gives the same query.
fn weighed(
    searcher: &tantivy::Searcher,
    analyzer: &mut TextAnalyzer,
    values: &[(Field, Vec<&str>)],
    doc_freqs: &DocFreqs,
) -> Vec<(f32, Term)> {
    let n = searcher.num_docs() as f32;
    let mut scored = Vec::new();
    // Counted by stem, field by field: a term is made only for the stems a query may use (a
    // term and a sorted map entry per word were half of finding similar incidents).
    let mut tf: AHashMap<String, u32> = AHashMap::default();
    for (field, texts) in values {
        let Some(freqs) = doc_freqs.of(*field) else {
            continue;
        };
        tf.clear();
        for text in texts {
            let mut stream = analyzer.token_stream(text);
            while stream.advance() {
                let stem = &stream.token().text;
                if stem.len() < MIN_WORD {
                    continue;
                }
                match tf.get_mut(stem.as_str()) {
                    Some(f) => *f += 1,
                    None => {
                        tf.insert(stem.clone(), 1);
                    }
                }
            }
        }
        for (stem, &f) in &tf {
            let Some(&df) = freqs.get(stem.as_bytes()) else {
                continue;
            };
            let df = df as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            scored.push((f as f32 * idf, Term::from_field_text(*field, stem)));
        }
    }
    // Each term once, so ties broken by term make the order total, whatever the maps' order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored
}

/// MoreLikeThis over the best [`QUERY_TERMS`] of `terms` that `keep` keeps: the other
/// incidents with their score relative to the incident's own (it matches its own terms best).
/// The query is built here rather than by tantivy's `MoreLikeThisQuery`, whose term choice
/// among equal scores follows a hash map's order and so changes from one build to the next.
fn relative(
    searcher: &tantivy::Searcher,
    terms: &[(f32, Term)],
    keep: impl Fn(&Term) -> bool,
    addr: DocAddress,
    entry_of: &HashMap<DocAddress, usize>,
) -> Vec<(usize, f32)> {
    let scored: Vec<(f32, Term)> = terms
        .iter()
        .filter(|(_, t)| keep(t))
        .take(QUERY_TERMS)
        .cloned()
        .collect();
    let Some(best) = scored.first().map(|s| s.0) else {
        return Vec::new();
    };
    let clauses: Vec<(Occur, Box<dyn Query>)> = scored
        .into_iter()
        .map(|(score, term)| {
            let q = TermQuery::new(term, IndexRecordOption::Basic);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), score / best)) as Box<dyn Query>,
            )
        })
        .collect();
    let query = BooleanQuery::new(clauses);
    let Ok(top) = searcher.search(
        &query,
        &TopDocs::with_limit(CANDIDATES + 1).order_by_score(),
    ) else {
        return Vec::new();
    };
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
        .collect()
}

/// The stems of each incident's short fields as sorted ids, each marked with whether it is in
/// the title or symptoms (what an incident is) or only in the summary, trigger or factors, with
/// how many incidents use each and the word as first written: enough to say which words two
/// incidents share without reading either again. It needs no index: a build makes it while the
/// index is written (the index's last merge leaves a core idle).
pub struct Vocabulary {
    /// Per incident: (stem id << 1 | not-in-title-or-symptoms), sorted by id.
    stems: Vec<Vec<u32>>,
    doc_freq: Vec<u32>,
    surface: Vec<String>,
    /// Stems in more incidents than this are too common to be a reason.
    max_df: u32,
}

/// Words that say nothing about an incident, however rare they are in a small knowledge base.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "but", "by", "can", "cannot", "could", "did", "do", "during", "for", "from",
    "got", "had", "has", "have", "in", "into", "is", "it", "its", "looked", "made", "more", "no",
    "not", "of", "on", "one", "only", "or", "our", "out", "over", "so", "some", "than", "that",
    "the", "their", "them", "then", "there", "they", "this", "to", "took", "up", "was", "we",
    "went", "were", "when", "which", "while", "with", "would",
];
const WORDS_SHOWN: usize = 3;
/// Incidents are analysed in parallel in chunks of this many, then interned in order.
const VOCAB_CHUNK: usize = 4096;

impl Vocabulary {
    /// Analysed with the index's analyzer, so its stems are the index's.
    pub fn new(kb: &Kb) -> Vocabulary {
        use tantivy::tokenizer::TokenStream;
        let analyzer = &super::analyzer::en_split();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut doc_freq: Vec<u32> = Vec::new();
        // How often each written form of a stem occurs; the most frequent is shown.
        let mut forms: Vec<HashMap<String, u32>> = Vec::new();
        let mut stems: Vec<Vec<u32>> = Vec::with_capacity(kb.entries.len());
        for chunk in kb.entries.chunks(VOCAB_CHUNK) {
            let analysed: Vec<Vec<(String, String, bool)>> = chunk
                .par_iter()
                .map_init(
                    || analyzer.clone(),
                    |an, e| {
                        let inc = &e.incident;
                        let primary = std::iter::once(&inc.title).chain(&inc.symptoms);
                        let secondary = std::iter::once(&inc.summary)
                            .chain(inc.trigger.iter())
                            .chain(inc.contributing_factors.iter().map(|f| &f.description));
                        let texts = primary
                            .map(|t| (t, false))
                            .chain(secondary.map(|t| (t, true)));
                        let mut out = Vec::new();
                        for (text, minor) in texts {
                            let mut stream = an.token_stream(text);
                            while stream.advance() {
                                let t = stream.token();
                                let word = text[t.offset_from..t.offset_to].to_lowercase();
                                // Numbers count where they name the incident ("503" in a
                                // title), not dates and ticket numbers in a summary.
                                let digits = word.chars().any(|c| c.is_ascii_digit());
                                let letters = word.chars().any(|c| c.is_alphabetic());
                                let number_ok = !digits || (!letters && !minor);
                                if t.text.len() >= MIN_WORD
                                    && number_ok
                                    && !STOP_WORDS.contains(&word.as_str())
                                {
                                    out.push((t.text.clone(), word, minor));
                                }
                            }
                        }
                        out
                    },
                )
                .collect();
            for words in analysed {
                let mut mine: Vec<u32> = Vec::with_capacity(words.len());
                for (stem, word, minor) in words {
                    let id = *ids.entry(stem).or_insert_with(|| {
                        doc_freq.push(0);
                        forms.push(HashMap::new());
                        (doc_freq.len() - 1) as u32
                    });
                    *forms[id as usize].entry(word).or_default() += 1;
                    mine.push(id << 1 | u32::from(minor));
                }
                // A stem in the title or symptoms sorts before the same stem elsewhere, so
                // dedup by id keeps the stronger mark.
                mine.sort_unstable();
                mine.dedup_by_key(|m| *m >> 1);
                for &m in &mine {
                    doc_freq[(m >> 1) as usize] += 1;
                }
                stems.push(mine);
            }
        }
        let surface = forms
            .into_iter()
            .map(|f| {
                f.into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(w, _)| w)
                    .unwrap_or_default()
            })
            .collect();
        let n = kb.entries.len() as u32;
        Vocabulary {
            stems,
            doc_freq,
            surface,
            max_df: (n / 2).max(2),
        }
    }

    /// Words incidents `i` and `j` both use: those in both titles or symptoms first, then the
    /// rarest.
    fn shared(&self, i: usize, j: usize) -> Vec<String> {
        let (a, b) = (&self.stems[i], &self.stems[j]);
        let mut common: Vec<(u32, u32, u32)> = Vec::new();
        let (mut x, mut y) = (0, 0);
        while x < a.len() && y < b.len() {
            let (ia, ib) = (a[x] >> 1, b[y] >> 1);
            match ia.cmp(&ib) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    let df = self.doc_freq[ia as usize];
                    if df <= self.max_df {
                        common.push(((a[x] & 1) + (b[y] & 1), df, ia));
                    }
                    x += 1;
                    y += 1;
                }
            }
        }
        common.sort_unstable();
        common
            .into_iter()
            .take(WORDS_SHOWN)
            .map(|(_, _, id)| self.surface[id as usize].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index as TantivyIndex, doc};

    /// The table says what the term dictionaries say, summed over segments, for the terms a
    /// query may use, and nothing for the others.
    #[test]
    fn doc_freqs_are_the_dictionaries_over_every_segment() {
        let mut b = Schema::builder();
        let (title, body) = (
            b.add_text_field("title", TEXT),
            b.add_text_field("body", TEXT),
        );
        let id = b.add_text_field("id", STRING);
        let index = TantivyIndex::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let docs = [
            ("disk full", "replica lag after disk full"),
            ("replica lag", "replica lag on the primary"),
            ("disk full again", "the disk filled"),
            ("dns", "replica"),
        ];
        for (k, (t, text)) in docs.iter().enumerate() {
            w.add_document(doc!(title => *t, body => *text, id => k.to_string()))
                .unwrap();
            // Two segments, so a term's count is a sum.
            if k == 1 {
                w.commit().unwrap();
            }
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let freqs = DocFreqs::new(&searcher, &[title, body], 3);
        for field in [title, body] {
            for word in [
                "disk", "full", "replica", "lag", "dns", "again", "the", "id", "0",
            ] {
                let term = Term::from_field_text(field, word);
                let df = searcher.doc_freq(&term).unwrap();
                let expected = (2..=3).contains(&df).then_some(df);
                assert_eq!(freqs.get(&term), expected, "{word} in {field:?}");
            }
        }
        // The body's "replica" is in 3 incidents, its "disk" in 2, "dns" in none.
        assert_eq!(freqs.get(&Term::from_field_text(body, "replica")), Some(3));
        assert_eq!(freqs.get(&Term::from_field_text(body, "disk")), Some(2));
        assert_eq!(freqs.get(&Term::from_field_text(body, "dns")), None);
        // A field the table was not made for has nothing.
        assert_eq!(freqs.get(&Term::from_field_text(id, "0")), None);
    }
}
