//! `kb serve` through the real process: it builds, serves, and on every change to the sources
//! rebuilds and sends a reload event; a bad edit keeps the last good site and sends the
//! diagnostics; requests never leave the output folder.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::copy_example;

/// A running `kb serve` on a free port, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    root: PathBuf,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(root: &Path, extra: &[&str]) -> Server {
        Server::start_in(root, root, root.as_os_str().to_str().unwrap(), extra)
    }

    /// `kb serve --root ROOT_ARG` run from `cwd` (ROOT_ARG may be relative); `root` is where
    /// that is.
    fn start_in(cwd: &Path, root: &Path, root_arg: &str, extra: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kb"));
        cmd.current_dir(cwd)
            .args(["serve", "--port", "0", "--root", root_arg])
            .args(extra);
        Server::spawn(cmd, root)
    }

    /// `kb serve --root ROOT EXTRA` with at most `files` open files (`ulimit -n`).
    fn start_limited(root: &Path, files: u32, extra: &[&str]) -> Server {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &format!("ulimit -n {files} && exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_kb"))
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .args(extra);
        Server::spawn(cmd, root)
    }

    fn spawn(mut cmd: Command, root: &Path) -> Server {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kb serve never said where it serves");
            };
            // `Serving http://127.0.0.1:PORT/` (or the --bind address).
            if let Some(rest) = line.strip_prefix("Serving http://") {
                let addr = rest.split('/').next().unwrap();
                let port = addr.rsplit(':').next().unwrap().parse().unwrap();
                return Server {
                    child,
                    port,
                    root: root.to_path_buf(),
                    log: rx,
                };
            }
        }
    }

    /// (status, headers, body) of a GET for `target` as sent (not normalised by a client).
    fn get(&self, target: &str) -> (u16, String, Vec<u8>) {
        self.send(&format!(
            "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ))
    }

    /// (status, headers, body) of the answer to `request`, sent as it is; it must ask for the
    /// connection to be closed after the answer.
    fn send(&self, request: &str) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status = head[9..12].parse().unwrap();
        let mut body = raw[split + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        (status, head, body)
    }

    fn page(&self, target: &str) -> String {
        let (status, _, body) = self.get(target);
        assert_eq!(status, 200, "GET {target}");
        String::from_utf8(body).unwrap()
    }

    /// An open event stream, read line by line.
    fn events(&self) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET /__kb/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut event = String::new();
            let mut data = Vec::new();
            for line in BufReader::new(s).lines() {
                let Ok(line) = line else { break };
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push(d.to_string());
                } else if line.is_empty() && !event.is_empty() {
                    if tx.send((event.clone(), data.join("\n"))).is_err() {
                        break;
                    }
                    event.clear();
                    data.clear();
                }
            }
        });
        let ev = Events { rx };
        assert_eq!(ev.next().0, "hello");
        ev
    }

    /// Waits (up to a minute: a debug build of a rebuild can take seconds) until `target`
    /// answers with `status` and a body containing `text`.
    fn wait_for(&self, target: &str, status: u16, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (st, _, body) = self.get(target);
            if st == status && String::from_utf8_lossy(&body).contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{target} never answered {status} with {text:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn write(&self, rel: &str, text: &str) {
        fs::write(self.root.join(rel), text).unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Events {
    rx: mpsc::Receiver<(String, String)>,
}

impl Events {
    fn next(&self) -> (String, String) {
        self.rx
            .recv_timeout(Duration::from_secs(30))
            .expect("an event within 30 s")
    }
    /// Skips events until one of `kind`; returns its data.
    fn until(&self, kind: &str) -> String {
        loop {
            let (k, data) = self.next();
            if k == kind {
                return data;
            }
        }
    }
    /// Events arriving within `quiet` of each other, until the stream is quiet.
    fn drain(&self, quiet: Duration) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.recv_timeout(quiet) {
            out.push(e);
        }
        out
    }
}

/// Chunked transfer encoding undone (hyper sends modified HTML bodies that way).
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
}

const PAGE: &str = "/incidents/session-service-oom-after-runtime-upgrade/";
const FILE: &str = "content/2026/2026-07-08-session-service-oom-after-runtime-upgrade.md";

fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    dir
}

/// The example postmortem with another title (its `title:` line replaced, whatever it holds).
fn retitled(dir: &Path, title: &str) -> String {
    let text = fs::read_to_string(dir.join(FILE)).unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("title: ") {
                format!("title: {title}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn serves_the_built_site_with_the_reload_script_and_right_types() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let (status, head, body) = s.get("/");
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: text/html"), "{head}");
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<script src=\"/__kb/live.js\"></script></body>"));
    // The files on disk are what `kb build` writes: no script there.
    let on_disk = fs::read_to_string(dir.path().join(".kb/serve/index.html")).unwrap();
    assert!(!on_disk.contains("__kb/live.js"));
    for (path, ty) in [
        ("/style.css", "text/css"),
        ("/__kb/live.js", "text/javascript"),
        ("/search/terms.bin", "application/octet-stream"),
        ("/incidents.json", "application/json"),
    ] {
        let (status, head, _) = s.get(path);
        assert_eq!(status, 200, "{path}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-type: {ty}")),
            "{path}: {head}"
        );
    }
    // The search works from the preview: the page and its index are there.
    assert!(s.page("/search/").contains("id=\"kb-manifest\""));
    // A page that does not exist is the site's 404, still with the script.
    let (status, _, body) = s.get("/no/such/page/");
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().contains("__kb/live.js"));
}

#[test]
fn requests_never_leave_the_output() {
    let dir = example();
    fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
    let s = Server::start(dir.path(), &[]);
    // Links inside the output that lead out of it (put there by hand: kb writes none).
    let out = dir.path().join(".kb/serve");
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), out.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path(), out.join("outside")).unwrap();
    for target in [
        "/leak.txt",
        "/outside/secret.txt",
        "/outside/site.toml",
        "/outside/",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/incidents/..%2f..%2f..%2fsecret.txt",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/../site.toml",
        "/.%2e/site.toml",
    ] {
        let (status, _, body) = s.get(target);
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("top secret") && !body.contains("root:") && !body.contains("base_url"),
            "{target} served a file outside the output ({status})"
        );
    }
}

#[test]
fn an_edit_reloads_with_the_new_content_and_atomic_saves_and_deletes_work() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();

    // A plain save: the edited page is rendered first and only it is told to reload, with
    // its new content already served; then the rest of the site is rebuilt, and the pages
    // that show the title reload.
    s.write(FILE, &retitled(dir.path(), "Edited once"));
    assert_eq!(events.next(), ("reload".into(), format!("[\"{PAGE}\"]")));
    assert!(s.page(PAGE).contains("Edited once"));
    let (kind, pages) = events.next();
    assert_eq!(kind, "reload");
    assert!(
        pages.contains("\"/\"") && pages.contains("\"/incidents/\""),
        "{pages}"
    );
    assert_eq!(events.next().0, "built");
    assert!(s.page("/incidents/").contains("Edited once"));

    // An atomic save: a temp file next to it, renamed over it (vim, JetBrains, VS Code).
    let tmp = dir.path().join("content/2026/.tmp-save~");
    fs::write(&tmp, retitled(dir.path(), "Saved atomically")).unwrap();
    fs::rename(&tmp, dir.path().join(FILE)).unwrap();
    events.until("reload");
    s.wait_for(PAGE, 200, "Saved atomically");

    // A new postmortem appears, a deleted one disappears.
    s.write(
        "content/2026/new.md",
        "---\nid: brand-new\ntitle: Brand new incident\ndate: 2026-08-01\n---\nBody.\n",
    );
    s.wait_for("/incidents/brand-new/", 200, "Brand new incident");
    fs::remove_file(dir.path().join("content/2026/new.md")).unwrap();
    s.wait_for("/incidents/brand-new/", 404, "Page not found");
    // Let the last rebuild's event pass before watching for silence.
    events.drain(Duration::from_secs(3));

    // Editor droppings alone rebuild nothing.
    s.write("content/2026/.notes.md.swp", "swap");
    s.write("content/2026/scratch.md~", "backup");
    assert!(
        events.drain(Duration::from_secs(1)).is_empty(),
        "temp files caused a rebuild"
    );
}

#[test]
fn a_bad_edit_keeps_the_last_good_site_and_its_fix_clears_the_error() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    let good = s.page(PAGE);
    let fixed = retitled(dir.path(), "Fixed");
    let broken = retitled(dir.path(), "Fine").replacen("date: 2026-07-08", "date: 2026-13-45", 1);
    s.write(FILE, &broken);
    let (kind, data) = events.next();
    assert_eq!(kind, "failed");
    assert!(
        data.contains(&format!("{FILE}:4:7")),
        "the overlay names file:line:col: {data}"
    );
    // Same page as before the bad edit, and a page opened now learns of the failure at once.
    assert_eq!(s.page(PAGE), good);
    let late = s.events();
    assert_eq!(late.next().0, "failed");
    // The terminal says it too.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut said = false;
    while Instant::now() < deadline && !said {
        if let Ok(line) = s.log.recv_timeout(Duration::from_millis(200)) {
            said |= line.contains(&format!("{FILE}:4:7"));
        }
    }
    assert!(said, "the diagnostic was printed");

    s.write(FILE, &fixed);
    events.until("reload");
    s.wait_for(PAGE, 200, "Fixed");
    late.until("reload");
}

#[test]
fn edits_still_show_after_the_terminal_stops_reading() {
    let dir = example();
    let titled = |t: &str| retitled(dir.path(), t);
    let (first, second, third) = (
        titled("First after"),
        titled("Second after"),
        titled("Third after"),
    );
    let broken = titled("Broken").replacen("date: 2026-07-08", "date: 2026-13-45", 1);
    let mut s = Server::start(dir.path(), &[]);
    // The terminal goes away (`kb serve 2>&1 | head`): the reader of kb's stderr stops at the
    // next line, and every line after it finds the pipe closed. A panic there (eprintln!) ended
    // the thread that rebuilds, and no later edit was shown.
    drop(std::mem::replace(&mut s.log, mpsc::channel().1));
    s.write(FILE, &first);
    s.wait_for(PAGE, 200, "First after");
    s.write(FILE, &second);
    s.wait_for(PAGE, 200, "Second after");
    // A bad edit prints its diagnostics and the failure: the last good page stays.
    s.write(FILE, &broken);
    std::thread::sleep(Duration::from_millis(500));
    s.wait_for(PAGE, 200, "Second after");
    s.write(FILE, &third);
    s.wait_for(PAGE, 200, "Third after");
    assert!(s.child.try_wait().unwrap().is_none(), "kb serve still runs");
}

#[test]
fn a_burst_of_saves_ends_in_one_site_with_the_last_content() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    for i in 0..100 {
        s.write(FILE, &retitled(dir.path(), &format!("Burst save {i}")));
    }
    // The site ends on the last save, after a few rebuilds, not a hundred.
    s.wait_for(PAGE, 200, "Burst save 99");
    s.wait_for("/incidents/", 200, "Burst save 99");
    let listing = s.page("/incidents/");
    assert!(!listing.contains("Burst save 98"));
    let mut all = vec![events.next()];
    all.extend(events.drain(Duration::from_secs(3)));
    assert!(
        all.iter().all(|e| e.0 == "reload" || e.0 == "built"),
        "{all:?}"
    );
    let builds = all.iter().filter(|e| e.0 == "built").count();
    assert!((1..10).contains(&builds), "{builds} rebuilds for 100 saves");
}

#[test]
fn a_file_read_between_truncate_and_write_is_not_reported() {
    // A save in place (truncate, then write) that a rebuild reads in between: the rebuild sees
    // an empty postmortem, but the write is on its way, so no failure is shown.
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    let text = retitled(dir.path(), "Written after the truncate");
    s.write(FILE, "");
    // Past the debounce: the rebuild of the empty file has started, and has read it.
    std::thread::sleep(Duration::from_millis(250));
    s.write(FILE, &text);
    s.wait_for(PAGE, 200, "Written after the truncate");
    let mut all = vec![events.next()];
    all.extend(events.drain(Duration::from_secs(2)));
    assert!(all.iter().all(|e| e.0 != "failed"), "{all:?}");
}

#[test]
fn a_stylesheet_change_swaps_styles_only() {
    let dir = example();
    fs::create_dir_all(dir.path().join("theme/static")).unwrap();
    fs::write(
        dir.path().join("theme/static/style.css"),
        "body { color: red }",
    )
    .unwrap();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    s.write("theme/static/style.css", "body { color: blue }");
    assert_eq!(events.next().0, "css");
    s.wait_for("/style.css", 200, "body { color: blue }");
}

#[test]
fn a_theme_folder_made_while_serving_is_watched_from_then_on() {
    let dir = example();
    // The theme arrives later, as a checkout or a copy would bring it.
    let aside = tempfile::tempdir().unwrap();
    let theme = dir.path().join("theme");
    common::copy_dir(&common::repo().join("theme"), &aside.path().join("theme"));
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    let css = "theme/static/style.css";
    for (round, colour) in [(1, "teal"), (2, "olive")] {
        eprintln!("round {round}");
        fs::rename(aside.path().join("theme"), &theme).unwrap();
        settle(&events);
        // The edit inside the new folder: unseen when only the folder's making was.
        let style = format!("body {{ color: {colour} }}");
        s.write(css, &style);
        events.until("css");
        s.wait_for("/style.css", 200, &style);
        if round == 1 {
            // Removed and made anew: the old watch went with the old folder.
            fs::rename(&theme, aside.path().join("theme")).unwrap();
            settle(&events);
        }
    }
}

/// Each file under `dir` with its modification time.
fn times(dir: &Path) -> std::collections::BTreeMap<PathBuf, std::time::SystemTime> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, e.metadata().unwrap().modified().unwrap())
        })
        .collect()
}

/// A serve started again on what an earlier one left writes only the files that differ (the
/// browser's cache and the files' times stay), removes what the site no longer has, and ends
/// as a clean build of the same sources.
#[test]
fn a_serve_started_again_writes_only_what_differs() {
    let dir = example();
    let root = dir.path();
    // The address pages name, the same for both sessions (the port is the system's choice).
    let url = "http://localhost:4000/";
    drop(Server::start(root, &["--base-url", url]));
    let out = root.join(".kb/serve");
    fs::write(out.join("404.html"), "tampered").unwrap();
    fs::write(out.join("stray.html"), "left by hand").unwrap();
    let before = times(&out);
    std::thread::sleep(Duration::from_millis(20));

    let s = Server::start(root, &["--base-url", url]);
    let after = times(&out);
    let written: Vec<&PathBuf> = after
        .iter()
        .filter(|(p, t)| before.get(*p) != Some(t))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(written, [Path::new("404.html")], "only the altered file");
    assert!(!out.join("stray.html").exists());
    assert!(
        after.keys().any(|p| p.starts_with("search/t")),
        "the export is there"
    );
    let clean = tempfile::tempdir().unwrap();
    let built = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(clean.path().join("site"))
        .args(["--base-url", url])
        .output()
        .unwrap();
    assert!(built.status.success());
    assert!(
        tree(&out) == tree(&clean.path().join("site")),
        "not a clean build"
    );
    drop(s);
}

#[test]
fn polling_sees_changes_too() {
    let dir = example();
    let s = Server::start(dir.path(), &["--poll"]);
    let events = s.events();
    // notify's poller compares modification times in whole seconds: a save in the same
    // second as the files were copied would look unchanged.
    std::thread::sleep(Duration::from_millis(1100));
    s.write(FILE, &retitled(dir.path(), "Seen by polling"));
    events.until("reload");
    s.wait_for(PAGE, 200, "Seen by polling");
}

#[test]
fn a_relative_root_is_watched_too() {
    let dir = example();
    let s = Server::start_in(dir.path(), dir.path(), ".", &[]);
    let events = s.events();
    s.write(FILE, &retitled(dir.path(), "Seen from a relative root"));
    events.until("reload");
    s.wait_for(PAGE, 200, "Seen from a relative root");
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Waits (at most 60 s) until `ready` holds, checking every few milliseconds.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `kb search` beside a running `kb serve` trusts the index the serve keeps fresh (it stamps
/// no file; `--refresh` does), sees an edit as soon as the serve has seen it, and stamps every
/// file again once the serve is gone: a killed serve leaves nothing that looks live.
#[test]
fn kb_search_trusts_a_running_serve_and_stamps_the_files_without_it() {
    let dir = example();
    let root = dir.path();
    let fresh = root.join(".kb/serve-fresh.json");
    let id = ["session-service-oom-after-runtime-upgrade".to_string()];
    let trusted = |err: &str| err.contains("kb serve (pid") && !err.contains("stamped");
    let stamped = |err: &str| err.contains("stamped") && !err.contains("kb serve (pid");

    let s = Server::start(root, &[]);
    wait_until("the serve vouches for its first build", || fresh.exists());
    let (ids, err) = common::search_timed(root, "zebrafinch", &[]);
    assert!(ids.is_empty());
    assert!(trusted(&err), "{err}");
    let before = fs::read(&fresh).unwrap();

    // An edit: the serve stops vouching at once, so the search stamps the files and refreshes
    // the index itself if the serve has not yet.
    s.write(FILE, &retitled(root, "Zebrafinch outage after the upgrade"));
    wait_until("the serve sees the edit", || {
        fs::read(&fresh).ok().as_ref() != Some(&before)
    });
    let (ids, err) = common::search_timed(root, "zebrafinch", &[]);
    assert_eq!(ids, id, "{err}");
    // The serve's rebuild done, it vouches again, for the new index.
    wait_until("the serve vouches for the rebuilt index", || {
        fs::read(&fresh).is_ok_and(|b| b != before)
    });
    let (ids, err) = common::search_timed(root, "zebrafinch", &[]);
    assert_eq!(ids, id);
    assert!(trusted(&err), "{err}");
    // --refresh checks every file all the same.
    let (ids, err) = common::search_timed(root, "zebrafinch", &["--refresh"]);
    assert_eq!(ids, id);
    assert!(stamped(&err), "{err}");

    // Killed (no chance to clean up): its files stay, its lock went with it.
    drop(s);
    assert!(fresh.exists());
    let (ids, err) = common::search_timed(root, "zebrafinch", &[]);
    assert_eq!(ids, id);
    assert!(stamped(&err), "{err}");
    fs::write(root.join(FILE), retitled(root, "Quokkafish outage")).unwrap();
    let (ids, err) = common::search_timed(root, "quokkafish", &[]);
    assert_eq!(ids, id, "{err}");
    assert!(common::search_timed(root, "zebrafinch", &[]).0.is_empty());
}

/// Waits for the whole-site rebuild that follows a change, and for any that follow it (a save
/// may reach the watcher as two batches).
fn settle(events: &Events) {
    events.until("built");
    while events
        .drain(Duration::from_millis(800))
        .iter()
        .any(|e| e.0 == "built")
    {}
}

/// The serve directory equals a clean `kb build --base-url` of the same files, byte for byte,
/// file for file.
fn assert_same_as_clean_build(s: &Server, dir: &Path, step: &str) {
    assert_same_as_clean_build_with(s, dir, step, &[]);
}

/// The same, the build given the environment `env` (as the server was).
fn assert_same_as_clean_build_with(s: &Server, dir: &Path, step: &str, env: &[(&str, &str)]) {
    let clean = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kb"))
        .envs(env.iter().copied())
        .args(["build", "--root"])
        .arg(dir)
        .arg("--output")
        .arg(clean.path().join("site"))
        .args(["--base-url", &format!("http://127.0.0.1:{}/", s.port)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served = tree(&dir.join(".kb/serve"));
    let built = tree(&clean.path().join("site"));
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        built.keys().collect::<Vec<_>>(),
        "after {step}: different files"
    );
    for (path, bytes) in &built {
        assert!(
            served[path] == *bytes,
            "after {step}: {} differs",
            path.display()
        );
    }
}

#[test]
fn after_edits_the_preview_is_byte_for_byte_a_clean_build() {
    let dir = example();
    // A build first: the serve's first build decodes the postmortems it parsed, and takes its
    // similar incidents and search export, then each edit is read as the serve reads it.
    assert!(common::kb(dir.path(), &["build"]).status.success());
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    let edit = |from: &str, to: &str| {
        let text = fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(text.contains(from), "{from}");
        s.write(FILE, &text.replacen(from, to, 1));
    };
    let renamed = "content/2025/renamed.md";
    type Step<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let steps: Vec<Step> = vec![
        (
            "a body edit (its page first, then the rest)",
            Box::new(|| edit("## ", "## Edited: ")),
        ),
        (
            "a title edit (listings change)",
            Box::new(|| s.write(FILE, &retitled(dir.path(), "Edited before comparing"))),
        ),
        (
            "a tag added and one removed",
            Box::new(|| edit("  - upgrade\n", "  - deploys\n")),
        ),
        (
            "a rename into another folder",
            Box::new(|| {
                fs::rename(
                    dir.path()
                        .join("content/2025/2025-09-17-replica-write-broke-replication-again.md"),
                    dir.path().join(renamed),
                )
                .unwrap()
            }),
        ),
        (
            "a new postmortem",
            Box::new(|| {
                s.write(
                    "content/2026/new.md",
                    "---\nid: brand-new\ntitle: Brand new incident\ndate: 2026-08-01\n\
                     tags: [replication]\n---\nBody, like [[session-service-oom-after-runtime-upgrade]].\n",
                )
            }),
        ),
        (
            "a deleted postmortem",
            Box::new(|| fs::remove_file(dir.path().join("content/2026/new.md")).unwrap()),
        ),
        (
            "a postmortem turned draft",
            Box::new(|| edit("status: in-review", "status: draft")),
        ),
        (
            "a site.toml change",
            Box::new(|| {
                let toml = fs::read_to_string(dir.path().join("site.toml")).unwrap();
                s.write(
                    "site.toml",
                    &toml.replacen("Acme incident knowledge base", "Acme incidents", 1),
                )
            }),
        ),
    ];
    for (step, change) in steps {
        change();
        settle(&events);
        assert_same_as_clean_build(&s, dir.path(), step);
    }
    assert!(s.page("/incidents.json").contains(renamed));
}

/// The card of incident `id` on a list, tag or service page (not a lesson or action item
/// quoting it).
fn card<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let link = format!("incidents/{id}/\"");
    page.match_indices(&link).find_map(|(at, _)| {
        let start = page[..at].rfind("<li")?;
        let end = at + page[at..].find("</li>")?;
        page[start..]
            .starts_with("<li class=\"incident-item\"")
            .then(|| &page[start..end])
    })
}

/// The id of the one incident page a reload event names.
fn own_page(data: &str) -> String {
    let pages: Vec<String> = serde_json::from_str(data).unwrap();
    match &pages[..] {
        [one] => one
            .strip_prefix("/incidents/")
            .and_then(|id| id.strip_suffix('/'))
            .unwrap_or(one)
            .to_string(),
        _ => panic!("not one page: {data}"),
    }
}

#[test]
fn an_edit_to_tags_services_links_severity_or_date_shows_at_once_where_the_incident_appears() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    const ID: &str = "session-service-oom-after-runtime-upgrade";
    const TARGET: &str = "/incidents/mysql-replica-lag-primary-overload/";
    assert!(
        !s.page(TARGET).contains(ID),
        "the link target shows no backlink yet"
    );
    let edit = |from: &str, to: &str| {
        let text = fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(text.contains(from), "{from}");
        s.write(FILE, &text.replacen(from, to, 1));
    };
    // (what, edit, pages that must show it in the first reload, check on each of those)
    type Check<'a> = Box<dyn Fn(&str, &str) -> bool + 'a>;
    type Step<'a> = (&'a str, Box<dyn Fn() + 'a>, Vec<&'a str>, Check<'a>);
    // On its own page, `new` anywhere; elsewhere, `new` and not `old` in its card.
    let listed = |new: &'static str, old: &'static str| -> Check {
        Box::new(move |url: &str, html: &str| match url {
            PAGE => html.contains(new),
            _ => card(html, ID).is_some_and(|c| c.contains(new) && !c.contains(old)),
        })
    };
    let steps: Vec<Step> = vec![
        (
            "a tag added",
            Box::new(|| edit("  - upgrade\n", "  - upgrade\n  - quickly-tagged\n")),
            vec![PAGE, "/tags/quickly-tagged/"],
            Box::new(|url: &str, html: &str| match url {
                PAGE => html.contains("tags/quickly-tagged/"),
                _ => card(html, ID).is_some(),
            }),
        ),
        (
            "a tag removed",
            Box::new(|| edit("  - kubernetes\n", "")),
            vec![PAGE, "/tags/kubernetes/"],
            Box::new(|url: &str, html: &str| match url {
                PAGE => !html.contains("tags/kubernetes/"),
                _ => card(html, ID).is_none(),
            }),
        ),
        (
            "a service changed",
            Box::new(|| edit("  - login\n", "  - quick-service\n")),
            vec![PAGE, "/services/quick-service/", "/services/login/"],
            Box::new(|url: &str, html: &str| match url {
                "/services/login/" => card(html, ID).is_none(),
                PAGE => html.contains("services/quick-service/"),
                _ => card(html, ID).is_some(),
            }),
        ),
        (
            "a link added (a backlink on the page it links to)",
            Box::new(|| {
                edit(
                    "This postmortem is **in review**.",
                    "This postmortem is **in review**. See [[mysql-replica-lag-primary-overload]].",
                )
            }),
            vec![PAGE, TARGET],
            Box::new(|url: &str, html: &str| match url {
                PAGE => html.contains("../mysql-replica-lag-primary-overload/"),
                _ => html.contains(ID),
            }),
        ),
        (
            "the severity changed",
            Box::new(|| edit("severity: SEV3", "severity: SEV1")),
            vec![
                PAGE,
                "/tags/upgrade/",
                "/services/session-service/",
                "/incidents/",
                "/",
            ],
            listed("Severity SEV1", "Severity SEV3"),
        ),
        (
            "the date changed (from newest to oldest)",
            Box::new(|| edit("date: 2026-07-08", "date: 2021-01-02")),
            vec![
                PAGE,
                "/tags/upgrade/",
                "/services/session-service/",
                "/incidents/",
            ],
            listed("2 Jan 2021", "8 Jul 2026"),
        ),
    ];
    for (step, change, pages, shows) in steps {
        change();
        // The incident's own page first, on its own: it shows as soon as after an edit that
        // changes nothing else.
        let (kind, data) = events.next();
        assert_eq!(kind, "reload", "after {step}: {data}");
        assert_eq!(own_page(&data), ID, "after {step}: {data}");
        assert!(shows(PAGE, &s.page(PAGE)), "after {step}: {PAGE}");
        // The next reload, before the whole site is rebuilt, names the pages it appears on,
        // which already show the edit.
        let (kind, data) = events.next();
        assert_eq!(kind, "reload", "after {step}: {data}");
        for url in pages.iter().filter(|u| **u != PAGE) {
            assert!(
                data.contains(&format!("\"{url}\"")),
                "after {step}: {url} not in {data}"
            );
            assert!(
                shows(url, &s.page(url)),
                "after {step}: {url} does not show it"
            );
        }
        settle(&events);
        assert_same_as_clean_build(&s, dir.path(), step);
    }
    let log: Vec<String> = s.log.try_iter().collect();
    let updated = log.iter().filter(|l| l.starts_with("Updated ")).count();
    assert!(updated >= 6, "{log:#?}");
}

/// A tag with enough incidents for the server to keep its figures between builds, and a list
/// of several pages: an edit shows at once on the incident's page and the list page that shows
/// it (not on the list's other pages), then on the tag's page, and the rebuild that follows
/// ends as a clean build.
#[test]
fn on_a_big_tag_and_a_paged_list_an_edit_shows_at_once_and_ends_as_a_clean_build() {
    let dir = example();
    for n in 0..55 {
        let day = n % 28 + 1;
        fs::write(
            dir.path().join(format!("content/bulk-{n:02}.md")),
            format!(
                "---\nid: bulk-{n:02}\ntitle: Bulk incident {n}\ndate: 2019-{:02}-{day:02}\n\
                 severity: SEV3\ntags: [bulk]\n---\nBody {n}.\n",
                n / 28 + 1
            ),
        )
        .unwrap();
    }
    const ENV: &[(&str, &str)] = &[("KB_LIST_PAGE", "10")];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kb"));
    cmd.envs(ENV.iter().copied())
        .args(["serve", "--port", "0", "--root"])
        .arg(dir.path());
    let s = Server::spawn(cmd, dir.path());
    let events = s.events();
    const ID: &str = "bulk-30";
    let file = "content/bulk-30.md";
    // The list page showing the incident, and the other list pages.
    let list_pages = || -> Vec<String> {
        let mut pages = vec!["/incidents/".to_string()];
        while s.get(&format!("/incidents/page/{}/", pages.len() + 1)).0 == 200 {
            pages.push(format!("/incidents/page/{}/", pages.len() + 1));
        }
        pages
    };
    let pages = list_pages();
    assert!(pages.len() >= 5, "{pages:?}");
    let edit = |from: &str, to: &str| {
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains(from), "{from}");
        s.write(file, &text.replacen(from, to, 1));
    };
    for (step, from, to, new, old) in [
        (
            "the severity changed",
            "SEV3",
            "SEV1",
            "Severity SEV1",
            "Severity SEV3",
        ),
        (
            "the date changed",
            "2019-02-03",
            "2001-01-01",
            "1 Jan 2001",
            "3 Feb 2019",
        ),
    ] {
        let on = pages
            .iter()
            .filter(|p| card(&s.page(p), ID).is_some())
            .count();
        assert_eq!(on, 1, "before {step}");
        edit(from, to);
        let (kind, data) = events.next();
        assert_eq!(kind, "reload", "after {step}: {data}");
        assert_eq!(own_page(&data), ID, "after {step}: {data}");
        let (kind, data) = events.next();
        assert_eq!(kind, "reload", "after {step}: {data}");
        let shown = |url: &str| data.contains(&format!("\"{url}\""));
        let showing: Vec<&String> = pages
            .iter()
            .filter(|p| card(&s.page(p), ID).is_some_and(|c| c.contains(new) && !c.contains(old)))
            .collect();
        assert_eq!(showing.len(), 1, "after {step}: {data}");
        assert!(
            shown(showing[0]),
            "after {step}: {} not in {data}",
            showing[0]
        );
        // The big tag's pages come next, on their own (they take longest): those that
        // changed, among them the one listing the incident (its incidents are paged too).
        assert!(!data.contains("\"/tags/bulk/"), "after {step}: {data}");
        let (kind, tag_data) = events.next();
        assert_eq!(kind, "reload", "after {step}: {tag_data}");
        let tag_pages: Vec<String> = serde_json::from_str(&tag_data).unwrap();
        assert!(
            tag_pages.iter().all(|p| p.starts_with("/tags/bulk/")),
            "after {step}: {tag_data}"
        );
        let listing: Vec<&String> = tag_pages
            .iter()
            .filter(|p| card(&s.page(p), ID).is_some_and(|c| c.contains(new)))
            .collect();
        assert_eq!(
            listing.len(),
            1,
            "after {step}: the tag page, in {tag_data}"
        );
        // The first page is rendered too (its year navigation counts every incident).
        let others = pages
            .iter()
            .filter(|p| *p != "/incidents/" && *p != showing[0]);
        for url in others {
            assert!(!shown(url), "after {step}: {url} in {data}");
        }
        settle(&events);
        assert_same_as_clean_build_with(&s, dir.path(), step, ENV);
        // All three were shown at once, before the rebuild: kb says so.
        let updated: Vec<String> = s
            .log
            .try_iter()
            .filter(|l| l.starts_with("Updated "))
            .collect();
        assert_eq!(updated.len(), 3, "after {step}: {updated:#?}");
        assert!(
            updated[2].starts_with(&format!("Updated {} in ", tag_pages.join(", "))),
            "{updated:#?}"
        );
    }
    // Leaving the big tag: every page of it shows the new count, at once.
    edit("tags: [bulk]", "tags: [other]");
    let (kind, data) = events.next();
    assert_eq!(kind, "reload", "{data}");
    assert_eq!(own_page(&data), ID, "{data}");
    let (kind, data) = events.next();
    assert_eq!(kind, "reload", "{data}");
    assert!(data.contains("\"/tags/other/\""), "{data}");
    let (kind, data) = events.next();
    assert_eq!(kind, "reload", "{data}");
    let tag_pages: Vec<String> = serde_json::from_str(&data).unwrap();
    let all: Vec<String> = std::iter::once("/tags/bulk/".to_string())
        .chain((2..=6).map(|n| format!("/tags/bulk/page/{n}/")))
        .collect();
    assert_eq!(tag_pages, all);
    for p in &all {
        let html = s.page(p);
        assert!(
            html.contains("54 incidents") && card(&html, ID).is_none(),
            "{p}"
        );
    }
    settle(&events);
    assert_same_as_clean_build_with(&s, dir.path(), "the tag left", ENV);
}

#[test]
fn ctrl_c_stops_the_server_cleanly_even_with_pages_open() {
    let dir = example();
    let mut s = Server::start(dir.path(), &[]);
    let _open_page = s.events();
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still running 10 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_port_in_use_is_a_clear_usage_error() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["serve", "--port", &s.port.to_string(), "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("port {} is already in use", s.port)) && err.contains("--port"),
        "{err}"
    );
}

/// Chromium, node and playwright-core (`npm ci --prefix tests/browser`), or `None` with a note
/// (an error under `KB_REQUIRE_BROWSER`, which `.ci/run` sets).
fn browser_driver() -> Option<PathBuf> {
    let ready = Path::new("/usr/bin/chromium").exists()
        && common::repo()
            .join("tests/browser/node_modules/playwright-core")
            .is_dir()
        && common::node().is_some();
    if !ready {
        common::skipping(
            "Chromium, node or tests/browser/node_modules is missing",
            "apt-get install -y chromium nodejs; npm ci --prefix tests/browser",
        );
        return None;
    }
    Some(common::repo().join("tests/browser/live_reload.mjs"))
}

#[test]
fn in_the_browser_a_bad_save_shows_an_overlay_the_fix_reloads_and_an_edit_reloads_only_its_page() {
    let Some(script) = browser_driver() else {
        return;
    };
    let dir = example();
    let broken = dir.path().join("broken.txt");
    let fixed = dir.path().join("fixed.txt");
    fs::write(
        &broken,
        retitled(dir.path(), "Broken").replacen("date: 2026-07-08", "date: 2026-13-45", 1),
    )
    .unwrap();
    fs::write(&fixed, retitled(dir.path(), "Fixed live")).unwrap();
    let edited = dir.path().join("edited.txt");
    let body_edit = retitled(dir.path(), "Fixed live").replacen(
        "This postmortem is **in review**.",
        "This postmortem is **in review** (edited live).",
        1,
    );
    assert!(body_edit.contains("edited live"));
    fs::write(&edited, body_edit).unwrap();
    let s = Server::start(dir.path(), &[]);
    let out = Command::new(common::node().unwrap())
        .arg(script)
        .arg(format!("http://127.0.0.1:{}{PAGE}", s.port))
        .arg(dir.path().join(FILE))
        .args([&broken, &fixed, &edited])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("failure").is_none(), "in the browser: {v}");
    assert_eq!(v["errors"], serde_json::json!([]), "console errors");
    let overlay = v["overlay"].as_str().unwrap();
    assert!(
        overlay.contains(&format!("{FILE}:4:7")) && overlay.contains("2026-13-45"),
        "{overlay}"
    );
    // The last good page stayed under the overlay; the fix reloaded it.
    assert_eq!(v["during"], v["before"]);
    assert!(
        v["after"].as_str().unwrap().starts_with("Fixed live"),
        "{v}"
    );
    // A body edit reloads its page only: the home page, unchanged, stayed as it was.
    assert_eq!(v["editedReloaded"], true, "{v}");
    assert_eq!(v["homeStayed"], true, "{v}");
}

#[test]
fn a_save_during_a_whole_site_rebuild_is_shown_and_the_site_ends_consistent() {
    let dir = example();
    // Enough postmortems that the whole-site rebuild takes a while (0.4 s here),
    // so the second save lands in the middle of it: its page is shown from the other thread,
    // the running rebuild leaves that page alone, and the save's own rebuild settles it.
    for k in 0..3000 {
        fs::write(
            dir.path().join(format!("content/2025/filler-{k:04}.md")),
            format!(
                "---\nid: filler-{k:04}\ntitle: Filler incident {k}\ndate: 2025-01-{:02}\n\
                 tags: [replication]\n---\nThe replica fell {k} seconds behind; writes were rejected.\n",
                k % 28 + 1
            ),
        )
        .unwrap();
    }
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    s.write(FILE, &retitled(dir.path(), "First save"));
    assert_eq!(events.next(), ("reload".into(), format!("[\"{PAGE}\"]")));
    // Past the debounce (150 ms, checked every 37 ms): the first save's rebuild is running.
    std::thread::sleep(Duration::from_millis(250));
    s.write(FILE, &retitled(dir.path(), "Second save"));
    s.wait_for(PAGE, 200, "Second save");
    settle(&events);
    assert!(s.page("/incidents/").contains("Second save"));
    assert_same_as_clean_build(&s, dir.path(), "a save during a rebuild");
    // The second save was shown while the first one's rebuild ran (its line comes first).
    let log: Vec<String> = s.log.try_iter().collect();
    let shown = log.iter().filter(|l| l.starts_with("Updated ")).count();
    let first_rebuilt = log.iter().position(|l| l.starts_with("Rebuilt ")).unwrap();
    assert!(
        log[..first_rebuilt]
            .iter()
            .filter(|l| l.starts_with("Updated "))
            .count()
            >= 2
            && shown >= 2,
        "{log:#?}"
    );
}

/// A postmortem that is a draft: shown under --drafts, and so in /incidents.json.
const DRAFT_TITLE: &str = "Enricher consumer lag reached two hours";

/// The start of a body, for a failure's message.
fn start(body: &str) -> String {
    body.chars().take(300).collect()
}

#[test]
fn a_request_for_another_host_name_is_refused_without_any_incident_data() {
    let dir = example();
    let s = Server::start(dir.path(), &["--drafts"]);
    let port = s.port;
    let ask = |target: &str, host: &str| {
        s.send(&format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    };
    // What a DNS-rebinding page sends: its own name, pointed at this machine.
    for host in [
        format!("evil.example.com:{port}"),
        "evil.example.com".into(),
        format!("localhost.evil.example.com:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        for target in ["/incidents.json", "/", PAGE, "/__kb/events"] {
            let (status, head, body) = ask(target, &host);
            let body = String::from_utf8_lossy(&body);
            assert_eq!(status, 403, "{host} {target}: {head}\n{}", start(&body));
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: text/plain"),
                "{head}"
            );
            assert!(
                body.contains("localhost, 127.0.0.1, [::1]") && body.contains("--base-url"),
                "{body}"
            );
            assert!(
                !body.contains(DRAFT_TITLE) && !body.contains("incident"),
                "{body}"
            );
        }
    }
    // An absolute target names the host too, whatever Host says.
    let (status, _, _) = s.send(
        "GET http://evil.example.com/incidents.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 403);
    // Two Host headers: which one is meant is not known.
    let (status, _, _) = s.send(&format!(
        "GET /incidents.json HTTP/1.1\r\nHost: localhost:{port}\r\nHost: evil.example.com\r\n\
         Connection: close\r\n\r\n"
    ));
    assert_eq!(status, 403);
    // The names of this machine, in any case, with or without the port.
    for host in [
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("127.0.0.1:{port}"),
        "127.0.0.1".into(),
        format!("[::1]:{port}"),
    ] {
        let (status, _, body) = ask("/incidents.json", &host);
        assert_eq!(status, 200, "{host}");
        assert!(
            String::from_utf8_lossy(&body).contains(DRAFT_TITLE),
            "{host}"
        );
    }
    // No Host at all (HTTP/1.0) from this machine.
    let (status, _, body) = s.send("GET /incidents.json HTTP/1.0\r\n\r\n");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains(DRAFT_TITLE));
}

#[test]
fn a_request_from_another_sites_page_is_refused_event_stream_included() {
    let dir = example();
    let s = Server::start(dir.path(), &["--drafts"]);
    let port = s.port;
    let ask = |target: &str, origin: &str| {
        s.send(&format!(
            "GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: {origin}\r\n\
             Connection: close\r\n\r\n"
        ))
    };
    for origin in [
        "http://evil.example.com".to_string(),
        format!("http://evil.example.com:{port}"),
        "null".into(),
        "https://localhost.evil.example.com".into(),
    ] {
        for target in ["/incidents.json", "/__kb/events", "/__kb/live.js", "/"] {
            let (status, _, body) = ask(target, &origin);
            let body = String::from_utf8_lossy(&body);
            assert_eq!(status, 403, "{origin} {target}: {}", start(&body));
            assert!(
                body.contains("--base-url") && !body.contains(DRAFT_TITLE),
                "{body}"
            );
        }
    }
    // The preview's own pages (whichever of its names they were opened by).
    for origin in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ] {
        let (status, _, body) = ask("/incidents.json", &origin);
        assert_eq!(status, 200, "{origin}");
        assert!(String::from_utf8_lossy(&body).contains(DRAFT_TITLE));
    }
}

#[test]
fn base_url_and_bind_add_the_names_they_give() {
    let dir = example();
    let s = Server::start(
        dir.path(),
        &[
            "--bind",
            "0.0.0.0",
            "--base-url",
            "http://DevBox.example:1111/",
        ],
    );
    let port = s.port;
    let ask = |host: &str| {
        s.send(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
        .0
    };
    assert_eq!(ask("devbox.example:1111"), 200);
    assert_eq!(ask(&format!("devbox.example:{port}")), 200);
    // Bound to every address: any address of the machine (a rebinding page has a name).
    assert_eq!(ask(&format!("192.0.2.7:{port}")), 200);
    assert_eq!(ask(&format!("[2001:db8::7]:{port}")), 200);
    assert_eq!(ask(&format!("evil.example.com:{port}")), 403);
    assert_eq!(ask("devbox.example.evil.example.com"), 403);
    // Pages give the base URL as their address.
    assert!(s.page("/").contains("http://DevBox.example:1111/"));
    drop(s);

    // Bound to one address: that address, not others.
    let s = Server::start(dir.path(), &["--bind", "127.0.0.1"]);
    let port = s.port;
    let (status, _, _) = s.send(&format!(
        "GET / HTTP/1.1\r\nHost: 192.0.2.7:{port}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, 403);
    drop(s);

    let out = common::kb(
        dir.path(),
        &["serve", "--port", "0", "--base-url", "devbox:1111"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base-url"));
}

/// Reads from `s` until the server closes it (or 30 s pass): when that was, and what came.
fn until_closed(mut s: TcpStream, opened: Instant) -> (Duration, Vec<u8>) {
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (opened.elapsed(), got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // Reset by the server: closed too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (opened.elapsed(), got);
            }
            Err(e) => panic!("still open after {:?}: {e}", opened.elapsed()),
        }
    }
}

#[test]
fn half_sent_requests_and_idle_connections_are_closed_after_10_seconds_event_streams_are_not() {
    let dir = example();
    let s = Server::start(dir.path(), &[]);
    let events = s.events();
    let connect = || TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let opened = Instant::now();
    let silent = connect();
    let mut half = connect();
    half.write_all(b"GET /incidents.json HT").unwrap();
    let mut idle = connect();
    idle.write_all(b"GET /__kb/live.js HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // Dribbled a byte a second: the time counts from the start of the request, not the last byte.
    let dribbled = connect();
    let mut d = dribbled.try_clone().unwrap();
    std::thread::spawn(move || {
        for b in b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa" {
            if d.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let waits: Vec<_> = std::thread::scope(|sc| {
        [silent, half, idle, dribbled]
            .map(|c| sc.spawn(move || until_closed(c, opened)))
            .map(|h| h.join().unwrap())
            .into_iter()
            .collect()
    });
    for (i, (after, _)) in waits.iter().enumerate() {
        assert!(
            *after >= Duration::from_secs(9) && *after < Duration::from_secs(15),
            "connection {i} closed after {after:?}"
        );
    }
    // The keep-alive connection had its answer first.
    assert!(String::from_utf8_lossy(&waits[2].1).starts_with("HTTP/1.1 200"));
    // The event stream, open all along, still works.
    s.write(FILE, &retitled(dir.path(), "Still live"));
    assert_eq!(events.until("reload"), format!("[\"{PAGE}\"]"));
}

#[test]
fn held_connections_cannot_keep_the_server_from_answering() {
    let dir = example();
    // 128 files: at most 64 connections at a time, so the server never runs out of files.
    let s = Server::start_limited(dir.path(), 128, &["--header-timeout", "1"]);
    // More than the process may open files for, each sending half a request and holding on.
    let held: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            c.write_all(b"GET / HT").unwrap();
            c
        })
        .collect();
    let start = Instant::now();
    let (status, _, body) = s.get("/");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("</html>"));
    // Queued behind the others, which go 64 at a time, a second each.
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    drop(held);
    let log: Vec<String> = s.log.try_iter().collect();
    assert!(
        !log.iter().any(|l| l.contains("Too many open files")),
        "{log:#?}"
    );
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let dir = example();
    // Bigger than what the system buffers between the two ends of a connection.
    let big = 48 << 20;
    fs::create_dir_all(dir.path().join("theme/static")).unwrap();
    fs::write(dir.path().join("theme/static/big.bin"), vec![7u8; big]).unwrap();
    let s = Server::start(dir.path(), &["--write-timeout", "1"]);
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let opened = Instant::now();
    c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let (_, got) = until_closed(c, opened);
    assert!(
        String::from_utf8_lossy(&got[..12]) == "HTTP/1.1 200" && got.len() < big,
        "{} of {big} bytes",
        got.len()
    );
    // A client that reads gets it all.
    let (status, _, body) = s.get("/big.bin");
    assert_eq!((status, body.len()), (200, big));
}
