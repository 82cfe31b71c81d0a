//! Randomness: one ChaCha root from the run's seed, split into named, independent streams.
//!
//! The root is `ChaCha8Rng::seed_from_u64(seed)`; the first 32 bytes it produces are the key
//! of every stream. A stream is `ChaCha8Rng::from_seed(key)` with `set_stream(id)`, where `id`
//! is fixed by the stream's name (the documented order below). Streams are independent: how
//! much one subsystem draws never moves another's numbers, so changing the workload does not
//! move the faults, and adding a node does not change what the network draws.
//!
//! | stream id | name | drawn by |
//! |---|---|---|
//! | 0 | `network` | loss, duplication and latency of every message |
//! | 1 | `faults` | the random nemesis schedule and selector resolution (`random`, `minority`) |
//! | 2 | `clocks` | each node's initial clock offset and drift |
//! | 3 | `workload` | workload generators (the protocol crates' clients) |
//! | 4 | `disk` | which record a disk-corruption fault hits |
//! | 1024 + i | `node i` | the node with index `i` (servers first, then clients) |
//!
//! All helpers here are integer arithmetic except [`SimRng::unit_f64`], which is exact
//! (53 random bits scaled by a power of two); callers that need `ln`, `exp` or `pow` use `libm`.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Named streams of the run, in their documented order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Loss, duplication and latency draws of the network model.
    Network,
    /// The random nemesis and fault-time selector resolution.
    Faults,
    /// Initial clock offsets and drifts.
    Clocks,
    /// Workload generators.
    Workload,
    /// Disk-fault targets.
    Disk,
    /// Swarm testing: which fault kinds a hunt turns on for this seed, and how strong.
    Swarm,
    /// Swarm testing: the knobs (protocol, cluster, workload and network parameters) a hunt
    /// draws for this seed.
    Knobs,
    /// The stream owned by the node with this index.
    Node(u32),
}

impl Stream {
    /// The ChaCha stream id of this named stream.
    pub(crate) const fn id(self) -> u64 {
        match self {
            Stream::Network => 0,
            Stream::Faults => 1,
            Stream::Clocks => 2,
            Stream::Workload => 3,
            Stream::Disk => 4,
            Stream::Swarm => 5,
            Stream::Knobs => 6,
            Stream::Node(i) => 1024 + i as u64,
        }
    }
}

/// The run's root of randomness: derives every named stream from one seed.
#[derive(Clone, Debug)]
pub struct RngRoot {
    key: [u8; 32],
}

impl RngRoot {
    /// The root for a seed.
    pub fn new(seed: u64) -> Self {
        let mut root = ChaCha8Rng::seed_from_u64(seed);
        let mut key = [0u8; 32];
        root.fill_bytes(&mut key);
        RngRoot { key }
    }

    /// A fresh generator positioned at the start of the named stream.
    pub fn stream(&self, stream: Stream) -> SimRng {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(stream.id());
        SimRng { rng }
    }
}

/// A deterministic random stream with integer-first helpers.
#[derive(Clone, Debug)]
pub struct SimRng {
    rng: ChaCha8Rng,
}

impl SimRng {
    /// A stream seeded directly (unit tests that define their own streams).
    #[cfg(test)]
    pub(crate) fn from_chacha(rng: ChaCha8Rng) -> Self {
        SimRng { rng }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A uniform integer in `0..n` (Lemire's multiply-shift; `n` must be positive). The bias is
    /// at most `n / 2^64`, far below anything a simulation can observe.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "SimRng::below(0)");
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A uniform integer in `lo..=hi`.
    #[inline]
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "inverted range {lo}..={hi}");
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// True with probability `p` (an integer threshold out of 2^64; see [`Probability`]).
    #[inline]
    pub fn chance(&mut self, p: Probability) -> bool {
        p.0 != 0 && self.next_u64() < p.0
    }

    /// A uniform float in `[0, 1)`: the top 53 bits of a draw times 2^-53 (exact).
    #[inline]
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Picks `k` distinct indices out of `0..n`, in increasing order (partial Fisher–Yates).
    pub fn choose_indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool.sort_unstable();
        pool
    }
}

/// A probability as an integer threshold: an event with probability `p` happens when a
/// uniform 64-bit draw is below `p · 2^64`. Built once from the scenario's decimal, compared
/// with integers on every decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probability(pub(crate) u64);

impl Probability {
    /// Never.
    pub const ZERO: Probability = Probability(0);

    /// The threshold for `p` in `[0, 1)`; `None` outside that range or for NaN.
    pub fn new(p: f64) -> Option<Probability> {
        if !(0.0..1.0).contains(&p) {
            return None;
        }
        // p < 1, so p · 2^64 < 2^64 and the cast cannot saturate.
        Some(Probability((p * 18_446_744_073_709_551_616.0) as u64))
    }

    /// The probability as a float, for reports.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 18_446_744_073_709_551_616.0
    }

    /// The probability that at least one of two independent events happens, `1-(1-a)(1-b)`,
    /// computed in integers.
    pub fn either(self, other: Probability) -> Probability {
        let miss_a = u64::MAX - self.0;
        let miss_b = u64::MAX - other.0;
        let miss = ((miss_a as u128 * miss_b as u128) >> 64) as u64;
        Probability(u64::MAX - miss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let root = RngRoot::new(7);
        let a: Vec<u64> = (0..4).map(|_| root.stream(Stream::Network).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]), "a stream restarts at its beginning");
        let mut net = root.stream(Stream::Network);
        let mut faults = root.stream(Stream::Faults);
        assert_ne!(net.next_u64(), faults.next_u64());
        assert_ne!(RngRoot::new(8).stream(Stream::Network).next_u64(), a[0]);
    }

    #[test]
    fn probability_bounds() {
        assert_eq!(Probability::new(1.0), None);
        assert_eq!(Probability::new(-0.1), None);
        assert_eq!(Probability::new(f64::NAN), None);
        assert_eq!(Probability::new(0.0), Some(Probability::ZERO));
        let half = Probability::new(0.5).unwrap();
        assert_eq!(half.0, 1u64 << 63);
        let either = half.either(half).as_f64();
        assert!((either - 0.75).abs() < 1e-9);
    }

    #[test]
    fn choose_indices_are_distinct_and_sorted() {
        let mut rng = RngRoot::new(1).stream(Stream::Faults);
        for _ in 0..100 {
            let v = rng.choose_indices(7, 3);
            assert_eq!(v.len(), 3);
            assert!(v.windows(2).all(|w| w[0] < w[1]) && v[2] < 7);
        }
    }
}
