//! Work that grows with the knowledge base. Lesson grouping gives today's groups on the example
//! and DFDS knowledge bases and the groups of comparing every pair on a generated one; four
//! times the incidents of the hardest shape (near-duplicate lessons from a small vocabulary)
//! costs at most five times the counted work, never timed (the machine may be busy).

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use kb::config::RunOptions;
use kb::kb::Kb;
use kb::kb::lessons;

fn load(root: &Path) -> Kb {
    let (kb, diags) = kb::build::load_kb(
        root,
        &root.join("public"),
        false,
        None,
        &RunOptions::default(),
        &|_| {},
    )
    .unwrap_or_else(|e| panic!("{}: {e:?}", root.display()));
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "{}: {diags:?}",
        root.display()
    );
    kb
}

/// The groups as text: one line per group, its kind, incidents' ids and wording.
fn listing(kb: &Kb) -> String {
    let mut out = String::new();
    for g in lessons::groups(kb) {
        let ids: Vec<&str> = g
            .incidents
            .iter()
            .map(|i| kb.entries[*i].incident.id.as_str())
            .collect();
        writeln!(out, "{:?} [{}] {}", g.kind, ids.join(" "), g.text).unwrap();
    }
    out
}

#[test]
fn lesson_groups_of_the_example_are_pinned() {
    insta::assert_snapshot!("lesson_groups_example", listing(&load(&common::repo())));
}

#[test]
fn lesson_groups_of_dfds_are_pinned() {
    let Some(root) = common::dfds("lesson_groups_of_dfds_are_pinned") else {
        return;
    };
    insta::assert_snapshot!("lesson_groups_dfds", listing(&load(&root)));
}

/// A deterministic stream of numbers (xorshift), so the generated knowledge base is the same
/// on every run and machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Words lessons and action items are written from: 120 of them.
const VOCABULARY: &str = "alert cause symptom page owner runbook deploy rollback canary \
    flag config change review test staging production replica primary failover backup \
    restore snapshot disk quota limit capacity load traffic queue retry timeout budget \
    latency error rate dashboard metric log trace cache ttl dns certificate expiry rotation \
    secret vault token access permission audit schema migration index query lock deadlock \
    pool connection thread memory leak cpu node cluster pod scheduler cron job batch vendor \
    contract status communication customer support escalation incident commander handover \
    shift weekend holiday freeze window release pipeline build artifact image registry \
    version upgrade patch dependency library api gateway proxy network firewall route \
    partition region zone cost alarm threshold noise fatigue drill exercise documentation \
    checklist ownership training knowledge early late manual automate";

/// A near-duplicate: the theme's words with some replaced by others of the vocabulary and
/// some added, so two drawings of one theme share most words but rarely all.
fn variant(rng: &mut Rng, theme: &[&str], vocab: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for w in theme {
        out.push(if rng.chance(10) {
            vocab[rng.below(vocab.len())]
        } else {
            w
        });
        if rng.chance(10) {
            out.push(vocab[rng.below(vocab.len())]);
        }
    }
    let mut s = out.join(" ");
    s[..1].make_ascii_uppercase();
    s
}

/// `n` postmortems of the shape that made grouping quadratic: few tags, several lessons and
/// action items per incident, all near-duplicates of 40 themes written from 120 words.
fn near_duplicates(root: &Path, n: usize) {
    let vocab: Vec<&str> = VOCABULARY.split_whitespace().collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let themes: Vec<Vec<&str>> = (0..40)
        .map(|_| {
            (0..6 + rng.below(6))
                .map(|_| vocab[rng.below(vocab.len())])
                .collect()
        })
        .collect();
    let tags = [
        "database", "network", "deploy", "config", "capacity", "security",
    ];
    let services = [
        "api", "web", "billing", "search", "auth", "queue", "storage", "edge",
    ];
    fs::write(root.join("site.toml"), "title = \"Scale\"\n").unwrap();
    let dir = root.join("content");
    fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let day = jiff::civil::date(2015, 1, 1)
            .checked_add(jiff::Span::new().days((i * 4000 / n) as i64))
            .unwrap();
        let mut fm = format!(
            "---\nid: incident-{i}\ntitle: Incident {i}\ndate: {day}\nseverity: SEV{}\n",
            1 + rng.below(4)
        );
        let mut pick = |list: &[&str], most: usize, fm: &mut String, key: &str| {
            let k = 1 + rng.below(most);
            let mut chosen: Vec<&str> = (0..k).map(|_| list[rng.below(list.len())]).collect();
            chosen.sort_unstable();
            chosen.dedup();
            writeln!(fm, "{key}: [{}]", chosen.join(", ")).unwrap();
        };
        pick(&tags, 3, &mut fm, "tags");
        pick(&services, 2, &mut fm, "services");
        fm.push_str("lessons:\n");
        for _ in 0..3 + rng.below(4) {
            let theme = &themes[rng.below(themes.len())];
            writeln!(fm, "  - \"{}\"", variant(&mut rng, theme, &vocab)).unwrap();
        }
        fm.push_str("action_items:\n");
        for _ in 0..1 + rng.below(3) {
            let theme = &themes[rng.below(themes.len())];
            let title = variant(&mut rng, theme, &vocab);
            let status = ["open", "done", "in-progress"][rng.below(3)];
            writeln!(fm, "  - title: \"{title}\"\n    status: {status}").unwrap();
        }
        fm.push_str("---\n\nWhat happened.\n");
        fs::write(dir.join(format!("incident-{i}.md")), fm).unwrap();
    }
}

/// The knowledge base's work counter after the computations pages read across incidents.
fn counted_work(n: usize) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    near_duplicates(tmp.path(), n);
    let kb = load(tmp.path());
    let before = kb.work.get();
    let _ = lessons::Lessons::new(&kb);
    kb.work.get() - before
}

#[test]
fn four_times_the_incidents_cost_at_most_five_times_the_work() {
    let (small, large) = (counted_work(1000), counted_work(4000));
    assert!(
        large <= 5 * small,
        "1,000 near-duplicate incidents cost {small} steps, 4,000 cost {large} ({:.1}×)",
        large as f64 / small as f64
    );
}

/// Distinct word sets of every lesson, each set's group given as the sorted members' words.
fn partition(kb: &Kb, roots: impl FnOnce(&[Vec<String>]) -> Vec<usize>) -> Vec<Vec<String>> {
    let mut sets: Vec<Vec<String>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in &kb.entries {
        let l = &e.incident.lessons;
        for t in [&l.general, &l.went_well, &l.went_wrong, &l.got_lucky]
            .into_iter()
            .flatten()
        {
            let w = lessons::words(t);
            if seen.insert(w.clone()) {
                sets.push(w);
            }
        }
    }
    let roots = roots(&sets);
    let mut by_root: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for (s, r) in sets.iter().zip(roots) {
        by_root.entry(r).or_default().push(s.join(" "));
    }
    let mut out: Vec<Vec<String>> = by_root.into_values().collect();
    for p in &mut out {
        p.sort();
    }
    out.sort();
    out
}

/// Groups as comparing every pair makes them (union-find over all pairs).
fn all_pairs(sets: &[Vec<String>]) -> Vec<usize> {
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..sets.len()).collect();
    for a in 0..sets.len() {
        for b in 0..a {
            if lessons::similar(&sets[a], &sets[b]) {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    (0..sets.len()).map(|x| find(&mut parent, x)).collect()
}

/// The grouping against comparing every pair on 1,000 near-duplicate incidents: no lesson is
/// put with one that is not similar through a chain (each group lies within one of the
/// all-pairs groups), and past the cap on candidates at most 2 % of wordings are left out of
/// the largest part of their group.
#[test]
fn near_duplicate_lessons_group_almost_as_comparing_every_pair_does() {
    let tmp = tempfile::tempdir().unwrap();
    near_duplicates(tmp.path(), 1000);
    let kb = load(tmp.path());
    let grouped = partition(&kb, |sets| lessons::components(sets, &Default::default()));
    let exact = partition(&kb, all_pairs);
    let group_of: std::collections::HashMap<&String, usize> = exact
        .iter()
        .enumerate()
        .flat_map(|(g, members)| members.iter().map(move |m| (m, g)))
        .collect();
    for g in &grouped {
        assert!(
            g.iter().all(|m| group_of[m] == group_of[&g[0]]),
            "joined across all-pairs groups: {g:?}"
        );
    }
    // Wordings apart from the largest part of their all-pairs group.
    let mut largest = vec![0; exact.len()];
    for g in &grouped {
        let k = group_of[&g[0]];
        largest[k] = largest[k].max(g.len());
    }
    let wordings: usize = exact.iter().map(Vec::len).sum();
    let apart = wordings - largest.iter().sum::<usize>();
    assert!(
        apart * 50 <= wordings,
        "{apart} of {wordings} wordings apart"
    );
    // The shape is what it is meant to be: near-duplicates that group, rarely identical.
    let big = exact.iter().filter(|g| g.len() >= 10).count();
    assert!(big >= 30, "{big} groups of 10 or more wordings");
}
