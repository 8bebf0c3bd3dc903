//! The text analyzer: tantivy's `en_stem` (letter/digit runs, tokens over 40 bytes dropped,
//! lowercased, Snowball English), with a per-thread cache in front of the stemmer. The stems
//! are identical (tested); the cache only saves time, since a postmortem repeats its words
//! and stemming was a tenth of a 10k-incident build.

use std::cell::RefCell;
use std::collections::HashMap;

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// Cached stems per thread; cleared when it grows past this many words.
const CACHE_WORDS: usize = 200_000;

thread_local! {
    static CACHE: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
    static STEMMER: Stemmer = Stemmer::new(Algorithm::English);
}

pub fn en_stem() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(CachedStemmer)
        .build()
}

#[derive(Clone, Copy)]
pub struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct CachedStemStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for CachedStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        CACHE.with_borrow_mut(|cache| {
            if let Some(stem) = cache.get(&token.text) {
                token.text.clear();
                token.text.push_str(stem);
                return;
            }
            let stem = STEMMER.with(|s| s.stem(&token.text).into_owned());
            if cache.len() >= CACHE_WORDS {
                cache.clear();
            }
            cache.insert(std::mem::replace(&mut token.text, stem.clone()), stem);
        });
        true
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
    }
}
