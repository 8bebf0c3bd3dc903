//! Tags and services: normalisation, `site.toml` aliases, `match` inference.

use std::collections::HashMap;

use crate::config::Config;
use crate::content::Incident;

/// Maps any spelling of a tag (canonical or alias) to its canonical name.
pub struct Taxonomy {
    aliases: HashMap<String, String>,
    /// (lowercased phrase, canonical tag)
    matchers: Vec<(String, String)>,
}

/// Lowercase, spaces to `-`, only URL-safe characters kept.
pub fn normalize(tag: &str) -> String {
    slug::slugify(tag.trim())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRef {
    pub name: String,
    /// Given by a `match` phrase or a body "Category:" line, not by the author's `tags`.
    pub inferred: bool,
}

impl Taxonomy {
    pub fn new(config: &Config) -> Self {
        let mut aliases = HashMap::new();
        let mut matchers = Vec::new();
        for (name, tag) in &config.tags {
            let canon = normalize(name);
            for alias in &tag.aliases {
                aliases.insert(normalize(alias), canon.clone());
            }
            for phrase in &tag.match_phrases {
                let p = phrase.trim().to_lowercase();
                if !p.is_empty() {
                    matchers.push((p, canon.clone()));
                }
            }
        }
        Taxonomy { aliases, matchers }
    }

    /// Aliases (normalised) → canonical tag.
    pub fn aliases(&self) -> &HashMap<String, String> {
        &self.aliases
    }

    pub fn canonical(&self, tag: &str) -> String {
        let n = normalize(tag);
        self.aliases.get(&n).cloned().unwrap_or(n)
    }

    /// The incident's tags: written ones first (deduplicated), then inferred ones.
    pub fn tags_of(&self, inc: &Incident) -> Vec<TagRef> {
        let mut out: Vec<TagRef> = Vec::new();
        let mut push = |name: String, inferred: bool| {
            if !name.is_empty() && !out.iter().any(|t| t.name == name) {
                out.push(TagRef { name, inferred });
            }
        };
        for t in &inc.tags {
            push(self.canonical(t), false);
        }
        for t in &inc.inferred_tags {
            push(self.canonical(t), true);
        }
        if !self.matchers.is_empty() {
            let mut haystack = inc.title.to_lowercase();
            for s in &inc.symptoms {
                haystack.push('\n');
                haystack.push_str(&s.to_lowercase());
            }
            for f in &inc.contributing_factors {
                haystack.push('\n');
                haystack.push_str(&f.description.to_lowercase());
            }
            for (phrase, tag) in &self.matchers {
                if contains_phrase(&haystack, phrase) {
                    push(tag.clone(), true);
                }
            }
        }
        out
    }
}

/// Whole-word containment: "replica" matches "replica lag" and "replicas", not "nonreplica".
fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    haystack.match_indices(phrase).any(|(i, _)| {
        i == 0
            || !haystack[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_matching() {
        let config = Config::parse(
            "[tags.replication]\naliases = [\"replicas\", \"Replication Lag\"]\nmatch = [\"replica\", \"binlog\"]\n[tags.feature-flags]\naliases = [\"feature flags\"]\n",
        )
        .unwrap();
        let tx = Taxonomy::new(&config);
        assert_eq!(tx.canonical("Replication Lag"), "replication");
        assert_eq!(tx.canonical("Feature Flags"), "feature-flags");
        assert_eq!(tx.canonical("MySQL"), "mysql");
        let inc = Incident {
            title: "Replicas stopped".into(),
            tags: vec!["MySQL".into(), "mysql".into()],
            ..Incident::default()
        };
        let tags = tx.tags_of(&inc);
        assert_eq!(
            tags,
            vec![
                TagRef {
                    name: "mysql".into(),
                    inferred: false
                },
                TagRef {
                    name: "replication".into(),
                    inferred: true
                },
            ]
        );
        assert!(!contains_phrase("nonreplica", "replica"));
    }
}
