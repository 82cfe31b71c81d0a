//! LFU: evicts the object requested least often while cached; among those, the least recently
//! requested.
//!
//! The frequency is counted from admission (1) and forgotten on eviction ("in-cache" LFU, as
//! libCacheSim's `LFU.c`): an object that comes back starts again at 1. Ties are broken by least
//! recently used: among the objects of the lowest frequency, the one whose last request is the
//! oldest goes first. That is libCacheSim's order too: it keeps one list per frequency, appends
//! an object to its new frequency's list on every request and evicts the head of the lowest
//! list, and an object enters its current list at its last request.
//!
//! The order is a `BTreeSet` of (frequency, last request tick, key), so a request or an eviction
//! is O(log n). The tick is a counter of this policy's requests: unique, so the set never has
//! two objects in one place and the key never decides anything.

use std::collections::BTreeSet;

use super::Policy;
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;

/// What LFU keeps for a cached object.
#[derive(Clone, Copy, Debug)]
struct Entry {
    size_bytes: u64,
    /// Requests since admission, the admitting one included.
    frequency: u64,
    /// The tick of its last request.
    last_request: u64,
}

/// Least frequently used, ties broken by least recently used.
#[derive(Clone, Debug)]
pub struct Lfu {
    usage: Usage,
    entries: KeyIndex<Entry>,
    /// (frequency, last request tick, key): the first is the next to evict.
    order: BTreeSet<(u64, u64, u64)>,
    /// Requests served so far: the clock of `last_request`.
    ticks: u64,
}

impl Lfu {
    /// An empty LFU cache.
    pub fn new(capacity: Capacity) -> Self {
        Self {
            usage: Usage::new(capacity),
            entries: KeyIndex::new(),
            order: BTreeSet::new(),
            ticks: 0,
        }
    }

    fn evict(&mut self) {
        let (_, _, key) = self.order.pop_first().expect("an over-full cache holds an object");
        let entry = self.entries.remove(key).expect("ordered keys are cached");
        self.usage.sub(entry.size_bytes);
    }
}

impl Policy for Lfu {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        self.ticks += 1;
        let now = self.ticks;
        if let Some(entry) = self.entries.get_mut(key) {
            self.order.remove(&(entry.frequency, entry.last_request, key));
            entry.frequency += 1;
            entry.last_request = now;
            self.order.insert((entry.frequency, now, key));
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        self.entries.insert(key, Entry { size_bytes, frequency: 1, last_request: now });
        self.order.insert((1, now, key));
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(entry) = self.entries.remove(key) else { return false };
        self.order.remove(&(entry.frequency, entry.last_request, key));
        self.usage.sub(entry.size_bytes);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.contains(key)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn used_bytes(&self) -> u64 {
        self.usage.bytes()
    }

    fn capacity(&self) -> Capacity {
        self.usage.capacity()
    }
}
