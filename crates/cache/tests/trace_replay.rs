//! Exact replay of libCacheSim's own test trace: the CloudPhysics block-I/O trace
//! (`../shared/oracles/cache/cloudphysics.csv`, libCacheSim's
//! `data/cloudPhysicsIO.oracleGeneral.bin` as CSV, 113,872 requests), replayed in order through
//! one cache at each of eight capacities, 128 MiB to 1 GiB in steps of 128 MiB, where MiB is
//! 1,048,576 bytes (libCacheSim/include/libCacheSim/const.h: `#define MiB 1048576LL`;
//! test/common.h: `CACHE_SIZE_UNIT (MiB)`, `STEP_SIZE (128 * CACHE_SIZE_UNIT)`,
//! `CACHE_SIZE (1024 * CACHE_SIZE_UNIT)`). The capacity counts bytes: the test reader is the
//! oracleGeneral one (test_evictionAlgo.c, `main`: `setup_oracleGeneralBin_reader()`), which
//! keeps each object's size, and `cache_get_base` evicts until the object's size fits.
//!
//! The expected numbers are copied from libCacheSim at commit
//! aa0fc40914b2b786f4b9f4dafb099f8f332b216a (github.com/1a1a11a/libCacheSim), file
//! `test/test_evictionAlgo.c`. `_verify_profiler_results` (lines 10-22) asserts four numbers
//! per size: the request count and request bytes (`g_req_cnt_true = 113872`,
//! `g_req_byte_true = 4368040448`, line 8) and the miss count and miss bytes of the policy's
//! test function. We assert the same four.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use cache::{Capacity, PolicyKind, ReplayStats, Trace};
use common::*;

fn trace() -> &'static Trace {
    static TRACE: OnceLock<Trace> = OnceLock::new();
    TRACE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/oracles/cache/cloudphysics.csv");
        Trace::read_csv(&path).unwrap_or_else(|error| {
            panic!("{error} (the trace is expected at ../shared beside the checkout)")
        })
    })
}

fn replay(policy: PolicyKind, size_mib: u64) -> ReplayStats {
    trace().replay(policy.build(Capacity::Bytes(size_mib * MIB)).as_mut())
}

fn assert_matches_libcachesim(expected: &Expected) {
    let mut mismatches = Vec::new();
    for (index, &size_mib) in SIZES_MIB.iter().enumerate() {
        let stats = replay(expected.policy, size_mib);
        let want = ReplayStats {
            requests: REQUESTS,
            request_bytes: REQUEST_BYTES,
            misses: expected.misses[index],
            miss_bytes: expected.miss_bytes[index],
        };
        if stats != want {
            mismatches.push(format!("{size_mib} MiB: got {stats:?}, libCacheSim {want:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} differs from libCacheSim (test_evictionAlgo.c, {}):\n{}",
        expected.policy.name(),
        expected.source,
        mismatches.join("\n")
    );
}

#[test]
fn the_trace_is_libcachesims() {
    let requests = trace().requests();
    assert_eq!(requests.len() as u64, REQUESTS);
    assert_eq!(requests.iter().map(|request| request.size_bytes).sum::<u64>(), REQUEST_BYTES);
}

#[test]
fn lru_matches_libcachesim_at_every_size() {
    assert_matches_libcachesim(&LRU);
}

#[test]
fn fifo_matches_libcachesim_at_every_size() {
    assert_matches_libcachesim(&FIFO);
}

#[test]
fn belady_matches_libcachesim_at_every_size() {
    assert_matches_libcachesim(&BELADY);
}

#[test]
fn clock_matches_libcachesim_at_every_size() {
    assert_matches_libcachesim(&CLOCK);
}

#[test]
fn lfu_matches_libcachesim_at_every_size() {
    assert_matches_libcachesim(&LFU);
}

/// Prints every policy's hit ratio at every size (`cargo test --release -p faultline-cache
/// --test trace_replay -- --nocapture`). libCacheSim pins no W-TinyLFU numbers (its
/// `test_WTinyLFU` is a TODO), so W-TinyLFU is held to what holds: it beats LRU at every size
/// (by 2.3 to 9.4 points of hit ratio). No policy beats the compulsory misses, one per distinct
/// key (48,974: Belady's count at 1 GiB, where every object fits).
#[test]
fn hit_ratios_per_policy_and_w_tinylfu_against_lru() {
    let distinct = {
        let mut keys: Vec<u64> = trace().requests().iter().map(|request| request.key).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() as u64
    };
    assert_eq!(distinct, 48_974);

    let mut table = String::from("hit ratio (%) on cloudphysics.csv\n  MiB");
    for policy in PolicyKind::ALL {
        table.push_str(&format!("{:>10}", policy.name()));
    }
    let mut w_tinylfu_losses = Vec::new();
    for size_mib in SIZES_MIB {
        table.push_str(&format!("\n{size_mib:>5}"));
        let mut misses = Vec::new();
        for policy in PolicyKind::ALL {
            let stats = replay(policy, size_mib);
            assert!(stats.misses >= distinct, "{} at {size_mib} MiB", policy.name());
            table.push_str(&format!("{:>10.2}", 100.0 * stats.hit_ratio()));
            misses.push((policy, stats.misses));
        }
        let of = |kind| misses.iter().find(|(policy, _)| *policy == kind).expect("every kind").1;
        if of(PolicyKind::WTinyLfu) >= of(PolicyKind::Lru) {
            w_tinylfu_losses.push(size_mib);
        }
    }
    println!("{table}");
    assert!(w_tinylfu_losses.is_empty(), "W-TinyLFU does not beat LRU at {w_tinylfu_losses:?} MiB");
}
