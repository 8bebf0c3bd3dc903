//! One `kb search` query against the example knowledge base, indexed in memory once.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn example() -> &'static kb_fuzz::Example {
    static EXAMPLE: OnceLock<kb_fuzz::Example> = OnceLock::new();
    EXAMPLE
        .get_or_init(|| kb_fuzz::Example::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    kb_fuzz::query(example(), input);
});
