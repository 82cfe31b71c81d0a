//! The queue policies: LRU, FIFO and CLOCK keep their objects in one list and differ only in
//! what a hit does to it.
//!
//! - **LRU** evicts the object requested least recently: the list is in recency order (front:
//!   least recent), a hit moves the object to the back. As libCacheSim's `LRU.c`.
//! - **FIFO** evicts the object admitted longest ago: the list is in admission order, a hit
//!   changes nothing. As libCacheSim's `FIFO.c`.
//! - **CLOCK** (second chance) is FIFO that spares an object hit since the hand last passed it:
//!   each object has one reference bit, clear on admission and set by a hit; to evict, the hand
//!   (the front of the list) looks at the oldest object, and if its bit is set, clears it and
//!   moves the object to the back (its second chance), else evicts it. A list with reinsertion
//!   instead of a ring with a moving hand visits objects in the same order. As libCacheSim's
//!   `Clock.c` with its default one-bit counter (`n-bit-counter=1`).
//!
//! A miss appends the object at the back after evicting from the front until it fits.

use super::Policy;
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;
use crate::list::{List, Slot};

/// What a hit does to the object's place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnHit {
    /// Move it to the back (LRU).
    MoveToBack,
    /// Nothing (FIFO).
    Stay,
    /// Set its reference bit (CLOCK).
    Reference,
}

/// A cached object and its reference bit (CLOCK's; the others leave it clear).
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    size_bytes: u64,
    /// Hit since it was admitted or last given its second chance.
    referenced: bool,
}

/// A queue policy: one list, evicted from the front.
#[derive(Clone, Debug)]
pub struct Queue {
    on_hit: OnHit,
    usage: Usage,
    queue: List<Entry>,
    slots: KeyIndex<Slot>,
}

impl Queue {
    fn with(on_hit: OnHit, capacity: Capacity) -> Self {
        Self { on_hit, usage: Usage::new(capacity), queue: List::new(), slots: KeyIndex::new() }
    }

    /// An empty LRU cache.
    pub fn lru(capacity: Capacity) -> Self {
        Self::with(OnHit::MoveToBack, capacity)
    }

    /// An empty FIFO cache.
    pub fn fifo(capacity: Capacity) -> Self {
        Self::with(OnHit::Stay, capacity)
    }

    /// An empty CLOCK cache.
    pub fn clock(capacity: Capacity) -> Self {
        Self::with(OnHit::Reference, capacity)
    }

    /// Evicts the front object, sparing (CLOCK) those whose bit is set. Terminates: each pass
    /// clears the bits it skips, so a full turn finds one.
    fn evict(&mut self) {
        loop {
            let slot = self.queue.front().expect("an over-full cache holds an object");
            let entry = self.queue.get_mut(slot);
            if entry.referenced {
                entry.referenced = false;
                self.queue.move_to_back(slot);
                continue;
            }
            let entry = self.queue.remove(slot);
            self.slots.remove(entry.key);
            self.usage.sub(entry.size_bytes);
            return;
        }
    }
}

impl Policy for Queue {
    fn request(&mut self, key: u64, size_bytes: u64, _next_use: Option<u64>) -> bool {
        if let Some(&slot) = self.slots.get(key) {
            match self.on_hit {
                OnHit::MoveToBack => self.queue.move_to_back(slot),
                OnHit::Stay => {}
                OnHit::Reference => self.queue.get_mut(slot).referenced = true,
            }
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        let slot = self.queue.push_back(Entry { key, size_bytes, referenced: false });
        self.slots.insert(key, slot);
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.slots.remove(key) else { return false };
        let entry = self.queue.remove(slot);
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
