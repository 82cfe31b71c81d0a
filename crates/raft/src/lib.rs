//! Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", and
//! Ongaro's dissertation) as a replicated key-value store on faultline's kernel.
//!
//! [`server`] is the protocol; [`observer`] checks Election Safety, Log Matching, Leader
//! Completeness and State Machine Safety as the run goes; [`run`](mod@run) builds a run from a scenario,
//! runs it, checks the client history for linearizability and liveness after faults heal, and
//! measures elections, downtime and messages. [`config::Bug`] holds the known-bug switches the
//! checks must catch.

#![deny(missing_docs)]

pub mod config;
pub mod log;
pub mod message;
pub mod node;
pub mod observer;
pub mod protocol;
pub mod run;
pub mod server;
pub mod state_machine;

pub use config::{Bug, RaftConfig, ReadMode};
pub use node::{RaftNode, RaftTimer};
pub use protocol::Raft;
pub use run::{RaftMetrics, RaftOutcome, RaftRun, run};
