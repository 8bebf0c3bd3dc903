//! Figures over a set of incidents (the whole knowledge base, a tag, a service): severity
//! counts, incidents per month, durations as median and p90, co-occurring tags, action item
//! follow-through. Durations are heavy-tailed, so no means anywhere.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use super::Kb;
use crate::content::incident::{ActionItem, ItemStatus};

/// The lifecycle durations kb reports.
pub const DURATIONS: [(&str, &str); 3] = [
    ("ttd", "Time to detect"),
    ("ttm", "Time to mitigate"),
    ("ttr", "Time to resolve"),
];

/// One duration over a set of incidents, in seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Durations {
    /// Sorted ascending.
    pub values: Vec<i64>,
    /// Incidents of the set without the two timestamps (or with them out of order).
    pub missing: usize,
}

impl Durations {
    pub fn median(&self) -> Option<i64> {
        quantile(&self.values, 0.5)
    }
    pub fn p90(&self) -> Option<i64> {
        quantile(&self.values, 0.9)
    }
}

/// Nearest-rank quantile of sorted values: the smallest value with at least `q` of the values
/// at or below it.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Time to detect, mitigate and resolve over `incidents` (indexes into the knowledge base).
pub fn durations(kb: &Kb, incidents: &[usize]) -> [Durations; 3] {
    let mut out: [Durations; 3] = Default::default();
    for &i in incidents {
        let ts = &kb.entries[i].incident.timestamps;
        for (k, d) in [ts.ttd(), ts.ttm(), ts.ttr()].into_iter().enumerate() {
            match d {
                Some(d) => out[k].values.push(d.as_secs()),
                None => out[k].missing += 1,
            }
        }
    }
    for d in &mut out {
        d.values.sort_unstable();
    }
    out
}

/// Incidents per severity slot ([`severity_slot`]: the levels in order, then levels the site
/// does not list, then none), with the severity as written.
pub fn by_severity(kb: &Kb, incidents: &[usize]) -> Vec<(usize, Option<String>, usize)> {
    let mut counts: BTreeMap<(usize, Option<String>), usize> = BTreeMap::new();
    for &i in incidents {
        let sev = kb.entries[i].incident.severity.clone();
        *counts.entry((severity_slot(kb, i), sev)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((slot, s), n)| (slot, s, n))
        .collect()
}

/// (year, month) → incidents, per severity slot (the index in `by_severity`'s order of the
/// whole knowledge base: `levels`, then unknown, then none), for dated incidents; months with
/// none in between are present with zeros.
pub struct Monthly {
    pub months: Vec<(i16, i8)>,
    /// counts[month][slot]
    pub counts: Vec<Vec<usize>>,
    pub undated: usize,
}

/// The severity slot of an incident for stacked charts: its level's index, `levels.len()` for
/// a level the site does not list, `levels.len() + 1` for none.
pub fn severity_slot(kb: &Kb, i: usize) -> usize {
    let levels = &kb.config.severity.levels;
    match &kb.entries[i].incident.severity {
        Some(s) => levels.iter().position(|l| l == s).unwrap_or(levels.len()),
        None => levels.len() + 1,
    }
}

pub fn monthly(kb: &Kb, incidents: &[usize]) -> Monthly {
    let slots = kb.config.severity.levels.len() + 2;
    let mut by: BTreeMap<(i16, i8), Vec<usize>> = BTreeMap::new();
    let mut undated = 0;
    for &i in incidents {
        match kb.entries[i].incident.date {
            Some(d) => {
                by.entry((d.year(), d.month()))
                    .or_insert_with(|| vec![0; slots])[severity_slot(kb, i)] += 1
            }
            None => undated += 1,
        }
    }
    let (Some(first), Some(last)) = (by.keys().next().copied(), by.keys().last().copied()) else {
        return Monthly {
            months: Vec::new(),
            counts: Vec::new(),
            undated,
        };
    };
    let mut months = Vec::new();
    let mut counts = Vec::new();
    let (mut y, mut m) = first;
    loop {
        months.push((y, m));
        counts.push(by.remove(&(y, m)).unwrap_or_else(|| vec![0; slots]));
        if (y, m) == last {
            break;
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Monthly {
        months,
        counts,
        undated,
    }
}

/// The `n` other tags most of the incidents carry, with how many carry each, most frequent
/// first (ties by name). One pass over the incidents' tags and a partial selection: a tag
/// page costs what its incidents' tags number, not their square.
pub fn co_tags(kb: &Kb, incidents: &[usize], except: &str, n: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for &i in incidents {
        for t in &kb.entries[i].tags {
            if t.name != except {
                *counts.entry(&t.name).or_default() += 1;
            }
        }
    }
    let mut out: Vec<(&str, usize)> = counts.into_iter().collect();
    let order = |a: &(&str, usize), b: &(&str, usize)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    if out.len() > n && n > 0 {
        out.select_nth_unstable_by(n - 1, order);
    }
    out.truncate(n);
    out.sort_by(order);
    out.into_iter().map(|(k, c)| (k.to_string(), c)).collect()
}

/// Counts of values (triggers, factor categories), most frequent first, ties by name.
pub fn top<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Where an action item stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Overdue,
    Open,
    InProgress,
    Done,
    WontDo,
}

pub fn standing(item: &ActionItem, today: Date) -> Standing {
    match item.status {
        ItemStatus::Done => Standing::Done,
        ItemStatus::WontDo => Standing::WontDo,
        _ if item.due.is_some_and(|d| d < today) => Standing::Overdue,
        ItemStatus::InProgress => Standing::InProgress,
        _ => Standing::Open,
    }
}

/// Action item counts of a group: total, done, not closed, overdue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowThrough {
    pub total: usize,
    pub done: usize,
    pub open: usize,
    pub overdue: usize,
    pub without_owner: usize,
}

impl FollowThrough {
    pub fn add(&mut self, item: &ActionItem, today: Date) {
        let s = standing(item, today);
        self.total += 1;
        self.done += usize::from(s == Standing::Done);
        self.open += usize::from(matches!(
            s,
            Standing::Overdue | Standing::Open | Standing::InProgress
        ));
        self.overdue += usize::from(s == Standing::Overdue);
        self.without_owner += usize::from(item.owner.is_none());
    }

    /// Done ÷ total, in percent (won't-do items count against it: they were not done).
    pub fn rate(&self) -> Option<u32> {
        (self.total > 0).then(|| (100 * self.done / self.total) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7], 0.9), Some(7));
        assert_eq!(quantile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(quantile(&[1, 2, 3, 4, 5], 0.5), Some(3));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(quantile(&v, 0.9), Some(9));
        let v: Vec<i64> = (1..=11).collect();
        assert_eq!(quantile(&v, 0.9), Some(10));
    }

    #[test]
    fn overdue_is_open_and_past_due() {
        let today = jiff::civil::date(2024, 6, 1);
        let item = |status, due: Option<Date>| ActionItem {
            title: "x".into(),
            status,
            due,
            ..Default::default()
        };
        let past = Some(jiff::civil::date(2024, 5, 1));
        let future = Some(jiff::civil::date(2024, 7, 1));
        assert_eq!(
            standing(&item(ItemStatus::Open, past), today),
            Standing::Overdue
        );
        assert_eq!(
            standing(&item(ItemStatus::InProgress, past), today),
            Standing::Overdue
        );
        assert_eq!(
            standing(&item(ItemStatus::Done, past), today),
            Standing::Done
        );
        assert_eq!(
            standing(&item(ItemStatus::Open, future), today),
            Standing::Open
        );
        assert_eq!(
            standing(&item(ItemStatus::Open, None), today),
            Standing::Open
        );
        let mut f = FollowThrough::default();
        for s in [ItemStatus::Done, ItemStatus::WontDo, ItemStatus::Open] {
            f.add(&item(s, past), today);
        }
        assert_eq!(f.rate(), Some(33));
        assert_eq!((f.open, f.overdue, f.without_owner), (1, 1, 3));
    }
}
