//! Which files are postmortems, and how their text is read: by extension, case ignored.

use std::path::Path;

/// The file that marks a folder as kb's own output (or temporary folder): never content,
/// wherever `--output` put it.
pub const OUTPUT_MARKER: &str = ".kb-output";

/// How a postmortem's text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    /// Read for structure and turned into Markdown ([`super::plaintext`]).
    PlainText,
}

/// Extensions of postmortem files, lowercase, with how each is read.
const EXTENSIONS: &[(&str, Kind)] = &[
    ("md", Kind::Markdown),
    ("markdown", Kind::Markdown),
    ("txt", Kind::PlainText),
];

/// The kind of postmortem a file name or path is, `None` when it is not one
/// (`Outage.MD` and `notes.Markdown` are; `notes.rst` and a name without extension are not).
pub fn is_postmortem(path: impl AsRef<Path>) -> Option<Kind> {
    let ext = path.as_ref().extension()?.to_str()?;
    EXTENSIONS
        .iter()
        .find(|(e, _)| ext.eq_ignore_ascii_case(e))
        .map(|(_, k)| *k)
}

/// Folders that hold a postmortem's attachments: a `.txt` or `.md` in one is a log or a note
/// that belongs to a postmortem, not a postmortem of its own.
const ATTACHMENT_FOLDERS: &[&str] = &[
    "assets",
    "attachments",
    "files",
    "images",
    "img",
    "media",
    "static",
];

/// Whether `path` (relative, `/` separated or a path) lies in an attachment folder.
pub fn in_attachment_folder(path: impl AsRef<Path>) -> bool {
    let path = path.as_ref();
    path.parent().is_some_and(|dir| {
        dir.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            ATTACHMENT_FOLDERS.iter().any(|f| c.eq_ignore_ascii_case(f))
        })
    })
}

/// Whether a file kb does not read may be a postmortem in another format, worth a warning
/// (no extension, or a document format); anything else under content/ is an attachment
/// (an image, a log, a PDF), copied when a postmortem links to it.
pub fn may_be_a_postmortem(path: impl AsRef<Path>) -> bool {
    const DOCUMENTS: &[&str] = &[
        "rst", "adoc", "asciidoc", "org", "html", "htm", "docx", "doc", "odt", "rtf", "wiki",
        "textile", "mdx",
    ];
    match path.as_ref().extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) => DOCUMENTS.iter().any(|d| ext.eq_ignore_ascii_case(d)),
    }
}

/// The file name without a postmortem extension, any case: `Login Outage.MD` → `Login Outage`.
/// Other names are returned whole.
pub fn stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() && is_postmortem(name).is_some() => stem,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_compared_without_case() {
        assert_eq!(is_postmortem("a.md"), Some(Kind::Markdown));
        assert_eq!(is_postmortem("dir/Login Outage.MD"), Some(Kind::Markdown));
        assert_eq!(is_postmortem("a.Markdown"), Some(Kind::Markdown));
        assert_eq!(is_postmortem("001_x.TXT"), Some(Kind::PlainText));
        assert_eq!(is_postmortem("a.rst"), None);
        assert_eq!(is_postmortem("PM2022-009 - Bad AWS EKS AMI"), None);
        assert_eq!(is_postmortem(".md"), None);
        assert!(in_attachment_folder("2024/assets/errors.txt"));
        assert!(in_attachment_folder("../Images/notes.md"));
        assert!(!in_attachment_folder("2024/assets.md"));
        assert!(!in_attachment_folder("2024/db.txt"));
    }

    #[test]
    fn stems_lose_only_a_postmortem_extension() {
        assert_eq!(stem("Login Outage.MD"), "Login Outage");
        assert_eq!(stem("notes.markdown"), "notes");
        assert_eq!(stem("001_b2.txt"), "001_b2");
        assert_eq!(stem("v1.2 rollout"), "v1.2 rollout");
        assert_eq!(stem("readme"), "readme");
    }
}
