//! The cache tier as a faultline protocol (`protocol = "cache"`): cache nodes on a
//! consistent-hash ring, each running one eviction policy, in front of a database, and clients
//! that replay a trace (one request at a time) or draw independent Zipf requests; misses read
//! through. Writers, invalidation, leases and coalescing come next.

pub mod config;
pub mod message;
pub mod node;
pub mod protocol;

pub use protocol::{Cache, CacheRun};
