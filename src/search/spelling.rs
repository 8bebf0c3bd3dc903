//! Did you mean (docs/search.md, "Words the index does not know"): a query word the index does
//! not hold is replaced only when it is no English word either, by a word authors wrote (never
//! a stem), and only when one candidate clearly beats the others; otherwise it is reported as
//! found nowhere. The browser engine (`theme/static/js/search.js`) decides the same way from the
//! same data: the index's surface words (`search/terms.bin`) and the English words compiled in
//! here (`search/english/`).

use std::collections::HashMap;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// Correctly spelled English words of three letters or more, lowercased: SCOWL size 50,
/// American and British together (copyright and permission in NOTICE), one a line, in byte
/// order. `cargo run --example english_words` makes it. Kept as text (686 KB in the binary
/// against 130 KB gzipped) so that a search reads it as it is: decoding the compressed list was
/// three fifths of a `kb search` that corrects a word.
pub const ENGLISH: &str = include_str!("english.txt");
/// The word list's copyright and permission notices, published beside it.
pub const NOTICE: &str = include_str!("../../NOTICE");

/// Words shorter than this (in characters) are never corrected: "é" or "db" is too short to
/// tell a typo from a word.
pub const MIN_CHARS: usize = 3;

/// With the same edit distance, the best candidate must be in at least this many times as many
/// incidents as the next one; a closer tie is too close to call.
pub const FREQ_MARGIN: u64 = 3;

/// Edits allowed from a typed word of `chars` characters to a candidate.
pub fn max_edits(chars: usize) -> usize {
    if chars <= 4 { 1 } else { 2 }
}

/// The English words in byte order, as the word list holds them.
pub fn english_words() -> Vec<String> {
    ENGLISH.lines().map(String::from).collect()
}

/// Whether `word` (lowercase) is a correctly spelled English word.
pub fn is_english(word: &str) -> bool {
    has_line(ENGLISH.as_bytes(), word.as_bytes())
}

/// Whether `lines` (lines in byte order, each ending in a newline) holds `word` as a line: a
/// binary search over bytes, each probe widened to the line it falls in.
fn has_line(lines: &[u8], word: &[u8]) -> bool {
    // Whole lines from `lo` to `hi`.
    let (mut lo, mut hi) = (0, lines.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = lines[lo..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |p| lo + p + 1);
        let end = lines[start..hi]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |p| start + p);
        match lines[start..end].cmp(word) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// Optimal string alignment distance over characters: insertions, deletions, substitutions and
/// swaps of two neighbours ("exipred" → "expired") each count one.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// Words sorted by bytes and front-coded: a count, then per word the bytes it shares with the
/// previous one and the rest (the layout of `terms.bin`, without frequencies).
pub fn encode_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut sorted: Vec<&str> = words.into_iter().collect();
    sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sorted.dedup();
    let mut out = Vec::new();
    super::export::varint(&mut out, sorted.len() as u64);
    let mut prev = "";
    for w in sorted {
        super::export::term_header(&mut out, prev, w);
        prev = w;
    }
    out
}

/// The word typed in a query clause, when the clause is one word: its char offset in the clause
/// and the word as typed, without the punctuation around it ("loop," → "loop").
pub fn typed_word(analyzer: &mut TextAnalyzer, clause: &str) -> Option<(usize, String)> {
    let mut stream = analyzer.token_stream(clause);
    let mut found = None;
    while stream.advance() {
        if found.is_some() {
            return None;
        }
        let t = stream.token();
        found = Some((t.offset_from, t.offset_to));
    }
    let (from, to) = found?;
    Some((
        clause[..from].chars().count(),
        clause.get(from..to)?.to_string(),
    ))
}

/// Looks for the replacement of one unknown word among the index's surface words, offered one
/// by one with the number of incidents using each.
pub struct Nearest {
    typed: String,
    chars: usize,
    max: usize,
    /// Candidates within `max` edits: (distance, incidents, word).
    found: Vec<(usize, u64, String)>,
}

impl Nearest {
    /// None when `typed` (any case) is not to be corrected at all: too short, holding a digit
    /// (a *504* is no typo for *503*), or a correctly spelled English word.
    pub fn new(typed: &str) -> Option<Nearest> {
        let typed = typed.to_lowercase();
        let chars = typed.chars().count();
        if chars < MIN_CHARS || typed.chars().any(|c| c.is_numeric()) || is_english(&typed) {
            return None;
        }
        Some(Nearest {
            typed,
            chars,
            max: max_edits(chars),
            found: Vec::new(),
        })
    }

    pub fn offer(&mut self, word: &str, incidents: u64) {
        if word.len().abs_diff(self.typed.len()) > 4 * self.max
            || word.chars().count().abs_diff(self.chars) > self.max
        {
            return;
        }
        let d = distance(&self.typed, word);
        if d > 0 && d <= self.max {
            self.found.push((d, incidents, word.to_string()));
        }
    }

    /// The best candidate when it is clearly better than every candidate searched differently
    /// (another stem): fewer edits, or as few and in [`FREQ_MARGIN`] times as many incidents.
    /// Candidates with one stem ("expired", "expire") are one choice, shown by its best word.
    pub fn best(self, mut stem: impl FnMut(&str) -> String) -> Option<String> {
        let mut by_stem: HashMap<String, (usize, std::cmp::Reverse<u64>, String)> = HashMap::new();
        for (d, n, word) in self.found {
            let key = (d, std::cmp::Reverse(n), word);
            let e = by_stem.entry(stem(&key.2)).or_insert_with(|| key.clone());
            if key < *e {
                *e = key;
            }
        }
        let mut ranked: Vec<_> = by_stem.into_values().collect();
        ranked.sort();
        let mut it = ranked.into_iter();
        let (d, n, word) = it.next()?;
        match it.next() {
            Some((d2, n2, _)) if d2 == d && n.0 < FREQ_MARGIN.saturating_mul(n2.0) => None,
            _ => Some(word),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_count_one_edit() {
        assert_eq!(distance("exipred", "expired"), 1);
        assert_eq!(distance("reddti", "reddit"), 1);
        assert_eq!(distance("ingestoin", "ingestion"), 1);
        assert_eq!(distance("replca", "replica"), 1);
        assert_eq!(distance("ca", "abc"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kjær", "kjaer"), 2);
    }

    /// The words [`encode_words`] wrote (empty past a truncated end), as the browser reads them.
    fn decode_words(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        crate::search::surface::decode(bytes, false, |w, _| out.push(w.to_string()));
        out
    }

    #[test]
    fn word_list_round_trips_and_knows_english() {
        let words = ["replica", "replicas", "lag", "café"];
        let bytes = encode_words(words);
        assert_eq!(decode_words(&bytes), ["café", "lag", "replica", "replicas"]);
        for w in [
            "ceo",
            "scam",
            "staff",
            "starvation",
            "loop",
            "anywhere",
            "nobody",
        ] {
            assert!(is_english(w), "{w}");
        }
        for w in ["exipred", "discrod", "reddti", "ingestoin", "replca"] {
            assert!(!is_english(w), "{w}");
        }
    }

    #[test]
    fn every_english_word_is_found_and_nothing_else() {
        let words = english_words();
        assert!(words.is_sorted_by(|a, b| a.as_bytes() < b.as_bytes()));
        assert!(words.len() > 50_000, "{}", words.len());
        for w in &words {
            assert!(is_english(w), "{w}");
            // One letter more or less, at either end, is found only when it is a word too.
            let mut shorter = w.clone();
            shorter.pop();
            for other in [format!("{w}q"), format!("q{w}"), shorter] {
                assert_eq!(
                    is_english(&other),
                    words.binary_search(&other).is_ok(),
                    "{other}"
                );
            }
        }
        assert!(!is_english(""));
        assert!(!has_line(b"", b"a"));
        assert!(has_line(b"a\nb\nc\n", b"c") && has_line(b"a\nb\nc\n", b"a"));
        assert!(!has_line(b"a\nb\nd\n", b"c") && !has_line(b"b\n", b"a"));
    }

    #[test]
    fn typed_word_drops_punctuation() {
        let mut a = crate::search::analyzer::en_stem();
        assert_eq!(typed_word(&mut a, "loop,"), Some((0, "loop".into())));
        assert_eq!(typed_word(&mut a, "(Exipred)"), Some((1, "Exipred".into())));
        assert_eq!(typed_word(&mut a, "a-b"), None);
        assert_eq!(typed_word(&mut a, "..."), None);
    }
}
