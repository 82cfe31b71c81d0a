//! The one driver that runs any protocol: [`Model`] is what a protocol implements for a run,
//! [`Driver`] runs it, and [`Run`] is what the commands above hold, whatever the protocol.

use std::fmt::Debug;

use check::outcome::CheckResult;
use sim_core::config::ConfigError;
use sim_core::{
    Divergence, MetricValue, Node, Outcome, SimConfig, SimDuration, SimTime, Simulation,
    TraceOptions, determinism,
};

use crate::checks::linearizable;
use crate::result::{RunResult, Stopwatch};

/// Slices a run is cut into for progress reports.
const PROGRESS_SLICES: u64 = 200;

/// What a protocol's checks and measurements found in a finished run.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// The protocol's own properties (safety invariants), in its order.
    pub checks: Vec<CheckResult>,
    /// Recovery after every fault healed, when the scenario has a quiet period; the driver
    /// asks for it only when the run reached its end.
    pub liveness: Option<CheckResult>,
    /// The protocol's own figures (`summary.json`'s `metrics`), in its order.
    pub metrics: Vec<(String, MetricValue)>,
    /// Why the client history cannot be judged against the protocol's promise, if faults made
    /// it so (a departure that took the only copies of acknowledged writes with it): the
    /// linearizability check then says unknown, with this reason, instead of failing the
    /// protocol for a loss the faults caused.
    pub history_unjudgeable: Option<String>,
}

/// What the driver tells a protocol's judge about the run it judges.
#[derive(Clone, Copy, Debug)]
pub struct Ending {
    /// The run reached its end (not cut short by `events_max`).
    pub complete: bool,
    /// When the quiet period began and how long it lasted, if the scenario has one.
    pub quiet: Option<(SimTime, SimDuration)>,
}

/// One prepared run of a protocol: everything it needs to build, run and judge a simulation.
pub trait Model: Clone + Debug + Send + Sync + 'static {
    /// The node type the simulation runs (servers and clients alike).
    type Node: Node;
    /// Whatever the protocol keeps beside the nodes to judge the run (an observer of events).
    type Observer;

    /// The kernel's config.
    fn sim(&self) -> &SimConfig;
    /// The kernel's config, to change (a fuzzer bounds `events_max`).
    fn sim_mut(&mut self) -> &mut SimConfig;
    /// Builds the simulation, keeping trace records as `trace` asks.
    fn build(
        &self,
        trace: TraceOptions,
    ) -> Result<(Simulation<Self::Node>, Self::Observer), ConfigError>;
    /// Judges and measures a finished simulation.
    fn judge(
        &self,
        sim: &mut Simulation<Self::Node>,
        observer: &Self::Observer,
        ending: Ending,
    ) -> Judgement;
}

/// A prepared run, whatever its protocol: what run, sweep, hunt, replay and trace hold.
pub trait Run: Debug + Send + Sync {
    /// The kernel's config of this run.
    fn sim_config(&self) -> &SimConfig;
    /// Runs the scenario and every check. `trace` says which trace records to keep;
    /// `progress` hears the simulated time reached, a few hundred times over the run.
    fn execute(
        &self,
        trace: TraceOptions,
        progress: &mut dyn FnMut(SimTime),
    ) -> std::io::Result<RunResult>;
    /// Runs the simulation twice and returns its trace hash, or where the two runs first
    /// diverge.
    fn check_determinism(&self) -> Result<u64, Box<Divergence>>;
    /// Bounds the run's work (a fuzzer's runs must stay short): at most `events` events and
    /// `check_steps` linearizability search steps.
    fn bound(&mut self, events: u64, check_steps: u64);

    /// Runs the scenario and its checks with no trace kept and no progress reports.
    fn execute_quietly(&self) -> RunResult {
        self.execute_with(TraceOptions::default())
    }

    /// Runs the scenario and its checks keeping the records `options` capture in memory (no
    /// trace file: `options.jsonl` must be `None`).
    fn execute_with(&self, options: TraceOptions) -> RunResult {
        assert!(options.jsonl.is_none(), "a trace file is written with execute");
        self.execute(options, &mut |_| {}).expect("without a trace file, nothing is written")
    }
}

/// Runs a [`Model`]: the generic half of every protocol's run.
#[derive(Clone, Debug)]
pub struct Driver<M> {
    /// The protocol's run.
    pub model: M,
    /// Check the client history for linearizability (what the configuration promises).
    pub linearizable: bool,
    /// The linearizability checker's budget (search steps).
    pub check_budget: u64,
}

impl<M: Model> Driver<M> {
    /// A driver for `model`, checking linearizability if `linearizable`, with the checker's
    /// default budget.
    pub fn new(mut model: M, linearizable: bool) -> Self {
        // Series are kept in the windows the report draws, so the two agree window for window.
        let end = model.sim().end();
        model.sim_mut().metrics_window = SimDuration(crate::series::window_width_ns(end.0));
        Driver { model, linearizable, check_budget: check::linearizability::DEFAULT_BUDGET }
    }

    /// Judges a finished simulation: the protocol's checks, then linearizability of the client
    /// history (when promised and there are clients), then liveness (unknown when the run was
    /// cut short: it proves nothing about recovery).
    pub fn judge(
        &self,
        sim: &mut Simulation<M::Node>,
        observer: &M::Observer,
    ) -> (Judgement, Vec<CheckResult>) {
        let config = self.model.sim();
        let summary = sim.summary();
        let complete = summary.outcome != Outcome::EventsMax;
        let quiet = config.quiet.map(|q| (SimTime(config.duration.as_nanos()), q));
        let mut judgement = self.model.judge(sim, observer, Ending { complete, quiet });
        let mut checks = std::mem::take(&mut judgement.checks);
        // Without clients there is no history to judge: the check does not run (and is not
        // listed).
        if self.linearizable && config.topology.clients > 0 {
            checks.push(match judgement.history_unjudgeable.take() {
                Some(why) => CheckResult::unknown("linearizable", why),
                None => linearizable(sim.history(), self.check_budget),
            });
        }
        if quiet.is_some() {
            if !complete {
                checks.push(CheckResult::unknown(
                    "liveness",
                    format!(
                        "the run stopped at events_max ({} events) before its end",
                        summary.events
                    ),
                ));
            } else if let Some(l) = judgement.liveness.take() {
                checks.push(l);
            }
        }
        (judgement, checks)
    }
}

impl<M: Model> Run for Driver<M> {
    fn sim_config(&self) -> &SimConfig {
        self.model.sim()
    }

    fn execute(
        &self,
        trace: TraceOptions,
        progress: &mut dyn FnMut(SimTime),
    ) -> std::io::Result<RunResult> {
        let config = self.model.sim();
        let end = config.end();
        let quiet_start = config.quiet.map(|_| SimTime(config.duration.as_nanos()));
        let clock = Stopwatch::start();
        let (mut sim, observer) = self.model.build(trace).expect("a prepared run was validated");
        sim.run_reporting(PROGRESS_SLICES, progress);
        sim.finish_trace()?;
        let captured = sim.trace().captured().to_vec();
        let (judgement, checks) = self.judge(&mut sim, &observer);
        Ok(RunResult {
            summary: sim.summary(),
            end,
            quiet_start,
            checks,
            history: sim.take_history(),
            faults: sim.fault_records().to_vec(),
            metrics: judgement.metrics,
            series: sim.metrics().all_series().clone(),
            wall_seconds: clock.seconds(),
            captured,
        })
    }

    fn check_determinism(&self) -> Result<u64, Box<Divergence>> {
        determinism::check(|trace| self.model.build(trace).expect("a prepared run was validated").0)
    }

    fn bound(&mut self, events: u64, check_steps: u64) {
        let sim = self.model.sim_mut();
        sim.events_max = sim.events_max.min(events);
        self.check_budget = self.check_budget.min(check_steps);
    }
}
