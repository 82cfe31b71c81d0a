//! The standard normal distribution's upper tail, its logarithm, and its inverse (the quantile),
//! as the phi accrual detector needs them.
//!
//! All of it goes through `libm`, so a threshold decision is the same on every platform.
//!
//! - The upper tail `Q(y) = 1 - Φ(y)` is `erfc(y/√2) / 2`, computed directly: `1 - Φ(y)` would
//!   cancel to zero past `y ≈ 8.3` and lose every digit well before.
//! - Its base-10 logarithm switches, past `y = 30` (where `Q ≈ 5·10⁻¹⁹⁸` and `erfc` is close to
//!   underflowing), to the asymptotic (Mills ratio) expansion
//!   `Q(y) = φ(y)/y · (1 - 1/y² + 3/y⁴ - 15/y⁶ + …)`, taken in logarithms, so it stays finite and
//!   decreasing for every finite `y`. Truncated after a negative term the series is below `Q`,
//!   by less than its next term `105/y⁸ ≈ 1.6·10⁻¹⁰` relative at the switch: the logarithm steps
//!   down there by at most `7·10⁻¹¹`, which keeps it monotonic.
//! - The quantile is Peter Acklam's rational approximation (relative error below `1.15·10⁻⁹`)
//!   refined by one Halley step on `erfc`, which brings it to a few units in the last place.

use std::f64::consts::{FRAC_1_SQRT_2, LN_10, PI};

/// Past this `y` the logarithm of the upper tail uses the asymptotic expansion (module docs).
const ASYMPTOTIC_FROM: f64 = 30.0;

/// The probability that a standard normal variable exceeds `y`: `Q(y) = erfc(y/√2) / 2`.
pub fn normal_upper_tail(y: f64) -> f64 {
    0.5 * libm::erfc(y * FRAC_1_SQRT_2)
}

/// `log10 Q(y)`, finite for every finite `y` (it does not underflow to `-∞` as `log10` of
/// [`normal_upper_tail`] would past `y ≈ 38`).
pub(crate) fn log10_normal_upper_tail(y: f64) -> f64 {
    if y < ASYMPTOTIC_FROM {
        return libm::log10(normal_upper_tail(y));
    }
    let r = 1.0 / (y * y);
    let series = 1.0 - r * (1.0 - r * (3.0 - r * 15.0));
    let ln_q = -0.5 * y * y - libm::log(y) - 0.5 * libm::log(2.0 * PI) + libm::log(series);
    ln_q / LN_10
}

/// The standard normal quantile: the `z` with `Φ(z) = p`, for `p` in `(0, 1)`; `-∞` at 0, `+∞`
/// at 1, NaN outside `[0, 1]` or for NaN.
///
/// Acklam's algorithm, then one Halley step. For an upper-tail probability `q` too small for
/// `1 - q` to differ from 1 (below about `10⁻¹⁶`), ask for `-normal_quantile(q)` instead: the
/// lower tail keeps its precision all the way down to the smallest normal `f64`.
///
/// ```
/// use failover::normal_quantile;
/// assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
/// assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-11);
/// ```
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let x = acklam(p);
    // Halley's step on f(x) = Φ(x) - p, where f' = φ(x) and f'' = -x φ(x): with u = f/f',
    // x ← x - u / (1 + x u / 2). Φ(x) is erfc(-x/√2)/2: accurate in the lower tail, where p is
    // small, and within an ulp of p in the upper tail (where p itself has no more digits).
    let e = 0.5 * libm::erfc(-x * FRAC_1_SQRT_2) - p;
    let u = e * libm::sqrt(2.0 * PI) * libm::exp(0.5 * x * x);
    let refined = x - u / (1.0 + 0.5 * x * u);
    // exp(x²/2) overflows only for p below ~10⁻³⁰⁷, where Acklam's value is already as good as
    // the input's precision allows.
    if refined.is_finite() { refined } else { x }
}

/// Acklam's rational approximation of the normal quantile, `0 < p < 1`.
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2, // Acklam prints 1.383577518672690e+02
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;

    // The tails share one rational function of sqrt(-2 ln(tail probability)).
    let tail = |t: f64| {
        let q = libm::sqrt(-2.0 * libm::log(t));
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail(p)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from mpmath at 30 digits (`sqrt(2) * erfinv(2p - 1)`).
    const KNOWN: [(f64, f64); 8] = [
        (0.5, 0.0),
        (0.9, 1.281_551_565_544_600_5),
        (0.975, 1.959_963_984_540_054_2),
        (0.99, 2.326_347_874_040_841),
        (0.999, 3.090_232_306_167_813_5),
        // Acklam's region boundary, from both sides.
        (0.02425, -1.972_961_051_311_884_8),
        (0.97575, 1.972_961_051_311_884_8),
        (1e-10, -6.361_340_902_404_056),
    ];

    #[test]
    fn quantile_matches_known_values() {
        for (p, z) in KNOWN {
            let got = normal_quantile(p);
            assert!((got - z).abs() < 1e-8, "z({p}) = {got}, expected {z}");
            // Refined, it is far better than the 1e-8 the detector needs.
            assert!((got - z).abs() <= 1e-12 * z.abs().max(1.0), "z({p}) = {got}, expected {z}");
        }
        // The three values the brief pins, at its stated precision.
        assert!((normal_quantile(0.9) - 1.281_551_565_5).abs() < 1e-8);
        assert!((normal_quantile(0.99) - 2.326_347_874_0).abs() < 1e-8);
        assert!((normal_quantile(0.999) - 3.090_232_306_2).abs() < 1e-8);
    }

    #[test]
    fn quantile_inverts_the_cdf_deep_in_the_lower_tail() {
        // Φ(z(p)) = p for p from 0.5 down to 10^-300, the range a threshold phi of 0.3 to 300
        // asks for, as closely as z can be represented: one ulp of z (|z|·2^-52) moves Φ by a
        // relative |z| times that, so the bound is a few times z²·2^-52.
        let mut p = 0.5;
        while p > 1e-300 {
            let z = normal_quantile(p);
            let back = normal_upper_tail(-z);
            let bound = 4.0 * (1.0 + z * z) * f64::EPSILON;
            assert!(((back - p) / p).abs() < bound, "Φ(z({p:e})) = {back:e}");
            p *= 0.37;
        }
    }

    #[test]
    fn quantile_is_antisymmetric_and_monotonic() {
        let mut last = f64::NEG_INFINITY;
        for i in 1..10_000 {
            let p = i as f64 / 10_000.0;
            let z = normal_quantile(p);
            assert!(z > last, "z({p}) = {z} is not above {last}");
            assert!((z + normal_quantile(1.0 - p)).abs() < 1e-12);
            last = z;
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan() && normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn log_upper_tail_is_accurate_and_decreasing_across_the_switch() {
        // -log10 Q(y) from mpmath.
        let known = [
            (0.0, std::f64::consts::LOG10_2), // -log10(1/2)
            (1.0, 0.799_545_541_491_970_5),
            (10.0, 23.118_053_405_486_076),
            (30.0, 197.309_209_261_660_95),
            (35.0, 267.948_881_949_752_97),
            (40.0, 349.437_006_459_345_84),
            (100.0, 2_173.871_542_869_034_4),
        ];
        for (y, minus_log) in known {
            let got = -log10_normal_upper_tail(y);
            assert!((got - minus_log).abs() < 1e-9 * minus_log, "y = {y}: {got} vs {minus_log}");
        }
        let mut last = f64::INFINITY;
        let mut y = 25.0;
        while y < 45.0 {
            let l = log10_normal_upper_tail(y);
            assert!(l < last, "log10 Q({y}) = {l} is not below {last}");
            last = l;
            y += 1.0 / 1024.0;
        }
        assert!(log10_normal_upper_tail(1e150).is_finite());
    }
}
