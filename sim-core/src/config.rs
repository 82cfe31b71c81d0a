//! The value types every scenario shares, with their serde forms, and the error for bad ones.
//!
//! Durations are strings parsed by `humantime` (`"150ms"`, `"2s"`, `"1m 30s"`); signed
//! durations may start with `-` (`"-50ms"`); ranges are `"150ms..300ms"` (inclusive, low ≤
//! high; a single duration is the one-value range); bandwidth is `"100Mbps"` (`bps`, `Kbps`,
//! `Mbps`, `Gbps`, decimal SI prefixes); node selectors are a node name (`"n3"`, `"c1"`),
//! `"leader"`, `"random"` or `"minority"`. Whether a value is allowed where it appears (a zero
//! duration, a selector naming a node that does not exist) is checked by `validate` methods
//! that return a [`ConfigError`] naming the key and what is allowed.
//!
//! Every duration is at most [`MAX_DURATION`] (one year of simulated time), checked where it is
//! parsed, so that the error carries the file position, and again by the `validate` methods for
//! configs built in code. A run adds a handful of such values at a time (a fault's start, its
//! duration, a restart delay, a latency, a clock offset); with each below a year, every such
//! sum stays far below `u64::MAX` nanoseconds (584 years) and `i64::MAX` (292 years, local
//! clocks), so no value a file can hold overflows simulated time.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::rng::Probability;
use crate::time::{NANOS_PER_SEC, SimDuration};

/// The longest duration any key accepts: one year of simulated time (365.25 days, which is
/// what `humantime` calls `1year`).
pub const MAX_DURATION: SimDuration = SimDuration(31_557_600 * NANOS_PER_SEC);

/// [`MAX_DURATION`] in words, for error messages.
pub const MAX_DURATION_TEXT: &str = "at most 1year (8766h)";

/// A bad configuration value: names the key and says what is allowed. Never a panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value outside its valid range.
    #[error("`{key}` = {value} is out of range: allowed {allowed}")]
    OutOfRange {
        /// The dotted key, e.g. `network.loss`.
        key: String,
        /// The value as written.
        value: String,
        /// The valid range, in words.
        allowed: String,
    },
    /// A node name that the cluster does not have.
    #[error("`{key}` names unknown node `{name}`: the nodes are {allowed}")]
    UnknownNode {
        /// The dotted key.
        key: String,
        /// The name as written.
        name: String,
        /// The names that exist, in words (e.g. `n1..n5, c1..c4`).
        allowed: String,
    },
    /// A value that cannot be used for another reason.
    #[error("`{key}`: {reason}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl ConfigError {
    /// Shorthand for [`ConfigError::OutOfRange`].
    pub fn out_of_range(key: &str, value: impl fmt::Display, allowed: &str) -> Self {
        ConfigError::OutOfRange {
            key: key.to_string(),
            value: value.to_string(),
            allowed: allowed.to_string(),
        }
    }

    /// Shorthand for [`ConfigError::Invalid`].
    pub fn invalid(key: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { key: key.to_string(), reason: reason.into() }
    }

    /// The dotted key this error is about.
    pub fn key(&self) -> &str {
        match self {
            ConfigError::OutOfRange { key, .. }
            | ConfigError::UnknownNode { key, .. }
            | ConfigError::Invalid { key, .. } => key,
        }
    }
}

/// Checks that a duration is strictly positive.
pub fn require_positive(key: &str, d: SimDuration) -> Result<(), ConfigError> {
    if d == SimDuration::ZERO {
        return Err(ConfigError::out_of_range(key, d, "a duration > 0"));
    }
    Ok(())
}

/// Checks that a duration is at most [`MAX_DURATION`].
pub fn require_bounded(key: &str, d: SimDuration) -> Result<(), ConfigError> {
    if d > MAX_DURATION {
        return Err(ConfigError::out_of_range(key, d, &format!("a duration {MAX_DURATION_TEXT}")));
    }
    Ok(())
}

/// Converts a probability written in a scenario into its integer threshold.
pub fn probability(key: &str, p: f64) -> Result<Probability, ConfigError> {
    Probability::new(p).ok_or_else(|| ConfigError::out_of_range(key, p, "a probability in [0, 1)"))
}

/// Parses an unsigned duration string such as `"150ms"`; at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!("`{s}` is negative: a duration here must be ≥ 0"));
    }
    let d = humantime::parse_duration(t).map(SimDuration::from).map_err(|e| {
        format!("`{s}` is not a duration ({e}); write a number and a unit: ns, us, ms, s, m, h")
    })?;
    if d > MAX_DURATION {
        return Err(format!("`{s}` is out of range: allowed a duration {MAX_DURATION_TEXT}"));
    }
    Ok(d)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = SimDuration;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string such as \"150ms\" or \"2s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SimDuration, E> {
        parse_duration(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DurationVisitor)
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A duration that may be negative (a clock step backwards): nanoseconds as `i64`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedDuration(pub i64);

impl SignedDuration {
    /// Parses `"-50ms"`, `"+1s"` or `"1s"`.
    pub fn parse(s: &str) -> Result<SignedDuration, String> {
        let t = s.trim();
        let (neg, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let d = parse_duration(rest).map_err(|e| {
            if e.contains("out of range") {
                format!("`{s}` is out of range: allowed a signed duration {MAX_DURATION_TEXT} either way")
            } else {
                format!("`{s}` is not a signed duration; write e.g. \"-50ms\" or \"2s\"")
            }
        })?;
        // At most a year, so it fits in i64 nanoseconds.
        let n = d.0 as i64;
        Ok(SignedDuration(if neg { -n } else { n }))
    }
}

impl fmt::Display for SignedDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        SimDuration(self.0.unsigned_abs()).fmt(f)
    }
}

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SignedDuration::parse(&s).map_err(de::Error::custom)
    }
}

impl Serialize for SignedDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An inclusive range of durations, `"150ms..300ms"`; `lo ≤ hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DurationRange {
    /// The smallest value, inclusive.
    pub lo: SimDuration,
    /// The largest value, inclusive.
    pub hi: SimDuration,
}

impl DurationRange {
    /// Parses `"150ms..300ms"` or a single duration. An inverted range is an error.
    pub fn parse(s: &str) -> Result<DurationRange, String> {
        let (lo, hi) = match s.split_once("..") {
            Some((a, b)) => (parse_duration(a)?, parse_duration(b.trim_start_matches('='))?),
            None => {
                let d = parse_duration(s)?;
                (d, d)
            }
        };
        if lo > hi {
            return Err(format!("`{s}` is an inverted range: write low..high with low ≤ high"));
        }
        Ok(DurationRange { lo, hi })
    }
}

impl fmt::Display for DurationRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.lo, self.hi)
    }
}

impl<'de> Deserialize<'de> for DurationRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DurationRange::parse(&s).map_err(de::Error::custom)
    }
}

impl Serialize for DurationRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Link bandwidth in bits per second, written `"100Mbps"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth {
    /// Bits per second, > 0.
    pub bits_per_sec: u64,
}

impl Bandwidth {
    /// Parses `"1Gbps"`, `"250Mbps"`, `"64Kbps"`, `"9600bps"` (decimal prefixes; the number may
    /// have a fraction, e.g. `"1.5Gbps"`).
    pub fn parse(s: &str) -> Result<Bandwidth, String> {
        let t = s.trim();
        let err =
            || format!("`{s}` is not a bandwidth; write e.g. \"1Gbps\", \"100Mbps\", \"64Kbps\"");
        let (num, mult) =
            [("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3), ("kbps", 1e3), ("bps", 1.0)]
                .iter()
                .find_map(|(unit, m)| t.strip_suffix(unit).map(|n| (n.trim(), *m)))
                .ok_or_else(err)?;
        let value: f64 = num.parse().map_err(|_| err())?;
        let bits = value * mult;
        if !(1.0..1e18).contains(&bits) {
            return Err(format!("`{s}` is out of range: allowed 1bps up to 1000000Tbps"));
        }
        Ok(Bandwidth { bits_per_sec: bits.round() as u64 })
    }

    /// Nanoseconds to put `bytes` on the wire, rounded up.
    pub fn transmit_time(self, bytes: u64) -> SimDuration {
        let bits = bytes as u128 * 8 * 1_000_000_000;
        SimDuration(bits.div_ceil(self.bits_per_sec as u128) as u64)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}bps", self.bits_per_sec)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Bandwidth::parse(&s).map_err(de::Error::custom)
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which node(s) a fault targets; resolved when the fault happens, never earlier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// One node by name (`n3`, `c1`).
    Named(String),
    /// The node the protocol reports as leading now, highest term first.
    Leader,
    /// A server that is up, chosen uniformly from the `faults` stream: among every server
    /// (`random`) or one group's (`random:cache`).
    Random(Option<String>),
    /// A random minority (`(n - 1) / 2` of `n`) of the servers (`minority`) or of one group's
    /// (`minority:monitor`); only for `isolate`.
    Minority(Option<String>),
    /// The node whose protocol event triggered the fault (`trigger`; faults with `on` only).
    Trigger,
    /// An absent server (one that has not joined yet, or left), chosen uniformly from the
    /// `faults` stream: among every server (`absent`) or one group's (`absent:cache`); for
    /// `join`.
    Absent(Option<String>),
}

impl Selector {
    /// Parses a selector string.
    pub fn parse(s: &str) -> Selector {
        let group = |g: &str| (!g.is_empty()).then(|| g.to_string());
        match s.split_once(':') {
            Some(("random", g)) => Selector::Random(group(g)),
            Some(("minority", g)) => Selector::Minority(group(g)),
            Some(("absent", g)) => Selector::Absent(group(g)),
            _ => match s {
                "leader" => Selector::Leader,
                "trigger" => Selector::Trigger,
                "random" => Selector::Random(None),
                "minority" => Selector::Minority(None),
                "absent" => Selector::Absent(None),
                name => Selector::Named(name.to_string()),
            },
        }
    }

    /// The group the selector picks within, if it names one.
    pub fn group(&self) -> Option<&str> {
        match self {
            Selector::Random(g) | Selector::Minority(g) | Selector::Absent(g) => g.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Named(n) => f.write_str(n),
            Selector::Leader => f.write_str("leader"),
            Selector::Trigger => f.write_str("trigger"),
            Selector::Random(None) => f.write_str("random"),
            Selector::Random(Some(g)) => write!(f, "random:{g}"),
            Selector::Minority(None) => f.write_str("minority"),
            Selector::Minority(Some(g)) => write!(f, "minority:{g}"),
            Selector::Absent(None) => f.write_str("absent"),
            Selector::Absent(Some(g)) => write!(f, "absent:{g}"),
        }
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Selector::parse(&s))
    }
}

impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Deserializes a probability field and rejects values outside `[0, 1)` at parse time, so the
/// error carries the file position. Used with `#[serde(deserialize_with = …)]`.
pub fn de_probability<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let p = f64::deserialize(d)?;
    if Probability::new(p).is_none() {
        return Err(de::Error::custom(format!(
            "{p} is out of range: allowed a probability in [0, 1)"
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("150ms"), Ok(SimDuration::from_millis(150)));
        assert_eq!(parse_duration("2s"), Ok(SimDuration::from_secs(2)));
        assert!(parse_duration("-5ms").unwrap_err().contains("negative"));
        assert!(parse_duration("fast").is_err());
        assert_eq!(SignedDuration::parse("-50ms"), Ok(SignedDuration(-50_000_000)));
        assert_eq!(SignedDuration(-50_000_000).to_string(), "-50ms");
    }

    #[test]
    fn durations_stop_at_one_year() {
        assert_eq!(parse_duration("1year"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("8766h"), Ok(MAX_DURATION));
        assert!(parse_duration("8766h 1ns").unwrap_err().contains("at most 1year"));
        assert!(parse_duration("5000000h").unwrap_err().contains("out of range"));
        assert!(parse_duration("99999999999999999999999s").is_err());
        assert!(SignedDuration::parse("-8767h").unwrap_err().contains("either way"));
        assert_eq!(SignedDuration::parse("-8766h"), Ok(SignedDuration(-(MAX_DURATION.0 as i64))));
        assert!(DurationRange::parse("1s..2year").unwrap_err().contains("out of range"));
        assert!(require_bounded("k", SimDuration(MAX_DURATION.0 + 1)).is_err());
    }

    #[test]
    fn ranges_reject_inversion() {
        let r = DurationRange::parse("150ms..300ms").unwrap();
        assert_eq!((r.lo, r.hi), (SimDuration::from_millis(150), SimDuration::from_millis(300)));
        assert_eq!(DurationRange::parse("150ms..150ms").unwrap().lo, r.lo);
        assert!(DurationRange::parse("300ms..150ms").unwrap_err().contains("inverted"));
        assert_eq!(r.to_string(), "150ms..300ms");
    }

    #[test]
    fn bandwidth() {
        let b = Bandwidth::parse("1Gbps").unwrap();
        assert_eq!(b.bits_per_sec, 1_000_000_000);
        assert_eq!(b.transmit_time(125), SimDuration(1000));
        assert!(Bandwidth::parse("fast").is_err());
        assert!(Bandwidth::parse("0bps").is_err());
    }
}
