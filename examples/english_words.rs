//! Makes `src/search/english.txt`, the English word list did-you-mean consults
//! (`src/search/spelling.rs`), from SCOWL word lists, one word a line: Debian's `wamerican` and
//! `wbritish` (SCOWL size 50; copyright and permission in NOTICE).
//!
//!     apt-get install wamerican wbritish
//!     cargo run --example english_words -- /usr/share/dict/american-english \
//!         /usr/share/dict/british-english > src/search/english.txt
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
    // A BTreeSet of Strings iterates in byte order, which the binary search relies on.
    let mut text = String::new();
    for w in &words {
        text.push_str(w);
        text.push('\n');
    }
    eprintln!("{} words, {} bytes", words.len(), text.len());
    std::io::stdout()
        .write_all(text.as_bytes())
        .expect("write stdout");
}
