//! Temporary folders: a build stopped by a signal removes its own, the next run removes those
//! a dead process left (and nothing else), and `kb init`'s .gitignore keeps them out of git.
//! Through the real binary on real folders.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{files, kb};

/// `n` postmortems with enough text that indexing and rendering take a while.
fn corpus(root: &Path, n: usize) {
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(root.join("site.toml"), "title = \"Big KB\"\n").unwrap();
    let words = [
        "replica",
        "lag",
        "checkout",
        "timeout",
        "queue",
        "disk",
        "certificate",
        "deploy",
        "rollback",
        "cache",
        "dns",
        "latency",
        "pager",
        "failover",
        "quota",
        "memory",
    ];
    for i in 0..n {
        let body: Vec<&str> = (0..300)
            .map(|k| words[(i * 7 + k * 13) % words.len()])
            .collect();
        fs::write(
            root.join(format!("content/incident-{i}.md")),
            format!(
                "---\ntitle: Incident {i} {}\ndate: 2024-{:02}-{:02}\ntags: [{}, {}]\nservices: [svc-{}]\n---\n## Summary\n\n{}.\n\n## Lessons learned\n\n- Watch the {} {}.\n",
                words[i % 16],
                i % 12 + 1,
                i % 28 + 1,
                words[i % 16],
                words[(i / 16) % 16],
                i % 40,
                body.join(" "),
                words[(i * 3) % 16],
                i % 97,
            ),
        )
        .unwrap();
    }
}

/// Names in `dir` starting with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_signal_mid_build_removes_the_staging_and_keeps_the_old_output() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    corpus(&root, 1500);
    let out = kb(&root, &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = files(&root.join("public"));
    let kb_dir = root.join(".kb");

    // Stopped while its index is being built (Ctrl-C), while its site is (kill, timeout),
    // and by a closed terminal. With `--clean`: a build would keep the index, which holds the
    // same documents, and never write one to interrupt.
    for (signal, code, dir, prefix) in [
        (libc::SIGINT, 130, &kb_dir, ".index-new-"),
        (libc::SIGTERM, 143, &root, ".public.kb-staging-"),
        (libc::SIGHUP, 129, &root, ".public.kb-staging-"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kb"))
            .args(["build", "--clean", "--root"])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(300);
        while named(dir, prefix).is_empty() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the build ended before {prefix}* appeared"
            );
            assert!(Instant::now() < deadline, "no {prefix}* after 300 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        // SAFETY: sends a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "signal {signal}: {status:?}");
        assert_eq!(named(&root, ".public.kb-"), Vec::<String>::new());
        assert_eq!(named(&kb_dir, ".index-new-"), Vec::<String>::new());
        assert!(
            files(&root.join("public")) == before,
            "signal {signal}: the previous output changed"
        );
    }
}

#[test]
fn a_signal_ignored_when_kb_starts_stays_ignored() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    corpus(&root, 600);
    // As `nohup kb build` starts it.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kb"));
    cmd.args(["build", "--root"])
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only sets a signal disposition between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while named(&root.join(".kb"), ".index-new-").is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "ended before indexing");
        assert!(Instant::now() < deadline, "no index after 300 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGHUP) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(root.join("public/index.html").is_file());
}

/// A pid no process has: a child that has exited and been waited for.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn the_next_run_sweeps_what_dead_processes_left_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    corpus(&root, 3);
    let dead = dead_pid();
    let live = std::process::id();
    let dir = |name: &str, marked: bool| {
        let d = root.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("index.html"), "a page\n").unwrap();
        if marked {
            fs::write(d.join(".kb-output"), "kb\n").unwrap();
        }
        d
    };
    let swept = [
        dir(&format!(".public.kb-staging-{dead}-0"), true),
        dir(&format!(".public.kb-staging-{dead}-3.old"), true),
        dir(&format!(".public.kb-pending-{dead}-1"), true),
        dir(&format!(".kb/.index-new-{dead}"), true),
    ];
    let marked_elsewhere = dir("elsewhere", true);
    let kept = [
        // A live process's (this test's).
        dir(&format!(".public.kb-staging-{live}-0"), true),
        dir(&format!(".kb/.index-new-{live}"), true),
        // Not provably kb's: no marker, not the exact pattern, another output's.
        dir(&format!(".public.kb-staging-{dead}-2"), false),
        dir(&format!(".public.kb-staging-{dead}-x"), true),
        dir(&format!(".public.kb-staging-{dead}"), true),
        dir(&format!(".site.kb-staging-{dead}-0"), true),
    ];
    let link = root.join(format!(".public.kb-staging-{dead}-5"));
    symlink(&marked_elsewhere, &link).unwrap();

    let out = kb(&root, &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for d in &swept {
        assert!(!d.exists(), "{} was left", d.display());
    }
    for d in kept.iter().chain([&marked_elsewhere]) {
        assert!(
            d.join("index.html").is_file(),
            "{} was removed",
            d.display()
        );
    }
    assert!(fs::symlink_metadata(&link).is_ok(), "the link was removed");
}

#[test]
fn the_gitignore_kb_init_writes_keeps_temporary_folders_out_of_git() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let out = Command::new(env!("CARGO_BIN_EXE_kb"))
        .arg("init")
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    for d in [
        ".public.kb-staging-123-0",
        ".public.kb-staging-123-0.old",
        ".site.kb-pending-7-2",
        ".kb/.index-new-123",
        "public",
    ] {
        fs::create_dir_all(root.join(d)).unwrap();
        fs::write(root.join(d).join("index.html"), "x").unwrap();
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    let added = git(&["add", "-A", "--dry-run"]);
    assert!(added.status.success());
    let added = String::from_utf8_lossy(&added.stdout);
    assert!(added.contains("content/"), "{added}");
    assert!(!added.contains("index.html"), "{added}");
}
