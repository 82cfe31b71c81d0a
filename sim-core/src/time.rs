//! Simulated time: integer nanoseconds, never floats.
//!
//! [`SimTime`] is an instant on the simulation's global timeline (what an outside observer
//! would read); [`SimDuration`] is a span. Both are plain `u64` nanoseconds so that every
//! comparison and sum on a decision path is exact and the same on every platform. Local
//! clocks (what a node reads) live in [`crate::clock`] and use [`LocalTime`].
//!
//! Adding a span to an instant saturates at [`SimTime::MAX`] ("never") rather than panicking:
//! an event that far out simply never happens before the run ends. Scenario files cannot get
//! near it anyway, since every duration they give is at most [`crate::config::MAX_DURATION`].
//! Subtracting a later instant from an earlier one is a broken kernel contract and panics.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per microsecond, millisecond and second.
pub const NANOS_PER_US: u64 = 1_000;
/// Nanoseconds per millisecond.
pub const NANOS_PER_MS: u64 = 1_000_000;
/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// A reading of a node's local clock, in nanoseconds. It may run ahead of or behind
/// [`SimTime`] (offset, drift, steps); a step backwards can even make it negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(pub i64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start of the run, for reports only (never on a decision path).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// This instant plus `d`, saturating at [`SimTime::MAX`] instead of wrapping.
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// True for the empty span.
    pub const fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// A span of `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// A span of `n` microseconds (saturating at `u64::MAX` nanoseconds).
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n.saturating_mul(NANOS_PER_US))
    }
    /// A span of `n` milliseconds (saturating at `u64::MAX` nanoseconds).
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n.saturating_mul(NANOS_PER_MS))
    }
    /// A span of `n` seconds (saturating at `u64::MAX` nanoseconds).
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n.saturating_mul(NANOS_PER_SEC))
    }
    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// The span in milliseconds, for reports only.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MS as f64
    }
    /// The span in seconds, for reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`]: an instant past the end of representable time is "never".
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.checked_sub(earlier.0).expect("subtracted a later SimTime"))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
}

impl From<std::time::Duration> for SimDuration {
    fn from(d: std::time::Duration) -> Self {
        SimDuration(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl From<SimDuration> for std::time::Duration {
    fn from(d: SimDuration) -> Self {
        std::time::Duration::from_nanos(d.0)
    }
}

impl fmt::Display for SimTime {
    /// Seconds with nanosecond precision, e.g. `12.000340500s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}s", self.0 / NANOS_PER_SEC, self.0 % NANOS_PER_SEC)
    }
}

impl fmt::Display for SimDuration {
    /// The shortest exact human form, as the scenario files write it (`150ms`, `2s`, `1s 500ms`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        write!(f, "{}", humantime::format_duration(std::time::Duration::from_nanos(self.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_exact() {
        assert_eq!(SimTime(1_500_000_001).to_string(), "1.500000001s");
        assert_eq!(SimDuration::from_millis(150).to_string(), "150ms");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn saturating_ops() {
        assert_eq!(SimTime::MAX.saturating_add(SimDuration(5)), SimTime::MAX);
        assert_eq!(SimTime(u64::MAX - 1) + SimDuration(u64::MAX), SimTime::MAX);
        let mut t = SimTime(u64::MAX - 3);
        t += SimDuration(10);
        assert_eq!(t, SimTime::MAX);
        assert_eq!(SimDuration::from_secs(u64::MAX), SimDuration(u64::MAX));
        assert_eq!(SimTime(3).saturating_since(SimTime(5)), SimDuration::ZERO);
    }
}
