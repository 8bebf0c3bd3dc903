//! Incidents that read alike: a MoreLikeThis query (the incident's most distinctive terms,
//! weighted by tf × idf) run against the index, the incident itself left out. Tuned for small
//! knowledge bases: tantivy's defaults (min doc freq 5, min term freq 2) find nothing in a few
//! dozen postmortems. Blended with tags, services and symptoms in `kb::related`.

use std::borrow::Cow;
use std::collections::HashMap;

use super::FastMap;
use rayon::prelude::*;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, DocSet, InvertedIndexReader, TERMINATED, TantivyDocument, Term};

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
/// A document that is no incident of the knowledge base.
const NO_ENTRY: u32 = u32::MAX;

/// Bytes of each field value analysed for the query.
const MLT_TEXT: usize = 1000;

/// For each incident (by knowledge base index): the other incidents that read alike, with a
/// similarity relative to how well the incident matches its own terms, and up to three words
/// both use in their title, symptoms, summary or factors (rarest first), from `vocab` (the
/// same knowledge base's [`Vocabulary`]).
pub fn compute(index: &Index, kb: &Kb, vocab: &Vocabulary) -> Vec<Vec<TextMatch>> {
    let searcher = index.searcher();
    let n = kb.entries.len();
    let text_fields = index.fields.text;
    let Ok(scoring) = Scoring::new(&searcher, &text_fields) else {
        return vec![Vec::new(); n];
    };
    // Doc (across segments) ↔ incident index, through the stored-and-fast id.
    let mut doc_of: Vec<Option<DocAddress>> = vec![None; n];
    let mut entry_of: Vec<u32> = vec![NO_ENTRY; scoring.docs];
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
                let global = scoring.segments[seg_ord].base + doc;
                doc_of[i] = Some(DocAddress::new(seg_ord as u32, doc));
                entry_of[global as usize] = i as u32;
            }
        }
    }
    let max_df = (n as u64 / 10).clamp(5, MAX_DOC_FREQ);
    let doc_freqs = DocFreqs::new(&searcher, &text_fields, max_df);
    (0..n)
        .into_par_iter()
        .map_init(
            || (index.analyzer(), Scratch::new(scoring.docs)),
            |(analyzer, scratch), i| {
                let Some(addr) = doc_of[i] else {
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
                let query = Query {
                    scoring: &scoring,
                    doc_freqs: &doc_freqs,
                    entry_of: &entry_of,
                    own: i as u32,
                };
                // Titles alone too: two postmortems titled alike ("All services returning 503 in
                // Kubernetes") are alike even when their write-ups wander. The title's terms are
                // weighed as above: tf and idf are per field.
                let [mut sims, by_title] = query.relative(scratch, &terms, index.fields.title());
                for (j, t) in by_title {
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

/// How many incidents hold each term of the text fields, and where its posting list is in each
/// segment, for the terms a query may use (held by 2 to `max_df` incidents), read once from the
/// term dictionaries: looking each candidate term up in the dictionary, per incident, was a
/// fifth of finding similar incidents.
struct DocFreqs(HashMap<Field, FastMap<Box<[u8]>, Lists>>);

/// A term's incidents, and its posting list in each segment holding it.
#[derive(Default)]
struct Lists {
    df: u64,
    at: Vec<(usize, TermInfo)>,
    /// Its postings once a query has read them, for every later query using the term: opening
    /// a posting list per term per incident was a quarter of finding similar incidents.
    read: std::sync::OnceLock<Postings>,
}

/// A term's postings in one field across the segments, in their order: each document (counted
/// across segments) with its field norm id.
#[derive(Default)]
struct Postings {
    docs: Vec<u32>,
    norms: Vec<u8>,
}

impl Lists {
    /// The term's postings in `field` (a position in [`Scoring::fields`]), read the first time.
    fn postings(&self, scoring: &Scoring, field: usize) -> &Postings {
        self.read.get_or_init(|| {
            let mut read = Postings::default();
            for (seg, info) in &self.at {
                let segment = &scoring.segments[*seg];
                let (inv, fieldnorms) = &segment.fields[field];
                let Ok(mut postings) =
                    inv.read_postings_from_terminfo(info, IndexRecordOption::Basic)
                else {
                    continue;
                };
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    read.docs.push(segment.base + doc);
                    read.norms.push(fieldnorms.fieldnorm_id(doc));
                    doc = postings.advance();
                }
            }
            read
        })
    }
}

impl DocFreqs {
    fn new(searcher: &tantivy::Searcher, fields: &[Field], max_df: u64) -> DocFreqs {
        let mut all: HashMap<Field, FastMap<Box<[u8]>, Lists>> = HashMap::new();
        for &field in fields {
            let lists = all.entry(field).or_default();
            for (seg_ord, seg) in searcher.segment_readers().iter().enumerate() {
                let Ok(inv) = seg.inverted_index(field) else {
                    continue;
                };
                let Ok(mut stream) = inv.terms().stream() else {
                    continue;
                };
                while stream.advance() {
                    let info = stream.value();
                    let l: &mut Lists = lists.entry(stream.key().into()).or_default();
                    l.df += u64::from(info.doc_freq);
                    l.at.push((seg_ord, info.clone()));
                }
            }
            lists.retain(|_, l| (2..=max_df).contains(&l.df));
        }
        DocFreqs(all)
    }

    /// The term's document frequency when a query may use it.
    #[cfg(test)]
    fn get(&self, term: &Term) -> Option<u64> {
        self.of(term.field())?
            .get(term.serialized_value_bytes())
            .map(|l| l.df)
    }

    /// The table of one field's terms, by their text.
    fn of(&self, field: Field) -> Option<&FastMap<Box<[u8]>, Lists>> {
        self.0.get(&field)
    }
}

/// BM25 as tantivy scores a [`TermQuery`] read without frequencies (each posting counts once):
/// what a query's score is made of, for every segment and text field.
struct Scoring {
    fields: Vec<Field>,
    segments: Vec<SegmentLists>,
    /// Documents in every segment, deleted or not (tantivy's `N`).
    docs: usize,
    /// Per field, by field norm id: what a posting adds to a term's score, over its weight:
    /// `1 / (1 + k1 × (1 − b + b × length / average length))`.
    tf: Vec<[f32; 256]>,
}

struct SegmentLists {
    /// The segment's first document, counted across segments.
    base: u32,
    /// Per text field: its inverted index and field norms.
    fields: Vec<(std::sync::Arc<InvertedIndexReader>, FieldNormReader)>,
}

const K1: f32 = 1.2;
const B: f32 = 0.75;

impl Scoring {
    fn new(searcher: &tantivy::Searcher, fields: &[Field]) -> tantivy::Result<Scoring> {
        let mut segments = Vec::new();
        let mut docs = 0u32;
        let mut tokens = vec![0u64; fields.len()];
        for seg in searcher.segment_readers() {
            let mut lists = Vec::new();
            for (k, &f) in fields.iter().enumerate() {
                let inv = seg.inverted_index(f)?;
                tokens[k] += inv.total_num_tokens();
                lists.push((inv, seg.get_fieldnorms_reader(f)?));
            }
            segments.push(SegmentLists {
                base: docs,
                fields: lists,
            });
            docs += seg.max_doc();
        }
        // tantivy's `Bm25Weight`, step by step, so that scores are the same to the bit.
        let tf = tokens
            .iter()
            .map(|&t| {
                let average = t as f32 / docs as f32;
                std::array::from_fn(|id| {
                    let length = FieldNormReader::id_to_fieldnorm(id as u8) as f32;
                    1.0 / (1.0 + K1 * (1.0 - B + B * length / average))
                })
            })
            .collect();
        Ok(Scoring {
            fields: fields.to_vec(),
            segments,
            docs: docs as usize,
            tf,
        })
    }
}

/// Per thread: each document's score for the current two queries (all terms, title terms),
/// and which were scored.
struct Scratch {
    score: [Vec<f32>; 2],
    touched: [Vec<u32>; 2],
}

impl Scratch {
    fn new(docs: usize) -> Scratch {
        Scratch {
            score: [vec![0.0; docs], vec![0.0; docs]],
            touched: [Vec::new(), Vec::new()],
        }
    }
}

/// One incident's queries.
struct Query<'a> {
    scoring: &'a Scoring,
    doc_freqs: &'a DocFreqs,
    /// Per document (across segments): its incident, by which scores are kept and equal ones
    /// ordered (the kb order, whatever segment a writer thread put it in), or [`NO_ENTRY`].
    entry_of: &'a [u32],
    /// The incident's own.
    own: u32,
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
    // Counted by stem, field by field, for the stems a query may use: those held by 2 to
    // `max_df` incidents, keyed by the table's own copy (a copy of every stem counted, and a
    // term and a sorted map entry per word, were half of finding similar incidents).
    let mut tf: FastMap<&[u8], (u32, &Lists)> = FastMap::default();
    for (field, texts) in values {
        let Some(freqs) = doc_freqs.of(*field) else {
            continue;
        };
        tf.clear();
        for text in texts {
            let mut stream = analyzer.token_stream(text);
            while stream.advance() {
                let stem = stream.token().text.as_bytes();
                if stem.len() < MIN_WORD {
                    continue;
                }
                if let Some((f, _)) = tf.get_mut(stem) {
                    *f += 1;
                } else if let Some((key, lists)) = freqs.get_key_value(stem) {
                    tf.insert(key, (1, lists));
                }
            }
        }
        for (stem, &(f, lists)) in &tf {
            let df = lists.df as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let Ok(stem) = std::str::from_utf8(stem) else {
                continue;
            };
            scored.push((f as f32 * idf, Term::from_field_text(*field, stem)));
        }
    }
    // Each term once, so ties broken by term make the order total, whatever the maps' order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored
}

impl Query<'_> {
    /// Two MoreLikeThis queries: over the best [`QUERY_TERMS`] of `terms`, and over the best
    /// of those in `title`. For each, the other incidents with their score relative to the
    /// incident's own (it matches its own terms best). Scored as tantivy scores a boolean query
    /// of boosted term queries, each term's posting lists read straight (tantivy's query
    /// machinery was three quarters of the work) and once for both queries; the terms are
    /// chosen here rather than by tantivy's `MoreLikeThisQuery`, whose choice among equal
    /// scores follows a hash map's order and so changes from one build to the next.
    fn relative(
        &self,
        scratch: &mut Scratch,
        terms: &[(f32, Term)],
        title: Field,
    ) -> [Vec<(usize, f32)>; 2] {
        let total = self.scoring.docs as u64;
        // Per query: terms it may still take, and its best term's score.
        let mut left = [QUERY_TERMS; 2];
        let mut best: [Option<f32>; 2] = [None; 2];
        for (score, term) in terms {
            let is_title = term.field() == title;
            let takes = [left[0] > 0, is_title && left[1] > 0];
            if takes == [false, false] {
                if left == [0, 0] {
                    break;
                }
                continue;
            }
            for q in 0..2 {
                if takes[q] {
                    left[q] -= 1;
                    best[q].get_or_insert(*score);
                }
            }
            let Some(field) = self.scoring.fields.iter().position(|f| *f == term.field()) else {
                continue;
            };
            let Some(lists) = self
                .doc_freqs
                .of(term.field())
                .and_then(|t| t.get(term.serialized_value_bytes()))
            else {
                continue;
            };
            // tantivy's idf and term weight, boosted by the term's share of the best one.
            let df = lists.df.min(total);
            let x = ((total - df) as f32 + 0.5) / (df as f32 + 0.5);
            let idf = (1.0 + x).ln() * (1.0 + K1);
            let weight = |q: usize| best[q].map_or(0.0, |b| idf * (score / b));
            let weights = [weight(0), weight(1)];
            let tf = &self.scoring.tf[field];
            let postings = lists.postings(self.scoring, field);
            // One loop per query the term is in: the postings are most of the work, and a
            // test per posting and query kept the loop from being tight.
            for q in (0..2).filter(|&q| takes[q]) {
                let (score, touched, weight) =
                    (&mut scratch.score[q], &mut scratch.touched[q], weights[q]);
                // Every document is written down, and counted only when new: whether one is
                // new is a coin toss the processor would mispredict half the time.
                let mut n = touched.len();
                touched.resize(n + postings.docs.len(), 0);
                for (&at, &norm) in postings.docs.iter().zip(&postings.norms) {
                    let score = &mut score[at as usize];
                    touched[n] = at;
                    n += usize::from(*score == 0.0);
                    *score += weight * tf[usize::from(norm)];
                }
                touched.truncate(n);
            }
        }
        [0, 1].map(|q| {
            if best[q].is_none() {
                return Vec::new();
            }
            self.top(&mut scratch.score[q], &mut scratch.touched[q])
        })
    }

    /// The documents `touched` scored in `score` (cleared on the way), as the incidents the
    /// query found with their score relative to the incident's own.
    fn top(&self, score: &mut [f32], touched: &mut Vec<u32>) -> Vec<(usize, f32)> {
        // The best CANDIDATES + 1, as tantivy's top documents of an index in kb order: by score,
        // then by incident.
        // Kept sorted while the scores are cleared: most documents fall below the last one.
        let by_score = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let mut top: Vec<(f32, u32)> = Vec::with_capacity(CANDIDATES + 2);
        // Scores are kept by document (a lookup per posting was a tenth of this work), ranked
        // by incident.
        // Once the list is full, the score of its last: a document scoring less is out on one
        // comparison (scores are positive, so `<` orders them as `total_cmp` does).
        let mut floor = 0.0f32;
        for d in touched.drain(..) {
            let score = std::mem::take(&mut score[d as usize]);
            if score < floor {
                continue;
            }
            let entry = self.entry_of[d as usize];
            if entry == NO_ENTRY {
                continue;
            }
            let scored = (score, entry);
            if top.len() > CANDIDATES && top.last().is_some_and(|l| by_score(&scored, l).is_ge()) {
                continue;
            }
            let at = top.partition_point(|x| by_score(x, &scored).is_lt());
            top.insert(at, scored);
            top.truncate(CANDIDATES + 1);
            if top.len() > CANDIDATES {
                floor = top[CANDIDATES].0;
            }
        }
        let own = top
            .iter()
            .find(|(_, d)| *d == self.own)
            .map(|(s, _)| *s)
            .or_else(|| top.first().map(|(s, _)| *s))
            .unwrap_or(0.0);
        if own <= 0.0 {
            return Vec::new();
        }
        top.into_iter()
            .filter(|(_, d)| *d != self.own)
            .map(|(s, d)| (d as usize, (s / own).min(1.0)))
            .collect()
    }
}

/// The stems of each incident's short fields as sorted ids, each marked with whether it is in
/// the title or symptoms (what an incident is) or only in the summary, trigger or factors, with
/// how many incidents use each and the word as first written: enough to say which words two
/// incidents share without reading either again. It needs no index: a build makes it while the
/// index is written.
pub struct Vocabulary {
    /// Per incident: (stem id << 1 | not-in-title-or-symptoms), sorted by id.
    stems: Vec<Vec<u32>>,
    doc_freq: Vec<u32>,
    surface: Vec<String>,
    /// Stems in more incidents than this are too common to be a reason.
    max_df: u32,
}

/// Words that say nothing about an incident, however rare they are in a small knowledge base.
/// Sorted, for a binary search.
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
        let mut ids: FastMap<String, u32> = FastMap::default();
        let mut doc_freq: Vec<u32> = Vec::new();
        // How often each written form of a stem occurs; the most frequent is shown.
        let mut forms: Vec<FastMap<String, u32>> = Vec::new();
        let mut stems: Vec<Vec<u32>> = Vec::with_capacity(kb.entries.len());
        for chunk in kb.entries.chunks(VOCAB_CHUNK) {
            let analysed: Vec<Vec<(String, Cow<str>, bool)>> = chunk
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
                                if t.text.len() < MIN_WORD {
                                    continue;
                                }
                                // Most words are written in lowercase already: those are
                                // borrowed, and copied only as a new written form below.
                                let written = &text[t.offset_from..t.offset_to];
                                let word = if written
                                    .bytes()
                                    .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
                                {
                                    Cow::Borrowed(written)
                                } else {
                                    Cow::Owned(written.to_lowercase())
                                };
                                // Numbers count where they name the incident ("503" in a
                                // title), not dates and ticket numbers in a summary.
                                let digits = word.bytes().any(|b| b.is_ascii_digit());
                                let number_ok =
                                    !digits || (!minor && !word.chars().any(char::is_alphabetic));
                                if number_ok && STOP_WORDS.binary_search(&word.as_ref()).is_err() {
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
                        forms.push(FastMap::default());
                        (doc_freq.len() - 1) as u32
                    });
                    let form = &mut forms[id as usize];
                    match form.get_mut(word.as_ref()) {
                        Some(n) => *n += 1,
                        None => {
                            form.insert(word.into_owned(), 1);
                        }
                    }
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

    #[test]
    fn stop_words_are_sorted_for_their_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    /// An index in memory with a title, a body and an id.
    fn title_body_id() -> (TantivyIndex, [Field; 3]) {
        let mut b = Schema::builder();
        let fields = [
            b.add_text_field("title", TEXT),
            b.add_text_field("body", TEXT),
            b.add_text_field("id", STRING),
        ];
        (TantivyIndex::create_in_ram(b.build()), fields)
    }

    /// The table says what the term dictionaries say, summed over segments, for the terms a
    /// query may use, and nothing for the others.
    #[test]
    fn doc_freqs_are_the_dictionaries_over_every_segment() {
        let (index, [title, body, id]) = title_body_id();
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

    /// Every incident's queries score as tantivy's boolean query of boosted term queries does,
    /// to the bit, across segments and with ties.
    #[test]
    fn queries_score_as_tantivy_does() {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};

        let (index, [title, body, _]) = title_body_id();
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = [
            "disk", "full", "replica", "lag", "dns", "primary", "timeout", "cert", "expired",
        ];
        let mut docs = Vec::new();
        for k in 0..40usize {
            // Some incidents twice, word for word: equal scores, ordered by document.
            let seed = if k % 7 == 3 { k - 1 } else { k };
            let pick = |m: usize| words[(seed * m + seed / 3) % words.len()];
            let t = format!("{} {}", pick(3), pick(5));
            let text: Vec<&str> = (1..=2 + seed % 9).map(|m| pick(m * 2 + 1)).collect();
            let text = text.join(" ");
            w.add_document(doc!(title => t.clone(), body => text.clone()))
                .unwrap();
            docs.push((t, text));
            if k % 15 == 14 {
                w.commit().unwrap();
            }
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let fields = [title, body];
        let scoring = Scoring::new(&searcher, &fields).unwrap();
        let doc_freqs = DocFreqs::new(&searcher, &fields, 30);
        let entry_of: Vec<u32> = (0..scoring.docs as u32).collect();
        let mut scratch = Scratch::new(scoring.docs);
        let mut compared = [0; 2];
        for (own, (t, text)) in docs.iter().enumerate() {
            // The incident's terms, scored by position: distinct, best first.
            let mut terms: Vec<(f32, Term)> = Vec::new();
            for (field, value) in [(title, t), (body, text)] {
                for word in value.split(' ') {
                    let term = Term::from_field_text(field, word);
                    if doc_freqs.get(&term).is_some() && !terms.iter().any(|(_, x)| *x == term) {
                        terms.push((10.0 - terms.len() as f32 * 0.7, term));
                    }
                }
            }
            let query = Query {
                scoring: &scoring,
                doc_freqs: &doc_freqs,
                entry_of: &entry_of,
                own: own as u32,
            };
            let got = query.relative(&mut scratch, &terms, title);
            // The same queries (all terms, title terms) through tantivy.
            for (q, got) in got.into_iter().enumerate() {
                let chosen: Vec<&(f32, Term)> = terms
                    .iter()
                    .filter(|(_, t)| q == 0 || t.field() == title)
                    .take(QUERY_TERMS)
                    .collect();
                let Some(best) = chosen.first().map(|t| t.0) else {
                    assert!(got.is_empty());
                    continue;
                };
                let clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = chosen
                    .iter()
                    .map(|(score, term)| {
                        let q = TermQuery::new(term.clone(), IndexRecordOption::Basic);
                        let q = BoostQuery::new(Box::new(q), score / best);
                        (Occur::Should, Box::new(q) as Box<dyn tantivy::query::Query>)
                    })
                    .collect();
                let top = searcher
                    .search(
                        &BooleanQuery::new(clauses),
                        &TopDocs::with_limit(CANDIDATES + 1).order_by_score(),
                    )
                    .unwrap();
                let global = |a: DocAddress| {
                    scoring.segments[a.segment_ord as usize].base as usize + a.doc_id as usize
                };
                let own_score = top
                    .iter()
                    .find(|(_, a)| global(*a) == own)
                    .or(top.first())
                    .map_or(0.0, |(s, _)| *s);
                let expected: Vec<(usize, f32)> = top
                    .iter()
                    .filter(|(_, a)| global(*a) != own)
                    .map(|(s, a)| (global(*a), (s / own_score).min(1.0)))
                    .collect();
                assert_eq!(got, expected, "incident {own}, query {q}");
                compared[q] += usize::from(!got.is_empty());
            }
            for q in 0..2 {
                assert!(
                    scratch.touched[q].is_empty() && scratch.score[q].iter().all(|s| *s == 0.0)
                );
            }
        }
        assert!(compared[0] > 30 && compared[1] > 10, "{compared:?}");
    }
}
