//! Latency distributions: what a message's one-way delay is drawn from.
//!
//! Serde form: a bare duration string is a constant (`latency = "1ms"`); otherwise a table
//! tagged by `dist`: `uniform {min, max}`, `normal {mean, stddev}` (truncated at 0),
//! `exponential {mean}`, `lognormal {p50, p99}`, `pareto {scale, shape}`. Every draw comes from
//! the caller's stream; normal draws come from a ziggurat (`ziggurat.rs`), and `ln`, `exp` and
//! `pow` from `libm`, so the same seed gives the same nanoseconds on every platform. Draws are
//! capped at [`MAX_DRAW`] so that a heavy tail (pareto with shape ≤ 1) cannot overflow
//! simulated time.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::config::{ConfigError, require_bounded};
use crate::rng::SimRng;
use crate::time::{NANOS_PER_SEC, SimDuration};
use crate::ziggurat::standard_normal;

/// The largest delay one draw can produce: one hour.
pub const MAX_DRAW: SimDuration = SimDuration(3600 * NANOS_PER_SEC);

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
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Constant(SimDuration::from_millis(1))
    }
}

impl Distribution {
    /// Checks the parameters; `key` names the field in errors.
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        // Every parameter at most a year (parsed values already are; configs built in code
        // are checked here), so the largest value a draw can take fits simulated time.
        let params: &[(&str, SimDuration)] = match self {
            Distribution::Constant(d) => &[("", *d)],
            Distribution::Uniform { min, max } => &[(".min", *min), (".max", *max)],
            Distribution::Normal { mean, stddev } => &[(".mean", *mean), (".stddev", *stddev)],
            Distribution::Exponential { mean } => &[(".mean", *mean)],
            Distribution::LogNormal { p50, p99 } => &[(".p50", *p50), (".p99", *p99)],
            Distribution::Pareto { scale, .. } => &[(".scale", *scale)],
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
        }
    }
}

/// A [`Distribution`] ready to draw from: the same draws, the same nanoseconds, with the
/// parameters' logarithms and ratios computed once instead of per draw.
#[derive(Clone, Copy, Debug, PartialEq)]
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
}

impl Sampler {
    /// Draws one value (see the module docs for the order of draws and the cap).
    pub(crate) fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ns = match *self {
            Sampler::Constant(d) => return d,
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
                "a duration (\"1ms\") or a table with dist = uniform | normal | exponential | lognormal | pareto",
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
