//! The phi accrual failure detector (Hayashibara, Défago, Yared and Katayama, "The φ accrual
//! failure detector", SRDS 2004), in the form Akka's `PhiAccrualFailureDetector` gives it.
//!
//! The model: inter-arrival times of heartbeats are independent draws from a normal
//! distribution, fitted to the last `window` intervals observed (mean and standard deviation).
//! After a silence of `t` since the last heartbeat,
//!
//! ```text
//! phi(t) = -log10 P(the next interval is longer than t) = -log10 (1 - F(t))
//! ```
//!
//! where `F` is the fitted normal's CDF. A monitor suspects the node when `phi` exceeds a
//! threshold `Φ`; if the model is right, a live node is then wrongly suspected during a
//! fraction `10^-Φ` of its intervals (`tests/phi_statistics.rs` measures this).
//!
//! What follows Akka, and where it departs:
//!
//! - **Standard deviation floor** (`min_std_deviation`, Akka's `min-std-deviation`): perfectly
//!   regular heartbeats would give a zero deviation and a step from phi = 0 to infinity.
//! - **Acceptable pause** (`acceptable_pause`, Akka's `acceptable-heartbeat-pause`): added to
//!   the mean, for pauses (a GC, a slow disk) the operator wants tolerated outright.
//! - **Before enough samples**, Akka seeds the window with two invented intervals around
//!   `first-heartbeat-estimate` (deviation a quarter of it) that then slide out slowly. Here the
//!   window holds only observed intervals, and the estimate (mean `first_heartbeat_estimate`,
//!   deviation a quarter of it) is used *instead of* the window until it holds `min_samples`
//!   intervals, so the window's statistics are never mixed with invented ones.
//! - **The tail**: Akka approximates `F` by a logistic curve; here `1 - F` is `erfc` directly
//!   (no cancellation; see [`super::normal_upper_tail`]), so phi is the paper's value. It is
//!   finite and increasing for any silence and capped at [`PHI_MAX`].
//! - The deviation is the window's population deviation (dividing by `n`), as Akka's.
//!
//! The window's sum and sum of squares are kept as exact integers (`u128`), so sliding never
//! accumulates rounding and the fit is the same whatever the order of past updates; intervals
//! are clamped to [`MAX_INTERVAL`] so those sums cannot overflow.

use std::collections::VecDeque;

use sim_core::{LocalTime, SimDuration};

use super::normal::{log10_normal_upper_tail, normal_quantile};
use super::{DetectorError, elapsed_since};

/// The largest window, in intervals. With intervals at most [`MAX_INTERVAL`] (2^53 ns), the
/// sum of squares of 2^16 of them stays below 2^122, well inside `u128`.
pub const MAX_WINDOW: usize = 1 << 16;

/// The longest interval recorded: 2^53 ns (about 104 days; also the largest integer an `f64`
/// holds exactly). A longer silence is recorded as this long; it already dominates any window.
pub const MAX_INTERVAL: SimDuration = SimDuration(1 << 53);

/// The largest phi reported: a probability of 10^-1000, far past any useful threshold. The
/// formula is finite below it anyway; the cap keeps reports and charts bounded.
pub const PHI_MAX: f64 = 1_000.0;

/// The phi accrual detector's parameters. [`Default`] gives Akka's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhiConfig {
    /// How many of the latest inter-arrival intervals the fit uses, 1..=[`MAX_WINDOW`];
    /// default 1000 (Akka's `max-sample-size`).
    pub window: usize,
    /// The smallest standard deviation the fit may report, > 0; default 100 ms (Akka's). Set it
    /// well below the real jitter, or it decides the timeout alone.
    pub min_std_deviation: SimDuration,
    /// A silence added to the fitted mean before phi is computed, ≥ 0; default 0 (Akka's
    /// `acceptable-heartbeat-pause`, whose own default is for cluster membership, is 3 s).
    pub acceptable_pause: SimDuration,
    /// The mean interval assumed before `min_samples` intervals have been observed (its standard
    /// deviation is a quarter of it), > 0; default 1 s (Akka's `first-heartbeat-estimate`).
    pub first_heartbeat_estimate: SimDuration,
    /// How many observed intervals replace the first-heartbeat estimate with the window's own
    /// fit, 1..=`window`; default 2 (the fewest that have a deviation).
    pub min_samples: usize,
}

impl Default for PhiConfig {
    fn default() -> Self {
        PhiConfig {
            window: 1_000,
            min_std_deviation: SimDuration::from_millis(100),
            acceptable_pause: SimDuration::ZERO,
            first_heartbeat_estimate: SimDuration::from_secs(1),
            min_samples: 2,
        }
    }
}

impl PhiConfig {
    /// Checks every field against its stated range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        if !(1..=MAX_WINDOW).contains(&self.window) {
            return Err(DetectorError::Window { found: self.window, max: MAX_WINDOW });
        }
        if !(1..=self.window).contains(&self.min_samples) {
            return Err(DetectorError::MinSamples { found: self.min_samples, window: self.window });
        }
        if self.min_std_deviation.is_zero() {
            return Err(DetectorError::ZeroDuration { field: "min_std_deviation" });
        }
        if self.first_heartbeat_estimate.is_zero() {
            return Err(DetectorError::ZeroDuration { field: "first_heartbeat_estimate" });
        }
        Ok(())
    }
}

/// The phi accrual failure detector for one monitored node (module docs for the model).
///
/// ```
/// use failover::{PhiAccrual, PhiConfig};
/// use sim_core::{LocalTime, SimDuration};
///
/// let config = PhiConfig { min_std_deviation: SimDuration::from_millis(1), ..PhiConfig::default() };
/// let mut d = PhiAccrual::new(config).unwrap();
/// // Heartbeats every 90 or 110 ms: mean 100 ms, standard deviation 10 ms.
/// let mut now = 0;
/// d.heartbeat(LocalTime(now));
/// for i in 0..100 {
///     now += if i % 2 == 0 { 90_000_000 } else { 110_000_000 };
///     d.heartbeat(LocalTime(now));
/// }
/// let last = d.last_arrival().unwrap();
/// let at_mean = d.phi(LocalTime(last.0 + 100_000_000));
/// assert!((at_mean - 2f64.log10()).abs() < 1e-12); // P(later than the mean) = 1/2
/// // Suspicion at phi > 3 starts 3.09 deviations past the mean.
/// let at = d.suspect_at(3.0).unwrap();
/// assert_eq!(at.0 - last.0, 130_902_324);
/// assert!(d.suspects(at, 3.0) && !d.suspects(LocalTime(at.0 - 1), 3.0));
/// ```
#[derive(Clone, Debug)]
pub struct PhiAccrual {
    config: PhiConfig,
    /// The latest intervals, oldest first, in nanoseconds (each ≤ [`MAX_INTERVAL`]).
    intervals: VecDeque<u64>,
    /// The sum of `intervals`.
    sum: u128,
    /// The sum of their squares.
    sum_sq: u128,
    last_arrival: Option<LocalTime>,
}

impl PhiAccrual {
    /// A detector that has seen no heartbeat, or the configuration's first error.
    pub fn new(config: PhiConfig) -> Result<Self, DetectorError> {
        config.validate()?;
        Ok(PhiAccrual { config, intervals: VecDeque::new(), sum: 0, sum_sq: 0, last_arrival: None })
    }

    /// The configuration.
    pub fn config(&self) -> &PhiConfig {
        &self.config
    }

    /// Records a heartbeat that arrived at local time `now`, and the interval since the
    /// previous one, sliding the oldest interval out of a full window.
    ///
    /// If the clock now reads earlier than the previous arrival (a step backwards), there is
    /// no meaningful interval: none is recorded, but the arrival still restarts the silence.
    /// A duplicate (the same reading twice) records an interval of 0, as any arrival does;
    /// callers that can tell duplicates apart (by sequence number) should drop them first.
    pub fn heartbeat(&mut self, now: LocalTime) {
        if let Some(last) = self.last_arrival.filter(|&last| now >= last) {
            self.push_interval(elapsed_since(last, now).min(MAX_INTERVAL.as_nanos()));
        }
        self.last_arrival = Some(now);
    }

    fn push_interval(&mut self, interval: u64) {
        if self.intervals.len() == self.config.window {
            let oldest =
                u128::from(self.intervals.pop_front().expect("a full window is non-empty"));
            self.sum -= oldest;
            self.sum_sq -= oldest * oldest;
        }
        let interval_wide = u128::from(interval);
        self.intervals.push_back(interval);
        self.sum += interval_wide;
        self.sum_sq += interval_wide * interval_wide;
    }

    /// When the last heartbeat arrived, if any has.
    pub fn last_arrival(&self) -> Option<LocalTime> {
        self.last_arrival
    }

    /// How many intervals the window holds now (at most `window`).
    pub fn samples(&self) -> usize {
        self.intervals.len()
    }

    /// The fitted mean interval in nanoseconds: the window's mean, or the first-heartbeat
    /// estimate while the window holds fewer than `min_samples` intervals. Phi uses this plus
    /// `acceptable_pause`.
    pub fn mean_ns(&self) -> f64 {
        self.fit().0
    }

    /// The fitted standard deviation in nanoseconds, after the `min_std_deviation` floor.
    pub fn std_deviation_ns(&self) -> f64 {
        self.fit().1
    }

    /// (mean, standard deviation) in nanoseconds, the deviation floored.
    fn fit(&self) -> (f64, f64) {
        let n = self.intervals.len();
        let (mean, sd) = if n < self.config.min_samples {
            let estimate = self.config.first_heartbeat_estimate.as_nanos() as f64;
            (estimate, estimate / 4.0)
        } else {
            let n_wide = n as u128;
            let mean = self.sum as f64 / n as f64;
            // n·Σx² - (Σx)² is n² times the population variance. In integers it is exact, and
            // it fits in u128 for any realistic heartbeat (n·Σx² ≈ 10^22 for a thousand 100 ms
            // intervals); only past that does the variance come from floats, E[x²] - mean²,
            // whose cancellation the deviation floor then covers.
            let variance = match n_wide.checked_mul(self.sum_sq) {
                Some(n_sum_sq) => (n_sum_sq - self.sum * self.sum) as f64 / (n as f64 * n as f64),
                None => (self.sum_sq as f64 / n as f64 - mean * mean).max(0.0),
            };
            (mean, libm::sqrt(variance))
        };
        (mean, sd.max(self.config.min_std_deviation.as_nanos() as f64))
    }

    /// The suspicion level after a silence from the last heartbeat to `now`: 0 before any
    /// heartbeat (no evidence), otherwise `-log10 P(interval > now - last)` under the fitted
    /// normal, in `[0, PHI_MAX]`. A clock read earlier than the last arrival counts as no
    /// silence.
    pub fn phi(&self, now: LocalTime) -> f64 {
        match self.last_arrival {
            None => 0.0,
            Some(last) => {
                let (mean, sd) = self.fit();
                phi_of(elapsed_since(last, now), self.expected(mean), sd)
            }
        }
    }

    /// True when `phi(now) > threshold`. `threshold` must be finite and ≥ 0 (panics
    /// otherwise: it is a configuration value, validated where it is read).
    pub fn suspects(&self, now: LocalTime, threshold: f64) -> bool {
        assert_threshold(threshold);
        self.phi(now) > threshold
    }

    /// The first local instant at which [`suspects`](Self::suspects)`(_, threshold)` becomes
    /// true if no heartbeat arrives first: the time to set a check timer for. `None` before any
    /// heartbeat, or when phi stays at or below the threshold up to the largest `LocalTime`
    /// (a threshold ≥ [`PHI_MAX`]).
    ///
    /// The answer agrees exactly with `suspects`: false one nanosecond before, true at it. It
    /// starts from the closed form `last + mean + pause + sd · z`, where `z` is the standard
    /// normal quantile of `1 - 10^-threshold` (computed as `-z(10^-threshold)`, which keeps
    /// its precision for thresholds past 16), then corrects the last nanoseconds against phi
    /// itself, so that rounding in the two formulas can never make a timer fire early.
    pub fn suspect_at(&self, threshold: f64) -> Option<LocalTime> {
        assert_threshold(threshold);
        let last = self.last_arrival?;
        let (mean, sd) = self.fit();
        let expected = self.expected(mean);
        let above = |elapsed: u64| phi_of(elapsed, expected, sd) > threshold;
        // The longest silence a LocalTime can express after `last`.
        let max_elapsed = (i128::from(i64::MAX) - i128::from(last.0)) as u64;
        if !above(max_elapsed) {
            return None;
        }
        let closed_form = expected - sd * normal_quantile(libm::pow(10.0, -threshold));
        let guess = if closed_form.is_finite() { closed_form.max(0.0) } else { expected };
        // `as` saturates, and the guess is clamped to the reachable range.
        let guess = (guess.ceil() as u64).min(max_elapsed);

        // Bracket the crossing: `below` is not above the threshold, `at` is. The closed form is
        // nearly always right to within a nanosecond, so the gallop takes one or two steps;
        // doubling bounds it at 64 steps whatever happens.
        let (mut below, mut at);
        if above(guess) {
            at = guess;
            let mut step = 1u64;
            loop {
                if at == 0 {
                    return Some(last);
                }
                let candidate = at.saturating_sub(step);
                if !above(candidate) {
                    below = candidate;
                    break;
                }
                at = candidate;
                step = step.saturating_mul(2);
            }
        } else {
            below = guess;
            let mut step = 1u64;
            loop {
                // Terminates: above(max_elapsed) holds.
                let candidate = below.saturating_add(step).min(max_elapsed);
                if above(candidate) {
                    at = candidate;
                    break;
                }
                below = candidate;
                step = step.saturating_mul(2);
            }
        }
        while at - below > 1 {
            let mid = below + (at - below) / 2;
            if above(mid) {
                at = mid;
            } else {
                below = mid;
            }
        }
        // at ≤ max_elapsed, so this is at most i64::MAX.
        Some(LocalTime((i128::from(last.0) + i128::from(at)) as i64))
    }

    /// The mean silence phi is measured against: the fitted mean plus the acceptable pause.
    fn expected(&self, mean: f64) -> f64 {
        mean + self.config.acceptable_pause.as_nanos() as f64
    }
}

fn assert_threshold(threshold: f64) {
    assert!(
        threshold.is_finite() && threshold >= 0.0,
        "a phi threshold must be finite and ≥ 0, found {threshold}"
    );
}

/// Phi after `elapsed_ns` of silence under Normal(`mean`, `sd`), `sd > 0`.
fn phi_of(elapsed_ns: u64, mean: f64, sd: f64) -> f64 {
    let y = (elapsed_ns as f64 - mean) / sd;
    // 0.0 - x rather than -x: where the tail rounds to 1, phi is +0, never -0.
    (0.0 - log10_normal_upper_tail(y)).min(PHI_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn config(window: usize) -> PhiConfig {
        PhiConfig {
            window,
            min_std_deviation: SimDuration::from_micros(100),
            ..PhiConfig::default()
        }
    }

    /// A detector fed heartbeats at 0 and then after each of `intervals_ms`.
    fn fed(config: PhiConfig, intervals_ms: &[i64]) -> PhiAccrual {
        let mut d = PhiAccrual::new(config).unwrap();
        let mut now = 0;
        d.heartbeat(LocalTime(now));
        for gap in intervals_ms {
            now += gap * MS;
            d.heartbeat(LocalTime(now));
        }
        d
    }

    /// Heartbeats 90 and 110 ms apart: mean exactly 100 ms, deviation exactly 10 ms.
    fn regular() -> PhiAccrual {
        let gaps: Vec<i64> = (0..200).map(|i| if i % 2 == 0 { 90 } else { 110 }).collect();
        fed(config(1_000), &gaps)
    }

    fn after(d: &PhiAccrual, ns: i64) -> LocalTime {
        LocalTime(d.last_arrival().unwrap().0 + ns)
    }

    #[test]
    fn rejects_each_bad_field() {
        let bad = |f: fn(&mut PhiConfig)| {
            let mut c = PhiConfig::default();
            f(&mut c);
            PhiAccrual::new(c).unwrap_err()
        };
        assert_eq!(bad(|c| c.window = 0), DetectorError::Window { found: 0, max: MAX_WINDOW });
        assert!(matches!(bad(|c| c.window = MAX_WINDOW + 1), DetectorError::Window { .. }));
        assert!(matches!(bad(|c| c.min_samples = 0), DetectorError::MinSamples { .. }));
        assert!(matches!(bad(|c| c.min_samples = 1_001), DetectorError::MinSamples { .. }));
        assert_eq!(
            bad(|c| c.min_std_deviation = SimDuration::ZERO),
            DetectorError::ZeroDuration { field: "min_std_deviation" }
        );
        assert_eq!(
            bad(|c| c.first_heartbeat_estimate = SimDuration::ZERO),
            DetectorError::ZeroDuration { field: "first_heartbeat_estimate" }
        );
        assert!(PhiConfig::default().validate().is_ok());
    }

    #[test]
    fn no_heartbeat_means_no_suspicion() {
        let d = PhiAccrual::new(PhiConfig::default()).unwrap();
        assert_eq!(d.phi(LocalTime(i64::MAX)), 0.0);
        assert!(!d.suspects(LocalTime(i64::MAX), 0.0));
        assert_eq!(d.suspect_at(1.0), None);
    }

    #[test]
    fn the_first_heartbeat_estimate_stands_in_until_min_samples() {
        let mut c = config(10);
        c.min_samples = 3;
        let d = fed(c, &[40, 60]);
        // Two intervals < 3: the estimate, 1 s with deviation 250 ms.
        assert_eq!((d.mean_ns(), d.std_deviation_ns()), (1e9, 2.5e8));
        let d = fed(c, &[40, 60, 50]);
        assert_eq!(d.mean_ns(), 50e6);
        assert!((d.std_deviation_ns() - libm::sqrt(200.0 / 3.0) * 1e6).abs() < 1e-3);
    }

    #[test]
    fn phi_at_the_mean_is_log10_of_2() {
        let d = regular();
        assert_eq!((d.mean_ns(), d.std_deviation_ns()), (100e6, 10e6));
        assert!((d.phi(after(&d, 100 * MS)) - 2f64.log10()).abs() < 1e-15);
        // One deviation past the mean: -log10 Q(1), from mpmath.
        assert!((d.phi(after(&d, 110 * MS)) - 0.799_545_541_491_970_5).abs() < 1e-14);
        // Constant intervals: the deviation is the floor, and the mean still gives 1/2.
        let d = fed(config(1_000), &[100; 50]);
        assert_eq!(d.std_deviation_ns(), 100e3);
        assert!((d.phi(after(&d, 100 * MS)) - 2f64.log10()).abs() < 1e-15);
    }

    #[test]
    fn phi_increases_with_the_silence_up_to_its_cap() {
        let d = regular();
        let mut last = d.phi(after(&d, 0));
        assert!((0.0..1e-15).contains(&last));
        // 100 µs steps to 2 s: through the erfc range, the switch to the asymptotic tail at
        // 30 deviations (400 ms), and the cap at 1000 (about 780 ms).
        for step in 1..=20_000 {
            let phi = d.phi(after(&d, step * 100_000));
            assert!(phi >= last, "phi fell from {last} to {phi} at {step} × 100 µs");
            // Strictly, wherever the tail probability has digits to move: not where it rounds
            // to 1 (phi = 0, ten deviations before the mean) or at the cap.
            if last > 1e-6 && last < PHI_MAX {
                assert!(phi > last, "phi stalled at {last} at {step} × 100 µs");
            }
            last = phi;
        }
        assert_eq!(last, PHI_MAX);
        assert_eq!(d.phi(LocalTime(i64::MAX)), PHI_MAX);
        // A clock stepped back before the last arrival is no silence at all.
        assert_eq!(d.phi(LocalTime(i64::MIN)), d.phi(after(&d, 0)));
    }

    #[test]
    fn the_crossing_time_agrees_with_phi() {
        let d = regular();
        for threshold in
            [0.0, 0.01, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 20.0, 100.0, 999.0]
        {
            let at = d.suspect_at(threshold).unwrap();
            assert!(d.suspects(at, threshold), "threshold {threshold}: not suspected at {at:?}");
            assert!(!d.suspects(LocalTime(at.0 - 1), threshold) || at == after(&d, 0));
            if (0.01..=300.0).contains(&threshold) {
                // The closed form, mean + sd·z(1 - 10^-threshold), to the nanosecond.
                let z = -normal_quantile(libm::pow(10.0, -threshold));
                let closed = 100e6 + 10e6 * z;
                let elapsed = (at.0 - d.last_arrival().unwrap().0) as f64;
                assert!((elapsed - closed).abs() <= 1.0, "{threshold}: {elapsed} vs {closed}");
            }
        }
        // Thresholds from the statistical test, pinned: 1.2816, 2.3263, 3.0902 deviations.
        let elapsed = |t| d.suspect_at(t).unwrap().0 - d.last_arrival().unwrap().0;
        assert_eq!(
            [elapsed(1.0), elapsed(2.0), elapsed(3.0)],
            [112_815_516, 123_263_479, 130_902_324]
        );
        assert_eq!(d.suspect_at(PHI_MAX), None, "phi never exceeds its cap");
    }

    #[test]
    fn the_acceptable_pause_shifts_the_crossing() {
        let base = regular();
        let mut c = config(1_000);
        c.acceptable_pause = SimDuration::from_millis(500);
        let gaps: Vec<i64> = (0..200).map(|i| if i % 2 == 0 { 90 } else { 110 }).collect();
        let paused = fed(c, &gaps);
        let elapsed = |d: &PhiAccrual| d.suspect_at(3.0).unwrap().0 - d.last_arrival().unwrap().0;
        assert_eq!(elapsed(&paused) - elapsed(&base), 500 * MS);
    }

    #[test]
    fn the_window_slides() {
        let d = fed(config(3), &[10, 20, 30, 40]);
        assert_eq!(d.samples(), 3);
        assert_eq!(d.mean_ns(), 30e6, "10 slid out");
        let d = fed(config(3), &[10, 20, 30, 40, 1_000, 1_000, 1_000]);
        assert_eq!((d.mean_ns(), d.std_deviation_ns()), (1e9, 100e3), "deviation floored");

        // The running sums agree with a fit recomputed from the last `window` intervals, over
        // many slides of irregular intervals.
        let window = 7;
        let gaps: Vec<i64> = (0..500).map(|i| 50 + (i * 37 % 23) - (i * i % 11)).collect();
        let mut d = PhiAccrual::new(config(window)).unwrap();
        let mut now = 0;
        d.heartbeat(LocalTime(0));
        for (i, gap) in gaps.iter().enumerate() {
            now += gap * MS;
            d.heartbeat(LocalTime(now));
            let recent = &gaps[(i + 1).saturating_sub(window)..=i];
            let n = recent.len() as f64;
            let mean = recent.iter().map(|&g| (g * MS) as f64).sum::<f64>() / n;
            let var = recent.iter().map(|&g| ((g * MS) as f64 - mean).powi(2)).sum::<f64>() / n;
            if recent.len() >= 2 {
                assert!((d.mean_ns() - mean).abs() < 1e-6);
                let sd = var.sqrt().max(100e3);
                assert!((d.std_deviation_ns() - sd).abs() < 1e-6 * sd, "{i}: {d:?}");
            }
        }
    }

    #[test]
    fn a_clock_stepped_back_records_no_interval() {
        let mut d = fed(config(10), &[100, 100]);
        let last = d.last_arrival().unwrap();
        d.heartbeat(LocalTime(last.0 - 50 * MS));
        assert_eq!(d.samples(), 2);
        assert_eq!(d.last_arrival(), Some(LocalTime(last.0 - 50 * MS)));
    }

    #[test]
    fn extreme_readings_neither_overflow_nor_lose_finiteness() {
        let mut d = PhiAccrual::new(config(MAX_WINDOW)).unwrap();
        for i in 0..10 {
            d.heartbeat(LocalTime(if i % 2 == 0 { i64::MIN } else { i64::MAX }));
        }
        // The steps forward were clamped to MAX_INTERVAL; the steps back recorded nothing.
        assert_eq!(d.samples(), 5);
        assert_eq!(d.mean_ns(), MAX_INTERVAL.as_nanos() as f64);
        assert!(d.phi(LocalTime(i64::MAX)).is_finite());
        // A full window of the longest intervals exercises the float fallback of the variance.
        let mut d = PhiAccrual::new(config(MAX_WINDOW)).unwrap();
        let mut sums = PhiAccrual::new(config(MAX_WINDOW)).unwrap();
        for _ in 0..MAX_WINDOW {
            sums.push_interval(MAX_INTERVAL.as_nanos());
        }
        assert_eq!(sums.mean_ns(), MAX_INTERVAL.as_nanos() as f64);
        assert_eq!(sums.std_deviation_ns(), 100e3);
        d.heartbeat(LocalTime(0));
        assert!(d.suspect_at(5.0).is_some());
    }
}
