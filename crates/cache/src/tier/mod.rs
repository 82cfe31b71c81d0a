//! The cache tier as a faultline protocol (`protocol = "cache"`): cache nodes on a
//! consistent-hash ring, each running one eviction policy, in front of a database; clients
//! that replay a trace or draw reads and writes from a Zipf catalogue, with an optional near
//! cache; read-through, cache-aside (with memcache's leases), write-through or write-behind;
//! invalidation by delete or update, TTLs with jitter, and request coalescing.

pub mod client;
pub mod config;
pub mod message;
pub mod node;
pub mod observer;
pub mod protocol;
pub mod server;

pub use protocol::{Cache, CacheRun};
