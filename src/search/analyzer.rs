//! The text analyzers. [`en_stem`] is tantivy's `en_stem` (letter/digit runs, tokens over 40
//! bytes dropped, lowercased, Snowball English), with a per-thread cache in front of the
//! stemmer. The stems are identical (tested) but for a few words kept whole ([`KEPT`]); the
//! cache only saves time, since a postmortem
//! repeats its words and stemming was a tenth of a 10k-incident build.
//!
//! [`en_split`], which the index uses, also splits code words (docs/search.md, "Word
//! splitting"): `CrashLoopBackOff` is indexed as itself and as *crash loop back off* at its
//! own positions, so plain words find it and phrases still line up; `SDKs` is `SDK`.
//! `theme/static/js/search.js` (`words`) splits query words exactly like [`split`].

use std::cell::RefCell;
use std::ops::Range;

use super::FastMap;
use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// Cached stems per thread; cleared when it grows past this many words.
const CACHE_WORDS: usize = 200_000;

thread_local! {
    // Looked up once a word indexed: a fast hash (SipHash was a fortieth of a build's work),
    // keyed per process so that crafted words cannot collide.
    static CACHE: RefCell<FastMap<String, String>> = RefCell::new(FastMap::default());
    static STEMMER: Stemmer = Stemmer::new(Algorithm::English);
}

/// Tokens of this many bytes or more are dropped (tantivy's `en_stem` limit).
pub(super) const LONG: usize = 40;

/// Words Snowball stems into an everyday word of another meaning, which a synonym group would
/// then match everywhere: *follower* (a replica, in `vocabulary.toml`) is *follow*, as are
/// *following* and *follow-up*, in most postmortems. They keep a stem of their own, as
/// Elasticsearch's `stemmer_override` does; `theme/static/js/stem.js` has the same list.
const KEPT: &[(&str, &str)] = &[("follower", "follower"), ("followers", "follower")];

/// A lowercased word's stem: Snowball English, but for the [`KEPT`] words.
fn stem(word: &str) -> String {
    match KEPT.iter().find(|(w, _)| *w == word) {
        Some((_, kept)) => kept.to_string(),
        None => STEMMER.with(|s| s.stem(word).into_owned()),
    }
}

pub fn en_stem() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONG))
        .filter(LowerCaser)
        .filter(StemFilter(CachedStemmer))
        .build()
}

/// The words [`en_stem`] finds, as written (not lowercased or stemmed): where only a token's
/// place in the text is read, stemming each one is wasted work.
pub fn en_words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONG))
        .build()
}

/// The surface words (did-you-mean's candidates, see `spelling` and `surface`): [`en_words`]'
/// tokens lowercased, those holding a digit left out (never corrected to).
pub fn surface() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONG))
        .filter(NoDigits)
        .filter(LowerCaser)
        .build()
}

/// [`en_stem`] with code words split ([`SplitTokenizer`]): the analyzer of the index. The
/// tokenizer leaves out long words and lowercases, as `RemoveLongFilter` and `LowerCaser`
/// would after it (a test compares them): it knows which words are already lowercase ASCII.
pub fn en_split() -> TextAnalyzer {
    TextAnalyzer::builder(SplitTokenizer::default())
        .filter(StemFilter(CachedStemmer))
        .build()
}

/// What a byte is to a scan for words: it ends a word (ASCII, neither letter nor digit), or is
/// a lowercase or uppercase letter, a digit, or part of another character. Scanning chars
/// through a predicate instead was 3 % of a build's instructions.
pub(super) const ENDS: u8 = 0;
pub(super) const LOWER: u8 = 1;
pub(super) const UPPER: u8 = 2;
pub(super) const DIGIT: u8 = 4;
pub(super) const OTHER: u8 = 8;
pub(super) const CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut b = 0;
    while b < 128 {
        class[b] = match b as u8 {
            b'a'..=b'z' => LOWER,
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            _ => ENDS,
        };
        b += 1;
    }
    class
};

/// The next run of letters and digits (`char::is_alphanumeric`, as tantivy's
/// `SimpleTokenizer`) in `text` from byte `at`, a char boundary: its byte range, and whether
/// whether it is a plain word (ASCII: all digits, or a letter and then lowercase letters), which
/// [`split`] leaves whole: then the class of its first byte ([`LOWER`], [`UPPER`], [`DIGIT`]),
/// else 0.
fn next_word(text: &str, mut at: usize) -> Option<(Range<usize>, u8)> {
    let bytes = text.as_bytes();
    // Non-ASCII characters are decoded and asked; ASCII bytes are looked up. The length of the
    // character at `at` when it is a letter or digit.
    let alphanumeric_at = |at: usize| -> Result<usize, usize> {
        let c = text[at..]
            .chars()
            .next()
            .expect("a char boundary before the end");
        if c.is_alphanumeric() {
            Ok(c.len_utf8())
        } else {
            Err(c.len_utf8())
        }
    };
    let (start, first) = loop {
        let &b = bytes.get(at)?;
        match CLASS[usize::from(b)] {
            ENDS => at += 1,
            OTHER => match alphanumeric_at(at) {
                Ok(len) => {
                    at += len;
                    break (at - len, OTHER);
                }
                Err(len) => at += len,
            },
            class => {
                at += 1;
                break (at - 1, class);
            }
        }
    };
    // The kinds of bytes after the first.
    let mut rest = 0;
    while let Some(&b) = bytes.get(at) {
        let class = CLASS[usize::from(b)];
        match class {
            ENDS => break,
            OTHER => match alphanumeric_at(at) {
                Ok(len) => at += len,
                Err(_) => break,
            },
            _ => at += 1,
        }
        rest |= class;
    }
    let plain = match first {
        DIGIT => rest & !DIGIT == 0,
        LOWER | UPPER => rest & !LOWER == 0,
        _ => false,
    };
    Some((start..at, if plain { first } else { 0 }))
}

/// A word split into more parts than this is an identifier or a hash, kept whole.
const MAX_PARTS: usize = 5;
/// A word switching between letters and digits more often than this (`3f2504e0`) is not split
/// at digits.
const MAX_DIGIT_SWITCHES: usize = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    /// Lowercase and uncased letters.
    Lower,
    Digit,
}

/// How a run of letters and digits is indexed: the length of the word proper (a plural `s`
/// of an abbreviation left out: `SDKs` is `SDK`) and, when it is a compound, its parts (two
/// or more byte ranges): at a lowercase-to-uppercase change (`crashLoop`), before the last
/// capital of a run of capitals followed by a lowercase letter (`HTTPServer`), and between
/// letters and digits (`v2`, `5xx`) unless they alternate more than twice.
pub fn split(word: &str) -> (usize, Vec<Range<usize>>) {
    // Most words are plain: lowercase after their first letter, or all digits. They have no
    // cut and no abbreviation's `s`, and need no allocation.
    let bytes = word.as_bytes();
    if bytes.iter().all(u8::is_ascii_digit)
        || (bytes.first().is_some_and(u8::is_ascii_alphabetic)
            && bytes[1..].iter().all(u8::is_ascii_lowercase))
    {
        return (word.len(), Vec::new());
    }
    let mut chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut end = word.len();
    if let Some(&(at, 's')) = chars.last() {
        let caps = chars[..chars.len() - 1]
            .iter()
            .rev()
            .take_while(|(_, c)| c.is_uppercase())
            .count();
        if caps >= 2 {
            end = at;
            chars.pop();
        }
    }
    let class: Vec<Class> = chars
        .iter()
        .map(|(_, c)| {
            if c.is_uppercase() {
                Class::Upper
            } else if c.is_alphabetic() {
                Class::Lower
            } else {
                Class::Digit
            }
        })
        .collect();
    let digit = |k: usize| class[k] == Class::Digit;
    let switches = (1..class.len())
        .filter(|&k| digit(k) != digit(k - 1))
        .count();
    let mut starts = vec![0];
    for k in 1..class.len() {
        let cut = match (class[k - 1], class[k]) {
            (Class::Lower, Class::Upper) => true,
            (Class::Upper, Class::Upper) => class.get(k + 1) == Some(&Class::Lower),
            _ => switches <= MAX_DIGIT_SWITCHES && digit(k) != digit(k - 1),
        };
        if cut {
            starts.push(k);
        }
    }
    if starts.len() < 2 || starts.len() > MAX_PARTS {
        return (end, Vec::new());
    }
    let byte = |k: usize| chars.get(k).map_or(end, |c| c.0);
    let parts = starts
        .iter()
        .enumerate()
        .map(|(i, &k)| byte(k)..starts.get(i + 1).map_or(end, |&n| byte(n)))
        .collect();
    (end, parts)
}

/// Runs of letters and digits (as tantivy's `SimpleTokenizer`), each split by [`split`]: a
/// compound is its whole word at its first part's position (spanning them all) and then its
/// parts at consecutive positions, so a phrase over the parts matches, and the next word
/// follows the last part.
#[derive(Clone, Copy, Default)]
pub struct SplitTokenizer {
    /// Words as written, long ones too: what `RemoveLongFilter` and `LowerCaser` would be
    /// given (for the test that compares with them).
    raw: bool,
}

pub struct SplitStream<'a> {
    text: &'a str,
    /// Where the scan for the next word goes on.
    at: usize,
    /// The next word's position.
    position: usize,
    /// The open compound's parts (byte ranges of `text`) still to give, and the position of
    /// the first.
    parts: Vec<Range<usize>>,
    part: usize,
    parts_position: usize,
    token: Token,
    raw: bool,
    /// For lowercasing non-ASCII words.
    buffer: String,
}

impl Tokenizer for SplitTokenizer {
    type TokenStream<'a> = SplitStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SplitStream<'a> {
        SplitStream {
            text,
            at: 0,
            position: 0,
            parts: Vec::new(),
            part: 0,
            parts_position: 0,
            // Room for any word indexed: growing it word by word was a reallocation per field.
            token: Token {
                text: String::with_capacity(LONG),
                ..Token::default()
            },
            raw: self.raw,
            buffer: String::new(),
        }
    }
}

impl SplitStream<'_> {
    fn set(&mut self, range: Range<usize>, text_end: usize, position: usize, length: usize) {
        let t = &mut self.token;
        t.offset_from = range.start;
        t.offset_to = range.end;
        t.position = position;
        t.position_length = length;
        t.text.clear();
        t.text.push_str(&self.text[range.start..text_end]);
    }
}

impl SplitStream<'_> {
    /// The next token as written: a word, or the next part of the open compound. Returns the
    /// class of a plain word's first byte, else 0 (see [`next_word`]).
    fn next_token(&mut self) -> Option<u8> {
        if let Some(p) = self.parts.get(self.part).cloned() {
            let position = self.parts_position + self.part;
            self.part += 1;
            self.set(p.clone(), p.end, position, 1);
            return Some(0);
        }
        let Some((word, plain)) = next_word(self.text, self.at) else {
            self.at = self.text.len();
            return None;
        };
        let (start, stop) = (word.start, word.end);
        self.at = stop;
        let (end, parts) = if plain != 0 {
            (stop - start, Vec::new())
        } else {
            split(&self.text[word])
        };
        let length = parts.len().max(1);
        let position = self.position;
        self.position += length;
        self.parts.clear();
        self.parts
            .extend(parts.into_iter().map(|p| start + p.start..start + p.end));
        self.part = 0;
        self.parts_position = position;
        self.set(start..stop, start + end, position, length);
        Some(plain)
    }
}

/// `text` lowercased as tantivy's `LowerCaser` does: ASCII in place, other text char by char
/// (no final-sigma rule) through `buffer`.
fn lowercase(text: &mut String, buffer: &mut String) {
    if text.is_ascii() {
        text.make_ascii_lowercase();
        return;
    }
    buffer.clear();
    for c in text.chars() {
        buffer.extend(c.to_lowercase());
    }
    std::mem::swap(text, buffer);
}

impl TokenStream for SplitStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some(case) = self.next_token() {
            if self.raw {
                return true;
            }
            // `RemoveLongFilter`'s rule, on the word as written; a long compound's parts
            // still follow.
            if self.token.text.len() >= LONG {
                continue;
            }
            match case {
                LOWER | DIGIT => {}
                UPPER => self.token.text[..1].make_ascii_lowercase(),
                _ => lowercase(&mut self.token.text, &mut self.buffer),
            }
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// A word of a query as the index holds it: its stem, and for a compound its parts' stems
/// (`CrashLoopBackOff`: *crashloopbackoff* and *crash loop back off*). A compound too long to
/// index whole is its parts, each a word of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub whole: String,
    pub parts: Vec<String>,
}

impl Word {
    /// The stems a phrase uses for this word: its parts, or the word itself.
    pub fn phrase(&self) -> Vec<String> {
        if self.parts.is_empty() {
            vec![self.whole.clone()]
        } else {
            self.parts.clone()
        }
    }
}

/// The words of `text` through [`en_split`], a compound's parts gathered under its whole.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    // Where the open compound's parts end.
    let mut open_until = 0;
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        if t.position < open_until
            && let Some(w) = out.last_mut()
        {
            w.parts.push(t.text.clone());
            continue;
        }
        open_until = if t.position_length > 1 {
            t.position + t.position_length
        } else {
            0
        };
        out.push(Word {
            whole: t.text.clone(),
            parts: Vec::new(),
        });
    }
    out
}

/// The stems of `text` as a phrase: every word's [`Word::phrase`].
pub fn phrase(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    words(analyzer, text)
        .iter()
        .flat_map(Word::phrase)
        .collect()
}

/// Stems the words through the cache: every word ([`CachedStemmer`]) or those starting with a
/// marked byte ([`StemStarting`]). One filter for both, the choice inlined.
#[derive(Clone)]
pub struct StemFilter<S>(S);

/// Which words a [`StemFilter`] stems, by their first byte.
pub trait Stems: Clone + Send + Sync + 'static {
    fn stems(&self, first: u8) -> bool;
}

/// Every word: the index's analyzers.
#[derive(Clone, Copy)]
pub struct CachedStemmer;

impl Stems for CachedStemmer {
    #[inline]
    fn stems(&self, _: u8) -> bool {
        true
    }
}

/// The words whose first byte is marked: snippets ([`en_split_finding`]).
#[derive(Clone)]
pub struct StemStarting(std::sync::Arc<[bool; 256]>);

impl Stems for StemStarting {
    #[inline]
    fn stems(&self, first: u8) -> bool {
        self.0[usize::from(first)]
    }
}

impl<S: Stems> TokenFilter for StemFilter<S> {
    type Tokenizer<T: Tokenizer> = StemTokenizer<T, S>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemTokenizer<T, S> {
        StemTokenizer {
            inner: tokenizer,
            stems: self.0,
        }
    }
}

#[derive(Clone)]
pub struct StemTokenizer<T, S> {
    inner: T,
    stems: S,
}

impl<T: Tokenizer, S: Stems> Tokenizer for StemTokenizer<T, S> {
    type TokenStream<'a> = StemStream<'a, T::TokenStream<'a>, S>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemStream {
            tail: self.inner.token_stream(text),
            stems: &self.stems,
        }
    }
}

/// Words the English stemmer leaves as they are, told without it or the cache: those under
/// three letters (Snowball's `not hop 3`) and numbers. A third of a postmortem's words; the
/// cache lookup was 4 % of a 10,000 build.
fn stems_to_itself(word: &str) -> bool {
    word.len() < 3 || word.bytes().all(|b| b.is_ascii_digit())
}

pub struct StemStream<'a, T, S> {
    tail: T,
    stems: &'a S,
}

/// Replaces the token's word by its stem, through the cache.
#[inline]
fn stem_in_place(token: &mut Token) {
    CACHE.with_borrow_mut(|cache| {
        if let Some(stem) = cache.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return;
        }
        let stem = stem(&token.text);
        if cache.len() >= CACHE_WORDS {
            cache.clear();
        }
        // The token keeps its buffer (a stem swapped in grew again word after word).
        let word = token.text.as_str().to_owned();
        token.text.clear();
        token.text.push_str(&stem);
        cache.insert(word, stem);
    });
}

impl<T: TokenStream, S: Stems> TokenStream for StemStream<'_, T, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let stems = token
            .text
            .as_bytes()
            .first()
            .is_some_and(|&b| self.stems.stems(b));
        if stems && !stems_to_itself(&token.text) {
            stem_in_place(token);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// [`en_split`] for finding the words of `stems` in a text (snippets): a word is stemmed only
/// when it starts as one of them does, the others are left as written (lowercased), which none
/// of them can be. The English stemmer keeps a word's first letter (tested on every word of
/// the dictionary), and stemming the words of each hit's body was a fifth of a `kb search`.
pub fn en_split_finding<'a>(stems: impl IntoIterator<Item = &'a str>) -> TextAnalyzer {
    let mut first = [false; 256];
    // A word starting outside ASCII is always stemmed: lowercasing may change its first byte.
    first[128..].fill(true);
    for s in stems {
        if let Some(&b) = s.as_bytes().first() {
            first[usize::from(b)] = true;
        }
    }
    TextAnalyzer::builder(SplitTokenizer::default())
        .filter(StemFilter(StemStarting(std::sync::Arc::new(first))))
        .build()
}

/// Drops tokens holding a digit: did-you-mean never corrects to one (`spelling::Nearest`).
#[derive(Clone)]
pub struct NoDigits;

impl TokenFilter for NoDigits {
    type Tokenizer<T: Tokenizer> = NoDigitsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NoDigitsFilter<T> {
        NoDigitsFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct NoDigitsFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for NoDigitsFilter<T> {
    type TokenStream<'a> = NoDigitsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        NoDigitsStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct NoDigitsStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for NoDigitsStream<T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let text = &self.tail.token().text;
            let digits = match text.is_ascii() {
                true => text.bytes().any(|b| b.is_ascii_digit()),
                false => text.chars().any(char::is_numeric),
            };
            if !digits {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_told_unchanged_are_unchanged_by_the_stemmer() {
        let mut words: Vec<String> = ["0", "7", "42", "503", "2024", "00000000001"]
            .map(String::from)
            .to_vec();
        let letters = ('a'..='z').chain(['é', 'ß', 'ı', '\'', 'y', 'Y']);
        for a in letters.clone() {
            words.push(a.to_string());
            for b in letters.clone() {
                words.push(format!("{a}{b}"));
            }
        }
        for w in words.iter().filter(|w| stems_to_itself(w)) {
            assert_eq!(&stem(w), w);
        }
    }
    use crate::search::analyze;

    /// Golden stems: a stemmer upgrade that changes these changes what queries match, and
    /// the browser engine's stem map with it.
    #[test]
    fn golden_stems() {
        let text = "Replicas lagging; writes rejected. Services returning 503s, \
                    certificates expired, OOMKilled pods restarting, DNS resolution failed";
        let stems = analyze(&mut en_stem(), text);
        assert_eq!(
            stems,
            [
                "replica", "lag", "write", "reject", "servic", "return", "503s", "certif", "expir",
                "oomkil", "pod", "restart", "dns", "resolut", "fail"
            ]
        );
    }

    fn split_words(text: &str) -> Vec<(String, Vec<String>)> {
        words(&mut en_split(), text)
            .into_iter()
            .map(|w| (w.whole, w.parts))
            .collect()
    }

    fn parts(word: &str) -> Vec<&str> {
        let (_, parts) = split(word);
        parts.into_iter().map(|r| &word[r]).collect()
    }

    #[test]
    fn code_words_are_split_and_kept_whole() {
        assert_eq!(parts("CrashLoopBackOff"), ["Crash", "Loop", "Back", "Off"]);
        assert_eq!(parts("FormData"), ["Form", "Data"]);
        assert_eq!(parts("OOMKilled"), ["OOM", "Killed"]);
        assert_eq!(parts("HTTPServer"), ["HTTP", "Server"]);
        assert_eq!(parts("v2"), ["v", "2"]);
        assert_eq!(parts("5xx"), ["5", "xx"]);
        assert_eq!(parts("http2Client"), ["http", "2", "Client"]);
        // Not compounds: one case, plural abbreviations, hashes, long identifiers.
        for w in [
            "replica",
            "Kubernetes",
            "HTTP",
            "503",
            "SDKs",
            "3f2504e0",
            "aBcDeFgHiJ",
        ] {
            assert_eq!(parts(w), Vec::<&str>::new(), "{w}");
        }
        assert_eq!(split("SDKs").0, 3);
        assert_eq!(split("APIs").0, 3);
        assert_eq!(split("Is").0, 2);
        assert_eq!(split("DNS").0, 3);

        let w = |whole: &str, parts: &[&str]| {
            (
                whole.to_string(),
                parts.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            split_words("pods in CrashLoopBackOff, SDKs upgraded"),
            [
                w("pod", &[]),
                w("in", &[]),
                w("crashloopbackoff", &["crash", "loop", "back", "off"]),
                w("sdk", &[]),
                w("upgrad", &[]),
            ]
        );
        // snake_case, kebab-case and dotted names were always separate words.
        assert_eq!(
            phrase(&mut en_split(), "max_connections kube-proxy app.config"),
            ["max", "connect", "kube", "proxi", "app", "config"]
        );
    }

    /// Parts sit at their own consecutive positions, the whole at the first; the next word
    /// follows the last part, so phrases across a compound line up.
    #[test]
    fn positions_of_a_compound() {
        let mut a = en_split();
        let mut stream = a.token_stream("saw CrashLoopBackOff again");
        let mut got = Vec::new();
        while stream.advance() {
            let t = stream.token();
            got.push((t.text.clone(), t.position, t.position_length));
        }
        let want: Vec<(String, usize, usize)> = [
            ("saw", 0, 1),
            ("crashloopbackoff", 1, 4),
            ("crash", 1, 1),
            ("loop", 2, 1),
            ("back", 3, 1),
            ("off", 4, 1),
            ("again", 5, 1),
        ]
        .map(|(t, p, l)| (t.to_string(), p, l))
        .to_vec();
        assert_eq!(got, want);
    }

    proptest::proptest! {
        /// The byte scan finds the words tantivy's `SimpleTokenizer` finds (letters and digits
        /// by `char::is_alphanumeric`), and calls plain only words `split` leaves whole.
        #[test]
        fn words_are_found_as_simple_tokenizer_finds_them(
            text in "([a-zA-Z0-9 .,_-]{0,12}|[\\PC]{0,6}|[A-Z][a-z]{0,5}|\\d{1,4}[a-z]?){0,10}"
        ) {
            let mut simple = tantivy::tokenizer::SimpleTokenizer::default();
            let mut stream = simple.token_stream(&text);
            let mut want = Vec::new();
            while stream.advance() {
                want.push(stream.token().offset_from..stream.token().offset_to);
            }
            let mut got = Vec::new();
            let mut at = 0;
            while let Some((word, plain)) = next_word(&text, at) {
                if plain != 0 {
                    let w = &text[word.clone()];
                    proptest::prop_assert_eq!(split(w), (w.len(), Vec::new()), "{}", w);
                }
                at = word.end;
                got.push(word);
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    proptest::proptest! {
        /// The tokenizer's own long-word rule and lowercasing give the tokens tantivy's
        /// `RemoveLongFilter` and `LowerCaser` give after it: text, offsets, positions.
        #[test]
        fn lowercased_as_tantivys_filters_do(
            text in "([a-zA-Z0-9 .,_-]{0,12}|[\\PC]{0,6}|[A-Z][a-z]{0,5}|[A-Za-z]{30,45}|[ÀİΣßǅ][a-zA-Z]{0,3}|\\d{1,4}[a-z]?){0,10}"
        ) {
            let tokens = |a: &mut TextAnalyzer| {
                let mut stream = a.token_stream(&text);
                let mut out = Vec::new();
                while stream.advance() {
                    let t = stream.token();
                    out.push((t.text.clone(), t.offset_from, t.offset_to, t.position, t.position_length));
                }
                out
            };
            let mut filtered = TextAnalyzer::builder(SplitTokenizer { raw: true })
                .filter(RemoveLongFilter::limit(LONG))
                .filter(LowerCaser)
                .build();
            let mut fused = TextAnalyzer::from(SplitTokenizer::default());
            proptest::prop_assert_eq!(tokens(&mut fused), tokens(&mut filtered));
        }
    }

    #[test]
    fn same_stems_as_tantivys_en_stem() {
        let default = tantivy::tokenizer::TokenizerManager::default()
            .get("en_stem")
            .unwrap();
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/content/2021/2021-09-02-contractor-dropped-production-database.md"
        ))
        .unwrap();
        // Twice: the second pass is served from the cache.
        for _ in 0..2 {
            assert_eq!(
                analyze(&mut en_stem(), &text),
                analyze(&mut default.clone(), &text)
            );
        }
        // But for the words kept whole.
        let text = "a follower, followers following the follow-up";
        assert_eq!(
            analyze(&mut default.clone(), text),
            ["a", "follow", "follow", "follow", "the", "follow", "up"]
        );
        assert_eq!(
            analyze(&mut en_stem(), text),
            ["a", "follower", "follower", "follow", "the", "follow", "up"]
        );
    }

    /// What [`en_split_finding`] rests on: the English stemmer keeps a word's first letter.
    #[test]
    fn stems_keep_the_first_letter_of_every_dictionary_word() {
        let words = super::super::spelling::english_words();
        assert!(words.len() > 10_000);
        for w in words.iter().map(|w| w.to_lowercase()) {
            let s = stem(&w);
            assert_eq!(s.bytes().next(), w.bytes().next(), "{w} → {s}");
        }
    }

    proptest::proptest! {
        /// A word that [`en_split`] stems to one of the stems sought is stemmed the same way
        /// when finding them; any other word is not one of them either way. Offsets and
        /// positions are the same: so are the snippets.
        #[test]
        fn finding_stems_finds_them_where_the_index_analyzer_does(
            text in "(dying|lying|skies|skis|ugly|early|only|news|replicas|Replicated|CrashLoopBackOff|followers|[a-zA-Z]{1,9}|[ÀİΣßé][a-z]{0,4}|\\d{1,4}|[ .,-]){0,14}",
            sought in proptest::collection::vec("(dying|lying|sky|replicas|crash|loop|follower|news|[a-z]{1,6}|[ÀİΣßé][a-z]{0,3}|\\d{1,3})", 0..5),
        ) {
            let tokens = |a: &mut TextAnalyzer| {
                let mut stream = a.token_stream(&text);
                let mut out = Vec::new();
                while stream.advance() {
                    let t = stream.token();
                    out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
                }
                out
            };
            // The stems a query holds: words of the sought list through the index's analyzer.
            let stems: Vec<String> = sought.iter().flat_map(|w| phrase(&mut en_split(), w)).collect();
            let want = tokens(&mut en_split());
            let got = tokens(&mut en_split_finding(stems.iter().map(String::as_str)));
            proptest::prop_assert_eq!(want.len(), got.len());
            for (w, g) in want.iter().zip(&got) {
                proptest::prop_assert_eq!((w.1, w.2, w.3), (g.1, g.2, g.3));
                let (is_w, is_g) = (stems.contains(&w.0), stems.contains(&g.0));
                proptest::prop_assert_eq!(is_w, is_g, "{:?} {:?} {:?}", w, g, stems);
                if is_w {
                    proptest::prop_assert_eq!(&w.0, &g.0);
                }
            }
        }
    }
}
