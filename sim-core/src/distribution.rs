//! Latency distributions: what a message's one-way delay is drawn from.
//!
//! Serde form: a bare duration string is a constant (`latency = "1ms"`); otherwise a table
//! tagged by `dist`: `uniform {min, max}`, `normal {mean, stddev}` (truncated at 0),
//! `exponential {mean}`, `lognormal {p50, p99}`, `pareto {scale, shape}`, and
//! `mixture {p, first, second}`, whose two components are distributions in the same form.
//! Every draw comes from the caller's stream; normal draws come from a ziggurat
//! (`ziggurat.rs`), and `ln`, `exp` and `pow` from `libm`, so the same seed gives the same
//! nanoseconds on every platform. Draws are capped at [`MAX_DRAW`] so that a heavy tail
//! (pareto with shape ≤ 1) cannot overflow simulated time.
//!
//! What one draw takes from the stream: nothing for a constant; one `u64` for uniform,
//! exponential and pareto (inverse CDF: exponential `-mean·ln(1 - U)`, pareto
//! `scale·(1 - U)^(-1/shape)`); the ziggurat's draws for normal and lognormal; for a mixture
//! with 0 < p < 1, one `u64` that picks the component (`first` when it is below `p·2^64`), then
//! that component's draws. A mixture with `p = 0` or `p = 1` is its one component and draws no
//! choice, as a zero loss probability draws nothing. Mixtures may nest (a component may itself
//! be a mixture, for three or more components), at most [`MAX_MIXTURE_DEPTH`] deep.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::config::{ConfigError, require_bounded};
use crate::rng::SimRng;
use crate::time::{NANOS_PER_SEC, SimDuration};
use crate::ziggurat::standard_normal;

/// The largest delay one draw can produce: one hour.
pub const MAX_DRAW: SimDuration = SimDuration(3600 * NANOS_PER_SEC);

/// How deep mixtures may nest: a mixture whose component is a mixture is two deep. Enough for
/// any published latency model, and it bounds the recursion of every draw.
pub const MAX_MIXTURE_DEPTH: usize = 8;

/// z-score of the 99th percentile of the standard normal distribution.
const Z_P99: f64 = 2.326_347_874_040_841;

/// A distribution of durations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    /// Always the same value (serde form: a bare duration string).
    #[serde(skip)]
    Constant(SimDuration),
    /// Uniform over `[min, max]`, in whole nanoseconds.
    Uniform {
        /// Smallest value.
        min: SimDuration,
        /// Largest value, ≥ `min`.
        max: SimDuration,
    },
    /// Normal with the given mean and standard deviation, truncated at zero.
    Normal {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation.
        stddev: SimDuration,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean, > 0.
        mean: SimDuration,
    },
    /// Log-normal given its median and 99th percentile.
    #[serde(rename = "lognormal")]
    LogNormal {
        /// Median, > 0.
        p50: SimDuration,
        /// 99th percentile, ≥ `p50`.
        p99: SimDuration,
    },
    /// Pareto (type I): `scale / U^(1/shape)`; every draw is ≥ `scale`.
    Pareto {
        /// Minimum value, > 0.
        scale: SimDuration,
        /// Tail index, > 0 (≤ 1 has an infinite mean; draws are capped at one hour).
        shape: f64,
    },
    /// With probability `p` a draw from `first`, else a draw from `second` (Bailis et al.'s
    /// PBS latency models: an exponential body and a Pareto tail).
    Mixture {
        /// Probability of drawing from `first`, in [0, 1].
        p: f64,
        /// The component drawn with probability `p`.
        #[serde(with = "serde_form::boxed")]
        first: Box<Distribution>,
        /// The component drawn with probability `1 - p`.
        #[serde(with = "serde_form::boxed")]
        second: Box<Distribution>,
    },
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Constant(SimDuration::from_millis(1))
    }
}

impl Distribution {
    /// Checks the parameters; `key` names the field in errors (a mixture's components as
    /// `key.first` and `key.second`).
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        self.validate_at(key, 0)
    }

    /// [`Distribution::validate`] for a distribution inside `mixtures` enclosing mixtures.
    fn validate_at(&self, key: &str, mixtures: usize) -> Result<(), ConfigError> {
        if let Distribution::Mixture { p, first, second } = self {
            if mixtures == MAX_MIXTURE_DEPTH {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "a mixture inside {MAX_MIXTURE_DEPTH} others: mixtures nest at most {MAX_MIXTURE_DEPTH} deep"
                    ),
                ));
            }
            // NaN fails `contains` too.
            if !(0.0..=1.0).contains(p) {
                return Err(ConfigError::out_of_range(
                    &format!("{key}.p"),
                    p,
                    "a probability in [0, 1]",
                ));
            }
            first.validate_at(&format!("{key}.first"), mixtures + 1)?;
            return second.validate_at(&format!("{key}.second"), mixtures + 1);
        }
        // Every parameter at most a year (parsed values already are; configs built in code
        // are checked here), so the largest value a draw can take fits simulated time.
        let params: &[(&str, SimDuration)] = match self {
            Distribution::Constant(d) => &[("", *d)],
            Distribution::Uniform { min, max } => &[(".min", *min), (".max", *max)],
            Distribution::Normal { mean, stddev } => &[(".mean", *mean), (".stddev", *stddev)],
            Distribution::Exponential { mean } => &[(".mean", *mean)],
            Distribution::LogNormal { p50, p99 } => &[(".p50", *p50), (".p99", *p99)],
            Distribution::Pareto { scale, .. } => &[(".scale", *scale)],
            Distribution::Mixture { .. } => &[],
        };
        for (field, d) in params {
            require_bounded(&format!("{key}{field}"), *d)?;
        }
        match *self {
            Distribution::Constant(_) => Ok(()),
            Distribution::Uniform { min, max } if min > max => Err(ConfigError::invalid(
                key,
                format!("uniform min {min} is above max {max}: allowed min ≤ max"),
            )),
            Distribution::Exponential { mean } if mean == SimDuration::ZERO => {
                Err(ConfigError::out_of_range(&format!("{key}.mean"), mean, "a duration > 0"))
            }
            Distribution::LogNormal { p50, .. } if p50 == SimDuration::ZERO => {
                Err(ConfigError::out_of_range(&format!("{key}.p50"), p50, "a duration > 0"))
            }
            Distribution::LogNormal { p50, p99 } if p99 < p50 => Err(ConfigError::invalid(
                key,
                format!("lognormal p99 {p99} is below p50 {p50}: allowed p50 ≤ p99"),
            )),
            Distribution::Pareto { scale, .. } if scale == SimDuration::ZERO => {
                Err(ConfigError::out_of_range(&format!("{key}.scale"), scale, "a duration > 0"))
            }
            Distribution::Pareto { shape, .. } if !(shape > 0.0 && shape.is_finite()) => {
                Err(ConfigError::out_of_range(&format!("{key}.shape"), shape, "a number > 0"))
            }
            _ => Ok(()),
        }
    }

    /// True when a draw needs no randomness (a constant); the network skips the draw then.
    pub fn is_constant(&self) -> bool {
        matches!(self, Distribution::Constant(_))
    }

    /// Draws one value from `rng`.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        self.sampler().sample(rng)
    }

    /// The distribution prepared for many draws (its logarithms computed once).
    pub(crate) fn sampler(&self) -> Sampler {
        match *self {
            // Validated p is in [0, 1]; the ends are the one component alone (no choice drawn).
            Distribution::Mixture { p, ref second, .. } if p <= 0.0 => second.sampler(),
            Distribution::Mixture { p, ref first, .. } if p >= 1.0 => first.sampler(),
            Distribution::Mixture { p, ref first, ref second } => Sampler::Mixture {
                // 0 < p < 1, so p · 2^64 < 2^64 and the cast cannot saturate.
                first_below: (p * 18_446_744_073_709_551_616.0) as u64,
                parts: Box::new([first.sampler(), second.sampler()]),
            },
            Distribution::Constant(d) => Sampler::Constant(d),
            Distribution::Uniform { min, max } => Sampler::Uniform(min.0, max.0),
            Distribution::Normal { mean, stddev } => {
                Sampler::Normal { mean: mean.0 as f64, sd: stddev.0 as f64 }
            }
            Distribution::Exponential { mean } => Sampler::Exponential { mean: mean.0 as f64 },
            Distribution::LogNormal { p50, p99 } => {
                let mu = libm::log(p50.0 as f64);
                Sampler::LogNormal { mu, sigma: (libm::log(p99.0 as f64) - mu) / Z_P99 }
            }
            Distribution::Pareto { scale, shape } => {
                Sampler::Pareto { scale: scale.0 as f64, inv_shape: 1.0 / shape }
            }
        }
    }

    /// The distribution's mean in nanoseconds (analytic; for reports and tests).
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Distribution::Constant(d) => d.0 as f64,
            Distribution::Uniform { min, max } => (min.0 as f64 + max.0 as f64) / 2.0,
            Distribution::Normal { mean, .. } | Distribution::Exponential { mean } => mean.0 as f64,
            Distribution::LogNormal { p50, p99 } => {
                let sigma = (libm::log(p99.0 as f64) - libm::log(p50.0 as f64)) / Z_P99;
                p50.0 as f64 * libm::exp(sigma * sigma / 2.0)
            }
            Distribution::Pareto { scale, shape } if shape > 1.0 => {
                scale.0 as f64 * shape / (shape - 1.0)
            }
            Distribution::Pareto { .. } => f64::INFINITY,
            // Written out at the ends so that an unused infinite mean does not make NaN (0·∞).
            Distribution::Mixture { p, ref second, .. } if p <= 0.0 => second.mean_ns(),
            Distribution::Mixture { p, ref first, .. } if p >= 1.0 => first.mean_ns(),
            Distribution::Mixture { p, ref first, ref second } => {
                p * first.mean_ns() + (1.0 - p) * second.mean_ns()
            }
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Constant(d) => write!(f, "{d}"),
            Distribution::Uniform { min, max } => write!(f, "uniform({min}..{max})"),
            Distribution::Normal { mean, stddev } => write!(f, "normal(mean {mean}, sd {stddev})"),
            Distribution::Exponential { mean } => write!(f, "exponential(mean {mean})"),
            Distribution::LogNormal { p50, p99 } => write!(f, "lognormal(p50 {p50}, p99 {p99})"),
            Distribution::Pareto { scale, shape } => {
                write!(f, "pareto(scale {scale}, shape {shape})")
            }
            Distribution::Mixture { p, first, second } => {
                write!(f, "mixture(p {p}: {first} | {second})")
            }
        }
    }
}

/// A [`Distribution`] ready to draw from: the same draws, the same nanoseconds, with the
/// parameters' logarithms and ratios computed once instead of per draw.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Sampler {
    /// Always this value.
    Constant(SimDuration),
    /// Uniform over `[lo, hi]` nanoseconds.
    Uniform(u64, u64),
    /// Normal, truncated at zero.
    Normal {
        /// Mean, ns.
        mean: f64,
        /// Standard deviation, ns.
        sd: f64,
    },
    /// Exponential.
    Exponential {
        /// Mean, ns.
        mean: f64,
    },
    /// Log-normal: `exp(mu + sigma·Z)`.
    LogNormal {
        /// Log of the median.
        mu: f64,
        /// Log-scale standard deviation.
        sigma: f64,
    },
    /// Pareto: `scale / U^(1/shape)`.
    Pareto {
        /// Minimum, ns.
        scale: f64,
        /// `1 / shape`.
        inv_shape: f64,
    },
    /// Two components; the first when a draw is below `first_below` (`p · 2^64`, 0 < p < 1).
    Mixture {
        /// The threshold of the choice draw.
        first_below: u64,
        /// `[first, second]`.
        parts: Box<[Sampler; 2]>,
    },
}

impl Sampler {
    /// Draws one value (see the module docs for the order of draws and the cap).
    pub(crate) fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ns = match *self {
            Sampler::Constant(d) => return d,
            // Each component bounds its own draws.
            Sampler::Mixture { first_below, ref parts } => {
                return parts[usize::from(rng.next_u64() >= first_below)].sample(rng);
            }
            Sampler::Uniform(lo, hi) => return SimDuration(rng.range_inclusive(lo, hi)),
            Sampler::Normal { mean, sd } => mean + standard_normal(rng) * sd,
            Sampler::Exponential { mean } => -mean * libm::log(1.0 - rng.unit_f64()),
            Sampler::LogNormal { mu, sigma } => libm::exp(mu + sigma * standard_normal(rng)),
            Sampler::Pareto { scale, inv_shape } => {
                scale / libm::pow(1.0 - rng.unit_f64(), inv_shape)
            }
        };
        // Negative values (a truncated normal) become 0; NaN cannot occur but maps to 0 too.
        if ns.is_nan() || ns <= 0.0 {
            SimDuration::ZERO
        } else if ns >= MAX_DRAW.0 as f64 {
            MAX_DRAW
        } else {
            SimDuration(ns as u64)
        }
    }
}

/// The serde form: a string is a constant, a table is tagged by `dist`.
pub mod serde_form {
    use super::*;

    struct DistVisitor;

    impl<'de> Visitor<'de> for DistVisitor {
        type Value = Distribution;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a duration (\"1ms\") or a table with dist = uniform | normal | exponential | lognormal | pareto | mixture",
            )
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Distribution, E> {
            crate::config::parse_duration(v).map(Distribution::Constant).map_err(E::custom)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Distribution, A::Error> {
            Distribution::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }

    /// Deserializes either form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Distribution, D::Error> {
        d.deserialize_any(DistVisitor)
    }

    /// Serializes a constant as a string and the rest as tagged tables.
    pub fn serialize<S: Serializer>(dist: &Distribution, s: S) -> Result<S::Ok, S::Error> {
        match dist {
            Distribution::Constant(d) => d.serialize(s),
            other => other.serialize(s),
        }
    }

    /// The same for a boxed distribution (a mixture's components).
    pub mod boxed {
        use super::*;

        /// Deserializes either form into a box.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Distribution>, D::Error> {
            super::deserialize(d).map(Box::new)
        }

        /// Serializes the inner distribution.
        pub fn serialize<S: Serializer>(dist: &Distribution, s: S) -> Result<S::Ok, S::Error> {
            super::serialize(dist, s)
        }
    }

    /// The same for a table of named distributions (`[network.class_latency]`).
    pub mod map {
        use std::collections::BTreeMap;

        use super::*;

        /// One value of the table, in either form.
        #[derive(Deserialize)]
        #[serde(transparent)]
        struct Form(#[serde(deserialize_with = "super::deserialize")] Distribution);

        /// Deserializes name → distribution.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<BTreeMap<String, Distribution>, D::Error> {
            let table = BTreeMap::<String, Form>::deserialize(d)?;
            Ok(table.into_iter().map(|(k, Form(v))| (k, v)).collect())
        }

        /// Serializes name → distribution, constants as strings.
        pub fn serialize<S: Serializer>(
            table: &BTreeMap<String, Distribution>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(table.len()))?;
            /// A borrowed value, serialized in the short form.
            struct Ref<'a>(&'a Distribution);
            impl Serialize for Ref<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    super::serialize(self.0, s)
                }
            }
            for (k, v) in table {
                m.serialize_entry(k, &Ref(v))?;
            }
            m.end()
        }
    }

    /// The same for an optional distribution.
    pub mod option {
        use super::*;

        /// Deserializes `Some(distribution)`; absence is handled by `#[serde(default)]`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Distribution>, D::Error> {
            super::deserialize(d).map(Some)
        }

        /// Serializes the inner distribution (use with `skip_serializing_if = "Option::is_none"`).
        pub fn serialize<S: Serializer>(
            dist: &Option<Distribution>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match dist {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{RngRoot, Stream};

    fn mean_of(d: &Distribution, n: usize) -> f64 {
        let mut rng = RngRoot::new(3).stream(Stream::Network);
        (0..n).map(|_| d.sample(&mut rng).0 as f64).sum::<f64>() / n as f64
    }

    /// The first draws of [`lnkd_ssd`] on seed 1: mostly its Pareto (each ≥ 235 µs); the 28th
    /// and 30th are below 235 µs, which only the exponential draws.
    const PINNED: [u64; 30] = [
        265214, 247215, 265788, 237607, 305349, 425888, 270714, 258484, 499028, 236470, 242315,
        348653, 240843, 1864530, 255780, 417030, 267677, 471189, 237661, 239444, 253095, 307029,
        1287818, 237680, 245157, 245629, 244475, 202949, 247435, 211250,
    ];
    /// The first draws of its Pareto component alone on seed 1: the mixture's first draw
    /// (265214) is the second here, because the mixture's first `u64` picked the component.
    const PINNED_PARETO: [u64; 3] = [241084, 265214, 246209];

    #[test]
    fn sample_means_match_analytic_means() {
        let ms = SimDuration::from_millis;
        for d in [
            Distribution::Uniform { min: ms(1), max: ms(3) },
            Distribution::Normal { mean: ms(10), stddev: ms(1) },
            Distribution::Exponential { mean: ms(5) },
            Distribution::LogNormal { p50: ms(1), p99: ms(10) },
            Distribution::Pareto { scale: ms(1), shape: 3.0 },
        ] {
            let (got, want) = (mean_of(&d, 200_000), d.mean_ns());
            assert!((got - want).abs() / want < 0.02, "{d}: sample mean {got} vs {want}");
        }
    }

    #[test]
    fn lognormal_hits_its_percentiles() {
        let d = Distribution::LogNormal {
            p50: SimDuration::from_millis(1),
            p99: SimDuration::from_millis(10),
        };
        let mut rng = RngRoot::new(5).stream(Stream::Network);
        let mut v: Vec<u64> = (0..100_000).map(|_| d.sample(&mut rng).0).collect();
        v.sort_unstable();
        let p50 = v[50_000] as f64 / 1e6;
        let p99 = v[99_000] as f64 / 1e6;
        assert!((p50 - 1.0).abs() < 0.03, "p50 {p50}ms");
        assert!((p99 - 10.0).abs() < 0.6, "p99 {p99}ms");
    }

    /// `n` draws from `d` on the network stream of `seed`, in nanoseconds.
    fn draws(d: &Distribution, seed: u64, n: usize) -> Vec<u64> {
        let mut rng = RngRoot::new(seed).stream(Stream::Network);
        let sampler = d.sampler();
        (0..n).map(|_| sampler.sample(&mut rng).0).collect()
    }

    /// Draws per statistical check: enough that five standard errors are well under 1%.
    const N: usize = 200_000;

    /// How many standard errors a measured figure may stray from its closed form. The checks
    /// below compare (a) a sample mean, which by the central limit theorem is normal with
    /// standard error σ/√N when the variance σ² is finite, and (b) an empirical CDF, the share
    /// of N independent draws below x, a binomial proportion with standard error
    /// √(F(x)(1 - F(x))/N). A deviation past 5 standard errors has probability below 6·10⁻⁷;
    /// the seeds are fixed, so each check is deterministic and this bounds a false failure.
    const SE_TOLERANCE: f64 = 5.0;

    /// Asserts that the sample mean of `v` is within tolerance of `mean`, given the closed-form
    /// second moment `second_moment` (E[X²]); returns (measured, standard error).
    fn assert_mean(what: &str, v: &[u64], mean: f64, second_moment: f64) -> (f64, f64) {
        let n = v.len() as f64;
        let got = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let se = (second_moment - mean * mean).sqrt() / n.sqrt();
        // A draw is truncated to whole nanoseconds: at most 1 ns below its real value.
        let tolerance = SE_TOLERANCE * se + 1.0;
        assert!((got - mean).abs() <= tolerance, "{what}: mean {got} ns vs {mean} ns ± {se} (se)");
        (got, se)
    }

    /// Asserts that the share of `v` below `x` ns is within tolerance of `cdf` = F(x). Draws
    /// are floored to whole nanoseconds and `x` is whole, so `floor(X) < x` exactly when
    /// `X < x`: the share estimates F(x) with no rounding bias.
    fn assert_cdf(what: &str, v: &[u64], x: u64, cdf: f64) {
        let n = v.len() as f64;
        let got = v.iter().filter(|&&d| d < x).count() as f64 / n;
        let se = (cdf * (1.0 - cdf) / n).sqrt();
        assert!(
            (got - cdf).abs() <= SE_TOLERANCE * se,
            "{what}: P[X < {x} ns] = {got} vs {cdf} ± {se} (se)"
        );
    }

    /// Pareto with scale `s` and shape `a`: P[X < x] = 1 - (s/x)^a for x ≥ s.
    fn pareto_cdf(s: f64, a: f64, x: f64) -> f64 {
        if x < s { 0.0 } else { 1.0 - (s / x).powf(a) }
    }

    /// PBS's LNKD-SSD latency (Bailis et al., VLDB 2012): with p = 0.0878 an exponential of
    /// rate 1.66/ms (mean 1/1.66 ms ≈ 602410 ns), else a Pareto with x_m = 0.235 ms, α = 10.
    fn lnkd_ssd() -> Distribution {
        Distribution::Mixture {
            p: 0.0878,
            first: Box::new(Distribution::Exponential { mean: SimDuration(602_410) }),
            second: Box::new(Distribution::Pareto { scale: SimDuration(235_000), shape: 10.0 }),
        }
    }

    #[test]
    fn pareto_draws_match_the_closed_form_mean_and_quantiles() {
        let (s, a) = (235_000.0, 10.0);
        let d = Distribution::Pareto { scale: SimDuration(235_000), shape: a };
        let v = draws(&d, 11, N);
        // E[X] = s·a/(a - 1), E[X²] = s²·a/(a - 2) (finite for a > 2).
        let mean = s * a / (a - 1.0);
        assert_eq!(d.mean_ns(), mean);
        assert_mean("pareto", &v, mean, s * s * a / (a - 2.0));
        assert!(v.iter().all(|&x| x >= 235_000), "every draw is at least the scale");
        // The quantile q is s·(1 - q)^(-1/a); checked as F at that point, rounded to a whole ns.
        for q in [0.1f64, 0.5, 0.9, 0.99, 0.999] {
            let x = (s * (1.0 - q).powf(-1.0 / a)).round();
            assert_cdf(&format!("pareto q{q}"), &v, x as u64, pareto_cdf(s, a, x));
        }
    }

    #[test]
    fn a_mixture_matches_its_closed_form_mean_and_cdf() {
        let d = lnkd_ssd();
        let v = draws(&d, 12, N);
        let (p, m, s, a) = (0.0878, 602_410.0, 235_000.0, 10.0);
        // The mixture's moments are the weighted moments of its components: exponential
        // E[X] = m, E[X²] = 2m²; Pareto as above.
        let mean = p * m + (1.0 - p) * s * a / (a - 1.0);
        assert!((d.mean_ns() - mean).abs() < 1e-6, "{} vs {mean}", d.mean_ns());
        let second = p * 2.0 * m * m + (1.0 - p) * s * s * a / (a - 2.0);
        assert_mean("lnkd-ssd", &v, mean, second);
        // F(x) = p·(1 - e^(-x/m)) + (1 - p)·F_pareto(x): below the scale only the exponential
        // contributes, which pins p itself.
        let cdf = |x: f64| p * (1.0 - (-x / m).exp()) + (1.0 - p) * pareto_cdf(s, a, x);
        for x in [100_000u64, 235_000, 250_000, 300_000, 500_000, 1_000_000, 3_000_000] {
            assert_cdf("lnkd-ssd", &v, x, cdf(x as f64));
        }
    }

    #[test]
    fn nested_mixtures_weight_their_components() {
        let ms = SimDuration::from_millis;
        // 0.5 of 1 ms, 0.5·0.25 of 2 ms, 0.5·0.75 of 4 ms: mean 2.25 ms.
        let d = Distribution::Mixture {
            p: 0.5,
            first: Box::new(Distribution::Constant(ms(1))),
            second: Box::new(Distribution::Mixture {
                p: 0.25,
                first: Box::new(Distribution::Constant(ms(2))),
                second: Box::new(Distribution::Constant(ms(4))),
            }),
        };
        assert_eq!(d.mean_ns(), 2_250_000.0);
        let v = draws(&d, 13, N);
        for (x, cdf) in [(1_500_000, 0.5), (3_000_000, 0.625)] {
            assert_cdf("nested", &v, x, cdf);
        }
        assert!(v.iter().all(|&x| [1_000_000, 2_000_000, 4_000_000].contains(&x)));
    }

    #[test]
    fn the_same_seed_gives_the_same_draws_and_these_ones() {
        let d = lnkd_ssd();
        assert_eq!(draws(&d, 1, 1000), draws(&d, 1, 1000));
        assert_ne!(draws(&d, 1, 1000), draws(&d, 2, 1000));
        // Pinned: libm's pow and log and the integer choice give these nanoseconds on every
        // platform; a change here changes every run that uses a mixture.
        assert_eq!(draws(&d, 1, 30), PINNED);
        let pareto = Distribution::Pareto { scale: SimDuration(235_000), shape: 10.0 };
        assert_eq!(draws(&pareto, 1, 3), PINNED_PARETO);
    }

    #[test]
    fn a_mixture_at_p_0_or_1_is_its_one_component_draw_for_draw() {
        let exp = Distribution::Exponential { mean: SimDuration(602_410) };
        let par = Distribution::Pareto { scale: SimDuration(235_000), shape: 10.0 };
        let mix = |p| Distribution::Mixture {
            p,
            first: Box::new(exp.clone()),
            second: Box::new(par.clone()),
        };
        assert_eq!(draws(&mix(1.0), 4, 100), draws(&exp, 4, 100));
        assert_eq!(draws(&mix(0.0), 4, 100), draws(&par, 4, 100));
        assert_eq!(mix(0.0).mean_ns(), par.mean_ns());
    }

    #[test]
    fn a_mixture_round_trips_through_toml() {
        #[derive(Debug, PartialEq, Deserialize, Serialize)]
        struct W {
            #[serde(with = "serde_form")]
            latency: Distribution,
        }
        let text = r#"latency = { dist = "mixture", p = 0.0878, first = { dist = "exponential", mean = "602410ns" }, second = { dist = "pareto", scale = "235us", shape = 10 } }"#;
        let w: W = toml::from_str(text).unwrap();
        assert_eq!(w.latency, lnkd_ssd());
        let again: W = toml::from_str(&toml::to_string(&w).unwrap()).unwrap();
        assert_eq!(again, w);
        // A component may be a bare duration.
        let w: W = toml::from_str(
            r#"latency = { dist = "mixture", p = 0.5, first = "1ms", second = "3ms" }"#,
        )
        .unwrap();
        assert_eq!(w.latency.mean_ns(), 2e6);
        assert_eq!(
            w.latency.to_string(),
            "mixture(p 0.5: 1ms | 3ms)",
            "Display names the components"
        );
        let e = toml::from_str::<W>(r#"latency = { dist = "mixture", p = 0.5, first = "1ms" }"#)
            .unwrap_err();
        assert!(e.to_string().contains("second"), "{e}");
    }

    #[test]
    fn mixture_validation_names_the_key() {
        let ms = SimDuration::from_millis;
        let mix = |p, first, second| Distribution::Mixture {
            p,
            first: Box::new(first),
            second: Box::new(second),
        };
        let c = Distribution::Constant(ms(1));
        let key =
            |d: Distribution| d.validate("l").map_err(|e| (e.key().to_string(), e.to_string()));
        for p in [-0.1, 1.5, f64::NAN] {
            let (k, msg) = key(mix(p, c.clone(), c.clone())).unwrap_err();
            assert_eq!(k, "l.p");
            assert!(msg.contains("[0, 1]"), "{msg}");
        }
        assert!(key(mix(0.0, c.clone(), c.clone())).is_ok());
        assert!(key(mix(1.0, c.clone(), c.clone())).is_ok());
        let bad_pareto = Distribution::Pareto { scale: ms(1), shape: 0.0 };
        let inner = mix(0.5, c.clone(), bad_pareto);
        assert_eq!(key(mix(0.5, c.clone(), inner)).unwrap_err().0, "l.second.second.shape");
        let zero = Distribution::Pareto { scale: SimDuration::ZERO, shape: 1.0 };
        assert_eq!(key(mix(0.5, zero, c.clone())).unwrap_err().0, "l.first.scale");
        // MAX_MIXTURE_DEPTH mixtures nest; one more is refused at the innermost.
        let mut d = c.clone();
        for _ in 0..MAX_MIXTURE_DEPTH {
            d = mix(0.5, c.clone(), d);
        }
        assert!(key(d.clone()).is_ok());
        let (k, msg) = key(mix(0.5, c.clone(), d)).unwrap_err();
        assert_eq!(k, format!("l{}", ".second".repeat(MAX_MIXTURE_DEPTH)));
        assert!(msg.contains("at most 8 deep"), "{msg}");
    }

    #[test]
    fn validation_rejects_bad_parameters() {
        let ms = SimDuration::from_millis;
        assert!(Distribution::Pareto { scale: ms(1), shape: 0.0 }.validate("l").is_err());
        assert!(Distribution::Pareto { scale: ms(1), shape: -1.0 }.validate("l").is_err());
        assert!(Distribution::Uniform { min: ms(3), max: ms(1) }.validate("l").is_err());
        assert!(Distribution::LogNormal { p50: ms(3), p99: ms(1) }.validate("l").is_err());
        assert!(Distribution::Exponential { mean: ms(0) }.validate("l").is_err());
        assert!(Distribution::Normal { mean: ms(1), stddev: ms(1) }.validate("l").is_ok());
    }
}
