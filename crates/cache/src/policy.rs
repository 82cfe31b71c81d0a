//! Eviction policies behind one trait.
//!
//! Every policy serves requests with the semantics libCacheSim's `cache_get_base` gives them
//! (libCacheSim/cache/cache.c), which the trace tests pin to the exact miss count:
//!
//! - a request for an object in the cache is a **hit** and changes only the policy's bookkeeping
//!   (recency, a reference bit, a frequency, the next use);
//! - any other request is a **miss**; the object is admitted, evicting as many objects as the
//!   policy chooses until it fits;
//! - unless it is heavier than the whole cache: then it is not admitted and nothing is evicted.
//!
//! **A cached object requested with a different size** is a hit, and the object keeps the size it
//! was admitted with: libCacheSim's `cache_find_base` finds the object by its id and updates
//! neither its size nor the cache's occupied bytes, and no policy it tests looks at the size on a
//! hit. (Its own test suite avoids the question: it replays the oracleGeneral trace, which gives
//! every object one size, because "not all algorithms can handle the object size change
//! correctly", test/test_evictionAlgo.c, `main`.) A caller who wants the new size cached
//! calls [`Policy::remove`] first.
//!
//! W-TinyLFU is the one policy that may decline a missed object: it admits every object to its
//! window, but the window's victim may then lose the admission contest to the main space's
//! victim and leave at once, as in Caffeine (see [`WTinyLfu`]).

mod belady;
mod lfu;
mod queue;
mod wtinylfu;

pub use belady::{Belady, next_uses};
pub use lfu::Lfu;
pub use queue::Queue;
pub use wtinylfu::WTinyLfu;

use crate::Capacity;

/// A cached object, as the list-based policies keep it.
#[derive(Clone, Copy, Debug)]
struct Object {
    key: u64,
    size_bytes: u64,
}

/// A cache eviction policy: which objects stay, given the requests so far.
pub trait Policy: Send {
    /// Serves one request for the object `key` of `size_bytes` and returns whether it was a hit.
    ///
    /// `next_use` is the index in the trace of the next request for `key` (`None`: never
    /// requested again), as [`next_uses`] computes it. Only [`Belady`] reads it; the other
    /// policies know only the past.
    fn request(&mut self, key: u64, size_bytes: u64, next_use: Option<u64>) -> bool;

    /// Invalidates `key`: removes it from the cache without counting a request. Returns whether
    /// it was cached.
    fn remove(&mut self, key: u64) -> bool;

    /// Whether `key` is cached, without touching the policy's bookkeeping.
    fn contains(&self, key: u64) -> bool;

    /// How many objects are cached.
    fn len(&self) -> usize;

    /// Whether nothing is cached.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of the cached objects' sizes, in bytes.
    fn used_bytes(&self) -> u64;

    /// The capacity the policy was built with.
    fn capacity(&self) -> Capacity;
}

/// The policies, one name each: the one list the benchmark, the tests and [`PolicyKind::build`]
/// derive theirs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// Least recently used.
    Lru,
    /// First in, first out.
    Fifo,
    /// CLOCK: FIFO with a second chance for objects hit since they were last passed.
    Clock,
    /// Least frequently used, ties broken by least recently used.
    Lfu,
    /// Window TinyLFU as Caffeine does it.
    WTinyLfu,
    /// Belady's optimal policy (needs each request's next use).
    Belady,
}

impl PolicyKind {
    /// Every policy, in a fixed order.
    pub const ALL: [PolicyKind; 6] = [
        PolicyKind::Lru,
        PolicyKind::Fifo,
        PolicyKind::Clock,
        PolicyKind::Lfu,
        PolicyKind::WTinyLfu,
        PolicyKind::Belady,
    ];

    /// The policy's name, as libCacheSim spells it where libCacheSim has it.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Lru => "LRU",
            PolicyKind::Fifo => "FIFO",
            PolicyKind::Clock => "Clock",
            PolicyKind::Lfu => "LFU",
            PolicyKind::WTinyLfu => "W-TinyLFU",
            PolicyKind::Belady => "Belady",
        }
    }

    /// Whether the policy reads `next_use` (an oracle of the future, for trace replay only).
    pub fn needs_next_use(self) -> bool {
        self == PolicyKind::Belady
    }

    /// An empty cache of this policy.
    pub fn build(self, capacity: Capacity) -> Box<dyn Policy> {
        match self {
            PolicyKind::Lru => Box::new(Queue::lru(capacity)),
            PolicyKind::Fifo => Box::new(Queue::fifo(capacity)),
            PolicyKind::Clock => Box::new(Queue::clock(capacity)),
            PolicyKind::Lfu => Box::new(Lfu::new(capacity)),
            PolicyKind::WTinyLfu => Box::new(WTinyLfu::new(capacity)),
            PolicyKind::Belady => Box::new(Belady::new(capacity)),
        }
    }
}
