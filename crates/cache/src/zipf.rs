//! Zipf popularity: a deterministic sampler over a catalogue of objects.
//!
//! The catalogue has `N` objects, `0..N`; object `k` has rank `k + 1` and is requested with
//! probability
//!
//! ```text
//! p_k = (k + 1)^-s / H(N, s),    H(N, s) = Σ_{i=1..N} i^-s,
//! ```
//!
//! the independent reference model with Zipf popularity that Che's approximation
//! ([`crate::che`]) and the literature on cache performance assume. `s = 0` is uniform; `s = 1`
//! is the harmonic case, which needs nothing special here (only closed-form samplers, such as
//! rejection inversion, divide by `1 - s`). Any finite `s ≥ 0` is accepted; the tests cover
//! `0 ≤ s ≤ 1.5`.
//!
//! **Sampling** inverts the cumulative distribution: the table holds, for `k = 1..N-1`, the
//! boundary `⌊2^64 · (p_0 + … + p_{k-1})⌋`; a draw takes one uniform 64-bit integer `x` from a
//! [`SimRng`] and returns the number of boundaries at or below `x` (a binary search). So the
//! decision is an integer comparison, and object `k` is drawn with probability `p_k` up to
//! `2^-64` per boundary (plus the floating-point error of the table, about `10^-16`).
//!
//! **Determinism.** The table is built once from `libm::pow` (the same bits on every platform,
//! unlike `f64::powf`), summed in rank order with compensated (Neumaier) summation, and divided
//! and rounded by IEEE operations, which are exact to the last bit everywhere; so the same seed
//! gives the same stream of objects on every platform. A table costs 8 bytes per object (32 MB
//! for four million objects) and one pass of `pow` to build.

use sim_core::SimRng;

/// 2^64 as a float: boundaries are cumulative probabilities scaled to the range of a `u64` draw.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// Why a Zipf distribution could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZipfError {
    /// A catalogue needs at least one object.
    #[error("a Zipf catalogue needs at least one object")]
    NoObjects,
    /// The exponent must be finite and at least 0.
    #[error("the Zipf exponent must be a finite number ≥ 0, found {0}")]
    Exponent(f64),
}

/// Zipf popularity over `N` objects with exponent `s`, and a sampler for it.
///
/// ```
/// use cache::Zipf;
/// use sim_core::rng::{RngRoot, Stream};
///
/// let zipf = Zipf::new(1_000, 1.0).unwrap();
/// // Rank 1 (object 0) is twice as popular as rank 2, and H(1000, 1) ≈ 7.4855.
/// assert!((zipf.probability(0) - 2.0 * zipf.probability(1)).abs() < 1e-15);
/// assert!((zipf.probability(0) - 1.0 / 7.485_470_860_550_345).abs() < 1e-12);
///
/// let mut rng = RngRoot::new(1).stream(Stream::Workload);
/// let object = zipf.sample(&mut rng);
/// assert!(object < 1_000);
/// ```
#[derive(Clone, Debug)]
pub struct Zipf {
    objects: u64,
    exponent: f64,
    /// H(N, s), the sum of the weights `i^-s`.
    normalizer: f64,
    /// `N - 1` boundaries, nondecreasing: `boundaries[k - 1] = ⌊2^64 (p_0 + … + p_{k-1})⌋`.
    boundaries: Vec<u64>,
}

impl Zipf {
    /// Zipf popularity over `objects` objects with exponent `exponent` (`s`).
    ///
    /// Errors if there are no objects, or the exponent is negative, infinite or NaN.
    pub fn new(objects: u64, exponent: f64) -> Result<Self, ZipfError> {
        if objects == 0 {
            return Err(ZipfError::NoObjects);
        }
        if !(exponent.is_finite() && exponent >= 0.0) {
            return Err(ZipfError::Exponent(exponent));
        }
        // The cumulative weights, summed once in rank order with Neumaier's compensation (the
        // running error of a sum of millions of terms stays at the last bit, not N times it).
        let mut cumulative = Vec::with_capacity(objects as usize);
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        for rank in 1..=objects {
            let weight = weight(rank, exponent);
            let total = sum + weight;
            compensation +=
                if sum >= weight { (sum - total) + weight } else { (weight - total) + sum };
            sum = total;
            cumulative.push(sum + compensation);
        }
        let normalizer = sum + compensation;
        // The last cumulative weight is the normalizer: object N-1 takes every draw above the
        // last boundary, so no boundary of 2^64 (which a u64 cannot hold) is needed. A float
        // cast saturates, so a boundary rounded up to 2^64 becomes u64::MAX.
        cumulative.pop();
        let boundaries =
            cumulative.into_iter().map(|c| (c / normalizer * TWO_POW_64) as u64).collect();
        Ok(Self { objects, exponent, normalizer, boundaries })
    }

    /// How many objects the catalogue has (`N`).
    pub fn objects(&self) -> u64 {
        self.objects
    }

    /// The exponent `s`.
    pub fn exponent(&self) -> f64 {
        self.exponent
    }

    /// `H(N, s) = Σ_{i=1..N} i^-s`, the generalized harmonic number that normalizes the weights.
    pub fn normalizer(&self) -> f64 {
        self.normalizer
    }

    /// The probability `p_k = (k + 1)^-s / H(N, s)` that a request is for object `k` (0 for an
    /// object outside the catalogue).
    pub fn probability(&self, object: u64) -> f64 {
        if object >= self.objects {
            0.0
        } else {
            weight(object + 1, self.exponent) / self.normalizer
        }
    }

    /// Every object's probability, in object order (most popular first).
    pub fn probabilities(&self) -> Vec<f64> {
        (0..self.objects).map(|object| self.probability(object)).collect()
    }

    /// Draws one object, `0..N`: one 64-bit draw from `rng` and a binary search.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        let x = rng.next_u64();
        self.boundaries.partition_point(|&boundary| boundary <= x) as u64
    }
}

/// The weight of rank `rank` (from 1): `rank^-s`, through `libm` so that it is the same
/// everywhere.
fn weight(rank: u64, exponent: f64) -> f64 {
    libm::pow(rank as f64, -exponent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{RngRoot, Stream};

    #[test]
    fn rejects_an_empty_catalogue_and_bad_exponents() {
        assert_eq!(Zipf::new(0, 1.0).unwrap_err(), ZipfError::NoObjects);
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(Zipf::new(10, bad), Err(ZipfError::Exponent(_))), "{bad}");
        }
    }

    #[test]
    fn probabilities_follow_the_ranks_and_sum_to_one() {
        // H(1000, 1), the 1000th harmonic number.
        let harmonic = Zipf::new(1_000, 1.0).unwrap();
        assert!((harmonic.normalizer() - 7.485_470_860_550_345).abs() < 1e-12);
        for s in [0.0, 0.5, 0.86, 1.0, 1.5] {
            let zipf = Zipf::new(1_000, s).unwrap();
            let p = zipf.probabilities();
            let total: f64 = p.iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "s = {s}: Σp = {total}");
            assert!(p.windows(2).all(|w| w[0] >= w[1]), "s = {s}: popularity falls with rank");
            // p_1 / p_10 = 10^s.
            assert!((p[0] / p[9] - libm::pow(10.0, s)).abs() < 1e-9, "s = {s}");
        }
        let uniform = Zipf::new(4, 0.0).unwrap();
        assert_eq!(uniform.probabilities(), [0.25; 4]);
        assert_eq!(uniform.probability(4), 0.0);
        assert_eq!(Zipf::new(1, 1.0).unwrap().probabilities(), [1.0]);
    }

    #[test]
    fn the_top_ranks_are_drawn_as_often_as_their_probability() {
        // For each exponent, 10^6 draws over 10^4 objects: every one of the top 20 ranks' counts
        // is within 5 standard errors (binomial: sqrt(p(1-p)/draws)) of p_k, and so are the tail
        // beyond rank 1000 and the catalogue's second half as wholes.
        const DRAWS: u64 = 1_000_000;
        for (stream, s) in [0.0, 0.5, 0.86, 1.0, 1.5].into_iter().enumerate() {
            let zipf = Zipf::new(10_000, s).unwrap();
            let mut rng = RngRoot::new(7).stream(Stream::Node(stream as u32));
            let mut counts = vec![0u64; 10_000];
            for _ in 0..DRAWS {
                counts[zipf.sample(&mut rng) as usize] += 1;
            }
            let p = zipf.probabilities();
            let check = |what: &str, observed: u64, expected: f64| {
                let frequency = observed as f64 / DRAWS as f64;
                let stderr = (expected * (1.0 - expected) / DRAWS as f64).sqrt();
                assert!(
                    (frequency - expected).abs() <= 5.0 * stderr,
                    "s = {s}, {what}: frequency {frequency}, p = {expected}, stderr {stderr}"
                );
            };
            for k in 0..20 {
                check(&format!("rank {}", k + 1), counts[k], p[k]);
            }
            check("ranks > 1000", counts[1_000..].iter().sum(), p[1_000..].iter().sum());
            check("ranks > 5000", counts[5_000..].iter().sum(), p[5_000..].iter().sum());
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_objects() {
        // Pinned: a change here changes every experiment drawn from this sampler.
        let zipf = Zipf::new(50_000, 0.86).unwrap();
        let checksum = zipf.boundaries.iter().fold(0u64, |acc, &b| acc.rotate_left(5) ^ b);
        let mut rng = RngRoot::new(1).stream(Stream::Workload);
        let drawn: Vec<u64> = (0..10).map(|_| zipf.sample(&mut rng)).collect();
        assert_eq!(checksum, 18_088_794_450_931_611_028);
        assert_eq!(drawn, [284, 0, 3945, 2, 6493, 3424, 28, 15054, 17160, 1547]);
    }

    #[test]
    fn one_object_is_always_drawn() {
        let zipf = Zipf::new(1, 0.86).unwrap();
        let mut rng = RngRoot::new(1).stream(Stream::Workload);
        assert!((0..100).all(|_| zipf.sample(&mut rng) == 0));
    }
}
