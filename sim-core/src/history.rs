//! Client histories: what clients invoked and what they were told, for the checkers.
//!
//! One entry per event, Jepsen-style: `invoke` when a client starts an operation, then `ok`,
//! `fail` (it definitely did not happen) or `info` (unknown: it may or may not have happened,
//! e.g. a timeout). The kernel stamps each entry with the simulated time; protocol crates
//! choose `f` (`read`, `write`, `cas`, …), the key and the value.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The kind of a history entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// An operation began.
    Invoke,
    /// It completed successfully.
    Ok,
    /// It definitely did not take effect.
    Fail,
    /// Its outcome is unknown (it stays open, as Jepsen does).
    Info,
}

/// One line of `history.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The logical process (a client's current process id).
    pub process: u64,
    /// Invoke, ok, fail or info.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// The operation: `read`, `write`, `cas`, … (borrowed when a protocol names it with a
    /// constant, as clients do on every operation: no allocation per entry).
    pub f: Cow<'static, str>,
    /// The key, for key-value operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u64>,
    /// The operation's value (a read's result, a write's argument, `[old, new]` for cas).
    #[serde(default)]
    pub value: serde_json::Value,
    /// Simulated time of the event, nanoseconds (stamped by the kernel).
    pub time_ns: u64,
}
