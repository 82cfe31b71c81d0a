//! The simulated cache tier replays libCacheSim's test trace and counts exactly what
//! libCacheSim's tests assert: `scenarios/cache-trace-replay.toml` as a user runs it, with
//! `--set` for each policy and size (one cache node, one request at a time in file order, no
//! faults), read through the scenario loader and the protocol registry, metrics from the run's
//! own summary.

mod common;

use std::path::Path;

use common::*;
use sim_core::MetricValue;

fn count(metrics: &[(String, MetricValue)], name: &str) -> u64 {
    match metrics.iter().find(|(k, _)| k == name) {
        Some((_, MetricValue::Count(n))) => *n,
        other => panic!("metrics.{name}: {other:?}"),
    }
}

#[test]
fn the_tier_counts_libcachesims_misses_for_every_pinned_policy_and_size() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/cache-trace-replay.toml");
    for expected in [LRU, FIFO, BELADY, CLOCK, LFU] {
        let name = match expected.policy.name() {
            "W-TinyLFU" => "w-tinylfu".to_string(),
            n => n.to_lowercase(),
        };
        for (i, size) in SIZES_MIB.iter().enumerate() {
            let sets =
                [format!("cache.policy=\"{name}\""), format!("cache.capacity=\"{size}MiB\"")];
            let s = scenario::load(&path, &sets).unwrap();
            let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
            for c in &result.checks {
                assert_eq!(c.status, check::outcome::CheckStatus::Pass, "{}: {}", c.name, c.detail);
            }
            let m = &result.metrics;
            let at = format!("{name} at {size} MiB ({})", expected.source);
            assert_eq!(count(m, "requests"), REQUESTS, "{at}");
            assert_eq!(count(m, "request_bytes"), REQUEST_BYTES, "{at}");
            assert_eq!(count(m, "misses"), expected.misses[i], "{at}");
            assert_eq!(count(m, "miss_bytes"), expected.miss_bytes[i], "{at}");
        }
    }
}
