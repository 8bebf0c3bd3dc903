//! The knowledge base: every incident with its tags, services, links, related incidents and
//! backlinks, computed once and read by every page.

pub mod edit;
pub mod lessons;
pub mod related;
pub mod stats;
pub mod taxonomy;
pub mod work;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::config::Config;
use crate::content::Incident;
use crate::content::incident::LinkTarget;
use crate::diagnostics::{Bounded, Diagnostic, Suggestions};
pub use related::Related;
pub use taxonomy::{TagRef, Taxonomy};

pub struct Entry {
    pub incident: Incident,
    pub tags: Vec<TagRef>,
    /// Service slugs (URL names); display names are in [`Kb::services`].
    pub services: Vec<String>,
    pub related: Vec<Related>,
    /// Indexes of incidents whose body links here.
    pub backlinks: Vec<usize>,
    /// Body links resolved: target as written → incident index.
    pub resolved_links: HashMap<LinkTarget, usize>,
}

pub struct Group {
    pub name: String,
    pub description: String,
    /// Incident indexes, newest first.
    pub incidents: Vec<usize>,
}

pub struct Kb {
    pub config: Config,
    /// Newest first; undated last.
    pub entries: Vec<Entry>,
    pub by_id: HashMap<String, usize>,
    pub tags: BTreeMap<String, Group>,
    pub services: BTreeMap<String, Group>,
    /// Steps of the computations across incidents so far (see [`work`]).
    pub work: work::Work,
}

impl Kb {
    /// Builds the knowledge base. Diagnostics for cross-file problems (duplicate ids,
    /// unknown `related` ids, broken links) are appended to `diags`.
    pub fn build(config: Config, incidents: Vec<Incident>, diags: &mut Vec<Diagnostic>) -> Kb {
        Kb::build_without(config, incidents, &Default::default(), diags)
    }

    /// Like [`Kb::build`], where `drafts` are the ids of drafts left out of this build: a
    /// `related` or `recurrence_of` naming one is a warning (the link appears once it is
    /// published), not an unknown id.
    pub fn build_without(
        config: Config,
        mut incidents: Vec<Incident>,
        drafts: &std::collections::HashSet<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Kb {
        // Dated first, newest first, then by id and path. By a key: an incident is over 1 KB,
        // and sorting them by comparison moved each a dozen times (15 ms at 10,000, on one core).
        incidents.sort_by_cached_key(|i| {
            (
                std::cmp::Reverse(i.date.is_some()),
                std::cmp::Reverse(i.date),
                i.id.clone(),
                i.path.clone(),
            )
        });

        // Duplicate ids: the first file (by path) keeps the id.
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<usize> = (0..incidents.len()).collect();
        order.sort_by(|a, b| incidents[*a].path.cmp(&incidents[*b].path));
        for i in order {
            let inc = &incidents[i];
            if let Some(&first) = by_id.get(&inc.id) {
                let (line, col) = inc.id_pos.unwrap_or((0, 0));
                let mut d = Diagnostic::error(
                    inc.path.clone(),
                    format!(
                        "duplicate incident id `{}` (also used by {})",
                        inc.id, incidents[first].path
                    ),
                )
                .with_hint("give one of them a different `id:` in its frontmatter");
                if line > 0 {
                    d = d.at(&source_text(inc), line, col, inc.id.len());
                }
                diags.push(d);
            } else {
                by_id.insert(inc.id.clone(), i);
            }
        }

        let taxonomy = Taxonomy::new(&config);
        let by_path: HashMap<&str, usize> = incidents
            .iter()
            .enumerate()
            .map(|(i, inc)| (inc.path.as_str(), i))
            .collect();

        let mut service_names: BTreeMap<String, String> = BTreeMap::new();
        // Matching every configured tag's phrases in every incident, on every core (linking
        // 100,000 incidents took 1.4-2.0 s with it on one, 1.0-1.1 s now), beside the links'
        // resolution, which takes one.
        let (link_results, tag_lists) = rayon::join(
            || {
                let mut link_results: Vec<HashMap<LinkTarget, usize>> =
                    Vec::with_capacity(incidents.len());
                let mut suggestions = Suggestions::default();
                let mut suggest =
                    |id: &str| suggestions.suggest(id, by_id.keys().map(String::as_str));
                for inc in &incidents {
                    let mut problems = Problems::new(inc);
                    let mut resolved = HashMap::new();
                    for link in &inc.body_links {
                        let hit = match &link.target {
                            LinkTarget::Id(id) => by_id.get(id).copied(),
                            LinkTarget::Path(p) => {
                                by_path.get(join_rel(&inc.path, p).as_str()).copied()
                            }
                        };
                        if let Some(i) = hit {
                            resolved.insert(link.target.clone(), i);
                            continue;
                        }
                        problems.add(diags, (false, true), |text| {
                            let (what, hint) = match &link.target {
                                LinkTarget::Id(id) => (
                                    format!("link to unknown incident `[[{id}]]`"),
                                    suggest(id).map_or("check the incident id".into(), |m| {
                                        format!("did you mean `[[{m}]]`?")
                                    }),
                                ),
                                LinkTarget::Path(p) => (
                                    format!(
                                        "link to `{p}`, which is not a postmortem in this knowledge base"
                                    ),
                                    "link paths are relative to this file".to_string(),
                                ),
                            };
                            Diagnostic::warning(inc.path.clone(), what)
                                .at(text, link.line, link.col, 2)
                                .with_hint(hint)
                                .with_code("broken-link")
                        });
                    }
                    link_results.push(resolved);
                    for r in inc.related.iter().chain(inc.recurrence_of.iter()) {
                        if by_id.contains_key(&r.id) {
                            continue;
                        }
                        let draft = drafts.contains(&r.id);
                        problems.add(diags, (!draft, false), |text| {
                            if draft {
                                return Diagnostic::warning(
                                    inc.path.clone(),
                                    format!("`{}` is a draft, left out of this build", r.id),
                                )
                                .at(text, r.line, r.col, r.id.len())
                                .with_hint(
                                    "the link appears once it is published (or build with --drafts)",
                                );
                            }
                            let hint = suggest(&r.id).map_or(
                                "ids are the `id:` of another postmortem or its file name without `.md`"
                                    .into(),
                                |m| format!("did you mean `{m}`?"),
                            );
                            Diagnostic::error(
                                inc.path.clone(),
                                format!("unknown incident id `{}`", r.id),
                            )
                            .at(text, r.line, r.col, r.id.len())
                            .with_hint(hint)
                        });
                    }
                    problems.finish(diags);
                }
                link_results
            },
            || {
                incidents
                    .par_iter()
                    .map(|inc| taxonomy.tags_of(inc))
                    .collect::<Vec<_>>()
            },
        );
        // Made on every core: each incident moves into its entry, a fresh list of 1.2 KB
        // entries whose pages the kernel zeroes first.
        let mut entries: Vec<Entry> = incidents
            .into_par_iter()
            .zip(link_results)
            .zip(tag_lists)
            .map(|((inc, resolved_links), tags)| {
                let mut services: Vec<String> = Vec::new();
                for s in &inc.services {
                    let slug = slug::slugify(s);
                    if !slug.is_empty() && !services.contains(&slug) {
                        services.push(slug);
                    }
                }
                Entry {
                    incident: inc,
                    tags,
                    services,
                    related: Vec::new(),
                    backlinks: Vec::new(),
                    resolved_links,
                }
            })
            .collect();
        // A service's name as the first incident (in kb order) naming it wrote it.
        for e in &entries {
            for slug in &e.services {
                if !service_names.contains_key(slug) {
                    let name = e
                        .incident
                        .services
                        .iter()
                        .find(|s| slug::slugify(s) == *slug)
                        .expect("the slug is one of theirs");
                    service_names.insert(slug.clone(), name.trim().to_string());
                }
            }
        }

        let mut tags: BTreeMap<String, Group> = BTreeMap::new();
        let mut services: BTreeMap<String, Group> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            for t in &e.tags {
                tags.entry(t.name.clone())
                    .or_insert_with(|| Group {
                        name: t.name.clone(),
                        description: config
                            .tags
                            .get(&t.name)
                            .map(|c| c.description.clone())
                            .unwrap_or_default(),
                        incidents: Vec::new(),
                    })
                    .incidents
                    .push(i);
            }
            for s in &e.services {
                services
                    .entry(s.clone())
                    .or_insert_with(|| Group {
                        name: service_names[s].clone(),
                        description: config
                            .services
                            .iter()
                            .find(|(k, _)| slug::slugify(k) == *s)
                            .map(|(_, c)| c.description.clone())
                            .unwrap_or_default(),
                        incidents: Vec::new(),
                    })
                    .incidents
                    .push(i);
            }
        }

        let mut backlinks: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
        for (i, e) in entries.iter().enumerate() {
            let mut targets: Vec<usize> = e
                .resolved_links
                .values()
                .copied()
                .filter(|t| *t != i)
                .collect();
            targets.sort_unstable();
            targets.dedup();
            for t in targets {
                backlinks[t].push(i);
            }
        }
        for (e, b) in entries.iter_mut().zip(backlinks) {
            e.backlinks = b;
        }

        Kb {
            config,
            entries,
            by_id,
            tags,
            services,
            work: Default::default(),
        }
    }

    /// Computes every incident's related incidents, given text similarities from the search
    /// index (see [`related::compute`]).
    pub fn link_related(&mut self, text: &[Vec<related::TextMatch>]) {
        let related = related::compute(self, text);
        for (e, r) in self.entries.iter_mut().zip(related) {
            e.related = r;
        }
    }
}

/// One incident's link problems: the first made in full ([`Bounded`]), located in its source
/// text (put together once, when the first is), the rest counted; an error among them fails
/// the build all the same, and a broken body link among them fails `kb check` (which makes
/// those errors). A body of 20,000 broken links took 7 s, each reading the file for its line.
struct Problems<'a> {
    inc: &'a Incident,
    text: Option<String>,
    bounded: Bounded,
    /// Whether a broken body link was among those counted.
    links: bool,
}

impl<'a> Problems<'a> {
    fn new(inc: &'a Incident) -> Self {
        Problems {
            inc,
            text: None,
            bounded: Bounded::default(),
            links: false,
        }
    }

    /// A problem `make` describes: an error, or a broken body link (`link`), or neither.
    fn add(
        &mut self,
        diags: &mut Vec<Diagnostic>,
        (error, link): (bool, bool),
        make: impl FnOnce(&str) -> Diagnostic,
    ) {
        if !self.bounded.show(1, error) {
            self.links |= link;
            return;
        }
        let text = self.text.get_or_insert_with(|| source_text(self.inc));
        diags.push(make(text));
    }

    fn finish(self, diags: &mut Vec<Diagnostic>) {
        if let Some(d) = self.bounded.rest(&self.inc.path, "broken links") {
            diags.push(if self.links {
                d.with_code("broken-link")
            } else {
                d
            });
        }
    }
}

/// The file text diagnostics point into.
pub(crate) fn source_text(inc: &Incident) -> String {
    let body = inc.plain_body.as_deref().unwrap_or(&inc.body);
    format!("{}{body}", inc.front)
}

/// Resolves `rel` against the directory of `from` (both `/`-separated, root-relative).
fn join_rel(from: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    percent_decode(&joined)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            join_rel("content/2024/a.md", "../2023/b.md"),
            "content/2023/b.md"
        );
        assert_eq!(join_rel("content/a.md", "./b%20c.md"), "content/b c.md");
    }
}
