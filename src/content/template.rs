//! Text left from `kb new`'s built-in template: the prompts ("Two or three sentences: …") are
//! no data, so inference skips them and `kb check` points at each one still in a file.

use super::sections::Scan;
use crate::scaffold::POSTMORTEM;

/// A prompt of the template, still in the text. A prompt is recognised as a whole sentence
/// of the template, so a filled-in section is never mistaken for one; short pieces ("All
/// times in UTC.", headings) are real text too often to count.
pub fn is_template_text(t: &str) -> bool {
    let t = t.trim();
    t.len() >= 20 && starts_like_template(t) && POSTMORTEM.contains(t)
}

/// Bytes of the template's windows in [`starts_like_template`].
const WINDOW: usize = 12;

/// Whether `t` begins with bytes that occur in the template: most text does not, and this
/// set lookup is far cheaper than searching the whole template for it (a build asks for every
/// paragraph, item and cell).
fn starts_like_template(t: &str) -> bool {
    static WINDOWS: std::sync::LazyLock<std::collections::HashSet<&'static [u8]>> =
        std::sync::LazyLock::new(|| POSTMORTEM.as_bytes().windows(WINDOW).collect());
    t.as_bytes()
        .get(..WINDOW)
        .is_none_or(|w| WINDOWS.contains(w))
}

/// A whole line of the template, of any length: not a summary, even when it is true.
fn is_template_line(t: &str) -> bool {
    // A set, not a scan of the template's lines: a build asks for every lead paragraph.
    static LINES: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| POSTMORTEM.lines().map(str::trim).collect());
    let t = t.trim();
    !t.is_empty() && LINES.contains(t)
}

/// The scan without the template's prompts, for inference. "All times in UTC." stays in
/// the timeline (it gives the rows their zone) but is no summary.
pub fn without_template_text(mut scan: Scan) -> Scan {
    for (_, b) in &mut scan.sections {
        b.paragraphs.retain(|p| !is_template_text(p));
        b.items.retain(|i| !is_template_text(&i.text));
        b.rows.retain(|r| !r.iter().any(|c| is_template_text(c)));
    }
    let summary_like = |p: &String| !is_template_text(p) && !is_template_line(p);
    scan.lead_paragraphs.retain(summary_like);
    scan.first_paragraph = scan.first_paragraph.filter(summary_like);
    scan
}

/// Where prompts are in a file's `text` whose body starts on 1-based line `body_line`: each
/// as (line, column, length in bytes), 1-based, the column in characters. A prompt is a whole
/// paragraph line, list item or table cell, as `kb new` writes them.
pub fn prompts_in(text: &str, body_line: usize) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate().skip(body_line.saturating_sub(1)) {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        }
        if fenced || t.starts_with('#') {
            continue;
        }
        let pieces: Vec<&str> = if t.starts_with('|') {
            t.split('|').collect()
        } else {
            let item = t.trim_start_matches(['-', '*', '+']).trim_start();
            let item = ["[ ]", "[x]", "[X]"]
                .iter()
                .find_map(|b| item.strip_prefix(b))
                .unwrap_or(item);
            vec![item]
        };
        for p in pieces.into_iter().map(str::trim) {
            if is_template_text(p) {
                // `p` is a slice of `line`: its offset is the distance between their starts.
                let at = p.as_ptr() as usize - line.as_ptr() as usize;
                found.push((i + 1, line[..at].chars().count() + 1, p.len()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_found_as_whole_items_and_cells() {
        let text = "---\nx: 1\n---\n## Summary\n\nTwo or three sentences: what happened, who was affected, for how long.\n\n| Time | Event |\n|---|---|\n| 2024-01-01 09:00 | What happened first. |\n\n- [ ] What we will change, so that this cannot happen again or is caught sooner (owner, due date).\n- The disk filled up.\n\nAll times in UTC.\n";
        assert_eq!(prompts_in(text, 4), [(6, 1, 70), (10, 22, 20), (12, 7, 92)]);
    }

    #[test]
    fn real_text_is_no_prompt() {
        assert!(!is_template_text("All times in UTC."));
        assert!(!is_template_text(
            "Two or three sentences: the disk filled and writes failed."
        ));
        assert!(is_template_text("Something that made it longer or worse."));
    }
}
