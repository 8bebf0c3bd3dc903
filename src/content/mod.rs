//! From files to incidents: loading, frontmatter, Markdown, inference, the model.

pub mod allowlist;
pub mod assets;
pub mod autolink;
pub mod codec;
pub mod fields;
pub mod files;
pub mod find;
pub mod highlight;
pub mod history;
pub mod incident;
pub mod infer;
pub mod limits;
pub mod load;
pub mod markdown;
pub mod node;
pub mod parse;
pub mod plaintext;
pub mod sections;
pub mod template;
mod yaml_events;

pub use incident::Incident;
