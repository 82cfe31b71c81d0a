//! LRU: evicts the object requested least recently.
//!
//! One list in recency order (front: least recent); a hit moves the object to the back, a miss
//! appends it there, an eviction takes the front. As libCacheSim's `LRU.c`.

use super::{Object, Policy};
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;
use crate::list::{List, Slot};

/// Least recently used.
#[derive(Clone, Debug)]
pub struct Lru {
    usage: Usage,
    recency: List<Object>,
    slots: KeyIndex<Slot>,
}

impl Lru {
    /// An empty LRU cache.
    pub fn new(capacity: Capacity) -> Self {
        Self { usage: Usage::new(capacity), recency: List::new(), slots: KeyIndex::new() }
    }

    fn evict(&mut self) {
        let slot = self.recency.front().expect("an over-full cache holds an object");
        let object = self.recency.remove(slot);
        self.slots.remove(object.key);
        self.usage.sub(object.size_bytes);
    }
}

impl Policy for Lru {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        if let Some(&slot) = self.slots.get(key) {
            self.recency.move_to_back(slot);
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        let slot = self.recency.push_back(Object { key, size_bytes });
        self.slots.insert(key, slot);
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.slots.remove(key) else { return false };
        let object = self.recency.remove(slot);
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
