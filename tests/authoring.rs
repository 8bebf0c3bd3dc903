//! Writing postmortems with kb: `kb init`, `kb new` and `kb check`, through the binary on real
//! folders. The human output of `kb check` on a folder of broken postmortems is a snapshot
//! (tests/snapshots/), so a change to any message shows up in review.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn kb(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(args)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "1717200000") // 2024-06-01
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn init_makes_a_knowledge_base_that_builds_and_checks_clean_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let o = kb(&["init", "my-incidents"], dir.path());
    assert!(o.status.success(), "{:?}", text(&o));
    let root = dir.path().join("my-incidents");
    for f in [
        "site.toml",
        ".gitignore",
        "content/2024/2024-03-07-example-config-push-503s.md",
    ] {
        assert!(root.join(f).is_file(), "{f}");
    }
    let gitignore = fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(gitignore.contains("/public/") && gitignore.contains("/.kb/"));
    // Every option is in site.toml, and the file as written is valid.
    let site = fs::read_to_string(root.join("site.toml")).unwrap();
    for key in [
        "title",
        "base_url",
        "description",
        "language",
        "levels",
        "[tags.",
        "aliases",
        "match",
        "[services.",
        "synonyms",
        "unsafe_html",
        "template",
    ] {
        assert!(site.contains(key), "site.toml does not mention {key}");
    }
    let o = kb(&["build", "--root", "my-incidents"], dir.path());
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        root.join("public/incidents/example-config-push-503s/index.html")
            .is_file()
    );
    let o = kb(&["check", "--root", "my-incidents"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(text(&o).1.trim(), "No problems found");

    // A second init refuses, and leaves every file as it was.
    fs::write(root.join("site.toml"), "title = \"Mine\"\n").unwrap();
    let o = kb(&["init", "my-incidents"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("already exist"), "{:?}", text(&o));
    assert_eq!(
        fs::read_to_string(root.join("site.toml")).unwrap(),
        "title = \"Mine\"\n"
    );
}

#[test]
fn new_writes_a_draft_from_the_template_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("site.toml"),
        "[tags.replication]\naliases = [\"replica\"]\n",
    )
    .unwrap();
    fs::create_dir(root.join("content")).unwrap();
    let o = kb(
        &[
            "new",
            "Replica lag took \"checkout\" down",
            "--severity",
            "sev2",
            "--tags",
            "Replica,MySQL",
            "--services",
            "checkout-api",
            "--date",
            "2024-05-02",
        ],
        root,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let rel = "content/2024/2024-05-02-replica-lag-took-checkout-down.md";
    assert_eq!(text(&o).0.trim(), rel);
    let written = fs::read_to_string(root.join(rel)).unwrap();
    for line in [
        "id: 2024-05-02-replica-lag-took-checkout-down",
        "title: \"Replica lag took \\\"checkout\\\" down\"",
        "date: 2024-05-02",
        "severity: SEV2",
        "status: draft",
        "tags: [replication, mysql]",
        "services: [checkout-api]",
        "## Timeline",
        "## Action items",
        "## Lessons learned",
    ] {
        assert!(written.contains(line), "no `{line}` in\n{written}");
    }
    // It builds (as a draft) with the title as written.
    let o = kb(&["build", "--drafts"], root);
    assert!(o.status.success(), "{:?}", text(&o));
    let page = fs::read_to_string(
        root.join("public/incidents/2024-05-02-replica-lag-took-checkout-down/index.html"),
    )
    .unwrap();
    assert!(page.contains("Replica lag took &quot;checkout&quot; down"));

    // Never overwrites; a wrong severity is refused with the levels.
    fs::write(root.join(rel), "mine").unwrap();
    let o = kb(
        &[
            "new",
            "Replica lag took checkout down",
            "--date",
            "2024-05-02",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read_to_string(root.join(rel)).unwrap(), "mine");
    let o = kb(&["new", "Other", "--severity", "SEV9"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("levels are SEV1, SEV2, SEV3, SEV4"),
        "{:?}",
        text(&o)
    );

    // site.toml may name a template of its own.
    fs::create_dir(root.join("templates")).unwrap();
    fs::write(
        root.join("templates/pm.md"),
        "---\ntitle: {{ title }}\ndate: {{ date }}\n---\nOurs, for {{ year }}.\n",
    )
    .unwrap();
    fs::write(
        root.join("site.toml"),
        "[new]\ntemplate = \"templates/pm.md\"\n",
    )
    .unwrap();
    let o = kb(&["new", "Custom one", "--date", "2024-05-03"], root);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        fs::read_to_string(root.join("content/2024/2024-05-03-custom-one.md")).unwrap(),
        "---\ntitle: Custom one\ndate: 2024-05-03\n---\nOurs, for 2024.\n"
    );
}

/// A knowledge base where every kind of problem `kb check` knows about appears once.
fn broken(root: &Path) {
    fs::write(
        root.join("site.toml"),
        "title = \"Broken\"\n[tags.database]\naliases = [\"db\"]\n",
    )
    .unwrap();
    let c = root.join("content");
    fs::create_dir(&c).unwrap();
    let files = [
        (
            "good.md",
            "---\nid: good\ntitle: Good\ndate: 2024-01-01\nseverity: SEV2\ntags: [database]\n\
             services: [api]\nsymptoms: [slow]\ntimestamps:\n  started: 2024-01-01T10:00:00Z\n  \
             resolved: 2024-01-01T11:00:00Z\n---\nSee [[goood]] and [x](missing.md).\n",
        ),
        (
            "types.md",
            "---\ntitle: Types\ndate: 2024-13-01\nnear_miss: \"yes\"\nseverty: SEV1\n---\nBody.\n",
        ),
        (
            "items.md",
            "---\ntitle: Items\ndate: 2024-02-01\nseverity: SEV3\ntags: [db]\nservices: [api]\n\
             symptoms: [errors]\ntimestamps:\n  started: 2024-02-01T10:00:00Z\n  \
             detected: 2024-02-01T09:00:00Z\n  resolved: 2024-02-01T12:00:00Z\n\
             action_items:\n  - {title: Nobody owns me, status: open}\n  \
             - {title: Late fix, owner: ana, status: in-progress, due: 2024-03-01}\n---\nBody.\n",
        ),
        (
            "tagged.md",
            "---\ntitle: Tagged\ndate: 2024-04-01\nseverity: SEV4\ntags: [databse, networking]\n\
             services: [api]\nsymptoms: [x]\ntimestamps:\n  started: 2024-04-01T10:00:00Z\n  \
             resolved: 2024-04-01T11:00:00Z\n---\nBody.\n",
        ),
        (
            "dup.md",
            "---\nid: good\ntitle: Duplicate\ndate: 2024-03-01\n---\nBody.\n",
        ),
        (
            "old.md",
            "# An old postmortem\n\nWritten before there was a schema, on 2019-05-04.\n",
        ),
    ];
    for (name, text) in files {
        fs::write(c.join(name), text).unwrap();
    }
}

#[test]
fn check_reports_everything_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    broken(dir.path());
    let o = kb(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let (_, stderr) = text(&o);
    insta::assert_snapshot!("check_human", stderr);
}

#[test]
fn check_json_and_github_formats() {
    let dir = tempfile::tempdir().unwrap();
    broken(dir.path());
    let o = kb(&["check", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(
        v["errors"].as_u64().unwrap() + v["warnings"].as_u64().unwrap(),
        diags.len() as u64
    );
    let codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
    for code in [
        "broken-link",
        "no-owner",
        "overdue",
        "no-frontmatter",
        "missing-recommended",
    ] {
        assert!(codes.contains(&code), "no {code} in {codes:?}");
    }
    // A broken link is an error in check (a warning in build).
    let link = diags.iter().find(|d| d["code"] == "broken-link").unwrap();
    assert_eq!(link["level"], "error");
    assert_eq!(link["file"], "content/good.md");
    assert!(link["line"].as_u64().unwrap() > 0 && link["col"].as_u64().unwrap() > 0);
    let o = kb(&["build"], dir.path());
    let build_err = text(&o).1;
    assert!(
        build_err.contains("warning: link to unknown incident `[[goood]]`"),
        "{build_err}"
    );

    let o = kb(&["check", "--format", "github"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o).0;
    assert_eq!(out.lines().count(), diags.len());
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
    );
    assert!(
        out.contains("::warning file=content/items.md,line=13,col=13,title=no-owner::open action item without an owner: Nobody owns me"),
        "{out}"
    );
}

#[test]
fn check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("content")).unwrap();
    fs::write(
        root.join("content/a.md"),
        "# A\n\nOn 2024-01-01 something broke.\n",
    )
    .unwrap();
    // Warnings only: 0, or 1 with --strict.
    assert_eq!(kb(&["check"], root).status.code(), Some(0));
    assert_eq!(kb(&["check", "--strict"], root).status.code(), Some(1));
    assert_eq!(
        kb(&["check", "--root", "nowhere"], root).status.code(),
        Some(2)
    );
    assert_eq!(
        kb(&["check", "--format", "xml"], root).status.code(),
        Some(2)
    );
}

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = kb(&["completions", shell], dir.path());
        assert!(o.status.success(), "{shell}");
        let script = text(&o).0;
        for sub in ["build", "search", "serve", "check", "new", "init", "export"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    // The bash script is valid bash.
    let o = kb(&["completions", "bash"], dir.path());
    let path = dir.path().join("kb.bash");
    fs::write(&path, &o.stdout).unwrap();
    let st = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(st.success());
}

#[test]
fn quiet_prints_only_errors_and_verbose_the_stages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("content")).unwrap();
    // Builds with a warning (no date).
    fs::write(root.join("content/a.md"), "# A\n\nSomething broke.\n").unwrap();
    let o = kb(&["build", "--quiet"], root);
    assert!(o.status.success());
    assert_eq!(text(&o), (String::new(), String::new()));
    let o = kb(&["build"], root);
    assert!(
        text(&o).1.contains("warning: no date found"),
        "{:?}",
        text(&o)
    );
    let o = kb(&["build", "-v"], root);
    let err = text(&o).1;
    for stage in [
        "reading postmortems",
        "indexing for search",
        "rendering pages",
    ] {
        assert!(err.contains(stage), "{err}");
    }
    // Errors are printed even when quiet.
    fs::write(root.join("content/b.md"), "---\ndate: 2024-13-01\n---\nB\n").unwrap();
    let o = kb(&["build", "-q"], root);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert!(
        err.contains("content/b.md:2:7") && !err.contains("warning"),
        "{err}"
    );
}

#[test]
fn a_published_incident_may_name_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("content");
    fs::create_dir(&c).unwrap();
    fs::write(
        c.join("a.md"),
        "---\nid: pub\ntitle: Published\ndate: 2024-01-01\nrelated: [wip]\nrecurrence_of: wip\n---\nBody\n",
    )
    .unwrap();
    fs::write(
        c.join("b.md"),
        "---\nid: wip\ntitle: WIP\ndate: 2024-01-02\nstatus: draft\n---\nBody\n",
    )
    .unwrap();
    // Without drafts: built, with a warning at the id; the page has no link to the draft.
    let o = kb(&["build"], dir.path());
    assert!(o.status.success(), "{:?}", text(&o));
    let err = text(&o).1;
    assert!(
        err.contains("`wip` is a draft, left out of this build")
            && err.contains("content/a.md:5:11"),
        "{err}"
    );
    let page = fs::read_to_string(dir.path().join("public/incidents/pub/index.html")).unwrap();
    assert!(
        !page.contains("incidents/wip/") && !page.contains("../wip/"),
        "links to the draft"
    );
    // A truly unknown id is still an error.
    fs::write(
        c.join("a.md"),
        "---\nid: pub\ntitle: Published\ndate: 2024-01-01\nrelated: [nope]\n---\nBody\n",
    )
    .unwrap();
    assert_eq!(kb(&["build"], dir.path()).status.code(), Some(1));
}

#[test]
fn new_writes_each_tag_and_service_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("site.toml"),
        "[tags.database]\naliases = [\"db\"]\n",
    )
    .unwrap();
    let o = kb(
        &[
            "new",
            "Tags twice",
            "--tags",
            "a,b,a,DB,database,B",
            "--services",
            "api,api",
            "--date",
            "2024-05-02",
        ],
        root,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let written = fs::read_to_string(root.join("content/2024/2024-05-02-tags-twice.md")).unwrap();
    assert!(written.contains("tags: [a, b, database]\n"), "{written}");
    assert!(written.contains("services: [api]\n"), "{written}");
}

#[test]
fn new_refuses_a_title_with_nothing_to_name_the_file_after() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("content")).unwrap();
    for title in ["////", "!!! ???"] {
        let o = kb(&["new", title, "--date", "2024-05-02"], root);
        assert_eq!(o.status.code(), Some(2), "{title}: {:?}", text(&o));
        assert!(
            text(&o)
                .1
                .contains("no letter or digit to name the file after"),
            "{:?}",
            text(&o)
        );
    }
    assert!(!root.join("content/2024").exists(), "nothing is written");
}

/// Runs `kb <args>` with stdout a pipe whose reader is gone before kb starts: every write kb
/// makes to stdout fails with a broken pipe. Returns the exit code and stderr.
fn into_closed_pipe(args: &[&str], cwd: &Path) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `kb <args>` with stdout piped, reads one byte and closes the pipe (`| head -c1`).
fn head_c1(args: &[&str], cwd: &Path) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    stdout.read_exact(&mut byte).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::copy_example(root);
    // Output larger than a pipe holds (64 KiB), so that `head -c1` closes it while kb still
    // writes: 400 postmortems, each found by the search and each with a warning in check.
    let many = root.join("content/many");
    fs::create_dir(&many).unwrap();
    for i in 0..400 {
        fs::write(
            many.join(format!("2024-01-01-pipe-{i}.md")),
            format!(
                "---\ntitle: Pipe incident {i}\nseverty: SEV1\n---\nThe wombat queue stalled, case {i}.\n"
            ),
        )
        .unwrap();
    }
    let r = root.to_str().unwrap();
    // Each command ends as it would have with a reader that read everything.
    let check_code = kb(&["check", "--root", r], root).status.code();
    let expected = |args: &[&str]| {
        if args[0] == "check" {
            check_code
        } else {
            Some(0)
        }
    };
    for args in [
        &["search", "--root", r, "--json", "-n", "1000", "wombat"][..],
        &["search", "--root", r, "-n", "1000", "wombat"],
        &["check", "--root", r, "--format", "json"],
        &["check", "--root", r, "--format", "github"],
        &["export", "--root", r],
    ] {
        let (code, stderr) = head_c1(args, root);
        assert_ne!(code, Some(101), "kb {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "kb {args:?}: {stderr}");
        assert_eq!(code, expected(args), "kb {args:?}: {stderr}");
    }
    for args in [
        &["search", "--root", r, "wombat"][..],
        &["check", "--root", r, "--json"],
        &["completions", "bash"],
        &["new", "--root", r, "Piped title", "--date", "2024-05-02"],
    ] {
        let (code, stderr) = into_closed_pipe(args, root);
        assert!(!stderr.contains("panicked"), "kb {args:?}: {stderr}");
        assert_eq!(code, expected(args), "kb {args:?}: {stderr}");
    }
    // Diagnostics on stderr into a closed pipe (`kb check 2>&1 | head -c1`) do not panic either.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["check", "--root", r])
        .env("NO_COLOR", "1")
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), check_code, "{o:?}");
    // A build's timings and verbose notes (the library's own lines) into a closed stderr.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["build", "--verbose", "--root", r, "--output"])
        .arg(root.join("timed-site"))
        .env("NO_COLOR", "1")
        .env("KB_TIMINGS", "1")
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // A failing build's last line (`error: build failed with …`) into a closed stderr pipe:
    // still exit 1 for content errors, not a panic's 101.
    fs::write(
        many.join("2024-01-02-broken.md"),
        "---\ntitle: [unclosed\n---\nBody.\n",
    )
    .unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = root.join("piped-site");
    let o = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["build", "--root", r, "--output", out.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
}
