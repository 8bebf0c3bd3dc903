//! A `site.toml`: parsed, errors located, and when it parses, its settings put to use.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    kb_fuzz::site_toml(text);
});
