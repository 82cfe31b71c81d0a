//! The fixed-timeout heartbeat detector: a node is suspected once more than `misses` heartbeat
//! intervals have passed, on the monitor's local clock, since its last heartbeat arrived.
//!
//! It is the detector most systems start with (a lease or session timeout is the same rule),
//! and the baseline the phi accrual detector is compared with: it ignores how regular the
//! heartbeats have been, so its timeout must be set for the worst jitter the network shows.

use sim_core::{LocalTime, SimDuration};

use super::{DetectorError, elapsed_since};

/// Suspects a node when `now - last_arrival > interval · misses`.
///
/// Before the first heartbeat nothing is suspected: the detector has no evidence yet. A monitor
/// that must suspect a node it has never heard from records the moment it starts watching as a
/// heartbeat ([`HeartbeatDetector::heartbeat`]).
///
/// ```
/// use failover::HeartbeatDetector;
/// use sim_core::{LocalTime, SimDuration};
///
/// let mut d = HeartbeatDetector::new(SimDuration::from_millis(100), 3).unwrap();
/// d.heartbeat(LocalTime(0));
/// assert!(!d.suspects(LocalTime(300_000_000))); // exactly three intervals: not yet
/// assert!(d.suspects(LocalTime(300_000_001)));
/// assert_eq!(d.suspect_at(), Some(LocalTime(300_000_001)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatDetector {
    interval: SimDuration,
    misses: u32,
    last_arrival: Option<LocalTime>,
}

impl HeartbeatDetector {
    /// A detector for heartbeats sent every `interval` (> 0), suspecting after `misses` (≥ 1)
    /// of them are missed.
    pub fn new(interval: SimDuration, misses: u32) -> Result<Self, DetectorError> {
        if interval.is_zero() {
            return Err(DetectorError::ZeroDuration { field: "interval" });
        }
        if misses == 0 {
            return Err(DetectorError::ZeroMisses);
        }
        Ok(HeartbeatDetector { interval, misses, last_arrival: None })
    }

    /// The heartbeat interval.
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// How many intervals may pass without a heartbeat before the node is suspected.
    pub fn misses(&self) -> u32 {
        self.misses
    }

    /// The silence tolerated: `interval · misses`, saturating at `u64::MAX` nanoseconds.
    pub fn timeout(&self) -> SimDuration {
        SimDuration(self.interval.as_nanos().saturating_mul(u64::from(self.misses)))
    }

    /// Records a heartbeat that arrived at local time `now`. The reading is taken as it is,
    /// even if a clock step made it earlier than the previous one: silence is measured from
    /// the latest heartbeat on the clock as it reads now.
    pub fn heartbeat(&mut self, now: LocalTime) {
        self.last_arrival = Some(now);
    }

    /// When the last heartbeat arrived, if any has.
    pub fn last_arrival(&self) -> Option<LocalTime> {
        self.last_arrival
    }

    /// True when more than [`timeout`](Self::timeout) has passed since the last heartbeat.
    pub fn suspects(&self, now: LocalTime) -> bool {
        self.last_arrival.is_some_and(|last| elapsed_since(last, now) > self.timeout().as_nanos())
    }

    /// The first local instant at which [`suspects`](Self::suspects) is true, for a check
    /// timer: one nanosecond after the timeout runs out. `None` before any heartbeat, or when
    /// that instant is past the largest `LocalTime`.
    pub fn suspect_at(&self) -> Option<LocalTime> {
        let last = self.last_arrival?;
        let at = i128::from(last.0) + i128::from(self.timeout().as_nanos()) + 1;
        i64::try_from(at).ok().map(LocalTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: i64) -> LocalTime {
        LocalTime(n * 1_000_000)
    }

    #[test]
    fn rejects_a_zero_interval_or_miss_count() {
        assert_eq!(
            HeartbeatDetector::new(SimDuration::ZERO, 3),
            Err(DetectorError::ZeroDuration { field: "interval" })
        );
        assert_eq!(
            HeartbeatDetector::new(SimDuration::from_millis(1), 0),
            Err(DetectorError::ZeroMisses)
        );
    }

    #[test]
    fn suspects_only_after_the_timeout_and_forgets_on_a_heartbeat() {
        let mut d = HeartbeatDetector::new(SimDuration::from_millis(50), 2).unwrap();
        assert!(!d.suspects(ms(1_000_000)), "no heartbeat yet: no evidence");
        assert_eq!(d.suspect_at(), None);
        d.heartbeat(ms(10));
        assert!(!d.suspects(ms(110)));
        assert!(d.suspects(LocalTime(ms(110).0 + 1)));
        d.heartbeat(ms(120));
        assert!(!d.suspects(ms(200)));
        assert_eq!(d.suspect_at(), Some(LocalTime(ms(220).0 + 1)));
    }

    #[test]
    fn a_clock_stepped_back_is_not_a_silence() {
        let mut d = HeartbeatDetector::new(SimDuration::from_millis(50), 2).unwrap();
        d.heartbeat(ms(500));
        // The monitor's clock stepped back 400 ms: now reads before the last arrival.
        assert!(!d.suspects(ms(100)));
        d.heartbeat(ms(100));
        assert!(d.suspects(ms(201)));
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let mut d = HeartbeatDetector::new(SimDuration(u64::MAX / 2), u32::MAX).unwrap();
        assert_eq!(d.timeout(), SimDuration(u64::MAX));
        d.heartbeat(LocalTime(i64::MIN));
        assert!(!d.suspects(LocalTime(i64::MAX)));
        assert_eq!(d.suspect_at(), None);
        let mut d = HeartbeatDetector::new(SimDuration::from_secs(1), 1).unwrap();
        d.heartbeat(LocalTime(i64::MIN));
        assert!(d.suspects(LocalTime(i64::MAX)));
    }
}
