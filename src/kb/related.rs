//! Related incidents: explicit links, recurrences, shared tags, services and symptoms, each
//! with the reason shown to the reader.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::Kb;

/// How many related incidents a page shows.
pub const MAX_RELATED: usize = 6;
/// Feature lists longer than this are sampled by date nearness when looking for candidates,
/// so a tag on half the knowledge base does not make the computation quadratic.
const CANDIDATES_PER_FEATURE: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    pub index: usize,
    pub score: f32,
    pub reasons: Vec<String>,
}

#[derive(Default)]
struct Acc {
    score: f32,
    explicit: Vec<String>,
    tags: Vec<String>,
    services: Vec<String>,
    symptoms: Vec<String>,
}

pub fn compute(kb: &Kb) -> Vec<Vec<Related>> {
    let n = kb.entries.len().max(1) as f32;
    let rarity = |df: usize| 1.0 + (n / df.max(1) as f32).ln();
    let mut symptoms: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in kb.entries.iter().enumerate() {
        for s in &e.incident.symptoms {
            let list = symptoms.entry(s.trim().to_lowercase()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }

    // Explicit links seen from their target: (source, reason) per target.
    let mut reverse: HashMap<usize, Vec<(usize, &str)>> = HashMap::new();
    for (j, e) in kb.entries.iter().enumerate() {
        for r in &e.incident.related {
            if let Some(&t) = kb.by_id.get(&r.id) {
                reverse
                    .entry(t)
                    .or_default()
                    .push((j, "lists this incident as related"));
            }
        }
        if let Some(r) = &e.incident.recurrence_of
            && let Some(&t) = kb.by_id.get(&r.id)
        {
            reverse
                .entry(t)
                .or_default()
                .push((j, "a recurrence of this incident"));
        }
    }

    (0..kb.entries.len())
        .into_par_iter()
        .map(|i| {
            let e = &kb.entries[i];
            let mut acc: HashMap<usize, Acc> = HashMap::new();
            let inc = &e.incident;
            for r in &inc.related {
                if let Some(&j) = kb.by_id.get(&r.id) {
                    acc.entry(j)
                        .or_default()
                        .explicit
                        .push("linked as related".into());
                }
            }
            if let Some(r) = &inc.recurrence_of
                && let Some(&j) = kb.by_id.get(&r.id)
            {
                acc.entry(j)
                    .or_default()
                    .explicit
                    .push("this incident is a recurrence of it".into());
            }
            for (j, why) in reverse.get(&i).into_iter().flatten() {
                acc.entry(*j).or_default().explicit.push((*why).into());
            }
            for t in &e.tags {
                let list = &kb.tags[&t.name].incidents;
                let w = rarity(list.len());
                for j in nearby(list, i) {
                    let a = acc.entry(j).or_default();
                    a.score += 2.0 * w;
                    a.tags.push(t.name.clone());
                }
            }
            for s in &e.services {
                let list = &kb.services[s].incidents;
                let w = rarity(list.len());
                for j in nearby(list, i) {
                    let a = acc.entry(j).or_default();
                    a.score += 1.5 * w;
                    a.services.push(kb.services[s].name.clone());
                }
            }
            for s in &inc.symptoms {
                let key = s.trim().to_lowercase();
                if let Some(list) = symptoms.get(&key) {
                    let w = rarity(list.len());
                    for j in nearby(list, i) {
                        let a = acc.entry(j).or_default();
                        a.score += 3.0 * w;
                        a.symptoms.push(s.trim().to_string());
                    }
                }
            }
            acc.remove(&i);
            let mut out: Vec<Related> = acc
                .into_iter()
                .map(|(j, a)| {
                    let mut reasons = a.explicit.clone();
                    let mut score = a.score;
                    if !a.explicit.is_empty() {
                        score += 1000.0;
                    }
                    if !a.tags.is_empty() {
                        reasons.push(format!(
                            "shares {} {}",
                            plural(a.tags.len(), "tag", "tags"),
                            a.tags.join(", ")
                        ));
                    }
                    if !a.services.is_empty() {
                        reasons.push(format!(
                            "shares {} {}",
                            plural(a.services.len(), "service", "services"),
                            a.services.join(", ")
                        ));
                    }
                    if !a.symptoms.is_empty() {
                        reasons.push(format!("same symptom: {}", a.symptoms.join("; ")));
                    }
                    Related {
                        index: j,
                        score,
                        reasons,
                    }
                })
                // One shared common tag alone is not a relation worth showing.
                .filter(|r| r.score >= 1000.0 || r.reasons.len() > 1 || r.score >= 6.0)
                .collect();
            out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
            out.truncate(MAX_RELATED);
            out
        })
        .collect()
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The members of a feature list (sorted by index, i.e. by date), or the ones nearest to `i`
/// when the list is long.
fn nearby(list: &[usize], i: usize) -> impl Iterator<Item = usize> + '_ {
    let (lo, hi) = if list.len() <= CANDIDATES_PER_FEATURE {
        (0, list.len())
    } else {
        let pos = list.partition_point(|x| *x < i);
        let lo = pos.saturating_sub(CANDIDATES_PER_FEATURE / 2);
        let hi = (lo + CANDIDATES_PER_FEATURE).min(list.len());
        (hi.saturating_sub(CANDIDATES_PER_FEATURE), hi)
    };
    list[lo..hi].iter().copied().filter(move |j| *j != i)
}
