//! kb: an incident knowledge base built as a static site.
//!
//! The flow is one way: content → model → knowledge base → pages → output.

pub mod build;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod kb;
pub mod output;
pub mod render;
