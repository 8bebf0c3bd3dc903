//! Prints what a knowledge base's search index holds, for sizing the static export (issue 4):
//! terms and postings per text field, how doc frequencies are spread, and file sizes.
//!
//!     cargo run --release --example index_stats -- <root>

use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let dir = kb::search::store::dir(std::path::Path::new(&root));
    let (index, _) =
        kb::search::store::open(&dir).map_err(|_| "no readable index; run kb build")?;
    let searcher = index.searcher();
    let n = searcher.num_docs();
    println!(
        "{} documents, {} segment(s)",
        n,
        searcher.segment_readers().len()
    );
    let schema = index.index.schema();
    println!(
        "{:<10} {:>9} {:>11} {:>9} {:>9} {:>9} {:>9}",
        "field", "terms", "postings", "df=1", "df<=10", "df<=1%", "df>1%"
    );
    let mut all_terms: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for field in index.fields.text {
        let (mut terms, mut postings, mut b) = (0u64, 0u64, [0u64; 4]);
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(field)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                let df = u64::from(stream.value().doc_freq);
                terms += 1;
                postings += df;
                *all_terms.entry(stream.key().to_vec()).or_default() += df;
                let k = if df == 1 {
                    0
                } else if df <= 10 {
                    1
                } else if df * 100 <= n {
                    2
                } else {
                    3
                };
                b[k] += 1;
            }
        }
        println!(
            "{:<10} {:>9} {:>11} {:>9} {:>9} {:>9} {:>9}",
            schema.get_field_name(field),
            terms,
            postings,
            b[0],
            b[1],
            b[2],
            b[3]
        );
    }
    let key_bytes: usize = all_terms.keys().map(Vec::len).sum();
    println!(
        "distinct terms over all text fields: {} ({} bytes of term text)",
        all_terms.len(),
        key_bytes
    );
    let mut by_ext: BTreeMap<String, u64> = BTreeMap::new();
    for e in std::fs::read_dir(&dir)? {
        let p = e?.path();
        let ext = p
            .extension()
            .map_or("(none)".into(), |x| x.to_string_lossy().into_owned());
        *by_ext.entry(ext).or_default() += std::fs::metadata(&p)?.len();
    }
    for (ext, bytes) in by_ext {
        println!("  .{ext:<10} {:>10.1} KB", bytes as f64 / 1024.0);
    }
    Ok(())
}
