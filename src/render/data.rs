//! Machine-readable output: one record per incident, with its parsed fields and computed
//! metrics, written whole to `/incidents.json` and line by line by `kb export --ndjson`. The
//! fields are documented in docs/data.md; a change there is a change of `VERSION`.

use jiff::SignedDuration;
use jiff::civil::Date;
use serde::Serialize;

use super::views;
use crate::content::incident::{ActionItem, Factor, Impact, Lessons, Link, Timestamps};
use crate::kb::{Entry, Kb};

/// The record layout's version, bumped when a field changes meaning or goes away (new fields
/// may be added without a bump).
pub const VERSION: u32 = 1;

/// The largest `/incidents.json` written whole, in bytes. Above it the file lists parts of at
/// most this size (`data/incidents-NNNN.json`), so no file is too large for a browser to fetch
/// and parse at once (at 100,000 incidents the whole file was 410 MB).
pub const PART_BYTES: usize = 16 << 20;

/// Everything `/incidents.json` holds (`kb export --json` prints it whole).
#[derive(Serialize)]
pub struct Document<'a> {
    #[serde(flatten)]
    pub head: Head<'a>,
    pub incidents: Vec<Record<'a>>,
}

/// What every data file starts with.
#[derive(Serialize)]
pub struct Head<'a> {
    pub version: u32,
    pub generator: &'static str,
    /// The date overdue items were judged against (the build date).
    pub as_of: String,
    pub site: Site<'a>,
    /// The incidents this document covers: those in `incidents`, or in all the parts.
    pub count: usize,
    /// The part files holding the incidents, relative to the site root, in order; empty when
    /// `incidents` holds them all.
    pub parts: Vec<String>,
}

#[derive(Serialize)]
pub struct Site<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
}

#[derive(Serialize)]
pub struct Record<'a> {
    pub id: &'a str,
    /// The incident's page, absolute when `base_url` is.
    pub url: String,
    /// The postmortem file, relative to the knowledge base root.
    pub path: &'a str,
    pub title: &'a str,
    pub date: Option<String>,
    pub severity: Option<&'a str>,
    pub status: &'static str,
    pub near_miss: bool,
    pub summary: &'a str,
    pub authors: &'a [String],
    /// Canonical tag names, the inferred ones included (also listed in `inferred_tags`).
    pub tags: Vec<&'a str>,
    pub inferred_tags: Vec<&'a str>,
    /// Service display names.
    pub services: Vec<&'a str>,
    pub symptoms: &'a [String],
    pub trigger: Option<&'a str>,
    pub contributing_factors: &'a [Factor],
    pub impact: Option<&'a Impact>,
    pub detection: Detection<'a>,
    pub timestamps: TimestampTexts,
    pub metrics: Metrics,
    pub action_items: Vec<Item<'a>>,
    pub lessons: &'a Lessons,
    /// Ids the postmortem names in `related`.
    pub related: Vec<&'a str>,
    /// Similar incidents kb found (the incident page's "Similar incidents"), best first.
    pub similar: Vec<Similar<'a>>,
    pub recurrence_of: Option<&'a str>,
    pub links: &'a [Link],
    /// Fields kb inferred from the body or the file name rather than read from frontmatter.
    pub inferred: Vec<&'static str>,
}

#[derive(Serialize)]
pub struct Detection<'a> {
    pub method: Option<&'a str>,
    pub source: Option<&'a str>,
}

/// RFC 3339 with the offset the author wrote.
#[derive(Serialize)]
pub struct TimestampTexts {
    pub started: Option<String>,
    pub detected: Option<String>,
    pub acknowledged: Option<String>,
    pub mitigated: Option<String>,
    pub resolved: Option<String>,
}

/// Durations in seconds; null when a timestamp is missing. Timestamps out of order give no
/// metric at all (and a warning at build time), never a negative duration.
#[derive(Serialize)]
pub struct Metrics {
    pub time_to_detect_s: Option<i64>,
    pub time_to_mitigate_s: Option<i64>,
    pub time_to_resolve_s: Option<i64>,
    /// `duration` as written, else resolved − started.
    pub duration_s: Option<i64>,
    pub timestamps_out_of_order: bool,
    pub action_items: usize,
    pub open_action_items: usize,
    pub overdue_action_items: usize,
}

#[derive(Serialize)]
pub struct Item<'a> {
    #[serde(flatten)]
    pub item: &'a ActionItem,
    pub overdue: bool,
}

#[derive(Serialize)]
pub struct Similar<'a> {
    pub id: &'a str,
    pub reasons: &'a [String],
}

fn secs(d: Option<SignedDuration>) -> Option<i64> {
    d.map(|d| d.as_secs())
}

fn texts(ts: &Timestamps) -> TimestampTexts {
    let text = |name: &str| ts.get(name).map(|i| i.text.clone());
    TimestampTexts {
        started: text("started"),
        detected: text("detected"),
        acknowledged: text("acknowledged"),
        mitigated: text("mitigated"),
        resolved: text("resolved"),
    }
}

pub fn record<'a>(kb: &'a Kb, e: &'a Entry, today: Date) -> Record<'a> {
    let inc = &e.incident;
    let items = views::action_items(&inc.action_items, today);
    let open = items.iter().filter(|a| !a.item.status.is_closed()).count();
    let overdue = items.iter().filter(|a| a.overdue).count();
    Record {
        id: &inc.id,
        url: format!("{}{}", kb.config.base_url, views::incident_url(&inc.id)),
        path: &inc.path,
        title: &inc.title,
        date: inc.date.map(|d| d.to_string()),
        severity: inc.severity.as_deref(),
        status: views::status_name(e),
        near_miss: inc.near_miss,
        summary: &inc.summary,
        authors: &inc.authors,
        tags: e.tags.iter().map(|t| t.name.as_str()).collect(),
        inferred_tags: e
            .tags
            .iter()
            .filter(|t| t.inferred)
            .map(|t| t.name.as_str())
            .collect(),
        services: e
            .services
            .iter()
            .map(|s| kb.services.get(s).map_or(s.as_str(), |g| g.name.as_str()))
            .collect(),
        symptoms: &inc.symptoms,
        trigger: inc.trigger.as_deref(),
        contributing_factors: &inc.contributing_factors,
        impact: inc.impact.as_ref(),
        detection: Detection {
            method: inc.detection.as_ref().and_then(|d| d.method.as_deref()),
            source: inc.detection.as_ref().and_then(|d| d.source.as_deref()),
        },
        timestamps: texts(&inc.timestamps),
        metrics: Metrics {
            time_to_detect_s: secs(inc.timestamps.ttd()),
            time_to_mitigate_s: secs(inc.timestamps.ttm()),
            time_to_resolve_s: secs(inc.timestamps.ttr()),
            duration_s: secs(inc.duration),
            timestamps_out_of_order: inc.inferred.contains("timestamps-out-of-order"),
            action_items: items.len(),
            open_action_items: open,
            overdue_action_items: overdue,
        },
        action_items: items
            .iter()
            .map(|a| Item {
                item: a.item,
                overdue: a.overdue,
            })
            .collect(),
        lessons: &inc.lessons,
        related: inc.related.iter().map(|r| r.id.as_str()).collect(),
        similar: e
            .related
            .iter()
            .map(|r| Similar {
                id: &kb.entries[r.index].incident.id,
                reasons: &r.reasons,
            })
            .collect(),
        recurrence_of: inc.recurrence_of.as_ref().map(|r| r.id.as_str()),
        links: &inc.links,
        inferred: inc
            .inferred
            .iter()
            .copied()
            .filter(|f| !f.contains('-'))
            .collect(),
    }
}

pub fn records(kb: &Kb, today: Date) -> Vec<Record<'_>> {
    kb.entries.iter().map(|e| record(kb, e, today)).collect()
}

fn head(kb: &Kb, today: Date, count: usize, parts: Vec<String>) -> Head<'_> {
    Head {
        version: VERSION,
        generator: concat!("kb ", env!("CARGO_PKG_VERSION")),
        as_of: today.to_string(),
        site: Site {
            title: &kb.config.title,
            base_url: &kb.config.base_url,
        },
        count,
        parts,
    }
}

/// The whole document: the records with the site and the date they were judged on.
pub fn document(kb: &Kb, today: Date) -> Document<'_> {
    Document {
        head: head(kb, today, kb.entries.len(), Vec::new()),
        incidents: records(kb, today),
    }
}

/// Writes the data files of a build through `write` (path in the site, bytes):
/// `incidents.json` whole when it fits in `limit` bytes; otherwise `incidents.json` without
/// `incidents`, listing parts `data/incidents-NNNN.json` of at most `limit` bytes (a record
/// larger than that alone in its part), each a document of the same shape holding its slice of
/// the records.
///
/// Records are made a chunk at a time and each part written once full, so memory holds one
/// part, not every record: that was 0.4 GB at 100,000 incidents, twice over with the files.
pub fn write_files<E>(
    kb: &Kb,
    today: Date,
    limit: usize,
    mut write: impl FnMut(&str, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    use rayon::prelude::*;
    const CHUNK: usize = 4096;
    let json = |parts: Vec<String>, records: Option<&[Vec<u8>]>| {
        let count = records.map_or(kb.entries.len(), <[_]>::len);
        let mut out = serde_json::to_vec(&head(kb, today, count, parts)).expect("heads serialize");
        if let Some(records) = records {
            out.pop(); // the closing brace: the records go before it
            out.extend_from_slice(b",\"incidents\":[");
            for (k, r) in records.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(r);
            }
            out.extend_from_slice(b"]}");
        }
        out
    };
    // The head and brackets around the records, counting them all: no part's is longer.
    let overhead =
        json(Vec::new(), Some(&[])).len() + kb.entries.len().to_string().len() - "0".len();
    let name = |n: usize| format!("data/incidents-{n:04}.json");
    // The part being filled (consecutive records, as many as fit) and its size with the
    // comma after each record; parts already written.
    let (mut part, mut bytes, mut written): (Vec<Vec<u8>>, usize, usize) =
        (Vec::new(), overhead, 0);
    let last = kb.entries.len().saturating_sub(1);
    for (c, chunk) in kb.entries.chunks(CHUNK).enumerate() {
        let records: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|e| serde_json::to_vec(&record(kb, e, today)).expect("records serialize"))
            .collect();
        for (k, r) in records.into_iter().enumerate() {
            // The last record needs no comma: the whole file fits when all but that one does.
            let whole_fits = written == 0 && c * CHUNK + k == last && bytes + r.len() <= limit;
            if !part.is_empty() && bytes + r.len() + 1 > limit && !whole_fits {
                written += 1;
                write(&name(written), &json(Vec::new(), Some(&part)))?;
                (part, bytes) = (Vec::new(), overhead);
            }
            bytes += r.len() + 1;
            part.push(r);
        }
    }
    if written == 0 {
        return write("incidents.json", &json(Vec::new(), Some(&part)));
    }
    write(&name(written + 1), &json(Vec::new(), Some(&part)))?;
    let names = (1..=written + 1).map(name).collect();
    write("incidents.json", &json(names, None))
}

/// Text safe in XML 1.0: characters it forbids (most C0 controls, U+FFFE, U+FFFF) dropped.
/// Escaping `<`, `&` and quotes is the template engine's job.
pub fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_drops_what_xml_forbids() {
        assert_eq!(xml_text("a\u{0}b\u{b}c\td\u{FFFF}é<"), "abc\tdé<");
    }
}
