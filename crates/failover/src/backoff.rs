//! Retry sleeps: exponential backoff with jitter, exactly as Marc Brooker's AWS Architecture Blog
//! post "Exponential Backoff And Jitter" (2015) defines it.
//!
//! With `base` and `cap`, and `attempt` counting the sleeps taken since the last reset (the
//! first sleep is attempt 0, so it is at most `base`):
//!
//! | [`Jitter`] | sleep |
//! |---|---|
//! | `none` | `min(cap, base · 2^attempt)` (plain exponential backoff) |
//! | `full` | `random_between(0, min(cap, base · 2^attempt))` |
//! | `equal` | `temp = min(cap, base · 2^attempt)`; `temp/2 + random_between(0, temp/2)` |
//! | `decorrelated` | `sleep = min(cap, random_between(base, sleep · 3))`, from `sleep = base` |
//!
//! Durations are integer nanoseconds and `random_between(a, b)` is uniform over the integers
//! `a..=b` ([`SimRng::range_inclusive`]), so a seed gives the same sleeps everywhere. For equal
//! jitter the fixed half is rounded up and the random half down (`temp - ⌊temp/2⌋` plus
//! `0..=⌊temp/2⌋`), so the sleep stays within `[temp/2, temp]` for odd `temp` too.
//!
//! Each jittered sleep takes exactly one draw from the caller's stream; `none` takes none. All
//! arithmetic saturates: `base · 2^attempt` is `u64::MAX` nanoseconds (then `cap`) once it would
//! overflow, and the attempt counter stops at `u32::MAX`, so a client may retry forever.

use std::fmt;

use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimRng};

/// How a retry's sleep is randomized; the scenario-file names are `"none"`, `"full"`,
/// `"equal"` and `"decorrelated"` (module docs for the formulas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Jitter {
    /// Exponential backoff without jitter: every client waiting on the same attempt wakes at
    /// the same moment, which is what the others fix.
    None,
    /// Uniform between zero and the exponential backoff.
    Full,
    /// Half the exponential backoff, plus uniform up to the other half.
    Equal,
    /// Uniform between `base` and three times the previous sleep, capped.
    Decorrelated,
}

impl Jitter {
    /// Every strategy, in the blog's order: the one list docs, sweeps and `list` derive from.
    pub const ALL: [Jitter; 4] = [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated];

    /// The scenario-file name, as serde reads and writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a backoff's parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackoffError {
    /// `base` was zero: every strategy would sleep zero (decorrelated jitter forever).
    #[error("base must be a duration > 0")]
    ZeroBase,
    /// `base` was longer than `cap`.
    #[error("base ({base}) must not exceed cap ({cap})")]
    BaseAboveCap {
        /// The base asked for.
        base: SimDuration,
        /// The cap asked for.
        cap: SimDuration,
    },
}

/// One client's retry schedule: the strategy, its parameters, and its state between retries.
///
/// ```
/// use failover::{Backoff, Jitter};
/// use sim_core::SimDuration;
/// use sim_core::rng::{RngRoot, Stream};
///
/// let ms = SimDuration::from_millis;
/// let mut rng = RngRoot::new(1).stream(Stream::Workload);
/// let mut none = Backoff::new(ms(5), ms(30), Jitter::None).unwrap();
/// let sleeps: Vec<_> = (0..5).map(|_| none.next_sleep(&mut rng)).collect();
/// assert_eq!(sleeps, [ms(5), ms(10), ms(20), ms(30), ms(30)]);
///
/// let mut full = Backoff::new(ms(5), ms(30), Jitter::Full).unwrap();
/// for attempt in 0..10 {
///     assert!(full.next_sleep(&mut rng) <= ms(30).min(SimDuration(ms(5).0 << attempt)));
/// }
/// full.reset(); // the call succeeded: the next failure starts again from base
/// assert!(full.next_sleep(&mut rng) <= ms(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: SimDuration,
    cap: SimDuration,
    jitter: Jitter,
    /// Sleeps taken since the last reset, saturating.
    attempt: u32,
    /// The previous sleep (decorrelated jitter's state); `base` after a reset.
    previous: SimDuration,
}

impl Backoff {
    /// A schedule with `0 < base ≤ cap`, at its first attempt.
    pub fn new(base: SimDuration, cap: SimDuration, jitter: Jitter) -> Result<Self, BackoffError> {
        if base.is_zero() {
            return Err(BackoffError::ZeroBase);
        }
        if base > cap {
            return Err(BackoffError::BaseAboveCap { base, cap });
        }
        Ok(Backoff { base, cap, jitter, attempt: 0, previous: base })
    }

    /// The same schedule, as if `attempt` sleeps had been taken (decorrelated jitter, which
    /// ignores the count, is unchanged). The blog's simulator counts its first retry as
    /// attempt 1 (`base · 2`); the backoff experiment starts there to match it.
    pub fn starting_at(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// The base sleep.
    pub fn base(&self) -> SimDuration {
        self.base
    }

    /// The longest sleep.
    pub fn cap(&self) -> SimDuration {
        self.cap
    }

    /// The strategy.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Sleeps taken since the last reset (saturating at `u32::MAX`).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The sleep before the next retry, advancing the schedule. Draws once from `rng` unless
    /// the strategy is [`Jitter::None`].
    pub fn next_sleep(&mut self, rng: &mut SimRng) -> SimDuration {
        let ceiling = self.exponential().as_nanos();
        let sleep = match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => rng.range_inclusive(0, ceiling),
            Jitter::Equal => {
                let half = ceiling / 2;
                (ceiling - half) + rng.range_inclusive(0, half)
            }
            Jitter::Decorrelated => {
                // previous ≥ base always (base ≤ cap), so the range is never inverted.
                let upper = self.previous.as_nanos().saturating_mul(3);
                rng.range_inclusive(self.base.as_nanos(), upper).min(self.cap.as_nanos())
            }
        };
        let sleep = SimDuration(sleep);
        self.previous = sleep;
        self.attempt = self.attempt.saturating_add(1);
        sleep
    }

    /// Back to the first attempt, as after a successful call.
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.previous = self.base;
    }

    /// `min(cap, base · 2^attempt)`, saturating.
    fn exponential(&self) -> SimDuration {
        let factor = 1u64.checked_shl(self.attempt).unwrap_or(0);
        let grown = match factor {
            0 => u64::MAX, // 2^attempt does not fit in u64
            f => self.base.as_nanos().saturating_mul(f),
        };
        SimDuration(grown).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::{RngRoot, Stream};

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn rng(seed: u64) -> SimRng {
        RngRoot::new(seed).stream(Stream::Workload)
    }

    /// `min(cap, base · 2^attempt)` in u128, the reference for the saturating version.
    fn exponential(base: SimDuration, cap: SimDuration, attempt: u32) -> SimDuration {
        let grown = if attempt >= 64 { u128::MAX } else { u128::from(base.0) << attempt };
        SimDuration(grown.min(u128::from(cap.0)) as u64)
    }

    #[test]
    fn rejects_a_zero_base_and_a_base_above_the_cap() {
        assert_eq!(
            Backoff::new(SimDuration::ZERO, ms(1), Jitter::Full),
            Err(BackoffError::ZeroBase)
        );
        assert_eq!(
            Backoff::new(ms(2), ms(1), Jitter::None),
            Err(BackoffError::BaseAboveCap { base: ms(2), cap: ms(1) })
        );
        assert!(Backoff::new(ms(1), ms(1), Jitter::Decorrelated).is_ok());
    }

    #[test]
    fn none_doubles_from_base_to_cap_without_drawing() {
        let mut b = Backoff::new(ms(5), ms(2_000), Jitter::None).unwrap();
        let mut r = rng(1);
        let sleeps: Vec<u64> = (0..12).map(|_| b.next_sleep(&mut r).0 / 1_000_000).collect();
        assert_eq!(sleeps, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000, 2000]);
        assert_eq!(b.attempt(), 12);
        assert_eq!(r.next_u64(), rng(1).next_u64(), "no jitter, no draw");
        b.reset();
        assert_eq!(b.next_sleep(&mut r), ms(5));
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_cap() {
        for jitter in Jitter::ALL {
            let cap = SimDuration(u64::MAX);
            let mut b = Backoff::new(SimDuration(3), cap, jitter).unwrap();
            let mut r = rng(2);
            for _ in 0..200 {
                assert!(b.next_sleep(&mut r) <= cap);
            }
            b.attempt = u32::MAX - 1;
            b.next_sleep(&mut r);
            b.next_sleep(&mut r);
            assert_eq!(b.attempt(), u32::MAX);
            assert_eq!(b.exponential(), cap);
        }
        for attempt in [0, 1, 20, 61, 62, 63, 64, 65, 1_000] {
            let b =
                Backoff { attempt, ..Backoff::new(SimDuration(3), ms(9), Jitter::None).unwrap() };
            assert_eq!(b.exponential(), exponential(SimDuration(3), ms(9), attempt), "{attempt}");
            let huge = SimDuration(u64::MAX);
            let b =
                Backoff { attempt, ..Backoff::new(SimDuration(3), huge, Jitter::None).unwrap() };
            assert_eq!(b.exponential(), exponential(SimDuration(3), huge, attempt), "{attempt}");
        }
    }

    /// Draws 2,000 sleeps at each of the first 14 attempts (the cap binds from the tenth) and
    /// checks each against `bound(min(cap, base · 2^attempt), cap)`.
    fn check_bounds(jitter: Jitter, bound: impl Fn(SimDuration, SimDuration) -> (u64, u64)) {
        let (base, cap) = (ms(5), ms(2_000));
        let mut r = rng(3);
        for attempt in 0..14 {
            let mut lowest = u64::MAX;
            let mut highest = 0;
            for _ in 0..2_000 {
                let mut b = Backoff { attempt, ..Backoff::new(base, cap, jitter).unwrap() };
                let sleep = b.next_sleep(&mut r).0;
                let (lo, hi) = bound(exponential(base, cap, attempt), cap);
                assert!((lo..=hi).contains(&sleep), "{jitter} attempt {attempt}: {sleep}");
                lowest = lowest.min(sleep);
                highest = highest.max(sleep);
            }
            // The draws spread over the whole range, not a corner of it.
            let (lo, hi) = bound(exponential(base, cap, attempt), cap);
            let slack = (hi - lo) / 50;
            assert!(lowest <= lo + slack && highest >= hi - slack, "{jitter} {attempt}");
        }
    }

    #[test]
    fn full_jitter_is_between_zero_and_the_exponential() {
        check_bounds(Jitter::Full, |temp, _| (0, temp.0));
    }

    #[test]
    fn equal_jitter_is_between_half_and_all_of_the_exponential() {
        check_bounds(Jitter::Equal, |temp, _| (temp.0 - temp.0 / 2, temp.0));
        // Odd ceilings stay within [temp/2, temp].
        let mut b = Backoff::new(SimDuration(3), SimDuration(3), Jitter::Equal).unwrap();
        let mut r = rng(4);
        let mut seen = [false; 4];
        for _ in 0..1_000 {
            let s = b.next_sleep(&mut r).0;
            assert!((2..=3).contains(&s), "{s}");
            seen[s as usize] = true;
        }
        assert!(seen[2] && seen[3]);
    }

    #[test]
    fn decorrelated_jitter_is_between_base_and_three_times_the_previous() {
        let (base, cap) = (ms(5), ms(2_000));
        let mut b = Backoff::new(base, cap, Jitter::Decorrelated).unwrap();
        let mut r = rng(5);
        let mut previous = base;
        let mut reached_cap = false;
        for _ in 0..10_000 {
            let sleep = b.next_sleep(&mut r);
            assert!(sleep >= base && sleep <= cap.min(SimDuration(previous.0 * 3)), "{sleep:?}");
            reached_cap |= sleep == cap;
            previous = sleep;
        }
        assert!(reached_cap, "a long run of failures reaches the cap");
        b.reset();
        assert!(b.next_sleep(&mut r) <= ms(15), "reset: the range is base..=3·base again");
    }

    #[test]
    fn a_seed_fixes_every_sleep() {
        for jitter in Jitter::ALL {
            let run = |seed| {
                let mut b = Backoff::new(ms(5), ms(2_000), jitter).unwrap();
                let mut r = rng(seed);
                let mut sleeps = Vec::new();
                for i in 0..50 {
                    if i % 17 == 16 {
                        b.reset();
                    }
                    sleeps.push(b.next_sleep(&mut r));
                }
                sleeps
            };
            assert_eq!(run(9), run(9), "{jitter}");
            assert_eq!(run(9) == run(10), jitter == Jitter::None, "{jitter}");
        }
    }

    #[test]
    fn jitter_names_are_the_scenario_names() {
        #[derive(Deserialize, Serialize)]
        struct Table {
            jitter: Jitter,
        }
        for jitter in Jitter::ALL {
            let text = toml::to_string(&Table { jitter }).unwrap();
            assert_eq!(text.trim(), format!("jitter = \"{jitter}\""));
            assert_eq!(toml::from_str::<Table>(&text).unwrap().jitter, jitter);
        }
        assert!(toml::from_str::<Table>("jitter = \"exponential\"").is_err());
        assert!(toml::from_str::<Table>("jitter = \"Full\"").is_err());
    }
}
