//! `kb build`: the whole flow, content → model → knowledge base → pages → output.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use rayon::prelude::*;

use crate::build_cache;
use crate::config::{Config, RunOptions};
use crate::content::incident::Status;
use crate::content::load;
use crate::diagnostics::{self, Diagnostic};
use crate::kb::Kb;
use crate::kb::related::TextMatch;
use crate::output::{self, OutputError, Sink};
use crate::render::{self, theme::Theme};
use crate::search::similar::Vocabulary;
use crate::search::{self, store};

/// Told the name of each stage as the build reaches it.
pub type Progress = Box<dyn Fn(&str) + Sync>;

pub struct BuildOptions {
    pub root: PathBuf,
    pub output: Option<PathBuf>,
    pub drafts: bool,
    pub base_url: Option<String>,
    pub progress: Option<Progress>,
    pub run: RunOptions,
    /// Keep each postmortem's frontmatter text in the model the build returns, where later
    /// diagnostics point into it (`kb serve` links each edit against it). A one-off build
    /// frees it once the incidents are linked: 0.25 GB at 100,000 postmortems.
    pub keep_sources: bool,
    /// Told how many postmortems were read, before the work that grows with them: `kb build`
    /// sets its allocator's policy by it.
    pub on_read: Option<Box<dyn Fn(usize) + Sync>>,
}

pub struct BuildReport {
    pub incidents: usize,
    pub tags: usize,
    pub services: usize,
    pub pages: usize,
    pub elapsed: Duration,
    pub output: PathBuf,
    /// Warnings (a successful build has no errors).
    pub diagnostics: Vec<Diagnostic>,
    /// What the build cache did (shown under `--verbose`).
    pub notes: Vec<String>,
    /// What the build made, freed with the report.
    pub made: Made,
}

/// The linked knowledge base, its pages' values and the templates of a build: millions of
/// allocations, whose freeing takes one core 50 ms at 10,000 incidents. A process about to
/// exit may `std::mem::forget` them instead (`kb build` does).
pub struct Made {
    _kept: Box<dyn std::any::Any>,
}

#[derive(Debug)]
pub enum BuildError {
    /// Wrong invocation or an output kb must not touch.
    Usage(String),
    /// Problems in the content or theme. Holds warnings too.
    Content(Vec<Diagnostic>),
    /// The output could not be written (or must not be replaced).
    Output(OutputError),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Usage(m) => f.write_str(m),
            BuildError::Content(d) => {
                let errors = d.iter().filter(|d| d.is_error()).count();
                write!(
                    f,
                    "{} in the postmortems",
                    crate::diagnostics::count(errors, "error")
                )
            }
            BuildError::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Output(e) => e.source(),
            _ => None,
        }
    }
}

impl From<OutputError> for BuildError {
    fn from(e: OutputError) -> Self {
        BuildError::Output(e)
    }
}

/// `SOURCE_DATE_EPOCH`'s value when set: whole seconds since 1970-01-01 UTC. A malformed value
/// is an error (the reproducible-builds specification asks builds to fail on one); the binary
/// reads the variable once at startup and passes the moment in [`RunOptions`].
pub fn source_date_epoch(
    value: Option<&std::ffi::OsStr>,
) -> Result<Option<jiff::Timestamp>, String> {
    let Some(v) = value else {
        return Ok(None);
    };
    let v = v.to_string_lossy();
    v.trim()
        .parse::<i64>()
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(Some)
        .ok_or_else(|| {
            format!(
                "SOURCE_DATE_EPOCH is `{v}`; it must be whole seconds since 1970-01-01 UTC \
                 (e.g. `$(git log -1 --format=%ct)`), or unset"
            )
        })
}

/// Reads site.toml and every postmortem and links them into the knowledge base. Errors in
/// postmortems come back with the warnings (`build` fails on them, `search` shows them and goes
/// on); only an unreadable site.toml fails here.
pub fn load_kb(
    root: &Path,
    output_dir: &Path,
    drafts: bool,
    base_url: Option<&str>,
    run: &RunOptions,
    stage: &dyn Fn(&str),
) -> Result<(Kb, Vec<Diagnostic>), BuildError> {
    load_kb_cached(root, output_dir, drafts, base_url, run, stage, None)
}

/// [`load_kb`] reading through a cache of parsed postmortems.
pub fn load_kb_cached(
    root: &Path,
    output_dir: &Path,
    drafts: bool,
    base_url: Option<&str>,
    run: &RunOptions,
    stage: &dyn Fn(&str),
    cache: Option<&mut load::Cache>,
) -> Result<(Kb, Vec<Diagnostic>), BuildError> {
    crate::content::find::inside(root, &root.join("site.toml"))
        .map_err(|d| BuildError::Content(vec![d]))?;
    let (mut config, config_warnings) =
        Config::load_warned(root).map_err(|d| BuildError::Content(vec![d]))?;
    config.run = run.clone();
    if let Some(url) = base_url {
        config.base_url = if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        };
    }
    stage("reading postmortems");
    let content = load::content_dir(root);
    let skip = load::skip_dirs(root, output_dir);
    let loaded = load::load_cached(root, &content, &skip, &config, cache);
    let mut diags = loaded.diagnostics;
    diags.extend(config_warnings);
    // Drafts taken out in place, not partitioned into two new lists (every incident moved).
    let mut incidents = loaded.incidents;
    let left_out: std::collections::HashSet<String> = incidents
        .iter()
        .filter(|i| !drafts && i.status == Status::Draft)
        .map(|i| i.id.clone())
        .collect();
    incidents.retain(|i| drafts || i.status != Status::Draft);

    stage("linking incidents");
    let kb = Kb::build_without(config, incidents, &left_out, &mut diags);
    diagnostics::sort(&mut diags);
    Ok((kb, diags))
}

/// The knowledge base at `root` with its similar incidents found, as a build links it, for
/// commands that output data rather than pages (`kb export`). The search index is built in
/// memory from exactly what was read, so similar incidents always match the records.
pub fn linked_kb(
    root: &Path,
    drafts: bool,
    run: &RunOptions,
) -> Result<(Kb, Vec<Diagnostic>), BuildError> {
    if !root.is_dir() {
        return Err(BuildError::Usage(format!(
            "knowledge base root {} is not a directory",
            root.display()
        )));
    }
    let output_dir = root.join("public");
    let stamp = store::stamp(root, &output_dir, drafts);
    let (mut kb, diags) = load_kb(root, &output_dir, drafts, None, run, &|_| {})?;
    if diags.iter().any(Diagnostic::is_error) {
        return Err(BuildError::Content(diags));
    }
    let (index, _, vocab) = store::write(&kb, None, &stamp, || Vocabulary::new(&kb))
        .map_err(|e| BuildError::Content(vec![Diagnostic::error("search index", e)]))?;
    let similar = search::similar::compute(&index, &kb, &vocab);
    kb.link_related(&similar);
    Ok((kb, diags))
}

/// How `kb search` makes sure the index holds what the postmortems say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// None: the index as it is (`--no-refresh`).
    Trust,
    /// Every file of a knowledge base of up to [`store::CHECKED_FILE_BY_FILE`] files; above
    /// that, their folders ([`store::Folders`]: a save in place is not seen).
    Auto,
    /// Every file, whatever their number, even while a serve vouches for the index
    /// (`--refresh`).
    EveryFile,
}

/// Runs `work` (a query) on the fresh search index. Unless trusted, an index on disk is
/// searched while the sources are stamped on another thread, and the answer is kept only when
/// the stamp matches; otherwise the index is rebuilt as [`fresh_index`] does and `work` runs
/// again. The check thus costs the longer of the two, not their sum. An index that a running
/// `kb serve` vouches for (it watches the sources: `search::served`) needs no check, and one
/// of many files whose folders are unchanged needs no more (see [`Check::Auto`]).
pub fn with_fresh_index<T>(
    root: &Path,
    drafts: bool,
    check: Check,
    run: &RunOptions,
    work: impl Fn(&search::Index) -> T,
) -> Result<(T, Vec<Diagnostic>, Option<String>), BuildError> {
    if check != Check::Trust
        && root.is_dir()
        && let dir = store::dir(root)
        && let Some(built) = store::read_stamp(&dir)
        && built.drafts == drafts
    {
        // A reader may open the directory just as a build swaps it: one retry settles that.
        let open = || {
            store::open(&dir)
                .or_else(|_| store::open(&dir))
                .ok()
                .filter(|(_, b)| b.drafts == drafts)
        };
        let vouched = (check == Check::Auto)
            .then(|| search::served::vouched(root, drafts, &built))
            .flatten();
        if let Some(pid) = vouched
            && run.timings
        {
            crate::say!(
                "kb serve (pid {pid}) vouches for the index: searched it without checking the files"
            );
        }
        let by_folders = check == Check::Auto
            && built.files > store::CHECKED_FILE_BY_FILE
            && built.folders.as_ref().is_some_and(|folders| {
                let t = Instant::now();
                let unchanged = store::folders_unchanged(root, folders);
                if run.timings {
                    crate::say!(
                        "checked {} folders of {} files in {:.2} ms: {}",
                        folders.paths.len(),
                        built.files,
                        t.elapsed().as_secs_f64() * 1e3,
                        if unchanged { "unchanged" } else { "changed" }
                    );
                }
                unchanged
            });
        if vouched.is_some() || by_folders {
            if let Some((index, _)) = open() {
                return Ok((work(&index), Vec::new(), None));
            }
        } else {
            // Every file is stamped on another thread from the start, while the index opens
            // and the query runs on it: the check costs the longest of them, not their sum.
            let output_dir = root.join("public");
            let t = Instant::now();
            let (stamp, answer) = std::thread::scope(|s| {
                let stamping = s.spawn(|| store::stamp(root, &output_dir, drafts));
                let answer = open().map(|(index, built)| (work(&index), built));
                (stamping.join().expect("stamping does not panic"), answer)
            });
            if run.timings {
                crate::say!(
                    "stamped {} files in {:.1} ms (beside the query)",
                    stamp.files,
                    t.elapsed().as_secs_f64() * 1e3
                );
            }
            if let Some((out, built)) = answer
                && stamp.same_sources(&built)
            {
                store::restamp(&dir, &built, &stamp);
                return Ok((out, Vec::new(), None));
            }
        }
    }
    let (index, diags, note) = fresh_index(root, drafts, check != Check::Trust, run)?;
    Ok((work(&index), diags, note))
}

/// The search index of the knowledge base at `root`, rebuilt first when it is missing,
/// unreadable, or (with `check`) older than any source file. The note says why it was rebuilt.
pub fn fresh_index(
    root: &Path,
    drafts: bool,
    check: bool,
    run: &RunOptions,
) -> Result<(search::Index, Vec<Diagnostic>, Option<String>), BuildError> {
    if !root.is_dir() {
        return Err(BuildError::Usage(format!(
            "knowledge base root {} is not a directory",
            root.display()
        )));
    }
    let output_dir = root.join("public");
    let dir = store::dir(root);
    // A reader may open the directory just as a build swaps it: one retry settles that.
    let opened = store::open(&dir).or_else(|_| store::open(&dir));
    if !check
        && let Ok((_, s)) = &opened
        && s.drafts == drafts
    {
        let (index, _) = opened.ok().expect("checked above");
        return Ok((index, Vec::new(), None));
    }
    let t = Instant::now();
    let mut stamp = store::stamp(root, &output_dir, drafts);
    if run.timings {
        crate::say!(
            "stamped {} files in {:.1} ms",
            stamp.files,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    // Files changed on disk may still hold what the index holds (a checkout, a file saved again).
    let may_keep = opened.is_ok();
    let note = match opened {
        Ok((index, s)) if s.same_sources(&stamp) => {
            store::restamp(&dir, &s, &stamp);
            return Ok((index, Vec::new(), None));
        }
        Ok(_) => Some("postmortems changed since the search index was built; refreshed it".into()),
        Err(store::OpenError::Missing) => {
            Some("building the search index (first search)".to_string())
        }
        Err(store::OpenError::Outdated) => {
            Some("the search index was written by another version of kb; rebuilt it".into())
        }
        Err(store::OpenError::Corrupt(e)) => {
            Some(format!("the search index was unreadable ({e}); rebuilt it"))
        }
    };
    // A responder at 2 a.m. still gets answers when someone's half-written postmortem has an
    // error: it is searched as far as it could be read (a file that does not parse at all is
    // left out), the errors are shown, and the index is marked partial so the next search
    // reads the files again.
    // Through the build cache's parsed postmortems, read only: a file whose bytes a build
    // already parsed is decoded (about ten times cheaper), and a search writes no cache.
    let mut parsed = load::Cache::stored(build_cache::parsed::Parsed::open(root, false));
    let (kb, diags) = load_kb_cached(
        root,
        &output_dir,
        drafts,
        None,
        run,
        &|_| {},
        Some(&mut parsed),
    )?;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let note = if errors > 0 {
        stamp.sources = format!("partial-{}", stamp.sources);
        Some(format!(
            "{errors} error{} in the postmortems (above); they are searched as far as they could \
             be read",
            if errors == 1 { "" } else { "s" }
        ))
    } else {
        note
    };
    let IndexWritten {
        index,
        unsaved,
        kept,
        ..
    } = write_index(root, &kb, &stamp, may_keep, false)?;
    let note = match unsaved {
        Some(e) => Some(format!(
            "could not save the search index in {} ({e})",
            dir.display()
        )),
        // The files changed, not what the index holds: nothing was rebuilt to say.
        None if kept && errors == 0 => None,
        None => note,
    };
    if kept && run.timings {
        crate::say!("kept the index in .kb/index: the files changed, not their indexed text");
    }
    Ok((index, diags, note))
}

/// The search index a build works from.
struct IndexWritten {
    index: search::Index,
    /// Why it could not be saved in `.kb/index` (it was built in memory).
    unsaved: Option<String>,
    /// `.kb/index` held the same documents and was kept.
    kept: bool,
    /// The digest of its documents.
    digest: String,
    /// Made while the index was written, when asked for and the index was not kept.
    vocabulary: Option<Vocabulary>,
}

/// Writes the index to `.kb/index`; when that fails, builds it in memory (the index is a
/// cache, so the work can go on) and says why it was not saved. With `vocabulary`, the similar
/// incidents' vocabulary is made alongside, while the index's segments are written.
fn write_index(
    root: &Path,
    kb: &Kb,
    stamp: &store::Stamp,
    reuse: bool,
    vocabulary: bool,
) -> Result<IndexWritten, BuildError> {
    let dir = store::dir(root);
    // The same documents as the index on disk (a theme or config edit, a touched file): kept.
    if reuse
        && let Some((index, digest)) =
            store::reuse(&dir, || store::digest(kb), kb.entries.len(), stamp)
    {
        return Ok(IndexWritten {
            index,
            unsaved: None,
            kept: true,
            digest: digest.text(),
            vocabulary: None,
        });
    }
    let alongside = || vocabulary.then(|| Vocabulary::new(kb));
    let (result, unsaved) = match store::write(kb, Some(&dir), stamp, alongside) {
        Ok(written) => (written, None),
        Err(e) => (
            store::write(kb, None, stamp, alongside).map_err(|e| {
                BuildError::Content(vec![Diagnostic::error("search index".to_string(), e)])
            })?,
            Some(e),
        ),
    };
    let (index, digest, vocabulary) = result;
    Ok(IndexWritten {
        index,
        unsaved,
        kept: false,
        digest: digest.text(),
        vocabulary,
    })
}

/// What a build leaves besides its files: the linked knowledge base and the theme's
/// templates (kept by `kb serve` to show the next edit at once), and the warnings.
pub struct Built {
    pub kb: Kb,
    /// The date overdue items were judged against.
    pub today: Date,
    pub tera: tera::Tera,
    pub theme: Theme,
    /// What the search page was given, to render it again as the build did.
    pub search: search::export::Manifest,
    /// What rendering computed across incidents.
    pub across: Option<render::Across>,
    pub diagnostics: Vec<Diagnostic>,
    pub pages: usize,
    /// The search index on disk held the same documents and was kept, not written again.
    pub index_kept: bool,
    pub search_cache: SearchCache,
}

/// `kb build`: [`build_reusing`] the build cache.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_reusing(opts, true)
}

/// A build that, with `reuse`, takes from the build cache (`.kb/build/`) the postmortems and
/// incident pages whose inputs did not change since it was written; without (`kb build
/// --clean`), does all the work. Either way it writes the cache for the next build; the
/// output is the same byte for byte.
pub fn build_reusing(opts: &BuildOptions, reuse: bool) -> Result<BuildReport, BuildError> {
    let start = Instant::now();
    let root = &opts.root;
    if !root.is_dir() {
        return Err(BuildError::Usage(format!(
            "knowledge base root {} is not a directory",
            root.display()
        )));
    }
    let output_dir = opts.output.clone().unwrap_or_else(|| root.join("public"));
    let content = load::content_dir(root);
    match output::check(&output_dir, root, &content) {
        Ok(()) => {}
        Err(e) => return Err(BuildError::Output(e)),
    }
    let timings = opts.run.timings;
    let mut cache = load::Cache::stored(build_cache::parsed::Parsed::open(root, !reuse));
    let recorded = build_cache::pages::Recorded::open(root, &output_dir, !reuse);
    let keys = OnceLock::new();
    let unchanged = |kb: &Kb, theme: &Theme, today: Date, _: &HashSet<String>| {
        let t = Instant::now();
        let k = build_cache::pages::keys(kb, theme, today);
        let same = k.iter().map(|(p, key)| recorded.same(p, *key)).collect();
        let _ = keys.set(k.into_iter().filter_map(|(p, k)| Some((p, k?))).collect());
        if timings {
            crate::say!(
                "          (incident page keys took {:.3} s)",
                t.elapsed().as_secs_f64()
            );
        }
        Some(same)
    };
    // Made once the content has proved good, so content errors come first.
    let staging = || {
        let s = output::Staging::new(&output_dir).map_err(BuildError::Output)?;
        Ok(build_cache::pages::Reusing::new(
            s,
            &output_dir,
            &recorded,
            &keys,
        ))
    };
    let (mut built, staging) = build_into(
        opts,
        &output_dir,
        Some(&mut cache),
        staging,
        &|| false,
        &unchanged,
        reuse,
    )?
    .expect("a build that is never stopped finishes");
    let mut notes = Vec::new();
    for (what, why) in [
        ("parsed postmortems", cache.unused()),
        ("incident pages", recorded.unused.as_deref()),
    ] {
        if let Some(why) = why {
            notes.push(format!(
                "build cache: the last build's {what} were not used: {why}"
            ));
        }
    }
    if let Some(note) = &built.search_cache.note {
        notes.push(format!("build cache: {note}"));
    }
    if built.search_cache.reused {
        notes.push(format!(
            "build cache: similar incidents and the search export taken from the last build \
             (the same documents and site.toml), {} exported files kept",
            built.search_cache.files_kept
        ));
    }
    if built.index_kept {
        notes.push(
            "search index: kept .kb/index, which holds the same documents (`--clean` writes it again)"
                .to_string(),
        );
    }
    notes.push(format!(
        "build cache: {} postmortems decoded rather than parsed, {} of {} incident pages \
         kept from the last build",
        cache.reused(),
        staging.kept(),
        built.kb.entries.len()
    ));

    if timings {
        crate::say!(
            "{:>8.3} s  swapping in the new output{}",
            start.elapsed().as_secs_f64(),
            memory_note()
        );
    }
    if let Some(p) = &opts.progress {
        p("swapping in the new output");
    }
    let write_start = Instant::now();
    let pages_saved = staging.commit(root);
    // The parsed postmortems were being written since they were read.
    let (saved, took) = cache.saved();
    if timings {
        crate::say!(
            "          (build cache: {:.3} s of CPU making records while reading, {:.3} s \
             writing them beside the build)",
            cache.encoding(),
            took.as_secs_f64()
        );
    }
    let pages_saved = pages_saved.map_err(BuildError::Output)?;
    for (what, r) in [
        ("parsed postmortems", saved),
        ("incident pages", pages_saved),
    ] {
        if let Err(e) = r {
            notes.push(format!(
                "build cache: could not write the {what} to {} ({e}); the next build does all the work",
                build_cache::dir(root).display()
            ));
        }
    }
    if timings {
        crate::say!(
            "{:>8.3} s  done (swap took {:.3} s){}",
            start.elapsed().as_secs_f64(),
            write_start.elapsed().as_secs_f64(),
            memory_note()
        );
    }
    let report = BuildReport {
        incidents: built.kb.entries.len(),
        tags: built.kb.tags.len(),
        services: built.kb.services.len(),
        pages: built.pages,
        elapsed: start.elapsed(),
        output: output_dir,
        diagnostics: std::mem::take(&mut built.diagnostics),
        notes,
        made: Made {
            _kept: Box::new(built),
        },
    };
    Ok(report)
}

/// Each incident's last commit, for "Last updated" (pages only: `kb search` never asks git).
fn stamp_last_commits(root: &Path, kb: &mut Kb) {
    let commits = {
        let paths: Vec<&str> = kb
            .entries
            .iter()
            .map(|e| e.incident.path.as_str())
            .collect();
        crate::content::history::last_commits(root, &paths)
    };
    for e in &mut kb.entries {
        e.incident.last_commit = commits.get(&e.incident.path).copied();
    }
}

/// For `KB_TIMINGS`: the process's resident and peak memory so far, from `/proc` (Linux), so a
/// profile shows which stage holds what.
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let mb = |name: &str| {
        let line = status.lines().find_map(|l| l.strip_prefix(name))?;
        let kb: u64 = line.trim().strip_suffix(" kB")?.trim().parse().ok()?;
        Some(kb >> 10)
    };
    // CPU so far beside the wall clock shows how much of each stage ran on both cores; page
    // faults, how much memory was touched afresh (the kernel zeroes each page: 7-10 % of a
    // build's CPU at 10,000 incidents).
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // The fields after the command's closing parenthesis: minflt is the 8th, utime and
            // stime the 12th and 13th.
            let rest = &stat[stat.rfind(')')? + 2..];
            let mut f = rest.split(' ').skip(7);
            let faults: u64 = f.next()?.parse().ok()?;
            let mut f = f.skip(3);
            let ticks: u64 = f.next()?.parse::<u64>().ok()? + f.next()?.parse::<u64>().ok()?;
            // SAFETY: sysconf only reads a configuration value.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
            (hz > 0).then(|| {
                format!(
                    ", CPU {:.2} s, {}k page faults",
                    ticks as f64 / hz as f64,
                    faults / 1000
                )
            })
        })
        .unwrap_or_default();
    match (mb("VmRSS:"), mb("VmHWM:")) {
        (Some(now), Some(peak)) => format!("  [memory {now} MB, peak {peak} MB{cpu}]"),
        _ => String::new(),
    }
}

/// Given the linked knowledge base, the theme it renders with, the date and the postmortems
/// read again since the last whole render: which incident pages the sink may keep (see
/// [`render::unchanged_incident_pages`]), or None to render them all.
pub type Unchanged<'a> = dyn Fn(&Kb, &Theme, Date, &HashSet<String>) -> Option<Vec<bool>> + 'a;

/// The build without its output handling: reads (through `cache` when given, so unchanged
/// postmortems are not parsed again), links, indexes, and renders every file into the sink
/// `sink` makes, which it returns. Returns None when `stop` said so between stages
/// (`kb serve` has newer changes to show).
pub fn build_into<S: Sink + Sync>(
    opts: &BuildOptions,
    output_dir: &Path,
    cache: Option<&mut load::Cache>,
    sink: impl FnOnce() -> Result<S, BuildError>,
    stop: &dyn Fn() -> bool,
    unchanged: &Unchanged<'_>,
    reuse_index: bool,
) -> Result<Option<(Built, S)>, BuildError> {
    let mut cache = cache;
    let start = Instant::now();
    let root = &opts.root;
    // KB_TIMINGS=1 prints when each stage starts, for profiling builds.
    let timings = opts.run.timings;
    let stage = |s: &str| {
        if timings {
            crate::say!(
                "{:>8.3} s  {s}{}",
                start.elapsed().as_secs_f64(),
                memory_note()
            );
        }
        if let Some(p) = &opts.progress {
            p(s);
        }
    };
    let theme = Theme::load(root).map_err(|d| BuildError::Content(vec![d]))?;
    // Stamped before reading, so an edit made during the build makes the index stale.
    let stamp = store::stamp(root, output_dir, opts.drafts);
    let (mut kb, mut diags) = load_kb_cached(
        root,
        output_dir,
        opts.drafts,
        opts.base_url.as_deref(),
        &opts.run,
        &stage,
        cache.as_deref_mut(),
    )?;
    if diags.iter().any(Diagnostic::is_error) {
        return Err(BuildError::Content(diags));
    }
    if let Some(f) = &opts.on_read {
        f(kb.entries.len());
    }
    stamp_last_commits(root, &mut kb);
    if !opts.keep_sources {
        for e in &mut kb.entries {
            e.incident.front = String::new();
        }
    }
    // Templates are parsed before any work is written, so a theme typo fails fast.
    let tera = render::engine(&kb, &theme).map_err(BuildError::Content)?;
    // Only a build whose postmortems and theme proved good writes the build cache.
    if let Some(c) = cache.as_deref_mut() {
        c.start_saving();
    }
    if stop() {
        return Ok(None);
    }

    stage("indexing for search");
    let IndexWritten {
        index,
        unsaved,
        kept: index_kept,
        digest,
        vocabulary,
    } = write_index(root, &kb, &stamp, reuse_index, true)?;
    // The bodies' readable text was the index's (`Incident::body_text`): 0.3 GB at 100,000.
    for e in &mut kb.entries {
        e.incident.body_text = None;
    }
    if index_kept && timings {
        crate::say!("          (kept the index in .kb/index: the same documents)");
    }
    if let Some(e) = unsaved {
        diags.push(Diagnostic::warning(
            store::dir(root).display().to_string(),
            format!("could not write the search index ({e}); `kb search` will rebuild it"),
        ));
    }
    if stop() {
        return Ok(None);
    }
    stage("finding similar incidents and exporting the search index");
    let sink = sink()?;
    // A build with a cache records them; one that may reuse its work takes them from there.
    let (similar, manifest, search_cache) = similar_and_export(
        root,
        (&index, &kb, &digest, vocabulary),
        &sink,
        cache.is_some() && reuse_index,
        cache.is_some(),
    )?;
    if timings && search_cache.reused {
        crate::say!(
            "          (similar incidents and the search export from the build cache, {} of \
             the exported files kept)",
            search_cache.files_kept
        );
    }
    // Pages never read the index: its mapped files leave memory before rendering (0.4 GB at
    // 100,000 incidents).
    drop(index);
    kb.link_related(&similar);
    drop(similar);
    if stop() {
        return Ok(None);
    }

    stage("rendering pages");
    let today = opts.run.today();
    // With a cache, the pages of incidents whose inputs were not read again may be kept.
    let unchanged = cache.and_then(|c| unchanged(&kb, &theme, today, c.reread()));
    let (pages, across) = match render::render(
        &kb,
        &theme,
        &tera,
        today,
        &sink,
        &manifest,
        unchanged.as_deref(),
        None,
    ) {
        Ok(p) => p,
        Err(render::RenderError::Templates(mut errs)) => {
            errs.extend(diags);
            return Err(BuildError::Content(errs));
        }
        Err(render::RenderError::Output(e)) => return Err(BuildError::Output(e)),
    };
    let built = Built {
        kb,
        today,
        tera,
        theme,
        search: manifest,
        across,
        diagnostics: diags,
        pages,
        index_kept,
        search_cache,
    };
    Ok(Some((built, sink)))
}

/// How a build came by its similar incidents and search export.
#[derive(Default)]
pub struct SearchCache {
    /// Taken from the build cache (the same documents and site.toml as the build that wrote it).
    pub reused: bool,
    /// Exported files kept from the previous output.
    pub files_kept: usize,
    /// Why the record was not used, or could not be written, for `--verbose`.
    pub note: Option<String>,
}

/// Similar incidents and the static search export (its files written into `sink`, the
/// manifest returned). With `read`, a record in the build cache for the same documents and
/// configuration gives both, and the previous output's exported files are kept where they are
/// still the ones that build left; without one they are made, and with `save` recorded.
fn similar_and_export<S: Sink + Sync>(
    root: &Path,
    (index, kb, digest, vocabulary): (&search::Index, &Kb, &str, Option<Vocabulary>),
    sink: &S,
    read: bool,
    save_it: bool,
) -> Result<(Vec<Vec<TextMatch>>, search::export::Manifest, SearchCache), BuildError> {
    use build_cache::search::{Record, key, open, save};
    let export_error = |e| BuildError::Content(vec![Diagnostic::error("search index", e)]);
    // Each exported file is written as it is made (held until the end, they were the export's
    // peak memory), and recorded for the build cache.
    let written = std::sync::Mutex::new(Vec::new());
    let failed = std::sync::Mutex::new(None);
    let emit = |path: String, bytes: Vec<u8>| -> Result<(), String> {
        let hash = build_cache::hash(&bytes);
        match sink.write_hashed(&format!("search/{path}"), &bytes, hash) {
            Ok(()) => {
                let mut w = written.lock().expect("no writer panicked");
                w.push((path, hash, bytes.len()));
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                *failed.lock().expect("no writer panicked") = Some(e);
                Err(message)
            }
        }
    };
    // A write that failed is the error to report, before what the export made of it.
    let write_failure = || match failed.lock().expect("no writer panicked").take() {
        Some(e) => Err(BuildError::Output(e)),
        None => Ok(()),
    };
    let key = key(digest, kb);
    let mut how = SearchCache::default();
    match open(root, key, !read) {
        Ok(record) => {
            let kept: HashSet<&str> = record
                .files
                .par_iter()
                .filter(|(p, hash, len)| sink.keep_hashed(&format!("search/{p}"), *hash, *len))
                .map(|(p, _, _)| p.as_str())
                .collect();
            how.reused = true;
            how.files_kept = kept.len();
            if kept.len() < record.files.len() {
                // Some file of the last output is gone or altered: the same export, written
                // where it was not kept.
                let export = search::export::export(index, kb).map_err(export_error)?;
                let rewritten = export
                    .files
                    .into_par_iter()
                    .filter(|(p, _)| !kept.contains(p.as_str()))
                    .try_for_each(|(p, bytes)| emit(p, bytes));
                write_failure()?;
                rewritten.map_err(export_error)?;
            }
            return Ok((record.similar, record.manifest, how));
        }
        Err(why) => {
            how.note = why.map(|w| format!("the last build's search export was not used: {w}"))
        }
    }
    // The export reads the index, not the related incidents: the two run side by side, each
    // filling the other's single-threaded stretches.
    let (similar, manifest) = rayon::join(
        || {
            let vocab = vocabulary.unwrap_or_else(|| Vocabulary::new(kb));
            search::similar::compute(index, kb, &vocab)
        },
        || search::export::export_to(index, kb, &emit),
    );
    write_failure()?;
    let mut files = written.into_inner().expect("no writer panicked");
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let record = Record {
        similar,
        manifest: manifest.map_err(export_error)?,
        files,
    };
    if save_it && let Err(e) = save(root, key, &record) {
        how.note = Some(format!(
            "could not write the search export to {} ({e})",
            build_cache::dir(root).display()
        ));
    }
    Ok((record.similar, record.manifest, how))
}
