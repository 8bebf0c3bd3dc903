//! Tags and services: normalisation, `site.toml` aliases, `match` inference.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use crate::config::Config;
use crate::content::Incident;

/// Maps any spelling of a tag (canonical or alias) to its canonical name.
pub struct Taxonomy {
    aliases: HashMap<String, String>,
    /// (lowercased phrase, canonical tag)
    matchers: Vec<(String, String)>,
    /// Every distinct phrase of `matchers` in one automaton, with the matchers using each: one
    /// pass over an incident's text, however many phrases there are. Made when first needed:
    /// `kb search` never is, and thousands of phrases take the automaton a second to build.
    phrases: OnceLock<Option<(AhoCorasick, Vec<Vec<usize>>)>>,
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
        Taxonomy {
            aliases,
            matchers,
            phrases: OnceLock::new(),
        }
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
        // Looked up, not searched for: an incident whose text holds thousands of configured
        // phrases has thousands of tags here (the limit applies later).
        let mut seen: HashSet<String> = HashSet::new();
        let mut push = |name: String, inferred: bool| {
            if !name.is_empty() && seen.insert(name.clone()) {
                out.push(TagRef { name, inferred });
            }
        };
        for t in &inc.tags {
            push(self.canonical(t), false);
        }
        for t in &inc.inferred_tags {
            push(self.canonical(t), true);
        }
        if let Some((automaton, of_phrase)) = self.phrases.get_or_init(|| phrases(&self.matchers)) {
            let mut haystack = inc.title.to_lowercase();
            for s in &inc.symptoms {
                haystack.push('\n');
                haystack.push_str(&s.to_lowercase());
            }
            for f in &inc.contributing_factors {
                haystack.push('\n');
                haystack.push_str(&f.description.to_lowercase());
            }
            // The matchers found, in their order: what the text holds, not every matcher per
            // incident.
            let mut found: Vec<usize> = Vec::new();
            for m in automaton.find_overlapping_iter(&haystack) {
                if starts_word(&haystack, m.start()) {
                    found.extend(&of_phrase[m.pattern().as_usize()]);
                }
            }
            found.sort_unstable();
            found.dedup();
            for k in found {
                push(self.matchers[k].1.clone(), true);
            }
        }
        out
    }
}

/// The automaton of the distinct phrases, and for each the matchers (by index) using it;
/// None without phrases.
fn phrases(matchers: &[(String, String)]) -> Option<(AhoCorasick, Vec<Vec<usize>>)> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let mut of_phrase: Vec<Vec<usize>> = Vec::new();
    for (k, (phrase, _)) in matchers.iter().enumerate() {
        let n = *at.entry(phrase).or_insert_with(|| {
            distinct.push(phrase);
            of_phrase.push(Vec::new());
            distinct.len() - 1
        });
        of_phrase[n].push(k);
    }
    if distinct.is_empty() {
        return None;
    }
    // Phrases come from site.toml and are short; building fails only past limits no
    // configuration reaches, and then no tag is inferred rather than the build failing.
    AhoCorasick::new(&distinct).ok().map(|a| (a, of_phrase))
}

/// Whole-word containment starts a word: "replica" matches "replica lag" and "replicas", not
/// "nonreplica".
fn starts_word(haystack: &str, i: usize) -> bool {
    !haystack[..i]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    let (automaton, _) = phrases(&[(phrase.to_string(), String::new())]).unwrap();
    automaton
        .find_overlapping_iter(haystack)
        .any(|m| starts_word(haystack, m.start()))
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
        assert!(contains_phrase("nonreplica replica", "replica"));
        // An occurrence overlapping an earlier one still counts when it starts a word.
        assert!(contains_phrase("xb-b-b", "b-b"));
        assert!(contains_phrase("é replica", "replica"));
        assert!(!contains_phrase("éreplica", "replica"));
    }

    #[test]
    fn phrases_shared_by_tags_and_found_anywhere_infer_each_tag_in_order() {
        let config = Config::parse(
            "[tags.b]\nmatch = [\"disk full\", \"full\"]\n[tags.a]\nmatch = [\"disk\"]\n[tags.c]\nmatch = [\"disk full\"]\n[tags.d]\nmatch = [\"never\"]\n",
        )
        .unwrap();
        let tx = Taxonomy::new(&config);
        let inc = Incident {
            title: "Writes failed".into(),
            symptoms: vec!["DISK FULL on db-1".into()],
            ..Incident::default()
        };
        // In the order of the tags' names (site.toml's tags are sorted), each once.
        let names: Vec<String> = tx.tags_of(&inc).into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
