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
    o.checks.iter().all(|c| c.status == CheckStatus::Pass)
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
