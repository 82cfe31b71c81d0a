//! `faultline list`: what scenario files may name.

use scenario::registry::PROTOCOLS;
use sim_core::faults::{FAULT_KINDS, SELECTORS};

use crate::Status;

/// Each protocol's own parameters (its `[table]`), with their defaults.
const RAFT_PARAMETERS: &[(&str, &str)] = &[
    ("election_timeout", "\"150ms..300ms\": election timeouts are drawn from this range"),
    ("heartbeat_interval", "half the minimum election timeout"),
    ("pre_vote", "false"),
    ("check_quorum", "false"),
    ("read_mode", "\"read-index\" | \"log\""),
    ("max_batch", "64 entries per AppendEntries"),
    ("snapshot_threshold", "1000 applied entries between snapshots"),
    (
        "bug",
        "none | \"commit-previous-term\" | \"forget-vote\" | \"stale-read\" | \"ack-before-sync\"",
    ),
];

pub fn run() -> Status {
    println!("protocols:");
    for (name, built) in PROTOCOLS {
        println!("  {name}{}", if *built { "" } else { " (not built yet)" });
    }
    println!("fault kinds:\n  {}", FAULT_KINDS.join(", "));
    println!("selectors:\n  a node name (n1.., c1..), {}", SELECTORS.join(", "));
    println!("[raft] parameters:");
    for (key, default) in RAFT_PARAMETERS {
        println!("  {key} = {default}");
    }
    Status::Pass
}
