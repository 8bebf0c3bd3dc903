//! The query language every front end shares (SEARCH.md, point 2): plain words ranked by
//! BM25 over all of them, `+word` required, `-word` excluded, `"exact phrase"`, and the filters
//! `tag:` `service:` `severity:` `since:` `until:`. Parsed here into a small syntax tree that
//! [`super::run`] turns into a tantivy query.

use jiff::civil::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occur {
    Should,
    Must,
    MustNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    Tag,
    Service,
    Severity,
    Since,
    Until,
}

impl FilterKind {
    pub const NAMES: [&'static str; 5] = ["tag", "service", "severity", "since", "until"];

    fn parse(name: &str) -> Option<FilterKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "tag" | "tags" => FilterKind::Tag,
            "service" | "services" => FilterKind::Service,
            "severity" | "sev" => FilterKind::Severity,
            "since" | "after" => FilterKind::Since,
            "until" | "before" => FilterKind::Until,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// A word as typed; the analyzer may split it (`read-only` → a phrase of two stems).
    Word {
        occur: Occur,
        text: String,
        col: usize,
    },
    Phrase {
        occur: Occur,
        text: String,
        col: usize,
    },
    /// `col` is the value's column, where a "no such tag" error points.
    Filter {
        negated: bool,
        kind: FilterKind,
        value: String,
        col: usize,
    },
    /// `since:`/`until:` with the date already resolved (a year or month is widened).
    Date {
        kind: FilterKind,
        date: Date,
        col: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// A query that cannot be run: the message, the 1-based character column it points at, and
/// how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryError {
    pub message: String,
    pub col: usize,
    pub hint: String,
}

impl QueryError {
    fn new(col: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            col,
            hint: hint.into(),
        }
    }

    /// The query with a caret under the column, then the message and hint.
    pub fn render(&self, query: &str) -> String {
        format!(
            "error: {}\n  | {}\n  | {}^\n  = help: {}",
            self.message,
            query,
            " ".repeat(self.col.saturating_sub(1)),
            self.hint
        )
    }
}

pub fn parse(input: &str) -> Result<Query, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut clauses = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let occur = match chars[i] {
            '+' => Occur::Must,
            '-' => Occur::MustNot,
            _ => Occur::Should,
        };
        if occur != Occur::Should {
            i += 1;
        }
        if i < chars.len() && chars[i] == '"' {
            let (text, end) = quoted(&chars, i)?;
            i = end;
            clauses.push(Clause::Phrase {
                occur,
                text,
                col: start + 1,
            });
            continue;
        }
        // A bare token runs to the next space; a quoted filter value may hold spaces.
        let tok_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
            i += 1;
        }
        let token: String = chars[tok_start..i].iter().collect();
        let quote_next = chars.get(i) == Some(&'"');
        // `error:` stays a word; `tag:` with nothing after it is a filter missing its value.
        if let Some((name, value)) = token.split_once(':')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphabetic())
            && !value.starts_with("//")
            && (!value.is_empty() || quote_next || FilterKind::parse(name).is_some())
        {
            let Some(kind) = FilterKind::parse(name) else {
                let hint = match crate::diagnostics::did_you_mean(name, FilterKind::NAMES) {
                    Some(s) => format!("did you mean `{s}:`? Filters are {}", filter_list()),
                    None => format!("filters are {}", filter_list()),
                };
                return Err(QueryError::new(
                    tok_start + 1,
                    format!("unknown filter `{name}:`"),
                    hint,
                ));
            };
            let value = if value.is_empty() && quote_next {
                let (v, end) = quoted(&chars, i)?;
                i = end;
                v
            } else {
                value.to_string()
            };
            let value_col = tok_start + name.chars().count() + 2;
            if value.trim().is_empty() {
                return Err(QueryError::new(
                    value_col,
                    format!("`{name}:` needs a value"),
                    format!(
                        "write it with no space after the colon, e.g. {}",
                        example(kind)
                    ),
                ));
            }
            if matches!(kind, FilterKind::Since | FilterKind::Until) {
                if occur == Occur::MustNot {
                    return Err(QueryError::new(
                        start + 1,
                        format!("`-{name}:` cannot be negated"),
                        "use `since:` for on or after a date and `until:` for on or before it",
                    ));
                }
                let date = parse_date(&value, kind == FilterKind::Until).ok_or_else(|| {
                    QueryError::new(
                        value_col,
                        format!("`{value}` is not a date"),
                        format!(
                            "write dates as YYYY-MM-DD, YYYY-MM or YYYY, e.g. {}",
                            example(kind)
                        ),
                    )
                })?;
                clauses.push(Clause::Date {
                    kind,
                    date,
                    col: start + 1,
                });
            } else {
                clauses.push(Clause::Filter {
                    negated: occur == Occur::MustNot,
                    kind,
                    value,
                    col: value_col,
                });
            }
            continue;
        }
        if token.is_empty() {
            continue;
        }
        clauses.push(Clause::Word {
            occur,
            text: token,
            col: start + 1,
        });
    }
    if clauses.is_empty() {
        return Err(QueryError::new(
            1,
            "the query is empty",
            "type what you see, e.g. kb search \"replica lag\"",
        ));
    }
    Ok(Query { clauses })
}

/// The text of a quoted phrase starting at `open`, and the index after its closing quote.
fn quoted(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    match chars[open + 1..].iter().position(|c| *c == '"') {
        Some(len) => Ok((
            chars[open + 1..open + 1 + len].iter().collect(),
            open + len + 2,
        )),
        None => Err(QueryError::new(
            open + 1,
            "this quote is never closed",
            "close the phrase with another `\"`, or remove the quote to search the words",
        )),
    }
}

fn filter_list() -> String {
    FilterKind::NAMES
        .iter()
        .map(|n| format!("`{n}:`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn example(kind: FilterKind) -> &'static str {
    match kind {
        FilterKind::Tag => "tag:replication",
        FilterKind::Service => "service:checkout",
        FilterKind::Severity => "severity:SEV1",
        FilterKind::Since => "since:2023-01-01",
        FilterKind::Until => "until:2023-12-31",
    }
}

/// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; a month or year means its first day for `since:` and its
/// last day for `until:`.
fn parse_date(s: &str, end: bool) -> Option<Date> {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Option<i16> {
        (p.len() == len && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y] => {
            let y = num(y, 4)?;
            Date::new(y, if end { 12 } else { 1 }, if end { 31 } else { 1 }).ok()
        }
        [y, m] => {
            let first = Date::new(num(y, 4)?, i8::try_from(num(m, 2)?).ok()?, 1).ok()?;
            Some(if end { first.last_of_month() } else { first })
        }
        [y, m, d] => Date::new(
            num(y, 4)?,
            i8::try_from(num(m, 2)?).ok()?,
            i8::try_from(num(d, 2)?).ok()?,
        )
        .ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &Query) -> Vec<(Occur, &str)> {
        q.clauses
            .iter()
            .filter_map(|c| match c {
                Clause::Word { occur, text, .. } | Clause::Phrase { occur, text, .. } => {
                    Some((*occur, text.as_str()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn words_phrases_and_operators() {
        let q = parse(r#"replica lag +mysql -test "read only" -"dry run""#).unwrap();
        assert_eq!(
            words(&q),
            vec![
                (Occur::Should, "replica"),
                (Occur::Should, "lag"),
                (Occur::Must, "mysql"),
                (Occur::MustNot, "test"),
                (Occur::Should, "read only"),
                (Occur::MustNot, "dry run"),
            ]
        );
    }

    #[test]
    fn filters() {
        let q =
            parse(r#"tag:replication -service:"Checkout API" severity:SEV1 since:2023"#).unwrap();
        assert_eq!(
            q.clauses[0],
            Clause::Filter {
                negated: false,
                kind: FilterKind::Tag,
                value: "replication".into(),
                col: 5
            }
        );
        assert_eq!(
            q.clauses[1],
            Clause::Filter {
                negated: true,
                kind: FilterKind::Service,
                value: "Checkout API".into(),
                col: 26
            }
        );
        assert_eq!(
            q.clauses[3],
            Clause::Date {
                kind: FilterKind::Since,
                date: jiff::civil::date(2023, 1, 1),
                col: 55
            }
        );
        let q = parse("until:2024-02").unwrap();
        assert_eq!(
            q.clauses[0],
            Clause::Date {
                kind: FilterKind::Until,
                date: jiff::civil::date(2024, 2, 29),
                col: 1
            }
        );
    }

    #[test]
    fn colons_that_are_not_filters_are_words() {
        let q = parse("error: at 10:30 see https://example.com").unwrap();
        assert_eq!(
            words(&q).iter().map(|w| w.1).collect::<Vec<_>>(),
            vec!["error:", "at", "10:30", "see", "https://example.com"]
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse(r#"lag "read only"#).unwrap_err();
        assert_eq!(
            (e.col, e.message.as_str()),
            (5, "this quote is never closed")
        );
        let e = parse("lag tga:replication").unwrap_err();
        assert_eq!(e.col, 5);
        assert!(e.hint.contains("did you mean `tag:`"), "{}", e.hint);
        let e = parse("since:2023-13-01").unwrap_err();
        assert_eq!(
            (e.col, e.message.as_str()),
            (7, "`2023-13-01` is not a date")
        );
        // An empty filter names itself and is never searched as the word "tag".
        for (q, col, name) in [
            ("tag:", 5, "tag"),
            ("lag since: 2023", 11, "since"),
            ("-Service: x", 10, "Service"),
            (r#"severity:"""#, 10, "severity"),
        ] {
            let e = parse(q).unwrap_err();
            assert_eq!(
                (e.col, e.message),
                (col, format!("`{name}:` needs a value"))
            );
        }
        let e = parse("   ").unwrap_err();
        assert_eq!(e.message, "the query is empty");
        assert!(parse("-until:2020").is_err());
    }
}
