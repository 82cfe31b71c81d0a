//! Simulated clients for key-value protocols, and what they say to servers.
//!
//! A client node runs logical processes, as Jepsen does: each process has at most one
//! operation in flight; an operation that times out is recorded as `info` (it stays open in the
//! history) and its process is retired, the client carrying on under a new process id. Clients
//! find the leader by redirects, retry a request with the same request id (so servers can
//! apply it once) with exponential backoff, and give up at the operation's timeout.
//!
//! Open loop (`rate`): operations arrive as a Poisson process, all clients together, each
//! handed to an idle process (a new one if none is idle). Closed loop (`concurrency`): each
//! client keeps that many processes busy. Operations are reads, writes and compare-and-sets
//! (shares `read_ratio`, `cas_ratio`) on keys `0..keys`, uniform or Zipf; values are small
//! integers (0..=4) so that compare-and-sets succeed often, as in Jepsen's register tests.

pub mod client;
pub mod config;
pub mod protocol;

pub use client::{Client, ClientTimer};
pub use config::{KeyDistribution, WorkloadConfig};
pub use protocol::{ClientReply, ClientRequest, KvMessage, KvOp, KvResult};
