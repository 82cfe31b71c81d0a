//! The Raft scenario files users run: every one loads, the correct ones pass every check, and
//! each `raft-bug-*.toml` fails the checks that name its bug at its seed — and passes with the
//! bug switched off.

use std::path::PathBuf;

use check::outcome::CheckStatus;
use scenario::registry::{Prepared, prepare};

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn raft_run(file: &str) -> raft::RaftRun {
    let s = scenario::load(&scenarios_dir().join(file), &[]).unwrap_or_else(|e| panic!("{e}"));
    match prepare(&s).unwrap() {
        Prepared::Raft(run) => *run,
    }
}

/// Every check of a run: (name, status).
fn statuses(run: &raft::RaftRun) -> Vec<(String, CheckStatus)> {
    let o = raft::run(run).unwrap();
    for c in &o.checks {
        println!("{:?} {}: {}", c.status, c.name, c.detail.lines().next().unwrap_or(""));
    }
    o.checks.iter().map(|c| (c.name.clone(), c.status)).collect()
}

/// The checks that failed or could not decide: a correct run has none.
fn failing(run: &raft::RaftRun) -> Vec<String> {
    let checks = statuses(run).into_iter();
    checks.filter(|(_, s)| !s.passed_or_not_applicable()).map(|(n, _)| n).collect()
}

#[test]
fn every_scenario_file_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 8);
}

fn bug_file_fails_then_passes_without_the_bug(file: &str, expected: &[&str]) {
    let mut run = raft_run(file);
    assert!(run.raft.bug.is_some(), "{file} switches a bug on");
    let checks = statuses(&run);
    for name in expected {
        // Failed, not merely unknown: an undecided check has caught nothing.
        assert!(
            checks.iter().any(|(n, s)| n == name && *s == CheckStatus::Fail),
            "{file}: expected {name} to fail, got {checks:?}"
        );
    }
    run.raft.bug = None;
    assert_eq!(failing(&run), Vec::<String>::new(), "{file} without its bug");
}

#[test]
fn raft_bug_commit_previous_term_file_fails_figure_8() {
    bug_file_fails_then_passes_without_the_bug(
        "raft-bug-commit-previous-term.toml",
        &["Leader Completeness", "State Machine Safety"],
    );
}

#[test]
fn raft_bug_forget_vote_file_fails_election_safety() {
    bug_file_fails_then_passes_without_the_bug("raft-bug-forget-vote.toml", &["Election Safety"]);
}

#[test]
fn raft_bug_stale_read_file_fails_linearizability() {
    bug_file_fails_then_passes_without_the_bug("raft-bug-stale-read.toml", &["linearizable"]);
}

#[test]
fn raft_bug_stale_read_is_caught_under_closed_loop_clients() {
    let run = raft_run("raft-bug-stale-read-closed-loop.toml");
    assert!(matches!(run.workload.load(), workload::config::Load::Closed { concurrency: 2 }));
    bug_file_fails_then_passes_without_the_bug(
        "raft-bug-stale-read-closed-loop.toml",
        &["linearizable"],
    );
}

#[test]
fn raft_bug_ack_before_sync_file_loses_committed_entries() {
    bug_file_fails_then_passes_without_the_bug(
        "raft-bug-ack-before-sync.toml",
        &["Leader Completeness"],
    );
}

#[test]
fn raft_fault_scenarios_pass_every_check() {
    for file in [
        "raft-baseline.toml",
        "raft-leader-partition.toml",
        "raft-leader-crash.toml",
        "raft-nemesis.toml",
        "raft-closed-loop.toml",
    ] {
        assert_eq!(failing(&raft_run(file)), Vec::<String>::new(), "{file}");
    }
}
