//! What any protocol's run produced, in one shape that the summary, the report, sweeps and
//! hunts read without knowing the protocol.

use std::collections::BTreeMap;

use check::outcome::{CheckResult, CheckStatus};
use sim_core::metrics::Series;
use sim_core::{FaultRecord, HistoryEntry, MetricValue, Outcome, RunSummary, SimTime, TraceRecord};

/// Wall-clock time, read only around a run (never inside one) to report its speed.
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    /// Starts now.
    #[allow(clippy::disallowed_methods, reason = "wall time is measured around runs, not in them")]
    pub fn start() -> Self {
        Stopwatch(std::time::Instant::now())
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// What any protocol's run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The kernel's summary: how it ended, events, trace hash.
    pub summary: RunSummary,
    /// When the run was due to end (`duration` plus the quiet period).
    pub end: SimTime,
    /// When the quiet period began, if there was one.
    pub quiet_start: Option<SimTime>,
    /// Every check, in the protocol's order.
    pub checks: Vec<CheckResult>,
    /// The client history.
    pub history: Vec<HistoryEntry>,
    /// The faults, with the nodes they resolved to.
    pub faults: Vec<FaultRecord>,
    /// The protocol's own figures, in its order.
    pub metrics: Vec<(String, MetricValue)>,
    /// The time series recorded through the nodes' contexts, by name.
    pub series: BTreeMap<String, Series>,
    /// Wall seconds the simulation and its checks took.
    pub wall_seconds: f64,
    /// Trace records captured by the trace options' capture windows.
    pub captured: Vec<TraceRecord>,
}

/// Pass, fail or inconclusive: the run's verdict, from which the exit status follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every check passed.
    Pass,
    /// A check failed.
    Fail,
    /// Nothing failed, but a check could not decide, `events_max` cut the run short, or no
    /// check judged anything (every one was not applicable).
    Inconclusive,
}

impl RunResult {
    /// The run's verdict: a failed check wins over anything inconclusive.
    pub fn verdict(&self) -> Verdict {
        if self.checks.iter().any(|c| c.status == CheckStatus::Fail) {
            Verdict::Fail
        } else if self.summary.outcome == Outcome::EventsMax
            || self.checks.iter().any(|c| c.status == CheckStatus::Unknown)
            || !self.checks.iter().any(|c| c.status == CheckStatus::Pass)
        {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        }
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }
}
