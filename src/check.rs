//! `kb check`: every problem of the whole knowledge base in one run, for authors and CI. It
//! reads what `kb build` reads (so every build error and warning is here) and adds what only
//! a review needs: broken links as errors, files without frontmatter, missing recommended
//! fields, open action items without an owner, overdue ones, prompts left from `kb new`.

use std::path::Path;

use jiff::civil::Date;
use serde::Serialize;

use crate::build::{self, BuildError};
use crate::config::RunOptions;
use crate::content::incident::Status;
use crate::content::template::prompts_in;
use crate::diagnostics::{Bounded, Diagnostic, Level, printable};
use crate::kb::stats::{self, Standing};
use crate::kb::{Entry, source_text};

/// The diagnostics of the knowledge base at `root`, sorted by file and position.
pub fn check(root: &Path, drafts: bool, run: &RunOptions) -> Result<Vec<Diagnostic>, BuildError> {
    let today = run.today();
    if !root.is_dir() {
        return Err(BuildError::Usage(format!(
            "knowledge base root {} is not a directory",
            root.display()
        )));
    }
    let (kb, mut diags) = build::load_kb(root, &root.join("public"), drafts, None, run, &|_| {})?;
    for d in &mut diags {
        // A link nobody can follow is an error in review, a warning while previewing.
        if d.code == Some("broken-link") {
            d.level = Level::Error;
        }
    }
    // Tags the site does not configure, when it configures some: usually a misspelling.
    let known: std::collections::BTreeSet<&str> =
        kb.config.tags.keys().map(String::as_str).collect();
    let mut suggestions = crate::diagnostics::Suggestions::default();
    for e in &kb.entries {
        review(e, today, &mut diags);
        if known.is_empty() {
            continue;
        }
        let text = source_text(&e.incident);
        // Each is found in the file from its start: the first ones in full, the rest counted.
        let mut bounded = Bounded::default();
        for t in e
            .tags
            .iter()
            .filter(|t| !t.inferred && !known.contains(&t.name.as_str()))
        {
            if !bounded.show(1, false) {
                continue;
            }
            let (line, col) = find(&text, &t.name).unwrap_or((1, 1));
            let hint = match suggestions.suggest(&t.name, known.iter().copied()) {
                Some(m) => format!(
                    "did you mean `{m}`? Or add `[tags.{}]` to site.toml",
                    t.name
                ),
                None => format!(
                    "add `[tags.{}]` (or an alias) to site.toml if it is meant",
                    t.name
                ),
            };
            diags.push(
                Diagnostic::warning(
                    &e.incident.path,
                    format!("tag `{}` is not in site.toml", t.name),
                )
                .at(&text, line, col, t.name.len())
                .with_hint(hint)
                .with_code("unknown-tag"),
            );
        }
        diags.extend(bounded.rest(&e.incident.path, "tags not in site.toml"));
    }
    crate::diagnostics::sort(&mut diags);
    Ok(diags)
}

/// The 1-based line and column where `needle` first appears in `text`.
fn find(text: &str, needle: &str) -> Option<(usize, usize)> {
    let at = text.find(needle)?;
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Some((line, text[start..at].chars().count() + 1))
}

fn review(e: &Entry, today: Date, diags: &mut Vec<Diagnostic>) {
    let inc = &e.incident;
    let text = source_text(inc);
    let file = inc.path.clone();
    if !inc.has_frontmatter {
        diags.push(
            Diagnostic::warning(&file, "no frontmatter: every field is inferred from the text")
                .at(&text, 1, 1, 0)
                .with_hint(
                    "add a `---` block with at least title, date, severity, tags and services (kb new writes one)",
                )
                .with_code("no-frontmatter"),
        );
    } else {
        let mut missing = Vec::new();
        // A severity that is not a level was reported where it is written.
        if inc.severity.is_none() && !inc.inferred.contains("severity-unreadable") {
            missing.push("severity");
        }
        if e.tags.is_empty() {
            missing.push("tags");
        }
        if inc.services.is_empty() {
            missing.push("services");
        }
        if inc.symptoms.is_empty() {
            missing.push("symptoms");
        }
        // Timestamps out of order were dropped, and warned about where they are.
        let disordered = inc.inferred.contains("timestamps-out-of-order");
        if !disordered && (inc.timestamps.started.is_none() || inc.timestamps.resolved.is_none()) {
            missing.push("timestamps (started, resolved)");
        }
        if !missing.is_empty() {
            diags.push(
                Diagnostic::warning(
                    &file,
                    format!("missing recommended fields: {}", missing.join(", ")),
                )
                .at(&text, 1, 1, 3)
                .with_hint(
                    "they make the incident findable (symptoms, tags, services) and measurable (severity, timestamps)",
                )
                .with_code("missing-recommended"),
            );
        }
    }
    unfilled_template(e, &text, diags);
    let mut bounded = Bounded::default();
    for a in &inc.action_items {
        let standing = stats::standing(a, today);
        let open = matches!(
            standing,
            Standing::Open | Standing::InProgress | Standing::Overdue
        );
        let (ownerless, overdue) = (open && a.owner.is_none(), standing == Standing::Overdue);
        let problems = usize::from(ownerless) + usize::from(overdue);
        if problems == 0 {
            continue;
        }
        // Each is found in the file from its start (20,000 items without an owner took 14 s):
        // the first ones in full, the rest counted.
        if !bounded.show(problems, false) {
            continue;
        }
        let (line, col) = find(&text, &a.title).unwrap_or((1, 1));
        let at = |d: Diagnostic| d.at(&text, line, col, a.title.len());
        if ownerless {
            diags.push(
                at(Diagnostic::warning(
                    &file,
                    format!("open action item without an owner: {}", a.title),
                ))
                .with_hint("give it an `owner:`; an item nobody owns rarely gets done")
                .with_code("no-owner"),
            );
        }
        if overdue {
            let due = a.due.map(|d| d.to_string()).unwrap_or_default();
            diags.push(
                at(Diagnostic::warning(
                    &file,
                    format!("action item overdue since {due}: {}", a.title),
                ))
                .with_hint("mark it done, give it a new `due:`, or mark it `wont-do`")
                .with_code("overdue"),
            );
        }
    }
    diags.extend(bounded.rest(&file, "action item warnings"));
}

/// Prompts left from `kb new`'s template: fine while drafting, an error once published (the
/// page would show them as the incident's text).
fn unfilled_template(e: &Entry, text: &str, diags: &mut Vec<Diagnostic>) {
    let inc = &e.incident;
    for (line, col, len) in prompts_in(text, inc.body_line) {
        let message = "text left from the `kb new` template";
        let d = if inc.status == Status::Published {
            Diagnostic::error(&inc.path, message)
        } else {
            Diagnostic::warning(&inc.path, message)
        };
        diags.push(
            d.at(text, line, col, len)
                .with_hint("replace the prompt with what happened, or delete it")
                .with_code("unfilled-template"),
        );
    }
}

/// `--format json`: the diagnostics and their counts (layout documented in docs/check.md).
#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: &'a [Diagnostic],
}

pub fn report(diags: &[Diagnostic]) -> Report<'_> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    Report {
        version: 1,
        errors,
        warnings: diags.len() - errors,
        diagnostics: diags,
    }
}

/// `--format github`: workflow commands GitHub Actions turns into annotations on the files.
pub fn github(diags: &[Diagnostic]) -> String {
    // Values and messages escape `%`, CR and LF; property values also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diags {
        let kind = if d.is_error() { "error" } else { "warning" };
        let mut props = vec![format!("file={}", prop(&d.file))];
        if d.line > 0 {
            props.push(format!("line={}", d.line));
            props.push(format!("col={}", d.col));
        }
        if let Some(c) = d.code {
            props.push(format!("title={}", prop(c)));
        }
        // The log viewer shows colour escapes: what a postmortem says must not make any.
        let mut message = printable(&d.message).into_owned();
        if let Some(h) = &d.hint {
            message.push_str("\nhelp: ");
            message.push_str(&printable(h));
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_annotations_escape_their_values() {
        let d = Diagnostic::error("content/a,b.md", "bad: 100%\nvalue")
            .at("x\ny\n", 2, 1, 1)
            .with_hint("fix it")
            .with_code("broken-link");
        assert_eq!(
            github(&[d]),
            "::error file=content/a%2Cb.md,line=2,col=1,title=broken-link::bad: 100%25%0Avalue%0Ahelp: fix it\n"
        );
    }

    #[test]
    fn github_annotations_carry_no_escape_sequences() {
        let d = Diagnostic::warning("a.md", "title `\x1b]0;x\x07`").with_hint("\x1b[31mred");
        assert_eq!(
            github(&[d]),
            "::warning file=a.md::title `␛]0;x␇`%0Ahelp: ␛[31mred\n"
        );
    }

    #[test]
    fn positions_of_text() {
        assert_eq!(find("ab\ncd ef\n", "ef"), Some((2, 4)));
        assert_eq!(find("é\nx", "x"), Some((2, 1)));
    }
}
