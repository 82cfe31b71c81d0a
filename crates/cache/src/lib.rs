//! Caches for faultline: eviction policies and exact trace replay.
//!
//! [`Policy`] is the one trait every eviction policy implements: a request is a hit or a miss,
//! and a miss admits the object, evicting what the policy chooses until it fits (the semantics of
//! libCacheSim, the reference cache simulator, whose published miss counts the tests pin; see
//! [`policy`]). The policies: [`Lru`], [`Fifo`], [`Clock`], [`Lfu`], [`WTinyLfu`] (Caffeine's)
//! and Belady's optimum [`Belady`], which reads each request's next use from the trace. A
//! [`Capacity`] counts objects or bytes. A [`Trace`] reads a CSV trace and replays it through a
//! policy, counting requests, misses and their bytes as libCacheSim does.
//!
//! Everything is deterministic: orders live in lists and trees, never in a hash map's iteration,
//! and the one hash that decides anything (W-TinyLFU's frequency sketch) is fixed.
//!
//! ```
//! use cache::{Capacity, Policy, PolicyKind, Request, Trace};
//!
//! // Three objects of 100 bytes in a cache of 200 bytes.
//! let mut lru = PolicyKind::Lru.build(Capacity::Bytes(200));
//! assert!(!lru.request(1, 100, None)); // a miss admits 1
//! assert!(!lru.request(2, 100, None));
//! assert!(lru.request(1, 100, None)); // a hit: 1 is now the most recent
//! assert!(!lru.request(3, 100, None)); // evicts 2, the least recent
//! assert!(lru.contains(1) && !lru.contains(2));
//!
//! // The same requests as a trace, through Belady's policy.
//! let request = |key| Request { time: 0, key, size_bytes: 100 };
//! let trace = Trace::new(vec![request(1), request(2), request(1), request(3)]);
//! let stats = trace.replay(PolicyKind::Belady.build(Capacity::Bytes(200)).as_mut());
//! assert_eq!((stats.requests, stats.misses), (4, 3));
//! ```

#![deny(missing_docs)]

mod capacity;
pub mod che;
mod index;
mod list;
pub mod policy;
mod sketch;
mod trace;
mod zipf;

pub use capacity::Capacity;
pub use che::{Che, CheError, CheModel};
pub use policy::{Belady, Clock, Fifo, Lfu, Lru, Policy, PolicyKind, WTinyLfu, next_uses};
pub use trace::{ReplayStats, Request, Trace, TraceError};
pub use zipf::{Zipf, ZipfError};
