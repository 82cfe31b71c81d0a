//! The cache tier's consistency machinery through the scenario files users run: leases against
//! a thundering herd through a cold restart, invalidations that are lost and resent, and every
//! mode's promise holding on a fault-free run.

use std::path::Path;

use check::outcome::CheckStatus;
use platform::RunResult;
use sim_core::MetricValue;

fn run(file: &str, sets: &[&str]) -> RunResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&path, &sets).unwrap();
    scenario::registry::prepare(&s).unwrap().execute_quietly()
}

fn metric(r: &RunResult, name: &str) -> f64 {
    match r.metrics.iter().find(|(k, _)| k == name) {
        Some((_, MetricValue::Count(n))) => *n as f64,
        Some((_, MetricValue::Number(x))) => *x,
        other => panic!("metrics.{name}: {other:?}"),
    }
}

fn status(r: &RunResult, check: &str) -> CheckStatus {
    let c = r.checks.iter().find(|c| c.name == check).unwrap_or_else(|| panic!("{check}"));
    c.status
}

/// "Scaling Memcache at Facebook" reports leases cutting the database's peak load from 17K/s to
/// 1.3K/s under a hot-key storm. Here a storm of 20,000 reads a second on one key, written
/// about 13 times a second, runs through a cold restart of the only cache node: without leases
/// every reader that misses reads the database; with them one per key does, the rest wait. The
/// issue asks for at least ten times fewer queries of the storm's key (seeds 1 to 4 measured
/// 14.1 to 16.4 times).
#[test]
fn leases_send_ten_times_fewer_storm_queries_to_the_database_through_a_restart() {
    let with = run("cache-node-restart.toml", &[]);
    let without = run("cache-node-restart.toml", &["cache.coalesce=false"]);
    let (w, wo) = (metric(&with, "db_reads_storm"), metric(&without, "db_reads_storm"));
    println!(
        "storm queries {w} with leases, {wo} without ({:.1}x); peak {} against {} per second",
        wo / w,
        metric(&with, "db_reads_peak_per_s"),
        metric(&without, "db_reads_peak_per_s")
    );
    assert!(wo >= 10.0 * w, "{wo} without leases against {w} with");
    assert_eq!(status(&with, cache::tier::protocol::NO_STALE_SET), CheckStatus::Pass);
    assert_eq!(status(&with, cache::tier::protocol::COALESCED), CheckStatus::Pass);
    assert_eq!(status(&with, cache::tier::protocol::FRESH), CheckStatus::Pass);
}

/// Half the invalidations are lost for 10 s: the writers' resends keep every read within the
/// bound, and the stale reads are counted, not hidden.
#[test]
fn lost_invalidations_are_resent_and_stale_reads_counted() {
    let r = run("cache-invalidation-loss.toml", &[]);
    assert_eq!(status(&r, cache::tier::protocol::FRESH), CheckStatus::Pass);
    assert!(metric(&r, "stale_reads") > 0.0);
    // Without a TTL or the resends' bound, the same loss with no invalidation at all fails.
    let r = run("cache-invalidation-loss.toml", &["cache.bug=\"no-invalidation\""]);
    assert_eq!(status(&r, cache::tier::protocol::FRESH), CheckStatus::Fail);
}

/// Every mode, each with what it promises, passes what it is held to on the baseline's tier
/// with writes and a hot catalogue (and judges something: no check is unknown).
#[test]
fn every_mode_keeps_its_promise_without_faults() {
    let modes: &[&[&str]] = &[
        &["cache.mode=\"read-through\"", "cache.coalesce=true"],
        &["cache.mode=\"read-through\"", "cache.invalidation=\"update\""],
        &["cache.mode=\"cache-aside\"", "cache.leases=true", "cache.hold_off=\"5ms\""],
        &["cache.mode=\"cache-aside\"", "cache.ttl=\"100ms\"", "cache.ttl_jitter=0.5"],
        &["cache.mode=\"write-through\"", "cache.coalesce=true"],
        &["cache.mode=\"write-behind\""],
        &["cache.near_capacity=8", "cache.near_ttl=\"20ms\""],
    ];
    for sets in modes {
        let mut sets = sets.to_vec();
        sets.extend(["cache.objects=100", "cache.write_ratio=0.2", "duration=\"15s\""]);
        let r = run("cache-baseline.toml", &sets);
        for c in &r.checks {
            assert!(
                matches!(c.status, CheckStatus::Pass | CheckStatus::NotApplicable),
                "{sets:?}: {} {:?}: {}",
                c.name,
                c.status,
                c.detail
            );
        }
        assert!(metric(&r, "writes") > 0.0, "{sets:?}");
    }
}

/// With no invalidation at all, a TTL alone bounds staleness: writers that never invalidate
/// break nothing the configuration promised, and no stale read is older than the TTL.
#[test]
fn a_ttl_alone_bounds_staleness() {
    let sets = [
        "cache.bug=\"no-invalidation\"",
        "cache.ttl=\"100ms\"",
        "cache.ttl_jitter=0.3",
        "cache.objects=100",
        "cache.write_ratio=0.2",
        "duration=\"15s\"",
    ];
    let r = run("cache-baseline.toml", &sets);
    assert_eq!(status(&r, cache::tier::protocol::FRESH), CheckStatus::Pass);
    let (stale, oldest) = (metric(&r, "stale_reads"), metric(&r, "stale_age_max_ms"));
    println!("{stale} stale reads, the oldest by {oldest} ms");
    assert!(stale > 0.0 && oldest <= 100.0, "{stale} stale, oldest {oldest} ms");
}
