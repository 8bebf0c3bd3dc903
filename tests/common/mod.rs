//! Helpers shared by the integration tests: the repository's folders, copies of knowledge
//! bases, and `kb search --json` through the real binary.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub mod list_kb;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A corpus of real postmortems in the workspace beside the repository
/// (`../shared/corpora/<name>`), which a clone alone does not have. Absent, the test says, by
/// name and past the test harness's capture, that it skipped what needs the corpus, and goes
/// on without it; with `KB_REQUIRE_CORPORA` set (as `.ci/run` does) its absence is a failure.
pub fn corpus(name: &str, test: &str) -> Option<PathBuf> {
    let p = repo().join("../shared/corpora").join(name);
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var_os("KB_REQUIRE_CORPORA").is_none(),
        "KB_REQUIRE_CORPORA is set but the corpus is not at {}",
        p.display()
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test}: needs ../shared/corpora/{name}, which a clone alone does not have"
    );
    None
}

/// The DFDS postmortems: old write-ups without frontmatter, beside the repository.
pub fn dfds(test: &str) -> Option<PathBuf> {
    corpus("dfds-postmortems", test)
}

/// Every file under `dir` with its bytes: a snapshot to compare before and after a run.
pub fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), fs::read(e.path()).unwrap()))
        .collect()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The example knowledge base (content/ and site.toml) copied to `to`, so the index cache is
/// written outside the repository.
pub fn copy_example(to: &Path) {
    copy_dir(&repo().join("content"), &to.join("content"));
    fs::copy(repo().join("site.toml"), to.join("site.toml")).unwrap();
}

/// Runs `kb <args[0]> --root <root> <args[1..]>` without colour.
pub fn kb(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kb"))
        .arg(args[0])
        .arg("--root")
        .arg(root)
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `kb search --json <extra> -- <query>`: the parsed output and the stderr. Panics unless the
/// search succeeded.
pub fn search_json(root: &Path, query: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["search", "--json"];
    args.extend(extra);
    args.extend(["--", query]);
    let out = kb(root, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "kb search {query:?}: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// `kb search --json --root ROOT <extra> -- QUERY` with `KB_TIMINGS`, whose stderr says how the
/// index was checked (every file stamped, the folders, or a serve trusted): the hits' ids and
/// the stderr. Panics unless the search succeeded.
pub fn search_timed(root: &Path, query: &str, extra: &[&str]) -> (Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["search", "--json", "--root"])
        .arg(root)
        .args(extra)
        .args(["--", query])
        .env("KB_TIMINGS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "kb search {query:?}: {stderr}");
    (ids(&serde_json::from_slice(&out.stdout).unwrap()), stderr)
}

/// The ids of the hits, best first.
pub fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

/// Node, for running the browser engine in tests; `None` (the test then says so and passes)
/// unless `KB_REQUIRE_BROWSER` is set, as `.ci/run` does after installing it.
pub fn node() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("node"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skipping("node is not installed", "apt-get install -y nodejs");
    }
    found
}

/// Says a test is skipped because `what`, and how to get it (`how`); fails instead under
/// `KB_REQUIRE_BROWSER`, which `.ci/run` sets once it has installed the browser tools.
#[allow(dead_code)]
pub fn skipping(what: &str, how: &str) {
    assert!(
        std::env::var_os("KB_REQUIRE_BROWSER").is_none(),
        "KB_REQUIRE_BROWSER is set but {what}"
    );
    eprintln!("skipping: {what} ({how})");
}

/// `kb build --root <root> --output <out>` with extra environment; panics unless it succeeds.
pub fn build_site(root: &Path, out: &Path, env: &[(&str, &str)]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kb"));
    cmd.args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(out)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "kb build {}: {}",
        root.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}
