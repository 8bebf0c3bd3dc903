//! A compact binary form of parsed postmortems, for the build cache (`.kb/build/`).
//!
//! Hand-written rather than serde: the model's `Serialize` is the JSON export's (fields
//! skipped and renamed), and `&'static str` names do not deserialize. Every record is decoded
//! with bounds checks and gives `None` on anything it does not expect, so a bad cache can only
//! be ignored. Structs are taken apart without `..`: a field added to the model does not
//! compile until it is written here too (and the cache's format number goes up).

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::incident::{
    ActionItem, Asset, AssetRef, BodyLink, Detection, Factor, IdRef, Impact, Incident, Instant,
    ItemStatus, Lessons, Link, LinkTarget, Status, Timestamps,
};
use super::sections::{Section, Span};
use crate::diagnostics::{Diagnostic, Level};

/// Bytes being decoded.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
}

pub trait Codec: Sized {
    fn put(&self, w: &mut Vec<u8>);
    fn get(r: &mut Reader) -> Option<Self>;
}

/// LEB128: most numbers here are small.
impl Codec for u64 {
    fn put(&self, w: &mut Vec<u8>) {
        let mut v = *self;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                w.push(b);
                return;
            }
            w.push(b | 0x80);
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = r.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

impl Codec for usize {
    fn put(&self, w: &mut Vec<u8>) {
        (*self as u64).put(w)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        usize::try_from(u64::get(r)?).ok()
    }
}

/// Zig-zag, then LEB128.
impl Codec for i64 {
    fn put(&self, w: &mut Vec<u8>) {
        (((*self << 1) ^ (*self >> 63)) as u64).put(w)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let v = u64::get(r)?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
}

impl Codec for u128 {
    fn put(&self, w: &mut Vec<u8>) {
        w.extend_from_slice(&self.to_le_bytes())
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Some(u128::from_le_bytes(r.bytes(16)?.try_into().ok()?))
    }
}

impl Codec for bool {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(u8::from(*self))
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Codec for String {
    fn put(&self, w: &mut Vec<u8>) {
        self.len().put(w);
        w.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let n = usize::get(r)?;
        std::str::from_utf8(r.bytes(n)?).ok().map(str::to_string)
    }
}

impl Codec for PathBuf {
    fn put(&self, w: &mut Vec<u8>) {
        // Lossy is safe: a path that does not round-trip no longer names the file, and its
        // asset is resolved again on every build anyway.
        self.to_string_lossy().into_owned().put(w)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        String::get(r).map(PathBuf::from)
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn put(&self, w: &mut Vec<u8>) {
        self.len().put(w);
        for x in self {
            x.put(w);
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let n = usize::get(r)?;
        // Each item takes a byte at least: a huge count in a short buffer fails here.
        if n > r.buf.len() {
            return None;
        }
        (0..n).map(|_| T::get(r)).collect()
    }
}

impl<T: Codec> Codec for Option<T> {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            None => w.push(0),
            Some(x) => {
                w.push(1);
                x.put(w);
            }
        }
    }
    fn get(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => T::get(r).map(Some),
            _ => None,
        }
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?))
    }
}

impl Codec for Range<usize> {
    fn put(&self, w: &mut Vec<u8>) {
        self.start.put(w);
        self.end.put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Some(usize::get(r)?..usize::get(r)?)
    }
}

impl Codec for Date {
    fn put(&self, w: &mut Vec<u8>) {
        i64::from(self.year()).put(w);
        i64::from(self.month()).put(w);
        i64::from(self.day()).put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let (y, m, d) = (i64::get(r)?, i64::get(r)?, i64::get(r)?);
        Date::new(y.try_into().ok()?, m.try_into().ok()?, d.try_into().ok()?).ok()
    }
}

impl Codec for Timestamp {
    fn put(&self, w: &mut Vec<u8>) {
        self.as_second().put(w);
        i64::from(self.subsec_nanosecond()).put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Timestamp::new(i64::get(r)?, i64::get(r)?.try_into().ok()?).ok()
    }
}

impl Codec for SignedDuration {
    fn put(&self, w: &mut Vec<u8>) {
        self.as_secs().put(w);
        i64::from(self.subsec_nanos()).put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        let (s, n) = (i64::get(r)?, i64::get(r)?);
        let n: i32 = n.try_into().ok()?;
        (n.abs() < 1_000_000_000).then(|| SignedDuration::new(s, n))
    }
}

/// A closed set of names: written as its index, read back as the same `&'static str`.
fn put_name(names: &[&'static str], name: &str, w: &mut Vec<u8>) -> bool {
    match names.iter().position(|n| *n == name) {
        Some(i) => {
            i.put(w);
            true
        }
        None => false,
    }
}

fn get_name(names: &[&'static str], r: &mut Reader) -> Option<&'static str> {
    names.get(usize::get(r)?).copied()
}

/// Every name `Incident::inferred` holds (see content::infer and content::fields). A name not
/// listed makes the postmortem uncacheable, not wrong: it is parsed on every build.
const INFERRED: &[&str] = &[
    "action_items",
    "contributing_factors",
    "date",
    "detection",
    "frontmatter",
    "id",
    "impact",
    "lessons",
    "severity-unreadable",
    "summary",
    "timestamps",
    "title",
    "trigger",
];

/// Every `Diagnostic::code`, likewise.
const CODES: &[&str] = &[
    "broken-link",
    "missing-recommended",
    "no-frontmatter",
    "no-owner",
    "overdue",
    "sanitized",
    "too-deep",
    "undated",
    "unfilled-template",
    "unknown-tag",
];

/// Implements [`Codec`] for a struct, field by field in the order given.
macro_rules! record {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                let $t { $($f),* } = self;
                $( $f.put(w); )*
            }
            fn get(r: &mut Reader) -> Option<Self> {
                Some($t { $($f: Codec::get(r)?),* })
            }
        }
    };
}

/// Implements [`Codec`] for a field-less enum as the variant's index in `$all`.
macro_rules! choice {
    ($t:ident [$($v:ident),* $(,)?]) => {
        impl Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                // A match, not a table lookup: a new variant does not compile until listed.
                let all = [$($t::$v),*];
                let i = match self { $($t::$v => all.iter().position(|x| *x == $t::$v)),* };
                i.expect("listed").put(w);
            }
            fn get(r: &mut Reader) -> Option<Self> {
                [$($t::$v),*].get(usize::get(r)?).copied()
            }
        }
    };
}

choice!(Status[Draft, InReview, Published]);
choice!(ItemStatus[Open, InProgress, Done, WontDo]);
choice!(Level[Error, Warning]);
choice!(Section[
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
    Resolution,
    Stats,
    Other,
]);

record!(Factor {
    category,
    description
});
record!(Impact {
    description,
    customer_facing,
    users_affected,
    data_loss,
    categories,
});
record!(Detection { method, source });
record!(Instant { at, text });
record!(Timestamps {
    started,
    detected,
    acknowledged,
    mitigated,
    resolved,
});
record!(ActionItem {
    title,
    owner,
    status,
    kind,
    priority,
    due,
    link,
});
record!(Lessons {
    general,
    went_well,
    went_wrong,
    got_lucky,
});
record!(Link { title, url });
record!(IdRef { id, line, col });
record!(BodyLink { target, line, col });
record!(Asset { written, out, file });
record!(AssetRef {
    written,
    image,
    line,
    col,
});
record!(Span {
    range,
    heading,
    heading_text,
    item_blocks,
});

impl Codec for LinkTarget {
    fn put(&self, w: &mut Vec<u8>) {
        let (tag, s) = match self {
            LinkTarget::Id(s) => (false, s),
            LinkTarget::Path(s) => (true, s),
        };
        tag.put(w);
        s.put(w);
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Some(match bool::get(r)? {
            false => LinkTarget::Id(String::get(r)?),
            true => LinkTarget::Path(String::get(r)?),
        })
    }
}

/// `Incident::inferred` and `Diagnostic::code` need the closed name lists: the two types are
/// written by hand, and writing fails (None) on a name not listed.
///
/// With `text`, the file the incident was parsed from, `front` and `body` are written as where
/// they are in it when they are its start or end (they are most of a record: at 100,000
/// incidents the records held 0.9 GB until written); [`get_incident`] needs the same text.
pub fn put_incident(inc: &Incident, text: Option<&str>, w: &mut Vec<u8>) -> Option<()> {
    let Incident {
        id,
        id_pos,
        path,
        title,
        date,
        severity,
        status,
        summary,
        authors,
        tags,
        services,
        symptoms,
        trigger,
        contributing_factors,
        impact,
        detection,
        timestamps,
        duration,
        action_items,
        lessons,
        related,
        recurrence_of,
        near_miss,
        links,
        updated,
        last_commit,
        front,
        body,
        plain_body,
        // Not cached: the index makes it again from `body` (see `Incident::body_text`).
        body_text: _,
        body_line,
        body_links,
        assets,
        asset_refs,
        body_sections,
        inferred,
        inferred_tags,
        has_frontmatter,
    } = inc;
    id.put(w);
    id_pos.put(w);
    path.put(w);
    title.put(w);
    date.put(w);
    severity.put(w);
    status.put(w);
    summary.put(w);
    authors.put(w);
    tags.put(w);
    services.put(w);
    symptoms.put(w);
    trigger.put(w);
    contributing_factors.put(w);
    impact.put(w);
    detection.put(w);
    timestamps.put(w);
    duration.put(w);
    action_items.put(w);
    lessons.put(w);
    related.put(w);
    recurrence_of.put(w);
    near_miss.put(w);
    links.put(w);
    updated.put(w);
    last_commit.put(w);
    put_text(front, text, w);
    put_text(body, text, w);
    plain_body.put(w);
    body_line.put(w);
    body_links.put(w);
    assets.put(w);
    asset_refs.put(w);
    body_sections.put(w);
    inferred.len().put(w);
    for name in inferred {
        put_name(INFERRED, name, w).then_some(())?;
    }
    inferred_tags.put(w);
    has_frontmatter.put(w);
    Some(())
}

pub fn get_incident(r: &mut Reader, text: Option<&str>) -> Option<Incident> {
    Some(Incident {
        id: Codec::get(r)?,
        id_pos: Codec::get(r)?,
        path: Codec::get(r)?,
        title: Codec::get(r)?,
        date: Codec::get(r)?,
        severity: Codec::get(r)?,
        status: Codec::get(r)?,
        summary: Codec::get(r)?,
        authors: Codec::get(r)?,
        tags: Codec::get(r)?,
        services: Codec::get(r)?,
        symptoms: Codec::get(r)?,
        trigger: Codec::get(r)?,
        contributing_factors: Codec::get(r)?,
        impact: Codec::get(r)?,
        detection: Codec::get(r)?,
        timestamps: Codec::get(r)?,
        duration: Codec::get(r)?,
        action_items: Codec::get(r)?,
        lessons: Codec::get(r)?,
        related: Codec::get(r)?,
        recurrence_of: Codec::get(r)?,
        near_miss: Codec::get(r)?,
        links: Codec::get(r)?,
        updated: Codec::get(r)?,
        last_commit: Codec::get(r)?,
        front: get_text(r, text)?,
        body: get_text(r, text)?,
        plain_body: Codec::get(r)?,
        body_text: None,
        body_line: Codec::get(r)?,
        body_links: Codec::get(r)?,
        assets: Codec::get(r)?,
        asset_refs: Codec::get(r)?,
        body_sections: Codec::get(r)?,
        inferred: {
            let n = usize::get(r)?;
            let mut set = BTreeSet::new();
            for _ in 0..n.min(INFERRED.len() + 1) {
                set.insert(get_name(INFERRED, r)?);
            }
            (set.len() == n).then_some(set)?
        },
        inferred_tags: Codec::get(r)?,
        has_frontmatter: Codec::get(r)?,
    })
}

pub fn put_diagnostic(d: &Diagnostic, w: &mut Vec<u8>) -> Option<()> {
    let Diagnostic {
        level,
        file,
        line,
        col,
        len,
        message,
        hint,
        code,
        source_line,
    } = d;
    level.put(w);
    file.put(w);
    line.put(w);
    col.put(w);
    len.put(w);
    message.put(w);
    hint.put(w);
    match code {
        None => w.push(0),
        Some(c) => {
            w.push(1);
            put_name(CODES, c, w).then_some(())?;
        }
    }
    source_line.put(w);
    Some(())
}

pub fn get_diagnostic(r: &mut Reader) -> Option<Diagnostic> {
    Some(Diagnostic {
        level: Codec::get(r)?,
        file: Codec::get(r)?,
        line: Codec::get(r)?,
        col: Codec::get(r)?,
        len: Codec::get(r)?,
        message: Codec::get(r)?,
        hint: Codec::get(r)?,
        code: match r.byte()? {
            0 => None,
            1 => Some(get_name(CODES, r)?),
            _ => return None,
        },
        source_line: Codec::get(r)?,
    })
}

/// A string as itself (0), or as the first (1) or last (2) so many bytes of `text`.
fn put_text(s: &str, text: Option<&str>, w: &mut Vec<u8>) {
    match text {
        Some(t) if !s.is_empty() && t.starts_with(s) => {
            w.push(1);
            s.len().put(w);
        }
        Some(t) if !s.is_empty() && t.ends_with(s) => {
            w.push(2);
            s.len().put(w);
        }
        _ => {
            w.push(0);
            s.len().put(w);
            w.extend_from_slice(s.as_bytes());
        }
    }
}

fn get_text(r: &mut Reader, text: Option<&str>) -> Option<String> {
    match *r.bytes(1)?.first()? {
        0 => String::get(r),
        1 => text?.get(..usize::get(r)?).map(str::to_owned),
        2 => {
            let t = text?;
            t.get(t.len().checked_sub(usize::get(r)?)?..)
                .map(str::to_owned)
        }
        _ => None,
    }
}

/// A parsed postmortem and what parsing said about it, as one record; None when it holds a
/// name outside the lists above (it is then not cached). `text` is the file it was parsed
/// from, which [`decode`] is given again.
pub fn encode(inc: &Incident, diags: &[Diagnostic], text: &str) -> Option<Vec<u8>> {
    let mut w = Vec::with_capacity(512);
    put_incident(inc, Some(text), &mut w)?;
    diags.len().put(&mut w);
    for d in diags {
        put_diagnostic(d, &mut w)?;
    }
    Some(w)
}

/// The record [`encode`] wrote from `text`, or None when the bytes are not exactly one.
pub fn decode(bytes: &[u8], text: &str) -> Option<(Incident, Vec<Diagnostic>)> {
    let mut r = Reader::new(bytes);
    let inc = get_incident(&mut r, Some(text))?;
    let n = usize::get(&mut r)?;
    if n > bytes.len() {
        return None;
    }
    let diags = (0..n)
        .map(|_| get_diagnostic(&mut r))
        .collect::<Option<Vec<_>>>()?;
    r.is_empty().then_some((inc, diags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parsed(text: &str) -> (Incident, Vec<Diagnostic>) {
        crate::content::parse::parse("content/a.md", "a.md", text, &Config::default())
    }

    #[test]
    fn a_record_reads_back_as_the_same_incident_and_diagnostics() {
        let text = "---\ntitle: Disk full\ndate: 2024-03-07\nseverity: SEV2\n\
                    started: 2024-03-07T10:05:00+01:00\nresolved: 2024-03-07T11:00:00+01:00\n\
                    tags: [storage]\nrelated: [other]\naction_items:\n  - title: Alert\n    \
                    due: 2024-04-01\n---\n# Disk full\n\n## Lessons learned\n\n- Watch disks\n\n\
                    See [[other]] and ![g](graph.png).\n";
        let (inc, diags) = parsed(text);
        let bytes = encode(&inc, &diags, text).unwrap();
        // The frontmatter and the body are the file's own: the record says where, not what.
        for own in [&inc.front, &inc.body] {
            assert!(!own.is_empty());
            let found = bytes.windows(own.len()).any(|w| w == own.as_bytes());
            assert!(!found, "the record holds {own:?}");
        }
        let (back, back_diags) = decode(&bytes, text).unwrap();
        assert_eq!(format!("{:?}", uncached(&inc)), format!("{back:?}"));
        assert_eq!(diags, back_diags);
        // Re-encoding gives the same bytes: nothing was lost on the way.
        assert_eq!(encode(&back, &back_diags, text).unwrap(), bytes);
    }

    #[test]
    fn text_not_taken_from_the_file_is_written_out() {
        // A plain-text write-up's body is Markdown made from it, not a slice of it.
        let text = "Database outage\n\nSummary\nThe primary ran out of disk.\n";
        let (inc, diags) = parsed(text);
        let bytes = encode(&inc, &diags, text).unwrap();
        let (back, _) = decode(&bytes, text).unwrap();
        assert_eq!(format!("{:?}", uncached(&inc)), format!("{back:?}"));
    }

    /// The incident as a record holds it: its readable text is made again by the index.
    fn uncached(inc: &Incident) -> Incident {
        assert!(inc.body_text.is_some());
        Incident {
            body_text: None,
            ..inc.clone()
        }
    }

    #[test]
    fn truncated_or_altered_records_never_decode_to_garbage_silently() {
        let text = "Just some text with no frontmatter.\n";
        let (inc, diags) = parsed(text);
        let bytes = encode(&inc, &diags, text).unwrap();
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n], text).is_none(), "truncated at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, text).is_none());
        assert!(decode(&[0xff; 64], text).is_none());
    }
}
