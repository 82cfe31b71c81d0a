//! Che's approximation: the hit ratio of an LRU (or FIFO) cache under the independent reference
//! model, from the objects' popularities alone.
//!
//! Che, Tung and Wang, "Hierarchical Web caching systems: modeling, design and experimental
//! results" (IEEE JSAC, 2002); Fricker, Robert and Roberts, "A versatile and accurate
//! approximation for LRU cache performance" (ITC 24, 2012), which explains why it is accurate.
//!
//! **The model.** Requests are independent; each is for object `i` with probability `p_i` (the
//! independent reference model). The cache holds `C` objects of unit size. Che's idea: an
//! object requested now is still cached `T_C` requests later unless it was requested again in
//! between, where the *characteristic time* `T_C` (in requests) is, to a very good
//! approximation, a constant. Then under **LRU** object `i` is cached (and a request for it
//! hits) with probability
//!
//! ```text
//! h_i = 1 - exp(-p_i T_C),    where T_C solves    Σ_i h_i = C
//! ```
//!
//! (the expected number of cached objects is the cache size), and the hit ratio is `Σ_i p_i h_i`.
//! **FIFO** and **random** replacement (which have the same hit ratio under this model, Gelenbe
//! 1973) follow from the same idea with `h_i = p_i T_C / (1 + p_i T_C)` (Fricker, Robert and
//! Roberts, section 4; Martina, Garetto and Leonardi, INFOCOM 2014).
//!
//! **The computation.** `Σ_i h_i` grows strictly with `T_C` from 0 to the number of objects with
//! `p_i > 0`, so `T_C` is found by bisection: `T_C ≥ C` (each `h_i ≤ p_i T_C`), the upper end
//! doubles until it brackets the root, and the interval is halved until no float lies between
//! its ends. Each step is one pass over the popularities. `1 - exp(-x)` is computed as
//! `-expm1(-x)` (exact for tiny `x`, where `1 - exp(-x)` cancels), from `libm` like every `exp`
//! on a decision path, so results are the same bits on every platform.
//!
//! `tests/che.rs` checks the approximation against this crate's LRU ([`Queue::lru`](crate::Queue::lru)) on Zipf
//! requests; the crate documentation has the figures.

/// The replacement policies Che's approximation covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheModel {
    /// Least recently used: `h_i = 1 - exp(-p_i T_C)`.
    Lru,
    /// First in, first out, or random replacement: `h_i = p_i T_C / (1 + p_i T_C)`.
    Fifo,
}

impl CheModel {
    /// The probability that an object of popularity `p` (per request) is cached, given the
    /// characteristic time `t` (in requests).
    pub fn object_hit_probability(self, p: f64, t: f64) -> f64 {
        if t == f64::INFINITY {
            return if p > 0.0 { 1.0 } else { 0.0 };
        }
        let x = p * t;
        match self {
            CheModel::Lru => -libm::expm1(-x),
            CheModel::Fifo => x / (1.0 + x),
        }
    }

    /// Che's approximation for a cache of `cache_size_objects` objects serving requests with
    /// these `popularities` (one per object, any nonnegative weights: they are normalized by
    /// their sum).
    ///
    /// A cache at least as large as the number of objects with positive popularity holds them
    /// all: `T_C` is infinite and the hit ratio 1. An empty cache: `T_C = 0`, hit ratio 0.
    pub fn approximate(
        self,
        popularities: &[f64],
        cache_size_objects: u64,
    ) -> Result<Che, CheError> {
        let mut largest = 0.0f64;
        let mut requested = 0u64;
        for (object, &p) in popularities.iter().enumerate() {
            if !(p.is_finite() && p >= 0.0) {
                return Err(CheError::Popularity { object, popularity: p });
            }
            largest = largest.max(p);
            requested += u64::from(p > 0.0);
        }
        if requested == 0 {
            return Err(CheError::NoRequests);
        }
        // Scaled by the largest first, so that the sum cannot overflow whatever the weights.
        let total: f64 = popularities.iter().map(|&p| p / largest).sum();
        let p: Vec<f64> = popularities.iter().map(|&p| p / largest / total).collect();
        let size = cache_size_objects as f64;
        // Σ h_i(t) - C: strictly increasing in t, from -C at t = 0.
        let excess =
            |t: f64| p.iter().map(|&p| self.object_hit_probability(p, t)).sum::<f64>() - size;
        let characteristic_time = if cache_size_objects == 0 {
            0.0
        } else if cache_size_objects >= requested {
            f64::INFINITY
        } else {
            // Bracket: excess(low) ≤ 0 < excess(high). Doubling from C reaches the root within
            // 1100 steps for any popularity above f64's smallest normal; bisection then ends
            // when the midpoint equals an end (at most about 1100 halvings).
            let mut low = size;
            let mut high = 2.0 * size;
            let mut steps = 0;
            while excess(high) <= 0.0 {
                low = high;
                high *= 2.0;
                steps += 1;
                assert!(
                    steps < 1_100 && high.is_finite(),
                    "Che: no characteristic time below {high}"
                );
            }
            loop {
                let middle = low + (high - low) / 2.0;
                if middle <= low || middle >= high {
                    break middle;
                }
                if excess(middle) <= 0.0 {
                    low = middle;
                } else {
                    high = middle;
                }
                steps += 1;
                assert!(steps < 2_200, "Che: bisection did not converge in [{low}, {high}]");
            }
        };
        let hit_ratio = p
            .iter()
            .map(|&p| p * self.object_hit_probability(p, characteristic_time))
            .sum::<f64>()
            .min(1.0);
        Ok(Che { model: self, characteristic_time, hit_ratio })
    }
}

/// Che's approximation of one cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Che {
    /// The policy approximated.
    pub model: CheModel,
    /// `T_C`, in requests (of all objects): how long an object stays cached after its last
    /// request (LRU) or after it was admitted (FIFO). Infinite when everything fits.
    pub characteristic_time: f64,
    /// The fraction of requests that hit, `Σ_i p_i h_i`, in `[0, 1]`.
    pub hit_ratio: f64,
}

impl Che {
    /// The probability that an object of popularity `p` (per request, normalized as the
    /// popularities were) is cached: its hit ratio.
    pub fn object_hit_probability(&self, p: f64) -> f64 {
        self.model.object_hit_probability(p, self.characteristic_time)
    }
}

/// Why Che's approximation could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheError {
    /// A popularity was negative, infinite or NaN.
    #[error("object {object}'s popularity must be a finite number ≥ 0, found {popularity}")]
    Popularity {
        /// The object's index.
        object: usize,
        /// Its popularity.
        popularity: f64,
    },
    /// No object has a positive popularity: there are no requests to serve.
    #[error("no object has a positive popularity")]
    NoRequests,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_popularity_has_a_closed_form() {
        // N equally popular objects: h = C/N for every object, so the hit ratio is C/N (exact
        // for any policy); T_C = -N ln(1 - C/N) under LRU, N C / (N - C) under FIFO.
        let p = vec![1.0; 1_000];
        let lru = CheModel::Lru.approximate(&p, 250).unwrap();
        assert!((lru.hit_ratio - 0.25).abs() < 1e-12, "{lru:?}");
        let t = -1_000.0 * libm::log(0.75);
        assert!((lru.characteristic_time - t).abs() < 1e-9 * t, "{lru:?}");
        let fifo = CheModel::Fifo.approximate(&p, 250).unwrap();
        assert!((fifo.hit_ratio - 0.25).abs() < 1e-12, "{fifo:?}");
        assert!((fifo.characteristic_time - 1_000.0 / 3.0).abs() < 1e-9, "{fifo:?}");
    }

    #[test]
    fn the_characteristic_time_fills_the_cache() {
        let p: Vec<f64> = (1..=10_000).map(|i| libm::pow(f64::from(i), -0.8)).collect();
        for model in [CheModel::Lru, CheModel::Fifo] {
            let mut last = 0.0;
            for size in [1, 10, 100, 1_000, 5_000, 9_999] {
                let che = model.approximate(&p, size).unwrap();
                let total: f64 = p.iter().sum();
                let filled: f64 = p.iter().map(|&p| che.object_hit_probability(p / total)).sum();
                assert!((filled - size as f64).abs() < 1e-6 * size as f64, "{model:?} {size}");
                assert!(che.hit_ratio > last && che.hit_ratio < 1.0, "{model:?} {size}");
                last = che.hit_ratio;
            }
        }
        // On skewed popularity LRU beats FIFO at the same size: a hit renews an object's stay.
        let lru = CheModel::Lru.approximate(&p, 100).unwrap();
        let fifo = CheModel::Fifo.approximate(&p, 100).unwrap();
        assert!(lru.hit_ratio > fifo.hit_ratio);
    }

    #[test]
    fn edge_cases() {
        let p = [3.0, 1.0, 0.0];
        let empty = CheModel::Lru.approximate(&p, 0).unwrap();
        assert_eq!((empty.characteristic_time, empty.hit_ratio), (0.0, 0.0));
        // Two objects are ever requested, so a cache of two holds them both.
        for size in [2, 3, 100] {
            let full = CheModel::Lru.approximate(&p, size).unwrap();
            assert_eq!((full.characteristic_time, full.hit_ratio), (f64::INFINITY, 1.0));
            assert_eq!(full.object_hit_probability(0.0), 0.0);
        }
        // One slot for two objects, rates 3/4 and 1/4: (1 - e^(-3t/4)) + (1 - e^(-t/4)) = 1.
        let one = CheModel::Lru.approximate(&p, 1).unwrap();
        let t = one.characteristic_time;
        let filled = -libm::expm1(-0.75 * t) - libm::expm1(-0.25 * t);
        assert!((filled - 1.0).abs() < 1e-15, "{one:?}");
        assert_eq!(CheModel::Lru.approximate(&[0.0, 0.0], 1), Err(CheError::NoRequests));
        assert_eq!(CheModel::Lru.approximate(&[], 1), Err(CheError::NoRequests));
        assert!(matches!(
            CheModel::Fifo.approximate(&[1.0, -1.0], 1),
            Err(CheError::Popularity { object: 1, .. })
        ));
        assert!(CheModel::Fifo.approximate(&[1.0, f64::NAN], 1).is_err());
        // Weights, not probabilities: even the largest floats are normalized without overflow.
        let huge = CheModel::Lru.approximate(&[f64::MAX, f64::MAX], 1).unwrap();
        assert!((huge.hit_ratio - 0.5).abs() < 1e-12, "{huge:?}");
    }
}
