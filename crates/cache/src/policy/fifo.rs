//! FIFO: evicts the object admitted longest ago.
//!
//! One list in admission order (front: oldest); a hit changes nothing, a miss appends the object,
//! an eviction takes the front. As libCacheSim's `FIFO.c`.

use super::{Object, Policy};
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;
use crate::list::{List, Slot};

/// First in, first out.
#[derive(Clone, Debug)]
pub struct Fifo {
    usage: Usage,
    arrivals: List<Object>,
    slots: KeyIndex<Slot>,
}

impl Fifo {
    /// An empty FIFO cache.
    pub fn new(capacity: Capacity) -> Self {
        Self { usage: Usage::new(capacity), arrivals: List::new(), slots: KeyIndex::new() }
    }

    fn evict(&mut self) {
        let slot = self.arrivals.front().expect("an over-full cache holds an object");
        let object = self.arrivals.remove(slot);
        self.slots.remove(object.key);
        self.usage.sub(object.size_bytes);
    }
}

impl Policy for Fifo {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        if self.slots.contains(key) {
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        let slot = self.arrivals.push_back(Object { key, size_bytes });
        self.slots.insert(key, slot);
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.slots.remove(key) else { return false };
        let object = self.arrivals.remove(slot);
        self.usage.sub(object.size_bytes);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.slots.contains(key)
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn used_bytes(&self) -> u64 {
        self.usage.bytes()
    }

    fn capacity(&self) -> Capacity {
        self.usage.capacity()
    }
}
