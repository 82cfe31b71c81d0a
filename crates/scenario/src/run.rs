//! Running a prepared scenario, whatever its protocol, into one [`RunResult`] shape that the
//! summary, the report and sweeps read without knowing the protocol.

use check::outcome::{CheckResult, CheckStatus};
use sim_core::{
    Divergence, FaultRecord, HistoryEntry, MetricValue, Outcome, RunSummary, SimConfig, SimTime,
    TraceOptions, TraceRecord, determinism,
};

use crate::registry::Prepared;

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

/// Slices a run is cut into for progress reports.
const PROGRESS_SLICES: u64 = 200;

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

impl Prepared {
    /// The kernel's config of this run.
    pub fn sim_config(&self) -> &SimConfig {
        match self {
            Prepared::Raft(run) => &run.sim,
        }
    }

    /// Runs the scenario and every check. `trace` says which trace records to keep;
    /// `progress` hears the simulated time reached, a few hundred times over the run.
    pub fn execute(
        &self,
        trace: TraceOptions,
        progress: &mut dyn FnMut(SimTime),
    ) -> std::io::Result<RunResult> {
        let config = self.sim_config();
        let end = config.end();
        let quiet_start = config.quiet.map(|_| SimTime(config.duration.as_nanos()));
        let clock = Stopwatch::start();
        match self {
            Prepared::Raft(run) => {
                let (mut sim, observer) = raft::run::prepare_traced(run, trace)
                    .expect("a prepared scenario was validated");
                sim.run_reporting(PROGRESS_SLICES, progress);
                sim.finish_trace()?;
                let captured = sim.trace().captured().to_vec();
                let outcome = raft::run::finish(run, sim, &observer, true);
                Ok(RunResult {
                    summary: outcome.summary,
                    end,
                    quiet_start,
                    checks: outcome.checks,
                    history: outcome.history,
                    faults: outcome.faults,
                    metrics: outcome.raft.named(),
                    wall_seconds: clock.seconds(),
                    captured,
                })
            }
        }
    }

    /// Runs the scenario and its checks with no trace kept and no progress reports.
    pub fn execute_quietly(&self) -> RunResult {
        self.execute_with(TraceOptions::default())
    }

    /// Runs the scenario and its checks keeping the records `options` capture in memory (no
    /// trace file: `options.jsonl` must be `None`).
    pub fn execute_with(&self, options: TraceOptions) -> RunResult {
        assert!(options.jsonl.is_none(), "a trace file is written with execute");
        self.execute(options, &mut |_| {}).expect("without a trace file, nothing is written")
    }

    /// Runs the simulation twice and returns its trace hash, or where the two runs first
    /// diverge.
    pub fn check_determinism(&self) -> Result<u64, Box<Divergence>> {
        match self {
            Prepared::Raft(run) => determinism::check(|trace| {
                raft::run::prepare_traced(run, trace).expect("a prepared scenario was validated").0
            }),
        }
    }
}
