//! A knowledge base for the incidents list's tests: `n` incidents whose date, severity, tags,
//! services and duration follow from their number; the seventh is hostile and the last undated.

use std::path::Path;

/// The hostile incident's title; its tag and service are made of the same markup.
pub const HOSTILE: &str = "</script><img src=x onerror=\"window.__pwned=1\"> \"q\" & 'a'";
pub const HOSTILE_AT: usize = 7;

/// An incident as the fixture wrote it.
pub struct Listed {
    pub id: String,
    pub date: Option<String>,
    pub severity: String,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub minutes: Option<u32>,
}

fn yaml(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes `site.toml` and `n` postmortems under `root`; returns them newest first (the
/// undated last), as the list orders them.
pub fn write(root: &Path, n: usize) -> Vec<Listed> {
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(root.join("site.toml"), "title = \"List\"\n").unwrap();
    let mut all = Vec::new();
    for i in 0..n {
        let hostile = i == HOSTILE_AT;
        let mut tags = vec!["gamma".to_string()];
        if i % 2 == 0 {
            tags.push("alpha".into());
        }
        if i % 3 == 0 {
            tags.push("beta".into());
        }
        let mut services = vec![if i % 2 == 1 { "svc-a" } else { "svc-b" }.to_string()];
        if hostile {
            tags.push(HOSTILE.into());
            services.push(HOSTILE.into());
        }
        let l = Listed {
            id: format!("inc-{i:03}"),
            date: (i + 1 < n).then(|| {
                format!(
                    "{}-{:02}-{:02}",
                    2018 + i / 12,
                    i % 12 + 1,
                    1 + (i * 7) % 28
                )
            }),
            severity: format!("SEV{}", 1 + i % 4),
            tags,
            services,
            minutes: (i % 10 != 9).then_some(((i * 37) % 500 + 5) as u32),
        };
        let list = |v: &[String]| v.iter().map(|s| yaml(s)).collect::<Vec<_>>().join(", ");
        let title = if hostile {
            HOSTILE.to_string()
        } else {
            format!("Incident number {i}")
        };
        let mut front = format!(
            "---\nid: {}\ntitle: {}\nseverity: {}\nsummary: What happened to number {i}.\ntags: [{}]\nservices: [{}]\n",
            l.id,
            yaml(&title),
            l.severity,
            list(&l.tags),
            list(&l.services)
        );
        if let Some(d) = &l.date {
            front.push_str(&format!("date: {d}\n"));
        }
        if let Some(m) = l.minutes {
            front.push_str(&format!("duration: {m}m\n"));
        }
        front.push_str("---\n\nSomething broke and was fixed.\n");
        std::fs::write(root.join(format!("content/{}.md", l.id)), front).unwrap();
        all.push(l);
    }
    all.sort_by(|a, b| {
        b.date
            .is_some()
            .cmp(&a.date.is_some())
            .then(b.date.cmp(&a.date))
            .then(a.id.cmp(&b.id))
    });
    all
}
