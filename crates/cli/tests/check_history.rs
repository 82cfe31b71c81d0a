//! `faultline check-history`: verdicts and exit statuses, as a user sees them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/oracles/porcupine").join(file)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check(file: &Path, model: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["check-history", file.to_str().unwrap(), "--model", model];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn linearizable_history_exits_0() {
    let (code, out, _) = check(&corpus("jepsen/etcd_002.log"), "cas-register", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict: linearizable"));
}

#[test]
fn illegal_history_exits_1_with_its_window() {
    let (code, out, _) = check(&corpus("kv/c10-bad.txt"), "kv", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT linearizable") && out.contains("illegal window"), "{out}");
}

#[test]
fn a_budget_too_small_exits_3_not_0() {
    let (code, out, _) =
        check(&corpus("jepsen/etcd_002.log"), "cas-register", &["--budget", "100"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("unknown"));
}

#[test]
fn faultline_jsonl_is_read_per_key() {
    let dir = std::env::temp_dir().join(format!("faultline-check-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("history.jsonl");
    let lines = [
        r#"{"process":1,"type":"invoke","f":"write","key":1,"value":5,"time_ns":0}"#,
        r#"{"process":1,"type":"ok","f":"write","key":1,"value":5,"time_ns":10}"#,
        r#"{"process":2,"type":"invoke","f":"read","key":2,"value":null,"time_ns":20}"#,
        r#"{"process":2,"type":"ok","f":"read","key":2,"value":null,"time_ns":30}"#,
        r#"{"process":3,"type":"invoke","f":"read","key":1,"value":null,"time_ns":40}"#,
        r#"{"process":3,"type":"ok","f":"read","key":1,"value":5,"time_ns":50}"#,
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, out, _) = check(&file, "cas-register", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 operations") && out.contains("2 keys"), "{out}");
    // The same read seeing a value nobody wrote.
    std::fs::write(
        &file,
        lines.join("\n").replace(r#""value":5,"time_ns":50"#, r#""value":6,"time_ns":50"#),
    )
    .unwrap();
    assert_eq!(check(&file, "cas-register", &[]).0, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_2_with_one_clear_message() {
    let (code, _, err) = check(&PathBuf::from("/no/such/history.jsonl"), "cas-register", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/history.jsonl") && err.contains("cannot read"), "{err}");
    let (code, _, err) = check(&corpus("jepsen/etcd_000.log"), "kv", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--model cas-register"), "{err}");
    let (code, _, err) = check(&corpus("README.md"), "kv", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a history"), "{err}");
    let (code, _, _) = run(&["check-history", "x", "--model", "banana"]);
    assert_eq!(code, 2, "usage errors exit 2");
}
