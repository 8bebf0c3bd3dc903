//! /incidents/: every incident, newest first, on pages of [`PER_PAGE`] (plain links, complete
//! without JavaScript); and /incidents/list.json, the compact data its script filters and
//! sorts over all of them (theme/static/js/list.js).

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;
use tera::{Context, Value};

use super::pager::{page_url, pager};
use super::{Job, page};
use crate::kb::Kb;

/// Incidents per page of /incidents/: a page of cards stays a few tens of KB at any size.
pub const PER_PAGE: usize = 50;
const BASE: &str = "incidents/";
/// Where the list's data is written, beside the pages: every incident, and the filters' values
/// with their counts (small: the page loads it at once, the rows only once they are needed).
pub const DATA: &str = "incidents/list.json";
pub const FACETS: &str = "incidents/list-facets.json";

/// A year's (or the undated) incidents on one page.
#[derive(Serialize)]
struct YearGroup {
    /// `None` for the undated.
    year: Option<i16>,
    incidents: Value,
    /// All of that year's incidents, on every page.
    total: usize,
    /// The year began on an earlier page.
    continued: bool,
}

/// A link of the year navigation: to the page where the year starts.
#[derive(Serialize)]
struct YearLink {
    year: Option<i16>,
    /// Site-relative, with the year's anchor.
    url: String,
    count: usize,
}

/// Incidents per page of the incident list, and of each tag's and service's list.
pub(super) fn per_page(kb: &Kb) -> usize {
    kb.config
        .run
        .list_page
        .filter(|n| *n > 0)
        .unwrap_or(PER_PAGE)
}

/// The pages of /incidents/ that `shown` keeps (given the range of incidents a page lists).
/// `cards` are the incidents as listings show them, in the knowledge base's order (newest
/// first, undated last).
pub(super) fn jobs(
    kb: &Kb,
    cards: &[Value],
    stats: &Value,
    shown: impl Fn(Range<usize>) -> bool,
) -> Vec<Job<'static>> {
    let per = per_page(kb);
    let year = |i: usize| kb.entries[i].incident.date.map(|d| d.year());
    let total = kb.entries.len().div_ceil(per).max(1);
    let anchor = |y: Option<i16>| y.map_or("undated".to_string(), |y| format!("y{y}"));

    // Each year's size, and the page it starts on (entries are sorted by date).
    let mut nav: Vec<YearLink> = Vec::new();
    for i in 0..kb.entries.len() {
        match nav.last_mut() {
            Some(l) if l.year == year(i) => l.count += 1,
            _ => nav.push(YearLink {
                year: year(i),
                url: format!("{}#{}", page_url(BASE, i / per + 1), anchor(year(i))),
                count: 1,
            }),
        }
    }
    let year_total: HashMap<Option<i16>, usize> = nav.iter().map(|l| (l.year, l.count)).collect();
    let nav = Value::from_serializable(&nav);

    (0..total)
        .map(|k| (k, (k * per)..((k + 1) * per).min(kb.entries.len())))
        .filter(|(_, range)| shown(range.clone()))
        .map(|(k, range)| {
            let mut groups: Vec<YearGroup> = Vec::new();
            let mut start = range.start;
            for i in range.clone() {
                if i + 1 == range.end || year(i + 1) != year(i) {
                    groups.push(YearGroup {
                        year: year(i),
                        incidents: Value::from(cards[start..=i].to_vec()),
                        total: year_total[&year(i)],
                        continued: start > 0 && year(start - 1) == year(start),
                    });
                    start = i + 1;
                }
            }
            let url = page_url(BASE, k + 1);
            let title = match k {
                0 => "All incidents".to_string(),
                _ => format!("All incidents, page {}", k + 1),
            };
            let mut ctx = Context::new();
            ctx.insert_value("page", page(title, "incidents", &url));
            ctx.insert("groups", &groups);
            ctx.insert_value("year_nav", nav.clone());
            ctx.insert_value("stats", stats.clone());
            ctx.insert("pager", &pager(BASE, k + 1, total));
            ctx.insert("first", &(range.start + 1));
            ctx.insert("last", &range.end);
            Job {
                template: "incidents.html",
                path: format!("{url}index.html"),
                context: ctx.into(),
            }
        })
        .collect()
}

/// What /incidents/list.json holds: every incident as a short row, tags, services and
/// severities as indexes into their lists. Only what filtering, sorting and a row need.
#[derive(Serialize)]
struct ListData<'a> {
    /// Names of a row's columns, in order.
    fields: [&'static str; 9],
    /// The configured levels, most severe first, then any other severity written.
    severities: Vec<&'a str>,
    statuses: [&'static str; 3],
    tags: Vec<&'a str>,
    /// `[key, name]`: the key is the service page's URL segment.
    services: Vec<[&'a str; 2]>,
    incidents: Vec<Row<'a>>,
}

/// `[id, title, date, severity, status, tags, services, minutes to resolve, near miss]`.
type Row<'a> = (
    &'a str,
    &'a str,
    Option<String>,
    Option<usize>,
    usize,
    Vec<usize>,
    Vec<usize>,
    Option<i64>,
    u8,
);

const STATUSES: [&str; 3] = ["published", "in-review", "draft"];

/// What /incidents/list-facets.json holds: each filter's values, in the order the menus list
/// them, with how many incidents have each.
#[derive(Serialize)]
struct Facets<'a> {
    total: usize,
    severity: Vec<(&'a str, usize)>,
    tag: Vec<(&'a str, usize)>,
    /// `[key, name, count]`.
    service: Vec<(&'a str, &'a str, usize)>,
    /// Newest first; `undated` last.
    year: Vec<(String, usize)>,
    status: Vec<(&'static str, usize)>,
}

/// The bytes of /incidents/list.json and of /incidents/list-facets.json (JSON, read with
/// `JSON.parse`: nothing in them runs).
pub(super) fn data(kb: &Kb) -> (Vec<u8>, Vec<u8>) {
    let mut severities: Vec<&str> = kb
        .config
        .severity
        .levels
        .iter()
        .map(String::as_str)
        .collect();
    let mut others: Vec<&str> = kb
        .entries
        .iter()
        .filter_map(|e| e.incident.severity.as_deref())
        .filter(|s| !severities.contains(s))
        .collect();
    others.sort_unstable();
    others.dedup();
    severities.extend(others);
    let sev_index = positions(severities.iter().copied());
    let tag_index = positions(kb.tags.keys().map(String::as_str));
    let service_index = positions(kb.services.keys().map(String::as_str));
    let incidents: Vec<Row> = kb
        .entries
        .iter()
        .map(|e| {
            let inc = &e.incident;
            let status = super::views::status_name(e);
            (
                inc.id.as_str(),
                inc.title.as_str(),
                inc.date.map(|d| d.to_string()),
                inc.severity.as_deref().map(|s| sev_index[s]),
                STATUSES.iter().position(|s| *s == status).unwrap_or(0),
                e.tags
                    .iter()
                    .filter_map(|t| tag_index.get(t.name.as_str()).copied())
                    .collect(),
                e.services
                    .iter()
                    .filter_map(|s| service_index.get(s.as_str()).copied())
                    .collect(),
                inc.duration.map(|d| d.as_secs() / 60),
                u8::from(inc.near_miss),
            )
        })
        .collect();
    let doc = ListData {
        fields: [
            "id",
            "title",
            "date",
            "severity",
            "status",
            "tags",
            "services",
            "minutes",
            "near_miss",
        ],
        severities,
        statuses: STATUSES,
        tags: kb.tags.keys().map(String::as_str).collect(),
        services: kb
            .services
            .iter()
            .map(|(k, g)| [k.as_str(), g.name.as_str()])
            .collect(),
        incidents,
    };
    let mut severity: Vec<(&str, usize)> = doc.severities.iter().map(|s| (*s, 0)).collect();
    let mut status: Vec<(&str, usize)> = STATUSES.iter().map(|s| (*s, 0)).collect();
    let mut years: std::collections::BTreeMap<std::cmp::Reverse<Option<String>>, usize> =
        Default::default();
    for r in &doc.incidents {
        if let Some(s) = r.3 {
            severity[s].1 += 1;
        }
        status[r.4].1 += 1;
        // Reverse order puts `None` (undated) last.
        *years
            .entry(std::cmp::Reverse(r.2.as_ref().map(|d| d[..4].to_string())))
            .or_default() += 1;
    }
    let mut service: Vec<(&str, &str, usize)> = kb
        .services
        .iter()
        .map(|(k, g)| (k.as_str(), g.name.as_str(), g.incidents.len()))
        .collect();
    service.sort_by(|a, b| a.1.cmp(b.1));
    let facets = Facets {
        total: kb.entries.len(),
        severity,
        tag: kb
            .tags
            .iter()
            .map(|(k, g)| (k.as_str(), g.incidents.len()))
            .collect(),
        service,
        year: years
            .into_iter()
            .map(|(y, n)| (y.0.unwrap_or_else(|| "undated".into()), n))
            .collect(),
        status,
    };
    (
        serde_json::to_vec(&doc).expect("list data serializes"),
        serde_json::to_vec(&facets).expect("facets serialize"),
    )
}

/// Each value's position in the list the rows refer to by number.
fn positions<'a>(values: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    values.enumerate().map(|(i, v)| (v, i)).collect()
}
