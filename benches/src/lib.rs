//! faultline's benchmarks. `phold`: PHOLD-v1 (`../shared/bench/PHOLD.md`) on sim-core's
//! public node API, as a library so tests can check its checksum against the reference.

pub mod phold;

/// Peak resident memory of this process, from `/proc/self/status` (0 where unavailable).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
