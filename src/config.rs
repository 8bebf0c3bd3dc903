//! `site.toml`: the knowledge base's settings. Every key is optional.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostics::Diagnostic;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Config {
    pub title: String,
    /// Where the site is published; its path part (e.g. `/kb/`) prefixes every link.
    pub base_url: String,
    pub description: String,
    pub language: String,
    pub severity: SeverityConfig,
    pub tags: BTreeMap<String, TagConfig>,
    pub services: BTreeMap<String, ServiceConfig>,
    pub search: SearchConfig,
    pub markdown: MarkdownConfig,
    pub new: NewConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Incident knowledge base".into(),
            base_url: "/".into(),
            description: String::new(),
            language: "en".into(),
            severity: SeverityConfig::default(),
            tags: BTreeMap::new(),
            services: BTreeMap::new(),
            search: SearchConfig::default(),
            markdown: MarkdownConfig::default(),
            new: NewConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SeverityConfig {
    /// Most severe first.
    pub levels: Vec<String>,
}

impl Default for SeverityConfig {
    fn default() -> Self {
        SeverityConfig {
            levels: ["SEV1", "SEV2", "SEV3", "SEV4"].map(String::from).to_vec(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TagConfig {
    pub description: String,
    pub aliases: Vec<String>,
    /// Phrases that give an incident this tag when found in its title, symptoms or factors.
    #[serde(rename = "match")]
    pub match_phrases: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    pub description: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    pub synonyms: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MarkdownConfig {
    /// Pass authors' raw HTML through unsanitized.
    pub unsafe_html: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewConfig {
    /// The template `kb new` fills in, relative to site.toml.
    pub template: Option<String>,
}

impl Config {
    /// Reads `<root>/site.toml`; a missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join("site.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(Diagnostic::error(
                    "site.toml",
                    format!("cannot read site.toml: {e}"),
                ));
            }
        };
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let d = Diagnostic::error("site.toml", e.message().to_string());
            match e.span() {
                Some(span) => d.at_offset(text, span.start, span.end - span.start),
                None => d,
            }
            .with_hint("see the site.toml section of the docs for every key")
        })?;
        if config.severity.levels.is_empty() {
            config.severity = SeverityConfig::default();
        }
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_toml_is_located() {
        let err = Config::parse("title = \"x\"\n[severity]\nlevels = 3\n").unwrap_err();
        assert_eq!(err.line, 3);
    }
}
