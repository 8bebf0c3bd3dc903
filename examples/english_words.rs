//! Makes `src/search/english.bin`, the English word list did-you-mean consults
//! (`src/search/spelling.rs`), from SCOWL word lists, one word a line: Debian's `wamerican` and
//! `wbritish` (SCOWL size 50; copyright and permission in NOTICE).
//!
//!     apt-get install wamerican wbritish
//!     cargo run --example english_words -- /usr/share/dict/american-english \
//!         /usr/share/dict/british-english > src/search/english.bin
//!
//! Kept: words of three letters or more, only letters (no possessives), lowercased.

use std::io::Write;

fn main() {
    let mut words = std::collections::BTreeSet::new();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines() {
            let w = line.trim().to_lowercase();
            if w.chars().count() >= kb::search::spelling::MIN_CHARS
                && w.chars().all(char::is_alphabetic)
            {
                words.insert(w);
            }
        }
    }
    let plain = kb::search::spelling::encode_words(words.iter().map(String::as_str));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&plain).expect("writing to memory");
    let bytes = gz.finish().expect("writing to memory");
    eprintln!(
        "{} words, {} bytes, {} gzipped",
        words.len(),
        plain.len(),
        bytes.len()
    );
    std::io::stdout().write_all(&bytes).expect("write stdout");
}
