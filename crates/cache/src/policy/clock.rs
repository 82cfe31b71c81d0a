//! CLOCK (second chance): FIFO that spares an object hit since the hand last passed it.
//!
//! Each object has one reference bit, clear on admission and set by a hit. The hand is the front
//! of a FIFO list: to evict, it looks at the oldest object; if its bit is set, the bit is cleared
//! and the object goes to the back (its second chance); otherwise it is evicted. A list with
//! reinsertion instead of a ring with a moving hand visits objects in the same order. As
//! libCacheSim's `Clock.c` with its default one-bit counter (`n-bit-counter=1`).

use super::Policy;
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;
use crate::list::{List, Slot};

/// A cached object and its reference bit.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    size_bytes: u64,
    /// Hit since it was admitted or last given its second chance.
    referenced: bool,
}

/// CLOCK with one reference bit.
#[derive(Clone, Debug)]
pub struct Clock {
    usage: Usage,
    /// The hand points at the front; spared objects move to the back.
    ring: List<Entry>,
    slots: KeyIndex<Slot>,
}

impl Clock {
    /// An empty CLOCK cache.
    pub fn new(capacity: Capacity) -> Self {
        Self { usage: Usage::new(capacity), ring: List::new(), slots: KeyIndex::new() }
    }

    /// Advances the hand until it finds an object whose bit is clear, and evicts it. Terminates:
    /// each pass clears the bits it skips, so a full turn finds one.
    fn evict(&mut self) {
        loop {
            let slot = self.ring.front().expect("an over-full cache holds an object");
            let entry = self.ring.get_mut(slot);
            if entry.referenced {
                entry.referenced = false;
                self.ring.move_to_back(slot);
                continue;
            }
            let entry = self.ring.remove(slot);
            self.slots.remove(entry.key);
            self.usage.sub(entry.size_bytes);
            return;
        }
    }
}

impl Policy for Clock {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        if let Some(&slot) = self.slots.get(key) {
            self.ring.get_mut(slot).referenced = true;
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        let slot = self.ring.push_back(Entry { key, size_bytes, referenced: false });
        self.slots.insert(key, slot);
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.slots.remove(key) else { return false };
        let entry = self.ring.remove(slot);
        self.usage.sub(entry.size_bytes);
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
