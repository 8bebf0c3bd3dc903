//! Parsed postmortems by content: `.kb/build/parsed`. A postmortem whose path, bytes and
//! parsing settings (site.toml, kb's version) are those of a record is decoded, not parsed.
//! Attachments are resolved on every build (they are other files).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{Hash, Unused};
use crate::config::Config;
use crate::content::codec::{self, Codec, Reader};
use crate::content::incident::Incident;
use crate::diagnostics::Diagnostic;

const KIND: &str = "parsed";

/// The records of the last build, and what this build keeps.
pub struct Parsed {
    /// What parsing depends on besides the file: site.toml's settings.
    key: u128,
    buf: Vec<u8>,
    old: HashMap<String, Old>,
    /// Why the last build's records could not be used.
    pub unused: Unused,
    /// Records decoded by this build.
    reused: AtomicUsize,
    /// Nanoseconds of CPU spent making new records (for `KB_TIMINGS`).
    encoding: AtomicU64,
}

struct Old {
    content: u128,
    check: u128,
    range: Range<usize>,
}

/// One postmortem as this build keeps it: its path as shown, content hash, and record.
pub struct Kept {
    display: String,
    content: u128,
    record: Record,
}

enum Record {
    /// The last build's, unchanged: where it is in [`Parsed::buf`].
    Old(Range<usize>, u128),
    New(Vec<u8>, u128),
}

/// What parsing reads besides the file: kb's version (in the header) and site.toml's
/// settings, not this run's (timings, the date) nor the address the site is served at (no
/// postmortem is parsed differently for it; `kb serve` builds for its own address and its
/// first build decodes what `kb build` left).
pub fn key(config: &Config) -> u128 {
    let mut c = config.clone();
    c.run = Default::default();
    c.base_url = String::new();
    Hash::new().part(format!("{c:?}").as_bytes()).finish()
}

/// The content hash a record is found by: the file's bytes and where it sits in content/.
pub fn content_hash(content_rel: &str, text: &str) -> u128 {
    Hash::new()
        .part(content_rel.as_bytes())
        .part(text.as_bytes())
        .finish()
}

fn check(display: &str, content: u128, bytes: &[u8]) -> u128 {
    Hash::new()
        .part(display.as_bytes())
        .num(content)
        .part(bytes)
        .finish()
}

impl Parsed {
    /// The records in `root`'s cache; none with `clean`. They are used once [`Parsed::settings`]
    /// says they were made with this build's settings.
    pub fn open(root: &Path, clean: bool) -> Parsed {
        let mut p = Parsed {
            key: 0,
            buf: Vec::new(),
            old: HashMap::new(),
            unused: None,
            reused: AtomicUsize::new(0),
            encoding: AtomicU64::new(0),
        };
        if clean {
            return p;
        }
        match super::read(&path(root), KIND) {
            Ok(buf) => match index(&buf) {
                Ok((key, old)) => {
                    p.key = key;
                    p.old = old;
                    p.buf = buf;
                }
                Err(why) => p.unused = why,
            },
            Err(why) => p.unused = why,
        }
        p
    }

    /// CPU seconds spent making records of what was parsed.
    pub fn encoding(&self) -> f64 {
        self.encoding.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Postmortems decoded rather than parsed so far.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// Keeps the records only if they were made with `config`'s settings; the cache written
    /// next is made with them.
    pub fn settings(&mut self, config: &Config) {
        let key = key(config);
        if key != self.key && !self.old.is_empty() {
            self.old.clear();
            self.unused = Some("made with other site.toml settings".into());
        }
        self.key = key;
    }

    /// The postmortem at `display` with this content, as the last build parsed it: None when
    /// there is no such record or it does not check out.
    /// `text` is the file's, whose hash is `content`.
    pub fn get(
        &self,
        display: &str,
        content: u128,
        text: &str,
    ) -> Option<(Incident, Vec<Diagnostic>, Kept)> {
        let old = self.old.get(display).filter(|o| o.content == content)?;
        let bytes = &self.buf[old.range.clone()];
        if check(display, content, bytes) != old.check {
            return None;
        }
        let (inc, diags) = codec::decode(bytes, text)?;
        self.reused.fetch_add(1, Ordering::Relaxed);
        let kept = Kept {
            display: display.to_string(),
            content,
            record: Record::Old(old.range.clone(), old.check),
        };
        Some((inc, diags, kept))
    }

    /// A record of what was just parsed (None when it cannot be written: it is then parsed
    /// again next time).
    pub fn record(
        &self,
        display: &str,
        content: u128,
        inc: &Incident,
        diags: &[Diagnostic],
        text: &str,
    ) -> Option<Kept> {
        let t = std::time::Instant::now();
        let bytes = codec::encode(inc, diags, text)?;
        let check = check(display, content, &bytes);
        self.encoding
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Some(Kept {
            display: display.to_string(),
            content,
            record: Record::New(bytes, check),
        })
    }

    /// What to write as the cache for the next build: None when `kept` are exactly the last
    /// build's records. Either way the last build's records leave memory with it.
    pub fn to_save(&mut self, kept: Vec<Kept>) -> Option<Saving> {
        let same = kept.len() == self.old.len()
            && kept
                .iter()
                .all(|k| matches!(k.record, Record::Old(..)) && self.old.contains_key(&k.display));
        self.old = HashMap::new();
        let buf = std::mem::take(&mut self.buf);
        (!same).then_some(Saving {
            key: self.key,
            buf,
            kept,
        })
    }
}

/// A cache file to write, holding what it is made of.
pub struct Saving {
    key: u128,
    buf: Vec<u8>,
    kept: Vec<Kept>,
}

impl Saving {
    pub fn write(self, root: &Path) -> std::io::Result<()> {
        let buf = &self.buf;
        fn bytes<'a>(buf: &'a [u8], k: &'a Kept) -> (&'a [u8], u128) {
            match &k.record {
                Record::Old(r, c) => (&buf[r.clone()], *c),
                Record::New(b, c) => (b.as_slice(), *c),
            }
        }
        let mut index = Vec::with_capacity(64);
        self.key.put(&mut index);
        self.kept.len().put(&mut index);
        let heads: Vec<Vec<u8>> = self
            .kept
            .iter()
            .map(|k| {
                let (b, check) = bytes(buf, k);
                let mut h = Vec::with_capacity(k.display.len() + 48);
                k.display.put(&mut h);
                k.content.put(&mut h);
                check.put(&mut h);
                b.len().put(&mut h);
                h
            })
            .collect();
        let mut parts: Vec<&[u8]> = Vec::with_capacity(self.kept.len() * 2 + 1);
        parts.push(&index);
        for (h, k) in heads.iter().zip(&self.kept) {
            parts.push(h);
            parts.push(bytes(buf, k).0);
        }
        super::write(&path(root), KIND, &parts)
    }
}

fn path(root: &Path) -> std::path::PathBuf {
    super::dir(root).join(KIND)
}

/// The settings `buf` (a whole cache body) was made with, and where each record is in it.
fn index(buf: &[u8]) -> Result<(u128, HashMap<String, Old>), Unused> {
    let damaged = super::damaged;
    let mut r = Reader::new(buf);
    let key = u128::get(&mut r).ok_or_else(damaged)?;
    let n = usize::get(&mut r).ok_or_else(damaged)?;
    let mut old = HashMap::with_capacity(n.min(buf.len()));
    for _ in 0..n {
        let display = String::get(&mut r).ok_or_else(damaged)?;
        let content = u128::get(&mut r).ok_or_else(damaged)?;
        let check = u128::get(&mut r).ok_or_else(damaged)?;
        let len = usize::get(&mut r).ok_or_else(damaged)?;
        let start = buf.len() - r.remaining();
        r.bytes(len).ok_or_else(damaged)?;
        old.insert(
            display,
            Old {
                content,
                check,
                range: start..start + len,
            },
        );
    }
    if !r.is_empty() {
        return Err(damaged());
    }
    Ok((key, old))
}
