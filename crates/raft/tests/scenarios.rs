//! Raft under faults: the checks pass on correct Raft and catch every known-bug switch.

use check::outcome::CheckStatus;
use raft::{Bug, RaftConfig, RaftRun, run};
use sim_core::{FaultSpec, SimDuration};
use workload::WorkloadConfig;

fn faults(text: &str) -> Vec<FaultSpec> {
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        fault: Vec<FaultSpec>,
    }
    toml::from_str::<F>(text).unwrap().fault
}

fn scenario(seed: u64, secs: u64, raft: RaftConfig, fault_text: &str) -> RaftRun {
    let workload: WorkloadConfig =
        toml::from_str("clients = 4\nrate = 200\ncas_ratio = 0.2\nkeys = 4\ntimeout = \"500ms\"")
            .unwrap();
    let mut r = RaftRun::new(seed, 5, SimDuration::from_secs(secs), raft, workload).unwrap();
    r.sim.network =
        toml::from_str("latency = { dist = \"lognormal\", p50 = \"1ms\", p99 = \"5ms\" }").unwrap();
    r.sim.faults = faults(fault_text);
    r.sim.quiet = Some(SimDuration::from_secs(3));
    r
}

fn print(o: &raft::RaftOutcome) {
    for c in &o.checks {
        println!("{:?} {}: {}", c.status, c.name, c.detail);
    }
    println!("{:?}", o.raft);
    println!(
        "ops ok {} info {} fail {}",
        o.metrics.counter("ops.ok"),
        o.metrics.counter("ops.indeterminate"),
        o.metrics.counter("ops.failed")
    );
}

fn all_pass(o: &raft::RaftOutcome) -> bool {
    o.checks.iter().all(|c| c.status.passed_or_not_applicable())
}

#[test]
fn raft_without_faults_passes_every_check() {
    let o = run(&scenario(1, 10, RaftConfig::default(), "")).unwrap();
    print(&o);
    assert!(all_pass(&o));
    assert_eq!(o.raft.elections, 1);
    assert!(o.metrics.counter("ops.ok") > 1500);
}

#[test]
fn raft_isolating_the_leader_keeps_linearizability_and_recovers() {
    let o = run(&scenario(2, 20, RaftConfig::default(), "[[fault]]\nat = \"5s\"\nkind = \"partition\"\nisolate = \"leader\"\nduration = \"5s\"\n[[fault]]\nat = \"12s\"\nkind = \"crash\"\nnode = \"leader\"\nrestart_after = \"2s\"")).unwrap();
    print(&o);
    assert!(all_pass(&o));
    assert!(o.raft.elections >= 3);
    assert_eq!(o.raft.election_downtime_ms.len(), 2);
}

#[test]
fn a_second_fault_on_a_leader_already_down_is_the_same_trial() {
    // The leader is isolated, then crashed 10 ms later, before anyone else is elected: one
    // trial without a leader, timed from the first fault, not two.
    let o = run(&scenario(2, 12, RaftConfig::default(), "[[fault]]\nat = \"5s\"\nkind = \"partition\"\nisolate = \"leader\"\nduration = \"3s\"\n[[fault]]\nat = \"5s 10ms\"\nkind = \"crash\"\nnode = \"leader\"\nrestart_after = \"3s\"")).unwrap();
    print(&o);
    assert!(all_pass(&o));
    assert_eq!(o.raft.election_downtime_ms.len(), 1, "{:?}", o.raft.election_downtime_ms);
    assert!(o.raft.election_downtime_ms[0] > 150.0, "{:?}", o.raft.election_downtime_ms);
}

#[test]
fn clients_with_many_operations_in_flight_find_the_new_leader_after_a_crash() {
    // Sixteen open-loop clients, several operations each in flight when the leader crashes.
    // A new leader is elected within a few hundred milliseconds, far inside the 1 s timeout,
    // so no operation should time out: a client must not let each unanswered operation move
    // its guess on, away from the leader another operation has found.
    let workload: WorkloadConfig =
        toml::from_str("clients = 16\nrate = 500\nkeys = 32\ntimeout = \"1s\"").unwrap();
    let secs = SimDuration::from_secs(12);
    // Seed 6: with the guess moved on by every unanswered operation, 130 of them time out.
    let mut r = RaftRun::new(6, 5, secs, RaftConfig::default(), workload).unwrap();
    r.sim.network =
        toml::from_str("latency = { dist = \"lognormal\", p50 = \"1ms\", p99 = \"10ms\" }")
            .unwrap();
    r.sim.faults = faults(
        "[[fault]]\nat = \"5s\"\nkind = \"crash\"\nnode = \"leader\"\nrestart_after = \"3s\"",
    );
    let o = run(&r).unwrap();
    print(&o);
    assert!(all_pass(&o));
    assert_eq!(o.raft.election_downtime_ms.len(), 1);
    assert!(o.raft.election_downtime_ms[0] < 500.0, "{:?}", o.raft.election_downtime_ms);
    assert_eq!(o.metrics.counter("ops.indeterminate"), 0);
}

#[test]
fn a_server_whose_disk_is_corrupt_halts_on_restart_and_the_rest_carry_on() {
    // n1's disk loses one record's checksum while it is down: on restart it cannot trust what
    // it promised, so it halts; four servers still make a majority.
    let o = run(&scenario(3, 12, RaftConfig::default(), "[[fault]]\nat = \"4s\"\nkind = \"crash\"\nnode = \"n1\"\nrestart_after = \"1s\"\n[[fault]]\nat = \"4s 500ms\"\nkind = \"disk\"\nnode = \"n1\"\nmode = \"corrupt\"")).unwrap();
    print(&o);
    assert!(all_pass(&o));
    assert_eq!(o.metrics.counter("raft.halted_on_corrupt_disk"), 1);
}

#[test]
fn a_follower_that_lost_acknowledged_writes_runs_on_and_halts_on_restart() {
    // With ack-before-sync, followers hold unsynced entries they acknowledged; the disk loses
    // them while n2 runs. n2 goes on appending (its disk log now has a hole), and on restart
    // finds the hole and halts, as on corruption.
    let raft = RaftConfig { bug: Some(Bug::AckBeforeSync), ..RaftConfig::default() };
    let o = run(&scenario(1, 8, raft, "[[fault]]\nat = \"2s\"\nkind = \"disk\"\nnode = \"n2\"\nmode = \"lose-unsynced\"\n[[fault]]\nat = \"3s\"\nkind = \"crash\"\nnode = \"n2\"\nrestart_after = \"500ms\"")).unwrap();
    print(&o);
    assert_eq!(o.metrics.counter("raft.halted_on_corrupt_disk"), 1);
}

/// A scenario for hunting a bug: a nemesis of `kinds`, a fault every `interval` lasting
/// `durations`, and the Raft settings the bug needs to show.
fn bug_scenario(seed: u64, bug: Option<Bug>) -> RaftRun {
    hunting(seed, bug, bug)
}

/// The scenario built to expose `target`, run with `bug` switched on (or none).
fn hunting(seed: u64, target: Option<Bug>, bug: Option<Bug>) -> RaftRun {
    let (kinds, interval, durations, raft) = match target {
        // Figure 8 needs an old-term entry to reach a majority before the new leader's own
        // entry does: one entry per AppendEntries makes that window exist.
        Some(Bug::CommitPreviousTerm) => (
            "\"crash\", \"partition\"",
            "300ms",
            "50ms..600ms",
            RaftConfig { max_batch: 1, ..RaftConfig::default() },
        ),
        // A voter must restart within the election it voted in: short crashes, split votes.
        Some(Bug::ForgetVote) => (
            "\"crash\"",
            "100ms",
            "5ms..50ms",
            RaftConfig {
                election_timeout: sim_core::DurationRange::parse("100ms..110ms").unwrap(),
                ..RaftConfig::default()
            },
        ),
        // Followers must crash between acknowledging and their deferred sync.
        Some(Bug::AckBeforeSync) => ("\"crash\"", "100ms", "50ms..400ms", RaftConfig::default()),
        _ => ("\"crash\", \"partition\", \"pause\"", "1s", "100ms..1s", RaftConfig::default()),
    };
    let mut r = scenario(seed, 20, RaftConfig { bug, ..raft }, "");
    r.sim.nemesis = Some(
        toml::from_str(&format!(
            "kinds = [{kinds}]\ninterval = \"{interval}\"\nduration = \"{durations}\""
        ))
        .unwrap(),
    );
    r.workload.timeout = SimDuration::from_secs(1);
    r.workload.ops_per_key = 100;
    r
}

fn failed_checks(o: &raft::RaftOutcome) -> Vec<String> {
    o.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.clone()).collect()
}

#[test]
#[ignore = "exploration: prints which seeds expose each bug"]
fn explore_bug_seeds() {
    let seeds: u64 = std::env::var("SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let bugs = [
        None,
        Some(Bug::CommitPreviousTerm),
        Some(Bug::ForgetVote),
        Some(Bug::StaleRead),
        Some(Bug::AckBeforeSync),
    ];
    for bug in bugs {
        let found: Vec<(u64, Vec<String>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2u64)
                .map(|k| {
                    s.spawn(move || {
                        (1..=seeds)
                            .filter(|seed| seed % 2 == k)
                            .filter_map(|seed| {
                                let f = failed_checks(&run(&bug_scenario(seed, bug)).unwrap());
                                (!f.is_empty()).then_some((seed, f))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        println!(
            "{bug:?}: {} of {seeds} seeds fail: {:?}",
            found.len(),
            &found[..found.len().min(6)]
        );
    }
}

#[test]
fn raft_stale_read_bug_is_caught_by_the_linearizability_check() {
    let buggy = run(&hunting(2, Some(Bug::StaleRead), Some(Bug::StaleRead))).unwrap();
    print(&buggy);
    assert_eq!(failed_checks(&buggy), ["linearizable"]);
    let correct = run(&hunting(2, Some(Bug::StaleRead), None)).unwrap();
    assert!(all_pass(&correct), "{:?}", correct.checks);
}

#[test]
fn raft_ack_before_sync_bug_loses_committed_entries() {
    let buggy = run(&hunting(2, Some(Bug::AckBeforeSync), Some(Bug::AckBeforeSync))).unwrap();
    print(&buggy);
    let failed = failed_checks(&buggy);
    assert!(failed.contains(&"Leader Completeness".to_string()), "{failed:?}");
    let correct = run(&hunting(2, Some(Bug::AckBeforeSync), None)).unwrap();
    assert!(all_pass(&correct), "{:?}", correct.checks);
}

#[test]
fn raft_nemesis_runs_pass_every_check_on_correct_raft() {
    for seed in 1..=4 {
        let o = run(&bug_scenario(seed, None)).unwrap();
        assert!(all_pass(&o), "seed {seed}: {:?}", o.checks);
        assert!(o.faults.len() > 10, "the nemesis really faulted the run");
    }
}

#[test]
fn raft_check_quorum_makes_an_isolated_leader_step_down() {
    let isolate =
        "[[fault]]\nat = \"3s\"\nkind = \"partition\"\nisolate = \"leader\"\nduration = \"4s\"";
    let leaders_after = |check_quorum: bool| {
        let raft = RaftConfig { check_quorum, ..RaftConfig::default() };
        let r = scenario(5, 10, raft, isolate);
        let (mut sim, observer) = raft::run::prepare(&r).unwrap();
        sim.run_until(sim_core::SimTime(6_000_000_000));
        let leaders = raft::run::servers(&sim)
            .into_iter()
            .filter(|&n| {
                sim.node(n).is_some_and(|x| x.server().is_some_and(|s| s.status().leading))
            })
            .count();
        sim.run();
        let o = raft::run::finish(&r, sim, &observer, true);
        assert!(all_pass(&o), "{:?}", o.checks);
        leaders
    };
    // Without CheckQuorum the cut-off leader keeps believing it leads beside the new one.
    assert_eq!(leaders_after(false), 2);
    assert_eq!(leaders_after(true), 1);
}

#[test]
fn raft_pre_vote_keeps_a_rejoining_server_from_disrupting_the_leader() {
    // n5 is cut off for 3 s: without PreVote it keeps raising its term and forces an
    // election when it returns; with PreVote its probes fail and the term stays.
    let cut = "[[fault]]\nat = \"2s\"\nkind = \"partition\"\ngroups = [[\"n5\"], [\"n1\", \"n2\", \"n3\", \"n4\"]]\nduration = \"3s\"";
    let elections = |pre_vote: bool| {
        let raft = RaftConfig { pre_vote, ..RaftConfig::default() };
        // With seed 6 the first leader is not n5, so cutting n5 off needs no election.
        let o = run(&scenario(6, 10, raft, cut)).unwrap();
        assert!(all_pass(&o), "{:?}", o.checks);
        o.raft.elections
    };
    assert!(elections(false) >= 2, "the rejoining server forces a new election");
    assert_eq!(elections(true), 1, "with PreVote the first leader keeps its term");
}

#[test]
fn a_restarted_client_gets_a_session_of_its_own() {
    // c1 crashes and restarts 10 ms later on correct Raft with no other fault. Its new
    // incarnation must not reuse the request ids its old session holds answers for: the
    // servers would drop its writes as already answered (they time out) or hand back another
    // operation's result.
    let o = run(&scenario(
        1,
        10,
        RaftConfig::default(),
        "[[fault]]\nat = \"4s\"\nkind = \"crash\"\nnode = \"c1\"\nrestart_after = \"10ms\"",
    ))
    .unwrap();
    print(&o);
    assert!(all_pass(&o), "{:?}", o.checks);
    // c1's processes are 0, 4, 8, ... (four clients): it goes on working after the restart,
    // and none of its operations times out (the old incarnation's are left open, not info).
    let restarted = 4_010_000_000;
    let c1_after = |kind| {
        o.history
            .iter()
            .filter(|e| e.process % 4 == 0 && e.kind == kind && e.time_ns >= restarted)
            .count()
    };
    assert!(c1_after(sim_core::OpType::Invoke) > 100, "c1 kept working");
    let timed_out = c1_after(sim_core::OpType::Info);
    assert_eq!(timed_out, 0, "operations of the restarted c1 timed out");
}
