//! The built site in a real browser (Debian's headless Chromium): pages load from disk, the
//! file:// link fix-up runs, and the incident page shows its content.
//!
//! Without Chromium the test says so and passes, so `cargo test` works on a fresh machine;
//! `.ci/run` installs Chromium and sets `KB_REQUIRE_BROWSER=1`, which makes its absence a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn dump_dom(browser: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=2000", "--dump-dom", url])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn incident_page_renders_in_chromium_from_disk() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("KB_REQUIRE_BROWSER").is_none(),
            "KB_REQUIRE_BROWSER is set but Chromium is not installed"
        );
        eprintln!("skipping: Chromium not installed (apt-get install -y chromium)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let status = Command::new(env!("CARGO_BIN_EXE_kb"))
        .args(["build", "--root", env!("CARGO_MANIFEST_DIR"), "--output"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());

    let page = out.join("incidents/monitoring-user-broke-replication/index.html");
    let dom = dump_dom(&browser, &format!("file://{}", page.display()));
    assert!(
        dom.contains("id=\"incident-title\""),
        "title heading in the live DOM"
    );
    assert!(dom.contains("super_read_only"), "body rendered");
    // The inline script rewrote directory links so they open from disk.
    assert!(
        dom.contains("href=\"../../tags/replication/index.html\""),
        "file:// links point at index.html"
    );

    let home = dump_dom(
        &browser,
        &format!("file://{}", out.join("index.html").display()),
    );
    assert!(
        home.contains("href=\"incidents/index.html\""),
        "home links fixed up"
    );
    assert!(home.contains("Recent incidents"));
}
