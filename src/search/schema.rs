//! The index schema: which incident fields are searched, how they are weighted, and how an
//! incident becomes a tantivy document.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use std::borrow::Cow;
use std::ops::Range;

use crate::content::incident::Incident;
use crate::content::markdown;
use crate::content::sections::Section;
use crate::kb::Entry;

/// The analyzer every text field uses ([`super::analyzer::en_split`]): letters/digits runs,
/// code words split, lowercased, English stemming.
pub const TOKENIZER: &str = "kb_split";

/// Searched text fields and their boosts. Symptoms weigh most: responders describe what they
/// see, and authors list exactly that there. Summary and factors started at 1.5 (SEARCH.md);
/// on the judged query set 1.0 did better (MRR@10 0.913 → 0.924), as for old postmortems
/// both are inferred from the body and a boost counts the same words twice.
pub const TEXT_FIELDS: [(&str, f32); 5] = [
    ("symptoms", 3.0),
    ("title", 2.5),
    ("summary", 1.0),
    ("factors", 1.0),
    ("body", 1.0),
];

/// The fast field holding an incident's position in the knowledge base: each segment's
/// documents are in its order, and equal scores rank by it.
pub const ORD: &str = "ord";

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    /// Position in the knowledge base (newest first): each segment's doc ids follow it (the
    /// documents are added in its order), and ties rank newer incidents first.
    pub ord: Field,
    pub path: Field,
    pub url: Field,
    /// Symptoms, title, summary, factors, body: in [`TEXT_FIELDS`] order.
    pub text: [Field; 5],
    /// Tag names (normalised), exact and fast for filters and facets.
    pub tags: Field,
    /// Service slugs, exact and fast.
    pub services: Field,
    /// Service display names, stored for results.
    pub service_names: Field,
    pub severity: Field,
    /// Days since 1970-01-01, for `since:`/`until:`; absent when undated.
    pub day: Field,
    /// `YYYY-MM-DD`, stored for results.
    pub date: Field,
    /// Action items as `status|title`, stored (not searched) so a result can say what was done.
    pub actions: Field,
}

impl Fields {
    pub fn symptoms(&self) -> Field {
        self.text[0]
    }
    pub fn title(&self) -> Field {
        self.text[1]
    }

    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text_opts = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let text = TEXT_FIELDS.map(|(name, _)| b.add_text_field(name, text_opts.clone()));
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED | FAST),
            ord: b.add_u64_field(ORD, FAST),
            path: b.add_text_field("path", STORED),
            url: b.add_text_field("url", STORED),
            text,
            tags: b.add_text_field("tags", STRING | FAST | STORED),
            services: b.add_text_field("services", STRING | FAST),
            service_names: b.add_text_field("service_names", STORED),
            severity: b.add_text_field("severity", STRING | FAST | STORED),
            day: b.add_i64_field("day", INDEXED | FAST),
            date: b.add_text_field("date", STORED),
            actions: b.add_text_field("actions", STORED),
        };
        (b.build(), fields)
    }

    /// Reads the fields back from an opened index's schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            ord: f(ORD)?,
            path: f("path")?,
            url: f("url")?,
            text: [
                f("symptoms")?,
                f("title")?,
                f("summary")?,
                f("factors")?,
                f("body")?,
            ],
            tags: f("tags")?,
            services: f("services")?,
            service_names: f("service_names")?,
            severity: f("severity")?,
            day: f("day")?,
            date: f("date")?,
            actions: f("actions")?,
        })
    }

    /// The document for one incident. `service_names` maps the entry's service slugs to
    /// display names.
    pub fn document(&self, ord: usize, e: &Entry, service_names: &[&str]) -> TantivyDocument {
        let inc = &e.incident;
        let mut d = TantivyDocument::default();
        d.add_text(self.id, &inc.id);
        d.add_u64(self.ord, ord as u64);
        d.add_text(self.path, &inc.path);
        d.add_text(self.url, crate::render::views::incident_url(&inc.id));
        for s in &inc.symptoms {
            d.add_text(self.symptoms(), s);
        }
        d.add_text(self.title(), &inc.title);
        if !inc.summary.is_empty() {
            d.add_text(self.text[2], &inc.summary);
        }
        if let Some(t) = &inc.trigger {
            d.add_text(self.text[3], t);
        }
        for f in &inc.contributing_factors {
            d.add_text(self.text[3], &f.description);
        }
        let body = self.text[4];
        d.add_text(body, body_text(inc));
        // Frontmatter fields the body does not repeat (read from the body, it already has them).
        if let Some(imp) = &inc.impact
            && let Some(desc) = &imp.description
            && !inc.inferred.contains("impact")
        {
            d.add_text(body, desc);
        }
        if let Some(det) = &inc.detection {
            let source = det
                .source
                .as_ref()
                .filter(|_| !inc.inferred.contains("detection"));
            for s in [det.method.as_ref(), source].into_iter().flatten() {
                d.add_text(body, s);
            }
        }
        if !inc.inferred.contains("lessons") {
            let l = &inc.lessons;
            for s in l.general.iter().chain(&l.went_well).chain(&l.went_wrong) {
                d.add_text(body, s);
            }
            for s in &l.got_lucky {
                d.add_text(body, s);
            }
        }
        if !inc.inferred.contains("action_items") {
            for a in &inc.action_items {
                d.add_text(body, &a.title);
            }
        }
        for t in &e.tags {
            d.add_text(self.tags, &t.name);
        }
        for (slug, name) in e.services.iter().zip(service_names) {
            d.add_text(self.services, slug);
            d.add_text(self.service_names, name);
        }
        if let Some(sev) = &inc.severity {
            d.add_text(self.severity, sev);
        }
        if let Some(date) = inc.date {
            d.add_i64(self.day, day_number(date));
            d.add_text(self.date, date.to_string());
        }
        for a in &inc.action_items {
            let status = crate::content::incident::ItemStatus::NAMES[a.status as usize];
            d.add_text(self.actions, format!("{status}|{}", a.title));
        }
        d
    }
}

/// The body less a contributing-factors section kb read into the factors field, so that its
/// text is scored once: its lists (the factors), or its paragraphs when it has no list or
/// table. What the field did not take (the prose around a list, a table) stays.
fn searched_body(inc: &Incident) -> Cow<'_, str> {
    if !inc.inferred.contains("contributing_factors") {
        return Cow::Borrowed(&inc.body);
    }
    let is_list = |r: &Range<usize>| {
        let t = inc.body[r.clone()].trim_start();
        t.starts_with(['-', '*', '+'])
            || t.split_once(['.', ')'])
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut cuts: Vec<Range<usize>> = Vec::new();
    for (_, span) in inc
        .body_sections
        .iter()
        .filter(|(s, _)| *s == Section::Factors)
    {
        let lists: Vec<Range<usize>> = span
            .item_blocks
            .iter()
            .filter(|r| is_list(r))
            .cloned()
            .collect();
        if !lists.is_empty() {
            cuts.extend(lists);
        } else if span.item_blocks.is_empty() {
            let start = span.heading.as_ref().map_or(span.range.start, |h| h.end);
            cuts.push(start..span.range.end);
        }
    }
    if cuts.is_empty() {
        return Cow::Borrowed(&inc.body);
    }
    cuts.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(inc.body.len());
    let mut at = 0;
    for r in cuts {
        if r.start < at || r.end > inc.body.len() {
            continue;
        }
        out.push_str(&inc.body[at..r.start]);
        out.push_str("\n\n");
        at = r.end;
    }
    out.push_str(&inc.body[at..]);
    Cow::Owned(out)
}

/// The body's plain text as the body field scores it: less a factors section read into the
/// factors field ([`searched_body`]), and less a Trigger section's text read into the trigger,
/// which the factors field scores (a clipped trigger leaves the rest of its text here).
///
/// A summary read from a Summary section stays in the body: cutting it too lowered MRR@10 on
/// both held-out sets (docs/search.md).
fn body_text(inc: &Incident) -> String {
    let mut text = match (searched_body(inc), &inc.body_text) {
        // The whole body, whose text `parse` made.
        (Cow::Borrowed(_), Some(made)) => made.as_str().to_string(),
        (body, _) => markdown::plain_text(&body),
    };
    if let Some(t) = &inc.trigger
        && inc.inferred.contains("trigger")
    {
        cut_once(&mut text, t.trim_end_matches('…'));
    }
    text
}

/// Takes the first occurrence of `words` out of `text`, any run of whitespace in `text`
/// matching one space (inferred fields hold their paragraph's words joined by single spaces).
fn cut_once(text: &mut String, words: &str) {
    let words = words.trim();
    if words.is_empty() {
        return;
    }
    // `text` with whitespace runs collapsed, and where each of its bytes starts in `text`.
    let mut flat = String::with_capacity(text.len());
    let mut at: Vec<usize> = Vec::with_capacity(text.len() + 1);
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if !in_space {
                flat.push(' ');
                at.push(i);
            }
            in_space = true;
        } else {
            flat.push(c);
            at.extend(std::iter::repeat_n(i, c.len_utf8()));
            in_space = false;
        }
    }
    at.push(text.len());
    let Some(start) = flat.find(words) else {
        return;
    };
    let end = start + words.len();
    // The end maps past the last matched character, not to the start of the next run.
    let last = flat[..end].chars().next_back().map_or(0, char::len_utf8);
    let range = at[start]..at[end - last] + last;
    text.replace_range(range, "\n");
}

/// Days since 1970-01-01.
pub fn day_number(date: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from((date - epoch).get_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(text: &str) -> String {
        let (inc, _) = crate::content::parse::parse("x.md", "x.md", text, &Default::default());
        markdown::plain_text(&searched_body(&inc))
    }

    /// The readable text `parse` makes from the events it has is the text the index would make
    /// from the body: with a title heading, tables, code, quotes, HTML, a plain-text file, and
    /// a factors section or trigger taken out.
    #[test]
    fn the_text_parse_made_is_the_text_the_index_makes() {
        let texts = [
            "# Disk full\n\nThe *primary* ran out of disk.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\
             ```sh\ndf -h\n```\n\n> quoted\n> line\n\n<div>raw</div>\n\n- one\n- two\n",
            "---\ntitle: X\ndate: 2024-01-02\n---\nNo title heading.  \nHard break.\n",
            "Database outage\n\nSummary\nThe primary ran out of disk.\n",
            "# Checkout outage\n\nCheckout failed.\n\n## Root cause\n\n- Lock contention\n\n\
             ## Trigger\n\nA deploy of the orders service.\n",
            "",
        ];
        for text in texts {
            let (inc, _) = crate::content::parse::parse("x.md", "x.md", text, &Default::default());
            assert!(inc.body_text.is_some(), "{text}");
            let again = Incident {
                body_text: None,
                ..inc.clone()
            };
            assert_eq!(body_text(&inc), body_text(&again), "{text}");
        }
    }

    /// A Root cause section read into the factors field is scored there, not again as body.
    #[test]
    fn a_section_read_into_factors_is_not_body_again() {
        let body = body_of(
            "# Checkout outage\n\nCheckout failed for an hour.\n\n## Root cause\n\n\
             The causes were:\n\n- Lock contention on the orders table\n\n## Details\n\n\
             We paged the on-call.\n",
        );
        assert!(!body.contains("contention"), "{body}");
        assert!(
            body.contains("The causes were") && body.contains("paged"),
            "{body}"
        );
        let body = body_of(
            "# Checkout outage\n\nCheckout failed for an hour.\n\n## Root cause\n\n\
             Lock contention on the orders table.\n\n## Details\n\nWe paged the on-call.\n",
        );
        assert!(
            !body.contains("contention") && body.contains("paged"),
            "{body}"
        );
        // Written in frontmatter, the factors are not in the body's section: it stays.
        let body = body_of(
            "---\ncontributing_factors:\n  - description: Deploy skipped the canary\n---\n\n\
             ## Root cause\n\nLock contention on the orders table.\n",
        );
        assert!(body.contains("contention"), "{body}");
    }

    /// A Trigger section read into the trigger is scored with the factors, not again as body;
    /// what a clipped trigger left out stays in the body.
    #[test]
    fn a_section_read_into_the_trigger_is_not_body_again() {
        let text = |body: &str| {
            let (inc, _) = crate::content::parse::parse("x.md", "x.md", body, &Default::default());
            body_text(&inc)
        };
        let body = text(
            "# Checkout outage\n\nCheckout failed.\n\n## Trigger\n\nA config push\nwith a typo.\n\n\
             ## Details\n\nWe paged the on-call.\n",
        );
        assert!(!body.contains("typo") && body.contains("paged"), "{body}");
        let long = "word ".repeat(80);
        let body = text(&format!(
            "## Trigger\n\nA config push {long}ended in a typo.\n"
        ));
        assert!(!body.contains("config") && body.contains("typo"), "{body}");
    }
}
