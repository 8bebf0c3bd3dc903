//! kb's temporary folders (the site being built beside the output, the search index being
//! built in `.kb/`): each carries kb's marker, is removed when dropped and when SIGINT,
//! SIGTERM or SIGHUP ends the process, and one a process that died left behind (`kill -9`,
//! a crash, a power cut) is swept by the next run. Left in place they were whole sites, in
//! the user's folder and outside the `.gitignore`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::output::{MARKER, MARKER_TEXT};

/// The folders this process has made and not yet removed or put in place.
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn open() -> MutexGuard<'static, Vec<PathBuf>> {
    // A thread that panicked holding it left the list intact.
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary folder this process made: removed when dropped, or by the signal handler.
pub struct StagingDir {
    path: PathBuf,
}

impl StagingDir {
    /// Makes `path` (removing what a dead process with our pid left there) with kb's marker,
    /// so that a sweep can prove it is kb's.
    pub fn create(path: PathBuf) -> io::Result<StagingDir> {
        if fs::symlink_metadata(&path).is_ok() {
            fs::remove_dir_all(&path)?;
        }
        // Made and listed at once: a signal's cleanup sees it whole, or it is never made.
        let mut open = open();
        fs::create_dir_all(&path)?;
        if let Err(e) = fs::write(path.join(MARKER), MARKER_TEXT) {
            let _ = fs::remove_dir_all(&path);
            return Err(e);
        }
        open.push(path.clone());
        Ok(StagingDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        remove(&self.path);
        open().retain(|p| *p != self.path);
    }
}

/// Runs `f` (a swap of a staging folder into place) with no signal cleanup running: the
/// cleanup must not empty a folder as it becomes the output.
pub fn exclusive<T>(f: impl FnOnce() -> T) -> T {
    let _held = open();
    f()
}

/// Removes a folder, again while other threads still write into it (they cannot make the
/// folder itself again; see `output::write_under`).
fn remove(path: &Path) {
    for _ in 0..100 {
        match fs::remove_dir_all(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => continue,
            _ => return,
        }
    }
}

/// On SIGINT, SIGTERM and SIGHUP (those of `signals` this process gets), removes every open
/// staging folder and exits with 128 + the signal, as a shell reports it (130 for Ctrl-C,
/// 143 for `kill` and `timeout`).
///
/// A signal ignored when kb started (`nohup` ignores SIGHUP, a shell's background job SIGINT)
/// stays ignored.
pub fn remove_on_signals(signals: &[i32]) -> io::Result<()> {
    let signals: Vec<i32> = signals.iter().copied().filter(|s| !ignored(*s)).collect();
    let mut signals = signal_hook::iterator::Signals::new(signals)?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            // Held until the exit: no swap starts, no staging folder is made after this.
            let open = open();
            for p in open.iter() {
                remove(p);
            }
            std::process::exit(128 + sig);
        }
    });
    Ok(())
}

/// Whether `signal` is ignored in this process.
fn ignored(signal: i32) -> bool {
    // SAFETY: sigaction with no new action only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Removes from `dir` the staging folders of processes that no longer run: named `prefix`
/// then the pid (then `-<n>` when `numbered`, then `.old` for a swap cut short), real
/// folders (not links) holding kb's marker, whose process is gone. Anything else is left
/// alone.
pub fn sweep(dir: &Path, prefix: &str, numbered: bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| stale_pid(n, prefix, numbered)) else {
            continue;
        };
        let path = e.path();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let marked = fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file());
        if is_dir && marked && !alive(pid) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// The pid in `name` when it is `prefix<pid>-<n>` (`numbered`) or `prefix<pid>`, then
/// `.old` or not.
fn stale_pid(name: &str, prefix: &str, numbered: bool) -> Option<i32> {
    let rest = name.strip_prefix(prefix)?;
    let rest = rest.strip_suffix(".old").unwrap_or(rest);
    let (pid, n) = match rest.split_once('-') {
        Some((pid, n)) if numbered => (pid, n),
        None if !numbered => (rest, "0"),
        _ => return None,
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(pid) && digits(n)) {
        return None;
    }
    pid.parse().ok().filter(|p| *p > 0)
}

/// Whether a process with this pid exists (ours or not): only "no such process" says no.
fn alive(pid: i32) -> bool {
    if pid == std::process::id() as i32 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_pattern_names_a_pid() {
        let p = ".public.kb-staging-";
        assert_eq!(stale_pid(".public.kb-staging-123-0", p, true), Some(123));
        assert_eq!(
            stale_pid(".public.kb-staging-123-4.old", p, true),
            Some(123)
        );
        assert_eq!(stale_pid(".index-new-77", ".index-new-", false), Some(77));
        assert_eq!(
            stale_pid(".index-new-77.old", ".index-new-", false),
            Some(77)
        );
        assert_eq!(stale_pid(".index-new-77-0", ".index-new-", false), None);
        for name in [
            ".public.kb-staging-",
            ".public.kb-staging-123",
            ".public.kb-staging-12a-0",
            ".public.kb-staging-12-",
            ".public.kb-staging-12-0-1",
            ".public.kb-staging-0-0",
            "public.kb-staging-12-0",
            ".public.kb-staging-12-0.bak",
            ".public.kb-staging-99999999999-0",
        ] {
            assert_eq!(stale_pid(name, p, true), None, "{name}");
        }
    }
}
