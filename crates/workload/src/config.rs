//! `[workload]`: how many clients, how much load, which operations on which keys.

use serde::{Deserialize, Serialize};
use sim_core::config::ConfigError;
use sim_core::{SimDuration, SimRng};

/// Key popularity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDistribution {
    /// Every key equally likely.
    Uniform,
    /// Zipf with exponent `s` > 0: key `k` (from 0) has weight `1/(k+1)^s`.
    Zipf(f64),
}

impl KeyDistribution {
    /// Parses `"uniform"` or `"zipf:S"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.strip_prefix("zipf:") {
            None if s == "uniform" => Ok(KeyDistribution::Uniform),
            Some(exp) => match exp.parse::<f64>() {
                Ok(e) if e > 0.0 && e.is_finite() => Ok(KeyDistribution::Zipf(e)),
                _ => {
                    Err(format!("`{s}`: the Zipf exponent must be a number > 0, e.g. \"zipf:1.1\""))
                }
            },
            None => {
                Err(format!("`{s}` is not a key distribution: allowed \"uniform\" or \"zipf:S\""))
            }
        }
    }
}

impl std::fmt::Display for KeyDistribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyDistribution::Uniform => f.write_str("uniform"),
            KeyDistribution::Zipf(s) => write!(f, "zipf:{s}"),
        }
    }
}

impl<'de> Deserialize<'de> for KeyDistribution {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KeyDistribution::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for KeyDistribution {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn default_clients() -> u32 {
    4
}
fn default_read_ratio() -> f64 {
    0.5
}
fn default_keys() -> u64 {
    16
}
fn default_timeout() -> SimDuration {
    SimDuration::from_secs(1)
}

/// `[workload]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// Simulated clients `c1..cK`; default 4.
    #[serde(default = "default_clients")]
    pub clients: u32,
    /// Open loop: operations per simulated second, all clients together (Poisson). Default
    /// 100 when `concurrency` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Closed loop: operations in flight per client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Share of reads, in [0, 1]; default 0.5.
    #[serde(default = "default_read_ratio")]
    pub read_ratio: f64,
    /// Share of compare-and-sets, in [0, 1]; reads + cas ≤ 1, the rest are writes. Default 0.
    #[serde(default)]
    pub cas_ratio: f64,
    /// Number of keys; default 16.
    #[serde(default = "default_keys")]
    pub keys: u64,
    /// `"uniform"` (default) or `"zipf:S"`.
    #[serde(default = "uniform")]
    pub key_dist: KeyDistribution,
    /// Per-operation timeout; default 1s.
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// Keys are retired after about this many operations each and replaced by fresh ones
    /// (Jepsen's independent keys), so each key's history stays short enough to check however
    /// long the run; default 200, 0 = never retire.
    #[serde(default = "default_ops_per_key")]
    pub ops_per_key: u64,
    /// Open loop: most operations one client has in flight; an arrival that finds them all
    /// busy is shed (counted in `ops.shed`, never invoked), as a client's worker pool would.
    /// Bounds how many indeterminate operations an outage can pile up. Default 16, 1..=10000.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: u32,
}

fn default_max_in_flight() -> u32 {
    16
}

fn default_ops_per_key() -> u64 {
    200
}

fn uniform() -> KeyDistribution {
    KeyDistribution::Uniform
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            clients: default_clients(),
            rate: None,
            concurrency: None,
            read_ratio: default_read_ratio(),
            cas_ratio: 0.0,
            keys: default_keys(),
            key_dist: KeyDistribution::Uniform,
            timeout: default_timeout(),
            ops_per_key: default_ops_per_key(),
            max_in_flight: default_max_in_flight(),
        }
    }
}

/// The load shape, resolved from `rate` / `concurrency`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    /// Poisson arrivals at this many operations per second per client.
    Open {
        /// Per client.
        per_client_rate: f64,
    },
    /// This many operations in flight per client.
    Closed {
        /// Per client.
        concurrency: u32,
    },
}

impl WorkloadConfig {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.clients > sim_core::topology::MAX_CLIENTS {
            return Err(ConfigError::out_of_range("workload.clients", self.clients, "0..=100000"));
        }
        match (self.rate, self.concurrency) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    "workload",
                    "give `rate` (open loop) or `concurrency` (closed loop), not both",
                ));
            }
            (Some(r), None) if !(r > 0.0 && r <= 1e7) => {
                return Err(ConfigError::out_of_range(
                    "workload.rate",
                    r,
                    "0 < rate ≤ 10000000 operations per second",
                ));
            }
            (None, Some(c)) if !(1..=10_000).contains(&c) => {
                return Err(ConfigError::out_of_range(
                    "workload.concurrency",
                    c,
                    "1..=10000 per client",
                ));
            }
            _ => {}
        }
        for (key, v) in
            [("workload.read_ratio", self.read_ratio), ("workload.cas_ratio", self.cas_ratio)]
        {
            if !(0.0..=1.0).contains(&v) {
                return Err(ConfigError::out_of_range(key, v, "a share in [0, 1]"));
            }
        }
        if self.read_ratio + self.cas_ratio > 1.0 + 1e-12 {
            return Err(ConfigError::invalid(
                "workload.cas_ratio",
                format!(
                    "read_ratio + cas_ratio = {} > 1: the rest are writes",
                    self.read_ratio + self.cas_ratio
                ),
            ));
        }
        if !(1..=10_000).contains(&self.max_in_flight) {
            return Err(ConfigError::out_of_range(
                "workload.max_in_flight",
                self.max_in_flight,
                "1..=10000",
            ));
        }
        if !(1..=1_000_000_000).contains(&self.keys) {
            return Err(ConfigError::out_of_range("workload.keys", self.keys, "1..=1000000000"));
        }
        sim_core::config::require_positive("workload.timeout", self.timeout)
    }

    /// How long a generation of keys lives: `ops_per_key` operations per key at the expected
    /// rate (`rate` for an open loop; 100 operations per second per process for a closed one).
    /// `None`: keys never retire.
    pub fn key_period(&self) -> Option<SimDuration> {
        if self.ops_per_key == 0 {
            return None;
        }
        let rate = match self.load() {
            Load::Open { per_client_rate } => per_client_rate * self.clients as f64,
            Load::Closed { concurrency } => 100.0 * (concurrency * self.clients) as f64,
        };
        let secs = self.ops_per_key as f64 * self.keys as f64 / rate.max(1e-9);
        Some(SimDuration((secs * 1e9).clamp(1e6, 1e15) as u64))
    }

    /// The load shape (default: open loop at 100 operations per second in all).
    pub fn load(&self) -> Load {
        match (self.rate, self.concurrency) {
            (_, Some(c)) => Load::Closed { concurrency: c },
            (r, None) => {
                Load::Open { per_client_rate: r.unwrap_or(100.0) / self.clients.max(1) as f64 }
            }
        }
    }
}

/// Draws keys from a distribution over `0..n` (Zipf by inverting a precomputed CDF).
#[derive(Clone, Debug)]
pub struct KeyPicker {
    n: u64,
    /// Cumulative weights for Zipf, scaled to `u64`; empty for uniform.
    cdf: Vec<u64>,
}

impl KeyPicker {
    /// A picker over `0..n`.
    pub fn new(n: u64, dist: KeyDistribution) -> Self {
        let cdf = match dist {
            KeyDistribution::Uniform => Vec::new(),
            KeyDistribution::Zipf(s) => {
                let weights: Vec<f64> =
                    (1..=n.min(1_000_000)).map(|k| 1.0 / libm::pow(k as f64, s)).collect();
                let total: f64 = weights.iter().sum();
                let mut acc = 0.0;
                weights
                    .iter()
                    .map(|w| {
                        acc += w;
                        ((acc / total) * u64::MAX as f64) as u64
                    })
                    .collect()
            }
        };
        KeyPicker { n, cdf }
    }

    /// One key.
    pub fn pick(&self, rng: &mut SimRng) -> u64 {
        if self.cdf.is_empty() {
            return rng.below(self.n);
        }
        let x = rng.next_u64();
        self.cdf.partition_point(|&c| c < x).min(self.cdf.len() - 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let bad = |s: &str| {
            toml::from_str::<WorkloadConfig>(s)
                .map_err(|e| e.to_string())
                .and_then(|c| c.validate().map_err(|e| e.to_string()))
        };
        assert!(bad("rate = 10\nconcurrency = 2").unwrap_err().contains("not both"));
        assert!(bad("read_ratio = 0.7\ncas_ratio = 0.5").unwrap_err().contains("> 1"));
        assert!(bad("key_dist = \"zipf:0\"").unwrap_err().contains("> 0"));
        assert!(bad("timeout = \"0s\"").unwrap_err().contains("> 0"));
        assert!(bad("keys = 0").is_err());
        assert!(bad("rate = 500\nkey_dist = \"zipf:1.2\"").is_ok());
    }

    #[test]
    fn zipf_prefers_low_keys() {
        let p = KeyPicker::new(100, KeyDistribution::Zipf(1.2));
        let mut rng = sim_core::RngRoot::new(1).stream(sim_core::Stream::Workload);
        let mut counts = [0u32; 100];
        for _ in 0..100_000 {
            counts[p.pick(&mut rng) as usize] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[99]);
    }
}
