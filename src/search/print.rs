//! `kb search` results for a terminal: one block per incident, matching words highlighted.
//! Everything a postmortem (or the query) says goes through [`printable`] on its way out, so
//! no escape sequence in a title or snippet reaches the terminal.

use std::fmt::Write;

use super::facets::FacetCount;
use super::run::Results;
use crate::content::infer::clip;
use crate::diagnostics::printable;

struct Style {
    on: bool,
}

impl Style {
    /// `s` made printable, in colour when on.
    fn paint(&self, code: &str, s: &str) -> String {
        let s = printable(s);
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.into_owned()
        }
    }
}

pub fn human(r: &Results, color: bool) -> String {
    let st = Style { on: color };
    let mut out = String::new();
    for c in &r.corrections {
        match &c.suggestion {
            Some(s) => writeln!(
                out,
                "No incident mentions \"{}\"; searched for \"{}\" instead.",
                printable(&c.word),
                printable(s)
            ),
            None => writeln!(out, "No incident mentions \"{}\".", printable(&c.word)),
        }
        .ok();
    }
    if let Some(d) = &r.did_you_mean {
        writeln!(out, "Did you mean: {}", st.paint("1", d)).ok();
    }
    if r.hits.is_empty() {
        writeln!(out, "No incidents match \"{}\".", printable(&r.query)).ok();
    } else {
        let shown = if r.total > r.hits.len() {
            format!("{} of {} incidents", r.hits.len(), r.total)
        } else if r.total == 1 {
            "1 incident".to_string()
        } else {
            format!("{} incidents", r.total)
        };
        writeln!(out, "{shown} for \"{}\", best first\n", printable(&r.query)).ok();
    }
    let width = r.hits.len().to_string().len();
    for (n, h) in r.hits.iter().enumerate() {
        writeln!(out, "{:>width$}. {}", n + 1, st.paint("1", &h.title)).ok();
        let mut meta: Vec<String> = Vec::new();
        meta.push(h.date.clone().unwrap_or_else(|| "undated".into()));
        if let Some(s) = &h.severity {
            meta.push(s.clone());
        }
        if !h.tags.is_empty() {
            meta.push(h.tags.join(", "));
        }
        if !h.services.is_empty() {
            meta.push(h.services.join(", "));
        }
        let pad = " ".repeat(width + 2);
        writeln!(out, "{pad}{}", st.paint("2", &meta.join(" · "))).ok();
        if !h.snippet_text.is_empty() {
            let mut snip = String::new();
            let mut i = 0;
            for m in &h.snippet_marks {
                if m.start < i || m.end > h.snippet_text.len() {
                    continue;
                }
                snip.push_str(&printable(&h.snippet_text[i..m.start]));
                if color {
                    snip.push_str(&st.paint("1;33", &h.snippet_text[m.clone()]));
                } else {
                    snip.push('*');
                    snip.push_str(&printable(&h.snippet_text[m.clone()]));
                    snip.push('*');
                }
                i = m.end;
            }
            snip.push_str(&printable(&h.snippet_text[i..]));
            writeln!(out, "{pad}{}: {}", h.snippet_field, snip.trim()).ok();
        }
        if let Some(line) = actions_line(&h.actions) {
            writeln!(out, "{pad}actions: {}", printable(&line)).ok();
        }
        writeln!(
            out,
            "{pad}{}  {}",
            printable(&h.path),
            st.paint("36", &h.url)
        )
        .ok();
        out.push('\n');
    }
    if let Some(f) = &r.facets {
        let line = |name: &str, counts: &[FacetCount]| {
            let items: Vec<String> = counts
                .iter()
                .map(|c| format!("{} ({})", printable(&c.value), c.count))
                .collect();
            format!(
                "{name:>9}: {}\n",
                if items.is_empty() {
                    "–".to_string()
                } else {
                    items.join(", ")
                }
            )
        };
        out.push_str(&line("tags", &f.tags));
        out.push_str(&line("severity", &f.severity));
        out.push_str(&line("services", &f.services));
        out.push_str(&line("years", &f.years));
    }
    out
}

/// What was done, for a responder deciding what to try: done items first, then the rest, at
/// most two, each cut so the line stays readable.
fn actions_line(actions: &[(String, String)]) -> Option<String> {
    if actions.is_empty() {
        return None;
    }
    let mut sorted: Vec<&(String, String)> = actions.iter().collect();
    sorted.sort_by_key(|(status, _)| status != "done");
    let shown: Vec<String> = sorted
        .iter()
        .take(2)
        .map(|(status, title)| format!("[{status}] {}", clip(title, 60)))
        .collect();
    let more = actions.len().saturating_sub(shown.len());
    Some(if more > 0 {
        format!("{} (+{more} more)", shown.join(" · "))
    } else {
        shown.join(" · ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::run::{Correction, Hit};

    #[test]
    fn nothing_from_a_postmortem_reaches_the_terminal_raw() {
        let evil = "\x1b]0;pwned\x07\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\\x1b[2J";
        let snippet = format!("before {evil} match after");
        let at = snippet.find("match").unwrap();
        let r = Results {
            query: format!("q{evil}"),
            total: 1,
            did_you_mean: Some(evil.into()),
            corrections: vec![Correction {
                word: evil.into(),
                suggestion: Some(evil.into()),
            }],
            hits: vec![Hit {
                id: "x".into(),
                title: evil.into(),
                path: format!("content/{evil}.md"),
                url: "https://kb.example/incidents/x/".into(),
                score: 1.0,
                date: Some(evil.into()),
                severity: Some(evil.into()),
                tags: vec![evil.into()],
                services: vec![evil.into()],
                snippet: String::new(),
                snippet_field: "summary",
                snippet_text: snippet.clone(),
                snippet_marks: std::iter::once(at..at + 5).collect(),
                actions: vec![("done".into(), evil.into())],
            }],
            facets: None,
        };
        for color in [false, true] {
            let out = human(&r, color);
            let raw: Vec<char> = out
                .chars()
                .filter(|c| c.is_control() && *c != '\n')
                .collect();
            if color {
                // Only the escapes kb writes for colour, each starting a colour code.
                assert!(raw.iter().all(|c| *c == '\x1b'), "{out:?}");
                assert_eq!(out.matches('\x1b').count(), out.matches("\x1b[").count());
                assert!(
                    !out.contains("\x1b]") && !out.contains("\x1b[2J"),
                    "{out:?}"
                );
            } else {
                assert!(raw.is_empty(), "{out:?}");
            }
            assert!(out.contains("␛]0;pwned␇"), "{out:?}");
        }
    }
}
