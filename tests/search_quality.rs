//! Ranking quality of `kb search` on judged query sets: MRR@10, nDCG@5 and recall@5 over the
//! example knowledge base, the DFDS postmortems and tests/fixtures/heldout-kb, through the real
//! binary. tests/search/judged.toml is the set ranking was tuned on; tests/search/heldout.toml
//! and heldout2.toml were written afterwards and are never tuned on. The floors below guard against regressions; the measured figures are printed
//! (`cargo test --test search_quality -- --nocapture`) and kept in docs/search.md.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{copy_dir, copy_example, dfds, ids, repo, search_json};
use serde::Deserialize;

#[derive(Deserialize)]
struct Judged {
    query: Vec<Judgement>,
}

#[derive(Deserialize)]
struct Judgement {
    kb: String,
    q: String,
    relevant: Vec<String>,
    kind: String,
}

/// The example KB, the held-out fixture and the DFDS corpus, copied so the index cache is
/// written outside the repo.
fn knowledge_bases(tmp: &Path) -> BTreeMap<&'static str, PathBuf> {
    let mut kbs = BTreeMap::new();
    let example = tmp.join("example");
    copy_example(&example);
    kbs.insert("example", example);
    let heldout = tmp.join("heldout");
    copy_dir(&repo().join("tests/fixtures/heldout-kb"), &heldout);
    kbs.insert("heldout", heldout);
    if let Some(dfds) = dfds("the judged queries on the DFDS postmortems") {
        let d = tmp.join("dfds");
        copy_dir(&dfds, &d);
        kbs.insert("dfds", d);
    }
    kbs
}

fn top_ids(root: &Path, q: &str) -> Vec<String> {
    ids(&search_json(root, q, &["--limit", "10"]).0)
}

/// First measured 2026-11-25: MRR@10 0.825, recall@5 0.891.
const HELD_OUT_MRR: f64 = 0.78;
const HELD_OUT_RECALL: f64 = 0.85;

/// Binary relevance, discounted by log2(rank + 1), over the best possible ordering of the
/// judged incidents (at most 5 of them fit).
fn ndcg5(ids: &[String], relevant: &[String]) -> f64 {
    let gain = |r: usize| 1.0 / (r as f64 + 2.0).log2();
    let dcg: f64 = ids
        .iter()
        .take(5)
        .enumerate()
        .filter(|(_, id)| relevant.contains(id))
        .map(|(r, _)| gain(r))
        .fold(0.0, |a, g| a + g);
    let ideal: f64 = (0..relevant.len().min(5)).map(gain).sum();
    dcg / ideal
}

/// Held-out set 2, first measured 2026-12-02 (docs/search.md): MRR@10 0.932, nDCG@5 0.932;
/// symptoms 0.965 / 0.963, synonyms 0.786 / 0.821. After the vocabulary, word splitting and
/// ranking fixes of issue 16 (never tuned on this set): 0.986 / 0.976; symptoms 0.990 / 0.983,
/// synonyms 0.967 / 0.965.
const HELD_OUT2_MRR: f64 = 0.96;
const HELD_OUT2_NDCG: f64 = 0.95;
const HELD_OUT2_SYMPTOM_MRR: f64 = 0.97;
const HELD_OUT2_SYNONYM_MRR: f64 = 0.94;

#[derive(Default)]
struct Score {
    n: usize,
    rr: f64,
    ndcg5: f64,
    recall5: f64,
    misses: usize,
}

impl Score {
    fn add(&mut self, rr: f64, ndcg5: f64, recall5: f64) {
        self.n += 1;
        self.rr += rr;
        self.ndcg5 += ndcg5;
        self.recall5 += recall5;
        if rr == 0.0 {
            self.misses += 1;
        }
    }
    fn mrr(&self) -> f64 {
        self.rr / self.n as f64
    }
    fn ndcg(&self) -> f64 {
        self.ndcg5 / self.n as f64
    }
    fn recall(&self) -> f64 {
        self.recall5 / self.n as f64
    }
}

/// Runs every query of a judged file; scores per set ("all", "kb …", "kind …"), printed.
fn evaluate(file: &str) -> BTreeMap<String, Score> {
    let text = std::fs::read_to_string(repo().join("tests/search").join(file)).unwrap();
    let judged: Judged = toml::from_str(&text).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kbs = knowledge_bases(tmp.path());

    let mut by: BTreeMap<String, Score> = BTreeMap::new();
    let mut report = String::new();
    for j in &judged.query {
        // A corpus a clone does not have: its queries are skipped (knowledge_bases says so).
        let Some(root) = kbs.get(j.kb.as_str()) else {
            continue;
        };
        let ids = top_ids(root, &j.q);
        let rank = ids.iter().position(|id| j.relevant.contains(id));
        let rr = rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        let found5 = ids
            .iter()
            .take(5)
            .filter(|id| j.relevant.contains(id))
            .count();
        let recall5 = found5 as f64 / j.relevant.len().min(5) as f64;
        let ndcg = ndcg5(&ids, &j.relevant);
        if rr < 1.0 {
            report.push_str(&format!(
                "  {:<7} {:<12} rr {:.2} nDCG@5 {:.2} r@5 {:.2}  {:?}  top: {:?}\n",
                j.kb,
                j.kind,
                rr,
                ndcg,
                recall5,
                j.q,
                ids.iter().take(3).collect::<Vec<_>>()
            ));
        }
        for key in [
            "all".to_string(),
            format!("kb {}", j.kb),
            format!("kind {}", j.kind),
        ] {
            by.entry(key).or_default().add(rr, ndcg, recall5);
        }
    }
    println!("{file}: queries not answered first:\n{report}");
    println!(
        "{:<18} {:>3} {:>7} {:>7} {:>9} {:>7}",
        "set", "n", "MRR@10", "nDCG@5", "recall@5", "missed"
    );
    for (k, s) in &by {
        println!(
            "{:<18} {:>3} {:>7.3} {:>7.3} {:>9.3} {:>7}",
            k,
            s.n,
            s.mrr(),
            s.ndcg(),
            s.recall(),
            s.misses
        );
    }
    by
}

/// The set the ranking was tuned on. Floors a little under the measured figures
/// (docs/search.md): a ranking change that loses more than that fails here.
#[test]
fn judged_queries_rank_relevant_incidents_first() {
    let by = evaluate("judged.toml");
    assert!(
        by["kb example"].mrr() >= 0.95,
        "example MRR@10 {:.3}",
        by["kb example"].mrr()
    );
    if !by.contains_key("kb dfds") {
        return;
    }
    let all = &by["all"];
    assert!(all.n >= 40, "at least 40 judged queries");
    assert!(all.mrr() >= 0.95, "MRR@10 fell to {:.3}", all.mrr());
    assert!(all.recall() >= 0.94, "recall@5 fell to {:.3}", all.recall());
    assert!(
        by["kb dfds"].mrr() >= 0.94,
        "DFDS MRR@10 {:.3}",
        by["kb dfds"].mrr()
    );
    assert_eq!(
        all.misses, 0,
        "every query has a relevant incident in its top 10"
    );
}

/// Written after tuning and never tuned on: the honest figures. Floors under the first
/// measurement, to catch a regression; a change tuned against these queries would make the set
/// worthless, so replace it rather than tune on it.
#[test]
fn held_out_queries_rank_relevant_incidents_first() {
    let by = evaluate("heldout.toml");
    // The floors are for the whole set; without the DFDS corpus there is nothing to hold.
    if !by.contains_key("kb dfds") {
        return;
    }
    let all = &by["all"];
    assert!(all.n >= 30);
    assert!(
        all.mrr() >= HELD_OUT_MRR,
        "held-out MRR@10 fell to {:.3}",
        all.mrr()
    );
    assert!(
        all.recall() >= HELD_OUT_RECALL,
        "held-out recall@5 fell to {:.3}",
        all.recall()
    );
}

/// The second held-out set (issue 16): postmortems written for it in tests/fixtures/heldout-kb,
/// so a clone alone runs it; weighted to symptoms and synonyms in a responder's own words. The
/// floors sit just under the first measurement; never tune on these queries.
#[test]
fn second_held_out_set_ranks_relevant_incidents_first() {
    let by = evaluate("heldout2.toml");
    let all = &by["all"];
    assert!(all.n >= 60, "{} queries", all.n);
    assert!(
        all.mrr() >= HELD_OUT2_MRR,
        "held-out 2 MRR@10 fell to {:.3}",
        all.mrr()
    );
    assert!(
        all.ndcg() >= HELD_OUT2_NDCG,
        "held-out 2 nDCG@5 fell to {:.3}",
        all.ndcg()
    );
    for (kind, floor) in [
        ("kind symptom", HELD_OUT2_SYMPTOM_MRR),
        ("kind synonym", HELD_OUT2_SYNONYM_MRR),
    ] {
        let mrr = by[kind].mrr();
        assert!(mrr >= floor, "held-out 2 {kind} MRR@10 fell to {mrr:.3}");
    }
}

#[test]
fn ndcg5_rewards_relevant_incidents_ranked_higher() {
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let rel = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(ndcg5(&ids, &rel(&["a", "b"])), 1.0);
    assert_eq!(ndcg5(&ids, &rel(&["z"])), 0.0);
    let second = ndcg5(&ids, &rel(&["b"]));
    assert!((second - 1.0 / 3f64.log2()).abs() < 1e-12, "{second}");
    assert!(ndcg5(&ids, &rel(&["a", "c"])) < 1.0);
}

#[test]
fn all_three_503_incidents_come_back_first() {
    let tmp = tempfile::tempdir().unwrap();
    let kbs = knowledge_bases(tmp.path());
    let Some(dfds) = kbs.get("dfds") else { return };
    let ids = top_ids(dfds, "503 all services");
    let mut top3 = ids[..3].to_vec();
    top3.sort();
    assert_eq!(
        top3,
        [
            "pm2021-005-all-services-returning-503-in-kubernetes",
            "pm2021-006-all-services-returning-503-in-kubernetes",
            "pm2021-007-all-services-returning-503-in-kubernetes"
        ]
    );
}
