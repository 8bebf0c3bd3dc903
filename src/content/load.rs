//! Finding and reading postmortem files: walk (walkdir), then read and parse in parallel (rayon).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use super::find::{Found, find, leaves, outside, real_root};
use super::incident::{Incident, Text};
use super::parse::parse;
use crate::build_cache::parsed::{self, Kept, Parsed, Saving};
use crate::config::Config;
use crate::diagnostics::Diagnostic;

/// Larger files are refused: a postmortem is text, and a huge file is almost always a mistake.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

pub struct Loaded {
    pub incidents: Vec<Incident>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files read, for the build summary.
    pub files: usize,
}

/// Where a knowledge base keeps its postmortems: `content/`, or the root itself for a plain
/// folder of old postmortems.
pub fn content_dir(root: &Path) -> PathBuf {
    let c = root.join("content");
    if c.is_dir() { c } else { root.to_path_buf() }
}

/// Directories inside the knowledge base that never hold postmortems: the output, the cache,
/// the theme and a Rust target dir.
pub fn skip_dirs(root: &Path, output: &Path) -> Vec<PathBuf> {
    vec![
        output.to_path_buf(),
        root.join(".kb"),
        root.join("theme"),
        root.join("target"),
    ]
}

/// The walk every command shares: sorted, not following links (`find` decides about them),
/// leaving out hidden entries, `_drafts`-style folders and the `skip` directories.
pub fn walk<'a>(
    content: &Path,
    skip: &'a [PathBuf],
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> + 'a {
    WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() > 0 && left_out(&e.file_name().to_string_lossy(), e.file_type().is_dir()) {
                return false;
            }
            !(e.file_type().is_dir() && is_skipped(e.path(), skip))
        })
}

/// Hidden files and folders, and `_drafts`-style folders, are never postmortems.
pub fn left_out(name: &str, is_dir: bool) -> bool {
    name.starts_with('.') || (is_dir && name.starts_with('_'))
}

/// A folder the walk leaves out: one of `skip`, or any output kb wrote (it carries the
/// marker), so `kb check` does not read a site built with `--output site` as content.
pub fn is_skipped(dir: &Path, skip: &[PathBuf]) -> bool {
    skip.iter().any(|s| same_dir(dir, s)) || dir.join(super::files::OUTPUT_MARKER).is_file()
}

/// Postmortems as parsed by the last load, kept by `kb serve` between rebuilds: a file is
/// parsed again only when its size or modification time changed or the watcher named it.
/// Parsing depends on site.toml, so a config change clears it.
///
/// Made by [`Cache::stored`] instead (`kb build`), it reads every file and looks its content
/// up in the build cache on disk, keeping nothing in memory between loads.
#[derive(Default)]
pub struct Cache {
    files: HashMap<PathBuf, Cached>,
    /// Postmortems (paths as shown) parsed since [`Cache::rendered`] was last called: their
    /// pages may differ from the ones written.
    reread: std::collections::HashSet<String>,
    stored: Option<Parsed>,
    /// `stored` only seeds the first load ([`Cache::seeded`]).
    seed: bool,
    /// The records of the last load, to write once the build has proved good
    /// ([`Cache::start_saving`]).
    pending: Option<(PathBuf, Saving)>,
    /// Writing them, started by [`Cache::start_saving`].
    saving: Option<std::thread::JoinHandle<SaveResult>>,
}

/// How writing the build cache went, and how long it took.
pub type SaveResult = (std::io::Result<()>, std::time::Duration);

impl Drop for Cache {
    /// A build that fails still lets the write it started finish (or fail) whole.
    fn drop(&mut self) {
        let _ = self.saved();
    }
}

struct Cached {
    stamp: Stamp,
    incident: Option<Incident>,
    diagnostics: Vec<Diagnostic>,
}

type Stamp = (Option<std::time::SystemTime>, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len()))
}

impl Cache {
    /// A cache backed by the build cache's parsed postmortems.
    pub fn stored(parsed: Parsed) -> Cache {
        let mut c = Cache::default();
        c.stored = Some(parsed);
        c
    }

    /// An in-memory cache (`kb serve`) whose first load decodes, rather than parses, each file
    /// whose content the build cache on disk holds; it never writes that cache.
    pub fn seeded(parsed: Parsed) -> Cache {
        let mut c = Cache::stored(parsed);
        c.seed = true;
        c
    }

    /// Keeps the records of the last load for the build cache (when it is [`Cache::stored`]
    /// and they changed); the last build's records leave memory now.
    fn save(&mut self, root: &Path, kept: Vec<Kept>) {
        if let Some(saving) = self.stored.as_mut().and_then(|p| p.to_save(kept)) {
            self.pending = Some((root.to_path_buf(), saving));
        }
    }

    /// Starts writing the kept records on a thread of their own, beside the rest of the
    /// build. Called once the postmortems have proved good: a build that fails on them leaves
    /// the knowledge base, its `.kb/` included, as it was. [`Cache::saved`] says how it went.
    pub fn start_saving(&mut self) {
        if let Some((root, saving)) = self.pending.take() {
            self.saving = Some(std::thread::spawn(move || {
                let t = std::time::Instant::now();
                (saving.write(&root), t.elapsed())
            }));
        }
    }

    /// Waits for the write [`Cache::start_saving`] started, if any; records never started are
    /// dropped unwritten.
    pub fn saved(&mut self) -> SaveResult {
        self.pending = None;
        match self.saving.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                (
                    Err(std::io::Error::other("writing panicked")),
                    Default::default(),
                )
            }),
            None => (Ok(()), Default::default()),
        }
    }

    /// CPU seconds the loads spent making build cache records.
    pub fn encoding(&self) -> f64 {
        self.stored.as_ref().map_or(0.0, Parsed::encoding)
    }

    /// Postmortems the last load decoded from the build cache rather than parsed.
    pub fn reused(&self) -> usize {
        self.stored.as_ref().map_or(0, Parsed::reused)
    }

    /// Why the build cache's records could not be used, if they could not.
    pub fn unused(&self) -> Option<&str> {
        self.stored.as_ref().and_then(|p| p.unused.as_deref())
    }

    /// Makes the next load read these files again whatever their stamps say (an edit within
    /// the file system's timestamp granularity keeps size and mtime).
    pub fn forget(&mut self, paths: &[PathBuf]) {
        for p in paths {
            self.files.remove(p);
        }
    }

    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// Postmortems parsed since the site was last rendered whole.
    pub fn reread(&self) -> &std::collections::HashSet<String> {
        &self.reread
    }

    /// Says that the site was rendered whole from what the cache holds.
    pub fn rendered(&mut self) {
        self.reread.clear();
    }
}

/// Walks `content` and parses every postmortem. `skip` are directories never to enter
/// (the output and cache, when they live inside the content folder).
pub fn load(root: &Path, content: &Path, skip: &[PathBuf], config: &Config) -> Loaded {
    load_cached(root, content, skip, config, None)
}

/// Reads and parses one postmortem (one the watcher named, say): the incident (None when the
/// file could not be read) and what is wrong with it. A path that leads out of the knowledge
/// base through a symbolic link is not read.
pub fn parse_file(
    root: &Path,
    content: &Path,
    path: &Path,
    config: &Config,
) -> (Option<Incident>, Vec<Diagnostic>) {
    if let Some(target) = real_root(root).and_then(|real| leaves(&real, path)) {
        return (None, vec![outside(&display_path(root, path), &target)]);
    }
    let (inc, d, _) = parse_unchecked(root, content, path, config, None);
    (inc, d)
}

/// [`parse_file`] for a path [`find`] returned, whose links were checked on the way. With
/// `stored`, a file whose content has a record there is decoded rather than parsed; the
/// record (old or new) comes back to be saved.
fn parse_unchecked(
    root: &Path,
    content: &Path,
    path: &Path,
    config: &Config,
    stored: Option<&Parsed>,
) -> (Option<Incident>, Vec<Diagnostic>, Option<Kept>) {
    let display = display_path(root, path);
    let content_rel = path
        .strip_prefix(content)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    match read(path, &display) {
        Ok(text) => {
            let hash = stored.map(|_| parsed::content_hash(&content_rel, &text));
            let found = stored
                .zip(hash)
                .and_then(|(s, h)| s.get(&display, h, &text));
            let (mut inc, mut d, kept) = match found {
                Some(f) => (f.0, f.1, Some(f.2)),
                None => {
                    let (inc, d) = parse(&display, &content_rel, &text, config);
                    let kept = stored
                        .zip(hash)
                        .and_then(|(s, h)| s.record(&display, h, &inc, &d, &text));
                    (inc, d, kept)
                }
            };
            // Attachments are other files: looked for again whether parsed or not.
            let (assets, missing) =
                super::assets::resolve(root, path, &display, &text, &inc.asset_refs);
            inc.assets = assets;
            d.extend(missing);
            (Some(inc), d, kept)
        }
        Err(d) => (None, vec![d], None),
    }
}

/// [`load`], reusing what `cache` holds for files that did not change, and updating it.
pub fn load_cached(
    root: &Path,
    content: &Path,
    skip: &[PathBuf],
    config: &Config,
    cache: Option<&mut Cache>,
) -> Loaded {
    let Found {
        paths,
        mut diagnostics,
    } = find(root, content, skip);

    let mut cache = cache;
    if let Some(s) = cache.as_mut().and_then(|c| c.stored.as_mut()) {
        s.settings(config);
    }
    let cached = cache.as_deref();
    let stored = cached.and_then(|c| c.stored.as_ref());
    let seeding = cached.is_some_and(|c| c.seed);
    // Per file: what was read, its stamp, and whether it was parsed now (not cached).
    type Read = (Option<Incident>, Vec<Diagnostic>, Option<Stamp>, bool);
    let one = |path: &PathBuf| -> (Read, Option<Kept>) {
        if stored.is_some() && !seeding {
            let (inc, d, kept) = parse_unchecked(root, content, path, config, stored);
            return ((inc, d, None, false), kept);
        }
        let now = cached.and_then(|_| stamp(path));
        if let (Some(c), Some(now)) = (cached.and_then(|c| c.files.get(path)), now)
            && c.stamp == now
        {
            return (
                (c.incident.clone(), c.diagnostics.clone(), None, false),
                None,
            );
        }
        let (inc, d, _) = parse_unchecked(root, content, path, config, stored);
        ((inc, d, now, true), None)
    };
    // Read a few dozen at a time, whose readable texts then share a block (see `Text`).
    let per_block = (paths.len() / (rayon::current_num_threads() * 8)).clamp(1, 64);
    let results: Vec<(Read, Option<Kept>)> = paths
        .par_chunks(per_block)
        .flat_map_iter(|chunk| {
            let mut read: Vec<(Read, Option<Kept>)> = chunk.iter().map(one).collect();
            Text::pack(
                read.iter_mut()
                    .filter_map(|((inc, ..), _)| inc.as_mut()?.body_text.as_mut())
                    .collect(),
            );
            read
        })
        .collect();
    // Left where they are: an incident is over 1 KB, and each copy of 10,000 of them into a
    // new list was a few milliseconds on one core, most of it the kernel zeroing fresh pages.
    let mut results = results;
    if let Some(cache) = cache.as_mut().filter(|c| c.stored.is_some() && !c.seed) {
        cache.save(
            root,
            results.iter_mut().filter_map(|(_, k)| k.take()).collect(),
        );
    } else if let Some(cache) = cache {
        if cache.seed {
            cache.seed = false;
            cache.stored = None;
        }
        // Files no longer there are dropped; parsed ones are kept with the stamp taken
        // before reading (a save during the read is then read again next time).
        let mut files = HashMap::with_capacity(paths.len());
        for (path, ((inc, d, now, fresh), _)) in paths.iter().zip(&results) {
            match (fresh, now) {
                (false, _) => {
                    if let Some(c) = cache.files.remove(path) {
                        files.insert(path.clone(), c);
                    }
                }
                (true, Some(now)) => {
                    if let Some(inc) = inc {
                        cache.reread.insert(inc.path.clone());
                    }
                    files.insert(
                        path.clone(),
                        Cached {
                            stamp: *now,
                            // Its readable text is the index's, once: not kept between loads.
                            incident: inc.clone().map(|mut i| {
                                i.body_text = None;
                                i
                            }),
                            diagnostics: d.clone(),
                        },
                    );
                }
                (true, None) => {}
            }
        }
        cache.files = files;
    }
    let files = paths.len();
    let mut incidents = Vec::with_capacity(files);
    for ((inc, mut d, _, _), _) in results {
        incidents.extend(inc);
        diagnostics.append(&mut d);
    }
    Loaded {
        incidents,
        diagnostics,
        files,
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The path as the user sees it: relative to the knowledge base root, `/` separated.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Reads a file as UTF-8 text, refusing what cannot be a postmortem.
fn read(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::error(display, format!("cannot read file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            display,
            format!(
                "file is too large ({:.1} MB; the limit is {} MB)",
                meta.len() as f64 / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576
            ),
        )
        .with_hint("a postmortem is text; move attachments and logs out of content/"));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(display, format!("cannot read file: {e}"))
            .with_hint("check the file's permissions")
    })?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Diagnostic::error(display, "empty file").with_hint(
            "write the postmortem, or rename the file to start with `_` to keep it out of the build",
        ));
    }
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(
            Diagnostic::error(display, "binary file, not Markdown text").with_hint(
                "move binary files out of content/, or give them an extension other than `.md`",
            ),
        );
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or("");
            let (line, col) = crate::diagnostics::line_col(prefix, prefix.len());
            let lossy = String::from_utf8_lossy(bytes);
            Err(Diagnostic::error(
                display,
                format!("invalid UTF-8 (byte 0x{:02x})", bytes[valid]),
            )
            .at(&lossy, line, col, 1)
            .with_hint("save the file as UTF-8 in your editor"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_parses_again_only_files_that_changed_or_were_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let content = root.join("content");
        std::fs::create_dir_all(&content).unwrap();
        let file = content.join("a.md");
        let text = |t: &str| format!("---\ntitle: {t}\ndate: 2024-01-02\n---\nBody.\n");
        std::fs::write(&file, text("Title A")).unwrap();
        std::fs::write(content.join("b.md"), text("Title B")).unwrap();
        let config = Config::default();
        let mut cache = Cache::default();
        let titles = |cache: &mut Cache| {
            let loaded = load_cached(root, &content, &[], &config, Some(cache));
            let mut t: Vec<String> = loaded.incidents.into_iter().map(|i| i.title).collect();
            t.sort();
            t
        };
        assert_eq!(titles(&mut cache), ["Title A", "Title B"]);

        // Same size, same modification time: taken from the cache...
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::fs::write(&file, text("Title C")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(titles(&mut cache), ["Title A", "Title B"]);
        // ...until the watcher names it.
        cache.forget(std::slice::from_ref(&file));
        assert_eq!(titles(&mut cache), ["Title B", "Title C"]);

        // A new size is seen without being named; a deleted file leaves the cache.
        std::fs::write(&file, text("Title CC")).unwrap();
        assert_eq!(titles(&mut cache), ["Title B", "Title CC"]);
        std::fs::remove_file(content.join("b.md")).unwrap();
        assert_eq!(titles(&mut cache), ["Title CC"]);
        assert!(!cache.files.contains_key(&content.join("b.md")));
    }
}
