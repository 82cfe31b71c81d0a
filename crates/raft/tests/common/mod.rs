//! Helpers for scripting Raft runs step by step with fault verbs.
#![allow(dead_code)]

use check::outcome::{CheckResult, CheckStatus};
use raft::RaftNode;
use sim_core::{NodeId, Role, SimDuration, SimTime, Simulation};

/// The five servers, S1..S5 as the paper names them (n1..n5).
pub const S: [NodeId; 5] = [NodeId(0), NodeId(1), NodeId(2), NodeId(3), NodeId(4)];

pub fn role(sim: &Simulation<RaftNode>, n: NodeId) -> Option<(Role, u64)> {
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
        let next = SimTime(sim.now().as_nanos() + 50_000);
        sim.run_until(next);
    }
}

/// Makes `n` time out now (its clock jumps past any election timeout).
pub fn time_out(sim: &mut Simulation<RaftNode>, n: NodeId) {
    sim.skew_clock(n, 1_000_000_000);
}

pub fn leads(sim: &Simulation<RaftNode>, n: NodeId) -> bool {
    role(sim, n).is_some_and(|(r, _)| r == Role::Leader)
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
