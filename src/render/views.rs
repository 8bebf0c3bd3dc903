//! What templates see: plain serializable views of the knowledge base. Every value a page
//! lists is built once here and shared (Tera values are reference-counted).

use jiff::SignedDuration;
use jiff::civil::Date;
use serde::Serialize;

use crate::content::incident::{
    ActionItem, Factor, Impact, Incident, ItemStatus, Lessons, Link, Timestamps,
};
use crate::content::markdown::TocEntry;
use crate::kb::{Entry, Kb};

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    pub generator: &'static str,
    pub severity_levels: &'a [String],
}

#[derive(Clone, Serialize)]
pub struct NameUrl {
    pub name: String,
    pub url: String,
    pub inferred: bool,
}

/// An incident as listings show it.
#[derive(Serialize)]
pub struct Summary<'a> {
    pub id: &'a str,
    pub url: String,
    pub title: &'a str,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub year: Option<i16>,
    pub severity: Option<&'a str>,
    /// `sev1`… for CSS classes.
    pub severity_class: Option<String>,
    pub status: &'static str,
    pub summary: &'a str,
    pub near_miss: bool,
    pub tags: Vec<NameUrl>,
    pub services: Vec<NameUrl>,
    /// Tags and services left out of `tags` and `services` in a listing ([`card`]).
    pub more_tags: usize,
    pub more_services: usize,
    pub duration: Option<String>,
}

/// Tags, and services, an incident shows in a listing; its own page shows them all. A tag
/// page lists its incidents with their tags, so without a cap an incident's N tags would
/// each list all N: output in the square of N. Real postmortems have fewer than this.
pub const CARD_NAMES: usize = 8;

/// Whether [`card`] differs from [`summary`] for this incident.
pub fn needs_card(e: &Entry) -> bool {
    e.tags.len() > CARD_NAMES || e.services.len() > CARD_NAMES
}

/// An incident as listings show it: [`summary`] with at most [`CARD_NAMES`] tags and
/// services, and how many more there are.
pub fn card<'a>(kb: &'a Kb, e: &'a Entry) -> Summary<'a> {
    let mut s = summary(kb, e);
    let (tags, services) = make_card(&mut s, e);
    s.tags.truncate(tags);
    s.services.truncate(services);
    s
}

/// Makes `s` (`e`'s summary) say how many tags and services its card leaves out, and returns
/// how many of each the card shows: the first ones, in the incident's order.
pub fn make_card(s: &mut Summary, e: &Entry) -> (usize, usize) {
    let (tags, services) = (
        e.tags.len().min(CARD_NAMES),
        e.services.len().min(CARD_NAMES),
    );
    s.more_tags = e.tags.len() - tags;
    s.more_services = e.services.len() - services;
    (tags, services)
}

pub fn incident_url(id: &str) -> String {
    format!("incidents/{id}/")
}

pub fn tag_url(name: &str) -> String {
    format!("tags/{name}/")
}

pub fn service_url(slug: &str) -> String {
    format!("services/{slug}/")
}

pub fn display_date(d: Date) -> String {
    // What `strftime("%-d %b %Y")` writes, without parsing a format per date: a build shows
    // every incident's and action item's date, several times.
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // Digits pushed, not `format!`: its machinery cost more than the strftime it replaced.
    let digit = |n: i16| char::from(b'0' + (n % 10) as u8);
    let mut out = String::with_capacity(11);
    if d.day() >= 10 {
        out.push(digit(i16::from(d.day()) / 10));
    }
    out.push(digit(i16::from(d.day())));
    out.push(' ');
    out.push_str(MONTHS[usize::from(d.month().unsigned_abs()) - 1]);
    out.push(' ');
    match d.year() {
        y @ 1000.. => [1000, 100, 10, 1]
            .iter()
            .for_each(|p| out.push(digit(y / p))),
        y => out.push_str(&format!("{y:04}")),
    }
    out
}

/// `4h 5m`, `3d 2h`, `45m`: the units an incident reader thinks in.
pub fn display_duration(d: SignedDuration) -> String {
    let mins = d.as_secs() / 60;
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match (days, hours, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

pub fn status_name(e: &Entry) -> &'static str {
    use crate::content::incident::Status;
    match e.incident.status {
        Status::Draft => "draft",
        Status::InReview => "in-review",
        Status::Published => "published",
    }
}

pub fn summary<'a>(kb: &'a Kb, e: &'a Entry) -> Summary<'a> {
    Summary {
        tags: e.tags.iter().map(tag_name).collect(),
        services: e.services.iter().map(|s| service_name(kb, s)).collect(),
        ..bare_summary(e)
    }
}

/// [`summary`] without its tags and services, for a caller that gives it values of those
/// it shares between incidents (`render::summaries`).
pub fn bare_summary(e: &Entry) -> Summary<'_> {
    let inc = &e.incident;
    Summary {
        id: &inc.id,
        url: incident_url(&inc.id),
        title: &inc.title,
        date: inc.date.map(|d| d.to_string()),
        date_display: inc.date.map(display_date),
        year: inc.date.map(|d| d.year()),
        severity: inc.severity.as_deref(),
        severity_class: inc.severity.as_ref().map(slug::slugify),
        status: status_name(e),
        summary: &inc.summary,
        near_miss: inc.near_miss,
        tags: Vec::new(),
        services: Vec::new(),
        more_tags: 0,
        more_services: 0,
        duration: inc.duration.map(display_duration),
    }
}

/// A tag as an incident's summary shows it.
pub fn tag_name(t: &crate::kb::taxonomy::TagRef) -> NameUrl {
    NameUrl {
        name: t.name.clone(),
        url: tag_url(&t.name),
        inferred: t.inferred,
    }
}

/// A service (by its slug) as an incident's summary shows it.
pub fn service_name(kb: &Kb, slug: &str) -> NameUrl {
    NameUrl {
        name: kb.services[slug].name.clone(),
        url: service_url(slug),
        inferred: false,
    }
}

/// An incident in the Atom feed: text made safe for XML, dates as RFC 3339.
#[derive(Serialize)]
pub struct FeedEntry {
    pub title: String,
    pub url: String,
    /// The incident's date at midnight UTC (postmortems date incidents, not edits).
    pub updated: String,
    pub summary: String,
    pub severity: Option<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
}

pub fn feed_entry(e: &Entry) -> FeedEntry {
    use super::data::xml_text;
    let inc = &e.incident;
    FeedEntry {
        title: xml_text(&inc.title),
        url: incident_url(&inc.id),
        updated: inc
            .date
            .map(|d| format!("{d}T00:00:00Z"))
            .unwrap_or_default(),
        summary: xml_text(&inc.summary),
        severity: inc.severity.as_deref().map(xml_text),
        tags: e.tags.iter().map(|t| xml_text(&t.name)).collect(),
        authors: inc.authors.iter().map(|a| xml_text(a)).collect(),
    }
}

#[derive(Serialize)]
pub struct SitemapUrl {
    /// Site-relative; the template prefixes `site.base_url`.
    pub loc: String,
    pub lastmod: Option<String>,
}

#[derive(Serialize)]
pub struct TimestampView {
    pub name: &'static str,
    /// The name capitalized, as a label.
    pub label: &'static str,
    pub text: String,
    pub display: String,
}

#[derive(Serialize)]
pub struct ActionItemView<'a> {
    #[serde(flatten)]
    pub item: &'a ActionItem,
    /// `status` as words: `in progress`, `wont do`.
    pub status_text: &'static str,
    pub due_display: Option<String>,
    pub overdue: bool,
}

/// Everything an incident page shows beyond its summary.
#[derive(Serialize)]
pub struct Detail<'a> {
    pub path: &'a str,
    pub authors: &'a [String],
    pub symptoms: &'a [String],
    pub trigger: Option<&'a str>,
    pub contributing_factors: &'a [Factor],
    pub impact: Option<Impact>,
    pub detection_method: Option<&'a str>,
    pub detection_source: Option<&'a str>,
    pub timestamps: Vec<TimestampView>,
    pub ttd: Option<String>,
    pub ttm: Option<String>,
    pub ttr: Option<String>,
    pub action_items: Vec<ActionItemView<'a>>,
    pub open_action_items: usize,
    /// Of those open, the ones past their due date.
    pub overdue_action_items: usize,
    /// Whether any action item names an owner, and whether any has a due date (the table's
    /// columns).
    pub action_items_owned: bool,
    pub action_items_due: bool,
    pub lessons: &'a Lessons,
    pub has_lessons: bool,
    pub links: &'a [Link],
    pub recurrence_of: Option<&'a str>,
    pub toc: Vec<TocEntry>,
    pub body_html: String,
    /// The main column in order: prose, and each of action items, lessons and contributing
    /// factors once, where the body had it ([`super::placement`]).
    pub blocks: Vec<super::placement::Block>,
    /// The table of contents of that column.
    pub contents: Vec<TocEntry>,
    /// Fields kb inferred (title, date, summary, …), for the "inferred" note.
    pub inferred: Vec<&'static str>,
    /// The same as the note prints them: `contributing factors, lessons`.
    pub inferred_text: String,
    pub has_frontmatter: bool,
    /// "Last updated": the file's last commit, else its `updated` field.
    pub updated: Option<Updated>,
    /// "Edit this page", from `[repository] edit_url`.
    pub edit_url: Option<String>,
    /// The summary for link previews, cut at a word to fit them.
    pub description: String,
    /// The timeline drawn from the timestamps.
    pub phases: Option<super::phases::Phases>,
}

/// Longest description link previews show in full (Open Graph readers cut near 300).
const DESCRIPTION_CHARS: usize = 300;

/// `text` in at most [`DESCRIPTION_CHARS`] characters, cut after a whole word with `…`.
pub fn description(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= DESCRIPTION_CHARS {
        return text;
    }
    let cut: String = text.chars().take(DESCRIPTION_CHARS - 1).collect();
    let words = match cut.rfind(' ') {
        Some(i) if i > 0 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", words.trim_end_matches([',', ';', ':', '.', ' ']))
}

#[derive(Serialize)]
pub struct Updated {
    /// For `<time datetime>`: a date, or a UTC timestamp for a commit.
    pub iso: String,
    pub display: String,
    /// Where it came from: `commit` or `frontmatter`.
    pub source: &'static str,
}

pub fn updated(inc: &Incident) -> Option<Updated> {
    if let Some(t) = inc.last_commit {
        let date = t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        return Some(Updated {
            iso: t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            display: display_date(date),
            source: "commit",
        });
    }
    inc.updated.map(|d| Updated {
        iso: d.to_string(),
        display: display_date(d),
        source: "frontmatter",
    })
}

pub fn timestamps(ts: &Timestamps) -> Vec<TimestampView> {
    Timestamps::NAMES
        .iter()
        .zip(Timestamps::LABELS)
        .filter_map(|(n, label)| {
            let i = ts.get(n)?;
            Some(TimestampView {
                name: n,
                label,
                text: i.text.clone(),
                display: i.text.get(..16).unwrap_or(&i.text).replace('T', " ")
                    + " "
                    + &i.text[19.min(i.text.len())..],
            })
        })
        .collect()
}

pub fn action_items(items: &[ActionItem], today: Date) -> Vec<ActionItemView<'_>> {
    items
        .iter()
        .map(|item| ActionItemView {
            item,
            status_text: ItemStatus::TEXTS[item.status as usize],
            due_display: item.due.map(display_date),
            overdue: item.due.is_some_and(|d| d < today) && !item.status.is_closed(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_display_as_strftime_writes_them() {
        for year in [-9999, -10, -1, 0, 1, 9, 99, 999, 1999, 2024, 9999] {
            for month in 1..=12 {
                for day in [1, 9, 10, 28] {
                    let d = Date::new(year, month, day).unwrap();
                    assert_eq!(display_date(d), d.strftime("%-d %b %Y").to_string());
                }
            }
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(display_duration(SignedDuration::from_mins(45)), "45m");
        assert_eq!(display_duration(SignedDuration::from_mins(240)), "4h");
        assert_eq!(display_duration(SignedDuration::from_mins(148)), "2h 28m");
        assert_eq!(display_duration(SignedDuration::from_hours(75)), "3d 3h");
    }
}
