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
                use check::outcome::CheckStatus::{NotApplicable, Pass};
                assert!(matches!(c.status, Pass | NotApplicable), "{}: {}", c.name, c.detail);
            }
            let replayed = result.checks.iter().find(|c| c.name == cache::tier::protocol::REPLAYED);
            assert_eq!(replayed.unwrap().status, check::outcome::CheckStatus::Pass);
            let m = &result.metrics;
            let at = format!("{name} at {size} MiB ({})", expected.source);
            assert_eq!(count(m, "requests"), REQUESTS, "{at}");
            assert_eq!(count(m, "request_bytes"), REQUEST_BYTES, "{at}");
            assert_eq!(count(m, "misses"), expected.misses[i], "{at}");
            assert_eq!(count(m, "miss_bytes"), expected.miss_bytes[i], "{at}");
        }
    }
}

/// The tier under independent Zipf requests (scenarios/cache-baseline.toml: one LRU node of
/// 1,000 objects, 10,000 objects at exponent 0.8, counted after a 10 s warm-up) lands on Che's
/// approximation, which the run reports beside its hit ratio. The bound: four standard errors
/// of a binomial proportion over the counted requests, doubled for the correlation between
/// successive requests' outcomes (at the policy level, tests/che.rs measured batch-means errors
/// of 1.0 to 1.2 times the binomial one).
#[test]
fn the_tier_under_zipf_requests_agrees_with_ches_approximation() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/cache-baseline.toml");
    let s = scenario::load(&path, &[]).unwrap();
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    let number = |name: &str| match result.metrics.iter().find(|(k, _)| k == name) {
        Some((_, MetricValue::Number(x))) => *x,
        other => panic!("metrics.{name}: {other:?}"),
    };
    let (hit, che) = (number("hit_ratio"), number("che_hit_ratio"));
    let n = count(&result.metrics, "requests") as f64;
    let bound = 2.0 * 4.0 * (che * (1.0 - che) / n).sqrt();
    println!("hit ratio {hit:.4}, Che {che:.4}, {n} requests, bound {bound:.4}");
    assert!((hit - che).abs() <= bound, "hit ratio {hit} against Che {che} (bound {bound})");
}
