//! Helpers for scripting Raft runs step by step with fault verbs.
#![allow(dead_code)]

use check::outcome::{CheckResult, CheckStatus};
use raft::observer::SharedObserver;
use raft::run::{finish, prepare};
use raft::{RaftConfig, RaftNode, RaftRun};
use sim_core::{NodeId, SimDuration, SimTime, Simulation};
use workload::WorkloadConfig;

/// The five servers, S1..S5 as the paper names them (n1..n5).
pub const S: [NodeId; 5] = [NodeId(0), NodeId(1), NodeId(2), NodeId(3), NodeId(4)];

pub fn role(sim: &Simulation<RaftNode>, n: NodeId) -> Option<(&'static str, u64)> {
    sim.node(n).and_then(RaftNode::server).map(|s| (s.status().role, s.status().term))
}

pub fn commit(sim: &Simulation<RaftNode>, n: NodeId) -> u64 {
    sim.node(n).and_then(RaftNode::server).map_or(0, |s| s.commit_index())
}

/// Runs in 50 µs steps until `cond` holds; panics after `limit`.
pub fn step_until(
    sim: &mut Simulation<RaftNode>,
    what: &str,
    limit: SimDuration,
    cond: impl Fn(&Simulation<RaftNode>) -> bool,
) {
    let end = sim.now() + limit;
    while !cond(sim) {
        assert!(sim.now() < end, "gave up waiting for: {what} (at {})", sim.now());
        // Steps of 50.003 µs never end where a message sent at an earlier step's end lands
        // (latencies are whole milliseconds), so a fault injected there is alone at its instant
        // and replays exactly from a scenario file.
        let next = SimTime(sim.now().as_nanos() + 50_003);
        sim.run_until(next);
    }
}

/// Runs for `d` and 13 ns more (ending where nothing else happens; see [`step_until`]).
pub fn wait(sim: &mut Simulation<RaftNode>, d: SimDuration) {
    sim.run_until(sim.now() + d + SimDuration(13));
}

/// Makes `n` time out now (its clock jumps past any election timeout).
pub fn time_out(sim: &mut Simulation<RaftNode>, n: NodeId) {
    sim.skew_clock(n, 1_000_000_000);
}

pub fn leads(sim: &Simulation<RaftNode>, n: NodeId) -> bool {
    role(sim, n).is_some_and(|(r, _)| r == "leader")
}

/// The status of the check named `name`.
pub fn status(checks: &[CheckResult], name: &str) -> CheckStatus {
    checks.iter().find(|c| c.name == name).map(|c| c.status).unwrap()
}

/// Prints the checks (shown with `--nocapture`).
pub fn show(checks: &[CheckResult]) {
    for c in checks {
        println!("{:?} {}: {}", c.status, c.name, c.detail);
    }
}

/// Prints the run's faults as `[[fault]]` entries a scenario file can replay: each at the
/// instant it was injected, healed when it was. (Scripts inject at instants where nothing else
/// happens; a scheduled fault runs before other events of its instant, a verb after them.)
pub fn print_faults(sim: &Simulation<RaftNode>) {
    #[derive(serde::Serialize)]
    struct Faults {
        fault: Vec<sim_core::FaultSpec>,
    }
    let topo = sim.topology().clone();
    let fault = sim
        .fault_records()
        .iter()
        .filter_map(|r| {
            let mut spec = r.replayable(&topo)?;
            spec.duration = r.healed_at_ns.map(|h| SimDuration(h - spec.at.as_nanos()));
            Some(spec)
        })
        .collect();
    println!("{}", toml::to_string(&Faults { fault }).unwrap());
}

/// A five-server cluster without clients on a 1 ms network, ready to be driven step by step.
pub fn scripted(seed: u64, raft: RaftConfig) -> (RaftRun, Simulation<RaftNode>, SharedObserver) {
    let workload = WorkloadConfig { clients: 0, ..WorkloadConfig::default() };
    let mut run = RaftRun::new(seed, 5, SimDuration::from_secs(30), raft, workload).unwrap();
    run.sim.network = toml::from_str("latency = \"1ms\"").unwrap();
    let (sim, observer) = prepare(&run).unwrap();
    (run, sim, observer)
}

/// Lets the cluster settle for 2 s, prints the faults as a scenario would list them, and
/// returns the checks.
pub fn conclude(
    run: &RaftRun,
    mut sim: Simulation<RaftNode>,
    observer: &SharedObserver,
) -> Vec<CheckResult> {
    wait(&mut sim, SimDuration::from_secs(2));
    print_faults(&sim);
    let outcome = finish(run, sim, observer, false);
    show(&outcome.checks);
    outcome.checks
}
