//! Running a query: the syntax tree becomes a tantivy `BooleanQuery` (words as BM25 should
//! clauses over every text field, synonyms as one clause, unknown words corrected), scored
//! with the coverage bonus; the hits get a snippet (`snippet`) and optional facet counts
//! (`facets`).

use std::ops::Bound;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    Occur as TOccur, PhraseQuery, Query as TQuery, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, DocSet, Score, Searcher, SegmentReader, TantivyDocument, Term};

use super::Index;
use super::analyzer::{self, Word};
use super::exclude::Excluded;
use super::facets::{FacetCollector, Facets};
use super::query::{self, Clause, FilterKind, Occur, QueryError};
use super::schema::{TEXT_FIELDS, day_number};
use super::snippet::{Snippets, mark_html};
use super::spelling;
use super::synonyms::{Member, Synonyms};
use crate::config::Config;
use crate::diagnostics::did_you_mean;
use crate::kb::taxonomy::{Taxonomy, normalize};

#[derive(Clone, Debug)]
pub struct SearchOptions {
    pub limit: usize,
    pub facets: bool,
}

#[derive(Debug, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub path: String,
    pub url: String,
    pub score: f32,
    pub date: Option<String>,
    pub severity: Option<String>,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    /// HTML: the text escaped, matching words in `<mark>`.
    pub snippet: String,
    /// Which field the snippet comes from: symptoms, summary, factors or body.
    pub snippet_field: &'static str,
    /// The snippet as plain text and the byte ranges of its marked words.
    #[serde(skip)]
    pub snippet_text: String,
    #[serde(skip)]
    pub snippet_marks: Vec<std::ops::Range<usize>>,
    /// Action items as (status, title), for the terminal's "what was done" line.
    #[serde(skip)]
    pub actions: Vec<(String, String)>,
}

/// A query word found nowhere in the index (as typed, without punctuation), and the word
/// searched instead (as authors wrote it), if any (`spelling`).
#[derive(Clone, Debug, Serialize)]
pub struct Correction {
    pub word: String,
    pub suggestion: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub query: String,
    pub total: usize,
    /// The query with unknown words replaced by the nearest indexed word; the hits are for it.
    pub did_you_mean: Option<String>,
    pub corrections: Vec<Correction>,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// What a query needs besides the index: tag aliases, synonyms, severity levels, the base URL.
pub struct Searching<'a> {
    pub index: &'a Index,
    pub config: &'a Config,
    taxonomy: Taxonomy,
    synonyms: Synonyms,
}

impl<'a> Searching<'a> {
    pub fn new(index: &'a Index, config: &'a Config) -> Self {
        let synonyms = Synonyms::new(
            &config.search.synonyms,
            &config.search.drop_synonyms,
            &mut index.analyzer(),
        );
        Searching {
            index,
            config,
            taxonomy: Taxonomy::new(config),
            synonyms,
        }
    }

    pub fn search(&self, input: &str, opts: &SearchOptions) -> Result<Results, QueryError> {
        let parsed = query::parse(input)?;
        let searcher = self.index.searcher();
        let mut b = Builder {
            s: self,
            searcher: &searcher,
            analyzer: self.index.analyzer(),
            corrections: Vec::new(),
            replaced: Vec::new(),
            words: Vec::new(),
        };
        let query = b.build(&parsed.clauses)?;
        let (corrections, replaced) = (b.corrections, b.replaced);
        let coverage = Coverage::new(&searcher, &b.words);

        let facets = opts.facets.then_some(FacetCollector {
            fields: self.index.fields,
        });
        let (top, total, facets) = searcher
            .search(
                &query,
                &(
                    TopDocs::with_limit(opts.limit.max(1)).tweak_score(
                        move |seg: &SegmentReader| {
                            let score = coverage.for_segment(seg);
                            // Equal scores rank by `ord` (newer first), as the site's search
                            // ranks them, not by segment.
                            let ords = seg.fast_fields().u64(super::schema::ORD).ok();
                            move |doc, s| {
                                let ord = ords.as_ref().and_then(|c| c.first(doc));
                                (score(doc, s), std::cmp::Reverse(ord.unwrap_or(u64::MAX)))
                            }
                        },
                    ),
                    Count,
                    facets,
                ),
            )
            .map_err(|e| QueryError {
                message: format!("search failed: {e}"),
                col: 1,
                hint: "rebuild the index with `kb build`".into(),
            })?;
        let snippets = Snippets::new(&searcher, &*query, self.index);
        let hits = top
            .into_iter()
            .take(opts.limit.max(1))
            .filter_map(|((score, _), addr)| self.hit(&searcher, &snippets, score, addr))
            .collect();
        Ok(Results {
            query: input.to_string(),
            total,
            did_you_mean: did_you_mean_text(input, &replaced),
            corrections,
            hits,
            facets,
        })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        sn: &Snippets,
        score: Score,
        addr: DocAddress,
    ) -> Option<Hit> {
        let doc: TantivyDocument = searcher.doc(addr).ok()?;
        let f = &self.index.fields;
        let first = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let (field, text, marks) = sn.best(&doc, f);
        Some(Hit {
            id: first(f.id)?,
            title: first(f.title()).unwrap_or_default(),
            path: first(f.path).unwrap_or_default(),
            url: format!(
                "{}{}",
                self.config.base_url,
                first(f.url).unwrap_or_default()
            ),
            score,
            date: first(f.date),
            severity: first(f.severity),
            tags: all(f.tags),
            services: all(f.service_names),
            snippet: mark_html(&text, &marks),
            snippet_field: field,
            snippet_text: text,
            snippet_marks: marks,
            actions: all(f.actions)
                .into_iter()
                .filter_map(|a| {
                    let (status, title) = a.split_once('|')?;
                    Some((status.to_string(), title.to_string()))
                })
                .collect(),
        })
    }
}

/// A document's BM25 score times `1 + COVERAGE × (m − 1) / (n − 1)` when it holds `m` of the
/// query's `n` ranked words: with all of them it scores up to twice as much. Decided on the
/// judged query set (SEARCH.md, point 2): MRR@10 0.927 → 0.945; the gain is flat from 0.5 to 4.
pub const COVERAGE: f32 = 1.0;

struct Coverage {
    weights: std::sync::Arc<Vec<Box<dyn tantivy::query::Weight>>>,
}

impl Coverage {
    fn new(searcher: &Searcher, words: &[Boxed]) -> Coverage {
        let weights = if words.len() > 1 {
            words
                .iter()
                .filter_map(|w| {
                    w.weight(tantivy::query::EnableScoring::disabled_from_searcher(
                        searcher,
                    ))
                    .ok()
                })
                .collect()
        } else {
            Vec::new()
        };
        Coverage {
            weights: std::sync::Arc::new(weights),
        }
    }

    /// The score function for one segment. Documents arrive in increasing order, so each
    /// word's matches are walked once.
    fn for_segment(&self, seg: &SegmentReader) -> impl Fn(u32, Score) -> Score + use<> {
        let scorers: Vec<_> = self
            .weights
            .iter()
            .filter_map(|w| w.scorer(seg, 1.0).ok())
            .collect();
        let n = scorers.len();
        let scorers = std::cell::RefCell::new(scorers);
        move |doc, score| {
            if n < 2 {
                return score;
            }
            let mut scorers = scorers.borrow_mut();
            let mut matched = 0;
            for s in scorers.iter_mut() {
                if s.doc() < doc {
                    s.seek(doc);
                }
                matched += usize::from(s.doc() == doc);
            }
            let frac = matched.saturating_sub(1) as Score / (n - 1) as Score;
            score * (1.0 + COVERAGE * frac)
        }
    }
}

/// Turns clauses into a tantivy query, correcting unknown words on the way.
struct Builder<'s, 'a> {
    s: &'s Searching<'a>,
    searcher: &'s Searcher,
    analyzer: TextAnalyzer,
    corrections: Vec<Correction>,
    /// (clause column, chars before the word in the clause, its length in chars, word searched
    /// instead) for did-you-mean.
    replaced: Vec<(usize, usize, usize, String)>,
    /// The ranked words' clauses (a synonym group or phrase is one), for the coverage bonus.
    words: Vec<Boxed>,
}

type Boxed = Box<dyn TQuery>;

impl Builder<'_, '_> {
    fn build(&mut self, clauses: &[Clause]) -> Result<Boxed, QueryError> {
        let mut should: Vec<Boxed> = Vec::new();
        // How many of `should` leave out of the coverage bonus (none, then the words of a
        // phrase synonym, which are one word typed), by index.
        let mut uncovered: Vec<usize> = Vec::new();
        let mut must: Vec<Boxed> = Vec::new();
        let mut must_not: Vec<Boxed> = Vec::new();
        let mut filters: Vec<(TOccur, Boxed)> = Vec::new();

        // Plain words are gathered first so synonyms spanning several words can be found.
        let mut plain: Vec<(usize, &str, Vec<String>)> = Vec::new();
        // Whether any word to rank or require had something to search for.
        let mut had_words = false;
        for c in clauses {
            match c {
                Clause::Word {
                    occur: Occur::Should,
                    text,
                    col,
                } => {
                    let words = analyzer::words(&mut self.analyzer, text);
                    match words.as_slice() {
                        [w] if w.parts.is_empty() => plain.push((*col, text, w.phrase())),
                        [w] => should.push(self.compound(w)),
                        _ => should.extend(self.phrase(&phrase_of(&words))),
                    }
                    had_words |= !words.is_empty();
                }
                Clause::Word { occur, text, col } | Clause::Phrase { occur, text, col } => {
                    let words = analyzer::words(&mut self.analyzer, text);
                    had_words |= *occur != Occur::MustNot && !words.is_empty();
                    let q = match (c, words.as_slice()) {
                        (Clause::Word { .. }, [w]) if w.parts.is_empty() => {
                            self.word(*col, text, &w.whole)
                        }
                        (Clause::Word { .. }, [w]) => Some(self.compound(w)),
                        _ => self.phrase(&phrase_of(&words)),
                    };
                    match (occur, q) {
                        (Occur::Should, Some(q)) => should.push(q),
                        (Occur::Must, Some(q)) => must.push(q),
                        // A required word found nowhere: nothing can match.
                        (Occur::Must, None) => must.push(Box::new(EmptyQuery)),
                        (Occur::MustNot, Some(q)) => must_not.push(q),
                        _ => {}
                    }
                }
                Clause::Filter {
                    negated,
                    kind,
                    value,
                    col,
                } => {
                    let q = self.filter(*kind, value, *col)?;
                    let occur = if *negated {
                        TOccur::MustNot
                    } else {
                        TOccur::Must
                    };
                    filters.push((occur, q));
                }
                Clause::Date { kind, date, .. } => {
                    let day = day_number(*date);
                    let field = self.s.index.fields.day;
                    let t = |d| Term::from_field_i64(field, d);
                    let q = if *kind == FilterKind::Since {
                        RangeQuery::new(Bound::Included(t(day)), Bound::Unbounded)
                    } else {
                        RangeQuery::new(Bound::Unbounded, Bound::Included(t(day)))
                    };
                    filters.push((TOccur::Must, Box::new(q)));
                }
            }
        }

        let mut i = 0;
        while i < plain.len() {
            let rest: Vec<String> = plain[i..].iter().map(|p| p.2[0].clone()).collect();
            if let Some(n) = self.s.synonyms.phrase_at(&rest) {
                let typed = rest[..n].to_vec();
                let group = self.s.synonyms.group_of(&typed).unwrap_or_default();
                should.push(self.group(group, &[typed]));
                // Its words count on their own too: "out of memory" must not swallow "memory".
                // Those the index holds: a word of a known phrase is never corrected. They add
                // to the score, not to the coverage bonus: the phrase is one thing typed, and
                // its "of" would cover every incident.
                for (_, _, typed) in &plain[i..i + n] {
                    let members = self.members(typed);
                    if members.iter().any(|m| self.doc_freq(m) > 0) {
                        uncovered.push(should.len());
                        should.push(self.group(&members, std::slice::from_ref(typed)));
                    }
                }
                i += n;
                continue;
            }
            let (col, text, stems) = &plain[i];
            should.extend(self.word(*col, text, &stems[0]));
            i += 1;
        }

        self.words = should
            .iter()
            .enumerate()
            .filter(|(k, _)| !uncovered.contains(k))
            .map(|(_, q)| q.box_clone())
            .collect();
        let mut top: Vec<(TOccur, Boxed)> = Vec::new();
        let scoring = !should.is_empty() || !must.is_empty();
        if !scoring && had_words {
            // Every word was unknown, with nothing near it: nothing matches.
            return Ok(Box::new(EmptyQuery));
        }
        if !scoring && filters.is_empty() && must_not.is_empty() {
            return Err(QueryError {
                message: "the query has no words to search for".into(),
                col: 1,
                hint: "search for letters or digits, e.g. kb search \"replica lag\"".into(),
            });
        }
        if must.is_empty() && !should.is_empty() {
            // At least one of the words must match; each adds its BM25 score.
            let any = BooleanQuery::new(should.into_iter().map(|q| (TOccur::Should, q)).collect());
            top.push((TOccur::Must, Box::new(any)));
        } else {
            top.extend(should.into_iter().map(|q| (TOccur::Should, q)));
            top.extend(must.into_iter().map(|q| (TOccur::Must, q)));
        }
        if !scoring {
            top.push((TOccur::Must, Box::new(AllQuery)));
        }
        for (occur, q) in filters {
            let q: Boxed = Box::new(ConstScoreQuery::new(q, 0.0));
            match occur {
                TOccur::MustNot => top.push((occur, Box::new(Excluded(q)))),
                _ => top.push((occur, q)),
            }
        }
        top.extend(
            must_not
                .into_iter()
                .map(|q| (TOccur::MustNot, Box::new(Excluded(q)) as Boxed)),
        );
        Ok(Box::new(BooleanQuery::new(top)))
    }

    /// One word: its synonym group if it has one, else the stem; corrected when the index
    /// holds neither.
    fn word(&mut self, col: usize, text: &str, stem: &str) -> Option<Boxed> {
        let typed = vec![stem.to_string()];
        let members = self.members(&typed);
        if members.iter().any(|m| self.doc_freq(m) > 0) {
            return Some(self.group(&members, &[typed]));
        }
        let (skip, typed) =
            spelling::typed_word(&mut self.analyzer, text).unwrap_or((0, text.to_string()));
        let suggestion = self.nearest(&typed);
        self.corrections.push(Correction {
            word: typed.clone(),
            suggestion: suggestion.clone(),
        });
        let word = suggestion?;
        self.replaced
            .push((col, skip, typed.chars().count(), word.clone()));
        let stems = analyzer::phrase(&mut self.analyzer, &word);
        if stems.len() != 1 {
            return self.phrase(&stems);
        }
        Some(self.group(&self.members(&stems), &[stems]))
    }

    /// The synonym group of a word or phrase, or itself alone.
    fn members(&self, typed: &Member) -> Vec<Member> {
        self.s
            .synonyms
            .group_of(typed)
            .map_or_else(|| vec![typed.clone()], <[Member]>::to_vec)
    }

    /// A compound query word (`CrashLoopBackOff`): the word itself and its synonyms, and its
    /// parts as a phrase (*crash loop back off*), both counting as typed.
    fn compound(&self, w: &Word) -> Boxed {
        let whole = vec![w.whole.clone()];
        let mut members = self.members(&whole);
        if !members.contains(&w.parts) {
            members.push(w.parts.clone());
        }
        self.group(&members, &[whole, w.parts.clone()])
    }

    /// A synonym group (terms and phrases) as one clause: each member over every text field,
    /// summed; the group scores as its best member, so the same words matched as several
    /// members (`CrashLoopBackOff` as itself, as "crash loop" and as "crash") count once. The
    /// members typed score as they are; the others never above the first typed one
    /// ([`Builder::synonym_factor`]).
    fn group(&self, members: &[Member], typed: &[Member]) -> Boxed {
        let mut each: Vec<Boxed> = members
            .iter()
            .map(|m| {
                let factor = |field: Field| {
                    if typed.contains(m) {
                        1.0
                    } else {
                        self.synonym_factor(&typed[0], m, field)
                    }
                };
                let clauses = self
                    .field_queries(m, factor)
                    .into_iter()
                    .map(|q| (TOccur::Should, q))
                    .collect();
                Box::new(BooleanQuery::new(clauses)) as Boxed
            })
            .collect();
        if each.len() == 1 {
            return each.remove(0);
        }
        Box::new(DisjunctionMaxQuery::new(each))
    }

    /// What a synonym's score is multiplied by in `field` so that it never outranks the word
    /// typed: where the synonym is rarer than the word, its BM25 idf is brought down to the
    /// word's (a phrase's idf is its words' summed, as tantivy weighs it). The
    /// word's idf is taken where it is most common, so that a field without it does not
    /// leave its synonyms uncapped there. The same in search.js.
    fn synonym_factor(&self, typed: &[String], member: &[String], field: Field) -> f32 {
        let n = self.searcher.num_docs() as f64;
        let idf = |df: u64| (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
        let df = |f: Field, stem: &str| {
            self.searcher
                .doc_freq(&Term::from_field_text(f, stem))
                .unwrap_or(0)
        };
        let fields = &self.s.index.fields.text;
        let word: f64 = typed
            .iter()
            .map(|s| idf(fields.iter().map(|f| df(*f, s)).max().unwrap_or(0)))
            .sum();
        let synonym: f64 = member.iter().map(|s| idf(df(field, s))).sum();
        (word / synonym).min(1.0) as f32
    }

    fn phrase(&self, stems: &[String]) -> Option<Boxed> {
        if stems.is_empty() {
            return None;
        }
        let stems = stems.to_vec();
        Some(self.group(std::slice::from_ref(&stems), std::slice::from_ref(&stems)))
    }

    /// A term or a phrase in each text field, boosted by the field's weight times `factor`.
    fn field_queries(&self, stems: &[String], factor: impl Fn(Field) -> f32) -> Vec<Boxed> {
        let fields = &self.s.index.fields;
        TEXT_FIELDS
            .iter()
            .zip(fields.text)
            .map(|((_, boost), field)| {
                let factor = factor(field);
                let boost = if factor == 1.0 {
                    *boost
                } else {
                    boost * factor
                };
                let q: Boxed = if stems.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &stems[0]),
                        IndexRecordOption::WithFreqs,
                    ))
                } else {
                    Box::new(PhraseQuery::new(
                        stems
                            .iter()
                            .map(|s| Term::from_field_text(field, s))
                            .collect(),
                    ))
                };
                Box::new(BoostQuery::new(q, boost)) as Boxed
            })
            .collect()
    }

    /// Documents holding the member's first stem in any text field (enough to know whether
    /// a word is known).
    fn doc_freq(&self, member: &[String]) -> u64 {
        self.s
            .index
            .fields
            .text
            .iter()
            .map(|f| {
                self.searcher
                    .doc_freq(&Term::from_field_text(*f, &member[0]))
                    .unwrap_or(0)
            })
            .sum()
    }

    /// The word authors wrote that `typed` is a misspelling of, if clearly one (`spelling`).
    fn nearest(&mut self, typed: &str) -> Option<String> {
        let mut nearest = spelling::Nearest::new(typed)?;
        for (word, incidents) in self.s.index.surface_words().iter() {
            nearest.offer(word, u64::from(incidents));
        }
        let analyzer = &mut self.analyzer;
        nearest.best(|w| analyzer::phrase(analyzer, w).join(" "))
    }

    fn filter(&self, kind: FilterKind, value: &str, col: usize) -> Result<Boxed, QueryError> {
        let fields = &self.s.index.fields;
        let (field, wanted, what) = match kind {
            FilterKind::Tag => (fields.tags, self.s.taxonomy.canonical(value), "tag"),
            FilterKind::Service => (fields.services, normalize(value), "service"),
            FilterKind::Severity => (fields.severity, value.to_string(), "severity"),
            FilterKind::Since | FilterKind::Until => unreachable!("dates are parsed apart"),
        };
        let known = indexed_values(self.searcher, field);
        let matches: Vec<&String> = known
            .iter()
            .filter(|k| {
                if kind == FilterKind::Severity {
                    k.eq_ignore_ascii_case(&wanted)
                } else {
                    **k == wanted
                }
            })
            .collect();
        if matches.is_empty() {
            let configured = match kind {
                FilterKind::Tag => self.s.config.tags.keys().any(|t| normalize(t) == wanted),
                FilterKind::Service => self
                    .s
                    .config
                    .services
                    .keys()
                    .any(|s| normalize(s) == wanted),
                FilterKind::Severity => self
                    .s
                    .config
                    .severity
                    .levels
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(&wanted)),
                _ => false,
            };
            if configured {
                // Known to the site but on no incident: an honest empty result.
                return Ok(Box::new(EmptyQuery));
            }
            let hint = match did_you_mean(&wanted, known.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{what}:{s}`?"),
                None if known.is_empty() => format!("no incident has a {what}"),
                None => format!(
                    "known: {}",
                    known
                        .iter()
                        .take(12)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(QueryError {
                message: format!("no incident has the {what} `{value}`"),
                col,
                hint,
            });
        }
        let terms = matches
            .into_iter()
            .map(|m| {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, m),
                    IndexRecordOption::Basic,
                )) as Boxed
            })
            .map(|q| (TOccur::Should, q))
            .collect();
        Ok(Box::new(BooleanQuery::new(terms)))
    }
}

/// Every value an exact field holds in the index, sorted.
fn indexed_values(searcher: &Searcher, field: Field) -> Vec<String> {
    let mut out = Vec::new();
    super::each_term(searcher, field, |key, _| {
        if let Ok(s) = std::str::from_utf8(key) {
            out.push(s.to_string());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The stems of words as one phrase.
fn phrase_of(words: &[Word]) -> Vec<String> {
    words.iter().flat_map(Word::phrase).collect()
}

fn did_you_mean_text(input: &str, replaced: &[(usize, usize, usize, String)]) -> Option<String> {
    if replaced.is_empty() {
        return None;
    }
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut sorted = replaced.to_vec();
    sorted.sort();
    for (col, skip, len, word) in sorted {
        let start = col - 1;
        // The column is the clause's, which includes a leading `+`/`-`.
        let start = if matches!(chars.get(start), Some('+' | '-')) {
            start + 1
        } else {
            start
        } + skip;
        out.extend(&chars[i.min(start)..start]);
        out.push_str(&word);
        i = start + len;
    }
    out.extend(&chars[i.min(chars.len())..]);
    Some(out)
}
