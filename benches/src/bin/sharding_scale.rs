//! Sharding at scale: 1,000 servers and a key space of 1,000,000 keys, written by many clients
//! at a high rate so that most keys get written during the run. Prints one table: simulated
//! and wall time (split into building the world, the simulation and judging it), events and
//! events per second, operations, the copies the servers hold, the key and load imbalance, and
//! peak memory.
//!
//! ```text
//! cargo run --release -p faultline-benches --bin sharding_scale [-- --nodes 1000 --keys 1000000 --scheme ring]
//! ```
//!
//! The run is an ordinary scenario (built from a TOML string, as a user's file would be) with
//! eventual consistency, so the linearizability checker does not run; the protocol's own
//! checks (Replicas Where Placed over every copy on every server) and metrics do.

use std::time::Instant;

use clap::Parser;
use platform::{Driver, Model};
use sharding::protocol::DEFAULT_SERVERS;
use sharding::store::keys_on;
use sharding::{ShardingConfig, ShardingRun};
use sim_core::{MetricValue, Topology, TraceOptions};
use workload::WorkloadConfig;

/// The run's shape.
#[derive(Parser, Debug)]
struct Args {
    /// Servers.
    #[arg(long, default_value_t = 1000)]
    nodes: u32,
    /// Keys in the workload's key space.
    #[arg(long, default_value_t = 1_000_000)]
    keys: u64,
    /// Simulated seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Simulated clients.
    #[arg(long, default_value_t = 1000)]
    clients: u32,
    /// Operations per simulated second, all clients together.
    #[arg(long, default_value_t = 100_000.0)]
    rate: f64,
    /// Share of reads (the rest are writes).
    #[arg(long, default_value_t = 0.1)]
    read_ratio: f64,
    /// Placement scheme: ring, jump, rendezvous or ranges.
    #[arg(long, default_value = "ring")]
    scheme: String,
    /// Virtual nodes per server (ring only).
    #[arg(long, default_value_t = 100)]
    vnodes: u32,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The scenario file the run is, as a user would write it.
fn scenario_text(a: &Args) -> String {
    let vnodes =
        if a.scheme == "ring" { format!("vnodes = {}\n", a.vnodes) } else { String::new() };
    format!(
        r#"name = "sharding-scale"
protocol = "sharding"
seed = {seed}
duration = "{seconds}s"
nodes = {nodes}

[sharding]
scheme = "{scheme}"
{vnodes}replicas = 3
r = 2
w = 2

[network]
latency = {{ dist = "lognormal", p50 = "1ms", p99 = "10ms" }}

[workload]
clients = {clients}
rate = {rate}
keys = {keys}
read_ratio = {read_ratio}
max_in_flight = 64
"#,
        seed = a.seed,
        seconds = a.seconds,
        nodes = a.nodes,
        scheme = a.scheme,
        clients = a.clients,
        rate = a.rate,
        keys = a.keys,
        read_ratio = a.read_ratio,
    )
}

fn metric(metrics: &[(String, MetricValue)], name: &str) -> String {
    match metrics.iter().find(|(k, _)| k == name).map(|(_, v)| v) {
        Some(MetricValue::Count(n)) => n.to_string(),
        Some(MetricValue::Number(x)) => format!("{x:.3}"),
        other => format!("{other:?}"),
    }
}

// A benchmark measures wall time around the run, never inside it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let args = Args::parse();
    let text = scenario_text(&args);
    let scenario = scenario::load_str(std::path::Path::new("sharding-scale.toml"), &text, &[])
        .unwrap_or_else(|e| panic!("the benchmark's scenario is valid: {e}"));
    // As `Sharding::prepare` builds the run, but keeping the model so that building the world,
    // simulating and judging can be timed apart.
    let setup = scenario.setup();
    let config: ShardingConfig = setup.config().expect("valid [sharding]");
    config.validate().expect("valid [sharding]");
    let workload: WorkloadConfig = setup.workload().expect("valid [workload]");
    workload.validate().expect("valid [workload]");
    let topology = Topology::new(setup.nodes.unwrap_or(DEFAULT_SERVERS), workload.clients)
        .expect("valid topology");
    let sim = setup.sim_config(topology).expect("valid scenario");
    let driver = Driver::new(ShardingRun { sim, config, workload }, false);

    let started = Instant::now();
    let (mut sim, observer) = driver.model.build(TraceOptions::default()).expect("valid run");
    let build_s = started.elapsed().as_secs_f64();
    let run_started = Instant::now();
    let summary = sim.run();
    let run_s = run_started.elapsed().as_secs_f64();
    let judge_started = Instant::now();
    let (judgement, checks) = driver.judge(&mut sim, &observer);
    let judge_s = judge_started.elapsed().as_secs_f64();
    let wall_s = started.elapsed().as_secs_f64();

    // Peak memory of the run itself, before the counting below allocates.
    let peak_rss_mib = faultline_benches::peak_rss_kib() as f64 / 1024.0;
    let mut held: Vec<u64> =
        sim.topology().servers().flat_map(|id| keys_on(sim.storage(id))).collect();
    let copies = held.len();
    held.sort_unstable();
    held.dedup();
    let ops = sim.history().len() / 2;
    let m = &judgement.metrics;
    let rows: Vec<(&str, String)> = vec![
        ("scheme", args.scheme.clone()),
        ("servers", args.nodes.to_string()),
        ("clients", args.clients.to_string()),
        ("key space", args.keys.to_string()),
        ("simulated s", format!("{:.1}", summary.end.as_secs_f64())),
        ("wall s (total)", format!("{wall_s:.2}")),
        ("  build s", format!("{build_s:.2}")),
        ("  simulate s (incl. start-up)", format!("{run_s:.2}")),
        ("  judge s (checks, metrics)", format!("{judge_s:.2}")),
        ("events", summary.events.to_string()),
        ("events/s (simulate)", format!("{:.0}", summary.events as f64 / run_s)),
        ("events/s (total)", format!("{:.0}", summary.events as f64 / wall_s)),
        ("operations", ops.to_string()),
        ("writes acked", metric(m, "writes_acked")),
        ("reads answered", metric(m, "reads_answered")),
        ("ops given up", metric(m, "ops_given_up")),
        ("copies held (all servers)", copies.to_string()),
        ("distinct keys held", held.len().to_string()),
        ("key_imbalance", metric(m, "key_imbalance")),
        ("load_imbalance", metric(m, "load_imbalance")),
        ("peak RSS MiB", format!("{peak_rss_mib:.0}")),
        ("trace hash", format!("{:016x}", summary.trace_hash)),
    ];
    for (k, v) in rows {
        println!("{k:<32} {v}");
    }
    for c in &checks {
        println!("check {:<26} {:?}: {}", c.name, c.status, c.detail);
    }
}
