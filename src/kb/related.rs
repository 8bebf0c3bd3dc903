//! Related incidents: explicit links, recurrences, shared tags, services and symptoms, and
//! text similarity from the search index, each with the reason shown to the reader.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::Kb;

/// How many related incidents a page shows.
pub const MAX_RELATED: usize = 6;
/// Feature lists longer than this are sampled by date nearness when looking for candidates,
/// so a tag on half the knowledge base does not make the computation quadratic.
const CANDIDATES_PER_FEATURE: usize = 200;
/// Weight of a text similarity of 1.0 (an incident's own wording); a rare shared tag weighs
/// about 2 × (1 + ln(N / df)).
const TEXT_WEIGHT: f32 = 20.0;
/// Below this text similarity, "similar wording" is not given as a reason.
const TEXT_REASON: f32 = 0.2;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    pub index: usize,
    pub score: f32,
    pub reasons: Vec<String>,
}

/// Per-thread scratch space: dense arrays indexed by incident, reset through `touched`, so
/// scoring a candidate allocates nothing.
struct Scratch {
    score: Vec<f32>,
    /// Bit k set: shares feature k of the current incident (its tags, services, symptoms).
    shared: Vec<u64>,
    /// Bit k set: explicit reason k of [`EXPLICIT`].
    explicit: Vec<u8>,
    /// Text similarity in [0, 1].
    text: Vec<f32>,
    touched: Vec<usize>,
}

const EXPLICIT: [&str; 4] = [
    "linked as related",
    "this incident is a recurrence of it",
    "lists this incident as related",
    "a recurrence of this incident",
];

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch {
            score: vec![0.0; n],
            shared: vec![0; n],
            explicit: vec![0; n],
            text: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    fn touch(&mut self, j: usize) {
        if self.score[j] == 0.0 && self.shared[j] == 0 && self.explicit[j] == 0 {
            self.touched.push(j);
        }
    }
}

enum Feature<'a> {
    Tag(&'a str),
    Service(&'a str),
    Symptom(&'a str),
}

/// Another incident's text similarity to this one, in [0, 1], and words both use.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextMatch {
    pub index: usize,
    pub similarity: f32,
    pub words: Vec<String>,
}

/// `text` holds, per incident, other incidents that read alike (see `search::similar`); empty
/// lists when there is no index.
pub fn compute(kb: &Kb, text: &[Vec<TextMatch>]) -> Vec<Vec<Related>> {
    let n_entries = kb.entries.len();
    let n = n_entries.max(1) as f32;
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
    // Explicit links seen from their target: (source, reason bit) per target.
    let mut reverse: HashMap<usize, Vec<(usize, u8)>> = HashMap::new();
    for (j, e) in kb.entries.iter().enumerate() {
        for r in &e.incident.related {
            if let Some(&t) = kb.by_id.get(&r.id) {
                reverse.entry(t).or_default().push((j, 1 << 2));
            }
        }
        if let Some(r) = &e.incident.recurrence_of
            && let Some(&t) = kb.by_id.get(&r.id)
        {
            reverse.entry(t).or_default().push((j, 1 << 3));
        }
    }

    (0..n_entries)
        .into_par_iter()
        .map_init(
            || Scratch::new(n_entries),
            |sc, i| {
                let e = &kb.entries[i];
                let inc = &e.incident;
                let explicit = |sc: &mut Scratch, j: usize, bit: u8| {
                    sc.touch(j);
                    sc.explicit[j] |= bit;
                };
                for r in &inc.related {
                    if let Some(&j) = kb.by_id.get(&r.id) {
                        explicit(sc, j, 1);
                    }
                }
                if let Some(r) = &inc.recurrence_of
                    && let Some(&j) = kb.by_id.get(&r.id)
                {
                    explicit(sc, j, 1 << 1);
                }
                for (j, bit) in reverse.get(&i).into_iter().flatten() {
                    explicit(sc, *j, *bit);
                }

                let mut features: Vec<(Feature, &[usize], f32)> = Vec::new();
                for t in &e.tags {
                    features.push((Feature::Tag(&t.name), &kb.tags[&t.name].incidents, 2.0));
                }
                for s in &e.services {
                    features.push((
                        Feature::Service(&kb.services[s].name),
                        &kb.services[s].incidents,
                        1.5,
                    ));
                }
                for s in &inc.symptoms {
                    if let Some(list) = symptoms.get(&s.trim().to_lowercase()) {
                        features.push((Feature::Symptom(s.trim()), list, 3.0));
                    }
                }
                let matches = text.get(i).map_or(&[][..], Vec::as_slice);
                for m in matches {
                    sc.touch(m.index);
                    sc.text[m.index] = m.similarity;
                    sc.score[m.index] += TEXT_WEIGHT * m.similarity;
                }
                features.truncate(64);
                for (k, (_, list, weight)) in features.iter().enumerate() {
                    let w = weight * rarity(list.len());
                    for j in nearby(list, i) {
                        sc.touch(j);
                        sc.score[j] += w;
                        sc.shared[j] |= 1 << k;
                    }
                }

                let mut cands: Vec<(f32, usize)> = Vec::with_capacity(sc.touched.len());
                for &j in &sc.touched {
                    if j == i {
                        continue;
                    }
                    let mut score = sc.score[j];
                    if sc.explicit[j] != 0 {
                        score += 1000.0;
                    }
                    // One shared common tag alone is not a relation worth showing.
                    if score >= 6.0 || sc.shared[j].count_ones() > 1 || sc.text[j] >= TEXT_REASON {
                        cands.push((score, j));
                    }
                }
                // The best MAX_RELATED put in order, not every candidate: sorting them all
                // was 2.5 % of a 10,000 build (an incident sharing a busy tag has thousands).
                let order =
                    |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
                if cands.len() > MAX_RELATED {
                    cands.select_nth_unstable_by(MAX_RELATED, order);
                    cands.truncate(MAX_RELATED);
                }
                cands.sort_by(order);
                let out = cands
                    .into_iter()
                    .map(|(score, j)| Related {
                        index: j,
                        score,
                        reasons: reasons(
                            sc.explicit[j],
                            sc.shared[j],
                            sc.text[j],
                            matches
                                .iter()
                                .find(|m| m.index == j)
                                .map(|m| m.words.as_slice()),
                            &features,
                        ),
                    })
                    .collect();
                for j in sc.touched.drain(..) {
                    sc.score[j] = 0.0;
                    sc.shared[j] = 0;
                    sc.explicit[j] = 0;
                    sc.text[j] = 0.0;
                }
                out
            },
        )
        .collect()
}

fn reasons(
    explicit: u8,
    shared: u64,
    text: f32,
    words: Option<&[String]>,
    features: &[(Feature, &[usize], f32)],
) -> Vec<String> {
    let mut out: Vec<String> = (0..EXPLICIT.len())
        .filter(|b| explicit & (1 << b) != 0)
        .map(|b| EXPLICIT[b].to_string())
        .collect();
    let (mut tags, mut services, mut symptoms) = (Vec::new(), Vec::new(), Vec::new());
    for (k, (f, _, _)) in features.iter().enumerate() {
        if shared & (1 << k) != 0 {
            match f {
                Feature::Tag(t) => tags.push(*t),
                Feature::Service(s) => services.push(*s),
                Feature::Symptom(s) => symptoms.push(*s),
            }
        }
    }
    if !tags.is_empty() {
        out.push(format!(
            "shares {} {}",
            plural(tags.len(), "tag", "tags"),
            tags.join(", ")
        ));
    }
    if !services.is_empty() {
        out.push(format!(
            "shares {} {}",
            plural(services.len(), "service", "services"),
            services.join(", ")
        ));
    }
    if !symptoms.is_empty() {
        out.push(format!("same symptom: {}", symptoms.join("; ")));
    }
    if text >= TEXT_REASON {
        out.push(match words {
            Some(w) if !w.is_empty() => format!("similar wording: {}", w.join(", ")),
            _ => "similar wording".to_string(),
        });
    }
    out
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
