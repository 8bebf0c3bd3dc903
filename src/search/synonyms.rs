//! Synonym groups: a default set for operations vocabulary, extended by `site.toml`'s
//! `[search] synonyms`. A query word in a group searches for every member of the group.

use tantivy::tokenizer::TextAnalyzer;

/// Words responders and authors use for the same thing. Kept small: a broad group (error /
/// failure) makes every query match everything.
pub const DEFAULTS: &[&[&str]] = &[
    &["replica", "slave", "secondary", "follower"],
    &["primary", "master", "leader"],
    &["dropped", "lost", "discarded"],
    &["outage", "downtime"],
    &["certificate", "cert"],
    &["kubernetes", "k8s"],
    &["database", "db"],
    &["oom", "oomkilled", "out of memory"],
    &["rollback", "revert", "roll back"],
    &["restart", "reboot"],
    &["latency", "slowness"],
    &["deploy", "deployment", "release", "rollout"],
    &["dns", "name resolution"],
    &["disk full", "no space left"],
    &["feature flag", "feature toggle"],
    &["login", "signin", "sign in", "log in"],
    &["timeout", "timed out"],
    &["load balancer", "alb", "elb"],
    // HTTP status codes and their reason phrases.
    &["502", "bad gateway"],
    &["503", "service unavailable"],
    &["504", "gateway timeout"],
];

/// One member of a group, analysed: one stem is a term, several are a phrase.
pub type Member = Vec<String>;

#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// Groups of analysed members; groups sharing a member are merged.
    groups: Vec<Vec<Member>>,
}

impl Synonyms {
    /// The default groups plus the configured ones, analysed with the index's tokenizer.
    pub fn new(configured: &[Vec<String>], analyzer: &mut TextAnalyzer) -> Synonyms {
        let mut groups: Vec<Vec<Member>> = Vec::new();
        let all = DEFAULTS
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .chain(configured.iter().cloned());
        for group in all {
            let members: Vec<Member> = group
                .iter()
                .map(|w| super::analyze(analyzer, w))
                .filter(|m| !m.is_empty())
                .collect();
            if members.len() < 2 {
                continue;
            }
            // Merge with every existing group that shares a member.
            let mut merged = members;
            let mut k = 0;
            while k < groups.len() {
                if groups[k].iter().any(|m| merged.contains(m)) {
                    merged.extend(groups.swap_remove(k));
                } else {
                    k += 1;
                }
            }
            merged.sort();
            merged.dedup();
            groups.push(merged);
        }
        groups.sort();
        Synonyms { groups }
    }

    /// The group holding the member `stems` (one stem or a phrase), if any.
    pub fn group_of(&self, stems: &[String]) -> Option<&[Member]> {
        self.groups
            .iter()
            .find(|g| g.iter().any(|m| m == stems))
            .map(Vec::as_slice)
    }

    /// The longest multi-word member starting at `words[0]`, as the number of words it spans.
    pub fn phrase_at(&self, words: &[String]) -> Option<usize> {
        self.groups
            .iter()
            .flatten()
            .filter(|m| m.len() > 1 && words.len() >= m.len() && words[..m.len()] == m[..])
            .map(Vec::len)
            .max()
    }

    pub fn groups(&self) -> &[Vec<Member>] {
        &self.groups
    }
}
