//! The node API: sans-IO state machines and the context they act through.
//!
//! A node reacts to four things (start, message, timer, restart) and acts only through its
//! [`Context`]: send a message through the network model, send after a delay it chooses
//! (processing time), set and cancel timers in local time, read its local clock, draw from its
//! own random stream, read and write durable storage, declare CPU time spent, record metrics
//! and client-history entries, annotate the trace. The kernel performs every effect, so a run
//! is a pure function of the configuration and the seed.
//!
//! Servers and clients are both nodes: a protocol's node type is usually an enum over its
//! server and client state machines. The kernel builds nodes with a factory, and rebuilds a
//! crashed node with the same factory before calling [`Node::on_restart`], so no volatile
//! state can survive a crash by accident.

use std::fmt::Debug;
use std::hash::Hash;

use crate::clock::Clock;
use crate::history::{HistoryEntry, OpType};
use crate::metrics::Metrics;
use crate::rng::SimRng;
use crate::sim::World;
use crate::storage::Storage;
use crate::time::{LocalTime, SimDuration, SimTime};
use crate::topology::{NodeId, Topology};
use crate::trace::{NO_NODE, TraceKind};

/// A message type: cloneable (the network may duplicate it), printable (traces), hashable
/// (its digest enters the trace hash).
pub trait Message: Clone + Debug + Hash + 'static {
    /// Size on the wire in bytes, for the bandwidth model. Default 64.
    fn wire_size(&self) -> u64 {
        64
    }

    /// The message's class (`"append"`, `"vote-reply"`): a scenario's `[network.class_latency]`
    /// may give each class its own one-way latency, and a `loss` fault's `classes` may pick the
    /// messages it loses. Default `""`, no class: the network's latency, and no class-picking
    /// loss fault. Asked only when the scenario sets a class latency or such a loss is in force.
    fn class(&self) -> &'static str {
        ""
    }
}

/// A node's answer to "what are you?", for selectors (`leader`) and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStatus {
    /// Its role in the protocol's own words (`"leader"`, `"follower"`, `"primary"`), empty
    /// when it has none.
    pub role: &'static str,
    /// It leads now: what the `leader` selector picks (the highest term first).
    pub leading: bool,
    /// Its term, epoch or view (0 when the protocol has none).
    pub term: u64,
}

/// A change of the cluster's membership, told to every node that is up when it happens (see
/// [`Node::on_membership`]); [`Context::members`] gives the membership as it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipChange {
    /// The server joined: it is up and a member.
    Joined(NodeId),
    /// The server announced its leave: no longer a member, it runs on for its drain.
    Leaving(NodeId),
    /// The server departed for good.
    Left(NodeId),
}

/// Identifies a timer a node set, so it can cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub(crate) u64);

impl TimerId {
    /// The number the trace shows for this timer.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// A simulated node.
pub trait Node: 'static {
    /// What it sends and receives.
    type Msg: Message;
    /// What its timers carry.
    type Timer: Clone + Debug + 'static;

    /// Called once at time zero.
    fn on_start(&mut self, ctx: &mut Context<'_, Self>)
    where
        Self: Sized;

    /// A message arrived.
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Self::Msg)
    where
        Self: Sized;

    /// A timer fired.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, id: TimerId, timer: Self::Timer)
    where
        Self: Sized;

    /// Called on a freshly built node after a crash: rebuild from `ctx.storage()`.
    /// By default the same as a start.
    fn on_restart(&mut self, ctx: &mut Context<'_, Self>)
    where
        Self: Sized,
    {
        self.on_start(ctx)
    }

    /// The cluster's membership changed (a `join` or `leave` in the scenario). By default
    /// nothing: a protocol that rebalances reads [`Context::members`] or keeps its own view.
    fn on_membership(&mut self, ctx: &mut Context<'_, Self>, change: MembershipChange)
    where
        Self: Sized,
    {
        let _ = (ctx, change);
    }

    /// The node's role and term, asked by selectors and reports.
    fn status(&self) -> NodeStatus {
        NodeStatus::default()
    }
}

/// What a node can do while it handles an input.
pub struct Context<'a, N: Node> {
    pub(crate) world: &'a mut World<N>,
    pub(crate) id: NodeId,
}

impl<N: Node> Context<'_, N> {
    /// This node's id.
    #[inline]
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Reports a protocol event (`"appended"`, `"voted"`): a fault armed for it (`on` in a
    /// scenario's `[[fault]]`, or drawn by the nemesis) is injected now, or after its delay,
    /// with `trigger` naming this node. Costs nothing when no fault waits for it.
    pub fn event(&mut self, name: &str) {
        let id = self.id;
        self.world.protocol_event(id, name);
    }

    /// The servers that are members now, in id order: joined and not leaving (whether up or
    /// crashed). The authoritative view; a protocol whose routers may be stale keeps its own.
    pub fn members(&self) -> Vec<NodeId> {
        self.world.current_members()
    }

    /// How many joins and leaves have happened: the membership's epoch. Epoch 0 is the servers
    /// present at the start.
    pub fn membership_epoch(&self) -> u64 {
        self.world.membership_log.len() as u64 - 1
    }

    /// The members at `epoch` (as [`Context::members`] listed them then); `None` past the
    /// current epoch. The membership service's history: a server that was down while the
    /// membership changed reads what it missed here.
    pub fn members_at(&self, epoch: u64) -> Option<&[NodeId]> {
        self.world.membership_log.get(usize::try_from(epoch).ok()?).map(Vec::as_slice)
    }

    /// Whether a server is present: joined and not yet departed (a member, or leaving and
    /// still draining).
    pub fn is_present(&self, id: NodeId) -> bool {
        !self.world.states[id.index()].absent
    }

    /// The cluster's shape (servers, clients, names).
    pub fn topology(&self) -> &Topology {
        &self.world.topology
    }

    /// This node's local clock reading: what it may base timeouts and leases on.
    #[inline]
    pub fn now(&self) -> LocalTime {
        self.world.resources[self.id.index()].clock.local_at(self.world.now)
    }

    /// Whether `id` is up now (not crashed, not departed): the harness's knowledge, for a
    /// protocol's checks and metrics only (a failover judged against what really happened).
    /// A node's decisions must never read it: a real node cannot know it.
    pub fn oracle_is_up(&self, id: NodeId) -> bool {
        self.world.states[id.index()].up
    }

    /// Whether a partition in force now cuts messages from `from` to `to`: the harness's
    /// knowledge, for checks and metrics only, like [`Context::oracle_is_up`].
    pub fn oracle_is_cut(&self, from: NodeId, to: NodeId) -> bool {
        from != to && self.world.network.is_cut(from, to)
    }

    /// Simulated (true) time. For instrumentation only: metrics, histories, reports. A
    /// protocol decision based on it would be cheating: real nodes cannot read it.
    #[inline]
    pub fn sim_time(&self) -> SimTime {
        self.world.now
    }

    /// Sends `msg` to `to` through the network model.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.world.send(self.id, to, msg, SimDuration::ZERO);
    }

    /// Sends `msg` to `to` after `delay` of processing time (scaled by a `slow` fault), then
    /// through the network model.
    #[inline]
    pub fn send_after(&mut self, to: NodeId, msg: N::Msg, delay: SimDuration) {
        let delay = self.world.states[self.id.index()].scale(delay);
        self.world.send(self.id, to, msg, delay);
    }

    /// Sets a timer that fires when the local clock has advanced by `after`.
    pub fn set_timer(&mut self, after: SimDuration, timer: N::Timer) -> TimerId {
        let deadline = LocalTime(self.now().0.saturating_add(after.0.min(i64::MAX as u64) as i64));
        self.set_timer_at(deadline, timer)
    }

    /// Sets a timer that fires when the local clock reads at least `deadline`.
    pub fn set_timer_at(&mut self, deadline: LocalTime, timer: N::Timer) -> TimerId {
        self.world.set_timer(self.id, deadline, timer)
    }

    /// Cancels a timer; returns whether it was still pending.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.world.cancel_timer(self.id, id)
    }

    /// This node's random stream.
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.world.resources[self.id.index()].rng
    }

    /// This node's durable storage.
    pub fn storage(&mut self) -> &mut Storage {
        &mut self.world.resources[self.id.index()].storage
    }

    /// Declares that handling this input keeps the node's CPU busy for `d` (scaled by a `slow`
    /// fault): inputs that arrive meanwhile wait, first in first out.
    pub fn busy(&mut self, d: SimDuration) {
        let now = self.world.now;
        let st = &mut self.world.states[self.id.index()];
        let d = st.scale(d);
        st.busy_until = st.busy_until.max(now) + d;
    }

    /// The run's metrics.
    pub fn metrics(&mut self) -> &mut Metrics {
        &mut self.world.metrics
    }

    /// Adds `n` to this node's count of `name` (requests served): a per-node counter, read
    /// with [`Metrics::node_counters`]. Global counters ([`Metrics::count`]) are separate.
    pub fn count_here(&mut self, name: &str, n: u64) {
        let id = self.id;
        self.world.metrics.count_node(name, id, n);
    }

    /// Sets this node's level of `name` (keys held): a per-node value replaced on each call,
    /// read with [`Metrics::node_counters`].
    pub fn set_here(&mut self, name: &str, value: u64) {
        let id = self.id;
        self.world.metrics.set_node(name, id, value);
    }

    /// Appends a client-history entry stamped with the current simulated time.
    pub fn history(
        &mut self,
        process: u64,
        kind: OpType,
        f: &'static str,
        key: Option<u64>,
        value: serde_json::Value,
    ) {
        let time_ns = self.world.now.0;
        self.world.history.push(HistoryEntry { process, kind, f: f.into(), key, value, time_ns });
    }

    /// Adds a note to the trace (it enters the trace hash).
    pub fn annotate(&mut self, text: &str) {
        let now = self.world.now;
        self.world.trace.record_text(now, TraceKind::Annotate, self.id.0, NO_NODE, 0, text);
    }

    /// This node's clock (offset and drift), for tests and reports.
    pub fn clock(&self) -> &Clock {
        &self.world.resources[self.id.index()].clock
    }
}
