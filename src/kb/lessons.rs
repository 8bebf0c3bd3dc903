//! Lessons across incidents, with the ones that keep coming back grouped: two lessons are the
//! same when their content words overlap by at least [`SAME`] (Jaccard), which catches reworded
//! copies ("Alert on the cause, not only the symptoms" / "Alert on the cause, not just on
//! symptoms") and leaves lessons that merely share a topic apart.

use std::collections::BTreeMap;

use super::Kb;
use crate::FastMap;

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
    let mut node_of: FastMap<Vec<String>, usize> = FastMap::default();
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

    let mut by_root: FastMap<usize, usize> = FastMap::default();
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

/// The lesson groups, and each seen from every tag and service: what /lessons/ and the tag
/// and service pages show, computed once.
pub struct Lessons {
    pub groups: Vec<Group>,
    /// Per tag name: the groups with incidents carrying it, in the order of `groups`.
    pub by_tag: FastMap<String, Vec<Scoped>>,
    /// Per service slug, the same.
    pub by_service: FastMap<String, Vec<Scoped>>,
    /// The same for incidents without tags.
    pub untagged: Vec<Scoped>,
}

/// A lesson group within a scope: the group (an index into [`Lessons::groups`]) and its
/// incidents in the scope, newest first.
pub struct Scoped {
    pub group: usize,
    pub incidents: Vec<usize>,
}

impl Lessons {
    /// One pass over every group's incidents and their tags and services: the cost of the
    /// groups' sizes, however many tags there are.
    pub fn new(kb: &Kb) -> Lessons {
        let groups = groups(kb);
        let mut by_tag: FastMap<String, Vec<Scoped>> = FastMap::default();
        let mut by_service: FastMap<String, Vec<Scoped>> = FastMap::default();
        let mut untagged: Vec<Scoped> = Vec::new();
        let mut steps: u64 = 0;
        fn add(list: &mut Vec<Scoped>, group: usize, i: usize) {
            match list.last_mut() {
                Some(s) if s.group == group => {
                    if s.incidents.last() != Some(&i) {
                        s.incidents.push(i);
                    }
                }
                _ => list.push(Scoped {
                    group,
                    incidents: vec![i],
                }),
            }
        }
        fn scope<'a>(map: &'a mut FastMap<String, Vec<Scoped>>, key: &str) -> &'a mut Vec<Scoped> {
            if !map.contains_key(key) {
                map.insert(key.to_string(), Vec::new());
            }
            map.get_mut(key).expect("inserted")
        }
        for (g, group) in groups.iter().enumerate() {
            for &i in &group.incidents {
                let e = &kb.entries[i];
                steps += 1 + (e.tags.len() + e.services.len()) as u64;
                for t in &e.tags {
                    add(scope(&mut by_tag, &t.name), g, i);
                }
                for s in &e.services {
                    add(scope(&mut by_service, s), g, i);
                }
                if e.tags.is_empty() {
                    add(&mut untagged, g, i);
                }
            }
        }
        kb.work.add(steps);
        Lessons {
            groups,
            by_tag,
            by_service,
            untagged,
        }
    }
}

/// Whether two word sets count as one lesson: Jaccard similarity at least [`SAME`].
pub fn similar(a: &[String], b: &[String]) -> bool {
    jaccard(a, b) >= SAME
}

/// Steps (groups looked at, lessons compared) one lesson takes at most to find its group.
/// Exact candidate filtering is quadratic when lessons share a small vocabulary: every pair of
/// rare words is common, and a lesson must rule out every other drawing of its theme that is
/// not similar enough. Keys are looked up rarest pair first and, under each, groups oldest
/// first (a group keeps the key of its largest part), so the cap leaves apart only a lesson
/// whose similar lessons are all behind 48 other candidates; the example and DFDS knowledge
/// bases never come near it.
const CANDIDATES: u32 = 48;

/// Words of a lesson whose pairs are keys at most: a lesson of more than ~55 content words
/// (a paragraph, not a lesson) has its first pairs indexed only, not its square.
const PAIRED: usize = 24;

/// Union-find representatives of the word sets, joined when their Jaccard similarity reaches
/// [`SAME`] (connected components; below the cap on candidates, the order sets are compared in
/// does not change them).
///
/// Candidates come from prefix filtering on pairs of words: with words ordered rarest first,
/// two sets that similar share at least ⌈SAME·|x|⌉ ≥ 2 words, so the first two they share are
/// among the first |x| − ⌈SAME·|x|⌉ + 2 words of each, and they share a pair of those. The
/// index from a pair to the sets holding it is kept per group, so a lesson skips a whole group
/// it already belongs to in one step, and joining groups moves the smaller's entries.
pub fn components(sets: &[Vec<String>], work: &super::work::Work) -> Vec<usize> {
    let ranked = ranked(sets);
    let n = ranked.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    // Per key: group representative → its sets with the key in their prefix.
    let mut index: FastMap<u64, BTreeMap<u32, Vec<u32>>> = FastMap::default();
    // Per representative: the keys under which it has sets in `index`.
    let mut keys_of: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut compared: Vec<u32> = vec![u32::MAX; n];
    let mut steps: u64 = 0;
    let mut keys: Vec<u64> = Vec::new();
    let empty = BTreeMap::new();
    for x in 0..n {
        let xs = &ranked[x];
        let p = prefix_len(xs.len());
        keys.clear();
        let e = &xs[..(p + 1).min(xs.len()).min(PAIRED)];
        for i in 0..e.len() {
            for j in i + 1..e.len() {
                keys.push(u64::from(e[i]) << 32 | u64::from(e[j]));
            }
        }
        let mut joined: Vec<u32> = Vec::new();
        let mut budget = CANDIDATES;
        'keys: for k in &keys {
            for (&root, members) in index.get(k).unwrap_or(&empty) {
                steps += 1;
                if joined.contains(&root) {
                    continue;
                }
                if budget == 0 {
                    break 'keys;
                }
                budget -= 1;
                for &y in members {
                    if budget == 0 {
                        break 'keys;
                    }
                    if std::mem::replace(&mut compared[y as usize], x as u32) == x as u32 {
                        continue;
                    }
                    budget -= 1;
                    let (hit, cost) = overlap_reaches(xs, &ranked[y as usize]);
                    steps += cost;
                    if hit {
                        joined.push(root);
                        break;
                    }
                }
            }
        }
        // Into the group with the most index entries, the others moved over.
        let target = joined
            .iter()
            .copied()
            .max_by_key(|r| (keys_of[*r as usize].len(), std::cmp::Reverse(*r)))
            .unwrap_or(x as u32);
        for &r in joined.iter().filter(|r| **r != target) {
            parent[r as usize] = target;
            for k in std::mem::take(&mut keys_of[r as usize]) {
                let groups = index.get_mut(&k).expect("indexed");
                let mut moved = groups.remove(&r).unwrap_or_default();
                steps += 1;
                match groups.get_mut(&target) {
                    Some(kept) => {
                        if kept.len() < moved.len() {
                            std::mem::swap(kept, &mut moved);
                        }
                        steps += moved.len() as u64;
                        kept.extend(moved);
                    }
                    None => {
                        groups.insert(target, moved);
                        keys_of[target as usize].push(k);
                    }
                }
            }
        }
        parent[x] = target;
        for &k in &keys {
            let list = index.entry(k).or_default().entry(target).or_default();
            if list.is_empty() {
                keys_of[target as usize].push(k);
            }
            list.push(x as u32);
        }
        steps += keys.len() as u64 + 1;
    }
    work.add(steps);
    (0..n)
        .map(|x| find(&mut parent, x as u32) as usize)
        .collect()
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// Each set's words as ranks, rarest first (fewest sets, then alphabetical): a set's prefix is
/// then its first words, and two sets compare as sorted integer lists.
fn ranked(sets: &[Vec<String>]) -> Vec<Vec<u32>> {
    let mut df: FastMap<&str, u32> = FastMap::default();
    for s in sets {
        for w in s {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut order: Vec<(u32, &str)> = df.iter().map(|(w, n)| (*n, *w)).collect();
    order.sort_unstable();
    let rank: FastMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(r, (_, w))| (*w, r as u32))
        .collect();
    sets.iter()
        .map(|s| {
            let mut r: Vec<u32> = s.iter().map(|w| rank[w.as_str()]).collect();
            r.sort_unstable();
            r
        })
        .collect()
}

/// How many of a set's first (rarest) words a similar set must share one of: |x| − ⌈0.6·|x|⌉
/// + 1, as [`SAME`] = 3/5 in integers (the first two shared are among one more).
fn prefix_len(len: usize) -> usize {
    (len + 1).saturating_sub((3 * len).div_ceil(5)).min(len)
}

/// Whether two sorted rank lists overlap by [`SAME`] (both/union ≥ 3/5, i.e. 8·both ≥
/// 3·(|a| + |b|)), and the steps taken: sizes too far apart cost one, a merge stops once the
/// rest cannot reach it.
fn overlap_reaches(a: &[u32], b: &[u32]) -> (bool, u64) {
    let need = (3 * (a.len() + b.len())).div_ceil(8);
    if 5 * a.len().min(b.len()) < 3 * a.len().max(b.len()) {
        return (false, 1);
    }
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if both + (a.len() - i).min(b.len() - j) < need {
            return (false, (i + j) as u64 + 1);
        }
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
    (both >= need, (i + j) as u64 + 1)
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
