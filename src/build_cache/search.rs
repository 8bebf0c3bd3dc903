//! What the search index gives a build: similar incidents and the static search export,
//! `.kb/build/search`.
//!
//! Both are made from the indexed documents and site.toml alone, so the record is keyed by the
//! index's digest ([`crate::search::store::digest`]) and the configuration. A build whose key is
//! the recorded one (a theme edit, postmortems saved again unchanged) takes the similar
//! incidents and the search page's manifest from the record, and keeps each exported file of
//! the previous output that is still the file that build left (checked as incident pages are,
//! [`super::pages`]); when one is not, the export is made again for the files not kept.

use std::path::{Path, PathBuf};

use super::{Hash, Unused};
use crate::content::codec::{Codec, Reader};
use crate::kb::Kb;
use crate::kb::related::TextMatch;
use crate::search::export::Manifest;

const KIND: &str = "search";

/// The record's key: the documents the index holds (with the index schema and kb's version),
/// the export's format, and the configuration that reads them (synonyms, taxonomy, service
/// names, the export's knobs). Any site.toml edit but `base_url` changes it.
pub fn key(digest: &str, kb: &Kb) -> u128 {
    Hash::new()
        .num(u128::from(crate::search::export::FORMAT))
        .part(digest.as_bytes())
        // Neither names a page's address: `kb serve` (built for its own) and `kb build` share
        // the record.
        .part(super::config_text(kb, false).as_bytes())
        .finish()
}

/// What a build recorded for a key.
pub struct Record {
    /// Per incident, in the knowledge base's order (the key fixes it).
    pub similar: Vec<Vec<TextMatch>>,
    pub manifest: Manifest,
    /// Each exported file (its path under `search/`) with its bytes' hash and length.
    pub files: Vec<(String, u128, usize)>,
}

fn path(root: &Path) -> PathBuf {
    super::dir(root).join(KIND)
}

/// The record `root`'s cache holds for `key`; nothing with `clean`, or why there is none
/// (None: no record, or one for another key).
pub fn open(root: &Path, key: u128, clean: bool) -> Result<Record, Unused> {
    if clean {
        return Err(None);
    }
    let body = super::read(&path(root), KIND)?;
    let damaged = super::damaged;
    let mut r = Reader::new(super::summed(&body)?);
    if u128::get(&mut r).ok_or_else(damaged)? != key {
        return Err(None);
    }
    parse(&mut r).filter(|_| r.is_empty()).ok_or_else(damaged)
}

fn parse(r: &mut Reader) -> Option<Record> {
    let n = usize::get(r)?;
    let mut similar = Vec::with_capacity(n.min(r.remaining()));
    for _ in 0..n {
        let m = usize::get(r)?;
        let mut list = Vec::with_capacity(m.min(r.remaining()));
        for _ in 0..m {
            list.push(TextMatch {
                index: usize::get(r)?,
                similarity: f32::from_bits(u32::try_from(u64::get(r)?).ok()?),
                words: Vec::<String>::get(r)?,
            });
        }
        similar.push(list);
    }
    let manifest = serde_json::from_str(&String::get(r)?).ok()?;
    let n = usize::get(r)?;
    let mut files = Vec::with_capacity(n.min(r.remaining()));
    for _ in 0..n {
        files.push((String::get(r)?, u128::get(r)?, usize::get(r)?));
    }
    Some(Record {
        similar,
        manifest,
        files,
    })
}

/// Records what a build made for `key` (a cache that cannot be written is only a slower next
/// build: the error is for a note).
pub fn save(root: &Path, key: u128, record: &Record) -> std::io::Result<()> {
    let mut body = Vec::new();
    key.put(&mut body);
    record.similar.len().put(&mut body);
    for list in &record.similar {
        list.len().put(&mut body);
        for m in list {
            m.index.put(&mut body);
            u64::from(m.similarity.to_bits()).put(&mut body);
            m.words.put(&mut body);
        }
    }
    serde_json::to_string(&record.manifest)
        .map_err(std::io::Error::other)?
        .put(&mut body);
    record.files.len().put(&mut body);
    for (p, hash, len) in &record.files {
        p.put(&mut body);
        hash.put(&mut body);
        len.put(&mut body);
    }
    super::write_summed(&path(root), KIND, &body)
}
