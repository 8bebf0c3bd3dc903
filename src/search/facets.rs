//! Facet counts for `kb search --facets`: tags, severities, services and years over every
//! matching document, read from fast fields (no stored document is read).

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Field;
use tantivy::{Score, SegmentReader};

#[derive(Debug, Default, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Facets {
    pub tags: Vec<FacetCount>,
    pub severity: Vec<FacetCount>,
    pub services: Vec<FacetCount>,
    pub years: Vec<FacetCount>,
}

/// Collects [`Facets`] alongside the top documents.
pub struct FacetCollector {
    pub fields: super::Fields,
}

pub struct FacetSegment {
    columns: [Option<StrColumn>; 3],
    counts: [Vec<u64>; 3],
    day: Option<Column<i64>>,
    days: BTreeMap<i64, u64>,
}

type FacetFruit = ([BTreeMap<String, u64>; 3], BTreeMap<i64, u64>);

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegment;

    fn for_segment(&self, _: u32, reader: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name = |f: Field| schema.get_field_name(f).to_string();
        let columns = [
            ff.str(&name(self.fields.tags))?,
            ff.str(&name(self.fields.severity))?,
            ff.str(&name(self.fields.services))?,
        ];
        let counts = columns
            .each_ref()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())]);
        let day = ff.i64(&name(self.fields.day)).ok();
        Ok(FacetSegment {
            columns,
            counts,
            day,
            days: BTreeMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<Facets> {
        let mut strs: [BTreeMap<String, u64>; 3] = Default::default();
        let mut years: BTreeMap<i16, u64> = BTreeMap::new();
        let epoch = jiff::civil::date(1970, 1, 1);
        for (s, days) in fruits {
            for (acc, m) in strs.iter_mut().zip(s) {
                for (k, v) in m {
                    *acc.entry(k).or_default() += v;
                }
            }
            for (d, n) in days {
                if let Ok(date) = epoch.checked_add(jiff::Span::new().days(d)) {
                    *years.entry(date.year()).or_default() += n;
                }
            }
        }
        let sorted = |m: BTreeMap<String, u64>| {
            let mut v: Vec<FacetCount> = m
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v
        };
        let [tags, severity, services] = strs;
        Ok(Facets {
            tags: sorted(tags),
            severity: sorted(severity),
            services: sorted(services),
            years: years
                .into_iter()
                .rev()
                .map(|(y, count)| FacetCount {
                    value: y.to_string(),
                    count,
                })
                .collect(),
        })
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: u32, _: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
        if let Some(day) = &self.day {
            for d in day.values_for_doc(doc) {
                *self.days.entry(d).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let mut out: [BTreeMap<String, u64>; 3] = Default::default();
        for ((col, counts), acc) in self.columns.iter().zip(self.counts).zip(out.iter_mut()) {
            let Some(col) = col else { continue };
            for (ord, n) in counts.into_iter().enumerate() {
                let mut s = String::new();
                if n > 0 && col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                    acc.insert(s, n);
                }
            }
        }
        (out, self.days)
    }
}
