//! Finds the postmortem's sections in its Markdown body (SCHEMA.md: lessons, action items,
//! contributing factors, timeline) and the links to other postmortems.

use pulldown_cmark::{Event, HeadingLevel, LinkType, Tag, TagEnd};

use super::incident::{AssetRef, BodyLink, LinkTarget};
use super::markdown;

/// The sections kb reads, and every heading that names each one: those of the Google SRE book,
/// Atlassian, PagerDuty and DFDS templates and their everyday variants. The one place they live.
/// Earlier entries win: "Root cause and resolution" is a Factors heading.
pub const SECTION_HEADINGS: &[(Section, &[&str])] = &[
    (
        Section::Summary,
        &[
            "summary",
            "issue summary",
            "incident summary",
            "executive summary",
            "overview",
            "tldr",
            "tl dr",
        ],
    ),
    (
        Section::Timeline,
        &["timeline", "chronology", "sequence of events"],
    ),
    (
        Section::Factors,
        &[
            "contributing factors",
            "contributing factor",
            "root causes",
            "root cause",
            "causes",
            "cause",
        ],
    ),
    (
        Section::ActionItems,
        &[
            "action items",
            "action item",
            "actions",
            "follow up actions",
            "follow ups",
            "followups",
            "follow up",
            "next steps",
            "remediation items",
            "remediations",
            "remediation",
            "corrective and preventative measures",
            "corrective and preventive measures",
            "corrective actions",
            "corrective measures",
            "preventive measures",
            "preventative measures",
            "preventive actions",
        ],
    ),
    (
        Section::Lessons,
        &[
            "lessons learned",
            "lessons learnt",
            "lessons",
            "what we learned",
            "what we learnt",
            "learnings",
            "takeaways",
            "key takeaways",
            // PagerDuty's heading over went well / didn't go so well / got lucky.
            "how d we do",
        ],
    ),
    (
        Section::WentWell,
        &["what went well", "things that went well", "went well"],
    ),
    (
        Section::WentWrong,
        &[
            "what went wrong",
            "things that went wrong",
            "what didn t go well",
            "what did not go well",
            "what didn t go so well",
            "what did not go so well",
            "what could have gone better",
            "went wrong",
        ],
    ),
    (
        Section::GotLucky,
        &[
            "where we got lucky",
            "what we got lucky",
            "got lucky",
            "where we were lucky",
            "where did we get lucky",
        ],
    ),
    (
        Section::Impact,
        &[
            "impact",
            "customer impact",
            "user impact",
            "business impact",
        ],
    ),
    (Section::Trigger, &["trigger", "triggers"]),
    (Section::Detection, &["detection"]),
    (
        Section::Resolution,
        &["resolution", "recovery", "mitigation"],
    ),
    (Section::Stats, &["stats", "statistics", "metrics"]),
    // Known to the templates but filling no field: they still start a section, so a label line
    // in plain text becomes a heading and ends the section before it.
    (
        Section::Other,
        &[
            "context",
            "background",
            "what happened",
            "leadup",
            "lead up",
            "fault",
            "response",
            "responders",
            "five whys",
            "messaging",
            "supporting information",
            "related records",
            "attendees",
            "participants",
            "aftermath",
            "the aftermath",
        ],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Summary,
    Timeline,
    Factors,
    ActionItems,
    Lessons,
    WentWell,
    WentWrong,
    GotLucky,
    Impact,
    Trigger,
    Detection,
    /// Recognised, kept as prose: the schema has no resolution field.
    Resolution,
    Stats,
    /// A template section that fills no field.
    Other,
}

impl Section {
    /// The incident field this section's items fill, for those the page also shows in their
    /// own form (`action_items` as a tracker, …).
    pub fn field(self) -> Option<&'static str> {
        match self {
            Section::Factors => Some("contributing_factors"),
            Section::ActionItems => Some("action_items"),
            Section::Lessons | Section::WentWell | Section::WentWrong | Section::GotLucky => {
                Some("lessons")
            }
            _ => None,
        }
    }

    /// The parts of a Lessons section that have their own list.
    pub fn is_lesson_part(self) -> bool {
        matches!(
            self,
            Section::WentWell | Section::WentWrong | Section::GotLucky
        )
    }
}

/// Which section a heading names: its words, lowercased without punctuation, must start with
/// one of the accepted headings ("## Lessons Learned:" and "Lessons learned (2024)" match).
pub fn classify(heading: &str) -> Option<Section> {
    let norm = normalize_heading(heading);
    SECTION_HEADINGS.iter().find_map(|(section, names)| {
        names
            .iter()
            .any(|n| {
                norm.strip_prefix(n)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            })
            .then_some(*section)
    })
}

/// Which section a heading names exactly, without more words ("Impact", not "Impact on us").
pub fn classify_exact(heading: &str) -> Option<Section> {
    let norm = normalize_heading(heading);
    SECTION_HEADINGS
        .iter()
        .find_map(|(section, names)| names.contains(&norm.as_str()).then_some(*section))
}

fn normalize_heading(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    collapse(&cleaned)
}

/// Which section a lead-in sentence introduces, for a list that follows it outside any section
/// ("Here are the lessons we learned:", "They made some systemic changes, such as:"), and
/// whether it says the items were already done. The sentence must end with a colon.
pub fn lead_in(text: &str) -> Option<(Section, bool)> {
    let t = text.trim_end();
    if !t.ends_with(':') {
        return None;
    }
    let norm = format!(" {} ", normalize_heading(t));
    let has = |words: &[&str]| words.iter().any(|w| norm.contains(&format!(" {w} ")));
    let section = if has(&[
        "lesson",
        "lessons",
        "learning",
        "learnings",
        "takeaway",
        "takeaways",
        "learned",
        "learnt",
    ]) {
        Section::Lessons
    } else if has(&[
        "action item",
        "action items",
        "follow up",
        "follow ups",
        "followups",
        "next steps",
        "measures",
        "remediation",
        "remediations",
        "systemic changes",
        "preventive changes",
        "corrective actions",
    ]) {
        Section::ActionItems
    } else if has(&[
        "contributing factors",
        "root cause",
        "root causes",
        "causes",
    ]) {
        Section::Factors
    } else {
        return None;
    };
    let done = section == Section::ActionItems
        && has(&[
            "did make",
            "we made",
            "they made",
            "were made",
            "have made",
            "has made",
            "we implemented",
            "they implemented",
            "were implemented",
            "have implemented",
            "put in place",
        ]);
    Some((section, done))
}

/// A list item of a section, with its task-list state when it had one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub text: String,
    pub checked: Option<bool>,
}

/// Where a section is in the body (byte offsets), for pages that show it in another form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    /// From its heading (or its lead-in sentence) to the next section.
    pub range: std::ops::Range<usize>,
    /// The heading, `None` for a list introduced by a sentence ([`lead_in`]).
    pub heading: Option<std::ops::Range<usize>>,
    pub heading_text: Option<String>,
    /// Its top-level lists and tables: where its items are.
    pub item_blocks: Vec<std::ops::Range<usize>>,
}

#[derive(Clone, Debug, Default)]
pub struct SectionBody {
    pub items: Vec<Item>,
    pub paragraphs: Vec<String>,
    /// Table rows (header excluded), each as its cells' plain text.
    pub rows: Vec<Vec<String>>,
    /// The tables' header cells ("Time (UTC)" names the zone of a timeline).
    pub headers: Vec<String>,
    /// How many tables the rows come from.
    pub tables: usize,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// The text of the first level-1 heading, when the body has one.
    pub h1: Option<String>,
    /// True when that heading is the first thing in the body (pages then skip it).
    pub h1_first: bool,
    pub first_paragraph: Option<String>,
    /// The first few top-level paragraphs, for a summary that skips bylines.
    pub lead_paragraphs: Vec<String>,
    pub sections: Vec<(Section, SectionBody)>,
    pub links: Vec<BodyLink>,
    /// Relative links and images that are not postmortems: attachments to copy.
    pub assets: Vec<AssetRef>,
}

/// How many paragraphs [`Scan::lead_paragraphs`] keeps.
const LEAD_PARAGRAPHS: usize = 5;

impl Scan {
    pub fn section(&self, which: Section) -> impl Iterator<Item = &SectionBody> {
        self.sections
            .iter()
            .filter(move |(s, _)| *s == which)
            .map(|(_, b)| b)
    }
}

/// The section being read: its kind, contents and heading level.
type Open = (Section, SectionBody, HeadingLevel);

/// Ends the open section at byte `end`.
fn close(scan: &mut Scan, open: &mut Option<Open>, end: usize) {
    if let Some((s, mut b, _)) = open.take() {
        b.span.range.end = end;
        scan.sections.push((s, b));
    }
}

/// Reads the body once, collecting headings, section contents and links.
/// `body_line` is the file line the body starts on, for link positions.
pub fn scan(body: &str, body_line: usize) -> Scan {
    scan_events(body, body_line, markdown::events(body))
}

/// [`scan`], given the body's [`markdown::events`].
pub fn scan_events(
    body: &str,
    body_line: usize,
    events: Vec<(Event<'_>, std::ops::Range<usize>)>,
) -> Scan {
    let mut scan = Scan::default();
    let mut current: Option<Open> = None;
    // The Lessons section whose parts ("### What went well") are read as their own sections.
    let mut lessons_level: Option<HeadingLevel> = None;
    // A sentence ending in a colon that introduces a list (`lead_in`), and the list it opened.
    let mut pending_lead: Option<(Section, bool, usize, String)> = None;
    let mut lead: Option<(Section, SectionBody, bool)> = None;
    let mut heading_range = 0..0;
    let mut text = String::new();
    let mut list_depth = 0usize;
    let mut item_checked: Option<bool> = None;
    let mut in_table_head = false;
    let mut row: Vec<String> = Vec::new();
    let mut seen_block = false;
    let line_starts = markdown::line_starts(body);
    // A `#` heading that opens a body with `##` sections is its title, not a section: "# Timeline
    // of the outage" must not swallow the sections below it. Bodies that use `#` for every
    // section (no `##`) keep them as sections, and so do later `#` headings.
    // The events are read twice, the body parsed once.
    let has_h2 = events.iter().any(|(e, _)| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            })
        )
    });

    for (event, range) in events {
        // Only a list right after the sentence is introduced by it.
        let block_start = matches!(
            &event,
            Event::Start(
                Tag::Heading { .. }
                    | Tag::Paragraph
                    | Tag::Table(_)
                    | Tag::CodeBlock(_)
                    | Tag::BlockQuote(_)
                    | Tag::HtmlBlock
            )
        );
        if list_depth == 0 && block_start {
            pending_lead = None;
        }
        match event {
            Event::Start(Tag::Heading { .. }) => {
                text.clear();
                heading_range = range.clone();
            }
            Event::End(TagEnd::Heading(level)) => {
                let title = text.trim().to_string();
                let seen_before = seen_block;
                if level == HeadingLevel::H1 && scan.h1.is_none() {
                    scan.h1_first = !seen_block;
                    scan.h1 = Some(title.clone());
                }
                seen_block = true;
                let kind = classify(&title);
                let open_level = current.as_ref().map(|(_, _, l)| *l);
                // A deeper heading stays inside its section ("### General" under lessons), except
                // the parts of a Lessons section, which have lists of their own.
                let nested = open_level.is_some_and(|l| level > l);
                let in_lessons = lessons_level.is_some_and(|l| level > l);
                let part = kind.filter(|k| k.is_lesson_part());
                let next = if in_lessons && part.is_some() {
                    part
                } else if nested {
                    None
                } else if in_lessons {
                    // Another heading among the parts: back to the Lessons section itself.
                    Some(Section::Lessons)
                } else {
                    lessons_level = None;
                    let title_heading = level == HeadingLevel::H1 && has_h2 && !seen_before;
                    if title_heading {
                        close(&mut scan, &mut current, heading_range.start);
                        text.clear();
                        continue;
                    }
                    kind
                };
                if nested && next.is_none() {
                    text.clear();
                    continue;
                }
                close(&mut scan, &mut current, heading_range.start);
                if let Some(section) = next {
                    if section == Section::Lessons && !in_lessons {
                        lessons_level = Some(level);
                    }
                    let body = SectionBody {
                        span: Span {
                            range: heading_range.start..body.len(),
                            heading: Some(heading_range.clone()),
                            heading_text: Some(title),
                            item_blocks: Vec::new(),
                        },
                        ..SectionBody::default()
                    };
                    let level = if in_lessons && !section.is_lesson_part() {
                        lessons_level.unwrap_or(level)
                    } else {
                        level
                    };
                    current = Some((section, body, level));
                }
                text.clear();
            }
            Event::Start(Tag::List(_)) => {
                if list_depth == 0 {
                    if let Some((section, done, start, sentence)) = pending_lead.take() {
                        let body = SectionBody {
                            paragraphs: vec![sentence],
                            span: Span {
                                range: start..range.end,
                                heading: None,
                                heading_text: None,
                                item_blocks: vec![range.clone()],
                            },
                            ..SectionBody::default()
                        };
                        lead = Some((section, body, done));
                    } else if let Some((_, b, _)) = current.as_mut() {
                        b.span.item_blocks.push(range.clone());
                    }
                }
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0
                    && let Some((section, b, _)) = lead.take()
                {
                    scan.sections.push((section, b));
                }
            }
            Event::Start(Tag::Item) if list_depth == 1 => {
                text.clear();
                item_checked = None;
            }
            // Nested items stay part of their parent's text, separated.
            Event::Start(Tag::Item) => text.push_str("; "),
            Event::TaskListMarker(checked) if list_depth == 1 => item_checked = Some(checked),
            Event::End(TagEnd::Item) if list_depth == 1 => {
                let t = collapse(&text);
                if !t.is_empty() {
                    if let Some((_, b, done)) = lead.as_mut() {
                        b.items.push(Item {
                            text: t,
                            checked: item_checked.or(done.then_some(true)),
                        });
                    } else if let Some((_, b, _)) = current.as_mut() {
                        b.items.push(Item {
                            text: t,
                            checked: item_checked,
                        });
                    }
                }
                text.clear();
                seen_block = true;
            }
            Event::Start(Tag::Paragraph) if list_depth == 0 => text.clear(),
            Event::End(TagEnd::Paragraph) if list_depth == 0 => {
                let t = collapse(&text);
                if !t.is_empty() {
                    if scan.first_paragraph.is_none() {
                        scan.first_paragraph = Some(t.clone());
                    }
                    if scan.lead_paragraphs.len() < LEAD_PARAGRAPHS {
                        scan.lead_paragraphs.push(t.clone());
                    }
                    let outside = current
                        .as_ref()
                        .is_none_or(|(s, _, _)| *s == Section::Other);
                    if outside && let Some((section, done)) = lead_in(&t) {
                        pending_lead = Some((section, done, range.start, t.clone()));
                    }
                    if let Some((_, b, _)) = current.as_mut() {
                        b.paragraphs.push(t);
                    }
                }
                text.clear();
                seen_block = true;
            }
            Event::End(TagEnd::Paragraph) => text.push(' '),
            Event::Start(Tag::Table(_)) => {
                if list_depth == 0
                    && let Some((_, b, _)) = current.as_mut()
                {
                    b.tables += 1;
                    b.span.item_blocks.push(range.clone());
                }
            }
            Event::Start(Tag::TableHead) => {
                in_table_head = true;
                row.clear();
            }
            Event::End(TagEnd::TableHead) => {
                in_table_head = false;
                if let Some((_, b, _)) = current.as_mut() {
                    b.headers.append(&mut row);
                }
                row.clear();
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::Start(Tag::TableCell) => text.clear(),
            Event::End(TagEnd::TableCell) => {
                row.push(collapse(&text));
                text.clear();
            }
            Event::End(TagEnd::TableRow) => {
                if !in_table_head && let Some((_, b, _)) = current.as_mut() {
                    b.rows.push(std::mem::take(&mut row));
                }
                seen_block = true;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let target = match link_type {
                    LinkType::WikiLink { .. } => Some(LinkTarget::Id(dest_url.trim().to_string())),
                    _ => markdown::md_link_path(&dest_url).map(|p| LinkTarget::Path(p.to_string())),
                };
                let (line, col) = markdown::line_col_at(&line_starts, body, range.start);
                let line = line + body_line - 1;
                if let Some(target) = target {
                    scan.links.push(BodyLink { target, line, col });
                } else if let Some(written) = super::assets::attachment(&dest_url) {
                    scan.assets.push(AssetRef {
                        written: written.to_string(),
                        image: false,
                        line,
                        col,
                    });
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(written) = super::assets::attachment(&dest_url) {
                    let (line, col) = markdown::line_col_at(&line_starts, body, range.start);
                    scan.assets.push(AssetRef {
                        written: written.to_string(),
                        image: true,
                        line: line + body_line - 1,
                        col,
                    });
                }
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::Start(Tag::CodeBlock(_)) | Event::Html(_) => seen_block = true,
            _ => {}
        }
    }
    close(&mut scan, &mut current, body.len());
    scan
}

fn collapse(s: &str) -> String {
    // Most text is single-spaced ASCII already: copied whole, not decoded word by word (4 % of
    // the CPU of reading 100,000 postmortems went to splitting here).
    if is_collapsed(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// ASCII with single spaces between words and none at either end: what [`collapse`] returns
/// unchanged. Whitespace as `split_whitespace` sees it.
///
/// Searched for with memchr rather than byte by byte: a byte-pair loop over every paragraph
/// was 1.1 % of a build's instructions (near-duplicate shape, 10,000).
fn is_collapsed(s: &str) -> bool {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let b = s.as_bytes();
    s.is_ascii()
        && !b.first().is_some_and(|&c| ws(c))
        && !b.last().is_some_and(|&c| ws(c))
        && memchr::memchr3(b'\t', b'\n', b'\r', b).is_none()
        && memchr::memchr2(0x0B, 0x0C, b).is_none()
        && memchr::memmem::find(b, b"  ").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_keeps_single_spaced_text_and_collapses_the_rest() {
        for s in [
            "",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\x0Bb",
            "a\x0Cb",
            "a\rb",
            "a \n b",
            "  ",
            "caf\u{e9} au  lait",
            "a\u{a0}b",
            "a\u{2003}b",
            "one two three",
        ] {
            let slow = s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse(s), slow, "{s:?}");
        }
        assert!(is_collapsed("one two three"));
        assert!(!is_collapsed("one  two"));
        assert!(!is_collapsed("one\ttwo"));
        assert!(!is_collapsed(" one"));
    }

    #[test]
    fn headings_match_loosely() {
        assert_eq!(classify("Lessons Learned:"), Some(Section::Lessons));
        assert_eq!(classify("What we learned"), Some(Section::Lessons));
        assert_eq!(
            classify("Contributing Factors (findings)"),
            Some(Section::Factors)
        );
        assert_eq!(classify("Action items"), Some(Section::ActionItems));
        assert_eq!(classify("Lessonsx"), None);
        assert_eq!(classify("Glossary"), None);
        // Known, but filling no field.
        assert_eq!(classify("Attendees"), Some(Section::Other));
    }

    #[test]
    fn the_common_templates_headings_are_read() {
        for (heading, section) in [
            ("Issue Summary:", Section::Summary),
            ("Impact", Section::Impact),
            ("Root Causes", Section::Factors),
            ("Root Cause and Resolution", Section::Factors),
            ("Trigger", Section::Trigger),
            ("Resolution", Section::Resolution),
            ("Detection", Section::Detection),
            ("Corrective and Preventative Measures", Section::ActionItems),
            ("Remediation", Section::ActionItems),
            ("Follow-ups", Section::ActionItems),
            ("What we learned", Section::Lessons),
            ("How'd We Do?", Section::Lessons),
            ("What didn't go so well?", Section::WentWrong),
            ("Where did we get lucky?", Section::GotLucky),
            ("Context", Section::Other),
        ] {
            assert_eq!(classify(heading), Some(section), "{heading}");
        }
        assert_eq!(classify_exact("Impact"), Some(Section::Impact));
        assert_eq!(classify_exact("Impact on us"), None);
    }

    #[test]
    fn the_parts_of_a_lessons_section_are_sections_of_their_own() {
        let body = "## Lessons Learned\n\n- general\n\n### What went well\n\n- well\n\n### Details\n\n- more general\n\n### Where we got lucky\n\n- lucky\n\n## Action items\n\n- act\n";
        let s = scan(body, 1);
        let items = |w| -> Vec<String> {
            s.section(w)
                .flat_map(|b| b.items.iter().map(|i| i.text.clone()))
                .collect()
        };
        assert_eq!(items(Section::Lessons), ["general", "more general"]);
        assert_eq!(items(Section::WentWell), ["well"]);
        assert_eq!(items(Section::GotLucky), ["lucky"]);
        assert_eq!(items(Section::ActionItems), ["act"]);
        // Each section's span runs from its heading to the next, its lists noted.
        let (_, well) = &s.sections[1];
        assert_eq!(
            &body[well.span.range.clone()],
            "### What went well\n\n- well\n\n"
        );
        assert_eq!(body[well.span.item_blocks[0].clone()].trim_end(), "- well");
        assert_eq!(well.span.heading_text.as_deref(), Some("What went well"));
    }

    #[test]
    fn a_list_after_a_sentence_that_names_it_is_that_section() {
        let body = "## The aftermath\n\nThey did make some systemic changes, such as:\n\n- smaller database\n- faster restore\n\nEven more important are the lessons they learned:\n\n- sleep\n\nA sentence:\n\nNot a list.\n\n- stray\n";
        let s = scan(body, 1);
        let ai: Vec<_> = s.section(Section::ActionItems).collect();
        assert_eq!(ai.len(), 1);
        assert_eq!(ai[0].items.len(), 2);
        // "did make": done.
        assert_eq!(ai[0].items[0].checked, Some(true));
        assert!(ai[0].span.heading.is_none());
        assert!(body[ai[0].span.range.clone()].starts_with("They did make"));
        let lessons: Vec<_> = s.section(Section::Lessons).collect();
        assert_eq!(lessons[0].items[0].text, "sleep");
        assert_eq!(lessons[0].items[0].checked, None);
        // Not introduced, not taken; and inside a known section the section decides.
        assert_eq!(s.sections.len(), 3);
        assert_eq!(lead_in("These are the causes"), None);
        assert_eq!(
            lead_in("Here is what I learned:"),
            Some((Section::Lessons, false))
        );
    }

    #[test]
    fn a_title_named_like_a_section_does_not_swallow_the_sections() {
        let body = "# Lessons from the outage\n\nIntro.\n\n## Action items\n\n- [ ] fix it\n\n## Lessons learned\n\n- learn\n";
        let s = scan(body, 1);
        let ai: Vec<_> = s.section(Section::ActionItems).collect();
        assert_eq!(ai.len(), 1);
        assert_eq!(ai[0].items[0].text, "fix it");
        let l: Vec<_> = s.section(Section::Lessons).collect();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].items.len(), 1);
        // Without any `##`, `#` headings are the sections; so are `#` headings after the first
        // block.
        let flat = scan("# Summary\n\nS.\n\n# Lessons learned\n\n- one\n", 1);
        assert_eq!(flat.section(Section::Lessons).count(), 1);
        let later = scan("Intro.\n\n# Lessons learned\n\n## Details\n\n- one\n", 1);
        assert_eq!(later.section(Section::Lessons).count(), 1);
    }

    #[test]
    fn scans_sections_items_rows_and_links() {
        let body = "# Title\n\nFirst para.\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| 2021-06-22 08:21 | start |\n\n## Action Items\n\n- [x] done thing\n- [ ] open thing\n  - nested detail\n\n## Lessons learned\n\n### General\n\n- learn [[other-id]]\n\nSee [x](../2020/other.md).\n";
        let s = scan(body, 5);
        assert_eq!(s.h1.as_deref(), Some("Title"));
        assert!(s.h1_first);
        assert_eq!(s.first_paragraph.as_deref(), Some("First para."));
        let tl: Vec<_> = s.section(Section::Timeline).collect();
        assert_eq!(
            tl[0].rows,
            vec![vec!["2021-06-22 08:21".to_string(), "start".into()]]
        );
        let ai: Vec<_> = s.section(Section::ActionItems).collect();
        assert_eq!(ai[0].items.len(), 2);
        assert_eq!(ai[0].items[0].checked, Some(true));
        assert_eq!(ai[0].items[1].text, "open thing; nested detail");
        let l: Vec<_> = s.section(Section::Lessons).collect();
        assert_eq!(l[0].items[0].text, "learn other-id");
        assert_eq!(s.links.len(), 2);
        assert_eq!(s.links[0].target, LinkTarget::Id("other-id".into()));
        assert_eq!(s.links[0].line, 25);
        assert_eq!(
            s.links[1].target,
            LinkTarget::Path("../2020/other.md".into())
        );
    }
}
