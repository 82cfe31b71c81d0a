//! Cache policies' speed: replays libCacheSim's CloudPhysics trace
//! (`../shared/oracles/cache/cloudphysics.csv`, 113,872 requests) through each policy of
//! `crates/cache` alone, at one capacity in bytes (256 MiB unless told), and prints per policy
//! the median replay time over `--rounds` fresh caches, requests per second, nanoseconds per
//! request, misses and the miss ratio. Reading the CSV and computing the next uses (Belady's
//! oracle) happen once, before any timing. Then the end-to-end tier: the same trace through the
//! simulated cache node and database (`scenarios/cache-trace-replay.toml`, LRU at the same
//! size), its events per second and simulated requests per second of wall time.
//!
//! ```text
//! cargo run --release -p faultline-benches --bin cache_policies -- [--trace FILE]
//!     [--size-mib 256] [--rounds 5]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cache::{Capacity, PolicyKind, Trace};
use clap::Parser;

/// What to measure.
#[derive(Parser, Debug)]
struct Args {
    /// The trace: a CSV file with the header `time,key,size`.
    #[arg(long, default_value = "../shared/oracles/cache/cloudphysics.csv")]
    trace: PathBuf,
    /// The cache's capacity, in MiB (1,048,576 bytes, as libCacheSim counts them).
    #[arg(long, default_value_t = 256)]
    size_mib: u64,
    /// Replays per policy, each into a new cache; the median time is reported.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

// A benchmark measures wall time around the replays, never inside them.
#[allow(clippy::disallowed_methods)]
fn main() {
    let args = Args::parse();
    let started = Instant::now();
    let trace = Trace::read_csv(&args.trace).unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(2)
    });
    let requests = trace.requests().len();
    println!(
        "trace={} requests={requests} read_s={:.3} capacity={} MiB rounds={}",
        args.trace.display(),
        started.elapsed().as_secs_f64(),
        args.size_mib,
        args.rounds,
    );
    println!(
        "{:<10} {:>10} {:>12} {:>10} {:>8} {:>10}",
        "policy", "median_ms", "requests/s", "ns/request", "misses", "miss_ratio"
    );
    let capacity = Capacity::Bytes(args.size_mib * 1_048_576);
    for kind in PolicyKind::ALL {
        let mut times = Vec::with_capacity(args.rounds);
        let mut stats = None;
        for _ in 0..args.rounds.max(1) {
            let mut policy = kind.build(capacity);
            let replay = Instant::now();
            stats = Some(trace.replay(policy.as_mut()));
            times.push(replay.elapsed());
            // The cache is dropped outside the timed replay.
            drop(policy);
        }
        let stats = stats.expect("at least one round");
        let median = median(&mut times).as_secs_f64();
        println!(
            "{:<10} {:>10.2} {:>12.0} {:>10.1} {:>8} {:>10.4}",
            kind.name(),
            median * 1e3,
            requests as f64 / median,
            median * 1e9 / requests as f64,
            stats.misses,
            stats.miss_ratio(),
        );
    }
    tier(&args);
    println!("peak_rss_mib={:.1}", faultline_benches::peak_rss_kib() as f64 / 1024.0);
}

/// The trace through the simulated tier, as `faultline run scenarios/cache-trace-replay.toml`
/// runs it (every request is a message to the cache node and, on a miss, a round trip to the
/// database).
#[allow(clippy::disallowed_methods)]
fn tier(args: &Args) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/cache-trace-replay.toml");
    let trace = std::fs::canonicalize(&args.trace).unwrap_or_else(|_| args.trace.clone());
    let sets = [
        format!("cache.trace={:?}", trace.display().to_string()),
        format!("cache.capacity=\"{}MiB\"", args.size_mib),
    ];
    let scenario = scenario::load(&path, &sets).unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2)
    });
    let run = scenario::registry::prepare(&scenario).unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(2)
    });
    let started = Instant::now();
    let result = run.execute_quietly();
    let wall = started.elapsed().as_secs_f64();
    let events = result.summary.events;
    let requests = result.metrics.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("requests", sim_core::MetricValue::Count(n)) => Some(*n),
        _ => None,
    });
    println!(
        "tier (LRU, one cache node, a database): wall_s={wall:.3} events={events} events/s={:.0} requests/s={:.0}",
        events as f64 / wall,
        requests.unwrap_or(0) as f64 / wall,
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}
