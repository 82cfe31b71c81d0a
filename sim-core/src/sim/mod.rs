//! The simulation: a world of nodes driven by one event queue, and the verbs that fault it.
//!
//! [`Simulation::new`] validates a [`SimConfig`] once and builds the world: topology, network,
//! clocks, streams, the expanded fault list. [`Simulation::run`] pops events in (time, sequence)
//! order until the end time, an empty queue, or `events_max` (a reported outcome, never a hang).
//! Each event is one of: start a node, deliver a message, fire a timer, wake a busy node, begin
//! or heal a fault, restart a node, heal everything (the quiet period). Faults can also be
//! injected directly with verbs ([`Simulation::partition`], [`Simulation::crash`], …), as
//! tests do.
//!
//! Node inputs (messages, timers) reach a node's handler at once when it is idle; when it is busy
//! (it declared CPU time with [`Context::busy`](crate::node::Context::busy)) or paused, they wait
//! in its inbox, first in first out, and a wake event hands them over one by one. A crash empties
//! the inbox, drops the node's timers and volatile state, and loses its unsynced writes; a message
//! arriving at a crashed node is dropped. Messages to itself never cross the network: no latency,
//! loss, duplication or partition applies.

// One idea per file: the types and construction here; the kernel's world (node state, timers,
// sends) in `world`; the event loop in `run`; the fault verbs harnesses call in `verbs`;
// selector resolution in `select`; read access in `accessors`. What a fault does to the world
// lives beside the fault model, in `crate::faults::effects`.
mod accessors;
mod run;
mod select;
mod verbs;
mod world;

use std::collections::VecDeque;

pub(crate) use world::Event;
pub(crate) use world::World;
use world::{NodeResources, NodeState};

use crate::clock::ClockConfig;
use crate::config::ConfigError;
use crate::faults::{FaultRecord, FaultSpec, NemesisConfig};
use crate::metrics::Metrics;
use crate::network::{Network, NetworkConfig};
use crate::node::Node;
use crate::queue::EventQueue;
use crate::rng::{RngRoot, Stream};
use crate::storage::Storage;
use crate::time::{SimDuration, SimTime};
use crate::topology::{NodeId, Topology};
use crate::trace::{Trace, TraceOptions};

/// Default bound on events per run.
pub const DEFAULT_EVENTS_MAX: u64 = 1_000_000_000;

/// Everything a run needs besides its nodes.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed: fixes every random choice.
    pub seed: u64,
    /// Servers and clients.
    pub topology: Topology,
    /// The network.
    pub network: NetworkConfig,
    /// Clock offsets and drifts.
    pub clock: ClockConfig,
    /// Scheduled faults.
    pub faults: Vec<FaultSpec>,
    /// Random faults.
    pub nemesis: Option<NemesisConfig>,
    /// Faults must start before this time; without a quiet period the run ends here.
    pub duration: SimDuration,
    /// The quiet period: at `duration` every fault heals and the run goes on this long.
    pub quiet: Option<SimDuration>,
    /// Bound on events processed.
    pub events_max: u64,
    /// Window width of metric series.
    pub metrics_window: SimDuration,
}

impl SimConfig {
    /// A fault-free config: `servers` servers, `clients` clients, default network and clocks.
    pub fn new(seed: u64, topology: Topology, duration: SimDuration) -> Self {
        SimConfig {
            seed,
            topology,
            network: NetworkConfig::default(),
            clock: ClockConfig::default(),
            faults: Vec::new(),
            nemesis: None,
            duration,
            quiet: None,
            events_max: DEFAULT_EVENTS_MAX,
            metrics_window: SimDuration::from_secs(1),
        }
    }

    /// Whether a fault of kind `kind` can happen in this run: a scripted one, or one the
    /// nemesis may draw. Protocols ask it to decide what a run's checks can judge.
    pub fn may_inject(&self, kind: crate::FaultName) -> bool {
        self.faults.iter().any(|f| f.kind.name() == kind)
            || self.nemesis.as_ref().is_some_and(|n| n.kinds.iter().any(|k| k == kind.as_str()))
    }

    /// The simulated time at which the run ends: `duration` plus the quiet period.
    pub fn end(&self) -> SimTime {
        SimTime(self.duration.0).saturating_add(self.quiet.unwrap_or_default())
    }

    /// Checks every value; the first error names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::config::require_positive("duration", self.duration)?;
        crate::config::require_bounded("duration", self.duration)?;
        if let Some(q) = self.quiet {
            crate::config::require_positive("check.liveness", q)?;
            crate::config::require_bounded("check.liveness", q)?;
        }
        if self.events_max == 0 {
            return Err(ConfigError::out_of_range("check.events_max", 0, "at least 1"));
        }
        crate::config::require_positive("metrics_window", self.metrics_window)?;
        self.network.validate(&self.topology)?;
        self.clock.validate()?;
        for (i, f) in self.faults.iter().enumerate() {
            f.validate(&format!("fault[{i}]"), &self.topology, self.duration)?;
        }
        if let Some(n) = &self.nemesis {
            n.validate(self.duration)?;
            n.validate_selectors(&self.topology)?;
        }
        Ok(())
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It reached its end time.
    Completed,
    /// Nothing was left to do before the end time.
    Quiescent,
    /// It stopped at `events_max`: inconclusive.
    EventsMax,
}

/// The fingerprint and figures of a finished run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary {
    /// How it ended.
    pub outcome: Outcome,
    /// Simulated time when it stopped.
    pub end: SimTime,
    /// Events processed.
    pub events: u64,
    /// The trace hash.
    pub trace_hash: u64,
}

/// Builds a node (at the start, and again after each crash).
type NodeFactory<N> = Box<dyn FnMut(NodeId, &Topology) -> N + Send>;

/// A running simulation of nodes of type `N`.
// Fields the fault effects act on are crate-visible (they live in `crate::faults::effects`);
// the rest only `sim`'s own files touch.
pub struct Simulation<N: Node> {
    pub(crate) nodes: Vec<Option<N>>,
    pub(crate) factory: NodeFactory<N>,
    pub(crate) world: World<N>,
    pub(super) config: SimConfig,
    pub(crate) faults: Vec<FaultSpec>,
    pub(crate) records: Vec<FaultRecord>,
    /// The nodes each fault resolved to (for heals).
    pub(crate) targets: Vec<Vec<NodeId>>,
    pub(super) events: u64,
    pub(super) outcome: Option<Outcome>,
}

impl<N: Node> Simulation<N> {
    /// Validates `config` and builds the world; `factory` builds each node (and rebuilds it
    /// after a crash).
    pub fn new(
        config: SimConfig,
        trace: TraceOptions,
        factory: impl FnMut(NodeId, &Topology) -> N + Send + 'static,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let topo = config.topology.clone();
        let root = RngRoot::new(config.seed);
        let mut clock_rng = root.stream(Stream::Clocks);
        let mut fault_rng = root.stream(Stream::Faults);
        let faults = crate::faults::expand(
            &config.faults,
            config.nemesis.as_ref(),
            config.duration,
            &mut fault_rng,
        );
        let absent = crate::faults::absent_at_start(&faults, &topo);
        let states = topo
            .nodes()
            .map(|id| NodeState {
                up: !absent.contains(&id),
                absent: absent.contains(&id),
                leaving: false,
                paused: false,
                wake_pending: false,
                incarnation: 0,
                busy_until: SimTime::ZERO,
                slow_milli: 1000,
                inbox: VecDeque::new(),
            })
            .collect();
        let resources = topo
            .nodes()
            .map(|id| {
                let clock = config.clock.draw(&mut clock_rng);
                NodeResources {
                    own_drift_ppm: clock.drift_ppm(),
                    clock,
                    rng: root.stream(Stream::Node(id.0)),
                    storage: Storage::default(),
                    crash_times: Vec::new(),
                }
            })
            .collect();
        let network = Network::new(&config.network, &topo)?;
        let mut world = World {
            now: SimTime::ZERO,
            topology: topo.clone(),
            queue: EventQueue::with_capacity(1024),
            states,
            resources,
            timers: Vec::new(),
            timer_free: Vec::new(),
            network_has_bandwidth: config.network.bandwidth.is_some(),
            network,
            net_rng: root.stream(Stream::Network),
            fault_rng,
            disk_rng: root.stream(Stream::Disk),
            trace: Trace::new(topo.names(), trace),
            metrics: Metrics::new(config.metrics_window, topo.servers),
            history: Vec::new(),
            next_message: 0,
            sent: [0; 2],
            armed: Vec::new(),
            trigger: None,
            membership_log: Vec::new(),
            departures: Vec::new(),
        };
        world.membership_log.push(world.current_members());
        for id in topo.nodes().filter(|id| !absent.contains(id)) {
            world.queue.push(SimTime::ZERO, Event::Start(id));
        }
        for (i, f) in faults.iter().enumerate() {
            world.queue.push(SimTime(f.at.0), Event::Fault(i as u32));
        }
        if config.quiet.is_some() {
            world.queue.push(SimTime(config.duration.0), Event::HealAll);
        }
        let mut factory: NodeFactory<N> = Box::new(factory);
        let nodes =
            topo.nodes().map(|id| (!absent.contains(&id)).then(|| factory(id, &topo))).collect();
        Ok(Simulation {
            nodes,
            factory,
            world,
            config,
            targets: vec![Vec::new(); faults.len()],
            records: Vec::new(),
            faults,
            events: 0,
            outcome: None,
        })
    }
}
