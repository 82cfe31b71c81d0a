//! The event queue: one priority queue ordered by (time, insertion sequence).
//!
//! Ties at the same nanosecond come out first-in first-out, the same way on every run. Each
//! entry is one `u128` key, `time << 64 | seq << 24 | slot`, unique because the sequence number
//! is; `slot` indexes a slab that holds the payloads, reused through a free list so a long run
//! allocates nothing once it reaches its working size.
//!
//! The keys live in a 4-ary min-heap: half the depth of a binary heap, and the four children
//! of a node share a cache line (four `u128`s), so a pop touches fewer lines. Limits, checked
//! with `assert!` (which stays on in release): 2^40 insertions per run and 2^24 events pending
//! at once.

use crate::time::SimTime;

const SLOT_BITS: u32 = 24;
const SEQ_BITS: u32 = 40;
const SLOT_MASK: u128 = (1 << SLOT_BITS) - 1;
const SEQ_MASK: u128 = (1 << SEQ_BITS) - 1;

/// A min-queue of events of type `E` ordered by (time, insertion sequence).
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    heap: Vec<u128>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with room for `n` pending events.
    pub(crate) fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            slab: Vec::with_capacity(n),
            free: Vec::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; returns its sequence number.
    #[inline]
    pub(crate) fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        assert!(seq < (1 << SEQ_BITS), "event queue: more than 2^40 insertions in one run");
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(event);
                s
            }
            None => {
                let s = self.slab.len();
                assert!(s < (1 << SLOT_BITS), "event queue: more than 2^24 events pending");
                self.slab.push(Some(event));
                s as u32
            }
        };
        let key = (time.0 as u128) << 64 | (seq as u128) << SLOT_BITS | slot as u128;
        self.push_key(key);
        seq
    }

    #[inline(always)]
    fn push_key(&mut self, key: u128) {
        self.heap.push(key);
        self.rise(self.heap.len() - 1, key);
    }

    /// Moves `key` from `hole` towards the root until its parent is smaller.
    #[inline(always)]
    fn rise(&mut self, mut hole: usize, key: u128) {
        while hole > 0 {
            let parent = (hole - 1) / 4;
            let p = self.heap[parent];
            if p <= key {
                break;
            }
            self.heap[hole] = p;
            hole = parent;
        }
        self.heap[hole] = key;
    }

    /// Removes the minimum key. Floyd's method: the hole at the root sinks to a leaf along the
    /// least children (no comparison against the moved key on the way down), then the last key
    /// rises from there, which is usually at once, since it came from the bottom.
    #[inline(always)]
    fn pop_key(&mut self) -> Option<u128> {
        let last = self.heap.pop()?;
        let n = self.heap.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.heap[0];
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first + 4 <= n {
                let h = &self.heap[first..first + 4];
                let (a, b) = if h[1] < h[0] { (1, h[1]) } else { (0, h[0]) };
                let (c, d) = if h[3] < h[2] { (3, h[3]) } else { (2, h[2]) };
                let (i, k) = if d < b { (c, d) } else { (a, b) };
                self.heap[hole] = k;
                hole = first + i;
            } else if first < n {
                let mut child = first;
                for c in first + 1..n {
                    if self.heap[c] < self.heap[child] {
                        child = c;
                    }
                }
                self.heap[hole] = self.heap[child];
                hole = child;
            } else {
                break;
            }
        }
        self.rise(hole, last);
        Some(top)
    }

    /// Removes and returns the earliest event with its time and sequence number.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, u64, E)> {
        let key = self.pop_key()?;
        let slot = (key & SLOT_MASK) as u32;
        let seq = ((key >> SLOT_BITS) & SEQ_MASK) as u64;
        let event = self.slab[slot as usize].take().expect("event queue slot was empty");
        self.free.push(slot);
        Some((SimTime((key >> 64) as u64), seq, event))
    }

    /// The time of the earliest event, if any.
    #[inline]
    pub(crate) fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|k| SimTime((k >> 64) as u64))
    }

    /// Number of pending events.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Payload slots allocated: the most events ever pending at once (memory stays flat).
    #[cfg(test)]
    fn slots(&self) -> usize {
        self.slab.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slots_are_reused_so_memory_stays_flat() {
        let mut q = EventQueue::default();
        for i in 0..100 {
            q.push(SimTime(i), ());
        }
        for i in 0..1_000_000u64 {
            let (t, _, ()) = q.pop().unwrap();
            q.push(SimTime(t.0 + 1 + i % 97), ());
        }
        assert_eq!(q.slots(), 100);
        assert_eq!(q.len(), 100);
    }

    #[test]
    fn a_push_below_a_peeked_minimum_comes_out_first() {
        let mut q = EventQueue::default();
        q.push(SimTime(100), 'b');
        assert_eq!(q.peek_time(), Some(SimTime(100)));
        q.push(SimTime(50), 'a');
        assert_eq!(q.pop().map(|e| e.2), Some('a'));
        assert_eq!(q.pop().map(|e| e.2), Some('b'));
    }

    #[test]
    fn ties_are_fifo() {
        let mut q = EventQueue::default();
        for i in 0..10 {
            q.push(SimTime(5), i);
        }
        q.push(SimTime(1), 99);
        assert_eq!(q.pop().map(|e| e.2), Some(99));
        let rest: Vec<i32> = std::iter::from_fn(|| q.pop().map(|e| e.2)).collect();
        assert_eq!(rest, (0..10).collect::<Vec<_>>());
    }

    proptest! {
        /// Whatever is pushed and popped, in any interleaving, events come out in
        /// (time, sequence) order and none is lost or duplicated.
        #[test]
        fn pops_in_time_then_sequence_order(
            ops in proptest::collection::vec((0u8..3, 0u64..50), 1..400)
        ) {
            let mut q = EventQueue::default();
            let mut pushed = Vec::new();
            let mut popped = Vec::new();
            let mut last: Option<(SimTime, u64)> = None;
            let mut now = 0u64;
            for (op, dt) in ops {
                if op == 2 {
                    // Peeking settles the minimum; a later push below it must still work.
                    let t = q.peek_time();
                    prop_assert_eq!(t.is_none(), q.is_empty());
                    continue;
                }
                if op == 0 || q.is_empty() {
                    let t = SimTime(now + dt);
                    let seq = q.push(t, (t, pushed.len()));
                    pushed.push((t, seq));
                } else {
                    let (t, seq, (t2, _)) = q.pop().unwrap();
                    prop_assert_eq!(t, t2);
                    if let Some(prev) = last {
                        prop_assert!(prev < (t, seq), "out of order: {:?} after {:?}", (t, seq), prev);
                    }
                    // Only pushes at or after the last pop time happen in a simulation.
                    now = t.0;
                    last = Some((t, seq));
                    popped.push((t, seq));
                }
            }
            while let Some((t, seq, _)) = q.pop() {
                if let Some(prev) = last {
                    prop_assert!(prev < (t, seq));
                }
                last = Some((t, seq));
                popped.push((t, seq));
            }
            popped.sort();
            pushed.sort();
            prop_assert_eq!(popped, pushed);
        }
    }
}
