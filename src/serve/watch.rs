//! Watching the sources for `kb serve`: which changed paths matter, and the OS (or polling)
//! watches that report them, debounced. A watched folder made or replaced while the server
//! runs (`theme/` added by a checkout, say) is watched again from then on.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, NoCache, RecommendedCache, new_debouncer_opt};

use super::{DEBOUNCE, POLL};
use crate::content::files;
use crate::content::load;
use crate::search::served::Marker;

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
    // Under content/: a postmortem, a folder of them, or an attachment one may show.
    path.starts_with(content)
}

type Native = notify_debouncer_full::Debouncer<
    notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;
type Polling = notify_debouncer_full::Debouncer<notify::PollWatcher, NoCache>;

/// Either watcher kind.
enum Watchers {
    Native {
        debouncer: Native,
        saves: Option<notify::RecommendedWatcher>,
    },
    Poll {
        debouncer: Polling,
    },
}

impl Watchers {
    /// Watches `dir` (again: a folder removed and made anew has lost its watch).
    fn add(&mut self, dir: &Path, content: &Path) {
        let res = match self {
            Watchers::Native { debouncer, saves } => debouncer
                .watch(dir, RecursiveMode::Recursive)
                .and_then(|()| match saves {
                    Some(w) if dir == content => {
                        notify::Watcher::watch(w, dir, RecursiveMode::Recursive)
                    }
                    _ => Ok(()),
                }),
            Watchers::Poll { debouncer } => debouncer.watch(dir, RecursiveMode::Recursive),
        };
        if let Err(e) = res {
            crate::say!(
                "note: {} is not watched; restart kb serve to see its changes ({e})",
                dir.display()
            );
        }
    }
}

/// The watchers, held for as long as the server runs: dropping it stops the watching.
pub(super) struct Watching {
    _watchers: Arc<Mutex<Option<Watchers>>>,
}

/// Watches the sources: debounced batches of changes go to `tx` (setting `waiting` first);
/// finished saves of postmortems go to `saves` at once (native events only).
pub(super) fn watch(
    root: &Path,
    poll: bool,
    tx: mpsc::Sender<Vec<PathBuf>>,
    waiting: Arc<AtomicBool>,
    saves: mpsc::Sender<PathBuf>,
    marker: Option<Arc<Marker>>,
) -> Result<Watching, String> {
    let content = load::content_dir(root);
    let (r, c) = (root.to_path_buf(), content.clone());
    let m = marker.clone();
    // A write closed or a file renamed into place is a finished save: its page is shown
    // at once, without waiting out the debounce (which still rebuilds the rest).
    let early = move |res: notify::Result<notify::Event>| {
        use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
        let Ok(e) = res else { return };
        // Any change, at once: a search no longer trusts the index (`search::served`).
        if let Some(m) = &m
            && !matches!(e.kind, EventKind::Access(_))
            && e.paths.iter().any(|p| relevant(&r, &c, p))
        {
            m.changed();
        }
        let saved = matches!(
            e.kind,
            EventKind::Access(AccessKind::Close(AccessMode::Write))
                | EventKind::Modify(ModifyKind::Name(RenameMode::To))
        );
        if let Some(p) = e
            .paths
            .first()
            .filter(|p| saved && files::is_postmortem(p).is_some() && relevant(&r, &c, p))
        {
            let _ = saves.send(p.clone());
        }
    };
    let watchers: Arc<Mutex<Option<Watchers>>> = Arc::default();
    let (r, c) = (root.to_path_buf(), content.clone());
    // Folders watched on their own besides the root: when one is made (or made anew) while
    // the server runs, the root's watch reports it, and it is watched from then on.
    let own = if content != root {
        vec![content.clone(), root.join("theme")]
    } else {
        Vec::new()
    };
    let later: Weak<Mutex<Option<Watchers>>> = Arc::downgrade(&watchers);
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
        for dir in own.iter().filter(|d| changed.contains(d) && d.is_dir()) {
            if let Some(w) = later.upgrade()
                && let Some(w) = w.lock().unwrap().as_mut()
            {
                w.add(dir, &c);
            }
        }
        if !changed.is_empty() {
            if let Some(m) = &marker {
                m.changed();
            }
            waiting.store(true, Ordering::SeqCst);
            let _ = tx.send(changed);
        }
    };
    // Directories, not files: an atomic save replaces the file, and a watch on the old inode
    // would go quiet.
    let mut dirs = vec![(root.to_path_buf(), RecursiveMode::NonRecursive)];
    if content != root {
        dirs.push((content.clone(), RecursiveMode::Recursive));
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
    // Links are not followed: one leading out of the knowledge base is never read.
    let no_links = notify::Config::default().with_follow_symlinks(false);
    if poll {
        let mut d = new_debouncer_opt::<_, notify::PollWatcher, NoCache>(
            DEBOUNCE,
            None,
            handler,
            NoCache::new(),
            notify::Config::default()
                .with_poll_interval(POLL)
                .with_follow_symlinks(false),
        )
        .map_err(err)?;
        for (dir, mode) in dirs {
            d.watch(&dir, mode).map_err(err)?;
        }
        *watchers.lock().unwrap() = Some(Watchers::Poll { debouncer: d });
    } else {
        let mut d = new_debouncer_opt::<_, notify::RecommendedWatcher, RecommendedCache>(
            DEBOUNCE,
            None,
            handler,
            RecommendedCache::new(),
            no_links,
        )
        .map_err(err)?;
        for (dir, mode) in dirs {
            d.watch(&dir, mode).map_err(err)?;
        }
        // Without it (the system's watch limit reached, say) saves wait for the debounce.
        let saves = <notify::RecommendedWatcher as notify::Watcher>::new(early, no_links).and_then(
            |mut w| {
                notify::Watcher::watch(&mut w, &content, RecursiveMode::Recursive)?;
                // site.toml, for the search's marker.
                if content != root {
                    notify::Watcher::watch(&mut w, root, RecursiveMode::NonRecursive)?;
                }
                Ok(w)
            },
        );
        if let Err(e) = &saves {
            crate::say!("note: saves are shown after the debounce only ({e})");
        }
        *watchers.lock().unwrap() = Some(Watchers::Native {
            debouncer: d,
            saves: saves.ok(),
        });
    }
    Ok(Watching {
        _watchers: watchers,
    })
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
            "/kb/.kb/serve/index.html",
            "/kb/public/index.html",
        ] {
            assert!(!relevant(root, content, Path::new(p)), "{p}");
        }
        for p in [
            "/kb/content/2024/a.md",
            "/kb/content/Login Outage.MD",
            "/kb/content/old/notes.Markdown",
            "/kb/content/blog/001.txt",
            "/kb/content/2024/assets/graph.png",
            "/kb/site.toml",
            "/kb/theme/static/style.css",
            "/kb/theme/templates/base.html",
        ] {
            assert!(relevant(root, content, Path::new(p)), "{p}");
        }
    }
}
