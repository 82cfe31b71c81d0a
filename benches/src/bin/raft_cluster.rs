//! Raft end to end: a 5-node cluster serving 1000 operations per simulated second for 10
//! simulated minutes, every check on. Prints one `key=value` line: simulated seconds per wall
//! second, the share of wall time the linearizability checker took, peak memory.
//!
//! ```text
//! cargo run --release -p faultline-benches --bin raft_cluster [-- --minutes 10 --rate 1000 --seed 1]
//! ```

use std::time::Instant;

use check::linearizability::DEFAULT_BUDGET;
use clap::Parser;
use platform::checks::linearizable;
use raft::run::{finish, prepare};
use raft::{RaftConfig, RaftRun};
use sim_core::SimDuration;
use workload::WorkloadConfig;

/// The run's shape.
#[derive(Parser, Debug)]
struct Args {
    /// Simulated minutes.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Operations per simulated second, all clients together.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

// A benchmark measures wall time around the run, never inside it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let args = Args::parse();
    let workload = WorkloadConfig {
        clients: 8,
        rate: Some(args.rate),
        cas_ratio: 0.2,
        ..WorkloadConfig::default()
    };
    let mut run = RaftRun::new(
        args.seed,
        5,
        SimDuration::from_secs(60 * args.minutes),
        RaftConfig::default(),
        workload,
    )
    .expect("valid benchmark config");
    run.sim.network =
        toml::from_str("latency = { dist = \"lognormal\", p50 = \"1ms\", p99 = \"5ms\" }")
            .expect("valid network");
    let started = Instant::now();
    let (mut sim, observer) = prepare(&run).expect("valid benchmark config");
    let summary = sim.run();
    let sim_s = started.elapsed().as_secs_f64();
    let outcome = finish(&run, sim, &observer, false);
    let check_started = Instant::now();
    let lin = linearizable(&outcome.history, DEFAULT_BUDGET);
    let check_s = check_started.elapsed().as_secs_f64();
    let total = sim_s + check_s;
    let simulated = summary.end.as_secs_f64();
    let commit = outcome.raft.commit_latency_ms.as_ref();
    let failed: Vec<&str> = outcome
        .checks
        .iter()
        .chain([&lin])
        .filter(|c| !c.status.passed_or_not_applicable())
        .map(|c| c.name.as_str())
        .collect();
    println!(
        "bench=raft servers=5 rate={} sim_s={simulated:.0} events={} ops={} wall_s={total:.3} sim_per_wall={:.0} \
         checker_share={:.3} checker_s={check_s:.3} peak_rss_mib={:.1} messages_per_write={:.2} \
         commit_p50_ms={:.2} commit_p99_ms={:.2} checks_not_passing={:?} trace_hash={:016x}",
        args.rate,
        summary.events,
        outcome.history.len() / 2,
        simulated / total,
        check_s / total,
        faultline_benches::peak_rss_kib() as f64 / 1024.0,
        outcome.raft.messages_per_op,
        commit.map_or(f64::NAN, |c| c.p50),
        commit.map_or(f64::NAN, |c| c.p99),
        failed,
        summary.trace_hash,
    );
}
