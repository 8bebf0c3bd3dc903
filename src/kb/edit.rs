//! One postmortem replaced in a linked knowledge base, in time proportional to the indexes it
//! holds rather than to its text: `kb serve` shows an edit to tags, services, links, severity
//! or date this way on the pages it appears on, before the whole-site rebuild.

use std::collections::BTreeMap;

use super::{Entry, Group, Kb, Taxonomy, join_rel, lessons::Lessons};
use crate::content::Incident;
use crate::content::incident::LinkTarget;

/// Where incidents moved when one changed place in the order by date: `from` went to `to`,
/// and the ones between moved by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub from: usize,
    pub to: usize,
}

impl Moved {
    /// The new index of the incident that was at `x`.
    pub fn map(self, x: usize) -> usize {
        let Moved { from, to } = self;
        match x {
            x if x == from => to,
            x if from < to && x > from && x <= to => x - 1,
            x if to < from && x >= to && x < from => x + 1,
            x => x,
        }
    }
}

/// Sorted insertion: group lists and backlinks are ascending (newest first).
fn insert_sorted(list: &mut Vec<usize>, x: usize) {
    if let Err(at) = list.binary_search(&x) {
        list.insert(at, x);
    }
}

impl Kb {
    /// Puts `inc` (the same id and path) in place of the incident at `i` and links it again:
    /// its tags, services, body links, the backlinks it gives, its groups and its place in the
    /// order by date. Similar incidents are kept as they were (moved with the order). Returns
    /// where the incidents moved and the incident it replaced: replacing that one back at the
    /// new index undoes it.
    pub fn replace(&mut self, i: usize, inc: Incident) -> (Moved, Incident) {
        self.unlink(i);
        let mut entry = self.entries.remove(i);
        let old = std::mem::replace(&mut entry.incident, inc);
        let key = |e: &Incident| {
            (
                std::cmp::Reverse(e.date.is_some()),
                std::cmp::Reverse(e.date),
                e.id.clone(),
                e.path.clone(),
            )
        };
        let new_key = key(&entry.incident);
        let to = self.entries.partition_point(|e| key(&e.incident) < new_key);
        self.entries.insert(to, entry);
        let moved = Moved { from: i, to };
        if i != to {
            self.renumber(moved);
        }
        self.link(to);
        (moved, old)
    }

    /// Takes the incident at `i` out of its groups and the backlinks it gives.
    fn unlink(&mut self, i: usize) {
        let e = &self.entries[i];
        let tags: Vec<String> = e.tags.iter().map(|t| t.name.clone()).collect();
        let services = e.services.clone();
        let targets: Vec<usize> = e.resolved_links.values().copied().collect();
        for (groups, keys) in [(&mut self.tags, tags), (&mut self.services, services)] {
            for k in keys {
                if let Some(g) = groups.get_mut(&k) {
                    g.incidents.retain(|x| *x != i);
                    if g.incidents.is_empty() {
                        groups.remove(&k);
                    }
                }
            }
        }
        for t in targets {
            self.entries[t].backlinks.retain(|x| *x != i);
        }
    }

    /// Every index the knowledge base holds, moved as `moved` says (order is kept for all
    /// but the moved incident, which is out of every list at this point).
    fn renumber(&mut self, moved: Moved) {
        let m = |x: &mut usize| *x = moved.map(*x);
        self.by_id.values_mut().for_each(m);
        for g in self.tags.values_mut().chain(self.services.values_mut()) {
            g.incidents.iter_mut().for_each(m);
        }
        for e in &mut self.entries {
            e.backlinks.iter_mut().for_each(m);
            e.related.iter_mut().for_each(|r| m(&mut r.index));
            e.resolved_links.values_mut().for_each(m);
        }
    }

    /// Links the incident at `i` as [`Kb::build`] does: tags, services, body links and the
    /// backlinks they give.
    fn link(&mut self, i: usize) {
        let taxonomy = Taxonomy::new(&self.config);
        let inc = &self.entries[i].incident;
        let tags = taxonomy.tags_of(inc);
        let mut services: Vec<String> = Vec::new();
        let mut names = BTreeMap::new();
        for s in &inc.services {
            let slug = slug::slugify(s);
            if slug.is_empty() || services.contains(&slug) {
                continue;
            }
            names.insert(slug.clone(), s.trim().to_string());
            services.push(slug);
        }
        let mut resolved = std::collections::HashMap::new();
        // Looked up, not searched for: a body of thousands of links, saved in `kb serve`, was
        // a pass over every incident for each.
        let by_path: std::collections::HashMap<&str, usize> = match inc
            .body_links
            .iter()
            .any(|l| matches!(l.target, LinkTarget::Path(_)))
        {
            true => self
                .entries
                .iter()
                .enumerate()
                .map(|(j, e)| (e.incident.path.as_str(), j))
                .collect(),
            false => Default::default(),
        };
        for link in &inc.body_links {
            let hit = match &link.target {
                LinkTarget::Id(id) => self.by_id.get(id).copied(),
                LinkTarget::Path(p) => by_path.get(join_rel(&inc.path, p).as_str()).copied(),
            };
            if let Some(t) = hit {
                resolved.insert(link.target.clone(), t);
            }
        }
        for t in &tags {
            let description = || {
                self.config
                    .tags
                    .get(&t.name)
                    .map(|c| c.description.clone())
                    .unwrap_or_default()
            };
            let g = self.tags.entry(t.name.clone()).or_insert_with(|| Group {
                name: t.name.clone(),
                description: description(),
                incidents: Vec::new(),
            });
            insert_sorted(&mut g.incidents, i);
        }
        for s in &services {
            let description = || {
                self.config
                    .services
                    .iter()
                    .find(|(k, _)| slug::slugify(k) == *s)
                    .map(|(_, c)| c.description.clone())
                    .unwrap_or_default()
            };
            let g = self.services.entry(s.clone()).or_insert_with(|| Group {
                name: names[s].clone(),
                description: description(),
                incidents: Vec::new(),
            });
            insert_sorted(&mut g.incidents, i);
        }
        let mut targets: Vec<usize> = resolved.values().copied().filter(|t| *t != i).collect();
        targets.sort_unstable();
        targets.dedup();
        for t in targets {
            insert_sorted(&mut self.entries[t].backlinks, i);
        }
        let e: &mut Entry = &mut self.entries[i];
        e.tags = tags;
        e.services = services;
        e.resolved_links = resolved;
    }
}

impl Lessons {
    /// The same groups with their incidents moved as `moved` says.
    pub fn renumber(&mut self, moved: Moved) {
        let m = |x: &mut usize| *x = moved.map(*x);
        for g in &mut self.groups {
            g.incidents.iter_mut().for_each(m);
        }
        for s in self
            .by_tag
            .values_mut()
            .chain(self.by_service.values_mut())
            .flatten()
            .chain(&mut self.untagged)
        {
            s.incidents.iter_mut().for_each(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::content::incident::BodyLink;

    fn incident(
        id: &str,
        date: &str,
        tags: &[&str],
        services: &[&str],
        links: &[&str],
    ) -> Incident {
        Incident {
            id: id.into(),
            path: format!("content/{id}.md"),
            date: Some(date.parse().unwrap()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            services: services.iter().map(|s| s.to_string()).collect(),
            body_links: links
                .iter()
                .map(|l| BodyLink {
                    target: LinkTarget::Id(l.to_string()),
                    line: 1,
                    col: 1,
                })
                .collect(),
            ..Default::default()
        }
    }

    /// Everything [`Kb::replace`] keeps up to date, comparable.
    fn linked(kb: &Kb) -> String {
        let groups = |g: &BTreeMap<String, Group>| {
            g.iter()
                .map(|(k, g)| format!("{k}={}:{:?}", g.name, g.incidents))
                .collect::<Vec<_>>()
        };
        let entries: Vec<String> = kb
            .entries
            .iter()
            .map(|e| {
                let mut links: Vec<_> = e.resolved_links.values().collect();
                links.sort();
                format!(
                    "{} {:?} {:?} {:?} {:?} {}",
                    e.incident.id,
                    e.tags.iter().map(|t| &t.name).collect::<Vec<_>>(),
                    e.services,
                    e.backlinks,
                    links,
                    kb.by_id[&e.incident.id],
                )
            })
            .collect();
        format!(
            "{entries:#?}\n{:?}\n{:?}",
            groups(&kb.tags),
            groups(&kb.services)
        )
    }

    fn base() -> Vec<Incident> {
        vec![
            incident("a", "2024-01-05", &["db"], &["API"], &["c"]),
            incident("b", "2024-03-01", &["db", "dns"], &["web"], &[]),
            incident("c", "2024-02-01", &["dns"], &["API"], &["a", "b"]),
            incident("d", "2023-12-01", &["net"], &[], &["b"]),
        ]
    }

    #[test]
    fn replacing_links_as_a_fresh_build_and_replacing_back_undoes_it() {
        let edits = [
            // Tags and services changed, a link added, moved from newest to oldest.
            incident("b", "2020-01-01", &["net", "new-tag"], &["Other"], &["d"]),
            // Moved from oldest to newest, its links gone.
            incident("d", "2025-01-01", &["net"], &["web"], &[]),
            // The same place, a tag group emptied.
            incident("c", "2024-02-01", &["db"], &["API"], &["a"]),
        ];
        for edit in edits {
            let mut kb = Kb::build(Config::default(), base(), &mut Vec::new());
            let before = linked(&kb);
            let i = kb.by_id[&edit.id];
            let mut expected: Vec<Incident> = base();
            let at = expected.iter().position(|x| x.id == edit.id).unwrap();
            expected[at] = edit.clone();
            let fresh = Kb::build(Config::default(), expected, &mut Vec::new());
            let (moved, old) = kb.replace(i, edit.clone());
            assert_eq!(linked(&kb), linked(&fresh), "{}", edit.id);
            assert_eq!(moved.to, fresh.by_id[&edit.id]);
            kb.replace(moved.to, old);
            assert_eq!(linked(&kb), before, "undoing {}", edit.id);
        }
    }

    #[test]
    fn a_move_shifts_the_incidents_between() {
        let down = Moved { from: 1, to: 3 };
        assert_eq!(
            (0..5).map(|x| down.map(x)).collect::<Vec<_>>(),
            [0, 3, 1, 2, 4]
        );
        let up = Moved { from: 3, to: 1 };
        assert_eq!(
            (0..5).map(|x| up.map(x)).collect::<Vec<_>>(),
            [0, 2, 3, 1, 4]
        );
    }
}
