//! How much one postmortem may name: tags and services per incident, and how long a name may
//! be. Every tag and service gets a page listing its incidents with their tags and services,
//! so one incident with N of them makes N pages of N names each: unbounded, a pasted list of
//! 4,000 tags wrote a gigabyte. Real postmortems name a handful (at most 6 tags, 5 services
//! and 36 characters in the example and DFDS corpora), so the limits are far above any real use.

use std::collections::HashSet;

use super::fields::Reader;
use super::incident::Incident;
use super::node::{Kind, Node};
use crate::diagnostics::Diagnostic;

/// Tags per incident: written ones and those of `Category:` lines together.
pub const MAX_TAGS: usize = 50;
pub const MAX_SERVICES: usize = 50;
/// Characters in one tag or service name.
pub const MAX_NAME_CHARS: usize = 100;
/// Bytes of a name's URL form, which is a folder name in the output (`tags/<name>/`): file
/// systems allow 255, and letters outside ASCII are spelled out (`東京` → `dong-jing`), so a
/// name within the character limit can still be too long there.
pub const MAX_SLUG_BYTES: usize = 120;

/// What a name is in messages: "tag" or "service".
fn what(key: &str) -> &'static str {
    if key == "services" { "service" } else { "tag" }
}

fn max_for(key: &str) -> usize {
    if key == "services" {
        MAX_SERVICES
    } else {
        MAX_TAGS
    }
}

/// Checks `tags` or `services` as read from `node` into `values`: an error at the first entry
/// past the limit and at each name that is too long. Those entries are dropped, so the rest
/// of the run (`kb search` goes on after errors) does bounded work.
pub fn check_list(r: &mut Reader, key: &str, node: &Node, values: &mut Vec<String>) {
    let max = max_for(key);
    if values.len() <= max && values.iter().all(|v| name_problem(v).is_none()) {
        return;
    }
    // The nodes `values` came from, in the same order (`Reader::strings` keeps the non-empty
    // scalars of a list); a comma-separated string is located part by part.
    let spots: Vec<(usize, usize, usize)> = match &node.kind {
        Kind::Seq(items) => items
            .iter()
            .filter(|n| match &n.kind {
                Kind::Str(s) => !s.trim().is_empty(),
                Kind::Int(_) | Kind::Float(_) => true,
                _ => false,
            })
            .map(|n| (n.pos.line + r.line_offset, n.pos.col, n.pos.len))
            .collect(),
        _ => parts_in_line(r, node, values),
    };
    let spot = |i: usize| {
        spots
            .get(i)
            .copied()
            .unwrap_or((node.pos.line + r.line_offset, node.pos.col, node.pos.len))
    };
    let total = values.len();
    let mut kept = Vec::with_capacity(total.min(max));
    for (i, v) in values.drain(..).enumerate() {
        if i == max {
            let (line, col, len) = spot(i);
            let d = too_many(r.file, key, total).at(r.text, line, col, len);
            r.diags.push(d);
            break;
        }
        match name_problem(&v) {
            Some(problem) => {
                let (line, col, len) = spot(i);
                r.diags
                    .push(too_long(r.file, what(key), &v, &problem).at(r.text, line, col, len));
            }
            None => kept.push(v),
        }
    }
    *values = kept;
}

/// Where each part of a comma-separated string sits on the value's line (the whole value
/// when a part cannot be found there, e.g. in a multi-line string).
fn parts_in_line(r: &Reader, node: &Node, values: &[String]) -> Vec<(usize, usize, usize)> {
    let line = node.pos.line + r.line_offset;
    let whole = (line, node.pos.col, node.pos.len);
    let Some(text) = r.text.lines().nth(line.saturating_sub(1)) else {
        return Vec::new();
    };
    let start = text
        .char_indices()
        .nth(node.pos.col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    let mut at = start;
    values
        .iter()
        .map(|v| match text[at..].find(v.as_str()) {
            Some(k) => {
                let byte = at + k;
                at = byte + v.len();
                (line, text[..byte].chars().count() + 1, v.len())
            }
            None => whole,
        })
        .collect()
}

/// `count` names where the limit for `key` is less; located by the caller at the first one
/// past it.
fn too_many(file: &str, key: &str, count: usize) -> Diagnostic {
    let (what, max) = (what(key), max_for(key));
    Diagnostic::error(
        file,
        format!("too many {what}s: {count}; an incident may have at most {max}"),
    )
    .with_hint(format!(
        "this is the {}st; keep the {what}s that say most about the incident (every {what} \
         page lists its incidents, so thousands of {what}s flood the site)",
        max + 1
    ))
}

/// Why a name is too long, if it is: its length in characters, or of its URL form in bytes.
fn name_problem(name: &str) -> Option<String> {
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Some(format!(
            "is {chars} characters long; the limit is {MAX_NAME_CHARS}"
        ));
    }
    // An ASCII name's URL form is never longer than the name.
    if name.is_ascii() && name.len() <= MAX_SLUG_BYTES {
        return None;
    }
    let slug = slug::slugify(name).len();
    (slug > MAX_SLUG_BYTES).then(|| {
        format!(
            "makes a URL name of {slug} bytes (letters outside ASCII are spelled out); the \
             limit is {MAX_SLUG_BYTES}"
        )
    })
}

fn too_long(file: &str, what: &str, name: &str, problem: &str) -> Diagnostic {
    let shown: String = name.chars().take(40).collect();
    let ellipsis = if shown.len() < name.len() { "…" } else { "" };
    Diagnostic::error(file, format!("{what} `{shown}{ellipsis}` {problem}")).with_hint(format!(
        "a {what} is a short name, e.g. `replication`; say more in the postmortem's text"
    ))
}

/// The same limits for tags read from `Category:` lines of the body, counted together with
/// the written ones: an error at the line of each one dropped.
pub fn check_inferred_tags(
    file: &str,
    text: &str,
    inc: &mut Incident,
    diags: &mut Vec<Diagnostic>,
) {
    if inc.inferred_tags.is_empty() {
        return;
    }
    let mut names: HashSet<String> = inc.tags.iter().map(slug::slugify).collect();
    let total = names.len()
        + inc
            .inferred_tags
            .iter()
            .filter(|t| name_problem(t).is_none())
            .map(slug::slugify)
            .filter(|t| !names.contains(t))
            .collect::<HashSet<_>>()
            .len();
    let body_start = text.len() - inc.body.len();
    let mut lines = Lines::new(text, body_start, inc.body_line);
    let mut kept = Vec::new();
    let mut errors = 0;
    // Located only when reported: most lines are fine, and finding one is a scan.
    for tag in std::mem::take(&mut inc.inferred_tags) {
        if let Some(problem) = name_problem(&tag) {
            let (line, col) = lines.find(&tag);
            diags.push(too_long(file, "tag", &tag, &problem).at(text, line, col, tag.len()));
            errors += 1;
            if errors == MAX_TAGS {
                break;
            }
        } else if names.insert(slug::slugify(&tag)) && names.len() > MAX_TAGS {
            let (line, col) = lines.find(&tag);
            diags.push(too_many(file, "tags", total).at(text, line, col, tag.len()));
            break;
        } else {
            kept.push(tag);
        }
    }
    inc.inferred_tags = kept;
}

/// Finds `Category:` values in the body, in order, each after the one found before.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset of the next line to look at, and its number.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, at: usize, line: usize) -> Self {
        Lines { text, at, line }
    }

    /// The line and column of `value` on the next line naming a category; when it is not
    /// written there as read (Markdown escapes), the start of the next such line.
    fn find(&mut self, value: &str) -> (usize, usize) {
        let (mut at, mut line) = (self.at, self.line);
        let mut first = None;
        for l in self.text[at..].split_inclusive('\n') {
            if l.to_ascii_lowercase().contains("category") {
                if let Some(k) = l.find(value) {
                    self.at = at + l.len();
                    self.line = line + 1;
                    return (line, l[..k].chars().count() + 1);
                }
                first = first.or(Some((at + l.len(), line)));
            }
            at += l.len();
            line += 1;
        }
        match first {
            Some((end, line)) => {
                (self.at, self.line) = (end, line + 1);
                (line, 1)
            }
            None => (self.line, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_measured_in_characters_and_in_url_bytes() {
        assert!(name_problem(&"a".repeat(MAX_NAME_CHARS)).is_none());
        assert!(name_problem(&"a".repeat(MAX_NAME_CHARS + 1)).is_some());
        // 30 characters, each spelled out in several ASCII letters.
        let cjk = "東京".repeat(15);
        assert!(cjk.chars().count() <= MAX_NAME_CHARS);
        assert!(name_problem(&cjk).unwrap().contains("URL name"));
    }
}
