//! libCacheSim's pinned numbers for its CloudPhysics test trace, shared by the tests that
//! replay it (through a policy alone, and through the simulated cache tier).
//!
//! The exact replay of libCacheSim's own test trace: the CloudPhysics block-I/O trace
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

#![allow(dead_code)]

use cache::PolicyKind;

/// One MiB as libCacheSim counts it.
pub const MIB: u64 = 1_048_576;
/// The eight capacities of libCacheSim's tests: 128 MiB, 256 MiB, ..., 1024 MiB.
pub const SIZES_MIB: [u64; 8] = [128, 256, 384, 512, 640, 768, 896, 1024];
/// `g_req_cnt_true`, test_evictionAlgo.c line 8.
pub const REQUESTS: u64 = 113_872;
/// `g_req_byte_true`, test_evictionAlgo.c line 8.
pub const REQUEST_BYTES: u64 = 4_368_040_448;

/// libCacheSim's expected misses and missed bytes for one policy, one entry per size.
pub struct Expected {
    pub policy: PolicyKind,
    /// Where the numbers are, in test_evictionAlgo.c.
    pub source: &'static str,
    pub misses: [u64; 8],
    pub miss_bytes: [u64; 8],
}

pub const LRU: Expected = Expected {
    policy: PolicyKind::Lru,
    source: "test_LRU, lines 48-51",
    misses: [93374, 89783, 83572, 81722, 72494, 72104, 71972, 71704],
    miss_bytes: [
        4214303232, 4061242368, 3778040320, 3660569600, 3100927488, 3078128640, 3075403776,
        3061662720,
    ],
};

pub const FIFO: Expected = Expected {
    policy: PolicyKind::Fifo,
    source: "test_FIFO, lines 90-93",
    misses: [93403, 89386, 84387, 84025, 72498, 72228, 72182, 72140],
    miss_bytes: [
        4213112832, 4052646400, 3829170176, 3807412736, 3093146112, 3079525888, 3079210496,
        3077547520,
    ],
};

pub const BELADY: Expected = Expected {
    policy: PolicyKind::Belady,
    source: "test_Belady, lines 115-118",
    misses: [79256, 70724, 65481, 61594, 59645, 57599, 50873, 48974],
    miss_bytes: [
        3472532480, 2995165696, 2726689792, 2537648128, 2403427840, 2269212672, 2134992896,
        2029769728,
    ],
};

/// Clock (libCacheSim's `Clock.c`, one reference bit by default): beyond the three policies the
/// trace's README names, pinned too because it agrees.
pub const CLOCK: Expected = Expected {
    policy: PolicyKind::Clock,
    source: "test_Clock, lines 69-72",
    misses: [93313, 89775, 83411, 81328, 74815, 72283, 71927, 64456],
    miss_bytes: [
        4213887488, 4064512000, 3762650624, 3644467200, 3256760832, 3091688448, 3074241024,
        2697378816,
    ],
};

/// LFU (libCacheSim's `LFU.c`: in-cache frequency, ties to the least recently used): pinned
/// too, because it agrees.
pub const LFU: Expected = Expected {
    policy: PolicyKind::Lfu,
    source: "test_LFU, lines 182-185",
    misses: [91699, 86720, 78578, 76707, 69945, 66221, 64445, 64376],
    miss_bytes: [
        4158632960, 3917211648, 3536227840, 3455379968, 3035580416, 2801699328, 2699456000,
        2696345600,
    ],
};
