//! `faultline check-history` on faultline's own `history.jsonl`: events that share a
//! nanosecond keep the order of their entries, and reports give nanoseconds.

use std::path::PathBuf;
use std::process::Command;

/// Writes `lines` to a fresh file named `name` and runs check-history on it.
fn check_lines(name: &str, lines: &[&str]) -> (i32, String) {
    let dir = std::env::temp_dir()
        .join(format!("faultline-check-history-order-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("history.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["check-history", file.to_str().unwrap(), "--model", "cas-register"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

const WRITE: [&str; 2] = [
    r#"{"process":0,"type":"invoke","f":"write","key":1,"value":1,"time_ns":0}"#,
    r#"{"process":0,"type":"ok","f":"write","key":1,"value":1,"time_ns":10}"#,
];

#[test]
fn a_stale_read_invoked_in_the_nanosecond_its_process_wrote_is_caught() {
    let lines = [
        WRITE[0],
        WRITE[1],
        r#"{"process":0,"type":"invoke","f":"read","key":1,"value":null,"time_ns":10}"#,
        r#"{"process":0,"type":"ok","f":"read","key":1,"value":null,"time_ns":20}"#,
    ];
    let (code, out) = check_lines("same-ns", &lines);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT linearizable"), "{out}");
    // The window is in the file's nanoseconds, not entry numbers.
    assert!(out.contains("illegal window [10, 20], 1 operations"), "{out}");
}

#[test]
fn a_read_invoked_before_the_write_returned_may_see_nil() {
    // Same nanosecond, but the read's invocation is the earlier entry: it overlaps the write.
    let lines = [
        WRITE[0],
        r#"{"process":1,"type":"invoke","f":"read","key":1,"value":null,"time_ns":10}"#,
        WRITE[1],
        r#"{"process":1,"type":"ok","f":"read","key":1,"value":null,"time_ns":20}"#,
    ];
    let (code, out) = check_lines("overlap", &lines);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn entries_out_of_time_order_are_bad_input() {
    let lines = [
        WRITE[0],
        WRITE[1],
        r#"{"process":0,"type":"invoke","f":"read","key":1,"value":null,"time_ns":5}"#,
        r#"{"process":0,"type":"ok","f":"read","key":1,"value":null,"time_ns":20}"#,
    ];
    let (code, out) = check_lines("backwards", &lines);
    assert_eq!(code, 2, "{out}");
}
