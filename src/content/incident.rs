//! The parsed postmortem: what a file says, plus what was inferred (SCHEMA.md).

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::sections::{Section, Span};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Draft,
    InReview,
    #[default]
    Published,
}

impl Status {
    pub const NAMES: [&'static str; 3] = ["draft", "in-review", "published"];

    /// Any case, spaces and underscores read as `-` (like the other fixed choices).
    pub fn parse(s: &str) -> Option<Status> {
        match s.to_ascii_lowercase().replace([' ', '_'], "-").as_str() {
            "draft" => Some(Status::Draft),
            "in-review" | "review" => Some(Status::InReview),
            "published" => Some(Status::Published),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in-review",
            Status::Published => "published",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Factor {
    pub category: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Impact {
    pub description: Option<String>,
    pub customer_facing: Option<bool>,
    pub users_affected: Option<String>,
    pub data_loss: Option<bool>,
    pub categories: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Detection {
    pub method: Option<String>,
    pub source: Option<String>,
}

/// A point in time with the offset it was written in, so pages show the author's clock.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instant {
    #[serde(skip)]
    pub at: Timestamp,
    /// RFC 3339 as written (normalised), e.g. `2024-03-07T10:05:00+01:00`.
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timestamps {
    pub started: Option<Instant>,
    pub detected: Option<Instant>,
    pub acknowledged: Option<Instant>,
    pub mitigated: Option<Instant>,
    pub resolved: Option<Instant>,
}

impl Timestamps {
    pub const NAMES: [&'static str; 5] = [
        "started",
        "detected",
        "acknowledged",
        "mitigated",
        "resolved",
    ];
    /// [`Self::NAMES`] as labels (the theme's `label`).
    pub const LABELS: [&'static str; 5] = [
        "Started",
        "Detected",
        "Acknowledged",
        "Mitigated",
        "Resolved",
    ];

    pub fn get(&self, name: &str) -> Option<&Instant> {
        match name {
            "started" => self.started.as_ref(),
            "detected" => self.detected.as_ref(),
            "acknowledged" => self.acknowledged.as_ref(),
            "mitigated" => self.mitigated.as_ref(),
            "resolved" => self.resolved.as_ref(),
            _ => None,
        }
    }

    pub fn slot(&mut self, name: &str) -> Option<&mut Option<Instant>> {
        match name {
            "started" => Some(&mut self.started),
            "detected" => Some(&mut self.detected),
            "acknowledged" => Some(&mut self.acknowledged),
            "mitigated" => Some(&mut self.mitigated),
            "resolved" => Some(&mut self.resolved),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        Self::NAMES.iter().all(|n| self.get(n).is_none())
    }

    fn since_start(&self, end: &Option<Instant>) -> Option<SignedDuration> {
        let start = self.started.as_ref()?;
        let end = end.as_ref()?;
        let d = end.at.duration_since(start.at);
        (!d.is_negative()).then_some(d)
    }

    pub fn ttd(&self) -> Option<SignedDuration> {
        self.since_start(&self.detected)
    }
    pub fn ttm(&self) -> Option<SignedDuration> {
        self.since_start(&self.mitigated)
    }
    pub fn ttr(&self) -> Option<SignedDuration> {
        self.since_start(&self.resolved)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    #[default]
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ItemStatus {
    pub const NAMES: [&'static str; 4] = ["open", "in-progress", "done", "wont-do"];
    /// [`Self::NAMES`] as words (the theme's `status_text`).
    pub const TEXTS: [&'static str; 4] = ["open", "in progress", "done", "wont do"];

    pub fn parse(s: &str) -> Option<ItemStatus> {
        match s.to_ascii_lowercase().replace([' ', '_'], "-").as_str() {
            "open" | "todo" => Some(ItemStatus::Open),
            "in-progress" | "doing" => Some(ItemStatus::InProgress),
            "done" | "closed" | "complete" | "completed" => Some(ItemStatus::Done),
            "wont-do" | "won't-do" | "wontfix" => Some(ItemStatus::WontDo),
            _ => None,
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, ItemStatus::Done | ItemStatus::WontDo)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActionItem {
    pub title: String,
    pub owner: Option<String>,
    pub status: ItemStatus,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub due: Option<Date>,
    pub link: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Lessons {
    /// Lessons given as a plain list or found in a "Lessons learned" section.
    pub general: Vec<String>,
    pub went_well: Vec<String>,
    pub went_wrong: Vec<String>,
    pub got_lucky: Vec<String>,
}

impl Lessons {
    pub fn is_empty(&self) -> bool {
        self.general.is_empty()
            && self.went_well.is_empty()
            && self.went_wrong.is_empty()
            && self.got_lucky.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// A reference to another incident, with where it was written (for error positions).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdRef {
    pub id: String,
    #[serde(skip)]
    pub line: usize,
    #[serde(skip)]
    pub col: usize,
}

/// A link in the body that may point at another postmortem.
#[derive(Clone, Debug, PartialEq)]
pub struct BodyLink {
    /// `[[id]]` target, or a relative `.md` path as written.
    pub target: LinkTarget,
    /// 1-based line in the file.
    pub line: usize,
    pub col: usize,
}

/// A file inside the knowledge base that a postmortem's body links to or embeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Asset {
    /// The link's path as written (`assets/graph.png`, `../images/x.png`).
    pub written: String,
    /// Where it is copied, under the incident's page folder (`assets/graph.png`,
    /// `_up/images/x.png`): see [`super::assets::out_path`].
    pub out: String,
    /// The file on disk, found when the postmortem was loaded.
    pub file: std::path::PathBuf,
}

/// A relative link or image in a body that is not another postmortem: an attachment.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetRef {
    pub written: String,
    pub image: bool,
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkTarget {
    Id(String),
    Path(String),
}

/// Text held for a while in a block shared with the texts of incidents read beside it
/// ([`Text::pack`]): dropped together, a block's memory goes back whole. One string per
/// incident, freed once the index was written, left holes among the bodies that stay, which
/// the pages did not fill: the peak at 100,000 incidents was 0.47 GB higher.
#[derive(Clone, Default)]
pub struct Text {
    block: std::sync::Arc<str>,
    range: std::ops::Range<usize>,
}

/// Its text, not the block it is kept in.
impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl Text {
    pub fn new(text: &str) -> Text {
        Text {
            block: text.into(),
            range: 0..text.len(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.block[self.range.clone()]
    }

    /// Moves `texts` into one block of their own.
    pub fn pack(texts: Vec<&mut Text>) {
        let mut block = String::with_capacity(texts.iter().map(|t| t.range.len()).sum());
        let ranges: Vec<_> = texts
            .iter()
            .map(|t| {
                let start = block.len();
                block.push_str(t.as_str());
                start..block.len()
            })
            .collect();
        let block: std::sync::Arc<str> = block.into();
        for (t, range) in texts.into_iter().zip(ranges) {
            *t = Text {
                block: block.clone(),
                range,
            };
        }
    }
}

/// One postmortem, parsed and inferred; the knowledge base is built from these.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    pub id: String,
    /// Where an explicit `id` was written (line, col), for duplicate-id errors.
    pub id_pos: Option<(usize, usize)>,
    /// Path relative to the knowledge base root, with `/` separators.
    pub path: String,
    pub title: String,
    pub date: Option<Date>,
    pub severity: Option<String>,
    pub status: Status,
    pub summary: String,
    pub authors: Vec<String>,
    /// As written (normalised in the knowledge base).
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub symptoms: Vec<String>,
    pub trigger: Option<String>,
    pub contributing_factors: Vec<Factor>,
    pub impact: Option<Impact>,
    pub detection: Option<Detection>,
    pub timestamps: Timestamps,
    /// Explicit `duration`, else resolved − started.
    pub duration: Option<SignedDuration>,
    pub action_items: Vec<ActionItem>,
    pub lessons: Lessons,
    pub related: Vec<IdRef>,
    pub recurrence_of: Option<IdRef>,
    pub near_miss: bool,
    pub links: Vec<Link>,
    /// `updated`: when the postmortem was last revised, as its author wrote it.
    pub updated: Option<Date>,
    /// When git last committed the file (set by the build, for "Last updated"); it wins over
    /// `updated`, since it cannot go stale.
    pub last_commit: Option<jiff::Timestamp>,
    /// The frontmatter as written, fences included (diagnostics point into it).
    pub front: String,
    /// The Markdown body (after the frontmatter).
    pub body: String,
    /// The body as written when it was plain text, read as the Markdown in `body` (which keeps
    /// its line numbers): diagnostics quote this.
    pub plain_body: Option<String>,
    /// The body's readable text ([`super::markdown::plain_text`]), made by `parse` from the
    /// events it reads anyway, for the search index; not cached, and dropped once the index is
    /// written (None: the index makes it again).
    pub body_text: Option<Text>,
    /// 1-based line of the file where the body starts.
    pub body_line: usize,
    pub body_links: Vec<BodyLink>,
    /// Images and attachments the body links to, found beside it (see [`super::assets`]).
    pub assets: Vec<Asset>,
    /// The body's relative links that are not postmortems, as the scan found them.
    pub asset_refs: Vec<AssetRef>,
    /// Where the body has the sections that fill contributing factors, action items and
    /// lessons, so the page shows each once.
    pub body_sections: Vec<(Section, Span)>,
    /// Names of the fields that were inferred rather than written.
    pub inferred: BTreeSet<&'static str>,
    /// Tags from a "Category:" line or similar in the body, kept apart from written tags.
    pub inferred_tags: Vec<String>,
    /// Whether the file had frontmatter at all.
    pub has_frontmatter: bool,
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn packed_texts_read_as_before_from_one_block() {
        let mut texts = ["Replica lag", "", "Writes rejected — ünïcode"].map(Text::new);
        Text::pack(texts.iter_mut().collect());
        assert_eq!(
            texts.each_ref().map(Text::as_str),
            ["Replica lag", "", "Writes rejected — ünïcode"]
        );
        assert!(std::sync::Arc::ptr_eq(&texts[0].block, &texts[2].block));
        assert_eq!(
            format!("{:?}", texts[2]),
            format!("{:?}", "Writes rejected — ünïcode")
        );
    }
}
