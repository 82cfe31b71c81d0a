//! A double vote, scripted with fault verbs: a server votes for S1, crashes before S1's first
//! AppendEntries reaches it, restarts, and is asked again by S2 in the same term. With its
//! vote on disk it refuses; with the `forget-vote` bug it grants, and term 3 has two leaders.

mod common;

use check::outcome::{CheckResult, CheckStatus};
use common::{S, conclude, leads, role, scripted, status, step_until, time_out, wait};
use raft::{Bug, RaftConfig};
use sim_core::{FaultKind, Selector, SimDuration};

fn double_vote(bug: Option<Bug>) -> Vec<CheckResult> {
    let (run, mut sim, observer) = scripted(3, RaftConfig { bug, ..RaftConfig::default() });
    let ms = SimDuration::from_millis;

    // S5 leads term 2 and the cluster settles.
    step_until(&mut sim, "a first leader", ms(1000), |s| S.iter().any(|&n| leads(s, n)));
    wait(&mut sim, ms(500));
    time_out(&mut sim, S[4]);
    step_until(&mut sim, "S5 leading", ms(1000), |s| leads(s, S[4]));
    wait(&mut sim, ms(100));
    let term = role(&sim, S[4]).unwrap().1;

    // S1 can reach S3 and S4; S2 can reach S3 and S5; S1 and S2 cannot talk.
    sim.partition(&[vec![S[0]], vec![S[1]]]);
    sim.partition_oneway(&[S[0]], &[S[4]]);
    sim.partition_oneway(&[S[4]], &[S[0]]);
    sim.partition_oneway(&[S[1]], &[S[3]]);
    sim.partition_oneway(&[S[3]], &[S[1]]);

    // S1 wins term + 1 with S3 and S4; S3 crashes before S1's entry reaches it.
    time_out(&mut sim, S[0]);
    step_until(&mut sim, "S1 leading", ms(200), |s| leads(s, S[0]));
    let crash = FaultKind::Crash { node: Selector::Named("n3".into()), restart_after: Some(ms(3)) };
    sim.inject(crash, None).unwrap();
    wait(&mut sim, ms(3));

    // S2, still in the old term, asks S3 and S5 for the same term.
    time_out(&mut sim, S[1]);
    wait(&mut sim, ms(50));
    assert_eq!(role(&sim, S[1]).map(|r| r.1), Some(term + 1), "S2 campaigned in S1's term");
    conclude(&run, sim, &observer)
}

#[test]
fn a_restarted_voter_remembers_its_vote() {
    let checks = double_vote(None);
    assert!(checks.iter().all(|c| c.status.passed_or_not_applicable()), "{checks:?}");
}

#[test]
fn forget_vote_bug_gives_a_term_two_leaders() {
    assert_eq!(status(&double_vote(Some(Bug::ForgetVote)), "Election Safety"), CheckStatus::Fail);
}
