//! Rendered incident pages by their inputs: `.kb/build/pages` (which also notes the exported
//! search files, known by their bytes' hash: [`super::search`]).
//!
//! Each incident page gets a key, a hash of everything [`crate::render`]'s incident page is
//! made from: the incident as linked (all its fields), the summaries of itself and of the
//! incidents it shows (related, backlinks, recurrence), its tags, services and resolved links,
//! and what every page reads (kb's version, site.toml, the theme, the date). A page whose key
//! is the one recorded, and whose file in the previous output is still the one that build left
//! (same device, inode, size and modification time), is hard-linked into the new output
//! instead of rendered. A key, rather than the last knowledge base compared with this one as
//! `kb serve` does ([`crate::render::unchanged_incident_pages`]): a build starts with nothing
//! in memory, and a key is 16 bytes on disk where the last knowledge base is the whole corpus.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use jiff::civil::Date;
use rayon::prelude::*;

use super::{Hash, Unused};
use crate::content::codec::{self, Codec, Reader};
use crate::kb::Kb;
use crate::output::{OutputError, Sink, Staging};
use crate::render::{theme::Theme, views};

const KIND: &str = "pages";

/// A written page as the cache knows it: its key and the file's identity.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Page {
    key: u128,
    file: FileId,
}

/// Device, inode, size and modification time (seconds, nanoseconds): a file rewritten or
/// replaced since has another.
type FileId = (u64, u64, u64, i64, i64);

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).ok()?;
    m.is_file()
        .then(|| (m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<FileId> {
    None
}

/// Each incident's page path and key, in the knowledge base's order; None for a page that
/// cannot be keyed (it is rendered).
pub fn keys(kb: &Kb, theme: &Theme, today: Date) -> Vec<(String, Option<u128>)> {
    // The pages see the date, which the configuration's text leaves out.
    let mut global = Hash::new();
    global
        .part(super::config_text(kb, true).as_bytes())
        .part(today.to_string().as_bytes());
    for (name, bytes) in theme.files() {
        global.part(name.as_bytes()).part(bytes);
    }
    let global = global.finish();
    let summaries: Vec<u128> = kb
        .entries
        .par_iter()
        .map(|e| {
            let json = serde_json::to_vec(&views::summary(kb, e)).unwrap_or_default();
            super::hash(&json)
        })
        .collect();
    kb.entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let path = format!("{}index.html", views::incident_url(&e.incident.id));
            let mut record = Vec::with_capacity(e.incident.body.len() * 2 + 256);
            let Some(()) = codec::put_incident(&e.incident, None, &mut record) else {
                return (path, None);
            };
            let mut h = Hash::new();
            h.num(global).part(&record).num(summaries[i]);
            h.part(format!("{:?} {:?}", e.tags, e.services).as_bytes());
            h.num(e.related.len() as u128);
            for r in &e.related {
                h.part(format!("{:?}", r.reasons).as_bytes())
                    .num(summaries[r.index]);
            }
            h.num(e.backlinks.len() as u128);
            for b in &e.backlinks {
                h.num(summaries[*b]);
            }
            let recurrence = e
                .incident
                .recurrence_of
                .as_ref()
                .and_then(|r| kb.by_id.get(&r.id));
            h.part(format!("{recurrence:?}").as_bytes());
            h.num(recurrence.map_or(0, |j| summaries[*j]));
            let mut links: Vec<(String, &str)> = e
                .resolved_links
                .iter()
                .map(|(t, j)| (format!("{t:?}"), kb.entries[*j].incident.id.as_str()))
                .collect();
            links.sort();
            h.part(format!("{links:?}").as_bytes());
            (path, Some(h.finish()))
        })
        .collect()
}

/// The pages the last build recorded for `output`.
pub struct Recorded {
    pages: HashMap<String, Page>,
    pub unused: Unused,
}

impl Recorded {
    /// What `root`'s cache says of `output`; nothing with `clean`.
    pub fn open(root: &Path, output: &Path, clean: bool) -> Recorded {
        let mut r = Recorded {
            pages: HashMap::new(),
            unused: None,
        };
        if clean {
            return r;
        }
        match super::read(&path(root), KIND).and_then(|b| parse(&b, output)) {
            Ok(pages) => r.pages = pages,
            Err(why) => r.unused = why,
        }
        r
    }

    /// Whether `key` is the one recorded for `path`: its page may be kept.
    pub fn same(&self, path: &str, key: Option<u128>) -> bool {
        key.is_some_and(|k| self.pages.get(path).is_some_and(|p| p.key == k))
    }
}

fn path(root: &Path) -> PathBuf {
    super::dir(root).join(KIND)
}

fn output_name(output: &Path) -> String {
    std::path::absolute(output)
        .unwrap_or_else(|_| output.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

fn parse(body: &[u8], output: &Path) -> Result<HashMap<String, Page>, Unused> {
    let damaged = super::damaged;
    let mut r = Reader::new(super::summed(body)?);
    if String::get(&mut r).ok_or_else(damaged)? != output_name(output) {
        return Err(Some("made for another output folder".into()));
    }
    let n = usize::get(&mut r).ok_or_else(damaged)?;
    let mut pages = HashMap::with_capacity(n.min(body.len()));
    for _ in 0..n {
        let page = (|| {
            let path = String::get(&mut r)?;
            let key = u128::get(&mut r)?;
            let file = (
                u64::get(&mut r)?,
                u64::get(&mut r)?,
                u64::get(&mut r)?,
                i64::get(&mut r)?,
                i64::get(&mut r)?,
            );
            Some((path, Page { key, file }))
        })()
        .ok_or_else(damaged)?;
        pages.insert(page.0, page.1);
    }
    r.is_empty().then_some(pages).ok_or_else(damaged)
}

/// A [`Staging`] that keeps unchanged incident pages from the previous output and notes the
/// identity of every incident page in the new one.
pub struct Reusing<'a> {
    staging: Staging,
    previous: PathBuf,
    recorded: &'a Recorded,
    keys: &'a OnceLock<HashMap<String, u128>>,
    now: Mutex<HashMap<String, Page>>,
    kept: AtomicUsize,
}

impl<'a> Reusing<'a> {
    /// `keys` are filled (by [`keys`]) before the first incident page is written or kept.
    pub fn new(
        staging: Staging,
        output: &Path,
        recorded: &'a Recorded,
        keys: &'a OnceLock<HashMap<String, u128>>,
    ) -> Self {
        Reusing {
            staging,
            previous: output.to_path_buf(),
            recorded,
            keys,
            now: Mutex::default(),
            kept: AtomicUsize::new(0),
        }
    }

    /// Pages kept from the previous output so far.
    pub fn kept(&self) -> usize {
        self.kept.load(Ordering::Relaxed)
    }

    fn key(&self, path: &str) -> Option<u128> {
        self.keys.get().and_then(|k| k.get(path)).copied()
    }

    /// Notes the file just written at `path` as made from `key`.
    fn note(&self, path: &str, key: u128) {
        if let Some(file) = file_id(&self.staging.file(path)) {
            self.now
                .lock()
                .expect("not poisoned")
                .insert(path.to_string(), Page { key, file });
        }
    }

    /// Links the previous output's file at `path` into the new one if the last build recorded
    /// it as made from `key` and it is still the file that build left.
    fn link(&self, path: &str, key: u128) -> bool {
        let Some(page) = self.recorded.pages.get(path).filter(|p| p.key == key) else {
            return false;
        };
        let old = self.previous.join(path);
        if file_id(&old) != Some(page.file) || self.staging.link(path, &old).is_err() {
            return false;
        }
        self.now
            .lock()
            .expect("not poisoned")
            .insert(path.to_string(), *page);
        true
    }

    /// Puts the new output in place, then records its incident pages in `root`'s cache (a
    /// cache that cannot be written is only a slower next build: the error is returned for
    /// a note).
    pub fn commit(self, root: &Path) -> Result<std::io::Result<()>, OutputError> {
        let output = output_name(&self.previous);
        let now = self.now.into_inner().expect("not poisoned");
        self.staging.commit()?;
        let mut body = Vec::with_capacity(now.len() * 96);
        output.put(&mut body);
        let mut pages: Vec<(&String, &Page)> = now.iter().collect();
        pages.sort_by(|a, b| a.0.cmp(b.0));
        pages.len().put(&mut body);
        for (path, p) in pages {
            path.put(&mut body);
            p.key.put(&mut body);
            let (dev, ino, len, s, ns) = p.file;
            for n in [dev, ino, len] {
                n.put(&mut body);
            }
            s.put(&mut body);
            ns.put(&mut body);
        }
        Ok(super::write_summed(&path(root), KIND, &body))
    }
}

impl Sink for Reusing<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.staging.write(path, bytes)?;
        if let Some(key) = self.key(path) {
            self.note(path, key);
        }
        Ok(())
    }

    fn keep(&self, path: &str) -> bool {
        self.key(path).is_some_and(|key| self.link(path, key)) && {
            self.kept.fetch_add(1, Ordering::Relaxed);
            true
        }
    }

    fn write_hashed(&self, path: &str, bytes: &[u8], hash: u128) -> Result<(), OutputError> {
        self.staging.write(path, bytes)?;
        self.note(path, hash);
        Ok(())
    }

    fn keep_hashed(&self, path: &str, hash: u128, _len: usize) -> bool {
        self.link(path, hash)
    }
}
