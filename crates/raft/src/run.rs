//! Running Raft under a scenario: build the world, run it, check it, measure it.

use std::sync::Arc;

use check::outcome::CheckResult;
use platform::Driver;
use platform::driver::{Ending, Judgement, Model};
use serde::Serialize;
use sim_core::config::ConfigError;
use sim_core::{
    DistributionSummary, FaultKind, FaultRecord, HistoryEntry, MetricValue, Metrics, NodeId,
    NodeKind, RunSummary, SimConfig, SimTime, Simulation, TraceOptions,
};
use workload::{Client, WorkloadConfig};

use crate::config::RaftConfig;
use crate::node::RaftNode;
use crate::observer::{Observer, SharedObserver};
use crate::server::RaftServer;

/// Everything a Raft run needs.
#[derive(Clone, Debug)]
pub struct RaftRun {
    /// The kernel's config; its topology has the servers and the workload's clients.
    pub sim: SimConfig,
    /// `[raft]`.
    pub raft: RaftConfig,
    /// `[workload]`.
    pub workload: WorkloadConfig,
}

impl RaftRun {
    /// A run of `servers` servers and the workload's clients.
    pub fn new(
        seed: u64,
        servers: u32,
        duration: sim_core::SimDuration,
        raft: RaftConfig,
        workload: WorkloadConfig,
    ) -> Result<Self, ConfigError> {
        let topology = sim_core::Topology::new(servers, workload.clients)?;
        Ok(RaftRun { sim: SimConfig::new(seed, topology, duration), raft, workload })
    }
}

/// Raft's figures for one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RaftMetrics {
    /// Leaders elected.
    pub elections: u64,
    /// The highest term that had a leader.
    pub highest_term: u64,
    /// Per leader crash or isolation: milliseconds until a new leader was elected.
    pub election_downtime_ms: Vec<f64>,
    /// Per leader crash or isolation: milliseconds until the new leader committed an entry.
    pub unavailability_ms: Vec<f64>,
    /// Leader crashes or isolations with no new leader within `downtime_cap` (each counted in
    /// `election_downtime_ms` at the cap).
    pub elections_capped: u64,
    /// Elections after the first at which every server but the previous leader held a log of
    /// one length, so no candidate was barred by its log.
    pub elections_after_equal_logs: u64,
    /// Messages sent, by servers and clients.
    pub messages: u64,
    /// Client commands committed.
    pub committed_ops: u64,
    /// Messages per committed client command.
    pub messages_per_op: f64,
    /// Snapshots taken.
    pub snapshots_taken: u64,
    /// Snapshots installed from a leader.
    pub snapshots_installed: u64,
    /// Milliseconds from a leader appending a client command to committing it.
    pub commit_latency_ms: Option<DistributionSummary>,
}

impl RaftMetrics {
    /// The figures by the names `summary.json` gives them, in a fixed order.
    pub fn named(&self) -> Vec<(String, MetricValue)> {
        let dist = |v: &[f64]| MetricValue::Distribution(DistributionSummary::of(v));
        let mut out = vec![
            ("elections", MetricValue::Count(self.elections)),
            ("highest_term", MetricValue::Count(self.highest_term)),
            ("election_downtime_ms", dist(&self.election_downtime_ms)),
            ("unavailability_ms", dist(&self.unavailability_ms)),
            ("elections_capped", MetricValue::Count(self.elections_capped)),
            ("elections_after_equal_logs", MetricValue::Count(self.elections_after_equal_logs)),
            ("messages", MetricValue::Count(self.messages)),
            ("committed_ops", MetricValue::Count(self.committed_ops)),
            ("messages_per_op", MetricValue::Number(self.messages_per_op)),
            ("snapshots_taken", MetricValue::Count(self.snapshots_taken)),
            ("snapshots_installed", MetricValue::Count(self.snapshots_installed)),
        ];
        if let Some(c) = &self.commit_latency_ms {
            out.push(("commit_latency_ms", MetricValue::Distribution(c.clone())));
        }
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// What a Raft run produced.
pub struct RaftOutcome {
    /// The kernel's summary (outcome, events, trace hash).
    pub summary: RunSummary,
    /// Every check, in order: the four safety properties, linearizable, liveness.
    pub checks: Vec<CheckResult>,
    /// The client history.
    pub history: Vec<HistoryEntry>,
    /// The faults, with the nodes they resolved to.
    pub faults: Vec<FaultRecord>,
    /// The kernel's metrics (latencies, series, counters).
    pub metrics: Metrics,
    /// Raft's own figures.
    pub raft: RaftMetrics,
}

/// Builds the simulation: servers `n1..nN`, clients `c1..cK`, one shared observer.
pub fn prepare(run: &RaftRun) -> Result<(Simulation<RaftNode>, SharedObserver), ConfigError> {
    prepare_traced(run, TraceOptions::default())
}

/// [`prepare`], keeping trace records as `trace` asks (JSON lines, a captured window).
pub fn prepare_traced(
    run: &RaftRun,
    trace: TraceOptions,
) -> Result<(Simulation<RaftNode>, SharedObserver), ConfigError> {
    run.raft.validate()?;
    run.workload.validate()?;
    if run.sim.topology.clients != run.workload.clients {
        return Err(ConfigError::invalid(
            "workload.clients",
            "the topology's clients and the workload's differ",
        ));
    }
    let observer = Observer::shared(run.sim.topology.servers);
    let shared = observer.clone();
    let raft = Arc::new(run.raft.clone());
    let workload = run.workload.clone();
    let sim = Simulation::new(run.sim.clone(), trace, move |id, topo| match topo.kind(id) {
        NodeKind::Server => RaftNode::Server(Box::new(RaftServer::new(
            id,
            topo.servers,
            raft.clone(),
            shared.clone(),
        ))),
        NodeKind::Client => RaftNode::Client(Box::new(Client::new(
            id.0 - topo.servers,
            topo.clients,
            topo.servers,
            workload.clone(),
        ))),
    })?;
    Ok((sim, observer))
}

/// Builds, runs and checks, the client history for linearizability included.
pub fn run(run: &RaftRun) -> Result<RaftOutcome, ConfigError> {
    let (mut sim, observer) = prepare(run)?;
    sim.run();
    Ok(finish(run, sim, &observer, true))
}

/// Checks and measures a finished simulation as the driver does (`linearizability`: check the
/// client history too).
pub fn finish(
    run: &RaftRun,
    mut sim: Simulation<RaftNode>,
    observer: &SharedObserver,
    linearizability: bool,
) -> RaftOutcome {
    let driver = Driver::new(run.clone(), linearizability);
    let (_, checks) = driver.judge(&mut sim, observer);
    let metrics = sim.metrics().clone();
    let raft = raft_metrics(run, &sim, &observer.lock().expect("observer"));
    RaftOutcome {
        summary: sim.summary(),
        checks,
        history: sim.take_history(),
        faults: sim.fault_records().to_vec(),
        metrics,
        raft,
    }
}

impl Model for RaftRun {
    type Node = RaftNode;
    type Observer = SharedObserver;

    fn sim(&self) -> &SimConfig {
        &self.sim
    }

    fn sim_mut(&mut self) -> &mut SimConfig {
        &mut self.sim
    }

    fn build(
        &self,
        trace: TraceOptions,
    ) -> Result<(Simulation<RaftNode>, SharedObserver), ConfigError> {
        prepare_traced(self, trace)
    }

    fn judge(
        &self,
        sim: &mut Simulation<RaftNode>,
        observer: &SharedObserver,
        ending: Ending,
    ) -> Judgement {
        let obs = observer.lock().expect("observer");
        let liveness = ending.quiet.map(|(start, quiet)| {
            if self.workload.clients == 0 {
                // Recovery is judged by a commit after the faults heal; without clients a
                // healthy leader has nothing to commit, so nothing can be judged.
                CheckResult::not_applicable(
                    "liveness",
                    "the scenario has no clients: no command to commit after every fault healed",
                )
            } else {
                liveness(&obs, start, quiet)
            }
        });
        Judgement {
            checks: obs.safety_checks(),
            liveness,
            metrics: raft_metrics(self, sim, &obs).named(),
            ..Judgement::default()
        }
    }
}

/// Raft's figures for a finished simulation.
fn raft_metrics(run: &RaftRun, sim: &Simulation<RaftNode>, obs: &Observer) -> RaftMetrics {
    let metrics = sim.metrics();
    let mut raft = RaftMetrics {
        elections: obs.elections().len() as u64,
        highest_term: obs.highest_term(),
        messages: sim.messages_sent(NodeKind::Server) + sim.messages_sent(NodeKind::Client),
        committed_ops: obs.client_commits,
        elections_after_equal_logs: obs.elections_after_equal_logs,
        snapshots_taken: metrics.counter("raft.snapshots_taken"),
        snapshots_installed: metrics.counter("raft.snapshots_installed"),
        commit_latency_ms: metrics
            .histogram("raft.commit_latency_ns")
            .map(DistributionSummary::of_histogram_ms),
        ..RaftMetrics::default()
    };
    raft.messages_per_op = if raft.committed_ops == 0 {
        0.0
    } else {
        raft.messages as f64 / raft.committed_ops as f64
    };
    let end = SimTime(run.sim.end().0);
    let d = downtimes(obs, sim.fault_records(), run.raft.downtime_cap, end);
    (raft.election_downtime_ms, raft.unavailability_ms, raft.elections_capped) = d;
    raft
}

fn liveness(obs: &Observer, quiet_start: SimTime, quiet: sim_core::SimDuration) -> CheckResult {
    const NAME: &str = "liveness";
    if obs.elections().is_empty() {
        return CheckResult::fail(NAME, "no leader was ever elected");
    }
    let first_commit = obs
        .elections()
        .iter()
        .map(|e| e.term)
        .chain(std::iter::once(obs.highest_term()))
        .filter_map(|t| obs.first_commit_at_or_after(t, quiet_start))
        .min();
    match first_commit {
        Some(t) => CheckResult::pass(
            NAME,
            format!(
                "after every fault healed, a leader committed within {:.1} ms (bound: the {quiet} quiet period)",
                t.saturating_since(quiet_start).as_millis_f64()
            ),
        ),
        None => CheckResult::fail(
            NAME,
            format!("no entry committed in the {quiet} after every fault healed"),
        ),
    }
}

/// Election downtime and unavailability after each fault that hit the leader of the moment, and
/// how many trials hit the cap (counted at the cap; a trial the run's end cut short before
/// the cap is left out). A fault that hits a leader an earlier fault already took down, with no
/// election between them (aimed faults armed during a long split vote all fire on the next
/// leader's first event), is part of that trial, not a new one.
fn downtimes(
    obs: &Observer,
    faults: &[FaultRecord],
    cap: sim_core::SimDuration,
    end: SimTime,
) -> (Vec<f64>, Vec<f64>, u64) {
    let mut downtime = Vec::new();
    let mut unavailable = Vec::new();
    let mut capped = 0;
    let mut faults: Vec<&FaultRecord> = faults.iter().filter(|f| f.skipped.is_none()).collect();
    faults.sort_by_key(|f| f.at());
    let mut last_trial_term = None;
    for f in faults {
        let hits_leader = matches!(
            f.spec.kind,
            FaultKind::Crash { .. } | FaultKind::Pause { .. } | FaultKind::Partition { .. }
        );
        let t = f.at();
        let Some(current) = obs.elections().iter().rev().find(|e| e.time <= t) else { continue };
        let leader_name = format!("n{}", current.node.0 + 1);
        if !hits_leader
            || !f.resolved.contains(&leader_name)
            || is_in_majority_side(f, &leader_name)
            || last_trial_term == Some(current.term)
        {
            continue;
        }
        last_trial_term = Some(current.term);
        let next = obs.elections().iter().find(|e| e.time >= t && e.term > current.term);
        match next {
            Some(next) if next.time.saturating_since(t) <= cap => {
                downtime.push(next.time.saturating_since(t).as_millis_f64());
                if let Some(c) = obs.first_commit(next.term) {
                    unavailable.push(c.saturating_since(t).as_millis_f64());
                }
            }
            _ if t + cap <= end => {
                downtime.push(cap.as_millis_f64());
                capped += 1;
            }
            _ => {}
        }
    }
    (downtime, unavailable, capped)
}

/// For a `groups` partition, the leader is cut off only if it is not in the largest group.
fn is_in_majority_side(f: &FaultRecord, leader: &str) -> bool {
    match &f.spec.kind {
        FaultKind::Partition { groups: Some(groups), .. } => {
            let largest = groups.iter().map(Vec::len).max().unwrap_or(0);
            groups.iter().any(|g| g.len() == largest && g.iter().any(|n| n == leader))
        }
        _ => false,
    }
}

/// The server node ids of a run.
pub fn servers(sim: &Simulation<RaftNode>) -> Vec<NodeId> {
    sim.topology().servers().collect()
}
