//! Plain frontmatter read straight from the YAML parser's events, at a third of the cost of
//! going through serde (serde-saphyr's `Spanned` wraps every value in a map of its own).
//!
//! Only what can be read here exactly as [`super::node::parse_yaml`]'s serde path reads it is
//! read: block and flow mappings and sequences, quoted and block scalars, and plain scalars
//! whose type is beyond doubt (words, `true`/`false`, decimal integers, dates). Anything else
//! (anchors, aliases, tags, other plain scalars, errors, deep nesting, many nodes) gives None,
//! and the serde path reads the text: its answer, and its error messages, stay the reference.
//! A test compares the two on every postmortem the project has.

use granit_parser::{Event, Parser, ScalarStyle, Span};

use super::node::{Kind, Node, Pos};

/// Deeper than any frontmatter needs, well below serde-saphyr's budget (64).
const MAX_DEPTH: usize = 32;
/// Well below serde-saphyr's budget (250,000 nodes).
const MAX_NODES: usize = 50_000;

/// The frontmatter's tree, when it is plain enough to be read here.
pub fn parse(text: &str) -> Option<Node> {
    let mut parser = Parser::new_from_str(text);
    // Open collections: their node, and a key waiting for its value (mappings).
    let mut open: Vec<(Node, Option<Node>)> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0;
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.ok()?;
        let node = match event {
            Event::StreamStart | Event::DocumentEnd => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let kind = match style {
                    ScalarStyle::Plain => plain(&value)?,
                    _ => Kind::Str(value.into_owned()),
                };
                Some(node(kind, &span))
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || open.len() >= MAX_DEPTH {
                    return None;
                }
                let kind = match event {
                    Event::SequenceStart(..) => Kind::Seq(Vec::new()),
                    _ => Kind::Map(Vec::new()),
                };
                open.push((node(kind, &span), None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (done, waiting) = open.pop()?;
                if waiting.is_some() {
                    return None;
                }
                Some(done)
            }
            _ => return None,
        };
        let Some(node) = node else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return None;
        }
        match open.last_mut() {
            None if root.is_none() => root = Some(node),
            None => return None,
            Some((parent, waiting)) => match (&mut parent.kind, waiting.take()) {
                (Kind::Seq(items), _) => items.push(node),
                (Kind::Map(entries), Some(key)) => entries.push((key, node)),
                // A key: only a string, as serde's path reads keys here; a merge key (`<<`)
                // means something the serde path knows.
                (Kind::Map(_), None) => match node.as_str() {
                    Some(k) if k != "<<" && matches!(node.kind, Kind::Str(_)) => {
                        *waiting = Some(node)
                    }
                    _ => return None,
                },
                _ => return None,
            },
        }
    }
    if !open.is_empty() {
        return None;
    }
    root
}

fn node(kind: Kind, span: &Span) -> Node {
    let len = match &kind {
        Kind::Str(s) => s.len(),
        Kind::Int(i) => i.to_string().len(),
        Kind::Bool(b) => b.to_string().len(),
        _ => 1,
    };
    Node {
        kind,
        pos: Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
            len,
        },
    }
}

/// A plain scalar's value, when its type is beyond doubt.
fn plain(value: &str) -> Option<Kind> {
    let bytes = value.as_bytes();
    match value {
        "true" => return Some(Kind::Bool(true)),
        "false" => return Some(Kind::Bool(false)),
        _ => {}
    }
    let first = *bytes.first()?;
    // Numbers start with a digit, a sign or a dot; `~` is null.
    if !matches!(first, b'0'..=b'9' | b'+' | b'-' | b'.' | b'~') {
        // Words a YAML reader may take for something else: left to the serde path.
        const SPECIAL: [&str; 12] = [
            "true", "false", "null", "y", "yes", "n", "no", "on", "off", "nan", "inf", "infinity",
        ];
        return match SPECIAL.iter().any(|w| value.eq_ignore_ascii_case(w)) {
            true => None,
            false => Some(Kind::Str(value.to_string())),
        };
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        // A leading zero (`007`) is read by rules of its own.
        if first == b'0' && bytes.len() > 1 {
            return None;
        }
        return value.parse::<i64>().ok().map(Kind::Int);
    }
    // A date, with a time or anything else after it (an id made from it): never a number,
    // as no number has a `-` after four digits.
    let at = |i: usize| bytes.get(i).copied();
    let digits = |r: std::ops::Range<usize>| {
        r.into_iter()
            .all(|i| at(i).is_some_and(|b| b.is_ascii_digit()))
    };
    let date =
        digits(0..4) && at(4) == Some(b'-') && digits(5..7) && at(7) == Some(b'-') && digits(8..10);
    date.then(|| Kind::Str(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::node::parse_yaml_serde;

    /// The tree read here, when one is, is the serde path's, position for position.
    fn same(text: &str) -> bool {
        let quick = parse(text);
        if let Some(q) = &quick {
            let reference = parse_yaml_serde(text)
                .unwrap_or_else(|e| panic!("read here, refused by serde: {e}\n{text}"));
            assert_eq!(q, &reference, "\n{text}");
        }
        quick.is_some()
    }

    #[test]
    fn plain_frontmatter_is_read_here_as_the_serde_path_reads_it() {
        for text in [
            "title: Replica lag on db-2\ndate: 2024-03-07\nseverity: SEV2\n",
            "tags: [replication, 'backups', \"feature flags\"]\nservices:\n  - api\n  - db\n",
            "started: 2024-03-07T10:05:00+01:00\nresolved: 2024-03-07 11:00\nimpact:\n  users: 1200\n  description: >\n    Writes were\n    rejected.\n",
            "summary: |\n  Line one.\n\n  Line two: with a colon.\nnear_miss: false\n",
            "action_items:\n  - item: Add an alert\n    owner: sam\n    due: 2024-04-01\n    status: open\n  - {item: \"Fix \\\"quoted\\\"\", status: done}\n",
            "title: Über-long plain\n  scalar over two lines # and a comment\ncount: 0\nbig: 123456789\n",
            "lessons:\n- Monitoring missed it\n- 'It''s the config'\nkey with spaces: value\n",
            "title: A\ntitle: B\n",
            "title: \"\"\nempty_list: []\nempty_map: {}\n",
        ] {
            assert!(same(text), "not read here:\n{text}");
        }
    }

    #[test]
    fn anything_in_doubt_is_left_to_the_serde_path() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 12\n",
            "base: &b {x: 1}\nother:\n  <<: *b\n",
            "status:\n",
            "status: ~\n",
            "status: null\n",
            "flag: yes\n",
            "flag: True\n",
            "ratio: 1.5\n",
            "code: 007\n",
            "hex: 0x1F\n",
            "neg: -3\n",
            "inf: .inf\n",
            "huge: 99999999999999999999\n",
            "month: 2024-03\n",
            "1: one\n",
            "? [complex]\n: key\n",
            "title: [unclosed\n",
            "a: b\n---\nc: d\n",
        ] {
            assert!(!same(text), "read here, though in doubt:\n{text}");
            // The answer is the serde path's, error or tree.
            let (quick, reference) = (
                crate::content::node::parse_yaml(text),
                parse_yaml_serde(text),
            );
            assert_eq!(quick.ok(), reference.ok(), "\n{text}");
        }
        let deep = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(!same(&deep));
    }

    /// Every postmortem's frontmatter in the example, the test fixtures and, when they are
    /// there, the shared corpora beside the repository: the two readings agree wherever this
    /// one reads.
    #[test]
    fn every_frontmatter_the_project_has_reads_the_same() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![here.join("content"), here.join("tests/fixtures")];
        let shared = here.join("../shared/corpora");
        match shared.is_dir() {
            true => dirs.push(shared),
            false => eprintln!("skipped ../shared/corpora: not there"),
        }
        let (mut read, mut all) = (0, 0);
        for dir in dirs {
            for entry in walkdir::WalkDir::new(dir)
                .into_iter()
                .filter_map(Result::ok)
            {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                let Some(rest) = text.strip_prefix("---\n") else {
                    continue;
                };
                let Some(end) = rest.find("\n---") else {
                    continue;
                };
                all += 1;
                read += usize::from(same(&rest[..=end]));
            }
        }
        eprintln!("{read} of {all} frontmatters read from the events");
        assert!(read * 2 > all, "only {read} of {all} read from the events");
    }
}
