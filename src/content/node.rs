//! A positioned value tree for frontmatter, shared by YAML and TOML.
//!
//! Deserializing straight into typed structs would stop at the first wrong type and lose the
//! position of semantic errors (a date out of order). Parsing into this tree first lets the
//! field extraction report every problem in a file with its own line and column.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Position of a value in the file: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    /// Length in bytes of the value's text, when known (for the snippet underline).
    pub len: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A TOML native date or datetime, in its RFC 3339 text form.
    Datetime(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) | Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Datetime(_) => "a date",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a table",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) | Kind::Datetime(s) => Some(s),
            _ => None,
        }
    }
}

/// A node whose kind is not yet positioned; the format wrappers add the position.
struct RawKind<N>(Kind, PhantomData<N>);

/// Converts a format-specific node wrapper into the shared [`Node`].
pub trait IntoNode {
    fn into_node(self) -> Node;
}

const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de, N> Deserialize<'de> for RawKind<N>
where
    N: Deserialize<'de> + IntoNode,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor::<N>(PhantomData))
    }
}

struct KindVisitor<N>(PhantomData<N>);

impl<'de, N> Visitor<'de> for KindVisitor<N>
where
    N: Deserialize<'de> + IntoNode,
{
    type Value = RawKind<N>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Bool(v), PhantomData))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Int(v), PhantomData))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(RawKind(
            i64::try_from(v).map_or(Kind::Float(v as f64), Kind::Int),
            PhantomData,
        ))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Float(v), PhantomData))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Str(v.to_string()), PhantomData))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Str(v), PhantomData))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Null, PhantomData))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(RawKind(Kind::Null, PhantomData))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<N>()? {
            items.push(item.into_node());
        }
        Ok(RawKind(Kind::Seq(items), PhantomData))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<N>()? {
            let key = key.into_node();
            if key.as_str() == Some(TOML_DATETIME_KEY) {
                let value: String = map.next_value()?;
                return Ok(RawKind(Kind::Datetime(value), PhantomData));
            }
            let value = map.next_value::<N>()?.into_node();
            entries.push((key, value));
        }
        Ok(RawKind(Kind::Map(entries), PhantomData))
    }
}

/// A YAML value with its position, from serde-saphyr's `Spanned`.
pub struct YamlNode(Node);

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<RawKind<YamlNode>>::deserialize(d)?;
        let loc = s.referenced;
        let len = scalar_len(&s.value.0);
        Ok(YamlNode(Node {
            kind: s.value.0,
            pos: Pos {
                line: loc.line() as usize,
                col: loc.column() as usize,
                len,
            },
        }))
    }
}

impl IntoNode for YamlNode {
    fn into_node(self) -> Node {
        self.0
    }
}

/// A TOML value with its byte span, converted to line/column later by [`locate_toml`].
pub struct TomlNode(Node);

impl<'de> Deserialize<'de> for TomlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // toml's span protocol (what `toml::Spanned` does), written out so that a plain string
        // is accepted too: the key of a TOML datetime's inner map carries no span.
        d.deserialize_struct(
            SPANNED_NAME,
            &[SPANNED_START, SPANNED_END, SPANNED_VALUE],
            TomlVisitor,
        )
    }
}

const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";

struct TomlVisitor;

impl<'de> Visitor<'de> for TomlVisitor {
    type Value = TomlNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_str<E>(self, v: &str) -> Result<TomlNode, E> {
        Ok(TomlNode(Node {
            kind: Kind::Str(v.to_string()),
            pos: Pos::default(),
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TomlNode, A::Error> {
        let mut start = 0usize;
        let mut end = 0usize;
        let mut kind = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                SPANNED_START => start = map.next_value()?,
                SPANNED_END => end = map.next_value()?,
                SPANNED_VALUE => kind = Some(map.next_value::<RawKind<TomlNode>>()?.0),
                _ => return Err(de::Error::custom("unexpected key in a spanned value")),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::custom("spanned value without a value"))?;
        // Until located, `line` holds the byte offset and `len` the byte length.
        Ok(TomlNode(Node {
            kind,
            pos: Pos {
                line: start,
                col: 0,
                len: end.saturating_sub(start),
            },
        }))
    }
}

impl IntoNode for TomlNode {
    fn into_node(self) -> Node {
        self.0
    }
}

fn scalar_len(kind: &Kind) -> usize {
    match kind {
        Kind::Str(s) | Kind::Datetime(s) => s.len(),
        Kind::Int(i) => i.to_string().len(),
        Kind::Bool(b) => b.to_string().len(),
        _ => 1,
    }
}

/// Parses YAML text into a positioned tree; lines are relative to `text`.
///
/// YAML 1.2 scalars: only `true` and `false` are booleans, so `title: No` and `tags: [on]` are
/// the words as written (YAML 1.1 read them as booleans). A repeated key is kept in the tree
/// rather than refused by the parser, so that [`duplicate_keys`] can name both places.
pub fn parse_yaml(text: &str) -> Result<Node, serde_saphyr::Error> {
    if let Some(node) = super::yaml_events::parse(text) {
        return Ok(node);
    }
    parse_yaml_serde(text)
}

/// [`parse_yaml`] through serde-saphyr, whatever the text: the reference the quicker reading of
/// plain frontmatter is held to.
pub(super) fn parse_yaml_serde(text: &str) -> Result<Node, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    serde_saphyr::from_str_with_options::<YamlNode>(text, options).map(|n| n.0)
}

/// A key set twice in the same table, anywhere in the tree.
#[derive(Debug, PartialEq)]
pub struct Duplicate<'a> {
    pub key: &'a str,
    /// The first time the key is set.
    pub first: Pos,
    /// The key node of the repeat.
    pub again: &'a Node,
}

/// Every key set again in the table that already has it, in document order.
pub fn duplicate_keys(node: &Node) -> Vec<Duplicate<'_>> {
    let mut out = Vec::new();
    collect_duplicates(node, &mut out);
    out
}

fn collect_duplicates<'a>(node: &'a Node, out: &mut Vec<Duplicate<'a>>) {
    match &node.kind {
        Kind::Seq(items) => items.iter().for_each(|n| collect_duplicates(n, out)),
        Kind::Map(entries) => {
            // Each key's first place, looked up rather than searched for among the keys before
            // it (quadratic: a frontmatter of 80,000 keys).
            let mut first: crate::FastMap<&str, Pos> = crate::FastMap::default();
            for (k, v) in entries {
                if let Some(key) = k.as_str() {
                    match first.get(key) {
                        Some(pos) => out.push(Duplicate {
                            key,
                            first: *pos,
                            again: k,
                        }),
                        None => {
                            first.insert(key, k.pos);
                        }
                    }
                }
                collect_duplicates(v, out);
            }
        }
        _ => {}
    }
}

/// Parses TOML text into a positioned tree; lines are relative to `text`.
pub fn parse_toml(text: &str) -> Result<Node, toml::de::Error> {
    let mut node = toml::from_str::<TomlNode>(text)?.0;
    locate_toml(&mut node, text);
    Ok(node)
}

/// Turns the byte offsets `parse_toml` leaves in `line` into lines and columns: every node's
/// offset is located in one pass over the text, in order (counted from the start for each
/// node, a site.toml of 0.8 MB on one line took 8 s).
fn locate_toml(node: &mut Node, text: &str) {
    fn offsets(node: &Node, out: &mut Vec<usize>) {
        out.push(node.pos.line);
        match &node.kind {
            Kind::Seq(items) => items.iter().for_each(|n| offsets(n, out)),
            Kind::Map(entries) => entries.iter().for_each(|(k, v)| {
                offsets(k, out);
                offsets(v, out);
            }),
            _ => {}
        }
    }
    fn place(node: &mut Node, at: &[usize], located: &[(usize, usize, usize)]) {
        let offset = node.pos.line;
        let (line, col, first_line_len) = located[at.binary_search(&offset).expect("collected")];
        // A multi-line span (a table) underlines only its first line.
        node.pos = Pos {
            line,
            col,
            len: node.pos.len.min(first_line_len),
        };
        match &mut node.kind {
            Kind::Seq(items) => items.iter_mut().for_each(|n| place(n, at, located)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                place(k, at, located);
                place(v, at, located);
            }),
            _ => {}
        }
    }
    let mut at = Vec::new();
    offsets(node, &mut at);
    at.sort_unstable();
    at.dedup();
    // Per offset: its line and column (as `diagnostics::line_col` counts them) and the bytes
    // from it to the end of its line.
    let (mut line, mut col, mut pos) = (1, 1, 0);
    let mut line_end: Option<usize> = None;
    let located: Vec<(usize, usize, usize)> = at
        .iter()
        .map(|&offset| {
            let clamped = offset.min(text.len());
            let mut to = clamped;
            while !text.is_char_boundary(to) {
                to -= 1;
            }
            let between = &text[pos..to];
            match between.rfind('\n') {
                Some(nl) => {
                    line += between.matches('\n').count();
                    col = between[nl + 1..].chars().count() + 1;
                }
                None => col += between.chars().count(),
            }
            pos = to;
            // The end of the line is searched for again only past the last one found.
            let end = match line_end {
                Some(end) if end >= clamped => end,
                _ => text[clamped..]
                    .find('\n')
                    .map_or(text.len(), |i| clamped + i),
            };
            line_end = Some(end);
            (line, col, end - clamped)
        })
        .collect();
    place(node, &at, &located);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions() {
        let n = parse_yaml("title: Hello\ntags:\n  - a\n  - b\n").unwrap();
        let Kind::Map(entries) = &n.kind else {
            panic!()
        };
        assert_eq!(entries[0].0.as_str(), Some("title"));
        assert_eq!((entries[0].1.pos.line, entries[0].1.pos.col), (1, 8));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!()
        };
        assert_eq!((items[1].pos.line, items[1].pos.col), (4, 5));
    }

    #[test]
    fn yaml_reads_yaml_1_1_booleans_as_words() {
        let n = parse_yaml("title: No\ntags: [no, on, yes, off, y, n]\nnear_miss: true\n").unwrap();
        let Kind::Map(entries) = &n.kind else {
            panic!()
        };
        assert_eq!(entries[0].1.kind, Kind::Str("No".into()));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!()
        };
        let words: Vec<_> = items.iter().filter_map(Node::as_str).collect();
        assert_eq!(words, ["no", "on", "yes", "off", "y", "n"]);
        assert_eq!(entries[2].1.kind, Kind::Bool(true));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let n = parse_yaml("title: A\nimpact:\n  description: x\n  description: y\ntitle: B\n")
            .unwrap();
        let d = duplicate_keys(&n);
        let found: Vec<_> = d
            .iter()
            .map(|d| (d.key, d.first.line, d.again.pos.line, d.again.pos.col))
            .collect();
        assert_eq!(found, [("description", 3, 4, 3), ("title", 1, 5, 1)]);
    }

    #[test]
    fn toml_positions_and_dates() {
        let n = parse_toml("title = \"Hi\"\ndate = 2024-03-07\n").unwrap();
        let Kind::Map(entries) = &n.kind else {
            panic!()
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.as_str() == Some(k))
                .unwrap()
        };
        let date = get("date");
        assert_eq!(date.1.kind, Kind::Datetime("2024-03-07".into()));
        assert_eq!((date.1.pos.line, date.1.pos.col), (2, 8));
        assert_eq!((get("title").0.pos.line, get("title").0.pos.col), (1, 1));
    }
}
