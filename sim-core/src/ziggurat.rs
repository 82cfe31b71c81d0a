//! Standard normal draws by the ziggurat method (Marsaglia and Tsang, 2000, in the form of
//! Doornik's ZIGNOR, 2005): 256 layers of equal area under the density; one 64-bit draw picks
//! a layer and a point in it, and about 99% of draws are accepted by one comparison, with no
//! logarithm, square root or cosine (Box–Muller needs all three, and two draws).
//!
//! The layer table is computed once with `libm`, and the rare slow paths (a wedge or the tail)
//! use `libm` too, so a seed gives the same values on every platform.

use std::sync::LazyLock;

use crate::rng::SimRng;

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// Where the tail begins: the right edge of the bottom layer.
const TAIL_START: f64 = 3.654_152_885_361_009;
/// The area of each layer (and of the bottom layer with its tail), under `exp(-x²/2)`.
const LAYER_AREA: f64 = 0.004_928_673_233_99;

/// The unnormalized density.
fn density(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}

/// `edges[i]` is the right edge of layer `i`; layer 0 is the bottom one with the tail (its
/// edge is the width a rectangle of the layer's area would have), `edges[LAYERS]` is 0.
struct Table {
    edges: [f64; LAYERS + 1],
    /// `edges[i + 1] / edges[i]`: below it a point is inside the density whatever its height.
    inner: [f64; LAYERS],
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut edges = [0.0; LAYERS + 1];
    edges[0] = LAYER_AREA / density(TAIL_START);
    edges[1] = TAIL_START;
    for i in 2..LAYERS {
        edges[i] = libm::sqrt(-2.0 * libm::log(LAYER_AREA / edges[i - 1] + density(edges[i - 1])));
    }
    edges[LAYERS] = 0.0;
    let mut inner = [0.0; LAYERS];
    for i in 0..LAYERS {
        inner[i] = edges[i + 1] / edges[i];
    }
    Table { edges, inner }
});

/// One draw from the standard normal distribution.
pub(crate) fn standard_normal(rng: &mut SimRng) -> f64 {
    let t = &*TABLE;
    loop {
        let bits = rng.next_u64();
        // The low 8 bits pick the layer, the top 53 a point in (-1, 1) across it.
        let layer = (bits & 0xff) as usize;
        let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
        if u.abs() < t.inner[layer] {
            return u * t.edges[layer];
        }
        if layer == 0 {
            return tail(rng, u < 0.0);
        }
        // In the wedge between the layer's inner rectangle and its edge: accept under the
        // density, with a uniform height between the layer's bottom and top.
        let x = u * t.edges[layer];
        let bottom = libm::exp(-0.5 * (t.edges[layer] * t.edges[layer] - x * x));
        let top = libm::exp(-0.5 * (t.edges[layer + 1] * t.edges[layer + 1] - x * x));
        if top + rng.unit_f64() * (bottom - top) < 1.0 {
            return x;
        }
    }
}

/// A draw from the tail beyond [`TAIL_START`] (Marsaglia's method), on the side given.
fn tail(rng: &mut SimRng, negative: bool) -> f64 {
    loop {
        // 1 - U is in (0, 1], so each logarithm is finite.
        let x = -libm::log(1.0 - rng.unit_f64()) / TAIL_START;
        let y = -libm::log(1.0 - rng.unit_f64());
        if 2.0 * y >= x * x {
            let z = TAIL_START + x;
            return if negative { -z } else { z };
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    use super::*;

    /// The standard normal CDF.
    fn phi(z: f64) -> f64 {
        0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
    }

    #[test]
    fn the_table_closes_at_zero_with_equal_layers() {
        let t = &*TABLE;
        // The top layer's area, computed from the table, is the same as every other's.
        let top = t.edges[LAYERS - 1] * (1.0 - density(t.edges[LAYERS - 1]));
        assert!((top - LAYER_AREA).abs() < 1e-9, "top layer area {top}");
        assert!(t.inner.iter().all(|&r| (0.0..1.0).contains(&r)));
    }

    #[test]
    fn draws_follow_the_standard_normal() {
        // Pearson's chi-squared over 160 bins of width 0.05 in [-4, 4] plus the two outside:
        // the wedges hold about 1% of the mass in thin slivers, which a bin test sees and a
        // Kolmogorov–Smirnov distance does not.
        let mut rng = SimRng::from_chacha(ChaCha8Rng::seed_from_u64(11));
        let n = 1_000_000;
        let bins = 160;
        let edge = |b: usize| -4.0 + 8.0 * b as f64 / bins as f64;
        let mut counts = vec![0u64; bins + 2];
        for _ in 0..n {
            let z = standard_normal(&mut rng);
            let b = ((z + 4.0) / 8.0 * bins as f64).floor();
            counts[if b < 0.0 {
                0
            } else if b >= bins as f64 {
                bins + 1
            } else {
                b as usize + 1
            }] += 1;
        }
        let mut chi2 = 0.0;
        for (i, &c) in counts.iter().enumerate() {
            let p = match i {
                0 => phi(edge(0)),
                i if i == bins + 1 => 1.0 - phi(edge(bins)),
                i => phi(edge(i)) - phi(edge(i - 1)),
            };
            let expected = p * n as f64;
            chi2 += (c as f64 - expected).powi(2) / expected;
        }
        // 161 degrees of freedom: mean 161; above 260 has a p-value below 1e-6.
        assert!(chi2 < 260.0, "chi-squared {chi2}");
    }

    #[test]
    fn the_tail_has_the_normal_tail_shape() {
        // Beyond the tail start, P(Z > r + t | Z > r) for a few t, from 200 000 tail draws.
        let mut rng = SimRng::from_chacha(ChaCha8Rng::seed_from_u64(5));
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|i| tail(&mut rng, i % 2 == 0)).collect();
        assert_eq!(draws.iter().filter(|&&z| z < 0.0).count(), n / 2);
        let beyond_start = 1.0 - phi(TAIL_START);
        for t in [0.1, 0.3, 0.6] {
            let expected = (1.0 - phi(TAIL_START + t)) / beyond_start;
            let seen = draws.iter().filter(|z| z.abs() > TAIL_START + t).count() as f64 / n as f64;
            // The standard error is at most 0.0012 here.
            assert!((seen - expected).abs() < 0.006, "t = {t}: {seen} vs {expected}");
        }
    }

    #[test]
    fn the_same_stream_gives_the_same_draws() {
        let draw = || {
            let mut rng = SimRng::from_chacha(ChaCha8Rng::seed_from_u64(3));
            (0..1000).map(|_| standard_normal(&mut rng).to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(draw(), draw());
    }
}
