//! Bare `http://` and `https://` URLs in prose become links, as GFM's autolink extension reads
//! them: the URL runs to whitespace or `<`, and trailing punctuation (`.` `,` `:` `!` `?` `*`
//! `_` `~`, an unbalanced `)`, an entity's `;`) stays text. Never inside code, links or images.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

use super::allowlist;

/// The bare URLs in `text`, as byte ranges. Linear in the text: it looks for `://`, rarer than
/// the `h` every other English word has, and reads the scheme before it.
pub fn find(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    // One searcher for every text: `str::find` made its own for each of a body's hundreds of
    // text events (a third of linking bare URLs).
    static SEP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("://"));
    while let Some(k) = SEP.find(&bytes[from..]) {
        let colon = from + k;
        // The scheme's letters are ASCII, so where it starts is a character boundary.
        let scheme = |len: usize, name: &[u8]| {
            colon >= from + len && bytes[colon - len..colon].eq_ignore_ascii_case(name)
        };
        let start = if scheme(5, b"https") {
            colon - 5
        } else if scheme(4, b"http") {
            colon - 4
        } else {
            from = colon + 1;
            continue;
        };
        let (url, next) = url_at(text, start, colon + 3 - start);
        out.extend(url);
        from = next;
    }
    out
}

/// The URL whose scheme (`prefix` bytes with its `://`) starts at `start`, if it is one, and
/// where the search for the next goes on.
fn url_at(text: &str, start: usize, prefix: usize) -> (Option<Range<usize>>, usize) {
    let rest = &text[start..];
    // GFM: an autolink starts a word (after whitespace or `*`, `_`, `~`, `(`).
    let starts_word = start == 0
        || matches!(
            text.as_bytes()[start - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'*' | b'_' | b'~' | b'('
        );
    let end = start
        + rest
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(rest.len());
    let next = end.max(start + prefix);
    if !starts_word || !valid_domain(&text[start + prefix..end]) {
        return (None, next);
    }
    let end = start + trimmed_len(&text[start..end]);
    ((end > start + prefix).then_some(start..end), next)
}

/// Segments of letters, digits, `-` and `_` separated by `.`, none empty and no `_` in the last
/// two (GFM); a single segment (`localhost`) is accepted after a scheme, as cmark-gfm does.
fn valid_domain(after_scheme: &str) -> bool {
    let host = after_scheme
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("");
    let segments: Vec<&str> = host.split('.').collect();
    !host.is_empty()
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
        && segments.iter().rev().take(2).all(|s| !s.contains('_'))
}

/// The length of `url` once trailing punctuation is taken off (GFM's extended autolink path
/// validation).
fn trimmed_len(url: &str) -> usize {
    let mut end = url.len();
    let opens = url.matches('(').count();
    let mut closes = url.matches(')').count();
    loop {
        let s = &url[..end];
        let Some(last) = s.chars().next_back() else {
            return end;
        };
        match last {
            // cmark-gfm also leaves out quotes.
            '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"' => end -= 1,
            ')' if closes > opens => {
                end -= 1;
                closes -= 1;
            }
            ';' => {
                // `&amp;` at the end is an entity reference, not part of the URL.
                let body = &s[..s.len() - 1];
                let word = body.trim_end_matches(|c: char| c.is_ascii_alphanumeric());
                if word.ends_with('&') && word.len() < body.len() {
                    end = word.len() - 1;
                } else {
                    end -= 1;
                }
            }
            _ => return end,
        }
    }
}

/// `events` with bare URLs in text turned into links (their `starts`, the body offsets kept in
/// step). Adjacent text events are read as one, since the parser may split a URL at `_` or `*`.
pub fn link_bare_urls<'a>(
    events: Vec<Event<'a>>,
    starts: Vec<usize>,
) -> (Vec<Event<'a>>, Vec<usize>) {
    let mut out: Vec<Event<'a>> = Vec::with_capacity(events.len());
    let mut out_starts: Vec<usize> = Vec::with_capacity(starts.len());
    // Inside a code block, a link or an image (whose text is its alt text) nothing is linked;
    // so too inside an author's `<a>`.
    let mut no_links = 0usize;
    let mut html_links = 0usize;
    // The text read since the last other event, where it starts, and, once a second text
    // event follows the first, all of it joined (appended to, never copied again).
    let mut pending: Option<(CowStr<'a>, usize, Option<String>)> = None;
    let flush = |pending: &mut Option<(CowStr<'a>, usize, Option<String>)>,
                 out: &mut Vec<Event<'a>>,
                 out_starts: &mut Vec<usize>| {
        let Some((first, at, joined)) = pending.take() else {
            return;
        };
        let text = joined.map_or(first, CowStr::from);
        let urls: Vec<Range<usize>> = find(&text)
            .into_iter()
            .filter(|r| allowlist::url_allowed(&text[r.clone()]))
            .collect();
        // Most text has no URL: it goes on as it came, uncopied.
        if urls.is_empty() {
            if !text.is_empty() {
                out.push(Event::Text(text));
                out_starts.push(at);
            }
            return;
        }
        let mut last = 0;
        for r in urls {
            let url = &text[r.clone()];
            if r.start > last {
                out.push(Event::Text(CowStr::from(text[last..r.start].to_string())));
                out_starts.push(at);
            }
            out.push(Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                dest_url: CowStr::from(url.to_string()),
                title: CowStr::Borrowed(""),
                id: CowStr::Borrowed(""),
            }));
            out.push(Event::Text(CowStr::from(url.to_string())));
            out.push(Event::End(TagEnd::Link));
            out_starts.extend([at, at, at]);
            last = r.end;
        }
        if last < text.len() {
            out.push(Event::Text(CowStr::from(text[last..].to_string())));
            out_starts.push(at);
        }
    };
    for (event, at) in events.into_iter().zip(starts) {
        let event = match event {
            Event::Text(t) if no_links == 0 && html_links == 0 => {
                match &mut pending {
                    Some((first, _, joined)) => {
                        joined.get_or_insert_with(|| first.to_string()).push_str(&t)
                    }
                    None => pending = Some((t, at, None)),
                }
                continue;
            }
            other => other,
        };
        match &event {
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. } | Tag::Image { .. }) => no_links += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Link | TagEnd::Image) => {
                no_links = no_links.saturating_sub(1)
            }
            Event::InlineHtml(h) => {
                let h = h.trim_start().to_ascii_lowercase();
                if h.starts_with("<a ") || h.starts_with("<a>") {
                    html_links += 1;
                } else if h.starts_with("</a") {
                    html_links = html_links.saturating_sub(1);
                }
            }
            _ => {}
        }
        flush(&mut pending, &mut out, &mut out_starts);
        out.push(event);
        out_starts.push(at);
    }
    flush(&mut pending, &mut out, &mut out_starts);
    (out, out_starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn gfm_trailing_punctuation() {
        assert_eq!(
            urls("See https://example.com/a. Or (http://e.com/x_(y)), http://localhost:8080/!"),
            [
                "https://example.com/a",
                "http://e.com/x_(y)",
                "http://localhost:8080/"
            ]
        );
        assert_eq!(
            urls("https://e.com/?q=1&amp; and https://e.com/a;"),
            ["https://e.com/?q=1", "https://e.com/a"]
        );
        assert_eq!(urls("https://e.com<b>"), ["https://e.com"]);
    }

    /// What `find` did before it looked for `://`: every `h`, then the scheme after it.
    fn find_from_each_h(text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(k) = text[from..].find(['h', 'H']) {
            let start = from + k;
            let rest = &text.as_bytes()[start..];
            let has = |p: &str| {
                rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            };
            let prefix = match (has("https://"), has("http://")) {
                (true, _) => 8,
                (_, true) => 7,
                _ => {
                    from = start + 1;
                    continue;
                }
            };
            let (url, next) = url_at(text, start, prefix);
            out.extend(url);
            from = next;
        }
        out
    }

    proptest::proptest! {
        /// Texts made of the characters URLs and their near misses are made of.
        #[test]
        fn finds_what_reading_every_h_found(
            text in proptest::string::string_regex("(https?://|HTTP://|hhttps://|[hHtps:/.a(_)é< x]){0,24}").unwrap()
        ) {
            proptest::prop_assert_eq!(find(&text), find_from_each_h(&text));
        }
    }

    #[test]
    fn only_real_urls_at_a_word_start() {
        assert!(urls("xhttps://e.com https:// http://.com http://a_b.c_d ftp://e.com").is_empty());
        assert_eq!(urls("HTTPS://E.COM/A"), ["HTTPS://E.COM/A"]);
    }
}
