//! Problems found in the content, collected as data and rendered rustc-style.

use std::borrow::Cow;
use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level as SnipLevel, Origin, Renderer, Snippet};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One problem, with the position it was found at (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    /// Path as the user would type it (relative to the knowledge base root when possible).
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// Length in bytes of the highlighted text on `line` (0 when there is no snippet).
    #[serde(skip)]
    pub len: usize,
    pub message: String,
    pub hint: Option<String>,
    /// A stable name for the kind of problem (`broken-link`, `no-owner`, …), for tools;
    /// `None` for the many one-off messages.
    pub code: Option<&'static str>,
    /// The source line, for the snippet.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Level::Error, file, message)
    }

    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, file, message)
    }

    fn new(level: Level, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            file: file.into(),
            line: 0,
            col: 0,
            len: 0,
            message: message.into(),
            hint: None,
            code: None,
            source_line: None,
        }
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Points the diagnostic at `line:col` of `text`, taking the snippet from it.
    pub fn at(mut self, text: &str, line: usize, col: usize, len: usize) -> Self {
        self.line = line.max(1);
        self.col = col.max(1);
        self.source_line = text.lines().nth(self.line - 1).map(str::to_string);
        let avail = self.source_line.as_deref().map_or(0, |l| {
            let start = l
                .char_indices()
                .nth(self.col - 1)
                .map_or(l.len(), |(i, _)| i);
            l.len() - start
        });
        self.len = len.min(avail);
        self
    }

    /// Points the diagnostic at a byte offset of `text`.
    pub fn at_offset(self, text: &str, offset: usize, len: usize) -> Self {
        let (line, col) = line_col(text, offset);
        self.at(text, line, col, len)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `file:line:col` (or just `file` when there is no position).
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.col)
        }
    }

    /// Renders the diagnostic like rustc does: title, `-->` location, snippet, help.
    pub fn render(&self, color: bool) -> String {
        let level = match self.level {
            Level::Error => SnipLevel::ERROR,
            Level::Warning => SnipLevel::WARNING,
        };
        let title = level.primary_title(self.message.as_str());
        // annotate-snippets makes titles and source lines printable, not paths or help.
        let file = printable(&self.file);
        let mut group = match &self.source_line {
            Some(src) if self.line > 0 => {
                // Columns count characters (like rustc); snippet spans are byte ranges.
                let start = src
                    .char_indices()
                    .nth(self.col - 1)
                    .map_or(src.len(), |(i, _)| i);
                let end = floor_char_boundary(src, (start + self.len.max(1)).min(src.len()));
                let end = if end <= start {
                    ceil_char_boundary(src, start + 1)
                } else {
                    end
                };
                Group::with_title(title).element(
                    Snippet::source(src.as_str())
                        .line_start(self.line)
                        .path(file.as_ref())
                        .annotation(AnnotationKind::Primary.span(start..end)),
                )
            }
            _ if self.line > 0 => Group::with_title(title).element(
                Origin::path(file.as_ref())
                    .line(self.line)
                    .char_column(self.col - 1),
            ),
            _ => Group::with_title(title).element(Origin::path(file.as_ref())),
        };
        let hint = self.hint.as_deref().map(printable);
        if let Some(hint) = &hint {
            group = group.element(SnipLevel::HELP.message(hint.as_ref()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.render(false))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Problems of one kind one file reports in full (each locates itself in the file); the rest
/// are counted in one more diagnostic, so that thousands of keys cannot make checking quadratic.
pub const SHOWN: usize = 100;

impl Diagnostic {
    /// The diagnostic that counts the `n` problems of a kind (`what`) past the first [`SHOWN`]
    /// of `file`: an error when one of them is, so that the build still fails.
    pub fn unshown(file: &str, n: usize, what: &str, error: bool) -> Diagnostic {
        let message = format!("{n} more {what}, not shown: the first {SHOWN} are above");
        let d = match error {
            true => Diagnostic::error(file, message),
            false => Diagnostic::warning(file, message),
        };
        d.with_hint("fix those and run `kb check` again")
    }
}

/// Problems of one kind in one file: the first [`SHOWN`] are made in full (each locates itself
/// by reading the file from its start), the rest only counted, for [`Bounded::rest`].
#[derive(Debug, Default)]
pub struct Bounded {
    shown: usize,
    unshown: usize,
    error: bool,
}

impl Bounded {
    /// Whether the next `n` problems (an error among them when `error`) are to be made; when
    /// not, they are counted.
    pub fn show(&mut self, n: usize, error: bool) -> bool {
        if self.shown >= SHOWN {
            self.unshown += n;
            self.error |= error;
            return false;
        }
        self.shown += n;
        true
    }

    /// The diagnostic counting the problems not made ([`Diagnostic::unshown`]), if any.
    pub fn rest(&self, file: &str, what: &str) -> Option<Diagnostic> {
        (self.unshown > 0).then(|| Diagnostic::unshown(file, self.unshown, what, self.error))
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Sorts diagnostics for stable output: by file, position, then message.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.col, &a.message).cmp(&(&b.file, b.line, b.col, &b.message))
    });
}

/// `text` safe to print on a terminal. Control characters become visible symbols (`\x1b` is
/// `␛`), so a title cannot retitle the window, fake a link, colour or hide the output; C1 controls
/// and bidirectional overrides (text shown in another order than it is stored) become `�`.
/// The replacements annotate-snippets makes in the titles and snippets of diagnostics (its
/// helper is private), except that tabs and line breaks are kept.
pub fn printable(text: &str) -> Cow<'_, str> {
    fn replace(c: char) -> Option<char> {
        match c {
            '\t' | '\n' => None,
            '\0'..='\x1f' => char::from_u32(0x2400 + c as u32),
            '\x7f' => Some('␡'),
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                Some('\u{fffd}')
            }
            _ => None,
        }
    }
    if !text.chars().any(|c| replace(c).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| replace(c).unwrap_or(c)).collect())
}

/// `1 incident`, `2 incidents`: a count and its noun, for messages.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
///
/// Linear in the candidates, each compared only as far as it can still be close: a candidate
/// whose length alone puts it out of reach costs a count, and a comparison stops at the first
/// row past the distance allowed. (Every id of a knowledge base is a candidate for a broken
/// `[[link]]`: the full table for each took 2,000 postmortems with one each 16 s.)
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let (mut row, mut other) = (Vec::new(), Vec::new());
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // The distance a suggestion may have; closer than the best one so far.
        let allowed = 2.max(c.len() / 4).min(c.len().saturating_sub(1));
        let allowed = best.map_or(allowed, |(d, _)| allowed.min(d));
        // Lowercasing may change a non-ASCII word's length: those are lowercased first.
        let lower = (!c.is_ascii()).then(|| c.to_lowercase());
        let len = lower.as_ref().map_or(c.len(), |l| l.chars().count());
        if c.is_empty() || len.abs_diff(word.len()) > allowed {
            continue;
        }
        other.clear();
        match &lower {
            Some(l) => other.extend(l.chars()),
            None => other.extend(c.bytes().map(|b| char::from(b.to_ascii_lowercase()))),
        }
        if let Some(d) = distance_within(&word, &other, allowed, &mut row)
            && best.is_none_or(|(bd, bc)| (d, c) < (bd, bc))
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// "Did you mean" across a run: each suggestion compares a word with every candidate (every id
/// of the knowledge base, every tag of `site.toml`), so the first [`SHOWN`] words of a run get
/// one, and a run with a problem in every file stays linear.
pub struct Suggestions(usize);

impl Default for Suggestions {
    fn default() -> Self {
        Suggestions(SHOWN)
    }
}

impl Suggestions {
    /// [`did_you_mean`], while the run has suggestions left.
    pub fn suggest<'a>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        self.0 = self.0.checked_sub(1)?;
        did_you_mean(word, candidates)
    }
}

/// The edit distance of `a` and `b` when it is at most `max`; `row` is scratch space.
fn distance_within(a: &[char], b: &[char], max: usize, row: &mut Vec<usize>) -> Option<usize> {
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut least = row[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (diagonal + cost).min(row[j + 1] + 1).min(row[j] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
            least = least.min(next);
        }
        // Every path to the end passes this row: none can get back under `max`.
        if least > max {
            return None;
        }
    }
    Some(row[b.len()]).filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let text = "ab\ncé d\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 7), (2, 4));
    }

    #[test]
    fn printable_shows_control_characters() {
        assert_eq!(printable("plain é"), "plain é");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(
            printable("\x1b]0;owned\x07a\x1b[31mred\x1b[0m\tb\rc\x7f\n"),
            "␛]0;owned␇a␛[31mred␛[0m\tb␍c␡\n"
        );
        assert_eq!(
            printable("\u{9b}31m \u{202e}txt"),
            "\u{fffd}31m \u{fffd}txt"
        );
    }

    #[test]
    fn rendered_diagnostics_are_printable() {
        let d = Diagnostic::warning("content/a\x1b[2Jb.md", "m\x1b]0;t\x07")
            .at("x\x1b[2J\n", 1, 1, 1)
            .with_hint("h\x1b[31m");
        let out = d.render(false);
        assert!(out.contains("content/a␛[2Jb.md:1:1"), "{out}");
        assert!(!out.contains('\x1b'), "{out:?}");
    }

    #[test]
    fn counts() {
        assert_eq!(count(1, "incident"), "1 incident");
        assert_eq!(count(0, "tag"), "0 tags");
        assert_eq!(count(3, "page"), "3 pages");
    }

    /// The full table, as every hint was found before the bounds.
    fn reference<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let distance = |a: &str, b: &str| {
            let b: Vec<char> = b.chars().collect();
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.chars().enumerate() {
                let mut cur = vec![i + 1; b.len() + 1];
                for (j, cb) in b.iter().enumerate() {
                    let cost = usize::from(ca != *cb);
                    cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
                }
                prev = cur;
            }
            prev[b.len()]
        };
        let word = word.to_lowercase();
        candidates
            .iter()
            .map(|c| (distance(&word, &c.to_lowercase()), *c))
            .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
            .min_by_key(|(d, c)| (*d, *c))
            .map(|(_, c)| c)
    }

    proptest::proptest! {
        #[test]
        fn bounded_suggestions_are_the_full_tables(
            word in "[a-cA-CİΣς-]{0,9}",
            candidates in proptest::collection::vec("[a-cA-CİΣς-]{0,9}", 0..12),
        ) {
            let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(
                did_you_mean(&word, candidates.iter().copied()),
                reference(&word, &candidates)
            );
        }
    }

    #[test]
    fn suggests_close_words_only() {
        let keys = ["severity", "services", "symptoms"];
        assert_eq!(did_you_mean("severty", keys), Some("severity"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn renders_location_snippet_and_hint() {
        let d = Diagnostic::error("content/a.md", "unknown severity `SEV9`")
            .at("---\nseverity: SEV9\n---\n", 2, 11, 4)
            .with_hint("use one of SEV1, SEV2");
        let out = d.render(false);
        assert!(out.contains("content/a.md:2:11"), "{out}");
        assert!(out.contains("severity: SEV9"), "{out}");
        assert!(out.contains("help: use one of SEV1, SEV2"), "{out}");
    }
}
