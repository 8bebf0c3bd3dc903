//! Search: a tantivy index of every incident (the single source of truth for every front
//! end), the query language, similar incidents. Knows nothing of templates.

pub mod analyzer;
mod exclude;
pub mod export;
pub mod facets;
pub mod print;
pub mod query;
pub mod run;
pub mod schema;
pub mod served;
pub mod similar;
pub mod snippet;
pub mod spelling;
pub mod store;
pub mod surface;
pub mod synonyms;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{IndexReader, ReloadPolicy, Searcher};

pub(crate) use crate::FastMap;

pub use run::{Hit, Results, SearchOptions};
pub use schema::Fields;
pub use store::Stamp;

/// An opened index.
pub struct Index {
    pub index: tantivy::Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// Its surface words: counted when it was written, or read from its folder when first
    /// wanted (a query rarely needs them).
    words: std::sync::OnceLock<surface::Words>,
    dir: Option<std::path::PathBuf>,
}

impl Index {
    pub fn new(index: tantivy::Index) -> tantivy::Result<Index> {
        register(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Index {
            index,
            reader,
            fields,
            words: std::sync::OnceLock::new(),
            dir: None,
        })
    }

    /// The index kept in `dir`, whose surface words are in its [`surface::FILE`].
    pub fn in_dir(index: tantivy::Index, dir: &std::path::Path) -> tantivy::Result<Index> {
        let mut index = Index::new(index)?;
        index.dir = Some(dir.to_path_buf());
        Ok(index)
    }

    /// The index just written, with the surface words counted meanwhile.
    pub fn with_words(self, words: surface::Words) -> Index {
        self.words.get_or_init(|| words);
        self
    }

    /// Every surface word with the number of incidents using it (none when its file in the
    /// index folder is gone or damaged: no suggestion is better than a wrong one).
    pub fn surface_words(&self) -> &surface::Words {
        self.words.get_or_init(|| {
            self.dir
                .as_deref()
                .and_then(surface::Words::read)
                .unwrap_or_default()
        })
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The analyzer of the text fields (they all share one).
    pub fn analyzer(&self) -> TextAnalyzer {
        self.index
            .tokenizers()
            .get(schema::TOKENIZER)
            .expect("registered in Index::new")
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }
}

/// Every term `field` holds, with its document count, segment by segment (a term in several
/// segments comes once for each; unreadable segments are passed over).
pub fn each_term(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    mut f: impl FnMut(&[u8], u32),
) {
    for seg in searcher.segment_readers() {
        let Ok(inv) = seg.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inv.terms().stream() else {
            continue;
        };
        while stream.advance() {
            f(stream.key(), stream.value().doc_freq);
        }
    }
}

/// Registers the analyzers the schema names.
pub fn register(index: &tantivy::Index) {
    let t = index.tokenizers();
    t.register(schema::TOKENIZER, analyzer::en_split());
}

/// The stems of `text`, as the index sees them.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}
