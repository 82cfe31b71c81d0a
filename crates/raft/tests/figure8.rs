//! The Raft paper's Figure 8, scripted step by step with fault verbs: an entry from an
//! earlier term, replicated to a majority by a later leader, is overwritten after that leader
//! fails. Correct Raft never counts it as committed; with the `commit-previous-term` bug the
//! leader commits it, and the checks must say so.

mod common;

use check::outcome::{CheckResult, CheckStatus};
use common::{S, commit, conclude, leads, role, scripted, status, step_until, time_out, wait};
use raft::{Bug, RaftConfig};
use sim_core::SimDuration;

fn figure8(bug: Option<Bug>) -> Vec<CheckResult> {
    let (run, mut sim, observer) =
        scripted(8, RaftConfig { bug, max_batch: 1, ..RaftConfig::default() });
    let second = SimDuration::from_secs(1);

    // A settled cluster: some leader's first entry committed everywhere.
    step_until(&mut sim, "a first leader", second, |s| S.iter().any(|&n| leads(s, n)));
    wait(&mut sim, SimDuration::from_millis(100));

    // (a) S1 leads term 2 and its entry 2 reaches only S2.
    time_out(&mut sim, S[0]);
    step_until(&mut sim, "S1 leading", second, |s| leads(s, S[0]));
    let s12 = sim.partition(&[vec![S[0], S[1]], vec![S[2], S[3], S[4]]]);
    wait(&mut sim, SimDuration::from_millis(5));

    // (b) S5 leads term 3 with S3 and S4, its entry 2 stays with it.
    time_out(&mut sim, S[4]);
    step_until(&mut sim, "S5 leading", second, |s| leads(s, S[4]));
    let lone5 = sim.partition(&[vec![S[4]], vec![S[0], S[1], S[2], S[3]]]);

    // (c) S1 leads term 4 and copies entry 2 (term 2) to S3: a majority holds it.
    sim.heal(s12);
    step_until(&mut sim, "S1 stepping down", second, |s| !leads(s, S[0]));
    time_out(&mut sim, S[0]);
    step_until(&mut sim, "S1 leading again", second, |s| {
        leads(s, S[0]) && role(s, S[0]).unwrap().1 >= 4
    });
    // With the bug S1 commits entry 2 as soon as S3 holds it; correct Raft waits until its
    // own entry 3 reaches a majority and commits both at once.
    step_until(&mut sim, "S1 committing", SimDuration::from_millis(50), |s| commit(s, S[0]) >= 2);
    // S1 fails at that moment: cut it off, with the messages it has in flight.
    let lone1 = sim.partition(&[vec![S[0]], vec![S[1], S[2], S[3], S[4]]]);

    // (d) S5 comes back; S2, whose log is the longest, is paused so it cannot win. With the
    // bug, S3 and S4 lack entry 3 and elect S5, which overwrites entry 2; in correct Raft
    // one of them holds entry 3 and a server with it wins.
    sim.heal(lone5);
    let paused = sim.pause(S[1]);
    step_until(&mut sim, "a leader of term 5 or later", SimDuration::from_secs(5), |s| {
        S.iter().any(|&n| leads(s, n) && role(s, n).unwrap().1 >= 5)
    });
    wait(&mut sim, SimDuration::from_millis(200));
    sim.heal(paused);
    sim.heal(lone1);
    conclude(&run, sim, &observer)
}

#[test]
fn figure_8_correct_raft_does_not_commit_the_old_entry() {
    let checks = figure8(None);
    assert!(checks.iter().all(|c| c.status.passed_or_not_applicable()), "{checks:?}");
}

#[test]
fn figure_8_commit_previous_term_bug_is_caught() {
    let checks = figure8(Some(Bug::CommitPreviousTerm));
    assert_eq!(status(&checks, "Leader Completeness"), CheckStatus::Fail);
    assert_eq!(status(&checks, "State Machine Safety"), CheckStatus::Fail);
}
