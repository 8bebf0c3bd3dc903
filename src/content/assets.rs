//! Images and attachments beside a postmortem (`assets/graph.png`, a screenshot in the same
//! folder, `../images/x.png`): which links name one, where it is on disk, and where it goes in
//! the output, beside the incident's page, so the page shows it (also under a sub-path and
//! from disk).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::incident::{Asset, AssetRef};
use super::{allowlist, files, find};
use crate::diagnostics::{Bounded, Diagnostic};

/// The path part of a link that names a file of the knowledge base other than a postmortem:
/// relative, without scheme, not only an anchor or a query.
pub fn attachment(url: &str) -> Option<&str> {
    if url.starts_with('/') || url.starts_with('#') || allowlist::url_scheme(url).is_some() {
        return None;
    }
    let path = url.split(['#', '?']).next()?;
    let postmortem = files::is_postmortem(path).is_some() && !files::in_attachment_folder(path);
    (!path.is_empty() && !postmortem).then_some(path)
}

/// `written`'s segments with `.` dropped and `x/..` folded; `..` that climb stay.
fn segments(written: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in written.split('/') {
        match s {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out
}

/// Where an attachment goes under its incident's page folder, as a URL relative to the page:
/// the link's own path, with each `..` that climbs above the postmortem's folder written
/// `_up`, so `assets/graph.png` stays as written and `../images/x.png` becomes
/// `_up/images/x.png`.
pub fn out_url(written: &str) -> String {
    segments(written)
        .iter()
        .map(|s| if *s == ".." { "_up" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Finds each attachment of the postmortem at `path` on disk. A missing file, or one outside
/// the knowledge base, is an error at the link (`broken-image`, `broken-attachment`).
pub fn resolve(
    root: &Path,
    path: &Path,
    display: &str,
    text: &str,
    refs: &[AssetRef],
) -> (Vec<Asset>, Vec<Diagnostic>) {
    let mut assets: Vec<Asset> = Vec::new();
    let mut diags = Vec::new();
    // The first problems in full, the rest counted (20,000 missing images took 5 s).
    let mut bounded = Bounded::default();
    let mut outs: HashSet<String> = HashSet::new();
    let dir = path.parent().unwrap_or(root);
    let root_depth = dir
        .strip_prefix(root)
        .map_or(0, |rel| rel.components().count());
    for r in refs {
        let decoded = percent_encoding::percent_decode_str(&r.written).decode_utf8_lossy();
        let parts = segments(&decoded);
        let climbs = parts.iter().take_while(|s| **s == "..").count();
        let file: PathBuf = parts.iter().fold(dir.to_path_buf(), |p, s| p.join(s));
        let (code, what) = if r.image {
            ("broken-image", "image")
        } else {
            ("broken-attachment", "attachment")
        };
        let problem = if climbs > root_depth {
            Some("is outside the knowledge base".to_string())
        } else if let Err(d) = find::inside(root, &file) {
            Some(d.message)
        } else if !file.is_file() {
            Some("does not exist".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            if !bounded.show(1, true) {
                continue;
            }
            diags.push(
                Diagnostic::error(
                    display,
                    format!("the {what} `{}` {problem}", allowlist::visible(&r.written)),
                )
                .at(text, r.line, r.col, r.written.len())
                .with_code(code)
                .with_hint("put the file beside the postmortem (e.g. in `assets/`) and link to it relative to it, or remove the link"),
            );
            continue;
        }
        let out = out_url(&r.written);
        if outs.insert(out.clone()) {
            assets.push(Asset {
                written: r.written.clone(),
                out,
                file,
            });
        }
    }
    diags.extend(bounded.rest(display, "missing images and attachments"));
    (assets, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_and_where_they_go() {
        assert_eq!(attachment("assets/graph.png"), Some("assets/graph.png"));
        assert_eq!(attachment("shot.png#x"), Some("shot.png"));
        assert_eq!(attachment("assets/errors.txt"), Some("assets/errors.txt"));
        for not in [
            "https://e.com/a.png",
            "/abs.png",
            "#top",
            "other.md",
            "x.MD#a",
            "mailto:a@b",
        ] {
            assert_eq!(attachment(not), None, "{not}");
        }
        assert_eq!(out_url("assets/graph.png"), "assets/graph.png");
        assert_eq!(out_url("./a/../b.png"), "b.png");
        assert_eq!(
            out_url("../../assets/images/x.png"),
            "_up/_up/assets/images/x.png"
        );
    }
}
