//! The user docs state behaviour; these tests hold them to it: every `kb` command line shown
//! in docs/ and the README parses with the real CLI, and docs/theming.md documents every
//! template the theme ships.

mod common;

use std::fs;
use std::process::Command;

use common::repo;

/// `kb …` lines from the fenced code blocks of a Markdown file.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            continue;
        }
        let t = t.trim_start_matches("$ ").trim_start_matches("- run: ");
        if let Some(rest) = t.strip_prefix("kb ") {
            // Up to a comment, a pipe, a redirect or a `&&`.
            let cut = [" #", " |", " >", " &&", " 2>"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
            out.push(rest[..cut].trim().to_string());
        }
    }
    out
}

/// Shell-like words: double or single quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

#[test]
fn every_documented_command_line_parses() {
    let mut files = vec![repo().join("README.md")];
    for e in fs::read_dir(repo().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut checked = 0;
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        // A scripted edit gone wrong repeats text: no long line may appear three times.
        let mut seen = std::collections::HashMap::new();
        for line in text.lines().filter(|l| l.len() > 60) {
            let n = seen.entry(line).or_insert(0);
            *n += 1;
            assert!(*n < 3, "{}: repeated line: {line}", file.display());
        }
        for cmd in commands(&text) {
            let mut args = words(&cmd);
            // Parse only: `--help` after the arguments makes clap validate them and stop.
            args.push("--help".into());
            let out = Command::new(env!("CARGO_BIN_EXE_kb"))
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: `kb {cmd}` does not parse: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} command lines found");
}

#[test]
fn theming_documents_every_template() {
    let doc = fs::read_to_string(repo().join("docs/theming.md")).unwrap();
    for e in fs::read_dir(repo().join("theme/templates")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            doc.contains(&name),
            "docs/theming.md does not mention {name}"
        );
    }
    // And every component of macros.html.
    let macros = fs::read_to_string(repo().join("theme/templates/macros.html")).unwrap();
    for line in macros.lines() {
        if let Some(rest) = line.strip_prefix("{% component ") {
            let name = rest.split('(').next().unwrap();
            assert!(
                doc.contains(name),
                "docs/theming.md does not document the {name} component"
            );
        }
    }
}

/// The repository's tracked files, from git (none when git or the history is missing).
fn tracked_files() -> Vec<std::path::PathBuf> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo())
        .output();
    match out {
        Ok(o) if o.status.success() => o
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| repo().join(String::from_utf8_lossy(p).as_ref()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A fresh clone has only what is committed: no file names a path of a developer's machine
/// (a home, /root, the workplace's checkout), which would not exist anywhere else.
#[test]
fn no_file_names_a_path_of_a_developers_machine() {
    let files = tracked_files();
    if files.is_empty() {
        eprintln!("skipped: not a git checkout");
        return;
    }
    let mut found = Vec::new();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue; // binary
        };
        for (n, line) in text.lines().enumerate() {
            // Spelled out at run time, so this file does not match itself.
            for bad in ["work", "root", "home", "Users"].map(|d| format!("/{d}/")) {
                if line.contains(&bad) {
                    found.push(format!("{}:{}: {line}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "machine paths:\n{}", found.join("\n"));
}

/// Every relative link in the README and docs/ points at a file a clone has.
#[test]
fn links_in_the_docs_point_inside_the_repository() {
    let mut docs = vec![repo().join("README.md")];
    for e in walkdir::WalkDir::new(repo().join("docs")) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "md") {
            docs.push(e.path().to_path_buf());
        }
    }
    let root = repo().canonicalize().unwrap();
    let mut broken = Vec::new();
    for doc in docs {
        let text = fs::read_to_string(&doc).unwrap();
        let parser = link_targets(&text);
        for url in parser {
            if url.contains("://") || url.starts_with('#') || url.starts_with("mailto:") {
                continue;
            }
            let path = url.split('#').next().unwrap();
            let target = doc.parent().unwrap().join(path);
            let inside = target.canonicalize().is_ok_and(|t| t.starts_with(&root));
            if !inside {
                broken.push(format!("{}: {url}", doc.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links outside a clone:\n{}",
        broken.join("\n")
    );
}

/// The link and image targets of a Markdown text.
fn link_targets(text: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(text)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

/// The library reads no environment variable: the binary reads them once and passes them in
/// (`RunOptions`), so a library user or a test decides every setting.
#[test]
fn only_the_binary_reads_the_environment() {
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(repo().join("src")) {
        let e = e.unwrap();
        let p = e.path();
        if p.extension().is_none_or(|x| x != "rs") || p.ends_with("src/main.rs") {
            continue;
        }
        let text = fs::read_to_string(p).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("env::var") {
                found.push(format!("{}:{}: {}", p.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the library reads the environment:\n{}",
        found.join("\n")
    );
}
