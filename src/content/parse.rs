//! One file's text to an [`Incident`]: frontmatter, fields, body sections, inference.

use super::fields::Reader;
use super::incident::{Incident, Text};
use super::node::{self, Node};
use super::{allowlist, files, infer, limits, markdown, plaintext, sections};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, SHOWN};

#[derive(Debug, PartialEq, Eq)]
enum Format {
    Yaml,
    Toml,
}

struct Split<'a> {
    format: Format,
    /// The frontmatter text, without its fences.
    front: &'a str,
    /// File line where `front` starts.
    front_line: usize,
    body: &'a str,
    body_line: usize,
}

/// Separates frontmatter from the body. `Ok(None)` when there is no frontmatter.
fn split<'a>(file: &str, text: &'a str) -> Result<Option<Split<'a>>, Diagnostic> {
    let (format, fence) = if is_fence(text, "---") {
        (Format::Yaml, "---")
    } else if is_fence(text, "+++") {
        (Format::Toml, "+++")
    } else {
        return Ok(None);
    };
    let first_nl = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = first_nl;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let l = text[offset..end].trim_end();
        if l == fence || (format == Format::Yaml && l == "...") {
            return Ok(Some(Split {
                format,
                front: &text[first_nl..offset],
                front_line: 2,
                body: &text[end..],
                body_line: line + 1,
            }));
        }
        offset = end;
        line += 1;
    }
    let (name, example) = match format {
        Format::Yaml => ("YAML", "---"),
        Format::Toml => ("TOML", "+++"),
    };
    Err(Diagnostic::error(file, format!("unclosed {name} frontmatter"))
        .at(text, 1, 1, 3)
        .with_hint(format!(
            "the frontmatter opened here never closes; add a line with `{example}` after the last key"
        )))
}

fn is_fence(text: &str, fence: &str) -> bool {
    text.lines().next().is_some_and(|l| l.trim_end() == fence)
}

/// Parses one postmortem. The incident is returned even when there are errors, so the
/// knowledge-base checks (duplicate ids, links) still run and every problem is reported.
pub fn parse(
    file: &str,
    content_rel: &str,
    text: &str,
    config: &Config,
) -> (Incident, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut diags = Vec::new();
    let mut inc = Incident {
        path: file.to_string(),
        body_line: 1,
        ..Incident::default()
    };
    let mut body = text;
    match split(file, text) {
        Ok(Some(s)) => {
            inc.has_frontmatter = true;
            body = s.body;
            inc.body_line = s.body_line;
            if let Some(root) = parse_front(file, text, &s, &mut diags) {
                let mut reader = Reader {
                    file,
                    text,
                    line_offset: s.front_line - 1,
                    config,
                    diags: Vec::new(),
                    bounded: Default::default(),
                };
                reader.read(&root, &mut inc);
                diags.append(&mut reader.diags);
                diags.extend(reader.bounded.rest(file, "problems in this frontmatter"));
            }
        }
        Ok(None) => {}
        Err(d) => {
            diags.push(d);
            body = "";
        }
    }
    inc.front = text[..text.len() - body.len()].to_string();
    let kind = files::is_postmortem(content_rel).unwrap_or(files::Kind::Markdown);
    if kind == files::Kind::PlainText || plaintext::looks_plain(body) {
        // Escaped throughout: nothing in it for the allowlist to remove.
        inc.body = plaintext::to_markdown(body);
        inc.plain_body = Some(body.to_string());
    } else {
        inc.body = body.to_string();
    }
    // Parsed once, for the allowlist's audit and for the sections.
    let events = markdown::events(&inc.body);
    if inc.plain_body.is_none() {
        confined(
            file,
            text,
            inc.front.len(),
            &inc.body,
            &events,
            config,
            &mut diags,
        );
    }
    inc.body_text = Some(Text::new(&markdown::plain_text_of(
        events.iter().map(|(e, _)| e),
        inc.body.len(),
    )));
    let mut scan = sections::scan_events(&inc.body, inc.body_line, events);
    inc.body_links = std::mem::take(&mut scan.links);
    inc.asset_refs = std::mem::take(&mut scan.assets);
    inc.body_sections = scan
        .sections
        .iter()
        .filter(|(s, _)| s.field().is_some())
        .map(|(s, b)| (*s, b.span.clone()))
        .collect();
    infer::fill(&mut inc, scan, content_rel);
    limits::check_inferred_tags(file, text, &mut inc, &mut diags);
    if inc.date.is_none() {
        let d = Diagnostic::warning(
            file,
            "no date found for this incident; it is listed as undated",
        );
        // "On March 4th": the day is there, the year is not, and kb does not guess it.
        let d = match infer::written_dates(text)
            .into_iter()
            .find(|w| w.date.is_none())
        {
            Some(w) => d.at_offset(text, w.at, w.len).with_hint(format!(
                "`{}` has no year; add `date: YYYY-MM-DD` to the frontmatter",
                text[w.at..w.at + w.len]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            None => d.with_hint(
                "add `date: YYYY-MM-DD` to the frontmatter or put the date in the file name",
            ),
        };
        diags.push(d.with_code("undated"));
    }
    if !inc.has_frontmatter && !inc.body.trim().is_empty() {
        inc.inferred.insert("frontmatter");
    }
    (inc, diags)
}

/// Reports what the allowlist keeps off the page (warnings) and a body nested too deep to
/// sanitize (an error: the build fails rather than take minutes).
fn confined(
    file: &str,
    text: &str,
    body_offset: usize,
    body: &str,
    events: &[(pulldown_cmark::Event<'_>, std::ops::Range<usize>)],
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) {
    let audit = markdown::audit(body, events, config.markdown.unsafe_html);
    if let Some(at) = audit.too_deep {
        diags.push(
            Diagnostic::error(
                file,
                format!(
                    "lists, quotes or HTML elements nest deeper than {} levels here",
                    allowlist::MAX_NESTING
                ),
            )
            .at_offset(text, body_offset + at, 1)
            .with_code("too-deep")
            .with_hint("flatten the nesting; no page shows this many levels"),
        );
    }
    // Each report reads the file's text for its line, and an attacker's body may have a
    // million of them: the first ones in full, the rest counted.
    let total = audit.removals.len();
    for (at, what) in audit.removals.into_iter().take(SHOWN) {
        diags.push(
            Diagnostic::warning(file, what)
                .at_offset(text, body_offset + at, 1)
                .with_code("sanitized")
                .with_hint(
                    "pages publish only http, https, mailto and relative links, and HTML without scripts, event handlers or styles (docs/writing.md)",
                ),
        );
    }
    if total > SHOWN {
        diags.push(Diagnostic::unshown(file, total - SHOWN, "removals", false));
    }
}

fn parse_front(file: &str, text: &str, s: &Split, diags: &mut Vec<Diagnostic>) -> Option<Node> {
    let line_offset = s.front_line - 1;
    match s.format {
        Format::Yaml => {
            if s.front.trim().is_empty() {
                return None;
            }
            match node::parse_yaml(s.front) {
                Ok(n) => {
                    let duplicates = node::duplicate_keys(&n);
                    if duplicates.len() > SHOWN {
                        let more = duplicates.len() - SHOWN;
                        diags.push(Diagnostic::unshown(file, more, "duplicate keys", true));
                    }
                    for d in duplicates.into_iter().take(SHOWN) {
                        diags.push(
                            Diagnostic::error(
                                file,
                                format!(
                                    "duplicate key `{}`: it is already set at line {}",
                                    d.key,
                                    d.first.line + line_offset
                                ),
                            )
                            .at(
                                text,
                                d.again.pos.line + line_offset,
                                d.again.pos.col,
                                d.key.len(),
                            )
                            .with_hint("remove one of the two; a key is set once per table"),
                        );
                    }
                    Some(n)
                }
                Err(e) => {
                    let (line, col) = e
                        .location()
                        .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
                    diags.push(
                        Diagnostic::error(file, format!("invalid YAML frontmatter: {}", yaml_message(&e)))
                            .at(text, line + line_offset, col, 1)
                            .with_hint("check the indentation and quoting on this line; quote values that contain `: ` or start with `[`, `{`, `*` or `&`"),
                    );
                    None
                }
            }
        }
        Format::Toml => match node::parse_toml(s.front) {
            Ok(n) => Some(n),
            Err(e) => {
                let d = Diagnostic::error(
                    file,
                    format!("invalid TOML frontmatter: {}", e.message().trim()),
                );
                let d = match e.span() {
                    Some(span) => {
                        let (line, col) = crate::diagnostics::line_col(s.front, span.start);
                        d.at(text, line + line_offset, col, span.len())
                    }
                    None => d.at(text, s.front_line, 1, 0),
                };
                diags.push(d.with_hint("strings need quotes, e.g. `title = \"DB outage\"`; dates are written bare, e.g. `date = 2024-03-07`"));
                None
            }
        },
    }
}

/// serde-saphyr's message without its own location suffix and snippet (we render ours).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let first = full.lines().next().unwrap_or(&full).trim();
    let first = first.split(" at line ").next().unwrap_or(first);
    // The diagnostic gives the position; a "line N column M:" prefix (counted from the
    // frontmatter, not the file) would only contradict it.
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = match first.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((pos, rest)) if pos.contains(" column ") => rest,
        _ => first,
    };
    first.trim_end_matches(':').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Incident, Vec<Diagnostic>) {
        parse("content/x.md", "x.md", text, &Config::default())
    }

    #[test]
    fn yaml_and_body() {
        let (inc, d) = run(
            "---\ntitle: DB down\ndate: 2024-03-07\nseverity: sev2\ntags: [a, b]\n---\n# Heading\n\nBody text.\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(inc.title, "DB down");
        assert_eq!(inc.severity.as_deref(), Some("SEV2"));
        assert_eq!(inc.tags, vec!["a", "b"]);
        assert_eq!(inc.body_line, 7);
        assert_eq!(inc.summary, "Body text.");
    }

    #[test]
    fn toml_with_native_date() {
        let (inc, d) = run(
            "+++\ntitle = \"T\"\ndate = 2024-03-07\n[timestamps]\nstarted = 2024-03-07T10:00:00Z\nresolved = 2024-03-07T12:00:00Z\n+++\nx\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(inc.date, Some(jiff::civil::date(2024, 3, 7)));
        assert_eq!(inc.duration, Some(jiff::SignedDuration::from_hours(2)));
    }

    #[test]
    fn status_spellings_teams_use_are_read() {
        let (inc, d) = run(
            "---\ntitle: x\ndate: 2024-01-01\nstatus: review\naction_items:\n  - {title: a, status: todo}\n  - {title: b, status: closed}\n  - {title: c, status: wontfix}\n  - {title: d, status: someday}\n---\n",
        );
        assert_eq!(inc.status, crate::content::incident::Status::InReview);
        use crate::content::incident::ItemStatus as S;
        let st: Vec<S> = inc.action_items.iter().map(|a| a.status).collect();
        assert_eq!(st, [S::Open, S::Done, S::WontDo, S::Open]);
        let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{d:?}");
        assert!(
            errors[0]
                .message
                .contains("unknown action item status `someday`")
        );
        assert_eq!(errors[0].line, 9);
    }

    #[test]
    fn status_with_an_underscore_is_read_and_pointed_out() {
        use crate::content::incident::Status;
        let (inc, d) = run("---\ntitle: x\ndate: 2024-01-01\nstatus: in_review\n---\n");
        assert_eq!(inc.status, Status::InReview);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(!d[0].is_error());
        assert_eq!(d[0].message, "status `in_review` is read as `in-review`");
        assert_eq!((d[0].line, d[0].col), (4, 9));
        // What cannot be read is an error, and never publishes the incident.
        let (inc, d) = run("---\ntitle: x\ndate: 2024-01-01\nstatus: in_revue\n---\n");
        assert_eq!(inc.status, Status::Draft);
        assert!(d[0].is_error(), "{d:?}");
        let (inc, _) = run("---\ntitle: x\ndate: 2024-01-01\nstatus: [published]\n---\n");
        assert_eq!(inc.status, Status::Draft);
    }

    #[test]
    fn yaml_1_1_booleans_are_words_in_text_fields() {
        let (inc, d) = run(
            "---\ntitle: No\ndate: 2024-01-01\ntags: [no, on, yes]\nservices: [off]\nsymptoms: [N, y]\n---\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(inc.title, "No");
        assert_eq!(inc.tags, ["no", "on", "yes"]);
        assert_eq!(inc.services, ["off"]);
        assert_eq!(inc.symptoms, ["N", "y"]);
    }

    #[test]
    fn booleans_where_text_is_asked_and_words_where_a_boolean_is() {
        let (inc, d) = run(
            "---\ntitle: True\ndate: 2024-01-01\nnear_miss: yes\nimpact:\n  data_loss: Off\n---\n",
        );
        assert_eq!(inc.title, "True");
        assert!(inc.near_miss);
        assert_eq!(inc.impact.unwrap().data_loss, Some(false));
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
        let at: Vec<_> = d
            .iter()
            .map(|d| (d.line, d.col, d.message.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                (
                    2,
                    8,
                    "`title` is text; the boolean `True` is read as the word `True`"
                ),
                (4, 12, "`near_miss: yes` is read as `near_miss: true`"),
                (6, 14, "`data_loss: Off` is read as `data_loss: false`"),
            ]
        );
        // Other text is still not a boolean.
        let (_, d) = run("---\ntitle: x\ndate: 2024-01-01\nnear_miss: maybe\n---\n");
        assert!(d[0].is_error() && d[0].message.contains("must be true or false"));
    }

    #[test]
    fn a_date_is_the_whole_value() {
        let (inc, d) = run("---\ntitle: x\ndate: 2024-01-01garbage\n---\n");
        assert_eq!(inc.date, None);
        assert_eq!(
            d[0].message,
            "`date` value `2024-01-01garbage` is not a date in YYYY-MM-DD form"
        );
        assert_eq!((d[0].line, d[0].col), (3, 7));
        let (inc, d) = run("---\ntitle: x\ndate: 2024-01-01T23:30:00-05:00\n---\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(inc.date, Some(jiff::civil::date(2024, 1, 1)));
    }

    #[test]
    fn errors_are_located() {
        let (_, d) = run("---\ntitle: x\nseverity: SEV9\ndate: 2024-02-30\n---\n");
        let d: Vec<_> = d.into_iter().filter(Diagnostic::is_error).collect();
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].line, d[0].col), (3, 11));
        assert!(d[0].message.contains("`SEV9` is not one of the levels"));
        assert_eq!((d[1].line, d[1].col), (4, 7));
        assert!(d[1].message.contains("not a real date"));
    }

    #[test]
    fn unclosed_frontmatter() {
        let (_, d) = run("---\ntitle: x\n");
        assert_eq!(d.len(), 2);
        assert!(d[0].message.contains("unclosed"));
    }

    #[test]
    fn bad_yaml_is_located() {
        let (_, d) = run("---\ntitle: x\ntags: [a, b\n---\n");
        assert!(d[0].message.starts_with("invalid YAML"), "{d:?}");
        assert!(d[0].line >= 3, "{d:?}");
    }

    #[test]
    fn duplicate_key_names_the_first_line() {
        let (inc, d) = run("---\ntitle: First\ndate: 2024-01-01\ntitle: Second\n---\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].is_error());
        assert_eq!(
            d[0].message,
            "duplicate key `title`: it is already set at line 2"
        );
        assert_eq!((d[0].line, d[0].col), (4, 1));
        assert!(d[0].hint.as_deref().unwrap().contains("remove one"));
        // The rest of the frontmatter is still read.
        assert_eq!(inc.date, Some(jiff::civil::date(2024, 1, 1)));
    }

    #[test]
    fn unknown_key_suggests() {
        let (_, d) = run("---\nseverty: SEV1\ndate: 2024-01-01\n---\n");
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `severity`?"));
    }
}
