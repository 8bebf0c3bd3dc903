//! The build cache in `.kb/build/`: what `kb build` keeps so the next build need not redo it.
//! Parsed postmortems by content ([`parsed`]), rendered incident pages by their inputs
//! ([`pages`]), and similar incidents with the search export by the indexed documents
//! ([`search`]). Every file is versioned and checked; one that is missing, truncated, altered,
//! foreign or from another kb is ignored (the build does the work and writes it again) and
//! never fails a build. `kb build --clean` ignores it.

pub mod pages;
pub mod parsed;
pub mod search;

use std::io;
use std::path::{Path, PathBuf};

use twox_hash::XxHash3_128;

use crate::content::codec::{Codec, Reader};

/// Raised whenever what a file holds or how it is read changes.
const FORMAT: u64 = 3;
const MAGIC: &[u8] = b"kb build cache\n";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `<root>/.kb/build`, beside the search index.
pub fn dir(root: &Path) -> PathBuf {
    root.join(".kb").join("build")
}

/// A 128-bit hash that is the same in every process and on every machine (XXH3-128, unseeded).
#[derive(Default)]
pub struct Hash(XxHash3_128);

impl Hash {
    pub fn new() -> Self {
        Hash(XxHash3_128::new())
    }

    /// Adds `bytes`, length first, so that parts cannot run into each other.
    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.write(&(bytes.len() as u64).to_le_bytes());
        self.0.write(bytes);
        self
    }

    pub fn num(&mut self, n: u128) -> &mut Self {
        self.0.write(&n.to_le_bytes());
        self
    }

    pub fn finish(&self) -> u128 {
        self.0.finish_128()
    }
}

/// site.toml as read, for keys: the run's knobs but not the moment (SOURCE_DATE_EPOCH set to
/// the last commit would otherwise change every key on every commit) or the timings switch;
/// `base_url` only `with_address` (what pages show).
fn config_text(kb: &crate::kb::Kb, with_address: bool) -> String {
    let mut config = kb.config.clone();
    if !with_address {
        config.base_url = String::new();
    }
    config.run.timings = false;
    config.run.source_date = None;
    format!("{config:?}")
}

pub fn hash(bytes: &[u8]) -> u128 {
    Hash::new().part(bytes).finish()
}

/// The start of every cache file: what it is, its format, and the kb that wrote it.
fn header(kind: &str) -> Vec<u8> {
    let mut w = MAGIC.to_vec();
    kind.to_string().put(&mut w);
    FORMAT.put(&mut w);
    VERSION.to_string().put(&mut w);
    w
}

/// Why a cache file was not used (shown under `--verbose`); None when there was none.
pub type Unused = Option<String>;

/// The body of the cache file `path` of `kind` after its header, or why it cannot be used.
fn read(path: &Path, kind: &str) -> Result<Vec<u8>, Unused> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(None),
        Err(e) => return Err(Some(format!("cannot read it ({e})"))),
    };
    let head = header(kind);
    if bytes.starts_with(&head) {
        // In place: a copy would hold the cache twice (0.9 GB at 100,000 incidents, before
        // records took their text from the files).
        let mut bytes = bytes;
        bytes.drain(..head.len());
        return Ok(bytes);
    }
    let mut r = Reader::new(&bytes);
    let other = r.bytes(MAGIC.len()) == Some(MAGIC)
        && String::get(&mut r).as_deref() == Some(kind)
        && (u64::get(&mut r) != Some(FORMAT) || String::get(&mut r).as_deref() != Some(VERSION));
    Err(Some(if other {
        "written by another version of kb".to_string()
    } else {
        "not a kb build cache, or damaged".to_string()
    }))
}

/// Why a cache file's body cannot be read.
fn damaged() -> Unused {
    Some("damaged (cut short or altered)".to_string())
}

/// A body written by [`write_summed`], without its checksum, once the checksum holds.
fn summed(body: &[u8]) -> Result<&[u8], Unused> {
    let split = body.len().checked_sub(16).ok_or_else(damaged)?;
    let (body, sum) = body.split_at(split);
    if hash(body).to_le_bytes() != sum {
        return Err(damaged());
    }
    Ok(body)
}

/// [`write`] of one body followed by its checksum (read back with [`summed`]).
fn write_summed(path: &Path, kind: &str, body: &[u8]) -> io::Result<()> {
    write(path, kind, &[body, &hash(body).to_le_bytes()])
}

/// Writes a cache file whole, through a temporary file renamed over it, so a reader (or a
/// build that dies half-way) never sees half of one. The temporary file has one name, so one
/// left by a killed build is simply written over; two builds writing it at once make at worst
/// a file that does not check out, which the next build ignores.
fn write(path: &Path, kind: &str, body: &[&[u8]]) -> io::Result<()> {
    let dir = path.parent().expect("in .kb/build");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let result = (|| {
        use std::io::Write;
        let mut f = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        f.write_all(&header(kind))?;
        for b in body {
            f.write_all(b)?;
        }
        f.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_back_only_with_its_own_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        assert_eq!(read(&p, "k"), Err(None));
        write(&p, "k", &[b"ab", b"c"]).unwrap();
        assert_eq!(read(&p, "k").unwrap(), b"abc");
        assert!(read(&p, "other").unwrap_err().is_some());

        let mut old = MAGIC.to_vec();
        "k".to_string().put(&mut old);
        (FORMAT + 1).put(&mut old);
        let e = {
            std::fs::write(&p, &old).unwrap();
            read(&p, "k").unwrap_err().unwrap()
        };
        assert!(e.contains("another version"), "{e}");
        std::fs::write(&p, b"garbage").unwrap();
        assert!(read(&p, "k").unwrap_err().unwrap().contains("damaged"));
    }

    #[test]
    fn hashes_are_stable_and_parts_do_not_run_together() {
        // Fixed: the cache is read by the next process, perhaps another build of kb on another
        // machine. XXH3-128 of no input, as its reference implementation gives it.
        assert_eq!(Hash::new().finish(), 0x99aa06d3014798d86001c324468d497f);
        assert_eq!(hash(b""), hash(b""));
        let ab = Hash::new().part(b"a").part(b"b").finish();
        let a_b = Hash::new().part(b"ab").part(b"").finish();
        assert_ne!(ab, a_b);
    }
}
