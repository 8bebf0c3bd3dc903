//! Markdown to HTML: GFM extensions, heading anchors, a table of contents, links between
//! postmortems resolved, authors' raw HTML sanitized.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, html,
};
use serde::Serialize;

use super::incident::LinkTarget;
use super::{allowlist, autolink, highlight};

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_WIKILINKS
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// The body in order, with the [`Cut`]s taken out into the parts of their slots; empty
    /// without cuts.
    pub parts: Vec<Part>,
}

/// A section of the body that the page shows in a slot of its own (the action item tracker,
/// …): the body from `range`, less what lies in `drop`, with its headings one level down.
#[derive(Clone, Debug, PartialEq)]
pub struct Cut {
    pub range: Range<usize>,
    pub slot: usize,
    pub drop: Vec<Range<usize>>,
}

/// A piece of the page's body: prose in order, or the content of a slot, at the place of its
/// first cut.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    pub html: String,
    pub slot: Option<usize>,
    /// The prose's `##` and `###` headings.
    pub toc: Vec<TocEntry>,
}

/// The relative path of a link, if it points at another postmortem file (`.md`, `.MD`,
/// `.markdown`, `.txt`: [`super::files`]).
pub fn md_link_path(url: &str) -> Option<&str> {
    if url.contains("://")
        || url.starts_with('/')
        || url.starts_with('#')
        || url.starts_with("mailto:")
    {
        return None;
    }
    let path = url.split(['#', '?']).next().unwrap_or(url);
    (super::files::is_postmortem(path).is_some() && !super::files::in_attachment_folder(path))
        .then_some(path)
}

pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// 1-based line and column of a byte offset, using precomputed line starts.
pub fn line_col_at(starts: &[usize], text: &str, offset: usize) -> (usize, usize) {
    let line = starts.partition_point(|s| *s <= offset);
    let start = starts[line - 1];
    let col = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
    (line, col)
}

/// What sanitizing takes out of a body, with byte offsets into it, for `kb check`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
    /// Each removal: where it is and what was removed.
    pub removals: Vec<(usize, String)>,
    /// Where the body first nests deeper than [`allowlist::MAX_NESTING`]; such a body is not
    /// rendered.
    pub too_deep: Option<usize>,
}

/// A body's events with their byte ranges, parsed once for the readers that need them all
/// ([`audit`], `sections::scan`): each parse of every body was about 1 % of a build.
pub fn events(body: &str) -> Vec<(Event<'_>, Range<usize>)> {
    Parser::new_ext(body, options())
        .into_offset_iter()
        .collect()
}

/// Checks a body, as its [`events`], against the allowlist without rendering it: what
/// [`render`] would remove.
pub fn audit(body: &str, events: &[(Event<'_>, Range<usize>)], unsafe_html: bool) -> Audit {
    let mut audit = Audit::default();
    let mut confine = Confine::new(body, unsafe_html);
    for (event, range) in events {
        // Confining may change an event (a refused link's, a heading's attributes): a copy's.
        // Most events borrow the body, so copying them copies no text.
        confine.step(&mut event.clone(), range.start, &mut audit);
    }
    audit
}

/// Takes out of the events, one at a time, what the allowlist does not publish: links and
/// images whose URL has another scheme (their text is kept), heading attributes other than id
/// and classes. Records each removal, also those of raw HTML (which ammonia removes later), at
/// the body offset of its event, and the first place nesting passes the limit. Linear in the
/// events.
struct Confine<'b> {
    body: &'b str,
    unsafe_html: bool,
    depth: isize,
    html_depth: isize,
    /// Open links and images whose URL was refused: their end events go too.
    refused: Vec<bool>,
}

impl<'b> Confine<'b> {
    fn new(body: &'b str, unsafe_html: bool) -> Self {
        Confine {
            body,
            unsafe_html,
            depth: 0,
            html_depth: 0,
            refused: Vec::new(),
        }
    }

    /// Confines `event`, which starts at body offset `at`.
    fn step(&mut self, event: &mut Event, at: usize, audit: &mut Audit) {
        let unsafe_html = self.unsafe_html;
        let mut drop = false;
        match event {
            Event::Start(tag) => {
                self.depth += 1;
                let is_link = matches!(tag, Tag::Link { .. });
                match tag {
                    Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                        let bad = !unsafe_html && !allowlist::url_allowed(dest_url);
                        if bad {
                            let what = if is_link { "link" } else { "image" };
                            audit.removals.push((
                                at,
                                format!(
                                    "removed the {what} `{}`: {}",
                                    allowlist::visible(dest_url),
                                    allowlist::scheme_reason(dest_url)
                                ),
                            ));
                        }
                        self.refused.push(bad);
                        drop = bad;
                    }
                    Tag::Heading { attrs, .. } if !attrs.is_empty() && !unsafe_html => {
                        for (k, _) in attrs.drain(..) {
                            audit.removals.push((
                                at,
                                format!(
                                    "removed the heading attribute `{}`: headings keep only `#id` and `.class`",
                                    allowlist::visible(&k)
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(tag) => {
                self.depth -= 1;
                if matches!(tag, TagEnd::Link | TagEnd::Image) {
                    drop = self.refused.pop().unwrap_or(false);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let (findings, net) = allowlist::scan_html(html);
                self.html_depth = (self.html_depth + net).max(0);
                if !unsafe_html {
                    let lines = line_starts(html);
                    for f in findings {
                        let off = lines.get(f.line).copied().unwrap_or(0);
                        audit.removals.push((at + off, f.what));
                    }
                }
            }
            _ => {}
        }
        if drop {
            *event = Event::Text(CowStr::Borrowed(""));
        }
        if audit.too_deep.is_none()
            && (self.depth + self.html_depth) as usize > allowlist::MAX_NESTING
        {
            audit.too_deep = Some(at.min(self.body.len()));
        }
    }
}

/// Renders a body. `resolve` maps a link to another postmortem to its page URL; unresolved
/// links are left as written. `skip_h1` drops a leading title heading shown by the page itself.
/// Everything passes [`allowlist`] unless `unsafe_html`; a body nested past
/// [`allowlist::MAX_NESTING`] is not rendered (`kb check` reports it as an error).
pub fn render(
    body: &str,
    resolve: &dyn Fn(&LinkTarget) -> Option<String>,
    skip_h1: bool,
    unsafe_html: bool,
) -> Rendered {
    render_cut(body, resolve, skip_h1, unsafe_html, &[], true)
}

/// [`render`], and the body again in [`Part`]s with `cuts` taken out. With cuts and without
/// `whole`, the whole body's HTML is left empty (no page shows it).
pub fn render_cut(
    body: &str,
    resolve: &dyn Fn(&LinkTarget) -> Option<String>,
    skip_h1: bool,
    unsafe_html: bool,
    cuts: &[Cut],
    whole: bool,
) -> Rendered {
    // Sized for about one event per 24 bytes of Markdown, what postmortems have: grown from
    // nothing, the two lists were reallocated a dozen times per page.
    let mut events: Vec<Event> = Vec::with_capacity(body.len() / 24);
    let mut starts: Vec<usize> = Vec::with_capacity(body.len() / 24);
    for (e, r) in Parser::new_ext(body, options()).into_offset_iter() {
        events.push(e);
        starts.push(r.start);
    }

    if skip_h1 && let Some(end) = leading_h1_end(&events) {
        events.drain(..=end);
        starts.drain(..=end);
    }
    let (events, starts) = autolink::link_bare_urls(events, starts);
    let mut audit = Audit::default();
    let mut events = events;
    let mut confine = Confine::new(body, unsafe_html);
    for event in &mut events {
        confine.step(event, 0, &mut audit);
    }
    if audit.too_deep.is_some() {
        return Rendered {
            html: format!(
                "<p class=\"broken-link\">This postmortem nests lists, quotes or HTML deeper than {} levels; run <code>kb check</code>.</p>\n",
                allowlist::MAX_NESTING
            ),
            ..Rendered::default()
        };
    }

    let mut has_raw_html = false;
    // Indexes of HTML events kb wrote itself (not the author), which need no sanitizing.
    let mut ours: Vec<usize> = Vec::new();
    // Each entry with the index of its heading's event.
    let mut toc: Vec<(usize, TocEntry)> = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    // Each heading's start and end event, with the self-link that follows it.
    let mut self_links: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, id, .. }) => {
                // The page's title is its only h1: body headings start at h2.
                let level = if *level == HeadingLevel::H1 {
                    HeadingLevel::H2
                } else {
                    *level
                };
                let end = (i..events.len())
                    .find(|j| matches!(events[*j], Event::End(TagEnd::Heading(_))))
                    .unwrap_or(i);
                let title: String = events[i + 1..end]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let base = match id {
                    Some(id) => id.to_string(),
                    None => {
                        let s = slug::slugify(&title);
                        if s.is_empty() {
                            "section".to_string()
                        } else {
                            s
                        }
                    }
                };
                let mut anchor = base.clone();
                let mut n = 1;
                while !used_ids.insert(anchor.clone()) {
                    anchor = format!("{base}-{n}");
                    n += 1;
                }
                if let Event::Start(Tag::Heading { id, level: l, .. }) = &mut events[i] {
                    *id = Some(CowStr::from(anchor.clone()));
                    *l = level;
                }
                if let Event::End(TagEnd::Heading(l)) = &mut events[end] {
                    *l = level;
                }
                self_links.push((i, end, self_link(&anchor, &title)));
                if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                    toc.push((
                        i,
                        TocEntry {
                            level: level as u8,
                            id: anchor,
                            title,
                        },
                    ));
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(url) = moved_attachment(dest_url)
                    && let Event::Start(Tag::Image { dest_url, .. }) = &mut events[i]
                {
                    *dest_url = CowStr::from(url);
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let target = match link_type {
                    LinkType::WikiLink { .. } => Some(LinkTarget::Id(dest_url.trim().to_string())),
                    _ => md_link_path(dest_url).map(|p| LinkTarget::Path(p.to_string())),
                };
                if target.is_none() {
                    if let Some(url) = moved_attachment(dest_url)
                        && let Event::Start(Tag::Link { dest_url, .. }) = &mut events[i]
                    {
                        *dest_url = CowStr::from(url);
                    }
                } else if let Some(url) = target.as_ref().and_then(resolve) {
                    let fragment = dest_url.find('#').map(|f| dest_url[f..].to_string());
                    if let Event::Start(Tag::Link { dest_url, .. }) = &mut events[i] {
                        *dest_url = CowStr::from(url + fragment.as_deref().unwrap_or(""));
                    }
                } else if matches!(link_type, LinkType::WikiLink { .. }) {
                    // `[[unknown-id]]` would become a link to a relative page that does not
                    // exist: show its text, marked, instead (the build warns about it).
                    let end = events[i..]
                        .iter()
                        .position(|e| matches!(e, Event::End(TagEnd::Link)))
                        .map(|k| i + k);
                    if let Some(end) = end {
                        events[i] = Event::InlineHtml(CowStr::from(
                            "<span class=\"broken-link\" title=\"No incident has this id\">",
                        ));
                        events[end] = Event::InlineHtml(CowStr::from("</span>"));
                        ours.push(end);
                    }
                }
            }
            Event::Html(_) | Event::InlineHtml(_) if ours.contains(&i) => {}
            Event::Html(_) | Event::InlineHtml(_) => has_raw_html = true,
            _ => {}
        }
        i += 1;
    }

    let (events, starts, toc) = with_self_links(events, starts, self_links, toc);
    let (events, starts, toc) = highlighted(events, starts, toc);

    // Markdown's own links, images and headings were confined above; only authors' HTML
    // needs the HTML parser (ammonia), with the same allowlist.
    let clean = |out: String| {
        if !unsafe_html && has_raw_html {
            allowlist::sanitizer().clean(&out).to_string()
        } else {
            out
        }
    };
    let parts = if cuts.is_empty() {
        Vec::new()
    } else {
        split(&events, &starts, cuts, &toc)
            .into_iter()
            .map(|p| Part {
                html: clean(p.html),
                ..p
            })
            .collect()
    };
    let html = match whole || parts.is_empty() {
        true => {
            let mut out = String::with_capacity(body.len() * 3 / 2);
            html::push_html(&mut out, events.into_iter());
            clean(out)
        }
        false => String::new(),
    };
    Rendered {
        html,
        toc: toc.into_iter().map(|(_, t)| t).collect(),
        parts,
    }
}

/// Fenced code in a language the highlighter knows, as one event of highlighted HTML (whose
/// text syntect escaped); the ToC's event indexes moved with the events. Linear in the events.
fn highlighted<'a>(
    mut events: Vec<Event<'a>>,
    starts: Vec<usize>,
    toc: Vec<(usize, TocEntry)>,
) -> (Vec<Event<'a>>, Vec<usize>, Vec<(usize, TocEntry)>) {
    let mut out = Vec::with_capacity(events.len());
    let mut out_starts = Vec::with_capacity(events.len());
    let mut moved = vec![0; events.len()];
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = &events[i]
            && let Some(end) = events[i..]
                .iter()
                .position(|e| matches!(e, Event::End(TagEnd::CodeBlock)))
                .map(|k| i + k)
        {
            let code: String = events[i + 1..end]
                .iter()
                .filter_map(|e| match e {
                    Event::Text(t) => Some(t.as_ref()),
                    _ => None,
                })
                .collect();
            if let Some(html) = highlight::highlight(info, &code) {
                // The class pulldown-cmark itself writes.
                let lang = info.split(' ').next().unwrap_or("");
                let mut block = String::from("<pre><code class=\"language-");
                let _ = pulldown_cmark_escape::escape_html(&mut block, lang);
                block.push_str("\">");
                block.push_str(&html);
                block.push_str("</code></pre>\n");
                moved[i..=end].fill(out.len());
                out.push(Event::Html(CowStr::from(block)));
                out_starts.push(starts[i]);
                i = end + 1;
                continue;
            }
        }
        moved[i] = out.len();
        out.push(std::mem::replace(
            &mut events[i],
            Event::Text(CowStr::Borrowed("")),
        ));
        out_starts.push(starts[i]);
        i += 1;
    }
    let toc = toc.into_iter().map(|(i, t)| (moved[i], t)).collect();
    (out, out_starts, toc)
}

/// The link to a heading, beside it rather than inside so that the heading's name stays its
/// text; named by hidden text (the sanitizer keeps classes, not ARIA attributes).
fn self_link(id: &str, title: &str) -> String {
    let mut out = String::from("<a class=\"anchor\" href=\"#");
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_href(&mut out, id);
    out.push_str("\"><span class=\"visually-hidden\">Link to this section: ");
    let _ = pulldown_cmark_escape::escape_html(&mut out, title);
    out.push_str("</span></a></div>\n");
    out
}

/// Each heading wrapped with its self-link in a `div.heading`; the ToC's event indexes moved
/// with the events. The added events take their heading's offset, so cuts keep them with it.
fn with_self_links<'a>(
    events: Vec<Event<'a>>,
    starts: Vec<usize>,
    self_links: Vec<(usize, usize, String)>,
    toc: Vec<(usize, TocEntry)>,
) -> (Vec<Event<'a>>, Vec<usize>, Vec<(usize, TocEntry)>) {
    let mut out = Vec::with_capacity(events.len() + 2 * self_links.len());
    let mut out_starts = Vec::with_capacity(out.capacity());
    let mut moved = vec![0; events.len()];
    let mut links = self_links.into_iter().peekable();
    let mut closing: Option<(usize, String)> = None;
    for (i, (event, at)) in events.into_iter().zip(starts).enumerate() {
        if let Some((_, end, link)) = links.next_if(|(s, _, _)| *s == i) {
            out.push(Event::Html(CowStr::Borrowed("<div class=\"heading\">")));
            out_starts.push(at);
            closing = Some((end, link));
        }
        moved[i] = out.len();
        out.push(event);
        out_starts.push(at);
        if let Some((_, link)) = closing.take_if(|(end, _)| *end == i) {
            out.push(Event::Html(CowStr::from(link)));
            out_starts.push(at);
        }
    }
    let toc = toc.into_iter().map(|(i, t)| (moved[i], t)).collect();
    (out, out_starts, toc)
}

/// The events in parts: runs outside the cuts as prose, the cuts' events (less their `drop`s,
/// headings one level down) gathered into their slots' parts.
fn split(events: &[Event], starts: &[usize], cuts: &[Cut], toc: &[(usize, TocEntry)]) -> Vec<Part> {
    let cut_of = |at: usize| cuts.iter().find(|c| c.range.contains(&at));
    let mut parts: Vec<Part> = Vec::new();
    let mut slot_events: Vec<Vec<Event>> = Vec::new();
    let mut run: Vec<Event> = Vec::new();
    let mut run_toc: Vec<TocEntry> = Vec::new();
    let mut toc = toc.iter().peekable();
    let flush = |parts: &mut Vec<Part>, run: &mut Vec<Event>, run_toc: &mut Vec<TocEntry>| {
        if !run.is_empty() {
            let mut html = String::new();
            html::push_html(&mut html, run.drain(..));
            parts.push(Part {
                html,
                slot: None,
                toc: std::mem::take(run_toc),
            });
        }
    };
    for (i, event) in events.iter().enumerate() {
        let at = starts[i];
        let heading_here = toc.next_if(|(j, _)| *j == i).map(|(_, t)| t.clone());
        let Some(cut) = cut_of(at) else {
            run.push(event.clone());
            run_toc.extend(heading_here);
            continue;
        };
        let index = match parts.iter().position(|p| p.slot == Some(cut.slot)) {
            Some(p) => p,
            None => {
                flush(&mut parts, &mut run, &mut run_toc);
                parts.push(Part {
                    slot: Some(cut.slot),
                    ..Part::default()
                });
                slot_events.push(Vec::new());
                parts.len() - 1
            }
        };
        if cut.drop.iter().any(|d| d.contains(&at)) {
            continue;
        }
        let k = parts[..=index].iter().filter(|p| p.slot.is_some()).count() - 1;
        slot_events[k].push(demoted(event.clone()));
    }
    flush(&mut parts, &mut run, &mut run_toc);
    for (p, events) in parts
        .iter_mut()
        .filter(|p| p.slot.is_some())
        .zip(slot_events)
    {
        html::push_html(&mut p.html, events.into_iter());
    }
    parts
}

/// A heading moved under a section of the page: `##` becomes `###`.
fn demoted(event: Event) -> Event {
    match event {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: HeadingLevel::H3,
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
            Event::End(TagEnd::Heading(HeadingLevel::H3))
        }
        e => e,
    }
}

/// The URL an attachment link takes on the page when the file is copied elsewhere than its
/// written path (one above the postmortem's folder goes under `_up/`); `None` when unchanged.
fn moved_attachment(dest_url: &str) -> Option<String> {
    let path = super::assets::attachment(dest_url)?;
    let moved = super::assets::out_url(path);
    (moved != path).then(|| moved + &dest_url[path.len()..])
}

fn leading_h1_end(events: &[Event]) -> Option<usize> {
    match events.first()? {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }) => events
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::Heading(HeadingLevel::H1)))),
        _ => None,
    }
}

/// The readable text of a body, for the search index: blocks on their own lines, markup
/// dropped, the leading title heading left out (the title is indexed on its own).
pub fn plain_text(body: &str) -> String {
    plain_text_of(Parser::new_ext(body, options()), body.len())
}

/// [`plain_text`] of a body's events, already parsed (`parse` has them, and a parse of every
/// body was 1.4 % of a build's instructions); `len` is the body's length.
pub fn plain_text_of<'e, E: std::borrow::Borrow<Event<'e>>>(
    events: impl IntoIterator<Item = E>,
    len: usize,
) -> String {
    let mut out = String::with_capacity(len);
    // Event by event, as `audit`; a leading title heading is skipped to its end.
    let mut in_title = false;
    for (i, ev) in events.into_iter().enumerate() {
        let ev = ev.borrow();
        if i == 0
            && matches!(
                ev,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                })
            )
        {
            in_title = true;
        }
        if in_title {
            in_title = !matches!(ev, Event::End(TagEnd::Heading(HeadingLevel::H1)));
            continue;
        }
        match ev {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(t)
            }
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::TableCell) => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) if !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(body: &str) -> Rendered {
        render(body, &|_| None, false, false)
    }

    #[test]
    fn anchors_and_toc() {
        let r = plain("## Timeline\n\ntext\n\n## Timeline\n\n### Détails `x`\n");
        assert!(r.html.contains("<h2 id=\"timeline\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"timeline-1\">"), "{}", r.html);
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[2].id, "details-x");
    }

    #[test]
    fn unknown_incident_links_are_marked_text_not_broken_links() {
        let r = plain("See [[nope-id]] and [[other|the other one]].");
        assert!(!r.html.contains("href"), "{}", r.html);
        assert!(
            r.html.contains(
                "<span class=\"broken-link\" title=\"No incident has this id\">nope-id</span>"
            ),
            "{}",
            r.html
        );
    }

    #[test]
    fn resolves_links() {
        let r = render(
            "See [[db-outage]] and [that](../2020/x.md#timeline) and [ext](https://e.com/a.md).",
            &|t| match t {
                LinkTarget::Id(id) => Some(format!("/incidents/{id}/")),
                LinkTarget::Path(_) => Some("/incidents/x/".into()),
            },
            false,
            false,
        );
        assert!(
            r.html.contains("href=\"/incidents/db-outage/\""),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("href=\"/incidents/x/#timeline\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("href=\"https://e.com/a.md\""), "{}", r.html);
    }

    #[test]
    fn sanitizes_raw_html_but_keeps_safe_parts() {
        let body = "<script>alert(1)</script>\n\n<img src=\"a.png\" onerror=\"alert(2)\">\n\n<details><summary>More</summary>\n\nhidden\n\n</details>\n\n[x](javascript:alert(3))\n\n| a |\n|:-|\n| b |\n";
        let r = plain(body);
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(r.html.contains("<img src=\"a.png\""), "{}", r.html);
        assert!(
            r.html.contains("<details><summary>More</summary>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("<table>"), "{}", r.html);
        let unsafe_r = render(body, &|_| None, false, true);
        assert!(unsafe_r.html.contains("<script>"));
    }

    #[test]
    fn cuts_move_sections_into_their_slots() {
        let body = "Intro.\n\n## Action items\n\nSome prose.\n\n- item one\n\n## Timeline\n\nRows.\n\n## Follow-up\n\n### Later\n\n- item two\n";
        let at = |s: &str| body.find(s).unwrap();
        let (ai, tl, fu, one) = (
            at("## Action"),
            at("## Timeline"),
            at("## Follow"),
            at("- item one"),
        );
        let cuts = [
            Cut {
                range: ai..tl,
                slot: 0,
                drop: vec![ai..ai + 16, one..one + 11],
            },
            Cut {
                range: fu..body.len(),
                slot: 0,
                drop: std::iter::once(fu..fu + 13).collect(),
            },
        ];
        let r = render_cut(body, &|_| None, false, false, &cuts, true);
        // The whole body as before, for themes that print it whole; the same parts without.
        assert_eq!(r.html, plain(body).html);
        let without = render_cut(body, &|_| None, false, false, &cuts, false);
        assert_eq!(without.html, "");
        assert_eq!(format!("{:?}", without.parts), format!("{:?}", r.parts));
        let shape: Vec<(Option<usize>, &str)> =
            r.parts.iter().map(|p| (p.slot, p.html.as_str())).collect();
        assert_eq!(
            shape,
            [
                (None, "<p>Intro.</p>\n"),
                (
                    Some(0),
                    "<p>Some prose.</p>\n<div class=\"heading\">\n<h3 id=\"later\">Later</h3>\n<a class=\"anchor\" href=\"#later\"><span class=\"visually-hidden\">Link to this section: Later</span></a></div>\n<ul>\n<li>item two</li>\n</ul>\n"
                ),
                (
                    None,
                    "<div class=\"heading\">\n<h2 id=\"timeline\">Timeline</h2>\n<a class=\"anchor\" href=\"#timeline\"><span class=\"visually-hidden\">Link to this section: Timeline</span></a></div>\n<p>Rows.</p>\n"
                ),
            ]
        );
        let toc: Vec<&str> = r.parts[2].toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(toc, ["timeline"]);
        assert!(r.parts[1].toc.is_empty());
    }

    #[test]
    fn bare_urls_become_links_but_not_in_code_or_links() {
        let r = plain(
            "See https://e.com/a_b_c. And `https://e.com/code`, [https://e.com/x](https://e.com/y), <a href=\"https://e.com/z\">https://e.com/z</a>\n\n```\nhttps://e.com/block\n```\n\n## At https://e.com/h\n",
        );
        assert!(
            r.html
                .contains("See <a href=\"https://e.com/a_b_c\">https://e.com/a_b_c</a>."),
            "{}",
            r.html
        );
        // Only the authors' own links, once.
        for (path, links) in [("code", 0), ("block", 0), ("x", 0), ("y", 1), ("z", 1)] {
            let href = format!("href=\"https://e.com/{path}\"");
            assert_eq!(r.html.matches(&href).count(), links, "{path}: {}", r.html);
        }
        assert_eq!(r.html.matches("<a href=\"https://e.com/h\"").count(), 1);
        assert_eq!(r.toc[0].title, "At https://e.com/h");
    }

    #[test]
    fn headings_have_self_links_beside_them() {
        let r = plain("## Why <b>\"it\"</b> broke {#why-\"x}\n\ntext\n");
        assert!(
            r.html
                .contains("<div class=\"heading\">\n<h2 id=\"why-&quot;x\">Why"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("</h2>\n<a class=\"anchor\" href=\"#why-%22x\"><span class=\"visually-hidden\">Link to this section: Why \"it\" broke</span></a></div>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn skips_leading_title() {
        let r = render("# Title\n\nbody", &|_| None, true, false);
        assert!(!r.html.contains("<h1"));
        assert!(r.html.contains("body"));
    }

    #[test]
    fn gfm_features() {
        let r = plain("- [x] done\n\n~~old~~\n\nNote[^1].\n\n[^1]: The note.\n");
        assert!(r.html.contains("type=\"checkbox\""), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
        assert!(r.html.contains("footnote"), "{}", r.html);
    }
}
