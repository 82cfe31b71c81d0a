//! TinyLFU's frequency estimate: a count-min sketch of 4-bit counters that ages.
//!
//! Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy" (2017),
//! as Caffeine's `FrequencySketch` builds it:
//!
//! - four rows of 4-bit counters (16 to a `u64` word); a key increments one counter in each row,
//!   unless it is already 15, and its estimate is the least of its four counters;
//! - the sketch is sized for a number of entries `n` (at least 256): `n.next_power_of_two()`
//!   words in all, so each row has four counters per entry;
//! - **aging**: after `10 × n` increments (the sample), every counter is halved, so old
//!   popularity fades; the sample count is halved too (less a quarter of the odd counters, whose
//!   halves were truncated), as in Caffeine, because the halved counters still hold half the
//!   sample.
//!
//! The hash is fixed (SplitMix64's finalizer of the key xor a constant seed), so an estimate is
//! the same on every run and platform; the four rows' counters come from it by double hashing
//! (Kirsch and Mitzenmacher). Caffeine's own layout (the four counters in one 64-byte block, for
//! the processor's cache) and hash differ; the estimates have the same guarantees, not the same
//! bits.

/// Rows of counters (hash functions) in the sketch.
const ROWS: usize = 4;
/// The fewest entries a sketch is sized for (Caffeine's `MIN_SKETCH_SIZE`).
const MIN_ENTRIES: u64 = 256;
/// Increments between two agings, per entry the sketch is sized for (TinyLFU's sample, W = 10 n).
const SAMPLE_PER_ENTRY: u64 = 10;
/// The seed of the hash: any fixed odd constant; this one is 2^64 / φ.
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
/// Each counter's bits set, for the halving: `(word >> 1) & HALVE_MASK` halves 16 counters.
const HALVE_MASK: u64 = 0x7777_7777_7777_7777;
/// Each counter's lowest bit, to count the odd counters.
const ONE_MASK: u64 = 0x1111_1111_1111_1111;

/// A count-min sketch of 4-bit counters with periodic halving.
#[derive(Clone, Debug, Default)]
pub(crate) struct FrequencySketch {
    /// `ROWS` rows of `row_words` words, one after the other; empty until sized.
    words: Vec<u64>,
    /// Counters per row, minus one (a power of two minus one).
    row_mask: u64,
    /// Increments between agings.
    sample_size: u64,
    /// Increments since the last aging (corrected at each aging).
    increments: u64,
}

impl FrequencySketch {
    /// A sketch not yet sized: it counts nothing and estimates 0 until [`Self::ensure_capacity`].
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sizes the sketch for `entries` objects, as Caffeine's `ensureCapacity`: a sketch already
    /// big enough keeps its counters and only takes the new sample size; a bigger one starts
    /// empty.
    pub(crate) fn ensure_capacity(&mut self, entries: u64) {
        let entries = entries.clamp(MIN_ENTRIES, 1 << 40);
        let sample_size = SAMPLE_PER_ENTRY * entries;
        let words = entries.next_power_of_two() as usize;
        if self.words.len() >= words {
            if sample_size != self.sample_size {
                self.sample_size = sample_size;
                self.increments = self.increments.min(sample_size - 1);
            }
            return;
        }
        self.words = vec![0; words];
        self.row_mask = (words / ROWS * 16) as u64 - 1;
        self.sample_size = sample_size;
        self.increments = 0;
    }

    /// The estimated number of recent requests for `key`, 0 to 15.
    pub(crate) fn frequency(&self, key: u64) -> u8 {
        if self.words.is_empty() {
            return 0;
        }
        let (first, step) = hashes(key);
        (0..ROWS)
            .map(|row| {
                let (word, shift) = self.locate(row, first, step);
                ((self.words[word] >> shift) & 0xF) as u8
            })
            .min()
            .expect("four rows")
    }

    /// Counts one request for `key`; ages every counter once the sample is full.
    pub(crate) fn increment(&mut self, key: u64) {
        if self.words.is_empty() {
            return;
        }
        let (first, step) = hashes(key);
        let mut added = false;
        for row in 0..ROWS {
            let (word, shift) = self.locate(row, first, step);
            if (self.words[word] >> shift) & 0xF != 0xF {
                self.words[word] += 1 << shift;
                added = true;
            }
        }
        // A key whose counters are all saturated adds nothing to the sample (as Caffeine).
        if added {
            self.increments += 1;
            if self.increments == self.sample_size {
                self.age();
            }
        }
    }

    /// Halves every counter.
    fn age(&mut self) {
        let mut odd = 0u64;
        for word in &mut self.words {
            odd += u64::from((*word & ONE_MASK).count_ones());
            *word = (*word >> 1) & HALVE_MASK;
        }
        self.increments = self.increments.saturating_sub(odd / 4) / 2;
    }

    /// The word and bit offset of `row`'s counter for a key with hashes `first`, `step`.
    fn locate(&self, row: usize, first: u64, step: u64) -> (usize, u32) {
        let counter = first.wrapping_add(step.wrapping_mul(row as u64)) & self.row_mask;
        let row_words = self.words.len() / ROWS;
        let word = row * row_words + (counter / 16) as usize;
        (word, (counter % 16) as u32 * 4)
    }
}

/// The two hashes of `key` from which each row's counter is drawn (double hashing): the
/// finalizer of SplitMix64, and its high half as an odd step.
fn hashes(key: u64) -> (u64, u64) {
    let mut z = key ^ SEED;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z, z.rotate_left(32) | 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsized_sketch_counts_nothing() {
        let mut sketch = FrequencySketch::new();
        sketch.increment(1);
        assert_eq!(sketch.frequency(1), 0);
    }

    #[test]
    fn counts_saturate_at_fifteen() {
        let mut sketch = FrequencySketch::new();
        sketch.ensure_capacity(1000);
        for expected in 1..=15 {
            sketch.increment(42);
            assert_eq!(sketch.frequency(42), expected);
        }
        sketch.increment(42);
        assert_eq!(sketch.frequency(42), 15);
        assert_eq!(sketch.frequency(43), 0);
    }

    #[test]
    fn aging_halves_the_counters_after_ten_increments_per_entry() {
        let mut sketch = FrequencySketch::new();
        sketch.ensure_capacity(256);
        assert_eq!(sketch.sample_size, 2560);
        for _ in 0..9 {
            sketch.increment(7);
        }
        // Other keys, ten requests each, fill the sample up to one increment short.
        let mut key = 1_000;
        while sketch.increments < sketch.sample_size - 1 {
            for _ in 0..10 {
                if sketch.increments < sketch.sample_size - 1 {
                    sketch.increment(key);
                }
            }
            key += 1;
        }
        // Collisions may have raised key 7's estimate above 9, never lowered it.
        let before = sketch.frequency(7);
        assert!((9..15).contains(&before), "{before}");
        sketch.increment(7);
        let incremented = before + 1;
        assert_eq!(sketch.frequency(7), incremented / 2, "incremented, then halved");
        assert!(sketch.increments <= sketch.sample_size / 2);
    }

    #[test]
    fn growing_starts_over_and_resizing_within_keeps_the_counts() {
        let mut sketch = FrequencySketch::new();
        sketch.ensure_capacity(300);
        sketch.increment(5);
        sketch.ensure_capacity(400);
        assert_eq!(sketch.frequency(5), 1, "512 words hold 400 entries: kept");
        sketch.ensure_capacity(600);
        assert_eq!(sketch.frequency(5), 0, "1024 words: a new, empty sketch");
    }

    #[test]
    fn estimates_are_fixed_by_the_hash() {
        // Pins the hash: a change of the function changes which counters keys share.
        // SplitMix64's first output from seed 0, the generator's published test value.
        assert_eq!(hashes(0).0, 0xE220_A839_7B1D_CDAF);
    }
}
