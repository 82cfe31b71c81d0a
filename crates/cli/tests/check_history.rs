//! `faultline check-history` on faultline's own `history.jsonl`: events that share a
//! nanosecond keep the order of their entries, and reports give nanoseconds. And the
//! counterexample explains itself: on Porcupine's kv/c10-bad.txt, it names the appends a stale
//! get missed.

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
    // The write is not in the window, but the explanation names it, in nanoseconds.
    assert!(out.contains("a legal order of 1 operations before its call (1 shown) leaves Some(1)"));
    assert!(out.contains("\n  process 0 Write(1) -> Written [0, 10]\n"), "{out}");
    assert!(
        out.contains(
            "why: after process 0's Write(1) [0, 10] the state is Some(1); process 0's Read \
             returned Read(None), impossible there, and nothing ran concurrently with it"
        ),
        "{out}"
    );
}

#[test]
fn a_stale_get_in_porcupines_c10_bad_is_explained_by_the_appends_before_it() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/oracles/porcupine/kv/c10-bad.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["check-history", file.to_str().unwrap(), "--model", "kv"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stale = r#"process 8 Get -> Value("x 9 0 yx 0 0 yx 8 0 y") [157, 158]"#;
    let full = r#""x 9 0 yx 0 0 yx 8 0 yx 7 1 yx 0 6 yx 7 6 y""#;
    assert!(text.contains(&format!("once {stale} returns")), "{text}");
    // The window holds only the get and one append; the order before it holds the appends the
    // get missed, and the state they left.
    assert!(text.contains("illegal window [145, 158], 2 operations:"), "{text}");
    assert!(
        text.contains(&format!(
            "a legal order of 8 operations before its call (3 shown) leaves {full}:"
        )),
        "{text}"
    );
    assert!(text.contains(r#"  process 7 Append("x 7 6 y") -> Done [139, 140]"#), "{text}");
    assert!(
        text.contains(&format!(
            r#"why: after process 7's Append("x 7 6 y") [139, 140] the state is {full}; process 8's Get returned Value("x 9 0 yx 0 0 yx 8 0 y"), which neither that state nor the operation concurrent with it produces"#
        )),
        "{text}"
    );
    // Short: the verdict's lines between the header and the timing.
    let lines = text.lines().count();
    assert!(lines <= 12, "{lines} lines:\n{text}");
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
