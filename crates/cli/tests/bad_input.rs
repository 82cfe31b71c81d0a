//! Bad input through the `faultline` binary: one clear message, exit status 2, never a panic,
//! nothing written; and a closed stdout (`faultline trace … | head`) is a quiet exit 0.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn faultline(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).current_dir(cwd).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scenarios(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file)
}

/// A scratch folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-bad-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BASE: &str = "name = \"bad\"\nprotocol = \"raft\"\nduration = \"2s\"\nnodes = 3\n[workload]\nclients = 2\nrate = 50\n";
/// Just below `u64::MAX` nanoseconds: it parses, and adding anything to it overflowed.
const HUGE: &str = "5124095h 34m 33s";

/// (file name, contents, the key its error must name, a phrase of the allowed range)
fn bad_files() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let year = "at most 1year (8766h)";
    vec![
        (
            "restart.toml",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n1\"\nrestart_after = \"{HUGE}\"\n"
            ),
            "fault[0].restart_after",
            year,
        ),
        (
            "heal.toml",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"partition\"\nisolate = \"leader\"\nduration = \"{HUGE}\"\n"
            ),
            "fault[0].duration",
            year,
        ),
        (
            "latency.toml",
            format!("{BASE}[network]\nlatency = \"{HUGE}\"\n"),
            "network.latency",
            year,
        ),
        (
            "sync.toml",
            format!("{BASE}[raft]\nsync_latency = \"{HUGE}\"\n"),
            "raft.sync_latency",
            year,
        ),
        (
            "election.toml",
            format!("{BASE}[raft]\nelection_timeout = \"{HUGE}..{HUGE}\"\n"),
            "raft.election_timeout",
            year,
        ),
        (
            "step.toml",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"clock\"\nnode = \"n1\"\nstep = \"{HUGE}\"\n"
            ),
            "fault[0].step",
            year,
        ),
        (
            "join.toml",
            format!("{BASE}[[fault]]\nat = \"1s\"\nkind = \"join\"\nnode = \"n1\"\n"),
            "fault[0].kind",
            "runs a fixed cluster",
        ),
        (
            "classes.toml",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"loss\"\nrate = 0.5\nclasses = [\"invalidate\"]\n"
            ),
            "fault[0].classes",
            "`invalidate` is not a message class raft sends",
        ),
        (
            "seeds.toml",
            format!("seed = 9223372036854775807\n{BASE}[sweep]\nseeds = 3\n"),
            "sweep.seeds",
            "allowed 1..=1",
        ),
    ]
}

#[test]
fn values_that_overflowed_are_refused_alike_by_validate_run_sweep_hunt_replay_and_trace() {
    let dir = scratch("overflow");
    for (name, text, key, allowed) in bad_files() {
        let file = dir.join(name);
        std::fs::write(&file, &text).unwrap();
        let f = file.to_str().unwrap();
        let out = dir.join("out");
        let o = out.to_str().unwrap();
        let commands: [&[&str]; 6] = [
            &["validate", f],
            &["run", f, "--out", o],
            &["sweep", f, "--out", o],
            &["hunt", f, "--seeds", "1", "--out", o],
            &["replay", f, "--seed", "1"],
            &["trace", f, "--seed", "1"],
        ];
        // replay and trace set the seed themselves (`--seed 1`), which makes the sweep's
        // seeds fit: they have nothing to refuse there.
        let commands = if key == "sweep.seeds" { &commands[..4] } else { &commands[..] };
        let mut first_lines = Vec::new();
        for args in commands {
            let (code, stdout, stderr) = faultline(args, &dir);
            let what = format!("{args:?}: exit {code}\n{stdout}{stderr}");
            assert_eq!(code, 2, "{what}");
            assert!(!stderr.contains("panicked"), "{what}");
            let first = stderr.lines().next().unwrap_or_default().to_string();
            assert!(first.contains(&format!("`{key}`")) && first.contains(allowed), "{what}");
            assert!(first.contains(&format!("{name}:")), "names the file and line: {what}");
            assert!(stderr.contains(" | "), "shows the line: {what}");
            assert!(!stderr.contains('\u{1b}'), "no colour off a terminal: {what}");
            assert!(!out.exists(), "nothing written: {what}");
            first_lines.push(first);
        }
        assert!(first_lines.windows(2).all(|w| w[0] == w[1]), "{first_lines:#?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_seed_beyond_tomls_integers_is_refused_on_the_command_line() {
    let dir = scratch("seed");
    let file = scenarios("raft-baseline.toml");
    let (code, _, err) = faultline(
        &["run", file.to_str().unwrap(), "--seed", "18446744073709551615", "--out", "x"],
        &dir,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("seed") && err.contains("9223372036854775807"), "{err}");
    assert!(!err.contains("panicked") && !dir.join("x").exists(), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hunts_seed_range_has_a_stated_maximum() {
    let dir = scratch("hunt-seeds");
    let file = scenarios("raft-baseline.toml");
    for (seeds, says) in [
        ("0..100000000000", "at most 1000000"),
        ("9223372036854775800..9223372036854775900", "9223372036854775807"),
    ] {
        let (code, _, err) =
            faultline(&["hunt", file.to_str().unwrap(), "--seeds", seeds, "--out", "x"], &dir);
        assert_eq!(code, 2, "{seeds}: {err}");
        assert!(err.contains(says), "{seeds}: {err}");
        assert!(!err.contains("panicked") && !dir.join("x").exists(), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_value_is_shown_in_its_line_with_a_caret() {
    let dir = scratch("caret");
    let text = std::fs::read_to_string(scenarios("raft-leader-partition.toml")).unwrap();
    let file = dir.join("lossy.toml");
    std::fs::write(&file, text.replace("loss = 0.001", "loss = 1.5")).unwrap();
    let (code, _, err) = faultline(&["validate", file.to_str().unwrap()], &dir);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("error: ") && lines[0].contains("lossy.toml:14:8"), "{err}");
    let source = lines.iter().position(|l| l.ends_with("14 | loss = 1.5")).expect(&err);
    let caret = lines[source + 1];
    assert_eq!(caret.find('^'), lines[source].find("1.5"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_latency_model_is_shown_in_its_line_with_a_caret() {
    let dir = scratch("latency-model");
    let lnkd = r#"{ dist = "mixture", p = 0.0878, first = { dist = "exponential", mean = "602410ns" }, second = { dist = "pareto", scale = "235us", shape = 10.0 } }"#;
    // (what the file adds, the key the error names, a phrase of it, the text under the caret)
    let cases = [
        (
            format!("[network.class_latency]\nappend = {}\n", lnkd.replace("0.0878", "1.5")),
            "network.class_latency.append.p",
            "a probability in [0, 1]",
            "p = 1.5",
        ),
        (
            format!("[network]\nlatency = {}\n", lnkd.replace("10.0", "-1.0")),
            "network.latency.second.shape",
            "a number > 0",
            "shape = -1.0",
        ),
        (
            "[network.class_latency.append]\ndist = \"mixture\"\np = 0.5\nfirst = \"1ms\"\n[network.class_latency.append.second]\ndist = \"pareto\"\nscale = \"0ms\"\nshape = 2.0\n".to_string(),
            "network.class_latency.append.second.scale",
            "a duration > 0",
            "scale = \"0ms\"",
        ),
        (
            "[network.class_latency]\nwrite = \"3ms\"\n".to_string(),
            "network.class_latency.write",
            "not a message class raft sends: allowed [\"vote\"",
            "write = \"3ms\"",
        ),
    ];
    for (i, (extra, key, says, underlined)) in cases.iter().enumerate() {
        let file = dir.join(format!("model{i}.toml"));
        std::fs::write(&file, format!("{BASE}{extra}")).unwrap();
        let out = dir.join("out");
        for args in [
            &["validate", file.to_str().unwrap()][..],
            &["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()][..],
        ] {
            let (code, _, err) = faultline(args, &dir);
            let what = format!("{args:?}: exit {code}\n{err}");
            assert_eq!(code, 2, "{what}");
            let lines: Vec<&str> = err.lines().collect();
            assert!(lines[0].contains(&format!("model{i}.toml:")), "names the file: {what}");
            assert!(lines[0].contains(&format!("`{key}`")) && lines[0].contains(says), "{what}");
            // The source line, then the caret line underlining exactly the offending key.
            let source = lines.iter().position(|l| l.contains(" | ") && l.contains(underlined));
            let source = source.expect(&what);
            let (line, carets) = (lines[source], lines[source + 1]);
            let start = line.find(underlined).unwrap();
            assert_eq!(carets.find('^'), Some(start), "{what}");
            assert_eq!(carets.trim_end().len(), start + underlined.len(), "{what}");
            assert!(!out.exists(), "nothing written: {what}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_stdout_ends_trace_quietly_with_exit_0() {
    let file = scenarios("raft-baseline.toml");
    // A window long enough that its output overflows the pipe: the writes after the reader
    // has gone must fail with a broken pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["trace", file.to_str().unwrap(), "--seed", "1", "--to", "2s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("faultline trace raft-baseline"), "{first}");
    // The reader is dropped here, as `head -1` exits.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "quietly: {stderr}");
}
