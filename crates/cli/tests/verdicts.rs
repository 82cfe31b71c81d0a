//! What a green result means, through the commands users run: a check with nothing to judge is
//! unknown or absent, never a pass; hunts and sweeps count inconclusive runs apart from passes;
//! a hunt's files do not depend on `--jobs`; availability counts definite answers.

mod common;

use std::path::Path;

use common::{faultline, scenario, scratch};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every operation times out before any server can answer it: nothing constrains the order.
const ALL_TIMED_OUT: &str = "workload.timeout=\"1us\"";

#[test]
fn a_history_with_no_known_result_is_unknown_not_a_pass() {
    let dir = scratch("unknown");
    let out = dir.join("run");
    let (code, stdout, _) = faultline(&[
        "run",
        &scenario("raft-baseline.toml"),
        "--set",
        "duration=\"3s\"",
        "--set",
        ALL_TIMED_OUT,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "inconclusive, not passed: {stdout}");
    let s = json(&out.join("summary.json"));
    assert!(s["ops"]["invoked"].as_u64().unwrap() > 100);
    assert_eq!(s["ops"]["ok"], 0);
    let lin = s["checks"].as_array().unwrap().iter().find(|c| c["name"] == "linearizable");
    assert_eq!(lin.unwrap()["status"], "unknown", "{stdout}");
    assert!(stdout.contains("nothing constrains the order"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_history_of_writes_alone_is_unknown_not_a_pass() {
    // Writes can be ordered any way: without an answered read or compare-and-set, nothing was
    // judged.
    let dir = scratch("writes-only");
    let (code, stdout, _) = faultline(&[
        "run",
        &scenario("raft-baseline.toml"),
        "--set",
        "duration=\"3s\"",
        "--set",
        "workload.read_ratio=0.0",
        "--set",
        "workload.cas_ratio=0.0",
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("no read or compare-and-set answered"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hunt_whose_shard_holds_no_seed_judged_nothing() {
    let dir = scratch("hunt-empty");
    let (code, stdout, stderr) = faultline(&[
        "hunt",
        &scenario("raft-baseline.toml"),
        "--seeds",
        "2",
        "--shard",
        "5/8",
        "--out",
        dir.join("hunt").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stdout.contains("0 seeds: 0 passed, 0 failed, 0 inconclusive"), "{stdout}");
    assert!(stdout.contains("nothing was judged"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_without_clients_lists_no_linearizability_check() {
    for file in ["raft-bug-commit-previous-term.toml", "raft-bug-forget-vote.toml"] {
        let dir = scratch("no-clients");
        let out = dir.join("run");
        let (code, stdout, _) =
            faultline(&["run", &scenario(file), "--out", out.to_str().unwrap()]);
        assert_eq!(code, 1, "{file}: its bug is caught: {stdout}");
        assert!(!stdout.contains("linearizable"), "{file}: nothing to judge: {stdout}");
        assert!(stdout.contains("none invoked"), "{file}: {stdout}");
        // The empty operation charts stay as files, and the page leaves them out.
        let page = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert!(out.join("latency-raw.svg").is_file(), "{file}");
        assert!(!page.contains(r#"data-chart="latency-raw""#), "{file}: an empty chart shown");
        assert!(page.contains("client operations"), "{file}: the summary says none ran");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_hunt_where_every_seed_is_inconclusive_exits_3() {
    let dir = scratch("hunt-unknown");
    let (code, stdout, stderr) = faultline(&[
        "hunt",
        &scenario("raft-baseline.toml"),
        "--seeds",
        "2",
        "--set",
        "duration=\"2s\"",
        "--set",
        ALL_TIMED_OUT,
        "--out",
        dir.join("hunt").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stdout.contains("2 seeds: 0 passed, 0 failed, 2 inconclusive"), "{stdout}");
    assert!(stdout.contains("lowest inconclusive seed 1: linearizable unknown"), "{stdout}");
    let hunt = json(&dir.join("hunt/hunt.json"));
    assert_eq!((hunt["passed"].as_u64(), hunt["inconclusive"].as_u64()), (Some(0), Some(2)));
    assert!(!dir.join("hunt/repro.toml").exists(), "no failure, no repro");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The stale-read file with faults every 4 s over 8 s: seeds 1 to 8 pass, seed 9 fails.
fn stale_read_hunt(out: &Path, jobs: &str) -> (i32, String, String) {
    faultline(&[
        "hunt",
        &scenario("raft-bug-stale-read.toml"),
        "--seeds",
        "1..41",
        "--set",
        "nemesis.interval=\"4s\"",
        "--set",
        "duration=\"8s\"",
        "--jobs",
        jobs,
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn a_hunt_searches_past_passing_seeds_and_its_files_do_not_depend_on_jobs() {
    let dir = scratch("hunt-jobs");
    let one = dir.join("hunt");
    let (code, stdout, stderr) = stale_read_hunt(&one, "1");
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("seed 9 fails linearizable (9 seeds: 8 passed, 1 failed, 0 inconclusive"),
        "{stdout}"
    );
    let files = |dir: &Path| {
        ["repro.toml", "hunt.json"].map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
    };
    let with_one_job = files(&one);
    let (code, stdout, stderr) = stale_read_hunt(&one, "2");
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(files(&one), with_one_job, "a hunt's files differ between --jobs 1 and 2");
    let hunt = json(&one.join("hunt.json"));
    assert_eq!((hunt["seed"].as_u64(), hunt["passed"].as_u64()), (Some(9), Some(8)));
    // The repro fails the same check when run.
    let (code, stdout, _) = faultline(&[
        "run",
        one.join("repro.toml").to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("violation: linearizable"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_comparison_is_an_answer() {
    let dir = scratch("availability");
    let out = dir.join("run");
    let (code, stdout, _) = faultline(&[
        "run",
        &scenario("raft-baseline.toml"),
        "--set",
        "duration=\"5s\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let s = json(&out.join("summary.json"));
    let ops = &s["ops"];
    assert!(ops["failed"].as_u64().unwrap() > 50, "compare-and-sets found other values: {ops}");
    // No fault: only operations still open when the run ended went unanswered.
    let invoked = ops["invoked"].as_u64().unwrap() as f64;
    let answered = (ops["ok"].as_u64().unwrap() + ops["failed"].as_u64().unwrap()) as f64;
    assert_eq!(s["availability"].as_f64().unwrap(), answered / invoked);
    assert!(s["availability"].as_f64().unwrap() > 0.999, "{s}");
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mid = csv.lines().nth(20).unwrap();
    assert_eq!(mid.split(',').nth(6), Some("1.000000"), "a window with no fault: {mid}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_stale_read_switch_under_reads_through_the_log_is_rejected() {
    let (code, _, stderr) = faultline(&[
        "validate",
        &scenario("raft-bug-stale-read.toml"),
        "--set",
        "raft.read_mode=\"log\"",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("raft.bug") && stderr.contains("read_mode"), "{stderr}");
    let (code, _, stderr) = faultline(&[
        "run",
        &scenario("raft-bug-stale-read.toml"),
        "--set",
        "raft.read_mode=\"log\"",
        "--out",
        scratch("stale-log").join("run").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn sweep_takes_set_and_png_and_counts_inconclusive_runs() {
    let dir = scratch("sweep");
    let file = dir.join("tiny.toml");
    std::fs::write(
        &file,
        "name = \"tiny\"\nprotocol = \"raft\"\nduration = \"2s\"\n[workload]\nrate = 50\n\
         [sweep]\nseeds = 2\n[sweep.grid]\n\"network.loss\" = [0.0, 0.01]\n",
    )
    .unwrap();
    let out = dir.join("sweep");
    let (code, stdout, stderr) = faultline(&[
        "sweep",
        file.to_str().unwrap(),
        "--set",
        ALL_TIMED_OUT,
        "--png",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("0 failed a check, 4 inconclusive"), "{stdout}");
    let points = std::fs::read_to_string(out.join("points.csv")).unwrap();
    assert!(points.starts_with("network.loss,runs,failed,inconclusive,"), "{points}");
    assert!(points.lines().nth(1).unwrap().starts_with("0.0,2,0,2,"), "{points}");
    assert!(out.join("compare-availability.svg").is_file());
    assert!(out.join("compare-availability.png").is_file(), "--png writes PNG copies");
    // No operation succeeded: there is no latency to chart, rather than a line at 0 ms.
    assert!(!out.join("compare-latency_ms-p99.svg").exists());
    assert!(!points.lines().next().unwrap().contains(",latency_ms."), "{points}");
    // Nor a quantile of a distribution with no sample (no leader crash: no downtime).
    assert!(!points.contains("election_downtime_ms.p50"), "{points}");
    let run: serde_json::Value = json(&out.join("runs/run-000000.json"));
    assert!(run["summary"]["latency_ms"].is_null(), "{run}");
    // Without --png, the charts' PNG copies of an earlier sweep go (they would be stale).
    let (code, _, stderr) = faultline(&[
        "sweep",
        file.to_str().unwrap(),
        "--set",
        ALL_TIMED_OUT,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!out.join("compare-availability.png").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
