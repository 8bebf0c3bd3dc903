//! One postmortem file, as text: frontmatter, fields, inference, the knowledge base's checks,
//! the body rendered with raw HTML sanitized. Errors must be located and the HTML script-free.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

/// `KB_FUZZ_SKIP_HTML=1` leaves out the script check, so that a sanitizer defect already
/// reported does not stop every run before it reaches anything else (docs/dev/fuzzing.md).
static CHECK_HTML: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("KB_FUZZ_SKIP_HTML").is_none());

fuzz_target!(|data: &[u8]| {
    // kb refuses files that are not UTF-8 before parsing them.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = kb_fuzz::postmortem(text);
    if *CHECK_HTML && let Some(found) = kb_fuzz::script_in_html(&html) {
        panic!("{found}\n--- rendered ---\n{html}");
    }
});
