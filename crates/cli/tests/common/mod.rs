//! What the CLI tests share: running the built `faultline`, the shipped scenario files, and a
//! fresh scratch folder per test.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Runs `faultline` with `args`: (exit status, stdout, stderr).
pub fn faultline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The path of a shipped scenario file.
pub fn scenario(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(file)
        .to_str()
        .unwrap()
        .to_string()
}

/// A fresh, empty folder for one test (named after the test file, the test and the process).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "faultline-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
