//! Synonym groups: the incident vocabulary kb ships with (`vocabulary.toml`, compiled in
//! analysed as `vocabulary.analysed`),
//! less the groups `site.toml`'s `[search] drop_synonyms` names, plus its `[search] synonyms`.
//! A query word in a group searches for every member of the group.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;

/// One member of a group, analysed: one stem is a term, several are a phrase.
pub type Member = Vec<String>;

/// The default groups analysed with the index's analyzer, one per line: members apart by tabs,
/// a phrase's stems by spaces. A test checks it against `vocabulary.toml` and, when they
/// differ, fails and writes the new one into `target/`: parsing the TOML and stemming its
/// words on every `kb search` was a tenth of one.
const ANALYSED: &str = include_str!("vocabulary.analysed");

/// [`ANALYSED`], read.
fn analysed_defaults() -> &'static [Vec<Member>] {
    static READ: OnceLock<Vec<Vec<Member>>> = OnceLock::new();
    READ.get_or_init(|| read_analysed(ANALYSED))
}

fn read_analysed(text: &str) -> Vec<Vec<Member>> {
    text.lines()
        .map(|group| {
            group
                .split('\t')
                .map(|m| {
                    m.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// What [`read_analysed`] reads.
#[cfg(test)]
fn write_analysed(groups: &[Vec<Member>]) -> String {
    groups
        .iter()
        .map(|g| {
            let members: Vec<String> = g.iter().map(|m| m.join(" ")).collect();
            members.join("\t") + "\n"
        })
        .collect()
}

#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// Groups of analysed members; groups sharing a member are merged.
    groups: Vec<Vec<Member>>,
}

impl Synonyms {
    /// The default groups but those holding a word of `dropped`, plus the configured ones,
    /// analysed with the index's tokenizer (a member of several words is a phrase).
    pub fn new(
        configured: &[Vec<String>],
        dropped: &[String],
        analyzer: &mut TextAnalyzer,
    ) -> Synonyms {
        let dropped: HashSet<Member> = dropped.iter().map(|w| member(analyzer, w)).collect();
        let defaults: Vec<Vec<Member>> = analysed_defaults()
            .iter()
            .filter(|g| !g.iter().any(|m| dropped.contains(m)))
            .cloned()
            .collect();
        let configured: Vec<Vec<Member>> = configured
            .iter()
            .map(|g| g.iter().map(|w| member(analyzer, w)).collect())
            .collect();
        let given: Vec<Vec<Member>> = defaults
            .into_iter()
            .chain(configured)
            .map(|g| g.into_iter().filter(|m| !m.is_empty()).collect::<Vec<_>>())
            .filter(|g| g.len() >= 2)
            .collect();
        Synonyms {
            groups: merged(&given),
        }
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

/// A group's word analysed: one stem is a term, several are a phrase.
fn member(analyzer: &mut TextAnalyzer, w: &str) -> Member {
    match analyzer::words(analyzer, w).as_slice() {
        [word] => vec![word.whole.clone()],
        words => words.iter().flat_map(analyzer::Word::phrase).collect(),
    }
}

/// `given` with the groups sharing a member made one, each sorted, in order. Joined through
/// each member's first group, so that thousands of configured groups cost their number, not
/// its square (20,000 took 2.5 s on every search, each compared with every one before it).
fn merged(given: &[Vec<Member>]) -> Vec<Vec<Member>> {
    fn root(joined: &mut [usize], mut g: usize) -> usize {
        while joined[g] != g {
            joined[g] = joined[joined[g]];
            g = joined[g];
        }
        g
    }
    let mut joined: Vec<usize> = (0..given.len()).collect();
    let mut first: HashMap<&Member, usize> = HashMap::new();
    for (g, members) in given.iter().enumerate() {
        for m in members {
            let other = *first.entry(m).or_insert(g);
            let (a, b) = (root(&mut joined, g), root(&mut joined, other));
            joined[a.max(b)] = a.min(b);
        }
    }
    let mut by_root: HashMap<usize, Vec<Member>> = HashMap::new();
    for (g, members) in given.iter().enumerate() {
        let r = root(&mut joined, g);
        by_root
            .entry(r)
            .or_default()
            .extend(members.iter().cloned());
    }
    let mut groups: Vec<Vec<Member>> = by_root
        .into_values()
        .map(|mut g| {
            g.sort();
            g.dedup();
            g
        })
        .collect();
    groups.sort();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vocabulary file: groups, each citing the public reference it was written from.
    const VOCABULARY: &str = include_str!("vocabulary.toml");

    #[derive(serde::Deserialize)]
    struct Vocabulary {
        group: Vec<Group>,
    }

    #[derive(serde::Deserialize)]
    struct Group {
        source: String,
        words: Vec<String>,
    }

    /// The default groups, as written in `vocabulary.toml` (kb reads them analysed: [`ANALYSED`]).
    fn defaults() -> &'static [Group] {
        static PARSED: OnceLock<Vec<Group>> = OnceLock::new();
        PARSED.get_or_init(|| {
            toml::from_str::<Vocabulary>(VOCABULARY)
                .expect("vocabulary.toml is valid (tested)")
                .group
        })
    }

    #[test]
    fn every_default_group_cites_its_source_and_has_two_words() {
        assert!(defaults().len() >= 60);
        for g in defaults() {
            assert!(!g.source.trim().is_empty(), "{:?}", g.words);
            assert!(g.words.len() >= 2, "{:?}", g.words);
            for w in &g.words {
                assert_eq!(w, &w.to_lowercase(), "written lowercase: {w}");
            }
        }
    }

    /// The analysed default groups compiled in are `vocabulary.toml`'s, through the index's
    /// analyzer.
    #[test]
    fn analysed_vocabulary_is_current() {
        let mut a = analyzer::en_split();
        let groups: Vec<Vec<Member>> = defaults()
            .iter()
            .map(|g| g.words.iter().map(|w| member(&mut a, w)).collect())
            .collect();
        let text = write_analysed(&groups);
        if ANALYSED != text {
            let fresh = concat!(env!("CARGO_MANIFEST_DIR"), "/target/vocabulary.analysed");
            std::fs::write(fresh, &text).unwrap();
            panic!("vocabulary.toml changed: copy {fresh}, just written, to src/search/");
        }
        assert_eq!(read_analysed(&text), groups);
    }

    /// Default groups stay apart: two sharing a member would be merged into a broad one.
    #[test]
    fn default_groups_share_no_member() {
        let syn = Synonyms::new(&[], &[], &mut analyzer::en_split());
        assert_eq!(syn.groups().len(), defaults().len());
    }

    /// Merging as it was done before [`merged`]: each group against every one before it.
    fn merged_pairwise(given: &[Vec<Member>]) -> Vec<Vec<Member>> {
        let mut groups: Vec<Vec<Member>> = Vec::new();
        for members in given {
            let mut merged = members.clone();
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
        groups
    }

    proptest::proptest! {
        #[test]
        fn groups_merge_as_they_did_pairwise(
            given in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec("[a-f]", 1..3), 2..4),
                0..12,
            ),
        ) {
            proptest::prop_assert_eq!(merged(&given), merged_pairwise(&given));
        }
    }

    #[test]
    fn configured_groups_extend_and_dropped_words_remove_defaults() {
        let mut a = analyzer::en_split();
        let stems = |w: &str| vec![w.to_string()];
        let syn = Synonyms::new(&[], &[], &mut a);
        assert!(syn.group_of(&stems("410")).is_some());
        let syn = Synonyms::new(
            &[vec!["gone".into(), "removed".into()]],
            &["410".into()],
            &mut a,
        );
        assert_eq!(syn.group_of(&stems("410")), None);
        assert_eq!(
            syn.group_of(&stems("gone")).unwrap(),
            [stems("gone"), stems("remov")]
        );
        // A configured group sharing a member with a default one joins it.
        let syn = Synonyms::new(&[vec!["k8s".into(), "kube".into()]], &[], &mut a);
        assert_eq!(syn.group_of(&stems("kube")).unwrap().len(), 3);
    }
}
