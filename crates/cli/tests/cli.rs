//! `faultline` commands as a user runs them: check-history, validate, list; verdicts, messages and exit statuses.

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

fn scenarios(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file)
}

#[test]
fn validate_reports_every_bad_file_with_its_position() {
    let dir = std::env::temp_dir().join(format!("faultline-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = scenarios("raft-leader-partition.toml");
    let text = std::fs::read_to_string(&good).unwrap();
    let lossy = dir.join("lossy.toml");
    std::fs::write(&lossy, text.replace("loss = 0.001", "loss = 1.5")).unwrap();
    let unknown = dir.join("unknown.toml");
    std::fs::write(&unknown, text.replace("[clock]", "[clock]\ndrfit_ppm = 3")).unwrap();
    let ghost = dir.join("ghost.toml");
    std::fs::write(&ghost, text.replace("isolate = \"leader\"", "isolate = \"n9\"")).unwrap();
    let (code, out, err) = run(&[
        "validate",
        good.to_str().unwrap(),
        lossy.to_str().unwrap(),
        unknown.to_str().unwrap(),
        ghost.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("ok (raft scenario `raft-leader-partition`)"), "{out}");
    assert!(err.contains("lossy.toml:14:8") && err.contains("[0, 1)"), "{err}");
    assert!(err.contains("unknown.toml:") && err.contains("drfit_ppm"), "{err}");
    assert!(err.contains("ghost.toml:") && err.contains("n9") && err.contains("n1..n5"), "{err}");
    assert!(err.contains("3 of 4 files have errors"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_names_protocols_kinds_and_parameters() {
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    for word in ["raft", "partition-oneway", "minority", "election_timeout", "commit-previous-term"]
    {
        assert!(out.contains(word), "{word} missing from {out}");
    }
}
