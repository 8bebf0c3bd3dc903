//! Where an incident page shows its contributing factors, action items and lessons: once each,
//! at the place of the body's own section for them, else after the body.
//!
//! Written in the frontmatter, the field is shown in its structured form and the body's section
//! keeps only its prose (its heading and its lists and tables go). Read from the body, the
//! section is shown whole under the field's heading (without its own), so its items keep their
//! links and formatting and appear once.

use serde::Serialize;

use crate::content::Incident;
use crate::content::markdown::{Cut, Part, TocEntry};

/// The slots, in the order they follow the body when it has no section for them: field name,
/// heading id, heading.
pub const SLOTS: [(&str, &str, &str); 3] = [
    ("action_items", "ai-h", "Action items"),
    ("lessons", "lessons-h", "Lessons"),
    ("contributing_factors", "cf-h", "Contributing factors"),
];

/// One piece of the page's main column, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Block {
    /// `prose`, or the slot's field name.
    pub kind: &'static str,
    /// The body's HTML here: the prose, or what the slot took from the body.
    pub html: String,
    /// The headings of the body sections the slot took, as written.
    pub sources: Vec<String>,
    /// Those headings as the page's note names them: ` under “Follow-ups”, “Next steps”`
    /// (empty without any).
    pub source_note: String,
}

impl Block {
    fn new(kind: &'static str, html: String, sources: Vec<String>) -> Block {
        let mut source_note = String::new();
        for s in &sources {
            source_note.push_str(if source_note.is_empty() {
                " under "
            } else {
                ", "
            });
            source_note.push('“');
            source_note.push_str(s);
            source_note.push('”');
        }
        Block {
            kind,
            html,
            sources,
            source_note,
        }
    }
}

fn shown(inc: &Incident, field: &str) -> bool {
    match field {
        "action_items" => !inc.action_items.is_empty(),
        "lessons" => !inc.lessons.is_empty(),
        "contributing_factors" => !inc.contributing_factors.is_empty(),
        _ => false,
    }
}

/// What to take out of the body, for the fields the page shows.
pub fn cuts(inc: &Incident) -> Vec<Cut> {
    inc.body_sections
        .iter()
        .filter_map(|(section, span)| {
            let field = section.field()?;
            let slot = SLOTS.iter().position(|(f, _, _)| *f == field)?;
            if !shown(inc, field) {
                return None;
            }
            let mut drop = Vec::new();
            if inc.inferred.contains(field) {
                // "What went well" stays a heading inside Lessons; the main heading is the slot's.
                if !section.is_lesson_part() {
                    drop.extend(span.heading.clone());
                }
            } else {
                drop.extend(span.heading.clone());
                drop.extend(span.item_blocks.iter().cloned());
            }
            Some(Cut {
                range: span.range.clone(),
                slot,
                drop,
            })
        })
        .collect()
}

/// The page's main column and its table of contents: the parts of the body in order, each
/// slot where its first section was, the other slots with something to show after.
pub fn blocks(
    inc: &Incident,
    html: &str,
    toc: &[TocEntry],
    parts: Vec<Part>,
) -> (Vec<Block>, Vec<TocEntry>) {
    let mut blocks = Vec::new();
    let mut contents = Vec::new();
    let slot_entry = |s: usize| TocEntry {
        level: 2,
        id: SLOTS[s].1.to_string(),
        title: SLOTS[s].2.to_string(),
    };
    if parts.is_empty() {
        blocks.push(Block::new("prose", html.to_string(), Vec::new()));
        contents.extend_from_slice(toc);
    }
    let mut placed = [false; SLOTS.len()];
    for p in parts {
        match p.slot {
            Some(s) => {
                placed[s] = true;
                contents.push(slot_entry(s));
                blocks.push(Block::new(SLOTS[s].0, p.html, sources(inc, SLOTS[s].0)));
            }
            None => {
                contents.extend(p.toc);
                blocks.push(Block::new("prose", p.html, Vec::new()));
            }
        }
    }
    for (s, (field, _, _)) in SLOTS.iter().enumerate() {
        if !placed[s] && shown(inc, field) {
            contents.push(slot_entry(s));
            blocks.push(Block::new(field, String::new(), Vec::new()));
        }
    }
    (blocks, contents)
}

/// The headings of the body sections that fill `field`, once each.
fn sources(inc: &Incident, field: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (section, span) in &inc.body_sections {
        if section.field() == Some(field)
            && let Some(h) = &span.heading_text
            && !out.contains(h)
        {
            out.push(h.clone());
        }
    }
    out
}
