//! Typed frontmatter fields, read from the positioned tree with one diagnostic per problem.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::allowlist;
use super::incident::{
    ActionItem, Detection, Factor, IdRef, Impact, Incident, Instant, ItemStatus, Lessons, Link,
    Status,
};
use super::node::{Kind, Node};
use crate::config::Config;
use crate::diagnostics::{Bounded, Diagnostic, did_you_mean};

/// Every key SCHEMA.md defines; anything else is warned about with a suggestion.
pub const KEYS: &[&str] = &[
    "title",
    "date",
    "id",
    "severity",
    "status",
    "summary",
    "authors",
    "tags",
    "services",
    "symptoms",
    "trigger",
    "contributing_factors",
    "root_cause",
    "impact",
    "detection",
    "timestamps",
    "duration",
    "action_items",
    "lessons",
    "related",
    "recurrence_of",
    "near_miss",
    "links",
    "updated",
];

pub const DETECTION_METHODS: &[&str] = &[
    "alert",
    "customer-report",
    "internal-report",
    "synthetic",
    "other",
];
pub const ITEM_TYPES: &[&str] = &["prevent", "detect", "mitigate", "process", "other"];

/// Reads frontmatter nodes for one file, turning positions into file positions.
pub struct Reader<'a> {
    pub file: &'a str,
    pub text: &'a str,
    /// Line of the file where the frontmatter text starts, minus one.
    pub line_offset: usize,
    pub config: &'a Config,
    pub diags: Vec<Diagnostic>,
    /// Problems past the first [`Bounded`] shows are counted, not made (a frontmatter of
    /// 80,000 unknown keys took 53 s).
    pub bounded: Bounded,
}

impl Reader<'_> {
    fn diag(&self, d: Diagnostic, node: &Node) -> Diagnostic {
        d.at(
            self.text,
            node.pos.line + self.line_offset,
            node.pos.col,
            node.pos.len,
        )
    }

    fn error(&mut self, node: &Node, message: impl Into<String>, hint: impl Into<String>) {
        if !self.bounded.show(1, true) {
            return;
        }
        let d = self.diag(Diagnostic::error(self.file, message), node);
        self.diags.push(d.with_hint(hint));
    }

    fn warn(&mut self, node: &Node, message: impl Into<String>, hint: Option<String>) {
        if !self.bounded.show(1, false) {
            return;
        }
        let mut d = self.diag(Diagnostic::warning(self.file, message), node);
        d.hint = hint;
        self.diags.push(d);
    }

    fn wrong_type(&mut self, key: &str, node: &Node, expected: &str, example: &str) {
        self.error(
            node,
            format!("`{key}` must be {expected}, found {}", node.type_name()),
            format!("write it like `{example}`"),
        );
    }

    /// The first `len` bytes of the file at `node`'s position, when it is known.
    fn source(&self, node: &Node, len: usize) -> Option<&str> {
        let line = self
            .text
            .lines()
            .nth((node.pos.line + self.line_offset).checked_sub(1)?)?;
        let start = line.char_indices().nth(node.pos.col.checked_sub(1)?)?.0;
        line.get(start..start + len)
    }

    /// Whether the value is written in quotes.
    fn quoted(&self, node: &Node) -> bool {
        matches!(self.source(node, 1), Some("\"" | "'"))
    }

    fn string(&mut self, key: &str, node: &Node) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.trim().to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            // Text is what the author wrote; `title: true` is more likely a word than a flag.
            Kind::Bool(b) => {
                let word = self
                    .source(node, node.pos.len)
                    .filter(|w| w.eq_ignore_ascii_case(&b.to_string()))
                    .map_or_else(|| b.to_string(), str::to_string);
                self.warn(
                    node,
                    format!("`{key}` is text; the boolean `{word}` is read as the word `{word}`"),
                    Some(format!("quote it to say it is text: `\"{word}\"`")),
                );
                Some(word)
            }
            Kind::Null => None,
            _ => {
                self.wrong_type(key, node, "a string", &format!("{key}: some text"));
                None
            }
        }
    }

    /// A link target: web and mail addresses, or a path on the site. Other schemes
    /// (`javascript:`, `data:`) would run or load content from a page when clicked.
    fn url(&mut self, key: &str, node: &Node) -> Option<String> {
        let url = self.string(key, node)?;
        if allowlist::url_allowed(&url) {
            return Some(url);
        }
        self.error(
            node,
            format!(
                "`{key}` uses the scheme `{}:`, which pages do not link to",
                allowlist::url_scheme(&url).unwrap_or_default()
            ),
            format!("write an http(s) address, e.g. `{key}: https://tickets.example.com/OPS-123`"),
        );
        None
    }

    fn boolean(&mut self, key: &str, node: &Node) -> Option<bool> {
        match &node.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Null => None,
            // YAML 1.1's boolean words: in YAML 1.2 they are text, but here a boolean is asked
            // for, so the author meant one (unless they quoted it: then it is text on purpose).
            Kind::Str(s) if yaml11_bool(s).is_some() && !self.quoted(node) => {
                let b = yaml11_bool(s)?;
                self.warn(
                    node,
                    format!("`{key}: {s}` is read as `{key}: {b}`"),
                    Some(format!(
                        "write `{key}: {b}`: only `true` and `false` are booleans (YAML 1.2)"
                    )),
                );
                Some(b)
            }
            _ => {
                self.wrong_type(key, node, "true or false", &format!("{key}: true"));
                None
            }
        }
    }

    /// A list of strings; a single string is read as a comma-separated list.
    fn strings(&mut self, key: &str, node: &Node) -> Vec<String> {
        match &node.kind {
            Kind::Seq(items) => items
                .iter()
                .filter_map(|n| match &n.kind {
                    Kind::Str(_) | Kind::Int(_) | Kind::Float(_) | Kind::Bool(_) => {
                        self.string(key, n)
                    }
                    _ => {
                        self.wrong_type(key, n, "a list of strings", &format!("{key}: [a, b]"));
                        None
                    }
                })
                .filter(|s| !s.is_empty())
                .collect(),
            Kind::Str(s) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Kind::Null => Vec::new(),
            _ => {
                self.wrong_type(key, node, "a list of strings", &format!("{key}: [a, b]"));
                Vec::new()
            }
        }
    }

    fn date(&mut self, key: &str, node: &Node) -> Option<Date> {
        let text = match &node.kind {
            Kind::Str(s) | Kind::Datetime(s) => s.trim(),
            Kind::Null => return None,
            _ => {
                self.wrong_type(key, node, "a date", &format!("{key}: 2024-03-07"));
                return None;
            }
        };
        match parse_date(text) {
            Some(d) => Some(d),
            None => {
                let why = match text.get(..10) {
                    Some(d) if looks_like_date(d) && d.parse::<Date>().is_err() => {
                        "is not a real date"
                    }
                    _ => "is not a date in YYYY-MM-DD form",
                };
                self.error(
                    node,
                    format!("`{key}` value `{text}` {why}"),
                    format!("write it like `{key}: 2024-03-07`"),
                );
                None
            }
        }
    }

    fn instant(&mut self, key: &str, node: &Node) -> Option<Instant> {
        let text = match &node.kind {
            Kind::Str(s) | Kind::Datetime(s) => s.trim(),
            Kind::Null => return None,
            _ => {
                self.wrong_type(
                    key,
                    node,
                    "an RFC 3339 timestamp",
                    "started: 2024-03-07T10:05:00+01:00",
                );
                return None;
            }
        };
        match parse_instant(text) {
            Ok(i) => Some(i),
            Err(InstantError::NoOffset) => {
                self.error(
                    node,
                    format!("timestamp `{text}` in `{key}` has no UTC offset"),
                    format!(
                        "add the offset it was written in, e.g. `{}Z` for UTC or `{}+01:00`",
                        text.trim_end_matches('Z'),
                        text
                    ),
                );
                None
            }
            Err(InstantError::Invalid) => {
                self.error(
                    node,
                    format!("`{text}` in `{key}` is not a valid timestamp"),
                    "write it like `2024-03-07T10:05:00+01:00` (RFC 3339 with an offset)",
                );
                None
            }
        }
    }

    fn id(&mut self, key: &str, node: &Node) -> Option<IdRef> {
        let s = self.string(key, node)?;
        if !is_valid_id(&s) {
            let suggestion = slug::slugify(&s);
            self.error(
                node,
                format!("`{key}` value `{s}` is not a valid incident id"),
                format!(
                    "ids use only a-z, 0-9 and `-` (no `/`, `..` or spaces); try `{suggestion}`"
                ),
            );
            return None;
        }
        Some(IdRef {
            id: s,
            line: node.pos.line + self.line_offset,
            col: node.pos.col,
        })
    }

    fn choice(&mut self, key: &str, node: &Node, allowed: &[&str]) -> Option<String> {
        let s = self.string(key, node)?;
        let norm = s.to_ascii_lowercase().replace([' ', '_'], "-");
        if allowed.contains(&norm.as_str()) {
            return Some(norm);
        }
        let hint = match did_you_mean(&norm, allowed.iter().copied()) {
            Some(m) => format!("did you mean `{m}`? allowed: {}", allowed.join(", ")),
            None => format!("allowed: {}", allowed.join(", ")),
        };
        self.error(node, format!("unknown {key} `{s}`"), hint);
        None
    }

    /// Reads every key of the frontmatter map into `inc`.
    pub fn read(&mut self, root: &Node, inc: &mut Incident) {
        let entries = match &root.kind {
            Kind::Map(entries) => entries,
            Kind::Null => return,
            _ => {
                self.error(
                    root,
                    format!(
                        "frontmatter must be a table of keys, found {}",
                        root.type_name()
                    ),
                    "write `key: value` lines between the `---` markers",
                );
                return;
            }
        };
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                self.warn(k, "frontmatter key is not a string; ignored", None);
                continue;
            };
            self.read_key(key, k, v, inc);
        }
    }

    fn read_key(&mut self, key: &str, k: &Node, v: &Node, inc: &mut Incident) {
        match key {
            "title" => {
                if let Some(t) = self.string(key, v).filter(|t| !t.is_empty()) {
                    inc.title = t;
                }
            }
            "date" => inc.date = self.date(key, v),
            "id" => {
                if let Some(id) = self.id(key, v) {
                    inc.id_pos = Some((id.line, id.col));
                    inc.id = id.id;
                }
            }
            "severity" => {
                inc.severity = self.severity(v);
                // Reported here; `kb check` must not call it missing too.
                if inc.severity.is_none() && v.kind != Kind::Null {
                    inc.inferred.insert("severity-unreadable");
                }
            }
            // The canonical names, and the spellings teams use for them ("review").
            "status" => inc.status = self.status(v),
            "summary" => inc.summary = self.string(key, v).unwrap_or_default(),
            "authors" => inc.authors = self.strings(key, v),
            "tags" | "services" => {
                let mut list = self.strings(key, v);
                super::limits::check_list(self, key, v, &mut list);
                match key {
                    "tags" => inc.tags = list,
                    _ => inc.services = list,
                }
            }
            "symptoms" => inc.symptoms = self.strings(key, v),
            "trigger" => inc.trigger = self.string(key, v),
            "contributing_factors" => inc.contributing_factors.extend(self.factors(v)),
            "root_cause" => {
                self.warn(
                    k,
                    "`root_cause` is a legacy key",
                    Some("rename it to `contributing_factors` (a list)".into()),
                );
                if let Some(s) = self.string(key, v) {
                    inc.contributing_factors.push(Factor {
                        category: None,
                        description: s,
                    });
                }
            }
            "impact" => inc.impact = self.impact(v),
            "detection" => inc.detection = self.detection(v),
            "timestamps" => self.timestamps(v, inc),
            "duration" => inc.duration = self.duration(v),
            "action_items" => inc.action_items = self.action_items(v),
            "lessons" => inc.lessons = self.lessons(v),
            "related" => {
                let items = match &v.kind {
                    Kind::Seq(items) => items.clone(),
                    Kind::Str(_) => vec![v.clone()],
                    Kind::Null => Vec::new(),
                    _ => {
                        self.wrong_type(key, v, "a list of incident ids", "related: [other-id]");
                        Vec::new()
                    }
                };
                inc.related = items.iter().filter_map(|n| self.id(key, n)).collect();
            }
            "recurrence_of" => inc.recurrence_of = self.id(key, v),
            "near_miss" => inc.near_miss = self.boolean(key, v).unwrap_or(false),
            "links" => inc.links = self.links(v),
            "updated" => inc.updated = self.date(key, v),
            _ => {
                let hint = did_you_mean(key, KEYS.iter().copied())
                    .map(|m| format!("did you mean `{m}`?"))
                    .or_else(|| Some(format!("known keys: {}", KEYS.join(", "))));
                self.warn(k, format!("unknown frontmatter key `{key}`"), hint);
            }
        }
    }

    /// The canonical names, and the spellings teams use for them ("review", "in_review"). A
    /// status that cannot be read keeps the incident out of the site like a draft (besides the
    /// error): an unreadable status must never publish it.
    fn status(&mut self, v: &Node) -> Status {
        if v.kind == Kind::Null {
            return Status::default();
        }
        let Some(s) = self.string("status", v) else {
            return Status::Draft;
        };
        match Status::parse(&s) {
            Some(st) => {
                if s.contains('_') {
                    let name = st.name();
                    self.warn(
                        v,
                        format!("status `{s}` is read as `{name}`"),
                        Some(format!("write `status: {name}`")),
                    );
                }
                st
            }
            None => {
                self.choice("status", v, &Status::NAMES);
                Status::Draft
            }
        }
    }

    fn severity(&mut self, v: &Node) -> Option<String> {
        // A bare number `2` means `SEV2`.
        let (written, s) = match &v.kind {
            Kind::Int(i) => (i.to_string(), format!("SEV{i}")),
            _ => {
                let s = self.string("severity", v)?;
                (s.clone(), s)
            }
        };
        let levels = &self.config.severity.levels;
        if let Some(level) = levels.iter().find(|l| l.eq_ignore_ascii_case(&s)) {
            return Some(level.clone());
        }
        let hint = match did_you_mean(&s, levels.iter().map(String::as_str)) {
            Some(m) => format!("did you mean `{m}`?"),
            None => "the levels are set in site.toml, `[severity] levels`".into(),
        };
        self.error(
            v,
            format!(
                "severity `{written}` is not one of the levels: {}",
                levels.join(", ")
            ),
            hint,
        );
        None
    }

    fn map_entries<'n>(&mut self, key: &str, v: &'n Node, example: &str) -> &'n [(Node, Node)] {
        match &v.kind {
            Kind::Map(entries) => entries,
            Kind::Null => &[],
            _ => {
                self.wrong_type(key, v, "a table", example);
                &[]
            }
        }
    }

    fn unknown_subkey(&mut self, parent: &str, k: &Node, allowed: &[&str]) {
        let key = k.as_str().unwrap_or("?");
        let hint = did_you_mean(key, allowed.iter().copied())
            .map(|m| format!("did you mean `{m}`?"))
            .unwrap_or_else(|| format!("known keys: {}", allowed.join(", ")));
        self.warn(k, format!("unknown key `{key}` in `{parent}`"), Some(hint));
    }

    fn factors(&mut self, v: &Node) -> Vec<Factor> {
        let items = match &v.kind {
            Kind::Seq(items) => items.as_slice(),
            Kind::Str(_) => std::slice::from_ref(v),
            Kind::Null => &[],
            _ => {
                self.wrong_type(
                    "contributing_factors",
                    v,
                    "a list",
                    "contributing_factors: [\"a reason\"]",
                );
                &[]
            }
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                Kind::Map(entries) => {
                    let mut f = Factor::default();
                    for (k, val) in entries {
                        match k.as_str() {
                            Some("category") => f.category = self.string("category", val),
                            Some("description") => {
                                f.description = self.string("description", val).unwrap_or_default()
                            }
                            _ => self.unknown_subkey(
                                "contributing_factors",
                                k,
                                &["category", "description"],
                            ),
                        }
                    }
                    if f.description.is_empty() {
                        self.error(
                            item,
                            "a contributing factor needs a `description`",
                            "write `- {category: process, description: what happened}`",
                        );
                    } else {
                        out.push(f);
                    }
                }
                _ => {
                    if let Some(s) = self.string("contributing_factors", item) {
                        out.push(Factor {
                            category: None,
                            description: s,
                        });
                    }
                }
            }
        }
        out
    }

    fn impact(&mut self, v: &Node) -> Option<Impact> {
        if let Kind::Str(s) = &v.kind {
            return Some(Impact {
                description: Some(s.clone()),
                ..Impact::default()
            });
        }
        let entries = self.map_entries("impact", v, "impact: {description: ..., data_loss: false}");
        if entries.is_empty() {
            return None;
        }
        let mut imp = Impact::default();
        for (k, val) in entries {
            match k.as_str() {
                Some("description") => imp.description = self.string("description", val),
                Some("customer_facing") => {
                    imp.customer_facing = self.boolean("customer_facing", val)
                }
                Some("users_affected") => imp.users_affected = self.string("users_affected", val),
                Some("data_loss") => imp.data_loss = self.boolean("data_loss", val),
                Some("categories") => imp.categories = self.strings("categories", val),
                _ => self.unknown_subkey(
                    "impact",
                    k,
                    &[
                        "description",
                        "customer_facing",
                        "users_affected",
                        "data_loss",
                        "categories",
                    ],
                ),
            }
        }
        Some(imp)
    }

    fn detection(&mut self, v: &Node) -> Option<Detection> {
        let entries = self.map_entries("detection", v, "detection: {method: alert, source: ...}");
        if entries.is_empty() {
            return None;
        }
        let mut det = Detection::default();
        for (k, val) in entries {
            match k.as_str() {
                Some("method") => {
                    det.method = self.choice("detection method", val, DETECTION_METHODS)
                }
                Some("source") => det.source = self.string("source", val),
                _ => self.unknown_subkey("detection", k, &["method", "source"]),
            }
        }
        Some(det)
    }

    fn timestamps(&mut self, v: &Node, inc: &mut Incident) {
        let entries = self.map_entries(
            "timestamps",
            v,
            "timestamps: {started: 2024-03-07T10:05:00+01:00}",
        );
        let mut seen: Vec<(&'static str, Timestamp, &Node)> = Vec::new();
        for (k, val) in entries {
            let Some(name) = k
                .as_str()
                .and_then(|n| TS_NAMES.iter().find(|x| **x == n).copied())
            else {
                self.unknown_subkey("timestamps", k, &TS_NAMES);
                continue;
            };
            if let Some(instant) = self.instant(name, val) {
                seen.push((name, instant.at, val));
                if let Some(slot) = inc.timestamps.slot(name) {
                    *slot = Some(instant);
                }
            }
        }
        // Order is checked pairwise along the lifecycle; a metric is never computed from
        // timestamps out of order.
        let rank = |n: &str| TS_NAMES.iter().position(|x| *x == n).unwrap_or(0);
        seen.sort_by_key(|(n, _, _)| rank(n));
        let mut bad = false;
        for w in seen.windows(2) {
            let (a, ta, _) = &w[0];
            let (b, tb, node) = &w[1];
            if tb < ta {
                bad = true;
                self.warn(
                    node,
                    format!("timestamp `{b}` is before `{a}`"),
                    Some(format!(
                        "timestamps go started ≤ detected ≤ acknowledged ≤ mitigated ≤ resolved; check `{a}` and `{b}` (durations for this incident are left out)"
                    )),
                );
            }
        }
        if bad {
            inc.timestamps = Default::default();
            inc.inferred.insert("timestamps-out-of-order");
        }
    }

    fn duration(&mut self, v: &Node) -> Option<SignedDuration> {
        let s = self.string("duration", v)?;
        match parse_duration(&s) {
            Some(d) => Some(d),
            None => {
                self.error(
                    v,
                    format!("`duration` value `{s}` is not a duration"),
                    "write it like `4h`, `90m`, `2d 3h` or `PT4H`",
                );
                None
            }
        }
    }

    fn action_items(&mut self, v: &Node) -> Vec<ActionItem> {
        let items = match &v.kind {
            Kind::Seq(items) => items.as_slice(),
            Kind::Null => &[],
            _ => {
                self.wrong_type(
                    "action_items",
                    v,
                    "a list",
                    "action_items: [{title: ..., owner: ..., status: open}]",
                );
                &[]
            }
        };
        const KEYS: &[&str] = &[
            "title", "owner", "status", "type", "priority", "due", "link",
        ];
        let mut out = Vec::new();
        for item in items {
            let mut ai = ActionItem::default();
            match &item.kind {
                Kind::Map(entries) => {
                    for (k, val) in entries {
                        match k.as_str() {
                            Some("title") => {
                                ai.title = self.string("title", val).unwrap_or_default()
                            }
                            Some("owner") => ai.owner = self.string("owner", val),
                            // "todo", "closed", "wontfix" are read as what they mean.
                            Some("status") => {
                                if let Some(s) = self.string("action item status", val) {
                                    ai.status = match ItemStatus::parse(&s) {
                                        Some(st) => st,
                                        None => {
                                            self.choice(
                                                "action item status",
                                                val,
                                                &ItemStatus::NAMES,
                                            );
                                            Default::default()
                                        }
                                    }
                                }
                            }
                            Some("type") => {
                                ai.kind = self.choice("action item type", val, ITEM_TYPES)
                            }
                            Some("priority") => ai.priority = self.string("priority", val),
                            Some("due") => ai.due = self.date("due", val),
                            Some("link") => ai.link = self.url("link", val),
                            _ => self.unknown_subkey("action_items", k, KEYS),
                        }
                    }
                    if ai.title.is_empty() {
                        self.error(
                            item,
                            "an action item needs a `title`",
                            "write `- {title: what to do, owner: who, status: open}`",
                        );
                        continue;
                    }
                }
                _ => match self.string("action_items", item) {
                    Some(t) => ai.title = t,
                    None => continue,
                },
            }
            out.push(ai);
        }
        out
    }

    fn lessons(&mut self, v: &Node) -> Lessons {
        let mut l = Lessons::default();
        match &v.kind {
            Kind::Seq(_) | Kind::Str(_) => l.general = self.list_of_text("lessons", v),
            Kind::Map(entries) => {
                for (k, val) in entries {
                    match k.as_str() {
                        Some("went_well") => l.went_well = self.list_of_text("went_well", val),
                        Some("went_wrong") => l.went_wrong = self.list_of_text("went_wrong", val),
                        Some("got_lucky") => l.got_lucky = self.list_of_text("got_lucky", val),
                        _ => self.unknown_subkey(
                            "lessons",
                            k,
                            &["went_well", "went_wrong", "got_lucky"],
                        ),
                    }
                }
            }
            Kind::Null => {}
            _ => self.wrong_type(
                "lessons",
                v,
                "a list of strings or a table",
                "lessons: [\"what we learned\"]",
            ),
        }
        l
    }

    /// Like `strings`, but a single string is one item (lessons contain commas).
    fn list_of_text(&mut self, key: &str, v: &Node) -> Vec<String> {
        match &v.kind {
            Kind::Str(s) => vec![s.trim().to_string()],
            _ => self.strings_no_split(key, v),
        }
    }

    fn strings_no_split(&mut self, key: &str, v: &Node) -> Vec<String> {
        match &v.kind {
            Kind::Seq(_) => self.strings(key, v),
            Kind::Null => Vec::new(),
            _ => {
                self.wrong_type(key, v, "a list of strings", &format!("{key}: [\"...\"]"));
                Vec::new()
            }
        }
    }

    fn links(&mut self, v: &Node) -> Vec<Link> {
        let items = match &v.kind {
            Kind::Seq(items) => items.as_slice(),
            Kind::Null => &[],
            _ => {
                self.wrong_type(
                    "links",
                    v,
                    "a list",
                    "links: [{title: Ticket, url: https://...}]",
                );
                &[]
            }
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                Kind::Str(_) => {
                    if let Some(url) = self.url("links", item) {
                        out.push(Link {
                            title: url.clone(),
                            url,
                        })
                    }
                }
                Kind::Map(entries) => {
                    let mut link = Link::default();
                    let mut url_given = false;
                    for (k, val) in entries {
                        match k.as_str() {
                            Some("title") => {
                                link.title = self.string("title", val).unwrap_or_default()
                            }
                            Some("url") => {
                                url_given = true;
                                link.url = self.url("url", val).unwrap_or_default()
                            }
                            _ => self.unknown_subkey("links", k, &["title", "url"]),
                        }
                    }
                    if link.url.is_empty() {
                        // A refused url was reported where it is.
                        if !url_given {
                            self.error(
                                item,
                                "a link needs a `url`",
                                "write `- {title: Ticket, url: https://...}`",
                            );
                        }
                        continue;
                    }
                    if link.title.is_empty() {
                        link.title = link.url.clone();
                    }
                    out.push(link);
                }
                _ => self.wrong_type(
                    "links",
                    item,
                    "a table",
                    "- {title: Ticket, url: https://...}",
                ),
            }
        }
        out
    }
}

const TS_NAMES: [&str; 5] = super::incident::Timestamps::NAMES;

pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// YAML 1.1's boolean words, which YAML 1.2 (and so kb) reads as text.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" => Some(true),
        "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// `YYYY-MM-DD`, or a whole timestamp whose date part is meant (`2024-03-07T10:05:00Z`,
/// `2024-03-07 10:05`). Anything after the date must be a time: `2024-01-01garbage` is no date.
pub fn parse_date(text: &str) -> Option<Date> {
    let day = text.get(..10).filter(|d| looks_like_date(d))?;
    if text.len() == 10 {
        return day.parse().ok();
    }
    jiff::fmt::temporal::Pieces::parse(text)
        .ok()
        .filter(|p| p.time().is_some())
        .map(|p| p.date())
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-'
}

enum InstantError {
    NoOffset,
    Invalid,
}

fn parse_instant(text: &str) -> Result<Instant, InstantError> {
    match text.parse::<Timestamp>() {
        Ok(_) => {}
        Err(_) => {
            return Err(if text.parse::<jiff::civil::DateTime>().is_ok() {
                InstantError::NoOffset
            } else {
                InstantError::Invalid
            });
        }
    }
    // Keep the author's offset for display; jiff's Zoned with a fixed offset renders it back.
    let zoned: jiff::ZonedDateTime = jiff::fmt::temporal::Pieces::parse(text)
        .ok()
        .and_then(|p| {
            let offset = match p.offset()? {
                jiff::fmt::temporal::PiecesOffset::Numeric(n) => n.offset(),
                jiff::fmt::temporal::PiecesOffset::Zulu => jiff::tz::Offset::UTC,
                _ => return None,
            };
            let dt = p.date().to_datetime(p.time()?);
            dt.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset)).ok()
        })
        .ok_or(InstantError::Invalid)?;
    Ok(Instant {
        at: zoned.timestamp(),
        text: zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    })
}

/// `4h`, `90m`, `2d 3h`, `1h30m` or ISO 8601 `PT4H`.
pub fn parse_duration(s: &str) -> Option<SignedDuration> {
    let s = s.trim();
    if s.starts_with(['P', 'p']) {
        return s.parse::<SignedDuration>().ok().or_else(|| {
            // ISO days (`P1DT2H`) are not fixed-length for jiff; a postmortem means 24 h.
            let span: jiff::Span = s.parse().ok()?;
            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok()
        });
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
        } else if c.is_whitespace() {
            continue;
        } else if c.is_alphabetic() {
            let mut unit = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_alphabetic() {
                    unit.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let n: i64 = num.parse().ok()?;
            num.clear();
            let secs = match unit.to_ascii_lowercase().as_str() {
                "d" | "day" | "days" => 86_400,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
                "m" | "min" | "mins" | "minute" | "minutes" => 60,
                "s" | "sec" | "secs" | "second" | "seconds" => 1,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(secs)?)?;
            any = true;
        } else {
            return None;
        }
    }
    (any && num.is_empty()).then(|| SignedDuration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4h"), Some(SignedDuration::from_hours(4)));
        assert_eq!(parse_duration("90m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(
            parse_duration("2d 3h"),
            Some(SignedDuration::from_hours(51))
        );
        assert_eq!(parse_duration("PT4H"), Some(SignedDuration::from_hours(4)));
        assert_eq!(
            parse_duration("P1DT2H"),
            Some(SignedDuration::from_hours(26))
        );
        assert_eq!(parse_duration("4 parsecs"), None);
        assert_eq!(parse_duration("4"), None);
    }

    #[test]
    fn instants_keep_offset() {
        let i = parse_instant("2024-03-07T10:05:00+01:00").ok().unwrap();
        assert_eq!(i.text, "2024-03-07T10:05:00+01:00");
        assert!(matches!(
            parse_instant("2024-03-07T10:05:00"),
            Err(InstantError::NoOffset)
        ));
        assert!(parse_instant("2024-03-07T10:05:00Z").is_ok());
    }

    #[test]
    fn dates_and_timestamps_but_nothing_else() {
        let d = Some(jiff::civil::date(2024, 3, 7));
        assert_eq!(parse_date("2024-03-07"), d);
        assert_eq!(parse_date("2024-03-07T10:05:00Z"), d);
        assert_eq!(parse_date("2024-03-07T10:05:00+01:00"), d);
        assert_eq!(parse_date("2024-03-07 10:05"), d);
        assert_eq!(parse_date("2024-01-01garbage"), None);
        assert_eq!(parse_date("2024-03-07T"), None);
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("20240307"), None);
        assert_eq!(parse_date("7 March"), None);
    }

    #[test]
    fn ids() {
        assert!(is_valid_id("db-outage-2024"));
        assert!(!is_valid_id("../etc"));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id("Caps"));
    }
}
