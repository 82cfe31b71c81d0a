//! The report opens from disk in a real browser and its charts render: headless Chromium
//! (Debian's `chromium`, which .ci/run installs) loads index.html and the page's own check
//! records how many chart SVGs drew.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The browser: `$FAULTLINE_CHROMIUM`, or the first of the usual names on PATH.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("FAULTLINE_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "this test needs a headless Chromium: install Debian's `chromium` (apt-get install \
         chromium; .ci/run does) or point FAULTLINE_CHROMIUM at one"
    );
}

#[test]
fn index_html_renders_every_chart_in_headless_chromium() {
    let dir = std::env::temp_dir().join(format!("faultline-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("run");
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/raft-leader-partition.toml");
    let status = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let page = out.join("index.html").canonicalize().unwrap();

    // The flags keep Chromium off this machine's closed network and out of the user's profile.
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // The DOM is megabytes: read it while Chromium writes, or the pipe fills and it stalls.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).map(|_| dom)
    });
    let mut waited = Duration::ZERO;
    while child.try_wait().unwrap().is_none() {
        if waited > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
        waited += Duration::from_millis(100);
    }
    let dom = reader.join().unwrap().unwrap();
    assert!(
        dom.contains(r#"data-charts-rendered="6""#),
        "the page's check did not see 6 charts drawn (4 of client operations, 2 of Raft's own series); body: {}",
        dom.split("<body").nth(1).map(|b| &b[..b.len().min(200)]).unwrap_or("(no body)")
    );
    assert!(dom.contains("raft-leader-partition") && dom.contains("Election Safety"));
    std::fs::remove_dir_all(&dir).unwrap();
}
