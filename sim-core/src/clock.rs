//! Node clocks: what a node reads instead of simulated time.
//!
//! Node `i` reads `local(t) = offset_i + t·(1 + drift_ppm_i·10⁻⁶)`, kept piecewise so that
//! faults can change it mid-run: the clock stores a base point (`base_sim`, `base_local`) and a
//! drift, and reads `base_local + d + ⌊d·drift_ppb / 10⁹⌋` with `d = t - base_sim`, all in
//! integers (drift is kept in parts per billion so fractional ppm are exact). A step moves
//! `base_local`; a drift change re-bases at the current instant so the clock stays continuous.
//! Timers are set in local time and fire at the first simulated nanosecond at which the local
//! clock reads at least their deadline ([`Clock::sim_time_at`]), so a fast clock times out early.
//!
//! Injected: an initial offset and drift per node, signed steps, drift changes. Never modelled:
//! a clock that runs backwards continuously (drift ≤ -10⁶ ppm is rejected), leap seconds.

use crate::time::{LocalTime, SimTime};

/// Parts per billion in one part per million.
const PPB_PER_PPM: i64 = 1_000;
/// Drift bound: |drift| must stay below 100% or the clock would stop or run backwards.
pub const MAX_DRIFT_PPM: f64 = 500_000.0;

/// One node's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    base_sim: SimTime,
    base_local: i64,
    drift_ppb: i64,
}

impl Clock {
    /// A clock that reads `offset_ns` at time zero and drifts by `drift_ppm` (|drift| below
    /// [`MAX_DRIFT_PPM`]; fractions of a ppm are kept to the ppb).
    pub fn new(offset_ns: i64, drift_ppm: f64) -> Clock {
        Clock { base_sim: SimTime::ZERO, base_local: offset_ns, drift_ppb: ppm_to_ppb(drift_ppm) }
    }

    /// A perfect clock: reads simulated time.
    pub const fn perfect() -> Clock {
        Clock { base_sim: SimTime::ZERO, base_local: 0, drift_ppb: 0 }
    }

    /// The drift in parts per million.
    pub fn drift_ppm(&self) -> f64 {
        self.drift_ppb as f64 / PPB_PER_PPM as f64
    }

    /// The local reading at simulated time `t` (which must not precede the last change).
    pub fn local_at(&self, t: SimTime) -> LocalTime {
        // Saturates rather than wraps: validated configs stay centuries away from the bounds.
        if self.drift_ppb == 0 {
            let d = i64::try_from(t.0 - self.base_sim.0).unwrap_or(i64::MAX);
            return LocalTime(self.base_local.saturating_add(d));
        }
        let d = (t.0 - self.base_sim.0) as i128;
        let skew = (d * self.drift_ppb as i128).div_euclid(1_000_000_000);
        LocalTime(
            (self.base_local as i128 + d + skew).clamp(i64::MIN as i128, i64::MAX as i128) as i64
        )
    }

    /// The first simulated instant at or after the last change at which the clock reads at
    /// least `deadline`. Exact to the nanosecond.
    pub fn sim_time_at(&self, deadline: LocalTime) -> SimTime {
        let need = deadline.0 as i128 - self.base_local as i128;
        if need <= 0 {
            return self.base_sim;
        }
        if self.drift_ppb == 0 {
            return SimTime(u64::try_from(self.base_sim.0 as i128 + need).unwrap_or(u64::MAX));
        }
        let f = |d: i128| d + (d * self.drift_ppb as i128).div_euclid(1_000_000_000);
        // The real solution of d·(1 + ppb/1e9) = need, then corrected for the floor.
        let rate = 1_000_000_000 + self.drift_ppb as i128;
        let mut d = (need * 1_000_000_000 + rate - 1) / rate;
        while d > 0 && f(d - 1) >= need {
            d -= 1;
        }
        while f(d) < need {
            d += 1;
        }
        let t = self.base_sim.0 as i128 + d;
        SimTime(u64::try_from(t).unwrap_or(u64::MAX))
    }

    /// Steps the clock by `step_ns` (signed) at simulated time `now`.
    pub(crate) fn step(&mut self, now: SimTime, step_ns: i64) {
        self.rebase(now);
        self.base_local = self.base_local.saturating_add(step_ns);
    }

    /// Changes the drift at simulated time `now`, keeping the reading continuous.
    pub(crate) fn set_drift(&mut self, now: SimTime, drift_ppm: f64) {
        self.rebase(now);
        self.drift_ppb = ppm_to_ppb(drift_ppm);
    }

    fn rebase(&mut self, now: SimTime) {
        self.base_local = self.local_at(now).0;
        self.base_sim = now;
    }
}

fn ppm_to_ppb(drift_ppm: f64) -> i64 {
    assert!(drift_ppm.abs() < MAX_DRIFT_PPM, "clock drift {drift_ppm} ppm out of range");
    (drift_ppm * PPB_PER_PPM as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_clock_fires_one_second_timer_early_to_the_nanosecond() {
        let c = Clock::new(0, 1000.0);
        let t = c.sim_time_at(LocalTime(1_000_000_000));
        assert_eq!(t, SimTime(999_001_000));
        // The fast clock gains a nanosecond every microsecond, so it jumps over 1 s exactly.
        assert_eq!(c.local_at(t), LocalTime(1_000_000_001));
        assert_eq!(c.local_at(SimTime(t.0 - 1)), LocalTime(999_999_999));
    }

    #[test]
    fn slow_clock_and_offsets() {
        let c = Clock::new(5, -1000.0);
        for deadline in [1i64, 999, 1_000_000, 123_456_789] {
            let t = c.sim_time_at(LocalTime(deadline));
            assert!(c.local_at(t).0 >= deadline);
            assert!(t.0 == 0 || c.local_at(SimTime(t.0 - 1)).0 < deadline);
        }
    }

    #[test]
    fn steps_and_drift_changes_are_continuous_or_exact() {
        let mut c = Clock::new(0, 0.0);
        c.step(SimTime(100), -50);
        assert_eq!(c.local_at(SimTime(100)), LocalTime(50));
        c.set_drift(SimTime(1000), 500_000.0 - 1.0);
        assert_eq!(c.local_at(SimTime(1000)), LocalTime(950));
        assert!(c.local_at(SimTime(2000)).0 > 1900);
    }
}

/// `[clock]`: how far nodes' clocks start from true time and how fast they drift.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// Each node draws an initial offset uniformly in `±offset`; default 0.
    #[serde(default)]
    pub offset: crate::time::SimDuration,
    /// Each node draws a drift uniformly in `±drift_ppm` parts per million; default 0,
    /// |drift_ppm| < 500000.
    #[serde(default)]
    pub drift_ppm: f64,
}

impl ClockConfig {
    /// Checks the drift bound.
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        if !(self.drift_ppm >= 0.0 && self.drift_ppm < MAX_DRIFT_PPM) {
            return Err(crate::config::ConfigError::out_of_range(
                "clock.drift_ppm",
                self.drift_ppm,
                "0 ≤ drift_ppm < 500000",
            ));
        }
        crate::config::require_bounded("clock.offset", self.offset)
    }

    /// Draws one node's clock from the `clocks` stream: the offset (integer nanoseconds in
    /// `±offset`) then the drift (in `±drift_ppm`, to the ppb), each only when non-zero.
    pub(crate) fn draw(&self, rng: &mut crate::rng::SimRng) -> Clock {
        let span = self.offset.0 as i64;
        let offset =
            if span == 0 { 0 } else { rng.range_inclusive(0, 2 * span as u64) as i64 - span };
        let ppb = (self.drift_ppm * PPB_PER_PPM as f64) as i64;
        let drift_ppb =
            if ppb == 0 { 0 } else { rng.range_inclusive(0, 2 * ppb as u64) as i64 - ppb };
        Clock { base_sim: SimTime::ZERO, base_local: offset, drift_ppb }
    }
}
