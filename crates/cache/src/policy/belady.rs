//! Belady's optimal policy (MIN): evicts the object whose next request lies furthest in the
//! future; an object never requested again is the furthest of all.
//!
//! It needs the future, so it runs only on a trace: the caller passes each request's `next_use`,
//! the index of the next request for the same key, which [`next_uses`] computes in one backward
//! pass. The order is a `BTreeSet` of (next use, key), so a request or an eviction is O(log n).
//!
//! Admission follows libCacheSim's `Belady.c` (the policy its tests pin): every missed object is
//! admitted, even one never requested again, and may be evicted by the next miss. Among objects
//! that are never requested again, whose next uses tie, the one with the largest key goes first;
//! libCacheSim takes whichever its binary heap yields. Which of them goes matters only for the
//! space it frees (none of them costs a miss): on the trace the tests replay, the miss counts
//! equal libCacheSim's at every size checked whether the largest or the smallest key goes first.
//! For a cache whose capacity counts objects this is the optimum; with sizes it is Belady's rule,
//! not the (NP-hard) optimum.

use std::collections::BTreeSet;

use super::Policy;
use crate::Capacity;
use crate::capacity::Usage;
use crate::index::KeyIndex;

/// The next use that stands for "never requested again": later than any index.
const NEVER: u64 = u64::MAX;

/// What Belady keeps for a cached object.
#[derive(Clone, Copy, Debug)]
struct Entry {
    size_bytes: u64,
    /// The index of its next request, or [`NEVER`].
    next_use: u64,
}

/// Belady's optimal policy.
#[derive(Clone, Debug)]
pub struct Belady {
    usage: Usage,
    entries: KeyIndex<Entry>,
    /// (next use, key): the last is the next to evict.
    order: BTreeSet<(u64, u64)>,
}

impl Belady {
    /// An empty Belady cache.
    pub fn new(capacity: Capacity) -> Self {
        Self { usage: Usage::new(capacity), entries: KeyIndex::new(), order: BTreeSet::new() }
    }

    fn evict(&mut self) {
        let (_, key) = self.order.pop_last().expect("an over-full cache holds an object");
        let entry = self.entries.remove(key).expect("ordered keys are cached");
        self.usage.sub(entry.size_bytes);
    }
}

impl Policy for Belady {
    fn request(&mut self, key: u64, size_bytes: u64, next_use: Option<u64>) -> bool {
        let next_use = next_use.unwrap_or(NEVER);
        if let Some(entry) = self.entries.get_mut(key) {
            self.order.remove(&(entry.next_use, key));
            entry.next_use = next_use;
            self.order.insert((next_use, key));
            return true;
        }
        if !self.usage.admits(size_bytes) {
            return false;
        }
        while !self.usage.fits(size_bytes) {
            self.evict();
        }
        self.entries.insert(key, Entry { size_bytes, next_use });
        self.order.insert((next_use, key));
        self.usage.add(size_bytes);
        false
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(entry) = self.entries.remove(key) else { return false };
        self.order.remove(&(entry.next_use, key));
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

/// For each request of a trace (given by its keys, in order), the index of the next request for
/// the same key, or `None` if the key is never requested again: the `next_use` that
/// [`Belady`] needs. (libCacheSim's oracleGeneral traces store the same as 1-based virtual
/// times, -1 for never; only the order matters.)
pub fn next_uses(keys: &[u64]) -> Vec<Option<u64>> {
    // Walking backwards, the earliest index seen so far for each key is its next request.
    let mut earliest: KeyIndex<u64> = KeyIndex::new();
    let mut next = vec![None; keys.len()];
    for (index, &key) in keys.iter().enumerate().rev() {
        next[index] = earliest.replace(key, index as u64);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_uses_points_at_the_next_request_of_the_same_key() {
        assert_eq!(next_uses(&[7, 8, 7, 9, 8, 7]), [Some(2), Some(4), Some(5), None, None, None]);
        assert_eq!(next_uses(&[]), []);
    }
}
