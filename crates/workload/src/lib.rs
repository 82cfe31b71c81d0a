//! Simulated clients for key-value protocols, and what they say to servers.
//!
//! A client node runs logical processes, as Jepsen does: each process has at most one
//! operation in flight; an operation that times out is recorded as `info` (it stays open in the
//! history) and its process is retired, the client carrying on under a new process id. Clients
//! find the leader by redirects, retry a request with the same request id (so servers can
//! apply it once) with exponential backoff, and give up at the operation's timeout.
//!
//! Open loop (`rate`): operations arrive as a Poisson process, all clients together, each
//! handed to an idle process (a new one if none is idle, up to `max_in_flight` per client;
//! beyond that the arrival is shed and counted). Closed loop (`concurrency`): each
//! client keeps that many processes busy. Operations are reads, writes and compare-and-sets
//! (shares `read_ratio`, `cas_ratio`) on `keys` keys at a time, uniform or Zipf; values are
//! small integers (0..=4) so that compare-and-sets succeed often, as in Jepsen's register
//! tests. Like Jepsen's independent keys, a generation of keys is retired after about
//! `ops_per_key` operations each and fresh keys take over, so each key's history stays short
//! enough for the linearizability checker however long the run.

pub mod client;
pub mod config;
pub mod protocol;

pub use client::{Client, ClientTimer};
pub use config::{KeyDistribution, WorkloadConfig};
pub use protocol::{ClientReply, ClientRequest, KvMessage, KvOp, KvResult};
