//! A running `kb serve` keeps `.kb/index` fresh: it watches the sources and rebuilds the index
//! with the site. While it runs, `kb search` can trust the index it wrote instead of stamping
//! every file (one `statx` each: tens of milliseconds at 100,000 postmortems).
//!
//! Two files in `.kb/`:
//! - `serve.lock`: locked (`flock`, exclusive) by the serve for as long as it runs. The lock goes
//!   with the process, however it ends, so a dead serve never looks live.
//! - `serve-fresh.json`: written after a build that saw every change made before it, naming the
//!   stamp of the index it wrote; removed as soon as the watcher reports a change.
//!
//! A search trusts the index when the lock is held, the fresh file is there and names the
//! index's stamp, and the serve builds drafts as the search asks. A save reaches the serve
//! through the file watcher, typically within a millisecond; a search started inside that
//! window may not see the save.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::store::{self, Stamp};

const LOCK_FILE: &str = "serve.lock";
const FRESH_FILE: &str = "serve-fresh.json";

#[derive(Serialize, Deserialize)]
struct Fresh {
    pid: u32,
    drafts: bool,
    /// The `sources` of the index's stamp.
    sources: String,
}

/// Held by a running serve (see the module's notes).
pub struct Marker {
    dir: PathBuf,
    drafts: bool,
    /// Keeps the lock.
    _lock: File,
    /// Changes seen so far; a build marks the index fresh only if none came after its start.
    changes: Mutex<u64>,
}

impl Marker {
    /// Takes the lock for the knowledge base at `root`; None when another serve has it or it
    /// cannot be taken (searches then stamp every file, as without a serve).
    pub fn acquire(root: &Path, drafts: bool) -> Option<Marker> {
        let dir = root.join(".kb");
        fs::create_dir_all(&dir).ok()?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .ok()?;
        lock.try_lock().ok()?;
        // A serve that ended left its word: it no longer holds.
        let _ = fs::remove_file(dir.join(FRESH_FILE));
        Some(Marker {
            dir,
            drafts,
            _lock: lock,
            changes: Mutex::new(0),
        })
    }

    /// Once the watcher runs: a change made before it started (during the first build) was
    /// not seen, so the sources are stamped once, as the build into `out` stamps them.
    pub fn verify(&self, root: &Path, out: &Path) {
        let now = store::stamp(root, out, self.drafts);
        if store::read_stamp(&store::dir(root)).map(|s| s.sources) != Some(now.sources) {
            self.changed();
        }
    }

    /// The watcher saw a change: the index is no longer known to be fresh.
    pub fn changed(&self) {
        let mut n = self.changes.lock().expect("not poisoned");
        *n += 1;
        let _ = fs::remove_file(self.dir.join(FRESH_FILE));
    }

    /// Taken before a build stamps the sources, and given back to [`Marker::built`].
    pub fn changes(&self) -> u64 {
        *self.changes.lock().expect("not poisoned")
    }

    /// A build that started at `changes` wrote the index: fresh, unless a change came since.
    pub fn built(&self, changes: u64) {
        let n = self.changes.lock().expect("not poisoned");
        if *n != changes {
            return;
        }
        // The stamp of the index on disk (if writing it failed, it is the older one's, which
        // then no search trusts: its stamp is not this build's sources).
        let Some(stamp) = store::read_stamp(&store::dir(self.dir.parent().unwrap_or(&self.dir)))
        else {
            return;
        };
        let fresh = Fresh {
            pid: std::process::id(),
            drafts: self.drafts,
            sources: stamp.sources,
        };
        let tmp = self
            .dir
            .join(format!(".{FRESH_FILE}.{}", std::process::id()));
        let json = serde_json::to_vec(&fresh).expect("serialises");
        if fs::write(&tmp, json).is_err() || fs::rename(&tmp, self.dir.join(FRESH_FILE)).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

/// The pid of a live serve that vouches for an index built with `stamp`, with `drafts`.
pub fn vouched(root: &Path, drafts: bool, stamp: &Stamp) -> Option<u32> {
    let dir = root.join(".kb");
    let lock = File::open(dir.join(LOCK_FILE)).ok()?;
    match lock.try_lock_shared() {
        // Nobody holds it: no serve runs.
        Ok(()) => return None,
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(_)) => return None,
    }
    let fresh: Fresh = serde_json::from_slice(&fs::read(dir.join(FRESH_FILE)).ok()?).ok()?;
    (fresh.drafts == drafts && stamp.drafts == drafts && fresh.sources == stamp.sources)
        .then_some(fresh.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(sources: &str) -> Stamp {
        Stamp {
            schema: store::SCHEMA_VERSION,
            kb_version: String::new(),
            sources: sources.into(),
            files: 1,
            drafts: false,
            folders: None,
        }
    }

    fn write_index_stamp(root: &Path, s: &Stamp) {
        let dir = store::dir(root);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(store::STAMP_FILE), serde_json::to_vec(s).unwrap()).unwrap();
    }

    #[test]
    fn vouches_only_while_held_and_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let s = stamp("abc");
        write_index_stamp(root, &s);
        assert_eq!(vouched(root, false, &s), None, "no serve");
        let m = Marker::acquire(root, false).unwrap();
        assert!(
            Marker::acquire(root, false).is_none(),
            "one serve at a time"
        );
        assert_eq!(vouched(root, false, &s), None, "nothing built yet");
        let before = m.changes();
        m.built(before);
        assert_eq!(vouched(root, false, &s), Some(std::process::id()));
        assert_eq!(vouched(root, true, &s), None, "drafts differ");
        assert_eq!(vouched(root, false, &stamp("other")), None, "another index");
        // A change during a build: that build vouches for nothing.
        let before = m.changes();
        m.changed();
        assert_eq!(vouched(root, false, &s), None);
        m.built(before);
        assert_eq!(vouched(root, false, &s), None);
        m.built(m.changes());
        assert!(vouched(root, false, &s).is_some());
        drop(m);
        assert_eq!(
            vouched(root, false, &s),
            None,
            "the lock went with the serve"
        );
    }
}
