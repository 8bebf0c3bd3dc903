//! The Tera values listings show an incident by: its summary and its card (the summary with
//! few tags and services, and the theme's card component rendered once), built once per render
//! and shared by every page that lists the incident (Tera values are reference-counted).

use rayon::prelude::*;
use tera::{Context, Value};

use super::views;
use crate::FastMap;
use crate::kb::{Entry, Kb};

/// One value per tag (as written, and as inferred) and per service, shared by every summary
/// and card showing it: made again for each incident, they were 20 MB of a 10,000-incident
/// build's peak memory, about 200 MB at 100,000.
struct Names<'a> {
    tags: FastMap<(&'a str, bool), Value>,
    services: FastMap<&'a str, Value>,
}

impl<'a> Names<'a> {
    fn new(kb: &'a Kb) -> Names<'a> {
        let mut names = Names {
            tags: FastMap::default(),
            services: FastMap::default(),
        };
        for e in &kb.entries {
            for t in &e.tags {
                names
                    .tags
                    .entry((t.name.as_str(), t.inferred))
                    .or_insert_with(|| Value::from_serializable(&views::tag_name(t)));
            }
            for s in &e.services {
                names
                    .services
                    .entry(s.as_str())
                    .or_insert_with(|| Value::from_serializable(&views::service_name(kb, s)));
            }
        }
        names
    }

    /// `e`'s summary ([`views::summary`]), or with `card` its card's ([`views::card`]), as a
    /// Tera value: the same value `Value::from_serializable` makes of it, with shared names.
    fn summary(&self, e: &Entry, card: bool) -> Value {
        let mut s = views::bare_summary(e);
        let (tags, services) = match card {
            true => views::make_card(&mut s, e),
            false => (e.tags.len(), e.services.len()),
        };
        let tags: Vec<Value> = e.tags[..tags]
            .iter()
            .map(|t| self.tags[&(t.name.as_str(), t.inferred)].clone())
            .collect();
        let services: Vec<Value> = e.services[..services]
            .iter()
            .map(|s| self.services[s.as_str()].clone())
            .collect();
        let mut map = Value::from_serializable(&s)
            .into_map()
            .expect("a summary is a map");
        map.insert("tags".into(), Value::from(tags));
        map.insert("services".into(), Value::from(services));
        Value::from(map)
    }
}

/// Every incident's summary and card, in the knowledge base's order. With `last` (`kb serve`,
/// an edit shown at once), the last whole render's, with only `changed` made again.
pub(super) fn build(
    kb: &Kb,
    tera: &tera::Tera,
    last: Option<(&[Value], &[Value], &[usize])>,
) -> (Vec<Value>, Vec<Value>) {
    let names = Names::new(kb);
    let card = |e: &Entry, s: &Value| {
        let card = match views::needs_card(e) {
            true => names.summary(e, true),
            false => s.clone(),
        };
        with_card_html(tera, card)
    };
    let (mut summaries, cards) = match last {
        Some((summaries, cards, changed)) => {
            let (mut summaries, mut cards) = (summaries.to_vec(), cards.to_vec());
            for &i in changed {
                let e = &kb.entries[i];
                summaries[i] = names.summary(e, false);
                cards[i] = card(e, &summaries[i]);
            }
            (summaries, cards)
        }
        None => {
            let summaries: Vec<Value> = kb
                .entries
                .par_iter()
                .map(|e| names.summary(e, false))
                .collect();
            // Listings show few of an incident's tags and services (`views::card`); most
            // incidents have fewer, and share their summary.
            let cards: Vec<Value> = kb
                .entries
                .par_iter()
                .zip(&summaries)
                .map(|(e, s)| card(e, s))
                .collect();
            (summaries, cards)
        }
    };
    // Summaries that are their incident's card become the card, `card_html` and all: one value
    // per incident, not a summary and a copy of it (0.2 GB of peak memory at 100,000 incidents).
    for ((s, c), e) in summaries.iter_mut().zip(&cards).zip(&kb.entries) {
        if !views::needs_card(e) {
            *s = c.clone();
        }
    }
    (summaries, cards)
}

/// The text lists give a card's page root as, in [`with_card_html`]: raw `<`, which text from a
/// postmortem never is once escaped.
pub(super) const CARD_ROOT: &str = "<kb-root>";

/// `card` with `card_html`, the theme's `incident_card` component rendered for it once, with
/// [`CARD_ROOT`] as the page root, for the lists to put their root in (`macros.html`,
/// `incident_list`): an incident is on several lists; rendering its card once saves 1.7 % of a
/// 10,000-incident build. A theme without the component, or whose component fails, gets the card
/// as it is.
fn with_card_html(tera: &tera::Tera, card: Value) -> Value {
    if !tera.contains_component("incident_card") {
        return card;
    }
    let mut ctx = Context::new();
    ctx.insert_value("i", card.clone());
    ctx.insert_value("root", Value::safe_string(CARD_ROOT));
    let (Ok(html), Some(map)) = (
        tera.render_component("incident_card", &ctx, None, true),
        card.as_map(),
    ) else {
        return card;
    };
    let mut map = map.clone();
    map.insert("card_html".into(), Value::safe_string(&html));
    Value::from(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    /// Summaries and cards made with shared names are the values `Value::from_serializable`
    /// makes of [`views::summary`] and [`views::card`]: tags as written and as inferred, names
    /// two incidents share, an incident with more tags and services than a card shows, and one
    /// with none.
    #[test]
    fn shared_names_make_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        // The example's site.toml: its `match` phrases infer tags ("replica" → replication).
        fs::copy(repo.join("site.toml"), dir.path().join("site.toml")).unwrap();
        fs::create_dir(dir.path().join("content")).unwrap();
        let tags: Vec<String> = (0..views::CARD_NAMES + 2)
            .map(|k| format!("t{k}"))
            .collect();
        let services: Vec<String> = (0..views::CARD_NAMES + 1)
            .map(|k| format!("svc-{k}"))
            .collect();
        let postmortems = [
            (
                "wide",
                "Replica lag on many services",
                tags.join(", "),
                services.join(", "),
            ),
            (
                "narrow",
                "Disk full on the builder",
                "t1".into(),
                "svc-1, builder".into(),
            ),
            ("bare", "A near miss", String::new(), String::new()),
        ];
        for (id, title, tags, services) in postmortems {
            fs::write(
                dir.path().join(format!("content/{id}.md")),
                format!(
                    "---\nid: {id}\ntitle: {title}\ndate: 2024-05-01\n\
                     tags: [{tags}]\nservices: [{services}]\n---\n\nBody.\n"
                ),
            )
            .unwrap();
        }
        let (kb, _) = crate::build::load_kb(
            dir.path(),
            &dir.path().join("public"),
            false,
            None,
            &Default::default(),
            &|_| {},
        )
        .unwrap();
        let names = Names::new(&kb);
        let wide = &kb.entries[kb.by_id["wide"]];
        assert!(views::needs_card(wide) && wide.tags.iter().any(|t| t.inferred));
        assert_eq!(kb.entries.len(), 3);
        for e in &kb.entries {
            let summary = Value::from_serializable(&views::summary(&kb, e));
            let card = Value::from_serializable(&views::card(&kb, e));
            assert_eq!(names.summary(e, false), summary, "{}", e.incident.id);
            assert_eq!(names.summary(e, true), card, "{}", e.incident.id);
        }
        let shown = |v: &Value, key: &'static str| {
            v.as_map().unwrap()[&key.into()].as_array().unwrap().len()
        };
        let card = names.summary(wide, true);
        assert_eq!(shown(&card, "tags"), views::CARD_NAMES);
        assert_eq!(shown(&card, "services"), views::CARD_NAMES);
        assert!(shown(&names.summary(wide, false), "tags") > views::CARD_NAMES);
    }
}
