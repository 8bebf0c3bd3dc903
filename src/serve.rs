//! `kb serve`: build, serve the output over HTTP, watch the sources, rebuild on change, and tell
//! open pages to reload (server-sent events). A failed build leaves the last good site in
//! place; its diagnostics go to the terminal and, as an overlay, to every open page.
//!
//! The site is built exactly as `kb build` builds it (into `<root>/.kb/serve`, with the
//! server's address, or `--base-url`, as `base_url`); the live-reload script is added to HTML responses as they
//! are served, so the files on disk stay what a build publishes.
//!
//! Only requests addressed to this server are answered (`guard`), and no client can hold it
//! (`listen`: connection limit and timeouts).

mod guard;
mod listen;
mod watch;

use std::collections::{BTreeSet, VecDeque};
use std::convert::Infallible;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use tokio::sync::broadcast;
use tower_http::services::{ServeDir, ServeFile};

use crate::build::{self, BuildError, BuildOptions};
use crate::content::Incident;
use crate::content::files;
use crate::content::incident::Status;
use crate::content::load;
use crate::diagnostics::Diagnostic;
use crate::kb::Kb;
use crate::output::{self, OutputError};
use crate::render;
use crate::search::served::Marker;

/// Events closer together than this make one rebuild (editors write a file in several steps).
const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often `--poll` looks at the files.
const POLL: Duration = Duration::from_millis(500);

pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub drafts: bool,
    /// Look at the files periodically instead of asking the OS for events (network and
    /// container file systems that send none).
    pub poll: bool,
    /// The address pages are reached at, instead of the listening one (`http://NAME:PORT/`):
    /// the site's base_url, and a host name requests may be addressed to.
    pub base_url: Option<String>,
    /// A connection that sends no complete request head this long after it opened or after
    /// its last response is closed.
    pub header_timeout: Duration,
    /// A connection that takes none of what it is sent for this long is closed.
    pub write_timeout: Duration,
    pub run: crate::config::RunOptions,
}

impl ServeOptions {
    /// The defaults for everything but where.
    pub fn new(root: PathBuf, bind: IpAddr, port: u16) -> ServeOptions {
        ServeOptions {
            root,
            bind,
            port,
            drafts: false,
            poll: false,
            base_url: None,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            run: Default::default(),
        }
    }
}

#[derive(Debug)]
pub enum ServeError {
    /// A bad root or option.
    Usage(String),
    /// The machine said no: the runtime, the port, the root, a watch.
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The preview's folder is not kb's to use.
    Output(OutputError),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Usage(m) | ServeError::Io { what: m, .. } => f.write_str(m),
            ServeError::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Usage(_) => None,
            ServeError::Io { source, .. } => Some(source),
            ServeError::Output(e) => e.source(),
        }
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// What open pages are told.
#[derive(Clone, Debug)]
enum Live {
    /// These pages changed (URL paths such as `/incidents/x/`; `*` is every page).
    Reload(Arc<Vec<String>>),
    /// Only stylesheets changed: pages swap them without reloading.
    Css,
    /// The build failed: the diagnostics, as the terminal shows them (without colour).
    Failed(String),
    /// A whole-site rebuild finished; the output is what `kb build` would write (milliseconds
    /// since the change was noticed).
    Built(u128),
}

struct Shared {
    tx: broadcast::Sender<Live>,
    /// The current build failure, for pages that connect while it lasts.
    failure: Mutex<Option<String>>,
}

/// What is being served, shared by the builder and the thread that shows saves at once.
struct Served {
    /// What the serve directory holds now.
    written: output::Written,
    /// The last good build, to render an edited page into at once.
    last: Option<build::Built>,
    /// Pages rendered at once while a whole-site rebuild ran: that rebuild may have read an
    /// older version, so it leaves them as they are (the save's own rebuild follows).
    touched: std::collections::HashSet<String>,
    /// The saved files last shown at once, as they were then: the debounced batch that names
    /// them again goes straight to the whole-site rebuild.
    shown: std::collections::HashMap<PathBuf, Stamp>,
}

/// A file's size and modification time; None when it cannot be read.
type Stamp = Option<(u64, Option<std::time::SystemTime>)>;

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// Shows saved postmortems at once: renders their pages into the last good site, from
/// whatever thread sees the save, while a whole-site rebuild may be running.
#[derive(Clone)]
struct Quick {
    root: PathBuf,
    out: PathBuf,
    drafts: bool,
    shared: Arc<Shared>,
    served: Arc<Mutex<Served>>,
}

impl Quick {
    /// Shows `changed` if it can, and tells their open pages.
    fn show(&self, changed: &[PathBuf], start: Instant, then: &str) {
        let mut tell = |pages: Vec<String>| {
            if pages.is_empty() {
                return;
            }
            crate::say!(
                "Updated {} in {} ms{then}",
                pages.join(", "),
                start.elapsed().as_millis()
            );
            let _ = self.shared.tx.send(Live::Reload(Arc::new(pages)));
        };
        self.render(changed, &mut tell);
    }

    /// Renders the pages of edited postmortems into the last good site. When the edit leaves
    /// every other page's links as they were (same id, tags, services and links), only their
    /// own pages; otherwise also the pages they appear on ([`regroup`]), those of big tags and
    /// services last. `tell` is given the URL paths written, after each step. None when only
    /// a whole-site rebuild can show the change.
    fn render(&self, changed: &[PathBuf], tell: &mut dyn FnMut(Vec<String>)) -> Option<()> {
        if changed.is_empty() || self.shared.failure.lock().expect("not poisoned").is_some() {
            return None;
        }
        let mut served = self.served.lock().expect("not poisoned");
        let Served {
            written,
            last,
            touched,
            shown,
        } = &mut *served;
        // Each save is shown once: on its own event, or else with the debounced batch.
        let stamps: Vec<(PathBuf, Stamp)> = changed.iter().map(|p| (p.clone(), stamp(p))).collect();
        if stamps.iter().all(|(p, s)| shown.get(p) == Some(s)) {
            return None;
        }
        // Without a last good build there is nothing to render into yet; the batch may have one.
        let last = last.as_mut()?;
        shown.extend(stamps);
        let content = load::content_dir(&self.root);
        let mut edits = Vec::new();
        let mut same_links = true;
        for path in changed {
            // Only postmortems take the instant path.
            files::is_postmortem(path)?;
            let display = load::display_path(&self.root, path);
            let i = last
                .kb
                .entries
                .iter()
                .position(|e| e.incident.path == display)?;
            let (inc, diags) = load::parse_file(&self.root, &content, path, &last.kb.config);
            let mut inc = inc?;
            let old = &last.kb.entries[i].incident;
            let hidden = !self.drafts && inc.status == Status::Draft;
            if diags.iter().any(Diagnostic::is_error) || inc.id != old.id || hidden {
                return None;
            }
            same_links &= own_page_only(&inc, old);
            // git is not asked again for one saved file: its last commit has not changed.
            inc.last_commit = old.last_commit;
            edits.push((i, inc));
        }
        let today = last.kb.config.run.today();
        if !same_links {
            let mut across = last.across.take()?;
            let Some(Regrouped {
                incidents,
                tags,
                services,
                undo,
                spans,
                regrouped,
            }) = regroup(&mut last.kb, &mut across, edits)
            else {
                last.across = Some(across);
                return None;
            };
            let mut only = render::Only {
                incidents,
                tags,
                services,
                across: &across,
                big: false,
                spans,
                regrouped,
            };
            let big = only.tags.iter().any(|t| across.kept("tag", t))
                || only.services.iter().any(|s| across.kept("service", s));
            // The saved pages first, as soon as after an edit that changes nothing else: the
            // pages they appear on take longer, and follow.
            let own: Vec<usize> = undo.iter().map(|(id, _)| last.kb.by_id[id]).collect();
            let mut done = own_pages(
                &self.out,
                written,
                touched,
                &last.kb,
                (&last.theme, &last.tera),
                &own,
            )
            .map(&mut *tell);
            for part in [false, true]
                .into_iter()
                .filter(|p| done.is_some() && (!p || big))
            {
                only.big = part;
                let known = quick_prints(written, &last.kb, &only);
                let Ok(mirror) = output::Mirror::new(&self.out, known) else {
                    done = None;
                    break;
                };
                let rendered = render::render(
                    &last.kb,
                    &last.theme,
                    &last.tera,
                    today,
                    &mirror,
                    &last.search,
                    None,
                    Some(&only),
                );
                if rendered.is_err() {
                    done = None;
                    break;
                }
                tell(commit(written, touched, mirror));
            }
            drop(only);
            // The last build as it was: the whole rebuild compares with it.
            for (id, old) in undo.into_iter().rev() {
                let (moved, _) = last.kb.replace(last.kb.by_id[&id], old);
                across.moved(moved);
            }
            last.across = Some(across);
            return done;
        }
        let which: Vec<usize> = edits.iter().map(|(i, _)| *i).collect();
        for (i, inc) in edits {
            last.kb.entries[i].incident = inc;
        }
        tell(own_pages(
            &self.out,
            written,
            touched,
            &last.kb,
            (&last.theme, &last.tera),
            &which,
        )?);
        Some(())
    }
}

/// Renders incidents `which`' own pages into the served site; the URL paths of those that
/// changed. None when they could not be written.
fn own_pages(
    out: &Path,
    written: &mut output::Written,
    touched: &mut std::collections::HashSet<String>,
    kb: &Kb,
    engine: (&render::theme::Theme, &tera::Tera),
    which: &[usize],
) -> Option<Vec<String>> {
    // The mirror needs to know only these pages' prints, not the whole site's.
    let known = which
        .iter()
        .map(|&i| {
            format!(
                "{}index.html",
                render::views::incident_url(&kb.entries[i].incident.id)
            )
        })
        .filter_map(|path| written.get(&path).map(|print| (path, *print)))
        .collect();
    let mirror = output::Mirror::new(out, known).ok()?;
    render::incident_pages(kb, engine, kb.config.run.today(), &mirror, which).ok()?;
    Some(commit(written, touched, mirror))
}

/// The prints of the files an edit's quick pages may write, for the mirror to compare with
/// (copying the whole site's takes longer than rendering them): the folders of `only`'s
/// incidents, tags and services, the home page, the incident list's pages and the tag and
/// service indexes. A file written that is not among them is only written again.
fn quick_prints(written: &output::Written, kb: &Kb, only: &render::Only) -> output::Written {
    use render::views;
    let mut dirs: std::collections::HashSet<String> = only
        .incidents
        .iter()
        .map(|&i| views::incident_url(&kb.entries[i].incident.id))
        .collect();
    dirs.extend(only.tags.iter().map(|t| views::tag_url(t)));
    dirs.extend(only.services.iter().map(|s| views::service_url(s)));
    let wanted = |path: &str| {
        let second = path.match_indices('/').nth(1).map(|(at, _)| &path[..=at]);
        matches!(
            path,
            "index.html" | "incidents/index.html" | "tags/index.html" | "services/index.html"
        ) || path.starts_with("incidents/page/")
            || second.is_some_and(|d| dirs.contains(d))
    };
    written
        .iter()
        .filter(|(path, _)| wanted(path))
        .map(|(path, print)| (path.clone(), *print))
        .collect()
}

/// Moves what `mirror` holds into the served site (`written`, and `touched`, the pages rendered
/// at once); the URL paths of the pages that changed.
fn commit(
    written: &mut output::Written,
    touched: &mut std::collections::HashSet<String>,
    mirror: output::Mirror,
) -> Vec<String> {
    let Ok((now, files)) = mirror.commit(false, &Default::default()) else {
        return Vec::new();
    };
    written.extend(now);
    touched.extend(files.iter().cloned());
    files.iter().map(|f| page_url(f)).collect()
}

/// Whether an edit can be shown on its own page alone: every other page links as before (same
/// tags, services, links, `related`, `recurrence_of`), and the lists keep their order and
/// severities (same date and severity). Other pages show its new title once the rest is
/// rebuilt.
fn own_page_only(new: &Incident, old: &Incident) -> bool {
    let targets = |i: &Incident| {
        i.body_links
            .iter()
            .map(|l| l.target.clone())
            .collect::<Vec<_>>()
    };
    let ids = |i: &Incident| i.related.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    new.tags == old.tags
        && new.inferred_tags == old.inferred_tags
        && new.services == old.services
        && new.date == old.date
        && new.severity == old.severity
        && targets(new) == targets(old)
        && ids(new) == ids(old)
        && new.recurrence_of.as_ref().map(|r| &r.id) == old.recurrence_of.as_ref().map(|r| &r.id)
}

/// What [`regroup`] found: the incidents, tags and services whose pages show the edits, and
/// what undoes them (id, the incident it replaced).
struct Regrouped {
    incidents: Vec<usize>,
    tags: BTreeSet<String>,
    services: BTreeSet<String>,
    undo: Vec<(String, Incident)>,
    /// Where the edited incident was and is in the order by date; None for several edits at
    /// once (each move shifts the others).
    spans: Option<Vec<(usize, usize)>>,
    /// Tags and services an edit joined or left (`tag/<key>`, `service/<key>`).
    regrouped: BTreeSet<String>,
}

/// Puts `edits` (entry index, postmortem as saved) into the last build's knowledge base,
/// linked again (tags, services, order by date, backlinks), and says which part of the site
/// they show on: their pages and those of the incidents they link to or linked to
/// (backlinks), their old and new tags and services (and the lists). Similar incidents and
/// lesson groups stay the last build's, so these pages are provisional: the whole-site
/// rebuild that follows renders every one of them again. None, with nothing changed, when the
/// edits would fail the build (an unknown `related` id).
fn regroup(
    kb: &mut Kb,
    across: &mut render::Across,
    edits: Vec<(usize, Incident)>,
) -> Option<Regrouped> {
    let known = |id: &str| kb.by_id.contains_key(id);
    let fails = |inc: &Incident| {
        !inc.related
            .iter()
            .chain(&inc.recurrence_of)
            .all(|r| known(&r.id))
    };
    if edits.iter().any(|(_, inc)| fails(inc)) {
        return None;
    }
    let (mut tags, mut services) = (BTreeSet::new(), BTreeSet::new());
    let mut ids = Vec::new();
    let mut undo = Vec::new();
    let mut spans = Vec::new();
    let mut regrouped = BTreeSet::new();
    let groups = |kb: &Kb, i: usize| -> BTreeSet<String> {
        let e = &kb.entries[i];
        let tags = e.tags.iter().map(|t| format!("tag/{}", t.name));
        tags.chain(e.services.iter().map(|s| format!("service/{s}")))
            .collect()
    };
    let mut show = |kb: &Kb, i: usize, ids: &mut Vec<String>| {
        let e = &kb.entries[i];
        tags.extend(e.tags.iter().map(|t| t.name.clone()));
        services.extend(e.services.iter().cloned());
        ids.extend(
            e.resolved_links
                .values()
                .map(|t| kb.entries[*t].incident.id.clone()),
        );
    };
    for (_, inc) in edits {
        let id = inc.id.clone();
        // An earlier edit of the batch may have moved it.
        let i = kb.by_id[&id];
        show(kb, i, &mut ids);
        let before = groups(kb, i);
        let (moved, old) = kb.replace(i, inc);
        across.moved(moved);
        show(kb, moved.to, &mut ids);
        regrouped.extend(before.symmetric_difference(&groups(kb, moved.to)).cloned());
        spans.push((moved.from, moved.to));
        ids.push(id.clone());
        undo.push((id, old));
    }
    let mut incidents: Vec<usize> = ids.iter().map(|id| kb.by_id[id]).collect();
    incidents.sort_unstable();
    incidents.dedup();
    Some(Regrouped {
        incidents,
        tags,
        services,
        undo,
        spans: (spans.len() == 1).then_some(spans),
        regrouped,
    })
}

/// Builds the site into the serve directory; one at a time, from one thread. An edit to a
/// postmortem is shown first by rendering its own page into the last good site (milliseconds),
/// then the whole site is rebuilt as `kb build` would, reading only the files that changed
/// and writing only the files whose bytes changed.
struct Builder {
    root: PathBuf,
    out: PathBuf,
    drafts: bool,
    base_url: String,
    shared: Arc<Shared>,
    /// Set by the watcher when changes wait: a whole-site rebuild then stops between stages
    /// and starts over.
    waiting: Arc<AtomicBool>,
    cache: load::Cache,
    quick: Quick,
    run: crate::config::RunOptions,
    /// Tells `kb search` when the index is fresh (None: another serve has it, or polling).
    marker: Option<Arc<Marker>>,
}

impl Builder {
    fn rebuild(&mut self, changed: &[PathBuf]) {
        let start = Instant::now();
        let what = match changed {
            [] => String::new(),
            [one] => format!(" ({} changed)", self.display(one)),
            many => format!(" ({} files changed)", many.len()),
        };
        if changed.contains(&self.root.join("site.toml")) {
            // Parsing depends on site.toml (aliases, severity levels, …), and every page on
            // it: nothing is kept.
            self.cache.clear();
            self.quick.served.lock().expect("not poisoned").last = None;
        } else {
            self.cache.forget(changed);
        }
        let theme = self.root.join("theme");
        if changed.iter().any(|p| p.starts_with(&theme)) {
            // Every page may look different.
            self.quick.served.lock().expect("not poisoned").last = None;
        }
        self.quick.show(changed, start, "; rebuilding the rest");
        self.full(changed, start, &what);
    }

    /// Whether newer changes are on their way, waiting out one more debounce. An editor that
    /// truncates a file and then writes it (a save in place) can be read in between, as an
    /// empty or cut-off postmortem; its write's events make the next build, which reports what
    /// is still wrong. A real error is shown that much later.
    fn changes_coming(&self) -> bool {
        let until = Instant::now() + 2 * DEBOUNCE;
        while Instant::now() < until {
            if self.waiting.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.waiting.load(Ordering::SeqCst)
    }

    /// Rebuilds the whole site as `kb build` would, writing only what changed.
    fn full(&mut self, changed: &[PathBuf], start: Instant, what: &str) {
        let color = std::io::stderr().is_terminal();
        let failed = |text: String, shown: String| {
            crate::say!("{shown}");
            crate::say!("Build failed{what}; still serving the last good site");
            *self.shared.failure.lock().expect("not poisoned") = Some(text.clone());
            let _ = self.shared.tx.send(Live::Failed(text));
        };
        let opts = BuildOptions {
            root: self.root.clone(),
            output: Some(self.out.clone()),
            drafts: self.drafts,
            base_url: Some(self.base_url.clone()),
            progress: None,
            run: self.run.clone(),
            keep_sources: true,
            on_read: None,
        };
        let changes = self.marker.as_ref().map(|m| m.changes());
        let written = {
            let mut served = self.quick.served.lock().expect("not poisoned");
            served.touched.clear();
            served.written.clone()
        };
        let out = self.out.clone();
        let mirror = move || output::Mirror::new(&out, written).map_err(BuildError::Output);
        let waiting = self.waiting.clone();
        let stop = move || waiting.load(Ordering::SeqCst);
        // Incident pages whose inputs are as in the last good build stay as they are.
        let served = self.quick.served.clone();
        let unchanged = move |kb: &crate::kb::Kb, _: &_, today, reread: &_| {
            let served = served.lock().expect("not poisoned");
            let last = served.last.as_ref().filter(|l| l.today == today)?;
            Some(render::unchanged_incident_pages(&last.kb, kb, reread))
        };
        let result = build::build_into(
            &opts,
            &self.out,
            Some(&mut self.cache),
            mirror,
            &stop,
            &unchanged,
            true,
        );
        let (built, mirror) = match result {
            Ok(Some(done)) => done,
            // Newer changes wait: they make the next build.
            Ok(None) => return,
            Err(BuildError::Content(diags)) => {
                if self.changes_coming() {
                    return;
                }
                let plain: Vec<String> = diags.iter().map(|d| d.render(false)).collect();
                let shown: Vec<String> = diags.iter().map(|d| d.render(color)).collect();
                return failed(plain.join("\n\n"), shown.join("\n\n"));
            }
            Err(e) => {
                let m = crate::error::chain(&e);
                return failed(m.clone(), format!("error: {m}"));
            }
        };
        let mut served = self.quick.served.lock().expect("not poisoned");
        let files = match mirror.commit(true, &served.touched) {
            Ok((mut written, files)) => {
                for t in &served.touched {
                    if let Some(print) = served.written.get(t) {
                        written.insert(t.clone(), *print);
                    }
                }
                served.written = written;
                self.cache.rendered();
                files
            }
            Err(e) => {
                drop(served);
                let m = crate::error::chain(&e);
                return failed(m.clone(), format!("error: {m}"));
            }
        };
        for d in &built.diagnostics {
            crate::say!("{}\n", d.render(color));
        }
        crate::say!(
            "Rebuilt {} in {} ms{what}, {} changed",
            crate::diagnostics::count(built.kb.entries.len(), "incident"),
            start.elapsed().as_millis(),
            crate::diagnostics::count(files.len(), "file")
        );
        served.last = Some(built);
        drop(served);
        if let (Some(m), Some(n)) = (&self.marker, changes) {
            m.built(n);
        }
        let was_failing = self
            .shared
            .failure
            .lock()
            .expect("not poisoned")
            .take()
            .is_some();
        if let Some(live) = tell(&files, was_failing, changed.is_empty()) {
            let _ = self.shared.tx.send(live);
        }
        let _ = self
            .shared
            .tx
            .send(Live::Built(start.elapsed().as_millis()));
    }

    fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    /// Rebuilds on every batch of changes; changes that arrive during a build wait in the
    /// channel and make the next one.
    fn run(mut self, rx: mpsc::Receiver<Vec<PathBuf>>) {
        while let Ok(mut changed) = rx.recv() {
            while let Ok(more) = rx.try_recv() {
                changed.extend(more);
            }
            // Cleared after draining: the flag is set before each send, so while it is set a
            // batch waits in the channel.
            self.waiting.store(false, Ordering::SeqCst);
            changed.sort();
            changed.dedup();
            self.rebuild(&changed);
        }
    }
}

impl Quick {
    /// Shows each save as it comes, while the builder may be busy with a whole-site rebuild.
    fn run(self, rx: mpsc::Receiver<PathBuf>) {
        while let Ok(first) = rx.recv() {
            let start = Instant::now();
            let mut saved: Vec<PathBuf> = std::iter::once(first).chain(rx.try_iter()).collect();
            saved.sort();
            saved.dedup();
            self.show(&saved, start, "");
        }
    }
}

/// What open pages are told after a whole-site rebuild changed `files` (output paths): only
/// stylesheets → swap them; pages → those reload; anything else a page loads (scripts,
/// images), a cleared failure, or the first build → every page reloads.
fn tell(files: &[String], was_failing: bool, first: bool) -> Option<Live> {
    if was_failing || first {
        return Some(Live::Reload(Arc::new(vec!["*".into()])));
    }
    if files.is_empty() {
        return None;
    }
    if files.iter().all(|f| f.ends_with(".css")) {
        return Some(Live::Css);
    }
    // Data files are fetched when used (search shards, feeds, JSON), never by an open page.
    let data = |f: &str| {
        f.starts_with("search/") && !f.ends_with(".js")
            || f.ends_with(".json")
            || f.ends_with(".xml")
            || f == output::MARKER
    };
    if files.iter().any(|f| !f.ends_with(".html") && !data(f)) {
        return Some(Live::Reload(Arc::new(vec!["*".into()])));
    }
    let pages: Vec<String> = files
        .iter()
        .filter(|f| f.ends_with(".html"))
        .map(|f| page_url(f))
        .collect();
    (!pages.is_empty()).then(|| Live::Reload(Arc::new(pages)))
}

/// The URL path a browser shows for an output file: `incidents/x/index.html` → `/incidents/x/`.
fn page_url(file: &str) -> String {
    format!("/{}", file.strip_suffix("index.html").unwrap_or(file))
}

/// The files an earlier session left in the serve directory, known by their bytes: served
/// until the first build replaces them, removed then if the site no longer has them. The first
/// build writes only the files that differ and keeps the search export it would make again
/// ([`output::Sink::keep_hashed`]).
fn left_over(out: &Path) -> output::Written {
    use rayon::prelude::*;
    let files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(out)
                .ok()?
                .to_str()?
                .replace('\\', "/");
            (rel != output::MARKER).then(|| (rel, e.into_path()))
        })
        .collect();
    files
        .into_par_iter()
        .map(|(rel, path)| {
            // One that cannot be read gets a print that never matches: it is written again.
            let print = std::fs::read(&path).map_or((0, usize::MAX), |b| output::fingerprint(&b));
            (rel, print)
        })
        .collect()
}

/// Serves until Ctrl-C. `ready` is told the address once the first build is done and the
/// port is open.
pub fn serve(opts: ServeOptions, ready: impl FnOnce(&str)) -> Result<(), ServeError> {
    if !opts.root.is_dir() {
        return Err(ServeError::Usage(format!(
            "knowledge base root {} is not a directory",
            opts.root.display()
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(io("cannot start the server"))?;
    let base_url = opts.base_url.as_deref().map(parse_base_url).transpose()?;
    // Watch events name absolute paths: compare them with an absolute root.
    let root = std::fs::canonicalize(&opts.root)
        .map_err(io(format!("cannot read {}", opts.root.display())))?;
    let result = rt.block_on(async move {
        let addr = SocketAddr::new(opts.bind, opts.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => ServeError::Usage(format!(
                    "port {} is already in use on {}; stop the other server or choose another port with --port",
                    opts.port, opts.bind
                )),
                _ => io(format!("cannot listen on {addr}"))(e),
            })?;
        let addr = listener
            .local_addr()
            .map_err(io("cannot read the listening address"))?;
        let url = format!("http://{addr}/");
        let out = root.join(".kb").join("serve");
        let (tx, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            tx,
            failure: Mutex::new(None),
        });
        output::check(&out, &root, &load::content_dir(&root)).map_err(ServeError::Output)?;
        let waiting = Arc::new(AtomicBool::new(false));
        // Polling sees a save only at its next poll: no promise of freshness to make then.
        let marker = (!opts.poll)
            .then(|| Marker::acquire(&root, opts.drafts))
            .flatten()
            .map(Arc::new);
        let mut builder = Builder {
            root: root.clone(),
            out: out.clone(),
            drafts: opts.drafts,
            base_url: opts.base_url.clone().unwrap_or_else(|| url.clone()),
            shared: shared.clone(),
            waiting: waiting.clone(),
            // The first build decodes what `kb build` parsed and left in `.kb/build/`.
            cache: load::Cache::seeded(crate::build_cache::parsed::Parsed::open(&root, false)),
            run: opts.run.clone(),
            marker: marker.clone(),
            quick: Quick {
                root: root.clone(),
                out: out.clone(),
                drafts: opts.drafts,
                shared: shared.clone(),
                served: Arc::new(Mutex::new(Served {
                    written: left_over(&out),
                    last: None,
                    touched: Default::default(),
                    shown: Default::default(),
                })),
            },
        };
        let builder = tokio::task::spawn_blocking(move || {
            builder.rebuild(&[]);
            builder
        })
        .await
        .map_err(|e| ServeError::Usage(format!("the first build stopped: {e}")))?;
        let (ctx, crx) = mpsc::channel();
        let (stx, srx) = mpsc::channel();
        let watching = watch::watch(&root, opts.poll, ctx, waiting, stx, marker.clone())
            .map_err(ServeError::Usage)?;
        if let Some(m) = marker {
            m.verify(&root, &out);
        }
        let quick = builder.quick.clone();
        std::thread::spawn(move || quick.run(srx));
        std::thread::spawn(move || builder.run(crx));

        let files = ServeDir::new(&out).not_found_service(ServeFile::new(out.join("404.html")));
        let real_out = Arc::new(std::fs::canonicalize(&out).unwrap_or(out.clone()));
        let app = Router::new()
            .route("/__kb/events", get(events))
            .route("/__kb/live.js", get(live_js))
            .fallback_service(files)
            .layer(axum::middleware::from_fn_with_state(real_out, inside))
            .layer(axum::middleware::map_response(inject))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(guard::Hosts::new(opts.bind, base_url.as_ref())),
                guard::guard,
            ))
            .with_state(shared);
        let limits = listen::Limits {
            header_timeout: opts.header_timeout,
            write_timeout: opts.write_timeout,
            max: listen::max_connections(),
        };
        ready(&url);
        let server = tokio::spawn(listen::serve(listener, app, limits));
        let _ = tokio::signal::ctrl_c().await;
        server.abort();
        drop(watching);
        Ok(())
    });
    // Open event streams would otherwise keep the runtime waiting.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

/// `--base-url`, checked: an http(s) URL with a host.
fn parse_base_url(text: &str) -> Result<axum::http::Uri, ServeError> {
    text.parse::<axum::http::Uri>()
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some())
        .ok_or_else(|| {
            ServeError::Usage(format!(
                "--base-url {text:?} is not an http:// or https:// URL with a host name"
            ))
        })
}

/// The script every served HTML page gets: reload on `reload`, swap stylesheets on `css`,
/// an overlay with the diagnostics on `failed`.
const LIVE_JS: &str = include_str!("serve/live.js");

async fn live_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        LIVE_JS,
    )
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.tx.subscribe();
    let mut pending: VecDeque<Event> = VecDeque::new();
    pending.push_back(Event::default().event("hello").data("kb"));
    if let Some(f) = shared.failure.lock().expect("not poisoned").clone() {
        pending.push_back(Event::default().event("failed").data(f));
    }
    let stream = futures_util::stream::unfold((pending, rx), |(mut pending, mut rx)| async move {
        if let Some(e) = pending.pop_front() {
            return Some((Ok(e), (pending, rx)));
        }
        let event = match rx.recv().await {
            Ok(Live::Reload(pages)) => Event::default()
                .event("reload")
                .data(serde_json::to_string(&*pages).expect("strings serialize")),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                Event::default().event("reload").data("[\"*\"]")
            }
            Ok(Live::Built(ms)) => Event::default().event("built").data(ms.to_string()),
            Ok(Live::Css) => Event::default().event("css").data("1"),
            Ok(Live::Failed(text)) => Event::default().event("failed").data(text),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), (pending, rx)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Refuses a request whose file, once symbolic links are followed, lies outside the output
/// (ServeDir follows links; kb writes none, but a hand-made one must not leak files).
async fn inside(
    State(out): State<Arc<PathBuf>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response<Body> {
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    let mut file = out.join(path.trim_start_matches('/'));
    if file.is_dir() {
        file.push("index.html");
    }
    match file.canonicalize() {
        Ok(real) if !real.starts_with(&*out) => {
            let page = std::fs::read(out.join("404.html")).unwrap_or_default();
            let mut res = Response::new(Body::from(page));
            *res.status_mut() = axum::http::StatusCode::NOT_FOUND;
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        _ => next.run(req).await,
    }
}

/// Adds the live-reload script to HTML responses (never to the files on disk).
async fn inject(res: Response<Body>) -> Response<Body> {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let tag = b"<script src=\"/__kb/live.js\"></script>";
    let at = bytes
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(bytes.len());
    let mut out = Vec::with_capacity(bytes.len() + tag.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(tag);
    out.extend_from_slice(&bytes[at..]);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(out))
}
