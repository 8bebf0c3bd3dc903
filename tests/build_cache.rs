//! `kb build` with its build cache (`.kb/build/`) gives, after any change, byte for byte the
//! site a clean build of the same files gives; a damaged cache is ignored.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{copy_dir, copy_example};

const FILE: &str = "content/2026/2026-07-08-session-service-oom-after-runtime-upgrade.md";
const OTHER: &str = "content/2025/2025-09-17-replica-write-broke-replication-again.md";
const PAGE: &str = "public/incidents/session-service-oom-after-runtime-upgrade/index.html";

/// `kb build --root ROOT --verbose EXTRA` on a fixed date (two builds a second apart may
/// straddle midnight); panics unless it succeeded.
fn build(root: &Path, extra: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["build", "--verbose", "--root"])
        .arg(root)
        .args(extra)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kb build {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    common::files(dir)
        .into_iter()
        .map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b))
        .collect()
}

/// The sources of the knowledge base at `root` copied to a new folder and built there with
/// `--clean`: the site without any cache.
fn clean_build(root: &Path) -> (tempfile::TempDir, PathBuf) {
    let copy = tempfile::tempdir().unwrap();
    for dir in ["content", "theme"] {
        if root.join(dir).is_dir() {
            copy_dir(&root.join(dir), &copy.path().join(dir));
        }
    }
    fs::copy(root.join("site.toml"), copy.path().join("site.toml")).unwrap();
    build(copy.path(), &["--clean"]);
    let out = copy.path().join("public");
    (copy, out)
}

fn assert_same_as_clean_build(root: &Path, step: &str) {
    let (_copy, clean) = clean_build(root);
    let cached = tree(&root.join("public"));
    let clean = tree(&clean);
    assert_eq!(
        cached.keys().collect::<Vec<_>>(),
        clean.keys().collect::<Vec<_>>(),
        "after {step}: different files"
    );
    for (path, bytes) in &clean {
        assert!(
            cached[path] == *bytes,
            "after {step}: {} differs",
            path.display()
        );
    }
}

/// The counts in the build cache's `--verbose` note: (postmortems decoded, incident pages
/// kept, incident pages).
fn reuse(out: &Output) -> (usize, usize, usize) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("decoded rather than parsed"))
        .unwrap_or_else(|| panic!("no build cache note in: {stderr}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1], nums[2])
}

/// Whether the build kept the search index in `.kb/index` (its `--verbose` note).
fn index_kept(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stderr).contains("search index: kept .kb/index")
}

/// How many files the search export put in the output (all of `search/` but its page).
fn exported(root: &Path) -> usize {
    walkdir::WalkDir::new(root.join("public/search"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count()
        - 1
}

/// How many exported search files the build kept from the previous output when it took the
/// similar incidents and the search export from the build cache (its `--verbose` note); None
/// when it made them.
fn search_kept(out: &Output) -> Option<usize> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("search export taken from the last build"))?;
    let (_, kept) = line.rsplit_once("), ")?;
    Some(kept.split(' ').next()?.parse().unwrap())
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let text = fs::read_to_string(root.join(file)).unwrap();
    assert!(text.contains(from), "{file}: {from}");
    fs::write(root.join(file), text.replacen(from, to, 1)).unwrap();
}

#[test]
fn after_each_kind_of_change_a_cached_build_is_byte_for_byte_a_clean_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    let first = build(root, &[]);
    assert_eq!(reuse(&first).0, 0, "nothing to reuse yet");
    let total = reuse(&first).2;

    assert!(!index_kept(&first), "no index to keep yet");
    // Nothing changed: everything reused.
    let again = build(root, &[]);
    assert_eq!(reuse(&again).1, total, "every page kept");
    assert!(reuse(&again).0 >= total, "every postmortem decoded");
    assert!(index_kept(&again), "the same documents: the index is kept");
    assert_eq!(search_kept(&first), None, "no search export to take yet");
    assert_eq!(
        search_kept(&again),
        Some(exported(root)),
        "the same documents: the export is taken, every file kept"
    );
    assert_same_as_clean_build(root, "no change");
    let clean = build(root, &["--clean"]);
    assert!(!index_kept(&clean), "--clean indexes again");
    assert_eq!(search_kept(&clean), None, "--clean exports again");

    let renamed = "content/2025/renamed.md";
    type Step<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let steps: Vec<Step> = vec![
        (
            "a body edit",
            Box::new(|| edit(root, FILE, "## ", "## Edited: ")),
        ),
        (
            "a title edit (listings and related incidents change)",
            Box::new(|| edit(root, FILE, "title: ", "title: Edited ")),
        ),
        (
            "a tag added and one removed",
            Box::new(|| edit(root, FILE, "  - upgrade\n", "  - deploys\n")),
        ),
        (
            "a rename into another folder",
            Box::new(|| fs::rename(root.join(OTHER), root.join(renamed)).unwrap()),
        ),
        (
            "a new postmortem",
            Box::new(|| {
                fs::write(
                    root.join("content/2026/new.md"),
                    "---\nid: brand-new\ntitle: Brand new incident\ndate: 2026-08-01\n\
                     tags: [replication]\n---\nBody, like [[session-service-oom-after-runtime-upgrade]].\n",
                )
                .unwrap()
            }),
        ),
        (
            "a deleted postmortem",
            Box::new(|| fs::remove_file(root.join("content/2026/new.md")).unwrap()),
        ),
        (
            "a page of the output edited by hand",
            Box::new(|| fs::write(root.join(PAGE), "tampered").unwrap()),
        ),
        (
            "a page of the output replaced by hand, same size",
            Box::new(|| {
                let bytes = fs::read(root.join(PAGE)).unwrap();
                fs::remove_file(root.join(PAGE)).unwrap();
                fs::write(root.join(PAGE), vec![b'x'; bytes.len()]).unwrap();
            }),
        ),
        (
            "an exported search file edited by hand",
            Box::new(|| fs::write(root.join("public/search/terms.bin"), "tampered").unwrap()),
        ),
        (
            "an exported search file deleted",
            Box::new(|| fs::remove_file(root.join("public/search/d/0.bin")).unwrap()),
        ),
        (
            "a postmortem turned draft",
            Box::new(|| edit(root, FILE, "status: in-review", "status: draft")),
        ),
        (
            "a site.toml change",
            Box::new(|| {
                edit(
                    root,
                    "site.toml",
                    "Acme incident knowledge base",
                    "Acme incidents",
                )
            }),
        ),
        (
            "a theme template added",
            Box::new(|| {
                let base = fs::read_to_string(common::repo().join("theme/templates/incident.html"))
                    .unwrap();
                fs::create_dir_all(root.join("theme/templates")).unwrap();
                fs::write(
                    root.join("theme/templates/incident.html"),
                    base.replacen(
                        "{% block content %}",
                        "{% block content %}<!-- themed -->",
                        1,
                    ),
                )
                .unwrap();
            }),
        ),
        (
            "a theme template edited",
            Box::new(|| {
                edit(
                    root,
                    "theme/templates/incident.html",
                    "<!-- themed -->",
                    "<!-- themed again -->",
                )
            }),
        ),
    ];
    // What leaves every indexed document as it was keeps the index; the rest index again (and
    // the search files then match a clean build's, checked below with every other file).
    let keeps_index = [
        "a page of the output edited by hand",
        "a page of the output replaced by hand, same size",
        "an exported search file edited by hand",
        "an exported search file deleted",
        "a site.toml change",
        "a theme template added",
        "a theme template edited",
    ];
    for (step, change) in steps {
        change();
        let out = build(root, &[]);
        assert_eq!(index_kept(&out), keeps_index.contains(&step), "{step}");
        // The similar incidents and the export follow the indexed documents and site.toml;
        // a file of the last output that is not as it was left is written again.
        let search = match step {
            _ if step.starts_with("an exported search file") => Some(exported(root) - 1),
            "a site.toml change" => None,
            _ if keeps_index.contains(&step) => Some(exported(root)),
            _ => None,
        };
        assert_eq!(search_kept(&out), search, "{step}");
        assert_same_as_clean_build(root, step);
        // The cache is not simply off: after an edit to one postmortem, the others are
        // decoded and most pages kept.
        if step == "a body edit" {
            let (decoded, kept, pages) = reuse(&out);
            assert!(decoded >= pages - 1, "{step}: {decoded} decoded of {pages}");
            assert!(
                kept >= pages / 2 && kept < pages,
                "{step}: {kept} kept of {pages}"
            );
        }
    }
    let themed = fs::read_to_string(root.join("public/incidents/brand-new/index.html"));
    assert!(themed.is_err(), "deleted");
    let any = fs::read_dir(root.join("public/incidents"))
        .unwrap()
        .map(|e| e.unwrap().path().join("index.html"))
        .find(|p| p.is_file())
        .unwrap();
    assert!(fs::read_to_string(any).unwrap().contains("themed again"));

    // A postmortem saved again as it was (new modification time and inode, same text): the
    // index is kept and stamped afresh, so `kb search` answers from it without indexing again.
    let text = fs::read(root.join(FILE)).unwrap();
    fs::remove_file(root.join(FILE)).unwrap();
    fs::write(root.join(FILE), text).unwrap();
    assert!(
        index_kept(&build(root, &[])),
        "a file saved again as it was"
    );
    let search = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["search", "--root"])
        .arg(root)
        .arg("replica")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(search.status.success());
    let stderr = String::from_utf8_lossy(&search.stderr);
    assert!(
        !stderr.contains("refreshed"),
        "kb search indexed again: {stderr}"
    );
}

/// An index whose files were damaged (bytes changed, a file cut short or lost) is written
/// again, not kept, even though its digest file still matches: the build is the same as a
/// clean one.
#[test]
fn a_damaged_search_index_is_written_again_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    build(root, &[]);
    let segment_files = |ext: &str| -> Vec<PathBuf> {
        fs::read_dir(root.join(".kb/index"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect()
    };
    type Harm = (&'static str, &'static str, fn(&Path));
    let harms: [Harm; 3] = [
        ("a byte changed", "idx", |p| {
            let mut b = fs::read(p).unwrap();
            let mid = b.len() / 2;
            b[mid] ^= 0x55;
            fs::write(p, b).unwrap();
        }),
        ("cut short", "term", |p| {
            let b = fs::read(p).unwrap();
            fs::write(p, &b[..b.len() / 2]).unwrap();
        }),
        ("lost", "pos", |p| fs::remove_file(p).unwrap()),
    ];
    for (what, ext, harm) in harms {
        assert!(index_kept(&build(root, &[])), "{what}: kept while whole");
        let files = segment_files(ext);
        assert!(!files.is_empty(), "no .{ext} file");
        for f in &files {
            harm(f);
        }
        let out = build(root, &[]);
        assert!(!index_kept(&out), "{what}: a damaged index was kept");
        assert_same_as_clean_build(root, what);
    }
}

/// What each damage does to a copy of the cache file's bytes.
type Damage = (&'static str, &'static str, fn(&mut Vec<u8>));

/// `git ARGS` in `root` with a fixed identity and commit date; false when git is missing.
fn git(root: &Path, args: &[&str], date: &str) -> bool {
    Command::new("git")
        .current_dir(root)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_commit_that_changes_last_updated_is_seen_without_any_file_changing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    if !git(root, &["init", "-q"], "2026-01-01T00:00:00Z") {
        eprintln!("skipped: no git");
        return;
    }
    fs::write(root.join(".gitignore"), "/public\n/.kb\n/other\n").unwrap();
    assert!(git(root, &["add", "-A"], "2026-01-01T00:00:00Z"));
    assert!(git(root, &["commit", "-qm", "one"], "2026-01-01T00:00:00Z"));
    build(root, &[]);
    // An edit committed, then undone and committed: the same bytes as the cache's, a later
    // "Last updated".
    edit(root, FILE, "title: ", "title: Committed ");
    assert!(git(
        root,
        &["commit", "-qam", "three"],
        "2026-03-01T00:00:00Z"
    ));
    edit(root, FILE, "title: Committed ", "title: ");
    assert!(git(
        root,
        &["commit", "-qam", "four"],
        "2026-04-01T00:00:00Z"
    ));
    let out = build(root, &[]);
    assert!(
        reuse(&out).1 < reuse(&out).2,
        "the committed page was rendered again"
    );
    // The clean build in place (a copy would have no history), into another folder.
    let other = root.join("other");
    build(root, &["--clean", "--output", other.to_str().unwrap()]);
    let cached = tree(&root.join("public"));
    let clean = tree(&other);
    assert_eq!(cached, clean, "after a commit");
    assert!(
        String::from_utf8_lossy(&clean[Path::new(PAGE.strip_prefix("public/").unwrap())])
            .contains("2026-04-01")
    );
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_the_build_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    build(root, &[]);
    build(root, &[]);
    let cache = root.join(".kb/build");
    let saved: Vec<(PathBuf, Vec<u8>)> = ["parsed", "pages", "search"]
        .iter()
        .map(|f| (cache.join(f), fs::read(cache.join(f)).unwrap()))
        .collect();
    let damages: [Damage; 8] = [
        ("parsed", "cut in half", |b| b.truncate(b.len() / 2)),
        ("parsed", "a byte changed in a record", |b| {
            let i = b.len() - 200;
            b[i] ^= 0x20;
        }),
        ("parsed", "garbage", |b| *b = vec![0xa5; 4096]),
        ("parsed", "another format version", |b| {
            // The format number follows the magic and the kind's name.
            let i = b"kb build cache\n".len() + 1 + "parsed".len();
            b[i] += 1;
        }),
        ("pages", "cut short", |b| b.truncate(b.len() - 1)),
        ("pages", "emptied", |b| b.clear()),
        ("search", "cut short", |b| b.truncate(b.len() - 1)),
        ("search", "a byte changed", |b| {
            let i = b.len() / 2;
            b[i] ^= 0x20;
        }),
    ];
    for (file, damage, f) in damages {
        for (path, bytes) in &saved {
            fs::write(path, bytes).unwrap();
        }
        let path = cache.join(file);
        let mut bytes = fs::read(&path).unwrap();
        f(&mut bytes);
        fs::write(&path, &bytes).unwrap();
        let out = build(root, &[]);
        let step = format!("{file} {damage}");
        assert_same_as_clean_build(root, &step);
        let (decoded, kept, pages) = reuse(&out);
        match damage {
            // One record fails its check: that postmortem alone is parsed again.
            "a byte changed in a record" => {
                assert!(
                    decoded >= pages - 1 && decoded < pages + 1,
                    "{step}: {decoded}"
                );
            }
            _ if file == "parsed" => {
                assert_eq!(decoded, 0, "{step}");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.contains("were not used"), "{step}: {stderr}");
            }
            _ if file == "pages" => assert_eq!(kept, 0, "{step}"),
            _ => {
                assert_eq!(search_kept(&out), None, "{step}");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    stderr.contains("search export was not used"),
                    "{step}: {stderr}"
                );
            }
        }
        // The build wrote a good cache again.
        assert!(reuse(&build(root, &[])).1 == pages, "{step}: rewritten");
    }

    // --clean ignores a good cache, and writes it again.
    let out = build(root, &["--clean"]);
    assert_eq!(reuse(&out).0, 0);
    assert_eq!(reuse(&out).1, 0);
    assert!(reuse(&build(root, &[])).1 > 0);
    assert_same_as_clean_build(root, "--clean");
}

#[test]
fn a_cache_that_cannot_be_written_does_not_fail_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_example(root);
    // A file where the cache folder would be.
    fs::create_dir_all(root.join(".kb")).unwrap();
    fs::write(root.join(".kb/build"), "not a folder").unwrap();
    let out = build(root, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not write"), "{stderr}");
    assert_same_as_clean_build(root, "an unwritable cache");
    assert_eq!(
        fs::read_to_string(root.join(".kb/build")).unwrap(),
        "not a folder"
    );
}
