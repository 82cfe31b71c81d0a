//! A Dynamo-style partitioned, replicated key-value store (DeCandia et al., "Dynamo: Amazon's
//! Highly Available Key-value Store", 2007) on faultline's kernel.
//!
//! [`hash`] is the one named hash every placement decision uses (XXH3-64), pinned by test
//! vectors. [`placement`] holds four partitioning schemes behind one trait, chosen per scenario
//! by name: a consistent-hash ring with virtual nodes, jump consistent hash, rendezvous
//! (highest-random-weight) hashing, and fixed hash ranges. [`server`] is a replica and a
//! coordinator of N/R/W quorums whose [`version`]s are last-writer-wins stamps, vector clocks
//! with siblings ([`client`] resolves them) or ABD counters (linearizable); [`rebalance`] moves
//! keys while the membership changes; [`repair`] holds hinted handoff and anti-entropy;
//! [`store`] is a server's disk; [`observer`] and [`protocol`] judge a run.
//!
//! ```
//! use sharding::placement::{Scheme, build};
//!
//! // `[sharding]` in a scenario file: scheme = "ring", vnodes = 100.
//! let scheme: Scheme = toml::from_str("scheme = \"ring\"\nvnodes = 100").unwrap();
//! let mut placement = build(&scheme, &[1, 2, 3, 4, 5]).unwrap();
//!
//! let mut replicas = Vec::new();
//! placement.replicas(42, 3, &mut replicas);
//! assert_eq!(replicas.len(), 3);
//! assert_eq!(replicas[0], placement.owner(42));
//!
//! // A sixth server joins: a key either keeps its owner or moves to the newcomer.
//! let before = placement.owner(42);
//! placement.join(6).unwrap();
//! assert!([before, 6].contains(&placement.owner(42)));
//! ```

#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod hash;
pub mod message;
pub mod node;
pub mod observer;
pub mod placement;
pub mod probe;
pub mod protocol;
pub mod rebalance;
pub mod repair;
pub mod server;
pub mod store;
pub mod version;

pub use config::{Bug, ShardingConfig};
pub use protocol::{Sharding, ShardingRun};
