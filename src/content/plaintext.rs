//! Plain text postmortems (`.txt`, and Markdown files that are really plain text) turned into
//! Markdown, so that the sections scan, inference and the page read them like any other body.
//!
//! What a blog, wiki or editor export looks like: site chrome before the title, the title
//! (sometimes twice), section names as lines of their own ("Timeline:", "Lessons learned"),
//! indented timeline rows, "•" bullets, image placeholders, and comments or newsletter forms
//! after the end. Every character of the text stays text: Markdown syntax in it is escaped.
//! Lines keep their numbers, except where a block needs a blank line the text did not have.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

use super::markdown;
use super::sections::{self, Section};

/// Lines before the first sentence that may hold chrome and the title.
const HEADER_LINES: usize = 8;
/// A longer line is a sentence, not a title or a section name.
const TITLE_MAX: usize = 150;

/// Lines of page chrome before the title: site names and navigation.
const SITE_CHROME: &[&str] = &[
    "dev community",
    "medium",
    "linkedin",
    "hashnode",
    "substack",
    "hackernoon",
    "hacker noon",
    "skip to content",
    "skip to main content",
    "menu",
    "home",
    "blog",
    "share",
    "follow",
    "listen",
    "sign in",
    "sign up",
    "subscribe",
    "open in app",
];

/// Starts of chrome lines before the title: bylines and publication notes.
const CHROME_STARTS: &[&str] = &[
    "cover image for ",
    "posted on",
    "published on",
    "published in",
    "originally published",
    "updated on",
    "last updated",
];

/// Lines a copy-paste leaves where an image or an embed was.
const PLACEHOLDERS: &[&str] = &[
    "no alt text provided for this image",
    "image",
    "[image]",
    "(image)",
    "image not available",
    "image unavailable",
    "embedded content",
    "click to enlarge",
];

/// Starts of lines after which a page holds no more of the postmortem: comments, author boxes,
/// newsletter forms. Only looked for in the second half of the text.
const END_MARKERS: &[&str] = &[
    "comments are closed",
    "top comments",
    "to view or add a comment",
    "about the author",
    "leave a comment",
    "leave a reply",
    "if you liked this article",
    "if you enjoyed this article",
    "related posts",
    "you might also like",
    "get the latest from",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "insights from the community",
    "others also viewed",
];

/// True when a Markdown body is really plain text: no Markdown headings, lists, tables, quotes,
/// fenced code, HTML, links or images, and at least two lines that name known sections
/// ("Timeline:", "Lessons learned"). Such a file was written as text and saved as `.md`.
pub fn looks_plain(body: &str) -> bool {
    let lines: Vec<&str> = body.lines().collect();
    // Cheap first: most Markdown has a heading or a list line, and then no parse is needed.
    let markdown_line = |l: &&str| {
        let t = l.trim_start();
        t.starts_with('#')
            || ["- ", "* ", "+ ", "> ", "|", "```", "~~~"]
                .iter()
                .any(|m| t.starts_with(m))
    };
    if lines.iter().any(markdown_line) {
        return false;
    }
    let labels = (0..lines.len())
        .filter(|&i| label(&lines, i).is_some())
        .count();
    if labels < 2 {
        return false;
    }
    !Parser::new_ext(body, markdown::options()).any(|e| {
        matches!(
            e,
            Event::Start(
                Tag::Heading { .. }
                    | Tag::List(_)
                    | Tag::Table(_)
                    | Tag::BlockQuote(_)
                    | Tag::HtmlBlock
                    | Tag::Link { .. }
                    | Tag::Image { .. }
                    | Tag::CodeBlock(CodeBlockKind::Fenced(_))
            ) | Event::Html(_)
                | Event::InlineHtml(_)
        )
    })
}

/// What a line becomes.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Blank,
    Title(String),
    Heading(String),
    /// A heading and the text after its colon ("Impact: 40% of logins failed.").
    HeadingWith(String, String),
    Para(String),
    Bullet(String),
    Ordered(u32, String),
}

/// The plain text as Markdown: a `# ` title, `## ` sections, lists, paragraphs.
pub fn to_markdown(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Out> = vec![Out::Blank; lines.len()];
    let end = end_of_text(&lines);
    let start = match title(&lines[..end]) {
        Some((at, t)) => {
            // The title once: a repeat right after it is dropped.
            let mut next = at + 1;
            while next < end
                && (lines[next].trim().is_empty()
                    || lines[next].trim().eq_ignore_ascii_case(&t)
                    || is_chrome(lines[next]))
            {
                next += 1;
            }
            out[at] = Out::Title(t);
            next
        }
        None => 0,
    };
    let series = numbered_series(&lines[..end]);
    let mut section: Option<Section> = None;
    for i in start..end {
        let raw = lines[i];
        let t = raw.trim();
        if t.is_empty() || is_placeholder(t) {
            continue;
        }
        let indented = raw.starts_with('\t') || raw.starts_with("  ");
        if !indented && let Some((name, rest)) = label(&lines, i) {
            section = sections::classify(&name);
            out[i] = match rest {
                Some(rest) => Out::HeadingWith(name, rest),
                None => Out::Heading(name),
            };
            continue;
        }
        let (bullet, item) = strip_bullet(t);
        let row = section == Some(Section::Timeline) && (indented || starts_with_time(item));
        out[i] = if row || bullet {
            Out::Bullet(item.to_string())
        } else if let Some((n, rest)) = ordered(t, &series) {
            Out::Ordered(n, rest.to_string())
        } else if indented {
            Out::Bullet(t.to_string())
        } else {
            Out::Para(t.to_string())
        };
    }
    write(&out)
}

/// Markdown for the lines, adding a blank line where the next block would otherwise continue
/// the one before (a paragraph line right after a list item).
fn write(out: &[Out]) -> String {
    let mut md = String::new();
    let mut prev = &Out::Blank;
    for o in out {
        let list_prev = matches!(prev, Out::Bullet(_) | Out::Ordered(..));
        let needs_gap = match o {
            Out::Para(_) => list_prev,
            Out::Ordered(n, _) => *n != 1 && matches!(prev, Out::Para(_) | Out::HeadingWith(..)),
            _ => false,
        };
        if needs_gap {
            md.push('\n');
        }
        match o {
            Out::Blank => {}
            Out::Title(t) => {
                md.push_str("# ");
                md.push_str(&escape(t));
            }
            Out::Heading(h) => {
                md.push_str("## ");
                md.push_str(&escape(h));
            }
            Out::HeadingWith(h, rest) => {
                md.push_str("## ");
                md.push_str(&escape(h));
                md.push('\n');
                md.push_str(&escape_line(rest));
            }
            Out::Para(t) => md.push_str(&escape_line(t)),
            Out::Bullet(t) => {
                md.push_str("- ");
                md.push_str(&escape_line(t));
            }
            Out::Ordered(n, t) => {
                md.push_str(&format!("{n}. "));
                md.push_str(&escape_line(t));
            }
        }
        md.push('\n');
        prev = o;
    }
    md
}

/// Where the postmortem ends: before comments, an author box or a newsletter form, when one
/// starts in the second half of the text.
fn end_of_text(lines: &[&str]) -> usize {
    let filled: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    let half = filled.len() / 2;
    for (k, &i) in filled.iter().enumerate().skip(half) {
        let t = lines[i]
            .trim()
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if END_MARKERS.iter().any(|m| t.starts_with(m)) {
            return i;
        }
        // A comment: name, headline, then its age ("1y", "3w") on a line of its own.
        if is_age(&t) && k >= 2 && filled[k - 2..k].iter().all(|&j| lines[j].len() < 100) {
            return filled[k - 2];
        }
    }
    lines.len()
}

fn is_age(t: &str) -> bool {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    (1..=2).contains(&digits) && ["y", "mo", "w", "d", "h"].contains(&&t[digits..])
}

/// The title and its line: the first line of the text that is not chrome, or the one a
/// "Cover image for …" line names.
fn title(lines: &[&str]) -> Option<(usize, String)> {
    let mut header = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        if header.len() == HEADER_LINES || (is_sentence(t) && !is_chrome(t)) {
            break;
        }
        header.push(i);
    }
    let cover = header.iter().find_map(|&i| {
        let t = lines[i].trim();
        t.get(..16)
            .filter(|p| p.eq_ignore_ascii_case("cover image for "))
            .map(|_| t[16..].trim())
    });
    if let Some(c) = cover
        && let Some(&at) = header
            .iter()
            .find(|&&i| lines[i].trim().eq_ignore_ascii_case(c))
    {
        return Some((at, lines[at].trim().to_string()));
    }
    let first = *header.iter().find(|&&i| !is_chrome(lines[i]))?;
    let t = lines[first].trim();
    let starts_list = strip_bullet(t).0 || ordered(t, &[]).is_some();
    let usable = t.chars().count() <= TITLE_MAX
        && label(lines, first).is_none()
        && !starts_list
        && !starts_with_time(t)
        && !lines[first].starts_with([' ', '\t']);
    usable.then(|| (first, t.to_string()))
}

/// A line that reads as running text rather than a title or a label.
fn is_sentence(t: &str) -> bool {
    t.chars().count() > TITLE_MAX
        || (t.split_whitespace().count() >= 12 && t.ends_with(['.', '!', '?']))
}

fn is_chrome(line: &str) -> bool {
    let t = line.trim().to_lowercase();
    SITE_CHROME.contains(&t.as_str())
        || CHROME_STARTS.iter().any(|s| t.starts_with(s))
        || t.contains(" min read")
}

fn is_placeholder(t: &str) -> bool {
    PLACEHOLDERS.iter().any(|p| t.eq_ignore_ascii_case(p))
}

/// A line that names a known section: "Timeline:", "Root Cause and Resolution:", a short line
/// of its own between blank lines ("Lessons learned"), or a name and a colon before text
/// ("Impact: 40% of logins failed."). The name, and the text after the colon.
fn label(lines: &[&str], i: usize) -> Option<(String, Option<String>)> {
    let t = lines[i].trim();
    let blank = |j: Option<usize>| {
        j.and_then(|j| lines.get(j))
            .is_none_or(|l| l.trim().is_empty())
    };
    let alone = blank(i.checked_sub(1)) && blank(Some(i + 1));
    let words = |s: &str| s.split_whitespace().count();
    if let Some(name) = t.strip_suffix(':') {
        let name = name.trim();
        return (words(name) <= 6 && sections::classify(name).is_some())
            .then(|| (name.to_string(), None));
    }
    if alone
        && words(t) <= 5
        && !t.ends_with(['.', ',', ';', '!'])
        && sections::classify(t).is_some()
    {
        return Some((t.to_string(), None));
    }
    let (name, rest) = t.split_once(": ")?;
    (blank(i.checked_sub(1)) && words(name) <= 4 && sections::classify_exact(name).is_some())
        .then(|| (name.trim().to_string(), Some(rest.trim().to_string())))
}

/// Whether the line starts with a bullet, and the line without it.
fn strip_bullet(t: &str) -> (bool, &str) {
    for b in ["- ", "* ", "• ", "◦ ", "▪ ", "‣ ", "– ", "— ", "· "] {
        if let Some(rest) = t.strip_prefix(b) {
            return (true, rest.trim_start());
        }
    }
    (false, t)
}

/// `12. text` or `3) text`, or `Lesson 2: text` when the text numbers that word from 1
/// (`series`): the number and the text.
fn ordered<'a>(t: &'a str, series: &[String]) -> Option<(u32, &'a str)> {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits)
        && let Some(rest) = t[digits..]
            .strip_prefix(". ")
            .or_else(|| t[digits..].strip_prefix(") "))
    {
        return Some((t[..digits].parse().ok()?, rest.trim_start()));
    }
    let (word, n, rest) = word_number(t)?;
    series.iter().any(|w| w == word).then_some((n, rest))
}

/// `Lesson 2: text` → ("Lesson", 2, "text").
fn word_number(t: &str) -> Option<(&str, u32, &str)> {
    let (head, rest) = t.split_once(':')?;
    let (word, n) = head.split_once(' ')?;
    let capitalised = word.chars().next()?.is_uppercase() && word.chars().all(char::is_alphabetic);
    let n: u32 = n.parse().ok().filter(|n| (1..100).contains(n))?;
    capitalised.then_some((word, n, rest.trim_start()))
}

/// Words that number at least two lines from 1 ("Lesson 1:", "Lesson 2:").
fn numbered_series(lines: &[&str]) -> Vec<String> {
    let mut seen: Vec<(&str, u32)> = lines
        .iter()
        .filter_map(|l| word_number(l.trim()).map(|(w, n, _)| (w, n)))
        .collect();
    seen.sort();
    seen.dedup();
    let mut words: Vec<String> = Vec::new();
    for (w, n) in &seen {
        if *n == 2 && seen.contains(&(w, 1)) {
            words.push(w.to_string());
        }
    }
    words
}

/// "10:05 AM: …", "14:32 –", "9am", "2021-06-30 08:40": a timeline row.
pub fn starts_with_time(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |from: usize| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let h = digits(0);
    if h == 4 && b.get(4) == Some(&b'-') {
        return super::infer::find_dates(t)
            .next()
            .is_some_and(|(_, at)| at == 0);
    }
    if !(1..=2).contains(&h) {
        return false;
    }
    if b.get(h) == Some(&b':') && digits(h + 1) == 2 {
        let after = t[h + 3..].chars().next();
        return after.is_none_or(|c| !c.is_alphanumeric() || c.is_whitespace());
    }
    let rest = t[h..].trim_start().to_ascii_lowercase();
    ["am", "pm", "a.m.", "p.m."]
        .iter()
        .any(|m| rest.starts_with(m) && !rest[m.len()..].starts_with(char::is_alphanumeric))
}

/// Text that stays text in Markdown: every character that could start markup is escaped.
fn escape(t: &str) -> String {
    let mut s = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '#' | '{' | '}'
        ) {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// [`escape`], and a line start that Markdown would read as a block (`- `, `+`, `=`, `1.`)
/// escaped too.
fn escape_line(t: &str) -> String {
    let s = escape(t);
    if s.starts_with(['-', '+', '=']) {
        return format!("\\{s}");
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && s[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &s[..digits], &s[digits..]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blog_export_becomes_sections() {
        let text = "Site News\n\nCover image for Disk full on the search cluster\nAna Ruiz\nAna Ruiz\n\nPosted on 3 May\n\nDisk full on the search cluster\n\nIssue Summary:\n\nThe search cluster ran out of disk for two hours.\n\nTimeline:\n\n    10:05 AM: disk alert fires\n    11:20 AM: old indices deleted, resolved\n\nNo alt text provided for this image\n\nLessons learned\n\nLesson 1: Alert on the trend.\n\nLesson 2: Keep less.\n";
        let md = to_markdown(text);
        assert_eq!(
            md,
            "\n\n\n\n\n\n\n\n# Disk full on the search cluster\n\n## Issue Summary\n\nThe search cluster ran out of disk for two hours.\n\n## Timeline\n\n- 10:05 AM: disk alert fires\n- 11:20 AM: old indices deleted, resolved\n\n\n\n## Lessons learned\n\n1. Alert on the trend.\n\n2. Keep less.\n"
        );
        // Every line where it was in the text.
        assert_eq!(md.lines().count(), text.lines().count());
    }

    #[test]
    fn markup_in_text_stays_text() {
        let md = to_markdown(
            "Title\n\n<script>alert(1)</script> *not bold* [x](javascript:y) &amp;\n- 1. a\n# no heading\n",
        );
        let html = markdown::render(&md, &|_| None, false, false).html;
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("*not bold*"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("&amp;amp;"), "{html}");
        assert!(!html.contains("<ol"), "{html}");
        assert!(html.contains("# no heading"), "{html}");
    }

    #[test]
    fn labels_must_be_short_and_known() {
        let lines = [
            "",
            "Root Cause and Resolution:",
            "",
            "The aftermath",
            "",
            "Root cause analysis showed that the disk filled",
            "",
        ];
        assert!(label(&lines, 1).is_some());
        assert!(label(&lines, 3).is_some());
        assert!(label(&lines, 5).is_none());
        let inline = ["Impact: 40% of logins failed."];
        assert_eq!(
            label(&inline, 0),
            Some(("Impact".into(), Some("40% of logins failed.".into())))
        );
        assert!(label(&["Picture this: a Sunday night."], 0).is_none());
    }

    #[test]
    fn times_that_start_timeline_rows() {
        for t in [
            "10:05 AM: x",
            "14:32 – x",
            "9am x",
            "2021-06-30 08:40 x",
            "9:15",
        ] {
            assert!(starts_with_time(t), "{t}");
        }
        for t in ["10:05x", "2021 was", "100:00", "9 amps"] {
            assert!(!starts_with_time(t), "{t}");
        }
    }

    #[test]
    fn comments_and_forms_after_the_text_are_cut() {
        let text =
            "Title\n\nOne.\n\nTwo.\n\nThree.\n\nJane Doe\n\nEngineer at X\n\n1y\n\nGreat post!\n";
        let md = to_markdown(text);
        assert!(md.contains("Three."), "{md}");
        assert!(!md.contains("Jane") && !md.contains("Great"), "{md}");
    }

    #[test]
    fn only_plain_markdown_is_taken_for_text() {
        assert!(looks_plain(
            "Title\n\nSummary:\n\nIt broke.\n\nTimeline:\n\n    10:05 AM: alert\n"
        ));
        assert!(!looks_plain(
            "# Title\n\nSummary:\n\nIt broke.\n\nTimeline:\n"
        ));
        assert!(!looks_plain("Summary:\n\n- It broke.\n\nTimeline:\n"));
        assert!(!looks_plain("Just some text.\n\nTimeline:\n"));
    }
}
