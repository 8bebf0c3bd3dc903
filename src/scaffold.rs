//! `kb init` (a new knowledge base) and `kb new` (a new postmortem from a template). Both
//! write only files that do not exist yet: they refuse, before writing anything, when one does.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Serialize;

use crate::config::Config;
use crate::diagnostics::did_you_mean;
use crate::kb::taxonomy::Taxonomy;

const SITE_TOML: &str = include_str!("scaffold/site.toml");
const GITIGNORE: &str = include_str!("scaffold/gitignore");
const EXAMPLE: &str = include_str!("scaffold/example.md");
/// `kb new`'s template unless site.toml names another: SCHEMA.md's sections, with prompts.
pub const POSTMORTEM: &str = include_str!("scaffold/postmortem.md");

const EXAMPLE_PATH: &str = "content/2024/2024-03-07-example-config-push-503s.md";

/// A refused or failed scaffold: what went wrong, for the user (exit 2: nothing was written,
/// or the request itself is wrong).
#[derive(Debug)]
pub struct ScaffoldError(pub String);

fn io(path: &Path, e: std::io::Error) -> ScaffoldError {
    ScaffoldError(format!("cannot write {}: {e}", path.display()))
}

/// Writes `files` under `dir`, or nothing at all when one of them exists already.
fn write_new(dir: &Path, files: &[(&str, &str)]) -> Result<Vec<PathBuf>, ScaffoldError> {
    let existing: Vec<String> = files
        .iter()
        .filter(|(rel, _)| dir.join(rel).exists())
        .map(|(rel, _)| dir.join(rel).display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(ScaffoldError(format!(
            "{} already exist{}; kb never overwrites files, so nothing was written",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        // create_new: a file appearing since the check above is still not overwritten.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// `kb init DIR`: site.toml with every option, one worked example, a .gitignore.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, ScaffoldError> {
    if dir.exists() && !dir.is_dir() {
        return Err(ScaffoldError(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    write_new(
        dir,
        &[
            ("site.toml", SITE_TOML),
            (".gitignore", GITIGNORE),
            (EXAMPLE_PATH, EXAMPLE),
        ],
    )
}

/// What `kb new` is asked for.
pub struct NewPostmortem {
    pub title: String,
    pub date: Date,
    pub severity: Option<String>,
    pub tags: Vec<String>,
    pub services: Vec<String>,
}

#[derive(Serialize)]
struct TemplateVars<'a> {
    title: &'a str,
    /// The title as a YAML double-quoted scalar (JSON's string syntax is valid YAML), safe to
    /// write after `title: ` whatever it contains.
    title_yaml: String,
    id: String,
    date: String,
    year: i16,
    severity: Option<String>,
    tags: Vec<String>,
    services: Vec<String>,
}

/// `kb new`: `content/YYYY/YYYY-MM-DD-<slug>.md` from the template; returns its path.
pub fn new_postmortem(root: &Path, req: &NewPostmortem) -> Result<PathBuf, ScaffoldError> {
    if !root.is_dir() {
        return Err(ScaffoldError(format!(
            "knowledge base root {} is not a directory (create one with `kb init`)",
            root.display()
        )));
    }
    let title = req.title.trim();
    if title.is_empty() {
        return Err(ScaffoldError("the title is empty".into()));
    }
    let slug = slug::slugify(title);
    if slug.is_empty() {
        return Err(ScaffoldError(format!(
            "the title {title:?} has no letter or digit to name the file after; give it a few words"
        )));
    }
    let config = Config::load(root).map_err(|d| ScaffoldError(d.render(false)))?;
    let severity = match &req.severity {
        None => None,
        Some(s) => {
            let levels = &config.severity.levels;
            match levels.iter().find(|l| l.eq_ignore_ascii_case(s)) {
                Some(l) => Some(l.clone()),
                None => {
                    let hint = did_you_mean(s, levels.iter().map(String::as_str))
                        .map(|d| format!("did you mean `{d}`? "))
                        .unwrap_or_default();
                    return Err(ScaffoldError(format!(
                        "`{s}` is not a severity level of this knowledge base; {hint}levels are {}",
                        levels.join(", ")
                    )));
                }
            }
        }
    };
    // Tags as kb will read them: normalised, aliases mapped to their canonical tag.
    let taxonomy = Taxonomy::new(&config);
    let tags = distinct(req.tags.iter().map(|t| taxonomy.canonical(t)));
    let services = distinct(req.services.iter().map(|s| s.trim().to_string()));
    let slug: String = slug.chars().take(60).collect::<String>();
    let slug = slug.trim_end_matches('-');
    // The file's stem, so the id is unique per day and survives a rename of the file.
    let id = format!("{}-{slug}", req.date);
    let vars = TemplateVars {
        title,
        title_yaml: serde_json::to_string(title).expect("a string serializes"),
        id: id.clone(),
        date: req.date.to_string(),
        year: req.date.year(),
        severity,
        tags,
        services,
    };
    let (template, origin) = match &config.new.template {
        Some(rel) => {
            let path = root.join(rel);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ScaffoldError(format!(
                    "cannot read the template site.toml names ({}): {e}",
                    path.display()
                ))
            })?;
            (text, rel.clone())
        }
        None => (POSTMORTEM.to_string(), "(built-in)".into()),
    };
    let mut tera = tera::Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.add_raw_template("postmortem", &template)
        .map_err(|e| ScaffoldError(format!("the template {origin} has an error: {e}")))?;
    let text = tera
        .render(
            "postmortem",
            &tera::Context::from_serialize(&vars).expect("vars serialize"),
        )
        .map_err(|e| ScaffoldError(format!("the template {origin} has an error: {e}")))?;
    let rel = format!("content/{}/{id}.md", req.date.year());
    let written = write_new(root, &[(rel.as_str(), text.as_str())])?;
    Ok(written.into_iter().next().expect("one file"))
}

/// The non-empty values, each once, in the order given (`--tags a,b,a` is `[a, b]`).
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keeps_the_first_of_each() {
        let v = ["a", "b", "", "a", "c", "b"].map(String::from);
        assert_eq!(distinct(v.into_iter()), ["a", "b", "c"]);
    }
}
