//! Writing the site: into a staging directory beside the output, then swapped in, so a failed
//! build never leaves a half-written site and never touches a directory kb did not create.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a directory as kb's own output (safe to replace).
pub const MARKER: &str = ".kb-output";

pub struct Page {
    /// Path inside the output directory, `/` separated (e.g. `incidents/x/index.html`).
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
pub enum OutputError {
    /// The output directory is not kb's to replace; nothing was written.
    Refused(String),
    Io(String),
}

/// Checks that `output` may be written: not the content, the root or an ancestor of them, and
/// either absent, empty, or made by kb.
pub fn check(output: &Path, root: &Path, content: &Path) -> Result<(), OutputError> {
    let out = absolute(output);
    for (what, dir) in [
        ("content directory", content),
        ("knowledge base root", root),
    ] {
        let dir = absolute(dir);
        if dir.starts_with(&out) {
            return Err(OutputError::Refused(format!(
                "output directory {} would contain the {what} {}",
                output.display(),
                dir.display()
            )));
        }
    }
    if content != root && out.starts_with(absolute(content)) {
        return Err(OutputError::Refused(format!(
            "output directory {} is inside the content directory",
            output.display()
        )));
    }
    match fs::symlink_metadata(output) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::Io(format!(
            "cannot inspect {}: {e}",
            output.display()
        ))),
        Ok(m) if !m.is_dir() => Err(OutputError::Refused(format!(
            "output path {} exists and is not a directory",
            output.display()
        ))),
        Ok(_) => {
            if output.join(MARKER).is_file() || is_empty_dir(output) {
                Ok(())
            } else {
                Err(OutputError::Refused(format!(
                    "output directory {} exists and was not created by kb (no {MARKER} file); refusing to replace it",
                    output.display()
                )))
            }
        }
    }
}

fn is_empty_dir(p: &Path) -> bool {
    fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    // Not there yet: canonicalize the parent and add the name.
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => absolute(parent).join(name),
        _ => abs,
    }
}

/// A fresh directory beside the output that pages are written into as they are rendered
/// (so the whole site never sits in memory), then swapped in by [`Staging::commit`].
/// Dropped without a commit, it is removed and the previous output stays as it was.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    created: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    committed: bool,
}

impl Staging {
    pub fn new(output: &Path) -> Result<Staging, OutputError> {
        let out = absolute(output);
        let parent = out
            .parent()
            .ok_or_else(|| OutputError::Io("output has no parent".into()))?;
        fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = parent.join(format!(".{name}.kb-staging-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(Staging {
            dir,
            out,
            created: Default::default(),
            committed: false,
        })
    }

    /// Writes one file; `path` is relative to the site root, `/` separated. Safe from threads.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        if path.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(OutputError::Io(format!(
                "refusing to write outside the output: {path}"
            )));
        }
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            let known = self
                .created
                .lock()
                .map(|c| c.contains(parent))
                .unwrap_or(false);
            if !known {
                fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
                if let Ok(mut c) = self.created.lock() {
                    c.insert(parent.to_path_buf());
                }
            }
        }
        fs::write(&full, bytes).map_err(|e| io_err(&full, e))
    }

    /// Marks the staged site as kb's and puts it in place of the output.
    pub fn commit(mut self) -> Result<(), OutputError> {
        fs::write(
            self.dir.join(MARKER),
            "This directory is generated by `kb build` and is replaced on every build.\n",
        )
        .map_err(|e| io_err(&self.dir, e))?;
        swap(&self.dir, &self.out)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Puts `staging` at `out`; see [`replace_dir`].
fn swap(staging: &Path, out: &Path) -> Result<(), OutputError> {
    replace_dir(staging, out).map_err(|e| io_err(out, e))
}

/// Puts directory `new` at `target` and removes what was there. On Linux the two are exchanged
/// atomically (renameat2 RENAME_EXCHANGE), so readers see the old one or the new one, never
/// neither. Callers make sure `target` is kb's own (the output marker, the cache).
pub fn replace_dir(new: &Path, target: &Path) -> io::Result<()> {
    if !target.exists() {
        return fs::rename(new, target);
    }
    if exchange(new, target).is_ok() {
        return fs::remove_dir_all(new);
    }
    let old = new.with_extension("old");
    fs::rename(target, &old)?;
    if let Err(e) = fs::rename(new, target) {
        let _ = fs::rename(&old, target);
        return Err(e);
    }
    fs::remove_dir_all(&old)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both pointers are valid NUL-terminated paths for the duration of the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::other("no atomic exchange on this platform"))
}

fn io_err(p: &Path, e: io::Error) -> OutputError {
    OutputError::Io(format!("{}: {e}", p.display()))
}
