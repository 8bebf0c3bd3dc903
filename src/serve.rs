//! `kb serve`: build, serve the output over HTTP, watch the sources, rebuild on change, and tell
//! open pages to reload (server-sent events). A failed build leaves the last good site in
//! place; its diagnostics go to the terminal and, as an overlay, to every open page.
//!
//! The site is built exactly as `kb build` builds it (into `<root>/.kb/serve`, with the
//! server's address as `base_url`); the live-reload script is added to HTML responses as they
//! are served, so the files on disk stay what a build publishes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, NoCache, new_debouncer, new_debouncer_opt};
use tokio::sync::broadcast;
use tower_http::services::{ServeDir, ServeFile};

use crate::build::{self, BuildError, BuildOptions};
use crate::content::load;

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
}

pub enum ServeError {
    /// Bad root, port in use, and the like: exit 2.
    Usage(String),
}

/// What open pages are told.
#[derive(Clone, Debug)]
enum Live {
    Reload,
    /// Only stylesheets changed: pages swap them without reloading.
    Css,
    /// The build failed: the diagnostics, as the terminal shows them (without colour).
    Failed(String),
}

struct Shared {
    tx: broadcast::Sender<Live>,
    /// The current build failure, for pages that connect while it lasts.
    failure: Mutex<Option<String>>,
}

/// Builds the site into the serve directory; one at a time, from one thread.
struct Builder {
    root: PathBuf,
    out: PathBuf,
    drafts: bool,
    base_url: String,
    shared: Arc<Shared>,
}

impl Builder {
    fn build(&self, changed: &[PathBuf]) {
        let start = Instant::now();
        let result = build::build(&BuildOptions {
            root: self.root.clone(),
            output: Some(self.out.clone()),
            drafts: self.drafts,
            base_url: Some(self.base_url.clone()),
            progress: None,
        });
        let color = std::io::stderr().is_terminal();
        let what = match changed {
            [] => String::new(),
            [one] => format!(" ({} changed)", self.display(one)),
            many => format!(" ({} files changed)", many.len()),
        };
        let failed = |text: String, shown: String| {
            eprintln!("{shown}");
            eprintln!("Build failed{what}; still serving the last good site");
            *self.shared.failure.lock().expect("not poisoned") = Some(text.clone());
            let _ = self.shared.tx.send(Live::Failed(text));
        };
        match result {
            Ok(report) => {
                for d in &report.diagnostics {
                    eprintln!("{}\n", d.render(color));
                }
                eprintln!(
                    "Rebuilt {} incidents in {} ms{what}",
                    report.incidents,
                    start.elapsed().as_millis()
                );
                let was_failing = self
                    .shared
                    .failure
                    .lock()
                    .expect("not poisoned")
                    .take()
                    .is_some();
                let css_only = !changed.is_empty()
                    && changed
                        .iter()
                        .all(|p| p.extension().is_some_and(|e| e == "css"));
                let _ = self.shared.tx.send(if css_only && !was_failing {
                    Live::Css
                } else {
                    Live::Reload
                });
            }
            Err(BuildError::Content(diags)) => {
                let plain: Vec<String> = diags.iter().map(|d| d.render(false)).collect();
                let shown: Vec<String> = diags.iter().map(|d| d.render(color)).collect();
                failed(plain.join("\n\n"), shown.join("\n\n"));
            }
            Err(BuildError::Usage(m)) => failed(m.clone(), format!("error: {m}")),
        }
    }

    fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    /// Rebuilds on every batch of changes; changes that arrive during a build wait in the
    /// channel and make the next one.
    fn run(self, rx: mpsc::Receiver<Vec<PathBuf>>) {
        while let Ok(mut changed) = rx.recv() {
            while let Ok(more) = rx.try_recv() {
                changed.extend(more);
            }
            changed.sort();
            changed.dedup();
            self.build(&changed);
        }
    }
}

/// Files editors write next to the real one while saving (swap, backup and temp files).
fn editor_temp(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name == "4913"
        || [
            ".swp",
            ".swx",
            ".swo",
            ".tmp",
            ".crswap",
            ".kate-swp",
            ".bak",
        ]
        .iter()
        .any(|s| name.ends_with(s))
        || name.contains("___jb_tmp___")
        || name.contains("___jb_old___")
}

/// Whether a changed path can change the site: a postmortem, a theme file, site.toml.
fn relevant(root: &Path, content: &Path, path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if editor_temp(name) {
        return false;
    }
    if path == root.join("site.toml") {
        return true;
    }
    if path.starts_with(root.join("theme")) {
        return true;
    }
    let skipped = load::skip_dirs(root, &root.join("public"));
    if skipped.iter().any(|s| path.starts_with(s)) {
        return false;
    }
    // A directory (a folder of postmortems renamed or deleted) or a Markdown file.
    path.starts_with(content)
        && (path
            .extension()
            .is_none_or(|e| e == "md" || e == "markdown")
            || path.is_dir())
}

type Native = notify_debouncer_full::Debouncer<
    notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;
type Polling = notify_debouncer_full::Debouncer<notify::PollWatcher, NoCache>;

/// Either watcher kind, held (never read) for as long as the server runs: dropping it stops
/// the watching.
enum Watching {
    Native { _debouncer: Native },
    Poll { _debouncer: Polling },
}

fn watch(root: &Path, poll: bool, tx: mpsc::Sender<Vec<PathBuf>>) -> Result<Watching, String> {
    let content = load::content_dir(root);
    let (r, c) = (root.to_path_buf(), content.clone());
    let handler = move |res: DebounceEventResult| {
        let Ok(events) = res else { return };
        let mut changed: Vec<PathBuf> = events
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Access(_)))
            .flat_map(|e| e.paths.iter())
            .filter(|p| relevant(&r, &c, p))
            .cloned()
            .collect();
        changed.dedup();
        if !changed.is_empty() {
            let _ = tx.send(changed);
        }
    };
    // Directories, not files: an atomic save replaces the file, and a watch on the old inode
    // would go quiet.
    let mut dirs = vec![(root.to_path_buf(), RecursiveMode::NonRecursive)];
    if content != root {
        dirs.push((content, RecursiveMode::Recursive));
        let theme = root.join("theme");
        if theme.is_dir() {
            dirs.push((theme, RecursiveMode::Recursive));
        }
    } else {
        // No content/: the root holds the postmortems (and the theme, and the output, which
        // `relevant` leaves out).
        dirs[0].1 = RecursiveMode::Recursive;
    }
    let err = |e: notify::Error| format!("cannot watch {}: {e}", root.display());
    if poll {
        let mut d = new_debouncer_opt::<_, notify::PollWatcher, NoCache>(
            DEBOUNCE,
            None,
            handler,
            NoCache::new(),
            notify::Config::default().with_poll_interval(POLL),
        )
        .map_err(err)?;
        for (dir, mode) in dirs {
            d.watch(&dir, mode).map_err(err)?;
        }
        Ok(Watching::Poll { _debouncer: d })
    } else {
        let mut d = new_debouncer(DEBOUNCE, None, handler).map_err(err)?;
        for (dir, mode) in dirs {
            d.watch(&dir, mode).map_err(err)?;
        }
        Ok(Watching::Native { _debouncer: d })
    }
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
        .map_err(|e| ServeError::Usage(format!("cannot start the server: {e}")))?;
    // Watch events name absolute paths: compare them with an absolute root.
    let root = std::fs::canonicalize(&opts.root)
        .map_err(|e| ServeError::Usage(format!("cannot read {}: {e}", opts.root.display())))?;
    let result = rt.block_on(async move {
        let addr = SocketAddr::new(opts.bind, opts.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => ServeError::Usage(format!(
                    "port {} is already in use on {}; stop the other server or choose another port with --port",
                    opts.port, opts.bind
                )),
                _ => ServeError::Usage(format!("cannot listen on {addr}: {e}")),
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Usage(e.to_string()))?;
        let url = format!("http://{addr}/");
        let out = root.join(".kb").join("serve");
        let (tx, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            tx,
            failure: Mutex::new(None),
        });
        let builder = Builder {
            root: root.clone(),
            out: out.clone(),
            drafts: opts.drafts,
            base_url: url.clone(),
            shared: shared.clone(),
        };
        let builder = tokio::task::spawn_blocking(move || {
            builder.build(&[]);
            builder
        })
        .await
        .map_err(|e| ServeError::Usage(e.to_string()))?;
        let (ctx, crx) = mpsc::channel();
        let watching = watch(&root, opts.poll, ctx).map_err(ServeError::Usage)?;
        std::thread::spawn(move || builder.run(crx));

        let files = ServeDir::new(&out).not_found_service(ServeFile::new(out.join("404.html")));
        let app = Router::new()
            .route("/__kb/events", get(events))
            .route("/__kb/live.js", get(live_js))
            .fallback_service(files)
            .layer(axum::middleware::map_response(inject))
            .with_state(shared);
        ready(&url);
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let _ = tokio::signal::ctrl_c().await;
        server.abort();
        drop(watching);
        Ok(())
    });
    // Open event streams would otherwise keep the runtime waiting.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
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
            Ok(Live::Reload) | Err(broadcast::error::RecvError::Lagged(_)) => {
                Event::default().event("reload").data("1")
            }
            Ok(Live::Css) => Event::default().event("css").data("1"),
            Ok(Live::Failed(text)) => Event::default().event("failed").data(text),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), (pending, rx)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_are_ignored_and_sources_are_not() {
        let root = Path::new("/kb");
        let content = Path::new("/kb/content");
        for p in [
            "/kb/content/2024/.a.md.swp",
            "/kb/content/a.md~",
            "/kb/content/4913",
            "/kb/content/a.md___jb_tmp___",
            "/kb/content/.#a.md",
            "/kb/content/notes.txt",
            "/kb/.kb/serve/index.html",
            "/kb/public/index.html",
        ] {
            assert!(!relevant(root, content, Path::new(p)), "{p}");
        }
        for p in [
            "/kb/content/2024/a.md",
            "/kb/site.toml",
            "/kb/theme/static/style.css",
            "/kb/theme/templates/base.html",
        ] {
            assert!(relevant(root, content, Path::new(p)), "{p}");
        }
    }
}
