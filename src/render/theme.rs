//! The theme: templates and static files embedded in the binary, each replaceable by a file of
//! the same name in the knowledge base's `theme/` folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tera::Tera;
use walkdir::WalkDir;

use crate::diagnostics::Diagnostic;
use crate::output::Page;

/// `(name, text)` of each file `name` under the folder `dir` (relative to this file).
macro_rules! included {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!($dir, $name)))),*]
    };
}

/// The default theme, compiled in so `kb` works anywhere without a theme folder.
pub const EMBEDDED: &[(&str, &str)] = included!["../../theme/":
    "templates/base.html",
    "templates/index.html",
    "templates/incident.html",
    "templates/incidents.html",
    "templates/tags.html",
    "templates/tag.html",
    "templates/services.html",
    "templates/service.html",
    "templates/404.html",
    "templates/search.html",
    "templates/macros.html",
    "templates/lessons.html",
    "templates/action-items.html",
    "templates/action-items-closed.html",
    "templates/action-items-open.html",
    "templates/group-page.html",
    "templates/insights.html",
    "templates/atom.xml",
    "templates/sitemap.xml",
    "static/style.css",
    "static/js/stem.js",
    "static/js/search.js",
    "static/js/search-page.js",
    "static/js/search-start.js",
    "static/js/highlight.js",
    "static/js/list.js",
    "static/js/site.js",
];

/// esbuild's minified copies of the embedded scripts and stylesheet (`src/render/minified/`,
/// made by `tests/browser/minify.mjs`), served in place of a file the knowledge base's theme
/// leaves as built in: the search page's inline engine is 20 KB gzipped as written, 12 KB
/// minified. A file the theme changes is served as written.
const MINIFIED: &[(&str, &str)] = included!["minified/":
    "static/style.css",
    "static/js/stem.js",
    "static/js/search.js",
    "static/js/search-page.js",
    "static/js/search-start.js",
    "static/js/highlight.js",
    "static/js/list.js",
    "static/js/site.js",
];

/// The theme file `rel` as the site gets it: the minified copy, without its header line, when
/// `bytes` is the embedded file; else `bytes`.
fn served<'a>(rel: &str, bytes: &'a [u8]) -> &'a [u8] {
    let minified = || {
        let (_, min) = MINIFIED.iter().find(|(n, _)| *n == rel)?;
        let (_, source) = EMBEDDED.iter().find(|(n, _)| *n == rel)?;
        let code = min.split_once('\n').map_or(*min, |(_, code)| code);
        (source.as_bytes() == bytes).then_some(code.as_bytes())
    };
    minified().unwrap_or(bytes)
}

pub struct Theme {
    /// Relative path (`templates/x.html`, `static/y.css`) → (contents, where it came from).
    files: BTreeMap<String, (Vec<u8>, String)>,
}

impl Theme {
    /// The embedded theme with the files of `<root>/theme/` laid over it.
    pub fn load(root: &Path) -> Result<Theme, Diagnostic> {
        let mut files: BTreeMap<String, (Vec<u8>, String)> = EMBEDDED
            .iter()
            .map(|(name, text)| {
                (
                    name.to_string(),
                    (text.as_bytes().to_vec(), format!("(embedded) {name}")),
                )
            })
            .collect();
        let dir = root.join("theme");
        crate::content::find::inside(root, &dir)?;
        if dir.is_dir() {
            for entry in WalkDir::new(&dir).sort_by_file_name() {
                let entry = entry.map_err(|e| {
                    Diagnostic::error("theme", format!("cannot read the theme folder: {e}"))
                })?;
                if !entry.file_type().is_file()
                    || entry.file_name().to_string_lossy().starts_with('.')
                {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(&dir)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                let bytes = std::fs::read(entry.path()).map_err(|e| {
                    Diagnostic::error(
                        display(root, entry.path()),
                        format!("cannot read theme file: {e}"),
                    )
                })?;
                files.insert(rel, (bytes, display(root, entry.path())));
            }
        }
        Ok(Theme { files })
    }

    /// Whether any template's text has `word`: `detail.body_html` is made only for themes that
    /// print it (the built-in one shows the body as `blocks`).
    pub fn templates_name(&self, word: &str) -> bool {
        self.files.iter().any(|(rel, (bytes, _))| {
            rel.starts_with("templates/") && memchr::memmem::find(bytes, word.as_bytes()).is_some()
        })
    }

    /// A Tera environment with every template of the theme.
    pub fn tera(&self) -> Result<Tera, Vec<Diagnostic>> {
        let mut tera = Tera::new();
        // kb's own filters, known before the templates that use them are read.
        tera.register_filter("with_root", super::with_root);
        tera.register_filter("safe", safe);
        let mut templates = Vec::new();
        let mut errors = Vec::new();
        for (rel, (bytes, origin)) in &self.files {
            let Some(name) = rel.strip_prefix("templates/") else {
                continue;
            };
            match std::str::from_utf8(bytes) {
                Ok(text) => templates.push((name.to_string(), text.to_string())),
                Err(_) => errors.push(Diagnostic::error(
                    origin.clone(),
                    "template is not valid UTF-8",
                )),
            }
        }
        if let Err(e) = tera.add_raw_templates(templates) {
            errors.push(template_error("theme", &e, Some(self)));
        }
        if errors.is_empty() {
            Ok(tera)
        } else {
            Err(errors)
        }
    }

    /// Every file of the theme (templates and static), by relative path: what a page may be
    /// made from.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(k, (b, _))| (k.as_str(), b.as_slice()))
    }

    /// The theme's static scripts `names` (paths under `static/`), one after the other, to
    /// put inside a `<script>` element ([`inline_script`]).
    pub fn inline_script(&self, names: &[&str]) -> String {
        let mut out = String::new();
        for name in names {
            let rel = format!("static/{name}");
            if let Some((bytes, _)) = self.files.get(&rel) {
                let bytes = served(&rel, bytes);
                out.push_str(&inline_script(&String::from_utf8_lossy(bytes)));
                out.push('\n');
            }
        }
        out
    }

    /// Files of `static/`, copied to the site root (minified where built in).
    pub fn static_files(&self) -> impl Iterator<Item = Page> + '_ {
        self.files.iter().filter_map(|(rel, (bytes, _))| {
            Some(Page {
                path: rel.strip_prefix("static/")?.to_string(),
                bytes: served(rel, bytes).to_vec(),
            })
        })
    }
}

fn display(root: &Path, p: &Path) -> String {
    let rel: PathBuf = p.strip_prefix(root).unwrap_or(p).to_path_buf();
    rel.to_string_lossy().replace('\\', "/")
}

/// Tera's `safe`, without a copy: the same string marked safe, where Tera's copies it (the
/// rendered body of every incident page, and every card a list prints).
fn safe(value: tera::Value, _: tera::Kwargs, _: &tera::State) -> tera::Value {
    if value.is_string() {
        value.mark_safe()
    } else {
        tera::Value::safe_string(&value.to_string())
    }
}

/// A Tera error as a diagnostic at the template file, line and column Tera names (its
/// `--> name:line:col`), with the snippet from the theme's file when `theme` is given. Without a
/// location, it is reported against `template`.
pub fn template_error(template: &str, e: &tera::Error, theme: Option<&Theme>) -> Diagnostic {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(&format!("\n{s}"));
        source = s.source();
    }
    let hint = "fix the template, or delete it from theme/ to use the built-in one";
    let Some((name, line, col)) = tera_location(&msg) else {
        return Diagnostic::error(
            format!("theme/templates/{template}"),
            format!("template error: {msg}"),
        )
        .with_hint(hint);
    };
    let file = theme.and_then(|t| t.files.get(&format!("templates/{name}")));
    let origin = file.map_or_else(|| format!("theme/templates/{name}"), |f| f.1.clone());
    // Tera's own snippet gives way to ours (the same line, under the file's real path).
    let text: Vec<&str> = msg
        .lines()
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("--> ")
                || t.starts_with('|')
                || t.split_once(" |")
                    .is_some_and(|(n, _)| n.trim().parse::<usize>().is_ok()))
        })
        .collect();
    let d = Diagnostic::error(origin, format!("template error: {}", text.join(" ").trim()))
        .with_hint(hint);
    // As long as Tera's own marker (`^^^^`), at least one character.
    let len = msg
        .lines()
        .find(|l| l.contains('|') && l.contains('^'))
        .map_or(1, |l| l.matches('^').count().max(1));
    match file.and_then(|f| std::str::from_utf8(&f.0).ok()) {
        Some(source) => d.at(source, line, col, len),
        None => Diagnostic { line, col, ..d },
    }
}

/// The first `--> name:line:col` in a Tera error message.
fn tera_location(msg: &str) -> Option<(String, usize, usize)> {
    let at = msg
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = at.trim().rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), line, col))
}

/// A script made safe inside a `<script>` element: `</script` (any case) and `<!--` can only be
/// in a string, a regex or a comment of JavaScript, and there `<\/script` and `<\x21--` mean
/// the same (in a regex too, `u` flag or not), while the HTML parser stays in the script.
pub fn inline_script(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut rest = js;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        if rest.len() >= 7 && rest.as_bytes()[..7].eq_ignore_ascii_case(b"/script") {
            out.push('\\');
        } else if rest.starts_with("!--") {
            out.push_str("\\x21");
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{EMBEDDED, MINIFIED};

    /// kb's `safe` prints what Tera's does, for every kind of value, escaped or not.
    #[test]
    fn safe_prints_what_teras_does() {
        let template = "{{ v | safe }}|{{ v | safe | upper }}|{% if v | safe == v %}eq{% endif %}";
        let mut ours = tera::Tera::new();
        ours.register_filter("safe", super::safe);
        let mut theirs = tera::Tera::new();
        for t in [&mut ours, &mut theirs] {
            t.add_raw_template("t.html", template).unwrap();
            t.add_raw_template("t.txt", template).unwrap();
        }
        let values = [
            tera::Value::from("<b>bold</b> & more than twenty-one bytes"),
            tera::Value::from("<i>"),
            tera::Value::safe_string("<i>already safe</i>"),
            tera::Value::from(""),
            tera::Value::from(42),
            tera::Value::from(2.5),
            tera::Value::from(true),
            tera::Value::from(vec![tera::Value::from("<a>"), tera::Value::from(1)]),
            tera::Value::from(None::<String>),
        ];
        for v in values {
            let mut ctx = tera::Context::new();
            ctx.insert_value("v", v.clone());
            for name in ["t.html", "t.txt"] {
                assert_eq!(
                    ours.render(name, &ctx).unwrap(),
                    theirs.render(name, &ctx).unwrap(),
                    "{v:?} in {name}"
                );
            }
        }
    }

    /// A source edited since its minified copy was made would be served as the old code.
    #[test]
    fn minified_copies_are_of_the_embedded_sources() {
        for (name, min) in MINIFIED {
            let (_, source) = EMBEDDED.iter().find(|(n, _)| n == name).unwrap();
            let mut crc = flate2::Crc::new();
            crc.update(source.as_bytes());
            let header = min.lines().next().unwrap();
            assert!(
                header.contains(&format!("theme/{name}, crc32 {:08x};", crc.sum())),
                "src/render/minified/{name} was made from another theme/{name}: run `npm --prefix tests/browser run minify`"
            );
        }
        // Every built-in script and stylesheet has its copy.
        for (name, _) in EMBEDDED {
            if name.ends_with(".js") || name.ends_with(".css") {
                assert!(
                    MINIFIED.iter().any(|(n, _)| n == name),
                    "{name} has no minified copy"
                );
            }
        }
    }

    #[test]
    fn a_theme_file_that_differs_is_served_as_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("theme/static/js")).unwrap();
        std::fs::write(dir.join("theme/static/js/list.js"), "// mine\nlist();\n").unwrap();
        let theme = super::Theme::load(dir).unwrap();
        let file = |p: &str| {
            theme
                .static_files()
                .find(|f| f.path == p)
                .map(|f| String::from_utf8(f.bytes).unwrap())
                .unwrap()
        };
        assert_eq!(file("js/list.js"), "// mine\nlist();\n");
        let built_in = file("js/highlight.js");
        assert!(
            !built_in.starts_with("/* kb:") && built_in.len() < 4000,
            "{built_in}"
        );
        assert!(theme.inline_script(&["js/search-start.js"]).len() < 1000);
    }

    #[test]
    fn inline_scripts_cannot_close_their_element() {
        let js = r#"a = "</script><script>x"; b = /<\/SCRIPT/; // <!-- c
d = 1 < 2 && "<p>";"#;
        let safe = super::inline_script(js);
        assert_eq!(
            safe,
            r#"a = "<\/script><script>x"; b = /<\/SCRIPT/; // <\x21-- c
d = 1 < 2 && "<p>";"#
        );
        assert!(!safe.to_ascii_lowercase().contains("</script"));
        assert!(!safe.contains("<!--"));
    }
}
