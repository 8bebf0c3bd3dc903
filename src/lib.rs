//! kb: an incident knowledge base built as a static site.
//!
//! The flow is one way: content → model → knowledge base → pages → output.

// Diagnostics are the error values; they are built on the error path only, so their size
// does not matter for speed and boxing them would only add noise.
#![allow(clippy::result_large_err)]

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
