//! A client's two guards against retry storms: a circuit breaker (closed, open, half-open)
//! and a retry budget (a token bucket), each a switch in `[failover]`.

use sim_core::{LocalTime, SimDuration};

/// A circuit breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; consecutive failures are counted.
    Closed,
    /// Calls fail at once until the local time given.
    Open(LocalTime),
    /// One trial call may go through: its success closes the breaker, its failure opens it.
    HalfOpen {
        /// The trial call is out, until this local time: one that never comes back (its
        /// operation abandoned) does not keep the breaker half-open for ever.
        trial: Option<LocalTime>,
    },
}

/// A circuit breaker, as Nygard's "Release It!" describes it: `failures` consecutive failed
/// calls open it for `open_for`; then one trial call decides.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    failures: u32,
    open_for: SimDuration,
    consecutive: u32,
    state: BreakerState,
}

impl CircuitBreaker {
    /// A closed breaker that opens after `failures` consecutive failures, for `open_for`.
    pub fn new(failures: u32, open_for: SimDuration) -> Self {
        CircuitBreaker { failures, open_for, consecutive: 0, state: BreakerState::Closed }
    }

    /// Its state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// May a call go out now? An open breaker whose time is up lets one trial call through.
    pub fn allow(&mut self, now: LocalTime) -> bool {
        let trial = match self.state {
            BreakerState::Closed => return true,
            BreakerState::Open(until) => now >= until,
            BreakerState::HalfOpen { trial } => trial.is_none_or(|until| now >= until),
        };
        if trial {
            let until = LocalTime(now.0.saturating_add(self.open_for.as_nanos() as i64));
            self.state = BreakerState::HalfOpen { trial: Some(until) };
        }
        trial
    }

    /// A call succeeded: the breaker closes.
    pub fn success(&mut self) {
        self.consecutive = 0;
        self.state = BreakerState::Closed;
    }

    /// A call failed; returns true if the breaker opened now.
    pub fn failure(&mut self, now: LocalTime) -> bool {
        let open = LocalTime(now.0.saturating_add(self.open_for.as_nanos() as i64));
        match self.state {
            BreakerState::HalfOpen { .. } => {
                self.state = BreakerState::Open(open);
                true
            }
            BreakerState::Closed => {
                self.consecutive += 1;
                if self.consecutive >= self.failures {
                    self.consecutive = 0;
                    self.state = BreakerState::Open(open);
                    true
                } else {
                    false
                }
            }
            BreakerState::Open(_) => false,
        }
    }
}

/// A retry budget: a bucket of up to `burst` tokens; each new operation adds `ratio` tokens
/// and each retry takes one, so retries stay within about `ratio` of the operations (as
/// Finagle's and gRPC's retry budgets do). It starts full.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    tokens: f64,
    ratio: f64,
    burst: f64,
}

impl RetryBudget {
    /// A full bucket.
    pub fn new(ratio: f64, burst: u32) -> Self {
        RetryBudget { tokens: burst as f64, ratio, burst: burst as f64 }
    }

    /// A new operation began.
    pub fn deposit(&mut self) {
        self.tokens = (self.tokens + self.ratio).min(self.burst);
    }

    /// May a retry go out? Takes its token if so.
    pub fn withdraw(&mut self) -> bool {
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_a_trial_decides() {
        let mut b = CircuitBreaker::new(3, SimDuration::from_millis(100));
        assert!(!b.failure(LocalTime(0)));
        b.success(); // a success resets the count
        assert!(!b.failure(LocalTime(0)));
        assert!(!b.failure(LocalTime(0)));
        assert!(b.failure(LocalTime(10 * MS)));
        assert_eq!(b.state(), BreakerState::Open(LocalTime(110 * MS)));
        assert!(!b.allow(LocalTime(109 * MS)));
        assert!(b.allow(LocalTime(110 * MS)), "the trial call");
        assert!(!b.allow(LocalTime(111 * MS)), "one trial at a time");
        assert!(b.failure(LocalTime(120 * MS)), "a failed trial opens it again");
        assert!(b.allow(LocalTime(220 * MS)));
        assert!(!b.allow(LocalTime(319 * MS)));
        assert!(b.allow(LocalTime(320 * MS)), "a trial that never came back is replaced");
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow(LocalTime(221 * MS)));
    }

    #[test]
    fn the_budget_allows_retries_in_proportion_to_operations() {
        let mut budget = RetryBudget::new(0.5, 2);
        assert!(budget.withdraw() && budget.withdraw());
        assert!(!budget.withdraw(), "the burst is spent");
        budget.deposit();
        assert!(!budget.withdraw(), "half a token");
        budget.deposit();
        assert!(budget.withdraw());
        for _ in 0..10 {
            budget.deposit();
        }
        assert!(budget.withdraw() && budget.withdraw() && !budget.withdraw(), "capped at burst");
    }
}
