//! Finds the postmortem's sections in its Markdown body (SCHEMA.md: lessons, action items,
//! contributing factors, timeline) and the links to other postmortems.

use pulldown_cmark::{Event, HeadingLevel, LinkType, Parser, Tag, TagEnd};

use super::incident::{BodyLink, LinkTarget};
use super::markdown;

/// The sections kb reads, and every heading that names each one. The one place they live.
pub const SECTION_HEADINGS: &[(Section, &[&str])] = &[
    (Section::Summary, &["summary", "overview", "tldr", "tl dr"]),
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
        ],
    ),
    (Section::Stats, &["stats", "statistics", "metrics"]),
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
    Stats,
}

/// Which section a heading names: its words, lowercased without punctuation, must start with
/// one of the accepted headings ("## Lessons Learned:" and "Lessons learned (2024)" match).
pub fn classify(heading: &str) -> Option<Section> {
    let norm = normalize_heading(heading);
    SECTION_HEADINGS.iter().find_map(|(section, names)| {
        names
            .iter()
            .any(|n| norm == *n || norm.starts_with(&format!("{n} ")))
            .then_some(*section)
    })
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
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A list item of a section, with its task-list state when it had one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub text: String,
    pub checked: Option<bool>,
}

#[derive(Clone, Debug, Default)]
pub struct SectionBody {
    pub items: Vec<Item>,
    pub paragraphs: Vec<String>,
    /// Table rows (header excluded), each as its cells' plain text.
    pub rows: Vec<Vec<String>>,
    /// The tables' header cells ("Time (UTC)" names the zone of a timeline).
    pub headers: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// The text of the first level-1 heading, when the body has one.
    pub h1: Option<String>,
    /// True when that heading is the first thing in the body (pages then skip it).
    pub h1_first: bool,
    pub first_paragraph: Option<String>,
    pub sections: Vec<(Section, SectionBody)>,
    pub links: Vec<BodyLink>,
}

impl Scan {
    pub fn section(&self, which: Section) -> impl Iterator<Item = &SectionBody> {
        self.sections
            .iter()
            .filter(move |(s, _)| *s == which)
            .map(|(_, b)| b)
    }
}

/// Reads the body once, collecting headings, section contents and links.
/// `body_line` is the file line the body starts on, for link positions.
pub fn scan(body: &str, body_line: usize) -> Scan {
    let mut scan = Scan::default();
    let mut current: Option<(Section, SectionBody, HeadingLevel)> = None;
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
    let has_h2 = Parser::new_ext(body, markdown::options()).any(|e| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            })
        )
    });

    for (event, range) in Parser::new_ext(body, markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. }) => text.clear(),
            Event::End(TagEnd::Heading(level)) => {
                let title = text.trim().to_string();
                let seen_before = seen_block;
                if level == HeadingLevel::H1 && scan.h1.is_none() {
                    scan.h1_first = !seen_block;
                    scan.h1 = Some(title.clone());
                }
                seen_block = true;
                // A deeper heading stays inside its section ("### General" under lessons).
                let nested = current.as_ref().is_some_and(|(_, _, l)| level > *l);
                if !nested {
                    if let Some((s, b, _)) = current.take() {
                        scan.sections.push((s, b));
                    }
                    let title_heading = level == HeadingLevel::H1 && has_h2 && !seen_before;
                    current = if title_heading {
                        None
                    } else {
                        classify(&title).map(|s| (s, SectionBody::default(), level))
                    };
                }
                text.clear();
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) if list_depth == 1 => {
                text.clear();
                item_checked = None;
            }
            // Nested items stay part of their parent's text, separated.
            Event::Start(Tag::Item) => text.push_str("; "),
            Event::TaskListMarker(checked) if list_depth == 1 => item_checked = Some(checked),
            Event::End(TagEnd::Item) if list_depth == 1 => {
                let t = collapse(&text);
                if let Some((_, b, _)) = current.as_mut()
                    && !t.is_empty()
                {
                    b.items.push(Item {
                        text: t,
                        checked: item_checked,
                    });
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
                    if let Some((_, b, _)) = current.as_mut() {
                        b.paragraphs.push(t);
                    }
                }
                text.clear();
                seen_block = true;
            }
            Event::End(TagEnd::Paragraph) => text.push(' '),
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
                if let Some(target) = target {
                    let (line, col) = markdown::line_col_at(&line_starts, body, range.start);
                    scan.links.push(BodyLink {
                        target,
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
    if let Some((s, b, _)) = current.take() {
        scan.sections.push((s, b));
    }
    scan
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(classify("Attendees"), None);
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
