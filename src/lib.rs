//! kb: an incident knowledge base built as a static site.
//!
//! The flow is one way: content → model → knowledge base → pages → output.

// Diagnostics are the error values; they are built on the error path only, so their size
// does not matter for speed and boxing them would only add noise.
#![allow(clippy::result_large_err)]

/// The hash map of the word counts and tables made per build: foldhash, seeded at random per
/// process and per map, so a postmortem cannot be written to collide in it without the seed, and
/// quicker on short words than ahash without the AES instructions a portable build cannot assume
/// (0.4 % of a build's instructions). Nothing may depend on its order.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A line on stderr that cannot panic: `eprintln!` panics when the write fails (stderr closed
/// by `kb build 2>&1 | head -1`, or a terminal gone), which ended a command with 101 rather
/// than its own exit code, and in `kb serve` would end the thread that watches for edits.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod build;
pub mod build_cache;
pub mod check;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod error;
pub mod kb;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod staging;
