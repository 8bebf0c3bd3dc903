//! The surface words: every word of the searched text as authors wrote it (lowercased, without
//! digits: [`analyzer::surface`]) with the number of incidents using it. Did-you-mean offers
//! them (`spelling`), in `kb search` and, as `search/terms.bin`, in the browser.
//!
//! They are counted while documents are made, not indexed as a tantivy field: a field held a
//! posting per word per incident, written, merged and read back only for its dictionary, and
//! was 8 % of a build's instructions. The index's folder keeps them in [`FILE`].

use std::fs;
use std::path::Path;

use super::FastMap;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analyzer::{self, CLASS, DIGIT, ENDS, OTHER, UPPER};

/// Beside the index: its surface words, as [`encode`] writes them.
pub const FILE: &str = "kb-words.bin";

/// Surface words sorted by bytes, each with the number of incidents using it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Words(pub Vec<(String, u32)>);

impl Words {
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.0.iter().map(|(w, n)| (w.as_str(), *n))
    }

    /// Front-coded: a count, then per word the bytes it shares with the previous one, the
    /// rest, and its number of incidents (the layout of `search/terms.bin`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        super::export::varint(&mut out, self.0.len() as u64);
        let mut prev = "";
        for (w, n) in &self.0 {
            super::export::term_header(&mut out, prev, w);
            prev = w;
            super::export::varint(&mut out, u64::from(*n));
        }
        out
    }

    /// What [`Words::encode`] wrote; None when it is damaged.
    pub fn decode(bytes: &[u8]) -> Option<Words> {
        let mut words = Vec::new();
        let complete = decode(bytes, true, |w, n| words.push((w.to_string(), n)));
        (complete && words.is_sorted_by(|a, b| a.0 < b.0)).then_some(Words(words))
    }

    /// The words kept in the index folder `dir`; None when missing or damaged.
    pub fn read(dir: &Path) -> Option<Words> {
        Words::decode(&fs::read(dir.join(FILE)).ok()?)
    }
}

/// Reads front-coded words (with a count after each when `counts`), giving each to `f`.
/// False when the bytes end early or hold something else than UTF-8 words.
pub fn decode(bytes: &[u8], counts: bool, mut f: impl FnMut(&str, u32)) -> bool {
    let mut at = 0;
    let varint = |at: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let Some(count) = varint(&mut at) else {
        return false;
    };
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..count {
        let (Some(shared), Some(len)) = (varint(&mut at), varint(&mut at)) else {
            return false;
        };
        let (Ok(shared), Ok(len)) = (usize::try_from(shared), usize::try_from(len)) else {
            return false;
        };
        let Some(rest) = bytes.get(at..at.saturating_add(len)) else {
            return false;
        };
        if shared > prev.len() {
            return false;
        }
        at += len;
        prev.truncate(shared);
        prev.extend_from_slice(rest);
        let n = match counts {
            true => match varint(&mut at).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => n,
                None => return false,
            },
            false => 0,
        };
        let Ok(word) = std::str::from_utf8(&prev) else {
            return false;
        };
        f(word, n);
    }
    true
}

/// Counts surface words incident by incident. Incidents are added in increasing order to one
/// counter; counters that saw different incidents [`Counter::merge`].
pub struct Counter {
    analyzer: TextAnalyzer,
    words: Tally,
    word: Vec<u8>,
}

/// Word (UTF-8) → (the last incident that used it + 1, incidents using it): words under 16
/// bytes, nearly all of them, as one integer ([`short`]), hashed and compared in a step rather
/// than through a pointer (the lookup was most of the counting); longer ones as bytes.
#[derive(Default)]
struct Tally {
    short: FastMap<u128, (u32, u32)>,
    long: FastMap<Box<[u8]>, (u32, u32)>,
}

/// A word under 16 bytes as an integer: its bytes, then its length in the last byte.
fn short(word: &[u8]) -> Option<u128> {
    (word.len() < 16).then(|| {
        let mut bytes = [0u8; 16];
        bytes[..word.len()].copy_from_slice(word);
        bytes[15] = word.len() as u8;
        u128::from_le_bytes(bytes)
    })
}

/// The word [`short`] made `key` of.
fn unshort(key: u128) -> Vec<u8> {
    let bytes = key.to_le_bytes();
    bytes[..usize::from(bytes[15])].to_vec()
}

/// Counts `word` once for incident `seen` (its position + 1).
fn count(words: &mut Tally, word: &[u8], seen: u32) {
    let (last, n) = match short(word) {
        Some(key) => words.short.entry(key).or_insert((0, 0)),
        None => match words.long.get_mut(word) {
            Some(counts) => counts,
            None => words.long.entry(word.into()).or_insert((0, 0)),
        },
    };
    if *last != seen {
        *last = seen;
        *n += 1;
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter {
            analyzer: analyzer::surface(),
            words: Tally::default(),
            word: Vec::new(),
        }
    }
}

impl Counter {
    /// Counts the words of incident `doc`'s texts (each tokenized on its own, as a field's
    /// values are).
    ///
    /// A run of ASCII letters and digits is a whole word to [`analyzer::surface`] (any ASCII
    /// byte else ends one), so those runs are lowercased here; runs holding other characters
    /// go through the analyzer. Tokenizing char by char was most of the counting's work.
    pub fn add<'a>(&mut self, doc: usize, texts: impl IntoIterator<Item = &'a str>) {
        let seen = doc as u32 + 1;
        for text in texts {
            let bytes = text.as_bytes();
            let (mut start, mut kinds) = (0, 0);
            for (at, &b) in bytes.iter().enumerate() {
                let class = CLASS[usize::from(b)];
                if class != ENDS {
                    kinds |= class;
                    continue;
                }
                if at > start {
                    self.run(&bytes[start..at], kinds, seen);
                }
                (start, kinds) = (at + 1, 0);
            }
            if bytes.len() > start {
                self.run(&bytes[start..], kinds, seen);
            }
        }
    }

    /// Counts the words of `run`, bytes between two that end words, holding the `kinds` of
    /// bytes given.
    fn run(&mut self, run: &[u8], kinds: u8, seen: u32) {
        if kinds & OTHER != 0 {
            // Both ends of the run are ASCII bytes (or the text's ends): it is UTF-8.
            let Ok(run) = std::str::from_utf8(run) else {
                return;
            };
            let mut stream = self.analyzer.token_stream(run);
            while stream.advance() {
                count(&mut self.words, stream.token().text.as_bytes(), seen);
            }
        } else if kinds & DIGIT == 0 && run.len() < analyzer::LONG {
            if kinds & UPPER == 0 {
                count(&mut self.words, run, seen);
            } else {
                self.word.clear();
                self.word.extend_from_slice(run);
                self.word.make_ascii_lowercase();
                count(&mut self.words, &self.word, seen);
            }
        }
    }

    /// Both counts together; `self` and `other` saw different incidents.
    pub fn merge(mut self, mut other: Counter) -> Counter {
        fn add<K: std::hash::Hash + Eq>(
            into: &mut FastMap<K, (u32, u32)>,
            from: &mut FastMap<K, (u32, u32)>,
        ) {
            if into.len() < from.len() {
                std::mem::swap(into, from);
            }
            for (w, (_, n)) in from.drain() {
                into.entry(w).or_insert((0, 0)).1 += n;
            }
        }
        add(&mut self.words.short, &mut other.words.short);
        add(&mut self.words.long, &mut other.words.long);
        self
    }

    pub fn finish(self) -> Words {
        let Tally { short, long } = self.words;
        let mut words: Vec<(String, u32)> = short
            .into_iter()
            .map(|(k, (_, n))| (unshort(k), n))
            .chain(long.into_iter().map(|(w, (_, n))| (w.into_vec(), n)))
            .map(|(w, n)| (String::from_utf8_lossy(&w).into_owned(), n))
            .collect();
        words.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Words(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(docs: &[&[&str]]) -> Words {
        let mut c = Counter::default();
        for (i, texts) in docs.iter().enumerate() {
            c.add(i, texts.iter().copied());
        }
        c.finish()
    }

    #[test]
    fn counts_incidents_not_occurrences() {
        let w = count(&[
            &["Replica lag, replica LAG", "the replica"],
            &["HTTP 503 from the replica", "Café"],
        ]);
        let got: Vec<(&str, u32)> = w.iter().collect();
        // "503" holds digits: never offered.
        assert_eq!(
            got,
            [
                ("café", 1),
                ("from", 1),
                ("http", 1),
                ("lag", 1),
                ("replica", 2),
                ("the", 2)
            ]
        );
    }

    #[test]
    fn merged_counters_count_like_one() {
        let docs: [&[&str]; 4] = [&["a disk full"], &["disk latency"], &["full disk"], &["x"]];
        let mut left = Counter::default();
        left.add(0, docs[0].iter().copied());
        left.add(1, docs[1].iter().copied());
        let mut right = Counter::default();
        right.add(2, docs[2].iter().copied());
        right.add(3, docs[3].iter().copied());
        assert_eq!(left.merge(right).finish(), count(&docs));
    }

    /// The words [`analyzer::surface`] alone finds, counted per incident.
    fn by_analyzer(docs: &[Vec<String>]) -> Words {
        let mut a = analyzer::surface();
        let mut seen: std::collections::BTreeMap<String, std::collections::BTreeSet<usize>> =
            Default::default();
        for (i, texts) in docs.iter().enumerate() {
            for t in texts {
                let mut s = a.token_stream(t);
                while s.advance() {
                    seen.entry(s.token().text.clone()).or_default().insert(i);
                }
            }
        }
        Words(seen.into_iter().map(|(w, d)| (w, d.len() as u32)).collect())
    }

    #[test]
    fn ascii_runs_count_as_the_analyzer_does() {
        let docs = vec![
            vec![
                "Replica-lag on db01: WRITES rejected; the café’s Ünïcode DÉJÀ vu".to_string(),
                "x".repeat(39) + " " + &"y".repeat(40) + " é" + &"z".repeat(40) + " ½ 3rd",
            ],
            vec!["naïve approach, 𝔘𝔫𝔦 ΣΊΣΥΦΟΣ İstanbul ǅ".to_string()],
        ];
        let mut c = Counter::default();
        for (i, t) in docs.iter().enumerate() {
            c.add(i, t.iter().map(String::as_str));
        }
        assert_eq!(c.finish(), by_analyzer(&docs));
    }

    proptest::proptest! {
        #[test]
        fn any_text_counts_as_the_analyzer_does(
            docs in proptest::collection::vec(
                proptest::collection::vec("([a-zA-Z0-9 .,_-]{0,12}|[\\PC]{0,6}|[a-zé]{14,17}|[a-z]{38,42}){0,8}", 0..3),
                0..4,
            )
        ) {
            let mut c = Counter::default();
            for (i, t) in docs.iter().enumerate() {
                c.add(i, t.iter().map(String::as_str));
            }
            proptest::prop_assert_eq!(c.finish(), by_analyzer(&docs));
            // Split between two counters (words under 16 bytes and longer ones are kept apart).
            let (mut left, mut right) = (Counter::default(), Counter::default());
            for (i, t) in docs.iter().enumerate() {
                let c = if i % 2 == 0 { &mut left } else { &mut right };
                c.add(i, t.iter().map(String::as_str));
            }
            proptest::prop_assert_eq!(left.merge(right).finish(), by_analyzer(&docs));
        }
    }

    #[test]
    fn encodes_and_decodes() {
        let w = count(&[&["replica replicas replication lag"], &["lag écrit"]]);
        let bytes = w.encode();
        assert_eq!(Words::decode(&bytes), Some(w));
        // Cut anywhere, the bytes are refused rather than read short.
        for end in 0..bytes.len() {
            assert_eq!(Words::decode(&bytes[..end]), None, "cut at {end}");
        }
    }
}
