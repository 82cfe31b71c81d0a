//! The search's memory: the set of operations linearized so far, and the table of (linearized
//! set, state) pairs already explored.
//!
//! Both are built for histories of thousands of operations, where the table grows to millions
//! of entries and every search step probes it:
//!
//! - The set keeps a Zobrist hash (the XOR of one fixed random word per linearized operation),
//!   updated on every toggle, so a probe never hashes the whole set.
//! - Completed operations sit in the bitset in order of return. Every operation that returned
//!   before the first one not yet linearized is linearized, so the set is a run of full words,
//!   then a few words around the search's frontier, then zeros. The table stores only the
//!   frontier words (and the words of operations that never returned, kept apart at the end
//!   because they can be linearized at any point), not the whole bitset: a handful of words
//!   per entry instead of one bit per operation of the history.
//! - The table is open addressing over one flat array of 8-byte slots (a hash tag and an entry
//!   index); the entries' words live in one arena. No allocation per probe, one cache line per
//!   miss in the common case.
//!
//! A probe compares the stored words and state exactly, so a hash collision costs time, never a
//! wrong answer.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

/// The set of linearized operations, with its hash and frontier kept up to date.
pub(crate) struct Linearized {
    words: Vec<u64>,
    /// Per operation: its bit (completed operations by return, then open ones by call).
    bit: Vec<u32>,
    /// Per operation: its random word for the hash.
    zobrist: Vec<u64>,
    /// Words `[0, completed_words)` hold completed operations, the rest open ones.
    completed_words: usize,
    /// Valid bits of the last completed word (the others stay zero).
    last_mask: u64,
    /// Every completed word below `lo` is full.
    lo: usize,
    /// One past the last non-zero completed word (0: none).
    hi: usize,
    hash: u64,
}

/// SplitMix64: a fixed stream of well-mixed words (the hash needs no secret, only spread).
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    mix(*x)
}

/// The SplitMix64 finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Linearized {
    /// An empty set over operations whose return places are `rets` (`None`: never returned)
    /// and call places `calls`.
    pub(crate) fn new(calls: &[u64], rets: &[Option<u64>]) -> Self {
        let n = rets.len();
        let mut completed: Vec<usize> = (0..n).filter(|&i| rets[i].is_some()).collect();
        completed.sort_by_key(|&i| (rets[i], i));
        let mut open: Vec<usize> = (0..n).filter(|&i| rets[i].is_none()).collect();
        open.sort_by_key(|&i| (calls[i], i));
        let completed_words = completed.len().div_ceil(64);
        let mut bit = vec![0u32; n];
        for (b, &i) in completed.iter().enumerate() {
            bit[i] = b as u32;
        }
        for (b, &i) in open.iter().enumerate() {
            bit[i] = (completed_words * 64 + b) as u32;
        }
        let mut seed = 0x5EED_F0F0_FA17_u64;
        let zobrist = (0..n).map(|_| splitmix(&mut seed)).collect();
        let rem = completed.len() % 64;
        Linearized {
            words: vec![0; completed_words + open.len().div_ceil(64)],
            bit,
            zobrist,
            completed_words,
            last_mask: if rem == 0 { !0 } else { (1 << rem) - 1 },
            lo: 0,
            hi: 0,
            hash: 0,
        }
    }

    fn full(&self, w: usize) -> u64 {
        if w + 1 == self.completed_words { self.last_mask } else { !0 }
    }

    /// True when operation `i` is linearized.
    pub(crate) fn contains(&self, i: usize) -> bool {
        let b = self.bit[i] as usize;
        self.words[b / 64] & (1 << (b % 64)) != 0
    }

    /// Adds operation `i` if absent, removes it if present.
    pub(crate) fn toggle(&mut self, i: usize) {
        let b = self.bit[i] as usize;
        let w = b / 64;
        self.words[w] ^= 1 << (b % 64);
        self.hash ^= self.zobrist[i];
        if w >= self.completed_words {
            return;
        }
        if self.words[w] & (1 << (b % 64)) != 0 {
            while self.lo < self.completed_words && self.words[self.lo] == self.full(self.lo) {
                self.lo += 1;
            }
            self.hi = self.hi.max(w + 1);
        } else {
            self.lo = self.lo.min(w);
            while self.hi > 0 && self.words[self.hi - 1] == 0 {
                self.hi -= 1;
            }
        }
    }

    /// The words that, with `lo`, identify the set: the frontier `[lo, hi)` and the open part.
    fn key(&self) -> (usize, &[u64], &[u64]) {
        let hi = self.hi.max(self.lo);
        (self.lo, &self.words[self.lo..hi], &self.words[self.completed_words..])
    }
}

/// One explored (set, state) pair: its hash, where its words are in the arena, its state.
struct Entry<S> {
    hash: u64,
    lo: u32,
    frontier: u32,
    at: usize,
    state: S,
}

/// The table of explored (linearized set, state) pairs.
pub(crate) struct Memo<S> {
    /// Per slot: the hash's high 32 bits and the entry's index + 1 (0: empty).
    slots: Vec<u64>,
    entries: Vec<Entry<S>>,
    arena: Vec<u64>,
}

impl<S: Eq + Hash + Clone> Memo<S> {
    pub(crate) fn new() -> Self {
        Memo { slots: vec![0; 1024], entries: Vec::new(), arena: Vec::new() }
    }

    /// Records `set` with `state`; false if that pair was already explored.
    pub(crate) fn insert(&mut self, set: &Linearized, state: &S) -> bool {
        let mut h = FxHasher::default();
        state.hash(&mut h);
        let hash = set.hash ^ mix(h.finish());
        let (lo, frontier, open) = set.key();
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut s = hash as usize & mask;
        loop {
            let v = self.slots[s];
            if v == 0 {
                break;
            }
            if v >> 32 == tag {
                let e = &self.entries[(v as u32 - 1) as usize];
                if e.hash == hash
                    && e.lo as usize == lo
                    && e.frontier as usize == frontier.len()
                    && self.arena[e.at..e.at + frontier.len()] == *frontier
                    && self.arena[e.at + frontier.len()..e.at + frontier.len() + open.len()]
                        == *open
                    && e.state == *state
                {
                    return false;
                }
            }
            s = (s + 1) & mask;
        }
        let index = self.entries.len();
        self.slots[s] = (tag << 32) | (index as u64 + 1);
        let at = self.arena.len();
        self.arena.extend_from_slice(frontier);
        self.arena.extend_from_slice(open);
        self.entries.push(Entry {
            hash,
            lo: lo as u32,
            frontier: frontier.len() as u32,
            at,
            state: state.clone(),
        });
        // Keep the table at most half full, so probes stay short.
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (index, e) in self.entries.iter().enumerate() {
            let mut s = e.hash as usize & mask;
            while slots[s] != 0 {
                s = (s + 1) & mask;
            }
            slots[s] = (e.hash >> 32 << 32) | (index as u64 + 1);
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_found_again_whatever_order_it_was_built_in() {
        // 150 completed operations (three words) and 70 open ones (two words).
        let calls: Vec<u64> = (0..220).collect();
        let rets: Vec<Option<u64>> = (0..220).map(|i| (i < 150).then_some(1000 + i)).collect();
        let mut a = Linearized::new(&calls, &rets);
        let mut b = Linearized::new(&calls, &rets);
        let mut memo = Memo::new();
        let picks = [0usize, 3, 64, 65, 149, 150, 219, 7, 1, 2];
        for &i in &picks {
            a.toggle(i);
        }
        for &i in picks.iter().rev() {
            b.toggle(i);
        }
        assert!(memo.insert(&a, &Some(1)));
        assert!(!memo.insert(&b, &Some(1)), "same set, same state");
        assert!(memo.insert(&b, &Some(2)), "same set, other state");
        b.toggle(64);
        assert!(memo.insert(&b, &Some(1)), "other set");
        b.toggle(64);
        assert!(!memo.insert(&b, &Some(1)));
    }

    #[test]
    fn the_frontier_moves_with_full_words_and_back() {
        let calls: Vec<u64> = (0..130).collect();
        let rets: Vec<Option<u64>> = (0..130).map(|i| Some(200 + i)).collect();
        let mut s = Linearized::new(&calls, &rets);
        for i in 0..128 {
            s.toggle(i);
        }
        assert_eq!((s.lo, s.hi), (2, 2));
        s.toggle(129);
        assert_eq!((s.lo, s.hi), (2, 3));
        s.toggle(128);
        assert_eq!(s.lo, 3, "the last word is full with its two valid bits");
        s.toggle(5);
        assert_eq!((s.lo, s.hi), (0, 3));
        assert!(!s.contains(5) && s.contains(6));
        // Many sets inserted: the table grows and finds each again.
        let mut memo = Memo::new();
        for i in 0..130 {
            s.toggle(i);
            assert!(memo.insert(&s, &i));
        }
        for i in 0..130 {
            s.toggle(i);
        }
        for i in 0..130 {
            s.toggle(i);
            assert!(!memo.insert(&s, &i), "{i}");
        }
    }
}
