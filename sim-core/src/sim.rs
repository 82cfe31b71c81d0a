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
//! Node inputs (messages, timers) reach a node's handler at once when it is idle; when it is
//! busy (it declared CPU time with [`Context::busy`]) or paused, they wait in its inbox, first
//! in first out, and a wake event hands them over one by one. A crash empties the inbox, drops
//! the node's timers and volatile state, and loses its unsynced writes; a message arriving at a
//! crashed node is dropped. Messages to itself never cross the network: no latency, loss,
//! duplication or partition applies.

use std::collections::VecDeque;

use crate::clock::{Clock, ClockConfig};
use crate::config::ConfigError;
use crate::config::{Selector, probability};
use crate::faults::DiskMode;
use crate::faults::{FaultKind, FaultRecord, FaultSpec, NemesisConfig, NodeSet};
use crate::history::HistoryEntry;
use crate::metrics::Metrics;
use crate::network::{Network, NetworkConfig, NetworkFault, PartitionRule, Routing};
use crate::node::{Context, Node, TimerId};
use crate::queue::EventQueue;
use crate::rng::{RngRoot, SimRng, Stream};
use crate::storage::Storage;
use crate::time::{LocalTime, SimDuration, SimTime};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trace::{DropReason, NO_NODE, Trace, TraceKind, TraceOptions, digest};

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
        Topology::new(self.topology.servers, self.topology.clients)?;
        self.network.validate(&self.topology)?;
        self.clock.validate()?;
        for (i, f) in self.faults.iter().enumerate() {
            f.validate(&format!("fault[{i}]"), &self.topology, self.duration)?;
        }
        if let Some(n) = &self.nemesis {
            n.validate(self.duration)?;
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

/// A node input: handed to the handler at once, or queued while the node is busy or paused.
enum Input<M> {
    Message { from: NodeId, msg: M, id: u64 },
    Timer { slot: u32, generation: u32 },
}

enum Event<M> {
    Start(NodeId),
    Deliver { from: NodeId, to: NodeId, msg: M, id: u64, depart: SimTime, sender_incarnation: u32 },
    Timer { node: NodeId, slot: u32, generation: u32 },
    Wake { node: NodeId, incarnation: u32 },
    Fault(u32),
    Heal(u32),
    Restart(NodeId),
    HealAll,
}

/// Kernel-side state of one node (its protocol state lives in the node object).
/// Read on every event, so kept small and apart from [`NodeResources`] (a cache line or so
/// per node instead of several hundred bytes).
pub(crate) struct NodeState<M> {
    pub(crate) up: bool,
    paused: bool,
    wake_pending: bool,
    /// Number of crashes so far.
    incarnation: u32,
    pub(crate) busy_until: SimTime,
    /// Processing-time multiplier in thousandths (1000 = normal speed).
    slow_milli: u64,
    inbox: VecDeque<Input<M>>,
}

/// What a node owns besides its protocol state: read only when the node itself acts.
pub(crate) struct NodeResources {
    pub(crate) clock: Clock,
    /// The drift the node was born with (a drift fault returns to it when healed).
    own_drift_ppm: f64,
    pub(crate) rng: SimRng,
    pub(crate) storage: Storage,
    /// `crash_times[k]`: when incarnation `k` ended.
    crash_times: Vec<SimTime>,
}

impl<M> NodeState<M> {
    /// Scales a processing time by the node's slowness.
    #[inline]
    pub(crate) fn scale(&self, d: SimDuration) -> SimDuration {
        if self.slow_milli == 1000 {
            d
        } else {
            SimDuration((d.0 as u128 * self.slow_milli as u128 / 1000).min(u64::MAX as u128) as u64)
        }
    }
}

struct TimerSlot<T> {
    node: NodeId,
    /// Bumped when the slot is freed: a `TimerId` with an older generation is stale.
    id_generation: u32,
    /// Bumped when the timer is rescheduled (clock change) or freed: older queue entries are stale.
    queue_generation: u32,
    deadline: LocalTime,
    timer: Option<T>,
}

/// Everything but the node objects: what a [`Context`] may touch.
pub struct World<N: Node> {
    pub(crate) now: SimTime,
    pub(crate) topology: Topology,
    queue: EventQueue<Event<N::Msg>>,
    pub(crate) states: Vec<NodeState<N::Msg>>,
    pub(crate) resources: Vec<NodeResources>,
    timers: Vec<TimerSlot<N::Timer>>,
    timer_free: Vec<u32>,
    network: Network,
    /// Whether the bandwidth model is on (only then are message sizes asked for).
    network_has_bandwidth: bool,
    net_rng: SimRng,
    fault_rng: SimRng,
    disk_rng: SimRng,
    pub(crate) trace: Trace,
    pub(crate) metrics: Metrics,
    pub(crate) history: Vec<HistoryEntry>,
    next_message: u64,
    /// Messages sent by servers and by clients.
    sent: [u64; 2],
}

impl<N: Node> World<N> {
    /// Appends a trace record that has no detail text, at the current time.
    #[inline]
    fn log(&mut self, kind: TraceKind, node: u32, peer: u32, a: u64, b: u64) {
        self.trace.record(self.now, kind, node, peer, a, b, String::new);
    }

    pub(crate) fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg, delay: SimDuration) {
        assert!(to.0 < self.topology.len(), "send to unknown node {to:?}");
        let now = self.now;
        let id = self.next_message;
        self.next_message += 1;
        let digest = digest(&msg);
        self.sent[usize::from(from.0 >= self.topology.servers)] += 1;
        self.trace.record(now, TraceKind::Send, from.0, to.0, id, digest, || format!("{msg:?}"));
        let incarnation = self.states[from.index()].incarnation;
        let depart = now + delay;
        if from == to {
            let ev = Event::Deliver { from, to, msg, id, depart, sender_incarnation: incarnation };
            self.queue.push(depart, ev);
            return;
        }
        let size =
            if self.network_has_bandwidth { crate::node::Message::wire_size(&msg) } else { 0 };
        match self.network.route(&mut self.net_rng, now, from, to, delay, size) {
            Routing::Drop(reason) => {
                self.log(TraceKind::Drop, from.0, to.0, id, reason as u64);
            }
            Routing::Deliver { at, duplicate_at } => {
                if let Some(dup_at) = duplicate_at {
                    let dup_id = self.next_message;
                    self.next_message += 1;
                    self.log(TraceKind::Duplicate, from.0, to.0, dup_id, id);
                    let ev = Event::Deliver {
                        from,
                        to,
                        msg: msg.clone(),
                        id: dup_id,
                        depart,
                        sender_incarnation: incarnation,
                    };
                    self.queue.push(dup_at, ev);
                }
                let ev =
                    Event::Deliver { from, to, msg, id, depart, sender_incarnation: incarnation };
                self.queue.push(at, ev);
            }
        }
    }

    pub(crate) fn set_timer(
        &mut self,
        node: NodeId,
        deadline: LocalTime,
        timer: N::Timer,
    ) -> TimerId {
        let slot = match self.timer_free.pop() {
            Some(s) => s,
            None => {
                self.timers.push(TimerSlot {
                    node,
                    id_generation: 0,
                    queue_generation: 0,
                    deadline,
                    timer: None,
                });
                (self.timers.len() - 1) as u32
            }
        };
        let t = &mut self.timers[slot as usize];
        t.node = node;
        t.deadline = deadline;
        t.timer = Some(timer);
        let id = TimerId((t.id_generation as u64) << 32 | slot as u64);
        let generation = t.queue_generation;
        let fire_at = self.resources[node.index()].clock.sim_time_at(deadline).max(self.now);
        self.queue.push(fire_at, Event::Timer { node, slot, generation });
        self.log(TraceKind::TimerSet, node.0, NO_NODE, id.0, deadline.0 as u64);
        id
    }

    pub(crate) fn cancel_timer(&mut self, node: NodeId, id: TimerId) -> bool {
        let slot = id.0 as u32;
        let live = self.timers.get(slot as usize).is_some_and(|t| {
            t.node == node && t.timer.is_some() && t.id_generation == (id.0 >> 32) as u32
        });
        if live {
            self.free_timer(slot);
            self.log(TraceKind::TimerCancel, node.0, NO_NODE, id.0, 0);
        }
        live
    }

    fn free_timer(&mut self, slot: u32) -> Option<N::Timer> {
        let t = &mut self.timers[slot as usize];
        t.id_generation = t.id_generation.wrapping_add(1);
        t.queue_generation = t.queue_generation.wrapping_add(1);
        let timer = t.timer.take();
        self.timer_free.push(slot);
        timer
    }

    /// Re-queues a node's timers after its clock changed.
    fn reschedule_timers(&mut self, node: NodeId) {
        let clock = self.resources[node.index()].clock;
        for slot in 0..self.timers.len() {
            let t = &mut self.timers[slot];
            if t.node == node && t.timer.is_some() {
                t.queue_generation = t.queue_generation.wrapping_add(1);
                let generation = t.queue_generation;
                let at = clock.sim_time_at(t.deadline).max(self.now);
                self.queue.push(at, Event::Timer { node, slot: slot as u32, generation });
            }
        }
    }

    fn schedule_wake(&mut self, node: NodeId) {
        let st = &mut self.states[node.index()];
        if st.wake_pending || st.paused || !st.up || st.inbox.is_empty() {
            return;
        }
        st.wake_pending = true;
        let at = st.busy_until.max(self.now);
        let incarnation = st.incarnation;
        self.queue.push(at, Event::Wake { node, incarnation });
    }
}

/// Builds a node (at the start, and again after each crash).
type NodeFactory<N> = Box<dyn FnMut(NodeId, &Topology) -> N + Send>;

/// A running simulation of nodes of type `N`.
pub struct Simulation<N: Node> {
    nodes: Vec<Option<N>>,
    factory: NodeFactory<N>,
    world: World<N>,
    config: SimConfig,
    faults: Vec<FaultSpec>,
    records: Vec<FaultRecord>,
    /// The nodes each fault resolved to (for heals).
    targets: Vec<Vec<NodeId>>,
    events: u64,
    outcome: Option<Outcome>,
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
        let topo = config.topology;
        let root = RngRoot::new(config.seed);
        let mut clock_rng = root.stream(Stream::Clocks);
        let mut fault_rng = root.stream(Stream::Faults);
        let faults = crate::faults::expand(
            &config.faults,
            config.nemesis.as_ref(),
            config.duration,
            &mut fault_rng,
        );
        let states = topo
            .nodes()
            .map(|_| NodeState {
                up: true,
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
            topology: topo,
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
            metrics: Metrics::new(config.metrics_window),
            history: Vec::new(),
            next_message: 0,
            sent: [0; 2],
        };
        for id in topo.nodes() {
            world.queue.push(SimTime::ZERO, Event::Start(id));
        }
        for (i, f) in faults.iter().enumerate() {
            world.queue.push(SimTime(f.at.0), Event::Fault(i as u32));
        }
        if config.quiet.is_some() {
            world.queue.push(SimTime(config.duration.0), Event::HealAll);
        }
        let mut factory: NodeFactory<N> = Box::new(factory);
        let nodes = topo.nodes().map(|id| Some(factory(id, &topo))).collect();
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

impl<N: Node> Simulation<N> {
    /// Runs until the end time, an empty queue, or `events_max`.
    pub fn run(&mut self) -> RunSummary {
        let end = self.config.end();
        self.run_until(end)
    }

    /// Runs to the end as [`Simulation::run`] does (the same events, the same hash), calling
    /// `progress` with the simulated time reached after each of `slices` equal slices of the
    /// run, so a caller can draw a progress bar.
    pub fn run_reporting(&mut self, slices: u64, mut progress: impl FnMut(SimTime)) -> RunSummary {
        let end = self.config.end();
        let slices = slices.max(1);
        for i in 1..slices {
            let at = SimTime((end.0 as u128 * i as u128 / slices as u128) as u64);
            if self.run_until(at).outcome != Outcome::Completed {
                return self.summary();
            }
            progress(at);
        }
        let summary = self.run();
        progress(end);
        summary
    }

    /// Runs until simulated time `limit` (inclusive), an empty queue, or `events_max`; can be
    /// called again with a later limit to go on (for progress bars and tests).
    pub fn run_until(&mut self, limit: SimTime) -> RunSummary {
        let limit = limit.min(self.config.end());
        let outcome = loop {
            let Some(t) = self.world.queue.peek_time() else {
                break Outcome::Quiescent;
            };
            if t > limit {
                self.world.now = self.world.now.max(limit);
                break Outcome::Completed;
            }
            if self.events >= self.config.events_max {
                break Outcome::EventsMax;
            }
            let (t, _, event) = self.world.queue.pop().expect("peeked");
            assert!(
                t >= self.world.now,
                "event in the past: {t} < {} (seed {})",
                self.world.now,
                self.config.seed
            );
            self.world.now = t;
            self.events += 1;
            self.handle(event);
        };
        if outcome != Outcome::Completed || limit == self.config.end() {
            self.outcome = Some(outcome);
        }
        self.summary_with(outcome)
    }

    fn summary_with(&self, outcome: Outcome) -> RunSummary {
        RunSummary {
            outcome,
            end: self.world.now,
            events: self.events,
            trace_hash: self.world.trace.hash(),
        }
    }

    /// The summary so far (or of the finished run).
    pub fn summary(&self) -> RunSummary {
        self.summary_with(self.outcome.unwrap_or(Outcome::Completed))
    }

    #[inline]
    fn handle(&mut self, event: Event<N::Msg>) {
        match event {
            Event::Deliver { from, to, msg, id, depart, sender_incarnation } => {
                let sender = &self.world.states[from.index()];
                if sender.incarnation != sender_incarnation
                    && depart
                        > self.world.resources[from.index()].crash_times
                            [sender_incarnation as usize]
                {
                    self.drop_message(from, to, id, DropReason::SenderCrashed);
                } else if from != to && self.world.network.is_cut(from, to) {
                    self.drop_message(from, to, id, DropReason::Partition);
                } else {
                    self.arrive(to, Input::Message { from, msg, id });
                }
            }
            Event::Timer { node, slot, generation } => {
                if self.world.timers[slot as usize].queue_generation == generation {
                    self.arrive(node, Input::Timer { slot, generation });
                }
            }
            Event::Wake { node, incarnation } => self.wake(node, incarnation),
            Event::Start(node) => {
                self.world.log(TraceKind::Start, node.0, NO_NODE, 0, 0);
                self.with_node(node, |n, ctx| n.on_start(ctx));
            }
            Event::Fault(i) => self.begin_fault(i),
            Event::Heal(i) => self.heal_fault(i),
            Event::Restart(node) => {
                self.restart(node);
            }
            Event::HealAll => self.heal_all(),
        }
    }

    fn drop_message(&mut self, from: NodeId, to: NodeId, id: u64, reason: DropReason) {
        self.world.log(TraceKind::Drop, from.0, to.0, id, reason as u64);
    }

    /// An input reached `node`: handle it now, or queue it if the node is busy or paused.
    #[inline]
    fn arrive(&mut self, node: NodeId, input: Input<N::Msg>) {
        let now = self.world.now;
        let st = &mut self.world.states[node.index()];
        if !st.up {
            if let Input::Message { from, id, .. } = input {
                self.drop_message(from, node, id, DropReason::ReceiverDown);
            }
            return;
        }
        if st.paused || st.busy_until > now || !st.inbox.is_empty() {
            st.inbox.push_back(input);
            self.world.schedule_wake(node);
            return;
        }
        self.dispatch(node, input);
    }

    fn wake(&mut self, node: NodeId, incarnation: u32) {
        let now = self.world.now;
        let st = &mut self.world.states[node.index()];
        if st.incarnation != incarnation || !st.up {
            return;
        }
        st.wake_pending = false;
        if st.paused {
            return;
        }
        if st.busy_until > now {
            self.world.schedule_wake(node);
            return;
        }
        let Some(input) = st.inbox.pop_front() else {
            return;
        };
        let queued = st.inbox.len() as u64;
        self.world.log(TraceKind::Wake, node.0, NO_NODE, 0, queued);
        self.dispatch(node, input);
        self.world.schedule_wake(node);
    }

    #[inline]
    fn dispatch(&mut self, node: NodeId, input: Input<N::Msg>) {
        let now = self.world.now;
        match input {
            Input::Message { from, msg, id } => {
                // The message's content entered the hash with its send record (same id).
                self.world
                    .trace
                    .record(now, TraceKind::Deliver, node.0, from.0, id, 0, || format!("{msg:?}"));
                self.with_node(node, |n, ctx| n.on_message(ctx, from, msg));
            }
            Input::Timer { slot, generation } => {
                // The timer may have been cancelled while the input waited in the inbox.
                if self.world.timers[slot as usize].queue_generation != generation {
                    return;
                }
                let t = &self.world.timers[slot as usize];
                let id = TimerId((t.id_generation as u64) << 32 | slot as u64);
                let timer = self.world.free_timer(slot).expect("live timer");
                let local = self.world.resources[node.index()].clock.local_at(now);
                self.world.trace.record(
                    now,
                    TraceKind::TimerFire,
                    node.0,
                    NO_NODE,
                    id.0,
                    local.0 as u64,
                    || format!("{timer:?}"),
                );
                self.with_node(node, |n, ctx| n.on_timer(ctx, id, timer));
            }
        }
    }

    #[inline]
    fn with_node(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut Context<'_, N>)) {
        if let Some(node) = self.nodes[id.index()].as_mut() {
            let mut ctx = Context { world: &mut self.world, id };
            f(node, &mut ctx);
        }
    }
}

/// Fault verbs, for harnesses and tests. Each injects a fault now, exactly as a scheduled one
/// would be (validated, recorded in the fault records, traced), and returns its index for
/// [`Simulation::heal`].
impl<N: Node> Simulation<N> {
    /// Injects any fault now; `duration` heals it after that long.
    pub fn inject(
        &mut self,
        kind: FaultKind,
        duration: Option<SimDuration>,
    ) -> Result<u32, ConfigError> {
        let spec = FaultSpec { at: SimDuration(self.world.now.0), kind, duration };
        let index = self.faults.len();
        spec.validate(&format!("inject[{index}]"), &self.world.topology, SimDuration(u64::MAX))?;
        self.faults.push(spec);
        self.targets.push(Vec::new());
        self.begin_fault(index as u32);
        Ok(index as u32)
    }

    fn named(&self, nodes: &[NodeId]) -> Vec<String> {
        nodes.iter().map(|&id| self.world.topology.name(id)).collect()
    }

    fn inject_valid(&mut self, kind: FaultKind) -> u32 {
        self.inject(kind, None).expect("a verb builds a valid fault from existing nodes")
    }

    /// Cuts the links between nodes of different groups (nodes in no group keep every link).
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) -> u32 {
        let groups = groups.iter().map(|g| self.named(g)).collect();
        self.inject_valid(FaultKind::Partition { groups: Some(groups), isolate: None })
    }

    /// Drops messages from `from` nodes to `to` nodes.
    pub fn partition_oneway(&mut self, from: &[NodeId], to: &[NodeId]) -> u32 {
        let (from, to) = (NodeSet::List(self.named(from)), NodeSet::List(self.named(to)));
        self.inject_valid(FaultKind::PartitionOneway { from, to })
    }

    /// Crashes a node: volatile state, timers, queued inputs and unsynced writes are lost.
    pub fn crash(&mut self, node: NodeId) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject_valid(FaultKind::Crash { node, restart_after: None })
    }

    /// Pauses a node: its inputs wait until it is healed (or [`Simulation::resume`]d).
    pub fn pause(&mut self, node: NodeId) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject_valid(FaultKind::Pause { node })
    }

    /// Makes a node's processing `factor` (≥ 1) times slower.
    pub fn slow(&mut self, node: NodeId, factor: f64) -> Result<u32, ConfigError> {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject(FaultKind::Slow { node, factor }, None)
    }

    /// Steps a node's clock by `step_ns` (signed); its timers are re-evaluated.
    pub fn skew_clock(&mut self, node: NodeId, step_ns: i64) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        let step = Some(crate::config::SignedDuration(step_ns));
        self.inject_valid(FaultKind::Clock { node, step, drift_ppm: None })
    }

    /// Heals a fault by its index (scheduled or injected); healing twice does nothing.
    pub fn heal(&mut self, index: u32) {
        self.heal_fault(index);
    }

    /// Restarts a crashed node: a fresh node from the factory, then [`Node::on_restart`].
    /// Returns false if it was up.
    pub fn restart(&mut self, node: NodeId) -> bool {
        let st = &mut self.world.states[node.index()];
        if st.up {
            return false;
        }
        st.up = true;
        let incarnation = st.incarnation as u64;
        self.nodes[node.index()] = Some((self.factory)(node, &self.world.topology));
        self.world.log(TraceKind::Restart, node.0, NO_NODE, incarnation, 0);
        self.with_node(node, |n, ctx| n.on_restart(ctx));
        true
    }

    /// Resumes a paused node; its queued inputs are handled in order.
    pub fn resume(&mut self, node: NodeId) {
        let st = &mut self.world.states[node.index()];
        if st.paused {
            st.paused = false;
            let queued = st.inbox.len() as u64;
            self.world.log(TraceKind::Resume, node.0, NO_NODE, 0, queued);
            self.world.schedule_wake(node);
        }
    }
}

/// What faults do to nodes (called when a fault begins and when it heals).
impl<N: Node> Simulation<N> {
    fn crash_node(&mut self, node: NodeId) {
        let now = self.world.now;
        let st = &mut self.world.states[node.index()];
        if !st.up {
            return;
        }
        st.up = false;
        st.incarnation += 1;
        st.paused = false;
        st.wake_pending = false;
        st.busy_until = now;
        st.inbox.clear();
        let incarnation = st.incarnation as u64;
        let res = &mut self.world.resources[node.index()];
        res.crash_times.push(now);
        let lost = res.storage.unsynced_len() as u64;
        res.storage.crash();
        for slot in 0..self.world.timers.len() {
            let t = &self.world.timers[slot];
            if t.node == node && t.timer.is_some() {
                self.world.free_timer(slot as u32);
            }
        }
        self.nodes[node.index()] = None;
        self.world.log(TraceKind::Crash, node.0, NO_NODE, incarnation, lost);
    }

    fn pause_node(&mut self, node: NodeId) {
        let st = &mut self.world.states[node.index()];
        if st.up && !st.paused {
            st.paused = true;
            self.world.log(TraceKind::Pause, node.0, NO_NODE, 0, 0);
        }
    }

    fn set_slowness(&mut self, node: NodeId, factor: f64) {
        self.world.states[node.index()].slow_milli = (factor * 1000.0).round().max(1000.0) as u64;
    }

    fn step_clock(&mut self, node: NodeId, step_ns: i64) {
        let now = self.world.now;
        self.world.resources[node.index()].clock.step(now, step_ns);
        self.world.reschedule_timers(node);
    }

    fn set_drift(&mut self, node: NodeId, drift_ppm: f64) {
        let now = self.world.now;
        self.world.resources[node.index()].clock.set_drift(now, drift_ppm);
        self.world.reschedule_timers(node);
    }

    /// Resolves a selector among the servers now (`minority` gives several nodes; an empty
    /// result means none matched, e.g. no leader).
    pub fn select(&mut self, sel: &Selector) -> Vec<NodeId> {
        let topo = self.world.topology;
        match sel {
            Selector::Named(name) => topo.lookup(name).into_iter().collect(),
            Selector::Leader => {
                let mut best: Option<(u64, NodeId)> = None;
                for id in topo.servers() {
                    if let Some(n) = self.nodes[id.index()].as_ref() {
                        let s = n.status();
                        if s.role.leads() && best.is_none_or(|(term, _)| s.term > term) {
                            best = Some((s.term, id));
                        }
                    }
                }
                best.map(|(_, id)| id).into_iter().collect()
            }
            Selector::Random => {
                let up: Vec<NodeId> =
                    topo.servers().filter(|id| self.world.states[id.index()].up).collect();
                if up.is_empty() {
                    return Vec::new();
                }
                vec![up[self.world.fault_rng.below(up.len() as u64) as usize]]
            }
            Selector::Minority => {
                let k = (topo.servers as usize - 1) / 2;
                self.world
                    .fault_rng
                    .choose_indices(topo.servers as usize, k)
                    .into_iter()
                    .map(|i| NodeId(i as u32))
                    .collect()
            }
        }
    }

    fn select_set(&mut self, set: &NodeSet) -> Vec<NodeId> {
        match set {
            NodeSet::One(Selector::Named(n)) if n == "servers" => {
                self.world.topology.servers().collect()
            }
            NodeSet::One(sel) => self.select(sel),
            NodeSet::List(names) => {
                names.iter().filter_map(|n| self.world.topology.lookup(n)).collect()
            }
        }
    }

    fn mask(&self, nodes: &[NodeId]) -> Vec<bool> {
        let mut m = vec![false; self.world.topology.len() as usize];
        nodes.iter().for_each(|id| m[id.index()] = true);
        m
    }

    fn begin_fault(&mut self, index: u32) {
        let spec = self.faults[index as usize].clone();
        let now = self.world.now;
        let n = self.world.topology.len() as usize;
        let mut from_count = None;
        let resolved: Vec<NodeId> = match &spec.kind {
            FaultKind::Partition { groups: Some(groups), .. } => {
                let groups: Vec<Vec<NodeId>> = groups
                    .iter()
                    .map(|g| g.iter().filter_map(|name| self.world.topology.lookup(name)).collect())
                    .collect();
                let rule = PartitionRule::groups(n, &groups);
                self.world.network.add_fault(index, NetworkFault::Partition(rule));
                groups.concat()
            }
            FaultKind::Partition { isolate, .. } => {
                let sel = isolate.clone().unwrap_or(Selector::Minority);
                let cut = self.select(&sel);
                if !cut.is_empty() {
                    let rest: Vec<NodeId> =
                        self.world.topology.servers().filter(|id| !cut.contains(id)).collect();
                    let rule = PartitionRule::groups(n, &[cut.clone(), rest]);
                    self.world.network.add_fault(index, NetworkFault::Partition(rule));
                }
                cut
            }
            FaultKind::PartitionOneway { from, to } => {
                let from = self.select_set(from);
                let to = self.select_set(to);
                from_count = Some(from.len());
                if !from.is_empty() && !to.is_empty() {
                    let rule = PartitionRule::one_way(n, &from, &to);
                    self.world.network.add_fault(index, NetworkFault::Partition(rule));
                    [from, to].concat()
                } else {
                    Vec::new()
                }
            }
            FaultKind::Crash { node, restart_after } => {
                let target = self.select(node);
                for &id in &target {
                    self.crash_node(id);
                    if let Some(after) = restart_after {
                        self.world.queue.push(now + *after, Event::Restart(id));
                    }
                }
                target
            }
            FaultKind::Pause { node } => {
                let target = self.select(node);
                target.iter().for_each(|&id| self.pause_node(id));
                target
            }
            FaultKind::Slow { node, factor } => {
                let target = self.select(node);
                target.iter().for_each(|&id| self.set_slowness(id, *factor));
                target
            }
            FaultKind::Clock { node, step, drift_ppm } => {
                let target = self.select(node);
                for &id in &target {
                    match (step, drift_ppm) {
                        (Some(s), _) => self.step_clock(id, s.0),
                        (None, Some(d)) => self.set_drift(id, *d),
                        (None, None) => {}
                    }
                }
                target
            }
            FaultKind::Loss { rate, nodes } => {
                let target = nodes.as_ref().map(|s| self.select_set(s));
                let p = probability("loss.rate", *rate).unwrap_or_default();
                let mask = target.as_ref().map(|t| self.mask(t));
                self.world.network.add_fault(index, NetworkFault::Loss(p, mask));
                target.unwrap_or_default()
            }
            FaultKind::Latency { extra, nodes } => {
                let target = nodes.as_ref().map(|s| self.select_set(s));
                let mask = target.as_ref().map(|t| self.mask(t));
                self.world.network.add_fault(index, NetworkFault::Latency(extra.clone(), mask));
                target.unwrap_or_default()
            }
            FaultKind::Duplicate { rate } => {
                let p = probability("duplicate.rate", *rate).unwrap_or_default();
                self.world.network.add_fault(index, NetworkFault::Duplicate(p));
                Vec::new()
            }
            FaultKind::Disk { node, mode } => {
                let target = self.select(node);
                for &id in &target {
                    let pick = self.world.disk_rng.next_u64();
                    let storage = &mut self.world.resources[id.index()].storage;
                    match mode {
                        DiskMode::LoseUnsynced => {
                            storage.drop_unsynced();
                        }
                        DiskMode::Corrupt => {
                            storage.corrupt_one(pick);
                        }
                    }
                }
                target
            }
        };
        let needs_target = !matches!(
            spec.kind,
            FaultKind::Loss { .. } | FaultKind::Latency { .. } | FaultKind::Duplicate { .. }
        );
        let skipped =
            (needs_target && resolved.is_empty()).then(|| "a selector matched no node".to_string());
        let names: Vec<String> = resolved.iter().map(|&id| self.world.topology.name(id)).collect();
        let record =
            FaultRecord { index, spec, resolved: names, from_count, skipped, healed_at_ns: None };
        // The trace shows the fault in its replayable form (selectors replaced by the nodes
        // they chose), so replaying a run's fault records reproduces its trace hash. A skipped
        // fault changes nothing and is left out of the trace; faults.json keeps it.
        if let Some(concrete) = record.replayable(&self.world.topology) {
            let text = serde_json::to_string(&concrete).unwrap_or_default();
            let first = resolved.first().map_or(NO_NODE, |id| id.0);
            self.world.trace.record_text(now, TraceKind::Fault, first, NO_NODE, 0, &text);
            if let Some(d) = record.spec.duration {
                self.world.queue.push(now + d, Event::Heal(index));
            }
        }
        self.targets[index as usize] = resolved;
        self.records.push(record);
    }

    fn heal_fault(&mut self, index: u32) {
        let Some(pos) = self.records.iter().position(|r| r.index == index) else {
            return;
        };
        if self.records[pos].healed_at_ns.is_some() {
            return;
        }
        let now = self.world.now;
        self.records[pos].healed_at_ns = Some(now.0);
        let targets = self.targets[index as usize].clone();
        match self.records[pos].spec.kind.clone() {
            FaultKind::Crash { restart_after, .. } => {
                if restart_after.is_none() {
                    targets.iter().for_each(|&id| {
                        self.restart(id);
                    });
                }
            }
            FaultKind::Pause { .. } => targets.iter().for_each(|&id| self.resume(id)),
            FaultKind::Slow { .. } => targets.iter().for_each(|&id| self.set_slowness(id, 1.0)),
            FaultKind::Clock { drift_ppm: Some(_), .. } => {
                for &id in &targets {
                    let own = self.world.resources[id.index()].own_drift_ppm;
                    self.set_drift(id, own);
                }
            }
            FaultKind::Clock { .. } | FaultKind::Disk { .. } => {}
            _ => {
                self.world.network.heal(index);
            }
        }
        let first = targets.first().map_or(NO_NODE, |id| id.0);
        let text = self.records[pos].spec.kind.name();
        self.world.trace.record_text(now, TraceKind::Heal, first, NO_NODE, 0, text);
    }

    /// The quiet period begins: every fault heals, crashed nodes restart, paused ones resume,
    /// slow ones recover, drifts return to each node's own.
    pub fn heal_all(&mut self) {
        let open: Vec<u32> =
            self.records.iter().filter(|r| r.healed_at_ns.is_none()).map(|r| r.index).collect();
        for index in open {
            self.heal_fault(index);
        }
        self.world.network.heal_all();
        for id in self.world.topology.nodes() {
            self.restart(id);
            self.resume(id);
            self.set_slowness(id, 1.0);
        }
    }
}

/// Read access for harnesses, checkers and reports.
impl<N: Node> Simulation<N> {
    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// The config the run was built from.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The cluster's shape.
    pub fn topology(&self) -> &Topology {
        &self.world.topology
    }

    /// A node's state machine, `None` while it is crashed.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes[id.index()].as_ref()
    }

    /// Mutable access to a node (harnesses that inject requests).
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut N> {
        self.nodes[id.index()].as_mut()
    }

    /// Whether the node is up.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.world.states[id.index()].up
    }

    /// A node's durable storage.
    pub fn storage(&self, id: NodeId) -> &Storage {
        &self.world.resources[id.index()].storage
    }

    /// A node's clock.
    pub fn clock(&self, id: NodeId) -> &Clock {
        &self.world.resources[id.index()].clock
    }

    /// The run's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.world.metrics
    }

    /// The client history so far.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.world.history
    }

    /// Takes the client history out (for checkers that consume it).
    pub fn take_history(&mut self) -> Vec<HistoryEntry> {
        std::mem::take(&mut self.world.history)
    }

    /// The faults that happened so far, with the nodes they resolved to.
    pub fn fault_records(&self) -> &[FaultRecord] {
        &self.records
    }

    /// The expanded fault list (schedule and nemesis, before resolution).
    pub fn planned_faults(&self) -> &[FaultSpec] {
        &self.faults
    }

    /// The trace (hash, captured records, checkpoints).
    pub fn trace(&self) -> &Trace {
        &self.world.trace
    }

    /// Flushes the JSON-lines trace, if one is being written.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        self.world.trace.finish()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Messages sent so far by servers (`NodeKind::Server`) or clients.
    pub fn messages_sent(&self, kind: NodeKind) -> u64 {
        self.world.sent[usize::from(kind == NodeKind::Client)]
    }

    /// Events pending in the queue.
    pub fn pending_events(&self) -> usize {
        self.world.queue.len()
    }

    /// Servers or clients.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        self.world.topology.kind(id)
    }
}
