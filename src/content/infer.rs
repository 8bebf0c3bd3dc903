//! What kb infers when a postmortem says less (SCHEMA.md, "inferred from, when absent").

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};

use super::files;
use super::incident::{ActionItem, Factor, Incident, Instant, ItemStatus};
use super::sections::{Scan, Section, SectionBody};
use super::template::{is_template_text, without_template_text};

const SUMMARY_MAX: usize = 300;

/// Every valid `YYYY-MM-DD` in `text`, in order, with its byte offset.
pub fn find_dates(text: &str) -> impl Iterator<Item = (Date, usize)> + '_ {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9)).filter_map(move |i| {
        let w = &b[i..i + 10];
        let shape = w[4] == b'-'
            && w[7] == b'-'
            && [0, 1, 2, 3, 5, 6, 8, 9]
                .iter()
                .all(|&j| w[j].is_ascii_digit());
        let bounded = (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit());
        if !(shape && bounded) {
            return None;
        }
        std::str::from_utf8(w)
            .ok()?
            .parse::<Date>()
            .ok()
            .map(|d| (d, i))
    })
}

/// A date written out in prose, found by [`written_dates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenDate {
    /// `None` when the text gives no year ("On March 4th").
    pub date: Option<Date>,
    /// Byte offset and length of the words in the text.
    pub at: usize,
    pub len: usize,
}

/// Dates written with a month name: "30th June 2021", "30 June, 2021", "June 30, 2021",
/// "Jun 30th 2021", and the same without a year. The month name must be capitalised, so that
/// "may 5" in a sentence is no date.
pub fn written_dates(text: &str) -> Vec<WrittenDate> {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let word = |i: usize| words.get(i).map_or("", |(_, w)| *w);
    // The span ends before trailing punctuation: "March 4th," is "March 4th".
    let end = |i: usize| words[i].0 + words[i].1.trim_end_matches([',', '.', ';', ':', ')']).len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // Day month [year], with an optional "of"; or month day [year].
        let found = match (day_of(word(i)), month_of(word(i))) {
            (Some(d), _) => {
                let m_at = if word(i + 1) == "of" { i + 2 } else { i + 1 };
                month_of(word(m_at)).map(|m| (d, m, m_at + 1))
            }
            (None, Some(m)) => day_of(word(i + 1)).map(|d| (d, m, i + 2)),
            _ => None,
        };
        let Some((day, month, next)) = found else {
            i += 1;
            continue;
        };
        let year = year_of(word(next));
        let last = if year.is_some() { next } else { next - 1 };
        let date = year.and_then(|y| Date::new(y, month, day).ok());
        // A day the month never has ("31 June") is no date, with or without a year.
        if Date::new(2024, month, day).is_ok() && (year.is_none() || date.is_some()) {
            out.push(WrittenDate {
                date,
                at: words[i].0,
                len: end(last) - words[i].0,
            });
        }
        i = last + 1;
    }
    out
}

fn day_of(word: &str) -> Option<i8> {
    let w = word.trim_end_matches([',', '.']);
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    let ok = ["", "st", "nd", "rd", "th"].contains(&suffix.to_ascii_lowercase().as_str());
    (ok && (1..=2).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|d| (1..=31).contains(d))
}

fn month_of(word: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let w = word.trim_end_matches([',', '.']);
    if !w.starts_with(|c: char| c.is_ascii_uppercase()) || w.len() < 3 {
        return None;
    }
    let n = MONTHS
        .iter()
        .position(|m| *m == w || (m.starts_with(w) && (w.len() == 3 || w == "Sept")))?;
    Some(n as i8 + 1)
}

fn year_of(word: &str) -> Option<i16> {
    let w = word.trim_end_matches([',', '.', ';', ':', ')']);
    (w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
        .then(|| w.parse().ok())
        .flatten()
        .filter(|y| (1970..=2100).contains(y))
}

/// A date in the file name or its folders: `2024-03-07-x.md`, `2024/2024-03-07-x.md`, a dated
/// folder (`2024-03-07/notes.md`), or year, month and day split between the folders and the
/// start of the file name (`2024-03/07-x.md`, `2024-03/03-07-x.md` repeating the month,
/// `2024/03/07-x.md`, `2024/03-07-x.md`). A date is never read across a `/` any other way.
pub fn date_from_path(content_rel: &str) -> Option<Date> {
    let mut parts: Vec<&str> = content_rel.split(['/', '\\']).collect();
    let stem = files::stem(parts.pop()?);
    let full = |s: &str| find_dates(s).next().map(|(d, _)| d);
    full(stem)
        .or_else(|| date_from_folders(&parts, stem))
        .or_else(|| parts.iter().rev().find_map(|p| full(p)))
}

/// The year from the deepest folders made only of numbers, the month and day from what follows
/// it there and at the start of the file name.
fn date_from_folders(folders: &[&str], stem: &str) -> Option<Date> {
    let mut nums: Vec<&str> = Vec::new();
    for f in folders.iter().rev().take(3) {
        let n = leading_numbers(f);
        if n.is_empty() || n.join("-") != *f {
            break;
        }
        nums.splice(0..0, n);
        if nums[0].len() == 4 {
            break;
        }
    }
    let (year, rest) = nums.split_first().filter(|(y, _)| y.len() == 4)?;
    let file = leading_numbers(stem);
    let same = |a: &str, b: &str| a.parse::<u16>().ok() == b.parse().ok();
    let (month, day) = match (rest, file.as_slice()) {
        ([m, d], _) => (*m, *d),
        ([m], [m2, d, ..]) if same(m, m2) => (*m, *d),
        ([m], [d, ..]) => (*m, *d),
        ([], [m, d, ..]) => (*m, *d),
        _ => return None,
    };
    format!("{year}-{month:0>2}-{day:0>2}").parse().ok()
}
/// The numbers a path part starts with, up to three: `04-25-x` → `["04", "25"]`.
fn leading_numbers(part: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for piece in part.split(['-', '_']).take(3) {
        if !(1..=4).contains(&piece.len()) || !piece.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        out.push(piece);
    }
    out
}

/// The file name made readable: `2024-03-07-db-outage.md` → "Db outage".
pub fn humanize_file_name(content_rel: &str) -> String {
    let stem = files::stem(content_rel.rsplit('/').next().unwrap_or(content_rel));
    let stem = match find_dates(stem).next() {
        Some((_, 0)) => stem[10..].trim_start_matches(['-', '_', ' ']),
        _ => stem,
    };
    let words = stem.replace(['-', '_'], " ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Untitled incident".into(),
    }
}

/// Cuts text to the summary length at a word boundary.
pub fn clip_summary(text: &str) -> String {
    clip(text, SUMMARY_MAX)
}

/// Cuts text to at most `max` characters, at a word boundary when there is one in the second
/// half, ending in `…`.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

fn section_texts(scan: &Scan, which: Section) -> Vec<String> {
    scan.section(which)
        .flat_map(|b| {
            if b.items.is_empty() {
                b.paragraphs.clone()
            } else {
                b.items.iter().map(|i| i.text.clone()).collect()
            }
        })
        .filter(|t| !is_placeholder(t))
        .collect()
}

fn is_placeholder(t: &str) -> bool {
    let t = t.trim();
    t.is_empty() || t == "-" || t.eq_ignore_ascii_case("n/a") || t.eq_ignore_ascii_case("none")
}

/// Fills every field the frontmatter left empty from the body and the file name.
pub fn fill(inc: &mut Incident, scan: Scan, content_rel: &str) {
    // `kb new`'s prompts are no data: no summary, timeline row or action item from them.
    let scan = &without_template_text(scan);
    if inc.title.is_empty() {
        match &scan.h1 {
            Some(h1) if !h1.trim().is_empty() => inc.title = h1.trim().to_string(),
            _ => inc.title = humanize_file_name(content_rel),
        }
        inc.inferred.insert("title");
    }
    if inc.id.is_empty() {
        let stem = content_rel.rsplit('/').next().unwrap_or(content_rel);
        inc.id = slug::slugify(files::stem(stem));
        if inc.id.is_empty() {
            inc.id = "incident".into();
        }
        inc.inferred.insert("id");
    }
    if inc.summary.is_empty() {
        let from_section = scan
            .section(Section::Summary)
            .find_map(|b| summary_paragraph(&b.paragraphs));
        let lead = summary_paragraph(&scan.lead_paragraphs);
        let first = scan.first_paragraph.as_ref().filter(|p| !is_link_line(p));
        if let Some(s) = from_section.or(lead).or(first) {
            inc.summary = clip_summary(s);
            inc.inferred.insert("summary");
        }
    }
    fill_impact_trigger_detection(inc, scan);
    if inc.contributing_factors.is_empty() {
        inc.contributing_factors = section_texts(scan, Section::Factors)
            .into_iter()
            .map(|description| Factor {
                category: None,
                description,
            })
            .collect();
        if !inc.contributing_factors.is_empty() {
            inc.inferred.insert("contributing_factors");
        }
    }
    if inc.action_items.is_empty() {
        inc.action_items = scan
            .section(Section::ActionItems)
            .flat_map(|b| {
                let listed = b
                    .items
                    .iter()
                    .filter(|i| !is_placeholder(&i.text))
                    .map(|i| action_item_from_text(&i.text, i.checked));
                listed.chain(action_items_from_table(b))
            })
            .collect();
        if !inc.action_items.is_empty() {
            inc.inferred.insert("action_items");
        }
    }
    if inc.lessons.is_empty() {
        inc.lessons.general = section_texts(scan, Section::Lessons);
        inc.lessons.went_well = section_texts(scan, Section::WentWell);
        inc.lessons.went_wrong = section_texts(scan, Section::WentWrong);
        inc.lessons.got_lucky = section_texts(scan, Section::GotLucky);
        if !inc.lessons.is_empty() {
            inc.inferred.insert("lessons");
        }
    }
    let timeline: Vec<&SectionBody> = scan.section(Section::Timeline).collect();
    if inc.timestamps.is_empty() && !inc.inferred.contains("timestamps-out-of-order") {
        timestamps_from_timeline(inc, &timeline);
    }
    if inc.date.is_none() {
        inc.date = inc
            .timestamps
            .started
            .as_ref()
            .and_then(|s| s.text.get(..10)?.parse().ok())
            .or_else(|| date_from_path(content_rel))
            .or_else(|| {
                timeline
                    .iter()
                    .flat_map(|b| timeline_lines(b))
                    .filter_map(|l| find_dates(&l).next().map(|(d, _)| d))
                    .min()
            })
            .or_else(|| first_date_in(&inc.body));
        if inc.date.is_some() {
            inc.inferred.insert("date");
        }
    }
    if inc.duration.is_none() {
        inc.duration = inc.timestamps.ttr();
    }
    for b in scan.section(Section::Stats) {
        for item in &b.items {
            if let Some((k, v)) = item.text.split_once(':')
                && k.trim().eq_ignore_ascii_case("category")
                && !is_placeholder(v)
            {
                inc.inferred_tags.push(v.trim().to_string());
            }
        }
    }
}

/// The first date in prose, as `2021-06-30` or written out ("30th June 2021").
fn first_date_in(text: &str) -> Option<Date> {
    let iso = find_dates(text).next();
    let written = written_dates(text)
        .into_iter()
        .find_map(|w| Some((w.date?, w.at)));
    [iso, written]
        .into_iter()
        .flatten()
        .min_by_key(|(_, at)| *at)
        .map(|(d, _)| d)
}

/// The first paragraph that reads as a sentence, not a byline or a caption ("Jane Doe",
/// "Photo: the dashboard"): long enough, or ending like a sentence.
fn summary_paragraph(paragraphs: &[String]) -> Option<&String> {
    paragraphs.iter().find(|p| {
        !is_link_line(p)
            && (p.chars().count() >= 60
                || p.trim_end()
                    .ends_with(['.', '!', '?', ':', ')', '"', '\u{201d}', '…']))
    })
}

/// A line that only points elsewhere ("Internal post-mortem: https://…", "See
/// https://status.example.com"): a URL and at most four other words. No summary.
fn is_link_line(p: &str) -> bool {
    let is_url = |w: &str| w.starts_with("http://") || w.starts_with("https://");
    let words: Vec<&str> = p.split_whitespace().collect();
    words
        .iter()
        .any(|w| is_url(w.trim_start_matches(['<', '('])))
        && words
            .iter()
            .filter(|w| !is_url(w.trim_start_matches(['<', '('])))
            .count()
            <= 4
}

/// Impact, trigger and detection from their sections (the Google SRE book template's), where
/// the frontmatter has none. Text left from the `kb new` template is not taken.
fn fill_impact_trigger_detection(inc: &mut Incident, scan: &Scan) {
    let text = |which: Section| {
        scan.section(which).find_map(|b| {
            let parts: Vec<&str> = b
                .paragraphs
                .iter()
                .chain(b.items.iter().map(|i| &i.text))
                .map(String::as_str)
                .filter(|t| !is_placeholder(t) && !is_template_text(t))
                .collect();
            (!parts.is_empty()).then(|| clip_summary(&parts.join(" ")))
        })
    };
    if inc.impact.as_ref().is_none_or(|i| i.description.is_none())
        && let Some(t) = text(Section::Impact)
    {
        inc.impact.get_or_insert_default().description = Some(t);
        inc.inferred.insert("impact");
    }
    if inc.trigger.is_none()
        && let Some(t) = text(Section::Trigger)
    {
        inc.trigger = Some(t);
        inc.inferred.insert("trigger");
    }
    if inc.detection.as_ref().is_none_or(|d| d.source.is_none())
        && let Some(t) = text(Section::Detection)
    {
        inc.detection.get_or_insert_default().source = Some(t);
        inc.inferred.insert("detection");
    }
}

/// Action items from the one table of an Action items section (the SRE book's "Action Item |
/// Type | Owner | Bug"), its columns found by their headers.
fn action_items_from_table(b: &SectionBody) -> Vec<ActionItem> {
    if !b.items.is_empty() || b.tables != 1 {
        return Vec::new();
    }
    let col = |names: &[&str]| {
        b.headers.iter().position(|h| {
            let h = h.to_lowercase();
            names.iter().any(|n| h.contains(n))
        })
    };
    let title = col(&["action", "item", "task", "what", "description"]).unwrap_or(0);
    let (owner, status, kind, priority, due) = (
        col(&["owner", "assignee", "who"]),
        col(&["status", "state"]),
        col(&["type", "kind"]),
        col(&["priority"]),
        col(&["due"]),
    );
    let cell = |row: &[String], c: Option<usize>| {
        c.and_then(|c| row.get(c))
            .map(|t| t.trim())
            .filter(|t| !is_placeholder(t))
            .map(str::to_string)
    };
    b.rows
        .iter()
        .filter_map(|row| {
            let title = cell(row, Some(title))?;
            Some(ActionItem {
                title,
                owner: cell(row, owner),
                status: cell(row, status)
                    .and_then(|s| ItemStatus::parse(&s))
                    .unwrap_or_default(),
                kind: cell(row, kind)
                    .map(|k| k.to_lowercase())
                    .filter(|k| super::fields::ITEM_TYPES.contains(&k.as_str())),
                priority: cell(row, priority),
                due: cell(row, due).and_then(|d| d.parse().ok()),
                link: None,
            })
        })
        .collect()
}

fn timeline_lines(b: &SectionBody) -> Vec<String> {
    b.rows
        .iter()
        .map(|r| r.join(" | "))
        .chain(b.items.iter().map(|i| i.text.clone()))
        .collect()
}

fn action_item_from_text(text: &str, checked: Option<bool>) -> ActionItem {
    let owner = text
        .split_whitespace()
        .find(|w| w.starts_with('@') && w.len() > 1)
        .map(|w| {
            w.trim_start_matches('@')
                .trim_end_matches([',', '.', ')', ';'])
                .to_string()
        });
    ActionItem {
        title: text.to_string(),
        owner,
        status: if checked == Some(true) {
            ItemStatus::Done
        } else {
            ItemStatus::Open
        },
        ..ActionItem::default()
    }
}

/// The zone a word names in a timeline ("All times in UTC", "14:05 CET", "UTC+5:30",
/// "+05:30", "Europe/Berlin"). Only unambiguous abbreviations: CST or IST could be any of three
/// zones.
fn zone_named(word: &str) -> Option<TimeZone> {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '-');
    let hours = match word {
        "UTC" | "GMT" | "Z" | "WET" => 0,
        "CET" | "BST" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "EST" => -5,
        "EDT" => -4,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "JST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        other if other.contains('/') => return iana_zone(other),
        other => return utc_offset(other).map(TimeZone::fixed),
    };
    Offset::from_hours(hours).ok().map(TimeZone::fixed)
}

/// The zone database bundled into kb, never the machine's: the same build gives the same
/// timestamps everywhere.
fn iana_zone(name: &str) -> Option<TimeZone> {
    static DB: std::sync::LazyLock<jiff::tz::TimeZoneDatabase> =
        std::sync::LazyLock::new(jiff::tz::TimeZoneDatabase::bundled);
    DB.get(name).ok()
}

/// An offset: `UTC+5`, `GMT-03:30`, `UTC+0530`, or a bare `+05:30` (the bare form only with
/// minutes, so that "+5" in prose is no zone).
fn utc_offset(word: &str) -> Option<Offset> {
    let (rest, named) = match word
        .strip_prefix("UTC")
        .or_else(|| word.strip_prefix("GMT"))
    {
        Some(rest) => (rest, true),
        None => (word, false),
    };
    let sign: i32 = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &rest[1..];
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) if m.len() == 2 && (named || h.len() == 2) => (h, m),
        None if named && digits.len() <= 2 => (digits, "0"),
        None if digits.len() == 4 => digits.split_at(2),
        _ => return None,
    };
    if !(1..=2).contains(&h.len()) || !format!("{h}{m}").bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m >= 60 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

fn zone_in(text: &str) -> Option<TimeZone> {
    text.split_whitespace().find_map(zone_named)
}

/// A full date and time at the start of a timeline line, e.g. `2021-06-22 08:21`,
/// `2021-06-22 2:32 pm`.
fn leading_datetime(line: &str) -> Option<(DateTime, &str)> {
    let (date, at) = find_dates(line).next()?;
    if at > 3 {
        return None;
    }
    let rest = line[at + 10..].trim_start_matches(['T', ' ', ',']);
    // H:MM or HH:MM, with optional :SS ("8:40" is as common as "08:40").
    let token: &str = &rest[..rest
        .find(|c: char| !c.is_ascii_digit() && c != ':')
        .unwrap_or(rest.len())];
    let num = |p: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&p.len())
            .then(|| p.parse::<i8>().ok())
            .flatten()
    };
    let (h, m, sec) = match token.split(':').collect::<Vec<_>>().as_slice() {
        [h, m] => (num(h, 1..=2)?, num(m, 2..=2)?, 0),
        [h, m, sec] => (num(h, 1..=2)?, num(m, 2..=2)?, num(sec, 2..=2)?),
        _ => return None,
    };
    let mut rest = &rest[token.len()..];
    let (h, after) = match meridiem(rest) {
        Some((pm, after)) if (1..=12).contains(&h) => (h % 12 + if pm { 12 } else { 0 }, after),
        Some(_) => return None,
        None => (h, rest),
    };
    rest = after;
    let time = Time::new(h, m, sec, 0).ok()?;
    Some((date.to_datetime(time), rest))
}

/// "AM"/"pm"/"a.m." right after a time: whether it is PM, and the text after it.
fn meridiem(rest: &str) -> Option<(bool, &str)> {
    let t = rest.trim_start_matches(' ');
    let lower = t.get(..4).unwrap_or(t).to_ascii_lowercase();
    let (pm, len) = if lower.starts_with("a.m.") || lower.starts_with("p.m.") {
        (lower.starts_with('p'), 4)
    } else if lower.starts_with("am") || lower.starts_with("pm") {
        (lower.starts_with('p'), 2)
    } else {
        return None;
    };
    let after = &t[len..];
    // "10:05 amber alert" is no meridiem.
    after
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
        .then_some((pm, after))
}

/// Reads timestamps from Timeline rows whose date, time and zone are all certain.
fn timestamps_from_timeline(inc: &mut Incident, timeline: &[&SectionBody]) {
    let mut events: Vec<(Instant, String)> = Vec::new();
    for b in timeline {
        // "All times in UTC" above the table, or a "Time (UTC)" column.
        let section_zone = b.paragraphs.iter().chain(&b.headers).find_map(|p| {
            let lower = p.to_ascii_lowercase();
            (lower.contains("time") || lower.contains("zone") || lower.contains("when"))
                .then(|| zone_in(p))
                .flatten()
        });
        let lines = b
            .rows
            .iter()
            .map(|r| {
                (
                    r.first().cloned().unwrap_or_default(),
                    r[1.min(r.len())..].join(" "),
                )
            })
            .chain(b.items.iter().map(|i| (i.text.clone(), String::new())));
        for (when, what) in lines {
            let Some((dt, rest)) = leading_datetime(&when) else {
                continue;
            };
            let rest_first = rest.split_whitespace().next().unwrap_or("");
            let Some(tz) = zone_named(rest_first).or_else(|| section_zone.clone()) else {
                continue;
            };
            // A wall time that a DST change skips or repeats is no certain instant.
            let Ok(zoned) = tz.to_ambiguous_zoned_datetime(dt).unambiguous() else {
                continue;
            };
            let event = format!("{rest} {what}").to_lowercase();
            events.push((
                Instant {
                    at: zoned.timestamp(),
                    text: zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                },
                event,
            ));
        }
    }
    if events.is_empty() {
        return;
    }
    events.sort_by_key(|(i, _)| i.at);
    let find = |words: &[&str]| {
        events
            .iter()
            .find(|(_, e)| words.iter().any(|w| e.contains(w)))
            .map(|(i, _)| i.clone())
    };
    let ts = &mut inc.timestamps;
    ts.started = Some(events[0].0.clone());
    ts.detected = find(&[
        "detect",
        "alert",
        "noticed",
        "reported",
        "paged",
        "spotted",
        "discovered",
    ]);
    ts.acknowledged = find(&["acknowledg", "investigat", "declared", "on-call", "on call"]);
    ts.mitigated = find(&[
        "mitigat",
        "rolled back",
        "rollback",
        "roll back",
        "revert",
        "workaround",
        "failover",
        "failed over",
    ]);
    ts.resolved = events
        .iter()
        .rev()
        .find(|(_, e)| {
            [
                "resolved",
                "restored",
                "recovered",
                "fixed",
                "back to normal",
                "closed",
            ]
            .iter()
            .any(|w| e.contains(w))
        })
        .map(|(i, _)| i.clone());
    // Keyword matches can land out of lifecycle order; keep only what is ordered.
    let mut last = ts.started.as_ref().map(|s| s.at);
    for name in ["detected", "acknowledged", "mitigated", "resolved"] {
        let slot = ts.slot(name).expect("known name");
        if let Some(i) = slot {
            if last.is_some_and(|l| i.at < l) {
                *slot = None;
            } else {
                last = Some(i.at);
            }
        }
    }
    inc.inferred.insert("timestamps");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::sections::scan;

    #[test]
    fn dates_in_paths() {
        assert_eq!(
            date_from_path("2024-03-07-x.md"),
            Some(jiff::civil::date(2024, 3, 7))
        );
        assert_eq!(
            date_from_path("2024-03/07-x.md"),
            Some(jiff::civil::date(2024, 3, 7))
        );
        assert_eq!(
            date_from_path("2024/2024-03-07-x.md"),
            Some(jiff::civil::date(2024, 3, 7))
        );
        assert_eq!(
            date_from_path("2024/03/07-x.md"),
            Some(jiff::civil::date(2024, 3, 7))
        );
        // The month repeated in the file name: not read across the slash as 2023-04-04.
        assert_eq!(
            date_from_path("2023-04/04-25-User_Account_Compromise.md"),
            Some(jiff::civil::date(2023, 4, 25))
        );
        for p in [
            "2024-03-07/notes.md",
            "2024/03-07-x.md",
            "2024/03/07/notes.md",
            "team/2024-03/03-07-x.md",
            "2024/2024-03/7-x.md",
        ] {
            assert_eq!(
                date_from_path(p),
                Some(jiff::civil::date(2024, 3, 7)),
                "{p}"
            );
        }
        assert_eq!(date_from_path("2024-march/07-x.md"), None);
        assert_eq!(
            date_from_path("2024-03/x.md"),
            None,
            "a month is not a date"
        );
        assert_eq!(
            date_from_path("2024-03/2023-12-01-x.md"),
            Some(jiff::civil::date(2023, 12, 1))
        );
        assert_eq!(date_from_path("PM2021-005 - All.md"), None);
        assert_eq!(date_from_path("2024-02-30-x.md"), None);
    }

    #[test]
    fn humanized_names() {
        assert_eq!(
            humanize_file_name("2024/2024-03-07-db-outage.md"),
            "Db outage"
        );
        assert_eq!(humanize_file_name("x/login_slow.md"), "Login slow");
    }

    #[test]
    fn summary_is_clipped_on_a_word() {
        let long = "word ".repeat(100);
        let s = clip_summary(&long);
        assert!(s.chars().count() <= 300);
        assert!(s.ends_with("word…"));
    }

    #[test]
    fn infers_from_a_bare_postmortem() {
        let body = "# Login outage\n\n## Summary\n\nLogins failed.\n\n## Timeline\n\nAll times in CET.\n\n| Time | Event |\n|---|---|\n| 2020-01-21 15:36 | Cert expires |\n| 2020-01-21 16:02 | First alert fired |\n| 2020-01-21 18:04 | New cert, service restored |\n\n## Action Items\n\n- [x] Document it @alice\n- Monitor expiry\n\n## Lessons Learned\n\nWatch expiry dates.\n\n# Stats\n\n- Category: Kubernetes\n";
        let mut inc = Incident {
            body: body.into(),
            ..Incident::default()
        };
        fill(&mut inc, scan(body, 1), "PM2020-002 - KIAM.md");
        assert_eq!(inc.title, "Login outage");
        assert_eq!(inc.id, "pm2020-002-kiam");
        assert_eq!(inc.summary, "Logins failed.");
        assert_eq!(inc.date, Some(jiff::civil::date(2020, 1, 21)));
        let ts = &inc.timestamps;
        assert_eq!(
            ts.started.as_ref().unwrap().text,
            "2020-01-21T15:36:00+01:00"
        );
        assert_eq!(
            ts.detected.as_ref().unwrap().text,
            "2020-01-21T16:02:00+01:00"
        );
        assert_eq!(
            ts.resolved.as_ref().unwrap().text,
            "2020-01-21T18:04:00+01:00"
        );
        assert_eq!(inc.duration, Some(jiff::SignedDuration::from_mins(148)));
        assert_eq!(inc.action_items.len(), 2);
        assert_eq!(inc.action_items[0].status, ItemStatus::Done);
        assert_eq!(inc.action_items[0].owner.as_deref(), Some("alice"));
        assert_eq!(inc.lessons.general, vec!["Watch expiry dates."]);
        assert_eq!(inc.inferred_tags, vec!["Kubernetes"]);
    }

    #[test]
    fn timeline_times_with_one_digit_hours() {
        let (dt, rest) = leading_datetime("2021-06-22 8:40 UTC alert fired").unwrap();
        assert_eq!(dt.to_string(), "2021-06-22T08:40:00");
        assert_eq!(rest, " UTC alert fired");
        let (dt, _) = leading_datetime("2021-06-22T08:40:05Z x").unwrap();
        assert_eq!(dt.to_string(), "2021-06-22T08:40:05");
        assert!(leading_datetime("2021-06-22 840 x").is_none());
        assert!(leading_datetime("2021-06-22 25:00 x").is_none());
    }

    #[test]
    fn a_zone_in_the_timeline_header_applies_to_its_rows() {
        let body = "## Timeline\n\n| Time (CET) | Event |\n|---|---|\n| 2020-01-21 15:36 | started |\n| 2020-01-21 16:02 | alert fired, detected |\n| 2020-01-21 18:04 | resolved |\n";
        let mut inc = Incident::default();
        fill(&mut inc, scan(body, 1), "x.md");
        let ts = &inc.timestamps;
        assert_eq!(
            ts.started.as_ref().unwrap().text,
            "2020-01-21T15:36:00+01:00"
        );
        assert_eq!(
            ts.resolved.as_ref().unwrap().text,
            "2020-01-21T18:04:00+01:00"
        );
        // A header without a zone gives none.
        let body = body.replace("Time (CET)", "Time");
        let mut inc = Incident::default();
        fill(&mut inc, scan(&body, 1), "x.md");
        assert!(inc.timestamps.is_empty());
    }

    #[test]
    fn a_link_line_is_no_summary() {
        let body = "Internal post-mortem: https://wiki.example.com/pm/2024-03-01-checkout-outage\n\n\
                    Checkout returned errors for an hour after the payment SDK was upgraded.\n";
        let mut inc = Incident::default();
        fill(&mut inc, scan(body, 1), "x.md");
        assert_eq!(
            inc.summary,
            "Checkout returned errors for an hour after the payment SDK was upgraded."
        );
        let mut inc = Incident::default();
        fill(
            &mut inc,
            scan("See <https://status.example.com/i/42>\n", 1),
            "x.md",
        );
        assert_eq!(inc.summary, "");
    }

    #[test]
    fn the_summary_skips_a_byline_and_template_text_is_no_impact() {
        let body = "# T\n\nJane Doe\n\nThe queue froze for an hour after a broker upgrade.\n\n## Impact\n\nWho and what was affected, how badly, for how long. Numbers where you have them.\n\n## Trigger\n\nA broker upgrade.\n";
        let mut inc = Incident::default();
        fill(&mut inc, scan(body, 1), "x.txt");
        assert_eq!(
            inc.summary,
            "The queue froze for an hour after a broker upgrade."
        );
        assert_eq!(inc.impact, None, "the kb new template's sentence");
        assert_eq!(inc.trigger.as_deref(), Some("A broker upgrade."));
        assert!(inc.inferred.contains("trigger") && !inc.inferred.contains("impact"));
        assert_eq!(inc.id, "x");
    }

    #[test]
    fn no_zone_means_no_timestamps() {
        let body = "## Timeline\n\n- 2020-01-21 15:36 started\n- 2020-01-21 16:00 resolved\n";
        let mut inc = Incident::default();
        fill(&mut inc, scan(body, 1), "x.md");
        assert!(inc.timestamps.is_empty());
        assert_eq!(inc.date, Some(jiff::civil::date(2020, 1, 21)));
    }
    fn started(body: &str) -> Option<String> {
        let mut inc = Incident::default();
        fill(&mut inc, scan(body, 1), "x.md");
        inc.timestamps.started.map(|s| s.text)
    }

    #[test]
    fn offsets_with_minutes() {
        for w in ["UTC+5:30", "UTC+05:30", "GMT+0530", "+05:30", "+0530"] {
            assert_eq!(utc_offset(w), Offset::from_seconds(19800).ok(), "{w}");
        }
        assert_eq!(utc_offset("GMT-03:30"), Offset::from_seconds(-12600).ok());
        assert_eq!(utc_offset("UTC+2"), Offset::from_hours(2).ok());
        for w in ["+5", "+5:30", "UTC+5:75", "UTC+15", "5:30", "UTC+", "+05:3"] {
            assert_eq!(utc_offset(w), None, "{w}");
        }
        let table = |zone: &str| {
            format!(
                "## Timeline\n\n{zone}\n\n| Time | Event |\n|---|---|\n| 2024-05-03 10:00 | deploy |\n"
            )
        };
        assert_eq!(
            started(&table("All times in UTC+5:30.")).as_deref(),
            Some("2024-05-03T10:00:00+05:30")
        );
        assert_eq!(
            started(&table("All times in GMT-03:30")).as_deref(),
            Some("2024-05-03T10:00:00-03:30")
        );
        let header =
            "## Timeline\n\n| Time (+05:30) | Event |\n|---|---|\n| 2024-05-03 10:00 | deploy |\n";
        assert_eq!(
            started(header).as_deref(),
            Some("2024-05-03T10:00:00+05:30")
        );
        // RFC 3339 rows carry their own offset.
        let rows = "## Timeline\n\n- 2024-05-03T10:00:00+05:30 deploy\n- 2024-05-03T10:20:00+05:30 resolved\n";
        assert_eq!(started(rows).as_deref(), Some("2024-05-03T10:00:00+05:30"));
    }

    #[test]
    fn iana_zones_follow_dst_for_the_date() {
        let table = |zone: &str, date: &str| {
            format!(
                "## Timeline\n\n| Time ({zone}) | Event |\n|---|---|\n| {date} 10:00 | deploy |\n"
            )
        };
        assert_eq!(
            started(&table("Europe/Berlin", "2024-01-15")).as_deref(),
            Some("2024-01-15T10:00:00+01:00")
        );
        assert_eq!(
            started(&table("Europe/Berlin", "2024-07-15")).as_deref(),
            Some("2024-07-15T10:00:00+02:00")
        );
        assert_eq!(
            started("## Timeline\n\nAll times in America/New_York.\n\n- 2024-07-15 10:00 deploy\n")
                .as_deref(),
            Some("2024-07-15T10:00:00-04:00")
        );
        // Per row, and a zone that is no zone gives nothing.
        assert_eq!(
            started("## Timeline\n\n- 2024-01-15 10:00 America/New_York deploy\n").as_deref(),
            Some("2024-01-15T10:00:00-05:00")
        );
        assert_eq!(started(&table("Mars/Olympus", "2024-01-15")), None);
        // 02:30 on 2024-03-31 never happened in Berlin: no guessed instant.
        assert_eq!(
            started("## Timeline\n\n- 2024-03-31 02:30 Europe/Berlin deploy\n"),
            None
        );
    }

    #[test]
    fn times_with_am_and_pm() {
        let t = |l: &str| leading_datetime(l).map(|(dt, rest)| (dt.to_string(), rest.to_string()));
        assert_eq!(
            t("2021-06-30 2:32 pm UTC x"),
            Some(("2021-06-30T14:32:00".into(), " UTC x".into()))
        );
        assert_eq!(t("2021-06-30 12:05 AM x").unwrap().0, "2021-06-30T00:05:00");
        assert_eq!(
            t("2021-06-30 12:05 p.m. x").unwrap().0,
            "2021-06-30T12:05:00"
        );
        assert_eq!(
            t("2021-06-30 10:05 amber").unwrap().0,
            "2021-06-30T10:05:00"
        );
        assert!(t("2021-06-30 14:05 PM x").is_none(), "no 14 PM");
        assert_eq!(
            started("## Timeline\n\nAll times in UTC.\n\n- 2021-06-30 10:05 AM deploy\n- 2021-06-30 2:32 PM resolved\n").as_deref(),
            Some("2021-06-30T10:05:00+00:00")
        );
    }
    #[test]
    fn dates_written_out() {
        let d = |t: &str| written_dates(t).first().map(|w| w.date);
        let june30 = Some(Some(jiff::civil::date(2021, 6, 30)));
        for t in [
            "on 30th June 2021 at noon",
            "on June 30, 2021.",
            "30 June, 2021",
            "the 30th of June 2021",
            "Jun 30th 2021",
        ] {
            assert_eq!(d(t), june30, "{t}");
        }
        assert_eq!(d("On March 4th the disk filled"), Some(None));
        let w = written_dates("x\nOn March 4th, y")[0];
        assert_eq!((w.at, w.len), (5, 9));
        for t in [
            "we may 5 times",
            "31 June 2021",
            "June 2021",
            "in 30 days",
            "March 40",
        ] {
            assert_eq!(d(t), None, "{t}");
        }
        // The first date in the body, of either form, dates the incident.
        let body = "It failed on 30th June 2021, and again on 2021-07-02.";
        let mut inc = Incident {
            body: body.into(),
            ..Incident::default()
        };
        fill(&mut inc, scan(body, 1), "x.md");
        assert_eq!(inc.date, Some(jiff::civil::date(2021, 6, 30)));
        let body = "On March 4th the disk filled.";
        let mut inc = Incident {
            body: body.into(),
            ..Incident::default()
        };
        fill(&mut inc, scan(body, 1), "x.md");
        assert_eq!(inc.date, None, "a year is never guessed");
    }
}
