//! `[cache]`: the eviction policy, the capacity, the tier's shape and the request stream. One
//! struct, parsed with unknown keys rejected and validated once; and one list,
//! [`PARAMETERS`], that `faultline list` prints.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded};

use crate::{Capacity, PolicyKind};

/// An eviction policy as scenario files name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyName {
    /// Least recently used.
    #[default]
    Lru,
    /// First in, first out.
    Fifo,
    /// CLOCK (second chance).
    Clock,
    /// Least frequently used, ties by least recently used.
    Lfu,
    /// Window TinyLFU, as Caffeine does it.
    #[serde(rename = "w-tinylfu")]
    WTinyLfu,
    /// Belady's optimum: needs a trace (it reads each request's next use).
    Belady,
}

impl PolicyName {
    /// The policy it names.
    pub fn kind(self) -> PolicyKind {
        match self {
            PolicyName::Lru => PolicyKind::Lru,
            PolicyName::Fifo => PolicyKind::Fifo,
            PolicyName::Clock => PolicyKind::Clock,
            PolicyName::Lfu => PolicyKind::Lfu,
            PolicyName::WTinyLfu => PolicyKind::WTinyLfu,
            PolicyName::Belady => PolicyKind::Belady,
        }
    }
}

/// `capacity`: an integer counts objects; a string with a unit counts bytes (`"128MiB"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CapacitySpec {
    /// Objects, whatever their sizes.
    Entries(u64),
    /// Bytes: a number and a unit, `B`, `KiB`, `MiB`, `GiB` (powers of 1024) or `KB`, `MB`,
    /// `GB` (powers of 1000).
    Bytes(String),
}

impl Default for CapacitySpec {
    fn default() -> Self {
        CapacitySpec::Entries(1000)
    }
}

impl CapacitySpec {
    /// The capacity it describes, or why it describes none.
    pub fn capacity(&self) -> Result<Capacity, ConfigError> {
        const KEY: &str = "cache.capacity";
        match self {
            CapacitySpec::Entries(0) => Err(ConfigError::out_of_range(KEY, 0, "at least 1")),
            CapacitySpec::Entries(n) => Ok(Capacity::Entries(*n)),
            CapacitySpec::Bytes(text) => {
                let bad = || {
                    ConfigError::invalid(
                        KEY,
                        format!(
                            "`{text}` is not a size: write a number and B, KiB, MiB, GiB, KB, MB or GB (\"128MiB\"), or an integer count of objects"
                        ),
                    )
                };
                let t = text.trim();
                let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
                let (number, unit) = t.split_at(split);
                let number: u64 = number.parse().map_err(|_| bad())?;
                let scale: u64 = match unit.trim() {
                    "B" => 1,
                    "KiB" => 1 << 10,
                    "MiB" => 1 << 20,
                    "GiB" => 1 << 30,
                    "KB" => 1_000,
                    "MB" => 1_000_000,
                    "GB" => 1_000_000_000,
                    _ => return Err(bad()),
                };
                match number.checked_mul(scale) {
                    Some(0) => Err(ConfigError::out_of_range(KEY, text, "at least 1 byte")),
                    Some(bytes) => Ok(Capacity::Bytes(bytes)),
                    None => Err(ConfigError::out_of_range(KEY, text, "at most 2^64 - 1 bytes")),
                }
            }
        }
    }
}

fn default_cache_nodes() -> u32 {
    1
}

/// `[cache]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// The eviction policy of every cache node; default `"lru"`.
    #[serde(default)]
    pub policy: PolicyName,
    /// Each cache node's capacity; default 1000 objects.
    #[serde(default)]
    pub capacity: CapacitySpec,
    /// Cache nodes `cache1..cacheK`, keys spread over them by a consistent-hash ring; default 1.
    #[serde(default = "default_cache_nodes")]
    pub cache_nodes: u32,
    /// A trace to replay (CSV `time,key,size`), relative to the scenario file's folder: one
    /// client sends its requests one at a time, in file order. Without one, clients draw
    /// independent requests from a Zipf catalogue (the keys below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Replay the trace at its timestamps instead, this many times faster than real time (the
    /// trace's seconds divided by it; 1 is real time): requests go out when their time comes,
    /// whether or not earlier ones were answered. Default: one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_speed: Option<f64>,
    /// The catalogue: objects `0..objects`, ranked by popularity; default 10,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<u64>,
    /// The Zipf exponent `s` of the catalogue's popularity (object `i` is requested with
    /// probability proportional to `(i + 1)^-s`; 0 is uniform); default 0.8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf: Option<f64>,
    /// Every object's size in bytes; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size: Option<u64>,
    /// Requests per simulated second, all clients together (Poisson arrivals); default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Clients `c1..cK`; default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u32>,
    /// Requests sent before this are not counted in the hit and miss figures (the cache fills
    /// up meanwhile); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<SimDuration>,
}

/// The Zipf workload's settings, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZipfWorkload {
    /// Objects in the catalogue.
    pub objects: u64,
    /// The exponent.
    pub zipf: f64,
    /// Every object's size in bytes.
    pub object_size: u64,
    /// Requests per second, all clients together.
    pub rate: f64,
    /// Clients.
    pub clients: u32,
    /// Requests sent before this are not counted.
    pub warmup: SimDuration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            policy: PolicyName::default(),
            capacity: CapacitySpec::default(),
            cache_nodes: default_cache_nodes(),
            trace: None,
            trace_speed: None,
            objects: None,
            zipf: None,
            object_size: None,
            rate: None,
            clients: None,
            warmup: None,
        }
    }
}

impl CacheConfig {
    /// The Zipf workload's settings, with their defaults.
    pub fn zipf_workload(&self) -> ZipfWorkload {
        ZipfWorkload {
            objects: self.objects.unwrap_or(10_000),
            zipf: self.zipf.unwrap_or(0.8),
            object_size: self.object_size.unwrap_or(1),
            rate: self.rate.unwrap_or(1000.0),
            clients: self.clients.unwrap_or(4),
            warmup: self.warmup.unwrap_or(SimDuration::ZERO),
        }
    }

    /// Checks every value; errors name the dotted key, as a scenario file spells it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.capacity.capacity()?;
        if !(1..=1000).contains(&self.cache_nodes) {
            return Err(ConfigError::out_of_range(
                "cache.cache_nodes",
                self.cache_nodes,
                "1..=1000",
            ));
        }
        if let Some(speed) = self.trace_speed {
            if self.trace.is_none() {
                return Err(ConfigError::invalid(
                    "cache.trace_speed",
                    "replays `cache.trace`: set one",
                ));
            }
            if !(speed.is_finite() && speed > 0.0 && speed <= 1e9) {
                return Err(ConfigError::out_of_range(
                    "cache.trace_speed",
                    speed,
                    "0 < speed ≤ 10^9",
                ));
            }
        }
        if self.trace.is_some() {
            let set = [
                ("objects", self.objects.is_some()),
                ("zipf", self.zipf.is_some()),
                ("object_size", self.object_size.is_some()),
                ("rate", self.rate.is_some()),
                ("clients", self.clients.is_some()),
            ];
            if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                return Err(ConfigError::invalid(
                    &format!("cache.{key}"),
                    "describes the Zipf workload, but the run replays `cache.trace`: remove one",
                ));
            }
        } else {
            let w = self.zipf_workload();
            if !(1..=100_000_000).contains(&w.objects) {
                return Err(ConfigError::out_of_range("cache.objects", w.objects, "1..=10^8"));
            }
            if !(w.zipf.is_finite() && (0.0..=10.0).contains(&w.zipf)) {
                return Err(ConfigError::out_of_range("cache.zipf", w.zipf, "0..=10"));
            }
            if w.object_size == 0 {
                return Err(ConfigError::out_of_range("cache.object_size", 0, "at least 1 byte"));
            }
            if !(w.rate.is_finite() && w.rate > 0.0 && w.rate <= 1e7) {
                return Err(ConfigError::out_of_range("cache.rate", w.rate, "0 < rate ≤ 10^7"));
            }
            if !(1..=10_000).contains(&w.clients) {
                return Err(ConfigError::out_of_range("cache.clients", w.clients, "1..=10000"));
            }
            require_bounded("cache.warmup", w.warmup)?;
        }
        if self.policy == PolicyName::Belady && self.trace.is_none() {
            return Err(ConfigError::invalid(
                "cache.policy",
                "\"belady\" reads each request's next use, which only a trace knows: set cache.trace",
            ));
        }
        Ok(())
    }
}

/// The `[cache]` keys with their defaults and allowed values, as `faultline list` prints them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "policy",
        about: "\"lru\" | \"fifo\" | \"clock\" | \"lfu\" | \"w-tinylfu\" | \"belady\" (trace only): eviction",
    },
    Parameter {
        key: "capacity",
        about: "1000: per cache node, objects (an integer) or bytes (\"128MiB\", \"1GB\")",
    },
    Parameter {
        key: "cache_nodes",
        about: "1: cache nodes cache1..cacheK on a hash ring (1..=1000)",
    },
    Parameter {
        key: "trace",
        about: "none: a CSV trace (time,key,size) to replay one request at a time, relative to the scenario file",
    },
    Parameter {
        key: "trace_speed",
        about: "none (one request at a time) | a factor: replay at the trace's timestamps, this many times faster",
    },
    Parameter { key: "objects", about: "10000: the Zipf catalogue's objects (without a trace)" },
    Parameter { key: "zipf", about: "0.8: the catalogue's Zipf exponent (0 = uniform)" },
    Parameter { key: "object_size", about: "1: every object's size in bytes" },
    Parameter { key: "rate", about: "1000: requests per second, all clients (Poisson arrivals)" },
    Parameter { key: "clients", about: "4: clients c1..cK drawing independent requests" },
    Parameter {
        key: "warmup",
        about: "\"0s\": requests sent before it are not counted in hits and misses",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capacity_is_objects_or_bytes_with_a_unit() {
        let bytes = |s: &str| CapacitySpec::Bytes(s.into()).capacity();
        assert_eq!(bytes("128MiB").unwrap(), Capacity::Bytes(128 << 20));
        assert_eq!(bytes("1GB").unwrap(), Capacity::Bytes(1_000_000_000));
        assert_eq!(CapacitySpec::Entries(5).capacity().unwrap(), Capacity::Entries(5));
        for bad in ["", "MiB", "12 parsecs", "0B", "99999999999GiB"] {
            let e = bytes(bad).unwrap_err();
            assert_eq!(e.key(), "cache.capacity", "{bad}: {e}");
        }
        assert!(CapacitySpec::Entries(0).capacity().is_err());
    }
}
