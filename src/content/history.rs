//! When each postmortem last changed, from git: the date of the last commit that touched the
//! file, so "Last updated" is the same for every build of a given commit (a file's mtime is not:
//! a fresh clone sets every mtime to the clone's time).
//!
//! One `git log` over the knowledge base's history, read newest first and stopped as soon as
//! every wanted file has been seen; no git, no repository, or a repository git refuses to read
//! (another user's, a shallow clone's missing history) gives no dates, never an error.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use jiff::Timestamp;

/// Marks the start of a commit in the log: a byte no path holds and `%ct` never prints.
const COMMIT: u8 = 0x01;

/// The last commit time of each of `paths` (relative to `root`, `/`-separated) that git knows.
pub fn last_commits(root: &Path, paths: &[&str]) -> HashMap<String, Timestamp> {
    let mut found = HashMap::new();
    if paths.is_empty() {
        return found;
    }
    let mut wanted: HashSet<&str> = paths.iter().copied().collect();
    let child = Command::new("git")
        .current_dir(root)
        .args([
            "--no-pager",
            "--no-optional-locks",
            "-c",
            "core.quotepath=off",
            "log",
            "--relative",
            "--no-renames",
            "--format=%x01%ct",
            "--name-only",
            "-z",
            "--",
            ".",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return found;
    };
    let Some(stdout) = child.stdout.take() else {
        return found;
    };
    let mut reader = BufReader::new(stdout);
    let mut time: Option<Timestamp> = None;
    let mut field = Vec::new();
    while !wanted.is_empty() {
        field.clear();
        match reader.read_until(0, &mut field) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if field.last() == Some(&0) {
            field.pop();
        }
        // A commit is `\x01<seconds>\0`, then `\n` and its paths, each ended by `\0`.
        if let Some(secs) = field.strip_prefix(&[COMMIT]) {
            time = std::str::from_utf8(secs)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .and_then(|s| Timestamp::from_second(s).ok());
            continue;
        }
        let path = field.strip_prefix(b"\n").unwrap_or(&field);
        let (Some(t), Ok(path)) = (time, std::str::from_utf8(path)) else {
            continue;
        };
        // Newest first: the first commit naming a file is its last change.
        if wanted.remove(path) {
            found.insert(path.to_string(), t);
        }
    }
    // Everything wanted was seen: the rest of the history is not needed.
    let _ = child.kill();
    let _ = child.wait();
    found
}
