//! `site.toml`: the knowledge base's settings. Every key is optional.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::content::node::{self, Kind, Node};
use crate::diagnostics::{Bounded, Diagnostic, did_you_mean};

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Config {
    pub title: String,
    /// Where the site is published; its path part (e.g. `/kb/`) prefixes every link.
    pub base_url: String,
    pub description: String,
    pub language: String,
    pub severity: SeverityConfig,
    pub tags: BTreeMap<String, TagConfig>,
    pub services: BTreeMap<String, ServiceConfig>,
    pub search: SearchConfig,
    pub markdown: MarkdownConfig,
    pub new: NewConfig,
    pub repository: RepositoryConfig,
    /// This run's knobs, from the command line and the binary's environment; never site.toml.
    #[serde(skip)]
    pub run: RunOptions,
}

/// Settings of one run that the binary reads from its environment and hands to the library,
/// which reads no environment variable itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOptions {
    /// `SOURCE_DATE_EPOCH`: the moment overdue action items are judged against (else now).
    pub source_date: Option<jiff::Timestamp>,
    /// `KB_TIMINGS`: print how long each stage took.
    pub timings: bool,
    /// `KB_SITEMAP_URLS`: URLs per sitemap file (tests; the protocol's 50,000 otherwise).
    pub sitemap_urls: Option<usize>,
    /// `KB_LIST_PAGE`: incidents per page of /incidents/ (tests; 50 otherwise).
    pub list_page: Option<usize>,
    /// `KB_STATIC_TIER`, `KB_STATIC_SHARD`: the browser index's list tier and shard size
    /// (tests exercise tails and shards on small knowledge bases).
    pub static_tier: Option<usize>,
    pub static_shard: Option<usize>,
    /// `KB_DATA_PART_BYTES`: the largest `/incidents.json` written whole, and the size of its
    /// parts above that (tests split a small knowledge base).
    pub data_part_bytes: Option<usize>,
}

impl RunOptions {
    /// The date overdue items are judged against: today, or the source date.
    pub fn today(&self) -> jiff::civil::Date {
        self.source_date
            .unwrap_or_else(jiff::Timestamp::now)
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Incident knowledge base".into(),
            base_url: "/".into(),
            description: String::new(),
            language: "en".into(),
            severity: SeverityConfig::default(),
            tags: BTreeMap::new(),
            services: BTreeMap::new(),
            search: SearchConfig::default(),
            markdown: MarkdownConfig::default(),
            new: NewConfig::default(),
            repository: RepositoryConfig::default(),
            run: RunOptions::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SeverityConfig {
    /// Most severe first.
    pub levels: Vec<String>,
}

impl Default for SeverityConfig {
    fn default() -> Self {
        SeverityConfig {
            levels: ["SEV1", "SEV2", "SEV3", "SEV4"].map(String::from).to_vec(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TagConfig {
    pub description: String,
    pub aliases: Vec<String>,
    /// Phrases that give an incident this tag when found in its title, symptoms or factors.
    #[serde(rename = "match")]
    pub match_phrases: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    pub description: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    pub synonyms: Vec<Vec<String>>,
    /// Words whose default synonym groups are left out (docs/search.md, "Synonyms").
    pub drop_synonyms: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MarkdownConfig {
    /// Pass authors' raw HTML through unsanitized.
    pub unsafe_html: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewConfig {
    /// The template `kb new` fills in, relative to site.toml.
    pub template: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RepositoryConfig {
    /// Where a postmortem is edited online, with `{path}` standing for its path from the
    /// knowledge base's root (`https://github.com/acme/incidents/edit/main/{path}`).
    pub edit_url: String,
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

impl RepositoryConfig {
    /// The "Edit this page" link of the postmortem at `path` (`/`-separated, from the root),
    /// each path segment percent-encoded.
    pub fn edit_link(&self, path: &str) -> Option<String> {
        if self.edit_url.is_empty() {
            return None;
        }
        let encoded: Vec<String> = path
            .split('/')
            .map(|seg| percent_encoding::utf8_percent_encode(seg, PATH_SEGMENT).to_string())
            .collect();
        Some(self.edit_url.replace("{path}", &encoded.join("/")))
    }
}

/// The keys of each table of site.toml, for warnings about the others; `tags.*` is every
/// `[tags.<name>]`. Kept beside the structs above, which serde reads.
const KEYS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "title",
            "base_url",
            "description",
            "language",
            "severity",
            "tags",
            "services",
            "search",
            "markdown",
            "new",
            "repository",
        ],
    ),
    ("severity", &["levels"]),
    ("tags.*", &["description", "aliases", "match"]),
    ("services.*", &["description"]),
    ("search", &["synonyms", "drop_synonyms"]),
    ("markdown", &["unsafe_html"]),
    ("new", &["template"]),
    ("repository", &["edit_url"]),
];

/// A warning for every key site.toml does not know, at its place, with a did-you-mean: serde
/// ignores them, so a typo (`titel`, `[serach]`) would otherwise silently mean the default.
fn unknown_keys(text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut bounded = Bounded::default();
    if let Ok(root) = node::parse_toml(text) {
        check_table(text, "", "", &root, &mut out, &mut bounded);
    }
    out.extend(bounded.rest("site.toml", "unknown keys"));
    crate::diagnostics::sort(&mut out);
    out
}

/// Checks the keys of `node`, the table `name` (`tags.db`) read by the `schema` entry of
/// [`KEYS`] (`tags.*`).
fn check_table(
    text: &str,
    schema: &str,
    name: &str,
    node: &Node,
    out: &mut Vec<Diagnostic>,
    bounded: &mut Bounded,
) {
    let Kind::Map(entries) = &node.kind else {
        return;
    };
    // `[tags.x]`: the names are free, their keys are not.
    if schema == "tags" || schema == "services" {
        for (k, v) in entries {
            let table = format!("{schema}.{}", k.as_str().unwrap_or("?"));
            check_table(text, &format!("{schema}.*"), &table, v, out, bounded);
        }
        return;
    }
    let Some((_, known)) = KEYS.iter().find(|(t, _)| *t == schema) else {
        return;
    };
    for (k, v) in entries {
        let Some(key) = k.as_str() else { continue };
        if known.contains(&key) {
            let path = if schema.is_empty() {
                key.to_string()
            } else {
                format!("{schema}.{key}")
            };
            check_table(text, &path, &path, v, out, bounded);
            continue;
        }
        if !bounded.show(1, false) {
            continue;
        }
        let hint = match did_you_mean(key, known.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("known keys here: {}", known.join(", ")),
        };
        let place = match name {
            "" => "site.toml".to_string(),
            t => format!("`[{t}]`"),
        };
        out.push(
            Diagnostic::warning(
                "site.toml",
                format!("unknown key `{key}` in {place}; ignored"),
            )
            .at(text, k.pos.line, k.pos.col, key.len())
            .with_hint(hint),
        );
    }
}

impl Config {
    /// Reads `<root>/site.toml`; a missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        Self::load_warned(root).map(|(c, _)| c)
    }

    /// [`Config::load`], with a warning for each key site.toml does not know.
    pub fn load_warned(root: &Path) -> Result<(Config, Vec<Diagnostic>), Diagnostic> {
        let path = root.join("site.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Config::default(), Vec::new()));
            }
            Err(e) => {
                return Err(Diagnostic::error(
                    "site.toml",
                    format!("cannot read site.toml: {e}"),
                ));
            }
        };
        let config = Self::parse(&text)?;
        Ok((config, unknown_keys(&text)))
    }

    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let d = Diagnostic::error("site.toml", e.message().to_string());
            match e.span() {
                Some(span) => d.at_offset(text, span.start, span.end - span.start),
                None => d,
            }
            .with_hint("see the site.toml section of the docs for every key")
        })?;
        if config.severity.levels.is_empty() {
            config.severity = SeverityConfig::default();
        }
        if !config.base_url.ends_with('/') {
            config.base_url.push('/');
        }
        check_edit_url(text, &config.repository.edit_url)?;
        Ok(config)
    }
}

/// `[repository] edit_url` becomes a link on every incident page: an absolute http(s) URL
/// holding `{path}`, or an error at the value.
fn check_edit_url(text: &str, url: &str) -> Result<(), Diagnostic> {
    if url.is_empty() {
        return Ok(());
    }
    let problem = if !matches!(
        crate::content::allowlist::url_scheme(url).as_deref(),
        Some("http" | "https")
    ) {
        "must be an absolute http:// or https:// URL"
    } else if !url.contains("{path}") {
        "must contain `{path}`, where the postmortem's path goes"
    } else {
        return Ok(());
    };
    let d = Diagnostic::error("site.toml", format!("`[repository] edit_url` {problem}")).with_hint(
        "for example `edit_url = \"https://github.com/acme/incidents/edit/main/{path}\"`",
    );
    // Point at the setting's line.
    Err(match text.find("edit_url") {
        Some(at) => {
            let len = text[at..].find('\n').unwrap_or(text.len() - at);
            d.at_offset(text, at, len.max(1))
        }
        None => d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(text: &str) -> Vec<(usize, usize, String, String)> {
        Config::parse(text).expect("valid site.toml");
        unknown_keys(text)
            .into_iter()
            .map(|d| (d.line, d.col, d.message, d.hint.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn unknown_keys_at_every_level_are_located_with_a_suggestion() {
        let w = warnings(
            "titel = \"x\"\n[serach]\nsynonyms = []\n[markdown]\nunsafe_htm = true\n[tags.db]\naliases = []\nmatsh = [\"x\"]\n[services.api]\ndescripton = \"y\"\n[severity]\nlevels = [\"P1\"]\nzzz = 1\n",
        );
        let expect = [
            (
                1,
                1,
                "unknown key `titel` in site.toml; ignored",
                "did you mean `title`?",
            ),
            (
                2,
                2,
                "unknown key `serach` in site.toml; ignored",
                "did you mean `search`?",
            ),
            (
                5,
                1,
                "unknown key `unsafe_htm` in `[markdown]`; ignored",
                "did you mean `unsafe_html`?",
            ),
            (
                8,
                1,
                "unknown key `matsh` in `[tags.db]`; ignored",
                "did you mean `match`?",
            ),
            (
                10,
                1,
                "unknown key `descripton` in `[services.api]`; ignored",
                "did you mean `description`?",
            ),
            (
                13,
                1,
                "unknown key `zzz` in `[severity]`; ignored",
                "known keys here: levels",
            ),
        ];
        let got: Vec<_> = w
            .iter()
            .map(|(l, c, m, h)| (*l, *c, m.as_str(), h.as_str()))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn the_shipped_site_tomls_have_no_unknown_keys() {
        let example = include_str!("../site.toml");
        assert_eq!(warnings(example), []);
        // The scaffold with every commented option turned on.
        let scaffold: String = include_str!("scaffold/site.toml")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(scaffold.contains("\nunsafe_html = false"), "{scaffold}");
        assert_eq!(warnings(&scaffold), []);
    }

    #[test]
    fn bad_toml_is_located() {
        let err = Config::parse("title = \"x\"\n[severity]\nlevels = 3\n").unwrap_err();
        assert_eq!(err.line, 3);
    }
}
