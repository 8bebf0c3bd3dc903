//! Which files are postmortems: the walk of `content/`, and symbolic links. A link is followed
//! only while it stays inside the knowledge base root: CI checkouts keep tokens in
//! `.git/config`, and a link to `/tmp` would be walked whole, so a link that leads out is an
//! error and nothing behind it is read, not even a folder listing.

use std::fs;
use std::path::{Path, PathBuf};

use super::files;
use super::load::{display_path, is_skipped, left_out, walk};
use crate::diagnostics::Diagnostic;

/// What [`find`] found: the postmortems to read, and the problems on the way.
pub struct Found {
    /// As reached (through links, not resolved), in walk order.
    pub paths: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The root with every link resolved: what "inside the knowledge base" means.
pub fn real_root(root: &Path) -> Option<PathBuf> {
    fs::canonicalize(root).ok()
}

/// Where `path` really is, when that is outside `real_root` (None when it is inside, or
/// cannot be resolved: reading it then reports why).
pub fn leaves(real_root: &Path, path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path)
        .ok()
        .filter(|target| !target.starts_with(real_root))
}

/// The error for a link that leads out of the knowledge base.
pub fn outside(display: &str, target: &Path) -> Diagnostic {
    Diagnostic::error(
        display,
        format!(
            "{display} is a symbolic link to {}, outside the knowledge base; kb does not read it",
            target.display()
        ),
    )
    .with_hint("copy the file into the knowledge base, or remove the link")
}

/// An error when `path` (site.toml, the theme folder) is a link that leads out of `root`.
pub fn inside(root: &Path, path: &Path) -> Result<(), Diagnostic> {
    let Some(real) = real_root(root) else {
        return Ok(());
    };
    match leaves(&real, path) {
        Some(target) => Err(outside(&display_path(root, path), &target)),
        None => Ok(()),
    }
}

/// Every postmortem under `content`, following links that stay inside `root`.
pub fn find(root: &Path, content: &Path, skip: &[PathBuf]) -> Found {
    let mut f = Finder {
        root,
        content,
        real_root: real_root(root).unwrap_or_else(|| root.to_path_buf()),
        skip,
        found: Found {
            paths: Vec::new(),
            diagnostics: Vec::new(),
        },
        entered: Vec::new(),
    };
    if let Some(target) = leaves(&f.real_root, content) {
        f.found
            .diagnostics
            .push(outside(&display_path(root, content), &target));
        return f.found;
    }
    f.walk(content, 0);
    f.found
}

struct Finder<'a> {
    root: &'a Path,
    content: &'a Path,
    real_root: PathBuf,
    skip: &'a [PathBuf],
    found: Found,
    /// Folders being walked through links (resolved): entering one again is a loop.
    entered: Vec<PathBuf>,
}

impl Finder<'_> {
    /// Walks `dir`, whose entries are `depth` below `content/` at its own depth 0.
    fn walk(&mut self, dir: &Path, depth: usize) {
        for entry in walk(dir, self.skip) {
            match entry {
                // The folder itself (a link, when reached through one).
                Ok(e) if e.depth() == 0 => {}
                Ok(e) if e.path_is_symlink() => self.link(e.path(), depth + e.depth()),
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) if e.file_type().is_file() => self.file(e.path(), depth + e.depth()),
                Ok(e) => self.not_regular(e.path()),
                Err(err) => {
                    let path = err
                        .path()
                        .map(|p| display_path(self.root, p))
                        .unwrap_or_default();
                    let msg = format!(
                        "cannot read: {}",
                        err.io_error().map_or(err.to_string(), |e| e.to_string())
                    );
                    self.link_error(path, msg);
                }
            }
        }
    }

    /// A symbolic link: refused when it leads out of the root, else taken as what it points
    /// to (a folder is walked, unless that would loop).
    fn link(&mut self, path: &Path, depth: usize) {
        let display = display_path(self.root, path);
        let target = match fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) => return self.link_error(display, format!("cannot read: {e}")),
        };
        if !target.starts_with(&self.real_root) {
            self.found.diagnostics.push(outside(&display, &target));
            return;
        }
        let Ok(meta) = fs::metadata(&target) else {
            return self.link_error(display, "cannot read: the link's target went away".into());
        };
        if meta.is_file() {
            return self.file(path, depth);
        }
        if !meta.is_dir() {
            return self.not_regular(path);
        }
        // A linked folder is left out by the rules for folders (`_drafts`, the output).
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if left_out(&name, true) || is_skipped(&target, self.skip) {
            return;
        }
        let inside_target = path
            .parent()
            .and_then(|p| fs::canonicalize(p).ok())
            .is_some_and(|p| p.starts_with(&target));
        if inside_target || self.entered.contains(&target) {
            return self.link_error(display, "symbolic link loop; skipped".into());
        }
        self.entered.push(target);
        self.walk(path, depth);
        self.entered.pop();
    }

    fn link_error(&mut self, display: String, msg: String) {
        self.found
            .diagnostics
            .push(Diagnostic::error(display, msg).with_hint(
            "fix or remove the link; kb follows symbolic links that stay inside the knowledge base",
        ));
    }

    /// A FIFO would block the build forever; sockets and devices are not text.
    fn not_regular(&mut self, path: &Path) {
        if files::is_postmortem(path.file_name().unwrap_or_default()).is_some() {
            self.found.diagnostics.push(
                Diagnostic::error(
                    display_path(self.root, path),
                    "not a regular file (a FIFO, socket or device); skipped",
                )
                .with_hint("postmortems are plain files; remove it from content/"),
            );
        }
    }

    /// A file: a postmortem, or skipped (with a warning when it may be a mistake).
    fn file(&mut self, path: &Path, depth: usize) {
        let display = display_path(self.root, path);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let lower = name.to_ascii_lowercase();
        // Attachments (a log in `assets/`) are copied when linked, never read as incidents.
        let attachment = path
            .strip_prefix(self.content)
            .is_ok_and(files::in_attachment_folder);
        if name.starts_with('_') || attachment {
            return;
        }
        let Some(kind) = files::is_postmortem(path.file_name().unwrap_or_default()) else {
            if files::may_be_a_postmortem(path) && !(depth == 1 && is_repo_file(&name)) {
                self.found.diagnostics.push(
                    Diagnostic::warning(display, "not a Markdown file; skipped").with_hint(
                        "postmortems are `.md`, `.markdown` or `.txt` files; rename it to end in `.md` to include it",
                    ),
                );
            }
            return;
        };
        // `LICENSE.txt` beside the postmortems is the repository's, not an incident.
        let repo_text = kind == files::Kind::PlainText && depth == 1 && is_repo_file(&name);
        if files::stem(&name).eq_ignore_ascii_case("readme") || repo_text {
            return;
        }
        if lower.contains("template") {
            self.found.diagnostics.push(
                Diagnostic::warning(display, "looks like a postmortem template; skipped")
                    .with_hint("rename it to start with `_` to silence this warning, or remove `template` from its name to publish it"),
            );
            return;
        }
        self.found.paths.push(path.to_path_buf());
    }
}

fn is_repo_file(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "LICENSE",
        "LICENCE",
        "COPYING",
        "NOTICE",
        "CODEOWNERS",
        "SITE.TOML",
    ]
    .iter()
    .any(|n| upper == *n || upper.starts_with(&format!("{n}.")))
}
