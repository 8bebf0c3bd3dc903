//! Stems words as the index does (one word per line on stdin, `word<TAB>stem` on stdout), for
//! checking the browser engine's stemmer against frostem.
//!
//!     cargo run --release --example stem < words.txt

use std::io::{BufRead, Write};

fn main() {
    let mut analyzer = kb::search::analyzer::en_stem();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let word = line.expect("read stdin");
        let word = word.trim();
        if word.is_empty() {
            continue;
        }
        let stems = kb::search::analyze(&mut analyzer, word);
        writeln!(out, "{word}\t{}", stems.join(" ")).expect("write stdout");
    }
}
