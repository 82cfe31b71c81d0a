//! Vector clocks, sloppy quorums with hinted handoff, and anti-entropy do what they are for,
//! through the scenario files users run: siblings are read and resolved, hints are stored and
//! handed back, anti-entropy brings replicas together, and Replicas Converge catches stand-ins
//! that keep their hints (as Acknowledged Writes Survive does).

use std::path::Path;

use check::outcome::CheckStatus;
use platform::RunResult;
use sim_core::MetricValue;

/// A run of `file`, its `bug = …` line removed if `without_bug`, with `sets` applied.
fn run(file: &str, without_bug: bool, sets: &[&str]) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !(without_bug && l.starts_with("bug = ")))
        .map(|l| format!("{l}\n"))
        .collect();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load_str(&path, &text, &sets).unwrap();
    scenario::registry::prepare(&s).unwrap().execute_quietly()
}

fn status(r: &RunResult, check: &str) -> CheckStatus {
    r.checks.iter().find(|c| c.name == check).unwrap_or_else(|| panic!("{check} ran")).status
}

fn count(r: &RunResult, metric: &str) -> u64 {
    match r.metrics.iter().find(|(k, _)| k == metric) {
        Some((_, MetricValue::Count(n))) => *n,
        other => panic!("{metric}: {other:?}"),
    }
}

#[test]
fn concurrent_writes_are_kept_as_siblings_and_resolved_by_clients() {
    let r = run("sharding-bug-sibling-dropped.toml", true, &[]);
    assert_eq!(status(&r, "Acknowledged Writes Survive"), CheckStatus::Pass);
    let (read, resolved) = (count(&r, "sibling_reads"), count(&r, "siblings_resolved"));
    assert!(read > 100, "{read} reads returned siblings");
    // A resolution given up (no quorum in time) is not counted: nearly every one lands.
    assert!(resolved * 10 >= read * 9, "{resolved} of {read} resolutions written back");
}

#[test]
fn stand_ins_hand_their_hints_back_and_anti_entropy_converges() {
    let r =
        run("sharding-bug-hint-never-delivered.toml", true, &["sharding.anti_entropy=\"200ms\""]);
    assert!(count(&r, "hints_stored") > 0 && count(&r, "hints_handed_back") > 0);
    for c in &r.checks {
        assert_eq!(c.status, CheckStatus::Pass, "{}: {}", c.name, c.detail);
    }
    assert_eq!(count(&r, "unconverged_keys"), 0);
}

#[test]
fn replicas_converge_catches_hints_never_handed_back() {
    let r =
        run("sharding-bug-hint-never-delivered.toml", false, &["sharding.anti_entropy=\"200ms\""]);
    assert_eq!(status(&r, "Replicas Converge"), CheckStatus::Fail);
    assert_eq!(count(&r, "hints_handed_back"), 0);
}

#[test]
fn without_anti_entropy_divergence_is_measured_not_checked() {
    let r = run("sharding-bug-hint-never-delivered.toml", false, &[]);
    assert_eq!(status(&r, "Replicas Converge"), CheckStatus::NotApplicable);
    assert!(count(&r, "unconverged_keys") > 0);
}
