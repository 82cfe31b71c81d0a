//! Sweeps: byte-identical tables whatever the thread count, resumption without loss, refusal of
//! another sweep's folder, and shards that merge into exactly what one sweep writes.

use std::path::{Path, PathBuf};

use sweep::plan::{Plan, Shard};
use sweep::{SweepOptions, merge, run};

const SCENARIO: &str = r#"
name = "tiny-sweep"
protocol = "raft"
duration = "3s"
seed = 7

[workload]
clients = 4
rate = 100

[[fault]]
at = "1s"
kind = "crash"
node = "leader"
restart_after = "500ms"

[sweep]
seeds = 3
[sweep.grid]
"network.loss" = [0.0, 0.05]
[[sweep.point]]
"network.loss" = 0.1
"raft.election_timeout" = "50ms..100ms"
"#;

fn plan() -> Plan {
    Plan::new(&scenario::load_str(Path::new("tiny.toml"), SCENARIO, &[]).unwrap())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn sweep(plan: &Plan, dir: &Path, jobs: usize, shard: Option<Shard>) -> sweep::SweepOutcome {
    run(plan, dir, SweepOptions { jobs, shard, force: false, png: false }, &|_| {}).unwrap()
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

fn runs_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn one_job_and_two_jobs_write_the_same_bytes() {
    let plan = plan();
    assert_eq!(plan.runs().len(), 9, "3 points × 3 seeds");
    let (a, b) = (scratch("jobs1"), scratch("jobs2"));
    let one = sweep(&plan, &a, 1, None);
    let two = sweep(&plan, &b, 2, None);
    assert_eq!(one.records.len(), 9);
    assert_eq!(one.records, two.records);
    for file in ["results.csv", "points.csv", "index.html", "scenario.toml", "sweep.json"] {
        assert_eq!(read(&a, file), read(&b, file), "{file} differs between --jobs 1 and 2");
    }
    assert_eq!(runs_dir(&a), runs_dir(&b));
    let results = String::from_utf8(read(&a, "results.csv")).unwrap();
    let header = results.lines().next().unwrap();
    assert!(header.starts_with("network.loss,raft.election_timeout,seed,trace_hash,status,"));
    assert!(
        header.contains("latency_ms.p99") && header.contains("metrics.election_downtime_ms.p50")
    );
    assert_eq!(results.lines().count(), 10);
    assert!(results.lines().nth(1).unwrap().starts_with("0.0,,7,"), "{results}");
    let points = String::from_utf8(read(&a, "points.csv")).unwrap();
    assert_eq!(points.lines().count(), 4);
    assert!(
        points
            .lines()
            .next()
            .unwrap()
            .contains("availability.median,availability.p10,availability.p90")
    );
    for chart in
        ["compare-latency_ms-p99.svg", "compare-availability.svg", "cdf-election_downtime_ms.svg"]
    {
        assert!(a.join(chart).is_file(), "{chart}");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn an_interrupted_sweep_resumes_without_rerunning_or_losing_anything() {
    let plan = plan();
    let dir = scratch("resume");
    sweep(&plan, &dir, 2, None);
    let full = read(&dir, "results.csv");
    // Lose three runs, as an interrupt would, and touch one survivor to prove it is not rerun.
    for stem in ["run-000001", "run-000004", "run-000008"] {
        std::fs::remove_file(dir.join("runs").join(format!("{stem}.json"))).unwrap();
    }
    let kept = dir.join("runs/run-000000.json");
    let before = std::fs::metadata(&kept).unwrap().modified().unwrap();
    let again = sweep(&plan, &dir, 2, None);
    assert_eq!(again.progress.resumed, 6);
    assert_eq!(again.progress.done, 9);
    assert_eq!(std::fs::metadata(&kept).unwrap().modified().unwrap(), before);
    assert_eq!(read(&dir, "results.csv"), full);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_changed_scenario_is_refused_without_force() {
    let plan = plan();
    let dir = scratch("refuse");
    sweep(&plan, &dir, 2, None);
    let changed = Plan::new(
        &scenario::load_str(
            Path::new("tiny.toml"),
            &SCENARIO.replace("rate = 100", "rate = 90"),
            &[],
        )
        .unwrap(),
    );
    let refused = run(
        &changed,
        &dir,
        SweepOptions { jobs: 2, shard: None, force: false, png: false },
        &|_| {},
    );
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("another scenario") && message.contains("--force"), "{message}");
    let forced = run(
        &changed,
        &dir,
        SweepOptions { jobs: 2, shard: None, force: true, png: false },
        &|_| {},
    );
    assert_eq!(forced.unwrap().progress.resumed, 0, "forced: the old runs are gone");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_merged_give_exactly_the_unsharded_files() {
    let plan = plan();
    let whole = scratch("whole");
    sweep(&plan, &whole, 2, None);
    let shards: Vec<PathBuf> = (0..3).map(|k| scratch(&format!("shard{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        let o = sweep(&plan, dir, 1, Some(Shard { k, n: 3 }));
        assert_eq!(o.records.len(), 3, "shard {k} holds its third");
    }
    let merged = scratch("merged");
    let dirs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    merge(&dirs, &merged, false, false).unwrap();
    for file in ["results.csv", "points.csv", "index.html", "scenario.toml", "sweep.json"] {
        assert_eq!(read(&whole, file), read(&merged, file), "{file} differs after the merge");
    }
    assert_eq!(runs_dir(&whole), runs_dir(&merged));
    for d in shards.iter().chain([&whole, &merged]) {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn two_numeric_keys_get_a_heatmap() {
    let text = "name = \"hm\"\nprotocol = \"raft\"\nduration = \"2s\"\n[workload]\nrate = 50\n[sweep]\n[sweep.grid]\n\"network.loss\" = [0.0, 0.1]\n\"workload.clients\" = [2, 4]\n";
    let plan = Plan::new(&scenario::load_str(Path::new("hm.toml"), text, &[]).unwrap());
    let dir = scratch("heatmap");
    sweep(&plan, &dir, 2, None);
    let svg = String::from_utf8(read(&dir, "heatmap-latency_ms-p99.svg")).unwrap();
    assert!(svg.contains("workload.clients") && svg.contains("network.loss"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `[sweep] references` draws the reference figure on the chart it names, once, as a dashed
/// line (here the ideal share of keys a join moves, which depends on the server count alone),
/// and refuses a reference that is not a summary figure.
#[test]
fn a_reference_figure_is_drawn_once_on_its_chart() {
    let text = "name = \"ref\"\nprotocol = \"sharding\"\nduration = \"1s\"\n[workload]\nrate = 50\n[sweep]\nmetrics = [\"metrics.keys_moved_by_a_join\"]\nx = \"nodes\"\nreferences = { \"metrics.keys_moved_by_a_join\" = \"metrics.keys_moved_by_a_join_ideal\" }\n[sweep.grid]\nnodes = [5, 10]\n\"sharding.scheme\" = [\"ring\", \"jump\"]\n";
    let plan = Plan::new(&scenario::load_str(Path::new("ref.toml"), text, &[]).unwrap());
    let dir = scratch("reference");
    sweep(&plan, &dir, 2, None);
    let svg = String::from_utf8(read(&dir, "compare-metrics-keys_moved_by_a_join.svg")).unwrap();
    assert_eq!(svg.matches("metrics.keys_moved_by_a_join_ideal (reference)").count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
    let bad = text.replace("= \"metrics.keys_moved_by_a_join_ideal\"", "= \"nodes\"");
    let err = scenario::load_str(Path::new("ref.toml"), &bad, &[]).unwrap_err();
    assert!(err.to_string().contains("not a summary figure"), "{err}");
}

/// `[sweep] lines` names the keys that make a line; the others vary along it, even when each
/// family of points varies a key of its own (here the loss on one line, the rate on the
/// other), with one figure charted against another.
#[test]
fn lines_are_named_by_the_keys_sweep_lines_gives() {
    let text = "name = \"lines\"\nprotocol = \"raft\"\nduration = \"2s\"\n[workload]\nrate = 50\n[sweep]\nx = \"availability\"\nmetrics = [\"latency_ms.p99\"]\nlines = [\"workload.clients\"]\n[[sweep.point]]\n\"workload.clients\" = 2\n\"network.loss\" = 0.0\n[[sweep.point]]\n\"workload.clients\" = 2\n\"network.loss\" = 0.1\n[[sweep.point]]\n\"workload.clients\" = 4\n\"workload.rate\" = 50\n[[sweep.point]]\n\"workload.clients\" = 4\n\"workload.rate\" = 100\n";
    let plan = Plan::new(&scenario::load_str(Path::new("lines.toml"), text, &[]).unwrap());
    let dir = scratch("lines");
    sweep(&plan, &dir, 2, None);
    let svg = String::from_utf8(read(&dir, "compare-latency_ms-p99.svg")).unwrap();
    assert!(svg.contains("workload.clients=2") && svg.contains("workload.clients=4"));
    // Without `lines`, the rate (set by half the points) would split the second family.
    assert!(!svg.contains("workload.rate=") && !svg.contains("network.loss="), "{svg}");
    let _ = std::fs::remove_dir_all(&dir);
    let bad = text.replace("lines = [\"workload.clients\"]", "lines = [\"nodes\"]");
    let err = scenario::load_str(Path::new("lines.toml"), &bad, &[]).unwrap_err();
    assert!(err.to_string().contains("sweep.lines"), "{err}");
}
