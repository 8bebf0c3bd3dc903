//! Bad input, through the real `kb` binary on real temporary folders.
//!
//! Every case starts from a good knowledge base that builds successfully into its default
//! output (`<root>/public`). The bad file (or bad invocation) is then introduced, the whole
//! temporary folder is snapshotted, `kb build` runs again, and each test checks:
//!
//! - the exit code (1 for content errors, 2 for usage errors), and that nothing panicked;
//! - that the error names the file and the exact `line:col` (worked out from the fixture) and
//!   says something that helps, all in the same rendered diagnostic;
//! - that the previous output and every source file are byte-for-byte untouched (and that no
//!   staging directory was left behind).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

const SITE_TOML: &str = "title = \"Test KB\"\nbase_url = \"https://example.com/\"\n";

const ALPHA: &str = "\
---
title: Alpha outage
date: 2024-01-01
id: alpha-outage
severity: SEV2
tags: [database]
services: [booking-api]
---
# Alpha outage

The booking database was down for an hour.

## Action items

- [x] Add an alert on replication lag
";

const BETA: &str = "\
+++
title = \"Beta failover\"
date = 2024-02-10
id = \"beta-failover\"
severity = \"SEV3\"
tags = [\"database\", \"replication\"]
+++
# Beta failover

A replica fell behind and reads went to the primary.
";

/// A knowledge base in a temporary folder: `<tmp>/kb/{site.toml, content/}`, built once
/// successfully into `<tmp>/kb/public` before the test breaks anything.
struct Kb {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Kb {
    fn new() -> Kb {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("kb");
        fs::create_dir_all(root.join("content/2024")).unwrap();
        fs::write(root.join("site.toml"), SITE_TOML).unwrap();
        fs::write(root.join("content/2024-01-01-alpha.md"), ALPHA).unwrap();
        fs::write(root.join("content/2024/beta.md"), BETA).unwrap();
        let kb = Kb { tmp, root };
        let out = kb.raw_run(&[]);
        assert_eq!(
            out.code,
            Some(0),
            "the good knowledge base must build first:\n{}",
            out.stderr
        );
        assert!(
            kb.root.join("public/.kb-output").is_file(),
            "the good build wrote its marker"
        );
        assert!(kb.root.join("public/index.html").is_file());
        assert!(
            kb.root
                .join("public/incidents/alpha-outage/index.html")
                .is_file()
        );
        kb
    }

    /// What to run kb through so file permissions apply: nothing, or (when `privileged`, as
    /// root) `setpriv` as `nobody`, with the knowledge base made world-readable. `None` (the
    /// test says it skipped) when root has no setpriv.
    fn unprivileged(&self, privileged: bool) -> Option<&'static [&'static str]> {
        if !privileged {
            return Some(&[]);
        }
        if !Path::new("/usr/bin/setpriv").exists() {
            eprintln!("skipped: running as root and no setpriv to drop privileges");
            return None;
        }
        fs::set_permissions(self.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Some(&[
            "/usr/bin/setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, bytes).unwrap();
    }

    fn raw_run(&self, extra: &[&str]) -> Run {
        self.raw_run_via(&[], extra, 120)
    }

    /// Runs `kb build --root <root> <extra>`, through `prefix` (e.g. `setpriv ...`) when given,
    /// killing it after `timeout` seconds.
    fn raw_run_via(&self, prefix: &[&str], extra: &[&str], timeout: u64) -> Run {
        let bin = assert_cmd::cargo::cargo_bin("kb");
        // Held until the run ends; the copy is deleted with it.
        let mut _bin_dir: Option<tempfile::TempDir> = None;
        let mut cmd = match prefix.split_first() {
            None => Command::new(&bin),
            Some((program, args)) => {
                // Another user may not reach the build directory (a clone under /root): run a
                // world-readable copy of the binary from its own temp dir, outside the snapshot.
                let dir = tempfile::Builder::new()
                    .prefix("kb-bin")
                    .tempdir_in("/tmp")
                    .unwrap();
                let copy = dir.path().join("kb");
                fs::copy(&bin, &copy).unwrap();
                fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
                fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
                let mut c = Command::new(program);
                c.args(args).arg(&copy);
                _bin_dir = Some(dir);
                c
            }
        };
        let output = cmd
            .arg("build")
            .arg("--root")
            .arg(&self.root)
            .args(extra)
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1717200000")
            .timeout(std::time::Duration::from_secs(timeout))
            .output()
            .unwrap();
        Run {
            code: output.status.code(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            cmd: format!(
                "{}kb build --root {} {}",
                prefix.iter().map(|p| format!("{p} ")).collect::<String>(),
                self.root.display(),
                extra.join(" ")
            ),
        }
    }

    /// Runs `kb build` (with `extra` arguments) expecting it to fail with `code`, and checks
    /// that nothing panicked and that nothing under the temporary folder changed.
    fn fails(&self, code: i32, extra: &[&str]) -> Run {
        self.fails_via(&[], code, extra, 120)
    }

    fn fails_via(&self, prefix: &[&str], code: i32, extra: &[&str], timeout: u64) -> Run {
        let before = snapshot(self.tmp.path());
        let run = self.raw_run_via(prefix, extra, timeout);
        let after = snapshot(self.tmp.path());
        assert!(
            !run.stderr.contains("panicked"),
            "`{}` panicked:\n{}",
            run.cmd,
            run.stderr
        );
        assert!(
            run.code.is_some(),
            "`{}` did not exit: killed after hanging for {timeout} s; stderr:\n{}",
            run.cmd,
            run.stderr
        );
        assert_eq!(
            run.code,
            Some(code),
            "`{}` exit code; stderr:\n{}",
            run.cmd,
            run.stderr
        );
        assert_unchanged(&before, &after, &run);
        run
    }
}

struct Run {
    code: Option<i32>,
    stderr: String,
    cmd: String,
}

impl Run {
    /// The rendered diagnostics: blocks of stderr separated by blank lines.
    fn blocks(&self) -> Vec<&str> {
        self.stderr
            .split("\n\n")
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect()
    }

    /// The one `error:` diagnostic located at `loc` (`file` or `file:line:col`); it must be
    /// rendered rustc-style, with ` --> loc` on its own line.
    fn error_at(&self, loc: &str) -> &str {
        self.diag_at("error", loc)
    }

    fn warning_at(&self, loc: &str) -> &str {
        self.diag_at("warning", loc)
    }

    fn diag_at(&self, level: &str, loc: &str) -> &str {
        let arrow = format!("--> {loc}");
        let found: Vec<&str> = self
            .blocks()
            .into_iter()
            .filter(|b| b.starts_with(&format!("{level}:")))
            .filter(|b| b.lines().any(|l| l.trim() == arrow))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {level} at `{loc}` from `{}`; stderr:\n{}",
            self.cmd,
            self.stderr
        );
        found[0]
    }

    /// Number of rendered error diagnostics (not counting the final summary line).
    fn error_count(&self) -> usize {
        self.blocks()
            .iter()
            .filter(|b| b.starts_with("error") && b.contains("-->"))
            .count()
    }
}

/// Asserts that `block` contains every one of `parts`.
#[track_caller]
fn says(block: &str, parts: &[&str]) {
    for p in parts {
        assert!(
            block.contains(p),
            "expected {p:?} in the diagnostic:\n{block}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir {
        mode: u32,
    },
    File {
        mode: u32,
        mtime: (i64, i64),
        bytes: Option<Vec<u8>>,
        len: u64,
    },
    Link(PathBuf),
    Other {
        mode: u32,
    },
}

/// Every file, directory and symbolic link under `dir` (links are recorded, not followed),
/// keyed by relative path. A file that cannot be read (chmod 000) is recorded by its metadata,
/// and so are FIFOs, which are never opened.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut map = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
        let meta = fs::symlink_metadata(e.path()).unwrap();
        let entry = if meta.file_type().is_symlink() {
            Entry::Link(fs::read_link(e.path()).unwrap())
        } else if meta.is_dir() {
            Entry::Dir { mode: meta.mode() }
        } else if !meta.is_file() {
            // A FIFO or socket: never opened (reading a FIFO would block the test).
            Entry::Other { mode: meta.mode() }
        } else {
            Entry::File {
                mode: meta.mode(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                bytes: fs::read(e.path()).ok(),
                len: meta.len(),
            }
        };
        map.insert(rel, entry);
    }
    map
}

fn assert_unchanged(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
    run: &Run,
) {
    let mut problems = Vec::new();
    for (p, e) in before {
        match after.get(p) {
            None => problems.push(format!("removed: {}", p.display())),
            Some(a) if a != e => problems.push(format!("changed: {}", p.display())),
            Some(_) => {}
        }
    }
    for p in after.keys() {
        if !before.contains_key(p) {
            problems.push(format!("created: {}", p.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "`{}` touched the knowledge base or the previous output:\n  {}\nstderr:\n{}",
        run.cmd,
        problems.join("\n  "),
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Frontmatter syntax
// ---------------------------------------------------------------------------------------------

#[test]
fn unclosed_yaml_frontmatter() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Never closed\ndate: 2024-03-01\n\n# Never closed\n\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:1:1");
    says(d, &["unclosed YAML frontmatter", "help:", "`---`"]);
}

#[test]
fn unclosed_toml_frontmatter() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "+++\ntitle = \"Never closed\"\ndate = 2024-03-01\n\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:1:1");
    says(d, &["unclosed TOML frontmatter", "help:", "`+++`"]);
}

#[test]
fn invalid_yaml() {
    let kb = Kb::new();
    // Line 3: a second `: ` inside a plain scalar; the offending `:` is column 17.
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\ntitle: Disk full: db1\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:17");
    says(
        d,
        &[
            "invalid YAML frontmatter",
            "title: Disk full: db1",
            "help:",
            "quote",
        ],
    );
}

#[test]
fn invalid_toml() {
    let kb = Kb::new();
    // Line 4: a bare word where a value is expected, starting at column 12.
    kb.write(
        "content/bad.md",
        "+++\ntitle = \"Bare word\"\ndate = 2024-03-01\nseverity = SEV1\n+++\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:4:12");
    says(
        d,
        &[
            "invalid TOML frontmatter",
            "severity = SEV1",
            "help:",
            "strings need quotes",
        ],
    );
}

#[test]
fn frontmatter_that_is_not_a_table() {
    let kb = Kb::new();
    kb.write("content/bad.md", "---\n- just\n- a list\n---\nBody.\n");
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:2:1");
    says(
        d,
        &["frontmatter must be a table of keys, found a list", "help:"],
    );
}

// ---------------------------------------------------------------------------------------------
// Field values
// ---------------------------------------------------------------------------------------------

#[test]
fn wrong_types_in_yaml_are_each_located() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\ntags: {a: 1}\nnear_miss: \"yes\"\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/bad.md:3:7"),
        &["`tags` must be a list of strings, found a table", "help:"],
    );
    says(
        run.error_at("content/bad.md:4:12"),
        &[
            "`near_miss` must be true or false, found a string",
            "help:",
            "near_miss: true",
        ],
    );
    assert_eq!(run.error_count(), 2, "{}", run.stderr);
}

#[test]
fn wrong_type_in_toml_is_located() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "+++\ndate = 2024-03-01\nnear_miss = \"yes\"\nauthors = 42\n+++\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/bad.md:3:13"),
        &["`near_miss` must be true or false, found a string"],
    );
    says(
        run.error_at("content/bad.md:4:11"),
        &["`authors` must be a list of strings, found a number"],
    );
}

#[test]
fn template_errors_point_at_the_theme_file_line_and_column() {
    let kb = Kb::new();
    kb.write(
        "theme/templates/404.html",
        "{% extends \"base.html\" %}\n{% block content %}\n<p>{{ page.title | nope( }}</p>\n{% endblock %}\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("theme/templates/404.html:3:26"),
        &[
            "expected identifier",
            "3 | <p>{{ page.title | nope( }}</p>",
            "help:",
        ],
    );
    // A template that parses but fails while rendering is located too. (The search index,
    // a cache of the postmortems, is written by then: the harness's "nothing touched" check
    // does not apply.)
    kb.write(
        "theme/templates/404.html",
        "{% extends \"base.html\" %}\n{% block content %}\n<p>{{ page.nothing.deeper }}</p>\n{% endblock %}\n",
    );
    let run = kb.raw_run_via(&[], &[], 120);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    says(
        run.error_at("theme/templates/404.html:3:12"),
        &["`nothing` is not defined"],
    );
    assert_eq!(run.error_count(), 1, "{}", run.stderr);
}

#[test]
fn a_malformed_source_date_epoch_fails_before_anything_is_written() {
    let kb = Kb::new();
    for bad in ["abc", "", "1.7e9", "99999999999999999999"] {
        let before = snapshot(kb.tmp.path());
        let out = Command::new(assert_cmd::cargo::cargo_bin("kb"))
            .args(["build", "--root"])
            .arg(&kb.root)
            .env("SOURCE_DATE_EPOCH", bad)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "`{bad}`: {stderr}");
        assert!(
            stderr.contains(&format!("SOURCE_DATE_EPOCH is `{bad}`")) && stderr.contains("seconds"),
            "{stderr}"
        );
        assert!(snapshot(kb.tmp.path()) == before, "`{bad}` touched files");
    }
}

#[test]
fn links_that_would_run_script_are_refused() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nlinks:\n  - {title: Ticket, url: \"javascript:alert(1)\"}\n  - \" JavaScript:alert(2)\"\n  - https://ok.example.com/t/1\n  - /incidents/alpha-outage/\naction_items:\n  - {title: Fix, link: \"data:text/html,<script>alert(3)</script>\"}\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/bad.md:4:26"),
        &["`url` uses the scheme `javascript:`", "help:", "https://"],
    );
    says(
        run.error_at("content/bad.md:5:5"),
        &["`links` uses the scheme `javascript:`"],
    );
    says(
        run.error_at("content/bad.md:9:24"),
        &["`link` uses the scheme `data:`"],
    );
    // The web address and the site path are fine.
    assert_eq!(run.error_count(), 3, "{}", run.stderr);
}

#[test]
fn columns_count_characters_after_non_ascii_text() {
    let kb = Kb::new();
    // Line 3: `services: [Zürich-db, ` is 22 characters (23 bytes); the table starts at column 23.
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nservices: [Zürich-db, {a: 1}]\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:23");
    says(d, &["`services` must be a list of strings, found a table"]);
}

#[test]
fn impossible_date() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Leap\ndate: 2024-02-30\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:7");
    says(
        d,
        &[
            "`date` value `2024-02-30` is not a real date",
            "help:",
            "2024-03-07",
        ],
    );
}

#[test]
fn unknown_severity_suggests_a_level() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Typo\ndate: 2024-03-01\nseverity: SEVV2\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:4:11");
    says(
        d,
        &[
            "severity `SEVV2` is not one of the levels: SEV1, SEV2, SEV3, SEV4",
            "did you mean `SEV2`?",
        ],
    );
}

#[test]
fn timestamp_without_offset() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Local time\ndate: 2024-03-07\ntimestamps:\n  started: 2024-03-07T10:05:00\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:5:12");
    says(
        d,
        &[
            "timestamp `2024-03-07T10:05:00` in `started` has no UTC offset",
            "help:",
            "2024-03-07T10:05:00Z",
        ],
    );
}

#[test]
fn unknown_status_suggests_one() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nstatus: publshed\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:9");
    says(
        d,
        &[
            "unknown status `publshed`",
            "did you mean `published`?",
            "draft, in-review, published",
        ],
    );
}

#[test]
fn invalid_duration() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nduration: 4 parsecs\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:11");
    says(
        d,
        &[
            "`duration` value `4 parsecs` is not a duration",
            "help:",
            "`90m`",
            "`PT4H`",
        ],
    );
}

#[test]
fn invalid_action_item_status() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\naction_items:\n  - title: Add an alert\n    status: finished\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:5:13");
    says(
        d,
        &[
            "unknown action item status `finished`",
            "open, in-progress, done, wont-do",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Ids and references between incidents
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_ids_name_both_files() {
    let kb = Kb::new();
    // content/2024-01-01-alpha.md sorts first and keeps `alpha-outage`.
    kb.write(
        "content/zz-copy.md",
        "---\nid: alpha-outage\ndate: 2024-03-01\n---\nA copy.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/zz-copy.md:2:5");
    says(
        d,
        &[
            "duplicate incident id `alpha-outage`",
            "content/2024-01-01-alpha.md",
            "help:",
        ],
    );
}

#[test]
fn unknown_related_id_suggests_the_close_one() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nrelated: [beta-failover, alpha-outag]\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    // `related: [beta-failover, ` is 25 characters: the unknown id starts at column 26.
    let d = run.error_at("content/bad.md:3:26");
    says(
        d,
        &[
            "unknown incident id `alpha-outag`",
            "did you mean `alpha-outage`?",
        ],
    );
    assert_eq!(
        run.error_count(),
        1,
        "beta-failover exists:\n{}",
        run.stderr
    );
}

#[test]
fn unknown_recurrence_of() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nrecurrence_of: no-such-incident\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:16");
    says(d, &["unknown incident id `no-such-incident`", "help:"]);
}

#[test]
fn id_with_a_slash() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nid: db/outage\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:5");
    says(
        d,
        &[
            "`id` value `db/outage` is not a valid incident id",
            "`/`",
            "a-z, 0-9",
        ],
    );
    assert!(!kb.path("public/incidents/db").exists());
}

#[test]
fn id_with_dot_dot() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ndate: 2024-03-01\nid: ../../escape\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:3:5");
    says(
        d,
        &[
            "`id` value `../../escape` is not a valid incident id",
            "`..`",
        ],
    );
    assert!(!kb.tmp.path().join("escape").exists());
}

// ---------------------------------------------------------------------------------------------
// Files that are not postmortem text
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_utf8_points_at_the_bad_byte() {
    let kb = Kb::new();
    // Line 2 is `title: café ` then 0xff: 12 characters (13 bytes) before it, so column 13
    // (columns count characters, like rustc's).
    let mut bytes = b"---\ntitle: caf\xc3\xa9 ".to_vec();
    bytes.extend_from_slice(b"\xff\ndate: 2024-03-01\n---\nBody.\n");
    kb.write("content/bad.md", bytes);
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:2:13");
    says(d, &["invalid UTF-8", "0xff", "help:", "UTF-8"]);
}

#[test]
fn empty_file() {
    let kb = Kb::new();
    kb.write("content/empty.md", "");
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/empty.md");
    says(d, &["empty file", "help:"]);
}

#[test]
fn binary_file_named_md() {
    let kb = Kb::new();
    kb.write(
        "content/diagram.md",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/diagram.md");
    says(d, &["binary file, not Markdown text", "help:"]);
}

#[test]
fn file_larger_than_10_mb() {
    let kb = Kb::new();
    kb.write("content/huge.md", vec![b'a'; 11 * 1024 * 1024]);
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/huge.md");
    says(
        d,
        &["file is too large (11.0 MB; the limit is 10 MB)", "help:"],
    );
}

#[test]
fn symlink_loop_in_content() {
    let kb = Kb::new();
    fs::create_dir_all(kb.path("content/deep")).unwrap();
    symlink("..", kb.path("content/deep/loop")).unwrap();
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/deep/loop");
    says(d, &["symbolic link loop", "help:"]);
}

#[test]
fn dangling_symlink() {
    let kb = Kb::new();
    symlink("missing.md", kb.path("content/x.md")).unwrap();
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/x.md");
    says(d, &["cannot read", "No such file or directory", "help:"]);
}

#[test]
fn unreadable_file() {
    let kb = Kb::new();
    kb.write("content/secret.md", "---\ndate: 2024-03-01\n---\nBody.\n");
    let p = kb.path("content/secret.md");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    // As root, permissions do not stop reads: run kb as `nobody` instead, which can walk the
    // knowledge base (made world-readable) but not read the chmod 000 file.
    let Some(prefix) = kb.unprivileged(fs::read(&p).is_ok()) else {
        return;
    };
    let run = kb.fails_via(prefix, 1, &[], 120);
    let d = run.error_at("content/secret.md");
    says(
        d,
        &[
            "cannot read file",
            "Permission denied",
            "help:",
            "permissions",
        ],
    );
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn fifo_named_md_is_refused_without_hanging() {
    let kb = Kb::new();
    let fifo = kb.path("content/pipe.md");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    // Nobody ever writes to the pipe: reading it would block forever. kb must refuse it as
    // not a regular file instead of hanging (killed after 20 s).
    let run = kb.fails_via(&[], 1, &[], 20);
    let d = run.error_at("content/pipe.md");
    says(d, &["help:"]);
}

// ---------------------------------------------------------------------------------------------
// Output directory and site.toml
// ---------------------------------------------------------------------------------------------

#[test]
fn output_equal_to_content_is_refused() {
    let kb = Kb::new();
    let content = kb.path("content");
    let run = kb.fails(2, &["--output", content.to_str().unwrap()]);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    says(
        &run.stderr,
        &["content directory", &content.display().to_string()],
    );
}

#[test]
fn output_equal_to_root_is_refused() {
    let kb = Kb::new();
    let root = kb.root.to_str().unwrap().to_string();
    let run = kb.fails(2, &["--output", &root]);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    says(&run.stderr, &["would contain", &root]);
}

#[test]
fn output_holding_someone_elses_files_is_refused() {
    let kb = Kb::new();
    let theirs = kb.tmp.path().join("their-site");
    fs::create_dir_all(theirs.join("assets")).unwrap();
    fs::write(theirs.join("index.html"), "<h1>My hand-written site</h1>\n").unwrap();
    fs::write(theirs.join("assets/notes.txt"), "do not delete\n").unwrap();
    let run = kb.fails(2, &["--output", theirs.to_str().unwrap()]);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    says(
        &run.stderr,
        &[&theirs.display().to_string(), ".kb-output", "refusing"],
    );
    // (The snapshot comparison in `fails` already covers these; checked by name for clarity.)
    assert_eq!(
        fs::read_to_string(theirs.join("index.html")).unwrap(),
        "<h1>My hand-written site</h1>\n"
    );
    assert_eq!(
        fs::read_to_string(theirs.join("assets/notes.txt")).unwrap(),
        "do not delete\n"
    );
}

#[test]
fn malformed_site_toml() {
    let kb = Kb::new();
    // Line 2: an unquoted URL; the value starts at column 12.
    kb.write(
        "site.toml",
        "title = \"Test KB\"\nbase_url = https://example.com/\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("site.toml:2:12");
    says(d, &["base_url = https://example.com/", "help:"]);
}

// ---------------------------------------------------------------------------------------------
// All errors in one run; warnings do not fail
// ---------------------------------------------------------------------------------------------

#[test]
fn every_error_in_every_file_is_reported_in_one_run() {
    let kb = Kb::new();
    kb.write(
        "content/a.md",
        "---\ndate: 2024-03-01\nseverity: SEV9\n---\nBody.\n",
    );
    kb.write(
        "content/b.md",
        "+++\ndate = 2024-03-01\ntitle = oops\n+++\nBody.\n",
    );
    kb.write(
        "content/sub/c.md",
        b"---\ndate: 2024-03-01\n---\nBad \xfe byte.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/a.md:3:11"),
        &["severity `SEV9` is not one of the levels"],
    );
    says(
        run.error_at("content/b.md:3:9"),
        &["invalid TOML frontmatter"],
    );
    says(
        run.error_at("content/sub/c.md:4:5"),
        &["invalid UTF-8", "0xfe"],
    );
    assert_eq!(run.error_count(), 3, "{}", run.stderr);
    says(
        &run.stderr,
        &[
            "build failed with 3 errors",
            "previous output was left untouched",
        ],
    );
}

#[test]
fn unknown_key_is_a_located_warning_not_a_failure() {
    let kb = Kb::new();
    kb.write(
        "content/warn.md",
        "---\ntitle: Typo in a key\ndate: 2024-03-01\nseverty: SEV1\n---\nBody.\n",
    );
    let run = kb.raw_run(&[]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let d = run.warning_at("content/warn.md:4:1");
    says(
        d,
        &[
            "unknown frontmatter key `severty`",
            "did you mean `severity`?",
        ],
    );
    assert_eq!(run.error_count(), 0, "{}", run.stderr);
    says(&run.stderr, &["Built 3 incidents", "(1 warning)"]);
    assert!(kb.path("public/incidents/warn/index.html").is_file());
    // The sources are untouched by a successful build too.
    assert_eq!(
        fs::read_to_string(kb.path("content/2024-01-01-alpha.md")).unwrap(),
        ALPHA
    );
}

// ---------------------------------------------------------------------------------------------
// Values read as what they say (issue 14, points 10, 11, 12, 16, 17)
// ---------------------------------------------------------------------------------------------

impl Kb {
    /// `kb export` (one JSON record per incident) after a build that must succeed.
    fn export(&self) -> Vec<serde_json::Value> {
        let o = Command::new(assert_cmd::cargo::cargo_bin("kb"))
            .args(["export", "--root"])
            .arg(&self.root)
            .env("SOURCE_DATE_EPOCH", "1717200000")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn record(&self, id: &str) -> serde_json::Value {
        self.export()
            .into_iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no incident {id}"))
    }

    /// `kb check`, which changes nothing either.
    fn check(&self) -> Run {
        let before = snapshot(self.tmp.path());
        let o = Command::new(assert_cmd::cargo::cargo_bin("kb"))
            .args(["check", "--root"])
            .arg(&self.root)
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1717200000")
            .output()
            .unwrap();
        let run = Run {
            code: o.status.code(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            cmd: format!("kb check --root {}", self.root.display()),
        };
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_unchanged(&before, &snapshot(self.tmp.path()), &run);
        run
    }

    /// `kb build` that succeeds with warnings.
    fn warns(&self) -> Run {
        let run = self.raw_run(&[]);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        run
    }
}

#[test]
fn status_in_review_with_an_underscore_is_in_review_never_published() {
    let kb = Kb::new();
    kb.write(
        "content/review.md",
        "---\ntitle: Under review\ndate: 2024-03-01\nstatus: in_review\n---\nBody.\n",
    );
    let run = kb.warns();
    assert_eq!(kb.record("review")["status"], "in-review");
    says(
        run.warning_at("content/review.md:4:9"),
        &[
            "status `in_review` is read as `in-review`",
            "status: in-review",
        ],
    );
    // A status kb cannot read at all fails the build, and is never `published` meanwhile.
    kb.write(
        "content/review.md",
        "---\ntitle: Under review\ndate: 2024-03-01\nstatus: in_revue\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/review.md:4:9"),
        &["unknown status `in_revue`", "did you mean `in-review`?"],
    );
}

#[test]
fn a_date_with_more_after_it_is_an_error() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Garbage\ndate: 2024-01-01garbage\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    says(
        run.error_at("content/bad.md:3:7"),
        &[
            "`date` value `2024-01-01garbage` is not a date in YYYY-MM-DD form",
            "help:",
        ],
    );
    // A whole timestamp is still a date.
    kb.write(
        "content/bad.md",
        "---\ntitle: Garbage\ndate: 2024-01-01T23:30:00-05:00\n---\nBody.\n",
    );
    kb.warns();
    assert_eq!(kb.record("bad")["date"], "2024-01-01");
}

#[test]
fn a_month_folder_and_a_file_name_repeating_the_month() {
    let kb = Kb::new();
    kb.write(
        "content/2023-04/04-25-User_Account_Compromise.md",
        "# User account compromise\n\nSomeone logged in as someone else.\n",
    );
    kb.write(
        "content/2023-05/07-disk-full.md",
        "# Disk full\n\nThe disk filled up.\n",
    );
    kb.warns();
    assert_eq!(
        kb.record("04-25-user-account-compromise")["date"],
        "2023-04-25"
    );
    assert_eq!(kb.record("07-disk-full")["date"], "2023-05-07");
}

#[test]
fn unknown_keys_in_site_toml_are_located_warnings_with_a_suggestion() {
    let kb = Kb::new();
    kb.write(
        "site.toml",
        "titel = \"Test KB\"\nbase_url = \"https://example.com/\"\n\n[serach]\nsynonyms = []\n\n[markdown]\nunsafe_htm = true\n\n[tags.database]\naliasses = [\"db\"]\n",
    );
    for run in [kb.warns(), kb.check()] {
        says(
            run.warning_at("site.toml:1:1"),
            &["unknown key `titel` in site.toml", "did you mean `title`?"],
        );
        says(
            run.warning_at("site.toml:4:2"),
            &[
                "unknown key `serach` in site.toml",
                "did you mean `search`?",
            ],
        );
        says(
            run.warning_at("site.toml:8:1"),
            &[
                "unknown key `unsafe_htm` in `[markdown]`",
                "did you mean `unsafe_html`?",
            ],
        );
        says(
            run.warning_at("site.toml:11:1"),
            &[
                "unknown key `aliasses` in `[tags.database]`",
                "did you mean `aliases`?",
            ],
        );
    }
}

#[test]
fn a_duplicate_key_names_the_line_of_the_first() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: First\ndate: 2024-03-01\nseverity: SEV2\ntitle: Second\n---\nBody.\n",
    );
    let run = kb.fails(1, &[]);
    let d = run.error_at("content/bad.md:5:1");
    says(
        d,
        &[
            "duplicate key `title`: it is already set at line 2",
            "help: remove one of the two",
        ],
    );
    assert!(!d.contains("DuplicateKeyPolicy"), "{d}");
}

#[test]
fn a_severity_that_is_no_level_is_said_so_not_called_missing() {
    let kb = Kb::new();
    kb.write(
        "content/bad.md",
        "---\ntitle: Typo\ndate: 2024-03-01\nseverity: SEV22\n---\nBody.\n",
    );
    let run = kb.check();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let missing = run.warning_at("content/bad.md:1:1");
    let first = missing.lines().next().unwrap();
    assert_eq!(
        first,
        "warning: missing recommended fields: tags, services, symptoms, timestamps (started, resolved)"
    );
    says(
        run.error_at("content/bad.md:4:11"),
        &[
            "severity `SEV22` is not one of the levels: SEV1, SEV2, SEV3, SEV4",
            "did you mean `SEV2`?",
        ],
    );
}

#[test]
fn counts_of_one_are_singular() {
    let kb = Kb::new();
    fs::remove_file(kb.path("content/2024/beta.md")).unwrap();
    let run = kb.raw_run(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    says(&run.stderr, &["Built 1 incident, 1 tag, 1 service, "]);
    kb.write("content/bad.md", "---\ndate: 2024-13-01\n---\n");
    says(&kb.fails(1, &[]).stderr, &["build failed with 1 error;"]);
}

#[test]
fn yaml_1_1_boolean_words_are_text_where_text_is_asked() {
    let kb = Kb::new();
    kb.write(
        "content/norway.md",
        "---\ntitle: N\ndate: 2024-03-01\ntags: [no, on, yes]\nservices: [off]\nnear_miss: yes\n---\nBody.\n",
    );
    let run = kb.warns();
    says(
        run.warning_at("content/norway.md:6:12"),
        &[
            "`near_miss: yes` is read as `near_miss: true`",
            "write `near_miss: true`",
        ],
    );
    let r = kb.record("norway");
    assert_eq!(r["title"], "N");
    assert_eq!(r["tags"], serde_json::json!(["no", "on", "yes"]));
    assert_eq!(r["services"], serde_json::json!(["off"]));
    assert_eq!(r["near_miss"], true);
    // `true` where text is asked: the word, with a warning.
    kb.write(
        "content/norway.md",
        "---\ntitle: True\ndate: 2024-03-01\n---\nBody.\n",
    );
    let run = kb.warns();
    says(
        run.warning_at("content/norway.md:2:8"),
        &["the boolean `True` is read as the word `True`", "quote it"],
    );
    assert_eq!(kb.record("norway")["title"], "True");
}

/// An output kb cannot write is about the machine, not the postmortems: exit 2 (exit 1 is for
/// content errors), with the path and the system's reason, and nothing left behind.
#[test]
fn an_output_kb_cannot_write_is_a_usage_error_not_a_content_error() {
    let kb = Kb::new();
    let ro = kb.tmp.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    // As root, permissions do not stop writes: run kb as `nobody`.
    let privileged = fs::write(ro.join("probe"), "x").is_ok();
    if privileged {
        fs::remove_file(ro.join("probe")).unwrap();
    }
    let Some(prefix) = kb.unprivileged(privileged) else {
        return;
    };
    let out = ro.join("site");
    let run = kb.fails_via(prefix, 2, &["--output", out.to_str().unwrap()], 120);
    says(
        &run.stderr,
        &[
            "error: cannot write",
            &ro.display().to_string(),
            "Permission denied",
        ],
    );
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 0, "nothing written");
}
