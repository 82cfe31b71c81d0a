//! `faultline run` as a user runs it: the summary, the report folder, exit statuses, the
//! reproduce command, folder safety, and one clear error for every kind of bad input.

mod common;

use std::path::Path;
use std::process::Command;

use common::{faultline, scenario, scratch};

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn printed_hash(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("trace hash"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| panic!("no trace hash in {stdout}"))
}

#[test]
fn a_run_prints_its_summary_and_writes_a_complete_report_folder() {
    let dir = scratch("complete");
    let out = dir.join("run");
    let file = scenario("raft-leader-partition.toml");
    let (code, stdout, stderr) = faultline(&["run", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.lines().next().unwrap().contains("seed 1"), "the seed comes first: {stdout}");
    for word in ["operations", "availability", "p50", "p99", "p999", "max", "Election Safety"] {
        assert!(stdout.contains(word), "{word} missing from {stdout}");
    }
    for f in [
        "scenario.toml",
        "summary.json",
        "history.jsonl",
        "faults.json",
        "timeseries.csv",
        "latency-raw.svg",
        "latency-quantiles.svg",
        "throughput.svg",
        "availability.svg",
        "raft-commits.svg",
        "raft-elections.svg",
        "index.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let s = summary(&out);
    assert_eq!(s["schema_version"], 2);
    assert_eq!(s["faultline_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["scenario"], "raft-leader-partition");
    assert_eq!(s["protocol"], "raft");
    assert_eq!(s["seed"], 1);
    assert_eq!(s["status"], "pass");
    assert_eq!(s["sim_seconds"], 70.0, "60 s plus the 10 s quiet period");
    let hash = s["trace_hash"].as_str().unwrap();
    assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    assert_eq!(hash, printed_hash(&stdout));
    assert_eq!(s["scenario_hash"].as_str().unwrap().len(), 16);
    let ops = &s["ops"];
    let invoked = ops["invoked"].as_u64().unwrap();
    assert!(invoked > 30_000, "500 ops/s for 70 s: {invoked}");
    let parts: u64 =
        ["ok", "failed", "indeterminate"].iter().map(|k| ops[k].as_u64().unwrap()).sum();
    assert_eq!(parts, invoked);
    let l = &s["latency_ms"];
    let quantiles: Vec<f64> = ["p50", "p90", "p95", "p99", "p999", "max"]
        .iter()
        .map(|k| l[k].as_f64().unwrap())
        .collect();
    assert!(quantiles.windows(2).all(|w| w[0] <= w[1]) && quantiles[0] > 0.0, "{quantiles:?}");
    let checks = s["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == "linearizable" && c["status"] == "pass"));
    assert!(checks.iter().any(|c| c["name"] == "liveness" && c["status"] == "pass"));
    let downtime = &s["metrics"]["election_downtime_ms"];
    assert_eq!(downtime["count"], 2, "the isolated leader and the crashed one: {downtime}");
    assert_eq!(downtime["samples"].as_array().unwrap().len(), 2);

    let faults: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("faults.json")).unwrap()).unwrap();
    let faults = faults.as_array().unwrap();
    assert_eq!(faults.len(), 2);
    assert!(faults.iter().all(|f| !f["resolved"].as_array().unwrap().is_empty()), "{faults:?}");
    let history = std::fs::read_to_string(out.join("history.jsonl")).unwrap();
    assert_eq!(
        history.lines().filter(|l| l.contains(r#""type":"invoke""#)).count() as u64,
        invoked
    );
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(csv.starts_with("time_s,window_s,invoked,ok,failed,indeterminate,availability"));
    assert!(csv.lines().next().unwrap().contains("raft.committed.sum,raft.committed.count"));
    assert_eq!(csv.lines().count(), 71, "one row per second of 70 s, and the header");

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    // Four charts of client operations, then Raft's own two.
    assert_eq!(html.matches("<figure data-chart=").count(), 6);
    assert!(html.contains("faultline run") && html.contains("--seed 1"), "the reproduce command");
    assert!(!html.contains("src=\"http") && !html.contains("<link"), "self-contained");
    let scenario_toml = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(scenario_toml.contains("isolate = \"leader\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_check_names_the_violation_and_the_command_reproduces_it_exactly() {
    let dir = scratch("violation");
    let out = dir.join("run");
    let file = scenario("raft-bug-stale-read.toml");
    let (code, stdout, _) = faultline(&["run", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("violation: linearizable:"), "{stdout}");
    let command = stdout
        .lines()
        .find_map(|l| l.strip_prefix("reproduce with: "))
        .unwrap_or_else(|| panic!("no reproduce command in {stdout}"));
    assert!(command.starts_with("faultline run ") && command.contains("--seed 2"), "{command}");
    assert_eq!(summary(&out)["status"], "fail");
    let spacetime = std::fs::read_to_string(out.join("spacetime.svg")).unwrap();
    assert!(spacetime.contains("violation observed") && spacetime.contains("marker-end"));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Around the first violation"));
    // The printed command, run as printed (into another folder), fails the same way with the
    // same trace hash.
    let again = dir.join("again");
    let mut args: Vec<String> = command.split_whitespace().skip(1).map(String::from).collect();
    args.extend(["--out".into(), again.to_str().unwrap().into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code2, stdout2, _) = faultline(&args);
    assert_eq!(code2, 1);
    assert_eq!(printed_hash(&stdout2), printed_hash(&stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seed_set_trace_and_determinism_options_work_together() {
    let dir = scratch("options");
    let out = dir.join("run");
    let file = scenario("raft-baseline.toml");
    let (code, stdout, stderr) = faultline(&[
        "run",
        &file,
        "--seed",
        "5",
        "--set",
        "workload.rate=50",
        "--set",
        r#"raft.election_timeout="100ms..200ms""#,
        "--trace",
        "--png",
        "--check-determinism",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let s = summary(&out);
    assert_eq!(s["seed"], 5);
    let checks = s["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == "determinism" && c["status"] == "pass"), "{s}");
    let effective = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(effective.contains("seed = 5") && effective.contains("rate = 50"), "{effective}");
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    assert!(trace.lines().count() as u64 >= s["events"].as_u64().unwrap() / 2, "a full trace");
    let first: serde_json::Value = serde_json::from_str(trace.lines().next().unwrap()).unwrap();
    assert!(first["time_ns"].is_u64());
    assert!(out.join("latency-raw.png").is_file() && out.join("availability.png").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_default_folder_is_reports_name_seed() {
    let dir = scratch("default-folder");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", &scenario("raft-bug-forget-vote.toml"), "--seed", "4"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1));
    assert!(dir.join("reports/raft-bug-forget-vote/seed-4/summary.json").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_of_another_scenario_is_refused_unless_forced_and_a_foreign_one_always() {
    let dir = scratch("folders");
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    let file = scenario("raft-bug-forget-vote.toml");
    assert_eq!(faultline(&["run", &file, "--out", o]).0, 1);
    // The same scenario again: overwritten.
    assert_eq!(faultline(&["run", &file, "--out", o]).0, 1);
    let first = summary(&out);
    // Another scenario (an override changes its hash): refused, the folder untouched.
    let (code, _, err) = faultline(&["run", &file, "--set", "workload.rate=7", "--out", o]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another scenario") && err.contains("--force"), "{err}");
    assert_eq!(summary(&out), first);
    // Forced: replaced.
    let (code, _, err) =
        faultline(&["run", &file, "--set", "workload.rate=7", "--out", o, "--force"]);
    assert_eq!(code, 1, "{err}");
    assert_ne!(summary(&out)["scenario_hash"], first["scenario_hash"]);
    // A folder with files faultline did not write is never touched, even forced.
    let foreign = dir.join("mine");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "my notes").unwrap();
    let (code, _, err) = faultline(&["run", &file, "--out", foreign.to_str().unwrap(), "--force"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds no faultline run"), "{err}");
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "my notes");
    // No staging folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scenario with `extra` appended to a valid base.
const BASE: &str = "name = \"bad\"\nprotocol = \"raft\"\nduration = \"10s\"\n";

#[test]
fn bad_input_gets_one_clear_error_exit_2_and_no_folder() {
    let dir = scratch("bad-input");
    let cases: &[(&str, &str, &[&str])] = &[
        ("malformed", "nodes = [\n", &["bad.toml:4:10", "expected"]),
        ("unknown-key", "colour = 3\n", &["bad.toml:4:1", "`colour`", "expected one of"]),
        ("wrong-type", "[network]\nloss = \"high\"\n", &["bad.toml:5:8", "`network.loss`", "f64"]),
        ("loss", "[network]\nloss = 1.5\n", &["bad.toml:5:8", "`network.loss`", "[0, 1)"]),
        (
            "zero-duration",
            "[raft]\nheartbeat_interval = \"0s\"\n",
            &["bad.toml:5:1", "`raft.heartbeat_interval`", "> 0"],
        ),
        (
            "negative-duration",
            "[workload]\ntimeout = \"-1s\"\n",
            &["bad.toml:5:", "`workload.timeout`", "negative"],
        ),
        ("zero-nodes", "nodes = 0\n", &["bad.toml:4:1", "`nodes`", "1..=10000"]),
        ("too-many-nodes", "nodes = 10001\n", &["bad.toml:4:1", "`nodes`", "1..=10000"]),
        (
            "unknown-node",
            "[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n9\"\n",
            &["bad.toml:7:1", "`fault[0].node`", "n1..n5"],
        ),
        (
            "overlapping-groups",
            "[[fault]]\nat = \"1s\"\nkind = \"partition\"\ngroups = [[\"n1\", \"n2\"], [\"n2\", \"n3\"]]\n",
            &["bad.toml:7:1", "`fault[0].groups`", "two groups"],
        ),
        (
            "fault-after-end",
            "[[fault]]\nat = \"11s\"\nkind = \"crash\"\nnode = \"n1\"\n",
            &["bad.toml:5:1", "`fault[0].at`", "before the run's duration"],
        ),
        (
            "unknown-kind",
            "[[fault]]\nat = \"1s\"\nkind = \"meteor\"\n",
            &["bad.toml:", "`fault[0].kind`", "partition-oneway"],
        ),
        (
            "inverted-range",
            "[raft]\nelection_timeout = \"300ms..150ms\"\n",
            &["bad.toml:5:1", "`raft.election_timeout`", "low ≤ high"],
        ),
    ];
    for (name, extra, wanted) in cases {
        let file = dir.join("bad.toml");
        std::fs::write(&file, format!("{BASE}{extra}")).unwrap();
        let out = dir.join(format!("out-{name}"));
        let (code, stdout, stderr) =
            faultline(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        // One message: its summary line, then the offending line with a caret under it.
        let snippet = stderr.lines().skip(1);
        assert!(
            snippet.clone().all(|l| l.contains('|')) && snippet.count() <= 3,
            "{name}: one message: {stderr}"
        );
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        for w in *wanted {
            assert!(stderr.contains(w), "{name}: `{w}` missing from {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: no folder is written for bad input");
    }
    // An unknown protocol.
    let file = dir.join("proto.toml");
    std::fs::write(&file, "name = \"x\"\nprotocol = \"paxos\"\nduration = \"1s\"\n").unwrap();
    let (code, _, err) = faultline(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("proto.toml:2:1") && err.contains("paxos") && err.contains("raft"),
        "{err}"
    );
    // A missing file.
    let (code, _, err) = faultline(&["run", "/no/such/scenario.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/scenario.toml") && err.contains("cannot read"), "{err}");
    // An output folder that cannot be written (its parent is a file).
    std::fs::write(dir.join("blocker"), "").unwrap();
    let out = dir.join("blocker/run");
    let (code, _, err) =
        faultline(&["run", &scenario("raft-baseline.toml"), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("blocker") && err.contains("cannot create"), "{err}");
    // A bad --set.
    let (code, _, err) =
        faultline(&["run", &scenario("raft-baseline.toml"), "--set", "network.loss=2"]);
    assert_eq!(code, 2);
    assert!(err.contains("`--set network.loss`") && err.contains("[0, 1)"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_and_merge_from_the_command_line() {
    let dir = scratch("sweep-cli");
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "name = \"s\"\nprotocol = \"raft\"\nduration = \"2s\"\n[workload]\nrate = 50\n[sweep]\nseeds = 2\n[sweep.grid]\n\"network.loss\" = [0.0, 0.1]\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let whole = dir.join("whole");
    let (code, stdout, stderr) =
        faultline(&["sweep", f, "--jobs", "2", "--out", whole.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("2 points × 2 seeds = 4 runs"), "{stdout}");
    assert!(
        stderr.contains("4/4 runs, 0 failed"),
        "a plain progress line off a terminal: {stderr}"
    );
    for k in 0..2 {
        let out = dir.join(format!("shard{k}"));
        let shard = format!("{k}/2");
        let (code, _, err) =
            faultline(&["sweep", f, "--shard", &shard, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    let merged = dir.join("merged");
    let (s0, s1) = (dir.join("shard0"), dir.join("shard1"));
    let (code, _, err) = faultline(&[
        "merge",
        s0.to_str().unwrap(),
        s1.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for table in ["results.csv", "points.csv"] {
        assert_eq!(
            std::fs::read(whole.join(table)).unwrap(),
            std::fs::read(merged.join(table)).unwrap()
        );
    }
    let (code, _, err) = faultline(&["sweep", f, "--shard", "2/2"]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hunt_finds_the_figure_8_bug_and_its_repro_fails_the_same_way() {
    let dir = scratch("hunt");
    let out = dir.join("hunt");
    let (code, stdout, stderr) = faultline(&[
        "hunt",
        &scenario("raft-bug-commit-previous-term.toml"),
        "--seeds",
        "2000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a hunt that finds a failure exits 1: {stdout}{stderr}");
    assert!(stdout.contains("seed 8 fails Leader Completeness"), "{stdout}");
    let hunt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("hunt.json")).unwrap()).unwrap();
    assert_eq!(hunt["seed"], 8);
    assert!(hunt["faults_after"].as_u64().unwrap() <= 7);
    let repro = out.join("repro.toml");
    let (code, stdout, _) =
        faultline(&["run", repro.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("violation: Leader Completeness"), "{stdout}");
    let (code, stdout, _) = faultline(&["replay", repro.to_str().unwrap(), "--seed", "8"]);
    assert_eq!(code, 1);
    assert_eq!(printed_hash(&stdout), summary(&dir.join("run"))["trace_hash"].as_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trace_prints_a_window_of_the_run_lane_by_lane() {
    let (code, stdout, stderr) = faultline(&[
        "trace",
        &scenario("raft-leader-partition.toml"),
        "--seed",
        "1",
        "--from",
        "20s",
        "--to",
        "20s 3ms",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.lines().nth(1).unwrap().contains("n1  n2  n3"), "{stdout}");
    assert!(
        stdout.contains("FAULT") && stdout.contains("partition"),
        "the fault at 20 s: {stdout}"
    );
    assert!(stdout.contains("x "), "messages cut by the partition are marked: {stdout}");
    assert!(!stdout.contains("in effect"), "nothing began before 20 s: {stdout}");
    // A window inside the partition names it, though it began before the window.
    let (code, stdout, stderr) = faultline(&[
        "trace",
        &scenario("raft-leader-partition.toml"),
        "--seed",
        "1",
        "--from",
        "22s",
        "--to",
        "22s 1ms",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().nth(1), Some("in effect as the window opens: partition n1 | rest"));
    let (code, _, err) = faultline(&[
        "trace",
        &scenario("raft-baseline.toml"),
        "--seed",
        "1",
        "--from",
        "2s",
        "--to",
        "1s",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_run_cut_short_by_events_max_is_inconclusive_not_failed() {
    let dir = scratch("events-max");
    let out = dir.join("run");
    let (code, stdout, _) = faultline(&[
        "run",
        &scenario("raft-baseline.toml"),
        "--set",
        "check.events_max=1000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("events_max") && !stdout.contains("violation"), "{stdout}");
    let s = summary(&out);
    assert_eq!(
        (s["status"].as_str(), s["outcome"].as_str()),
        (Some("inconclusive"), Some("events-max"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
