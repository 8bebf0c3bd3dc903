//! Problems found in the content, collected as data and rendered rustc-style.

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
                        .path(self.file.as_str())
                        .annotation(AnnotationKind::Primary.span(start..end)),
                )
            }
            _ if self.line > 0 => Group::with_title(title).element(
                Origin::path(self.file.as_str())
                    .line(self.line)
                    .char_column(self.col - 1),
            ),
            _ => Group::with_title(title).element(Origin::path(self.file.as_str())),
        };
        if let Some(hint) = &self.hint {
            group = group.element(SnipLevel::HELP.message(hint.as_str()));
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

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
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
