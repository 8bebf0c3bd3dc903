//! Lessons across incidents, with the ones that keep coming back grouped: two lessons are the
//! same when their content words overlap by at least [`SAME`] (Jaccard), which catches reworded
//! copies ("Alert on the cause, not only the symptoms" / "Alert on the cause, not just on
//! symptoms") and leaves lessons that merely share a topic apart.

use std::collections::{HashMap, HashSet};

use super::Kb;

/// Jaccard similarity of content words from which two lessons count as one.
pub const SAME: f64 = 0.6;

/// Words that carry no meaning of their own in a lesson.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "if",
    "in", "is", "it", "its", "not", "of", "on", "only", "or", "so", "than", "that", "the", "their",
    "then", "there", "this", "to", "was", "we", "were", "what", "when", "which", "with", "our",
    "us", "you", "your", "just", "also", "all", "any", "can", "do", "does", "no",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    General,
    WentWell,
    WentWrong,
    GotLucky,
}

/// One lesson as some incidents wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The newest incident's wording.
    pub text: String,
    pub kind: Kind,
    /// Distinct incidents (indexes), newest first.
    pub incidents: Vec<usize>,
}

impl Group {
    pub fn recurs(&self) -> bool {
        self.incidents.len() > 1
    }
}

pub fn words(text: &str) -> Vec<String> {
    let mut w: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
        // Plurals and third persons as one word ("backups"/"backup", "proves"/"prove").
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect();
    w.sort();
    w.dedup();
    w
}

/// Whether two word sets count as one lesson: Jaccard similarity at least [`SAME`].
pub fn similar(a: &[String], b: &[String]) -> bool {
    jaccard(a, b) >= SAME
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        1.0
    } else {
        both as f64 / union as f64
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Every lesson of every incident, grouped, most incidents first (then newest first).
pub fn groups(kb: &Kb) -> Vec<Group> {
    // Occurrences in knowledge base order (newest first).
    let mut occurrences: Vec<(usize, Kind, &str)> = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        let l = &e.incident.lessons;
        for (kind, list) in [
            (Kind::General, &l.general),
            (Kind::WentWell, &l.went_well),
            (Kind::WentWrong, &l.went_wrong),
            (Kind::GotLucky, &l.got_lucky),
        ] {
            occurrences.extend(list.iter().map(|t| (i, kind, t.as_str())));
        }
    }
    // Identical word sets first: one node each.
    let mut node_of: HashMap<Vec<String>, usize> = HashMap::new();
    let mut sets: Vec<Vec<String>> = Vec::new();
    let occ_node: Vec<usize> = occurrences
        .iter()
        .map(|(_, _, text)| {
            let w = words(text);
            *node_of.entry(w.clone()).or_insert_with(|| {
                sets.push(w);
                sets.len() - 1
            })
        })
        .collect();
    let parent = components(&sets, &kb.work);

    let mut by_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Group> = Vec::new();
    for ((i, kind, text), node) in occurrences.iter().zip(occ_node) {
        let root = parent[node];
        let g = *by_root.entry(root).or_insert_with(|| {
            out.push(Group {
                text: text.to_string(),
                kind: *kind,
                incidents: Vec::new(),
            });
            out.len() - 1
        });
        if out[g].incidents.last() != Some(i) {
            out[g].incidents.push(*i);
        }
    }
    // Stable: equal counts keep the order of their newest incident.
    out.sort_by_key(|g| std::cmp::Reverse(g.incidents.len()));
    out
}

/// Union-find roots of the word sets, joined when their Jaccard similarity reaches [`SAME`].
/// Candidates come from prefix filtering: with words ordered rarest first, two sets that
/// similar must share one of the first |x| − ⌈SAME·|x|⌉ + 1 words of each.
pub fn components(sets: &[Vec<String>], work: &super::work::Work) -> Vec<usize> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for s in sets {
        for w in s {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut parent: Vec<usize> = (0..sets.len()).collect();
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for (x, s) in sets.iter().enumerate() {
        let mut order: Vec<&str> = s.iter().map(String::as_str).collect();
        order.sort_by_key(|w| (df[w], *w));
        let prefix = s.len() - (SAME * s.len() as f64).ceil() as usize + 1;
        let mut seen = HashSet::new();
        let mut steps = 0;
        for w in order.iter().take(prefix.min(s.len())) {
            if let Some(list) = index.get(w) {
                for &y in list {
                    steps += 1;
                    if seen.insert(y) && {
                        steps += (s.len() + sets[y].len()) as u64;
                        jaccard(s, &sets[y]) >= SAME
                    } {
                        let (a, b) = (find(&mut parent, x), find(&mut parent, y));
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        work.add(steps);
        for w in order.iter().take(prefix.min(s.len())) {
            index.entry(w).or_default().push(x);
        }
    }
    (0..sets.len()).map(|x| find(&mut parent, x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(texts: &[&str]) -> Vec<usize> {
        let sets: Vec<Vec<String>> = texts.iter().map(|t| words(t)).collect();
        components(&sets, &Default::default())
    }

    #[test]
    fn reworded_lessons_are_one_and_related_ones_stay_apart() {
        let r = roots(&[
            "Alert on the cause, not only on the symptoms downstream of it.",
            "Alert on the cause, not just the symptoms.",
            "Alert on replica lag before it reaches the application.",
            "Restores prove backups; a successful backup job proves nothing.",
            "Only a restore proves a backup: a successful backup job proves nothing.",
        ]);
        assert_eq!(r[0], r[1]);
        assert_ne!(r[0], r[2]);
        assert_eq!(r[3], r[4]);
        assert_ne!(r[2], r[3]);
    }

    #[test]
    fn jaccard_counts_shared_words() {
        let a = words("disk full on the primary");
        let b = words("the primary disk was full again");
        // {disk, full, primary} vs {again, disk, full, primary}
        assert!((jaccard(&a, &b) - 0.75).abs() < 1e-9);
    }
}
