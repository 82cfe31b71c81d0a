//! The kernel's world: per-node state, the timer slab, and sending, all of it what a
//! [`Context`](crate::node::Context) may touch (everything but the node objects themselves).

use std::collections::VecDeque;

use crate::clock::Clock;
use crate::config::DurationRange;
use crate::history::HistoryEntry;
use crate::metrics::Metrics;
use crate::network::{Network, Packet, Routing};
use crate::node::{Node, TimerId};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::storage::Storage;
use crate::time::{LocalTime, SimDuration, SimTime};
use crate::topology::{NodeId, Topology};
use crate::trace::{NO_NODE, Trace, TraceKind, digest};

/// A node input: handed to the handler at once, or queued while the node is busy or paused.
pub(crate) enum Input<M> {
    Message { from: NodeId, msg: M, id: u64 },
    Timer { slot: u32, generation: u32 },
}

pub(crate) enum Event<M> {
    Start(NodeId),
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: M,
        id: u64,
        depart: SimTime,
        sender_incarnation: u32,
    },
    Timer {
        node: NodeId,
        slot: u32,
        generation: u32,
    },
    Wake {
        node: NodeId,
        incarnation: u32,
    },
    Fault(u32),
    /// A fault armed for a protocol event begins: the event came from `node`.
    Triggered {
        index: u32,
        node: NodeId,
        event_at: SimTime,
    },
    Heal(u32),
    Restart(NodeId),
    /// A leaving server's drain ends: it departs.
    Depart(NodeId),
    HealAll,
}

/// Kernel-side state of one node (its protocol state lives in the node object).
/// Read on every event, so kept small and apart from [`NodeResources`] (a cache line or so
/// per node instead of several hundred bytes).
pub(crate) struct NodeState<M> {
    pub(crate) up: bool,
    /// Not a member: it has not joined yet, or it left. It is down and nothing restarts it
    /// but a join.
    pub(crate) absent: bool,
    /// It announced its leave and runs on until it departs.
    pub(crate) leaving: bool,
    pub(crate) paused: bool,
    pub(crate) wake_pending: bool,
    /// Number of crashes so far.
    pub(crate) incarnation: u32,
    pub(crate) busy_until: SimTime,
    /// Processing-time multiplier in thousandths (1000 = normal speed).
    pub(crate) slow_milli: u64,
    pub(crate) inbox: VecDeque<Input<M>>,
}

/// What a node owns besides its protocol state: read only when the node itself acts.
pub(crate) struct NodeResources {
    pub(crate) clock: Clock,
    /// The drift the node was born with (a drift fault returns to it when healed).
    pub(crate) own_drift_ppm: f64,
    pub(crate) rng: SimRng,
    pub(crate) storage: Storage,
    /// `crash_times[k]`: when incarnation `k` ended.
    pub(crate) crash_times: Vec<SimTime>,
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

pub(crate) struct TimerSlot<T> {
    pub(crate) node: NodeId,
    /// Bumped when the slot is freed: a `TimerId` with an older generation is stale.
    pub(crate) id_generation: u32,
    /// Bumped when the timer is rescheduled (clock change) or freed: older queue entries are stale.
    pub(crate) queue_generation: u32,
    pub(crate) deadline: LocalTime,
    pub(crate) timer: Option<T>,
}

/// Everything but the node objects: what a [`Context`](crate::node::Context) may touch.
// Crate-visible fields: the node API (`crate::node`) and the fault effects
// (`crate::faults::effects`) act on the world directly, as the kernel's own files do.
pub(crate) struct World<N: Node> {
    pub(crate) now: SimTime,
    pub(crate) topology: Topology,
    pub(crate) queue: EventQueue<Event<N::Msg>>,
    pub(crate) states: Vec<NodeState<N::Msg>>,
    pub(crate) resources: Vec<NodeResources>,
    pub(crate) timers: Vec<TimerSlot<N::Timer>>,
    pub(crate) timer_free: Vec<u32>,
    pub(crate) network: Network,
    /// Whether the bandwidth model is on (only then are message sizes asked for).
    pub(crate) network_has_bandwidth: bool,
    pub(crate) net_rng: SimRng,
    pub(crate) fault_rng: SimRng,
    pub(crate) disk_rng: SimRng,
    pub(crate) trace: Trace,
    pub(crate) metrics: Metrics,
    pub(crate) history: Vec<HistoryEntry>,
    pub(crate) next_message: u64,
    /// Messages sent by servers and by clients.
    pub(crate) sent: [u64; 2],
    /// Faults waiting for a protocol event: (fault index, event name, delay range).
    pub(crate) armed: Vec<(u32, String, Option<DurationRange>)>,
    /// While a triggered fault resolves its selectors: the node whose event triggered it.
    /// (and when its event came).
    pub(crate) trigger: Option<(NodeId, SimTime)>,
    /// The members after each membership change, in order: entry 0 is the servers present at
    /// the start, entry k the members after the k-th join or leave. The membership service a
    /// real store keeps (ZooKeeper, etcd): its history, numbered by epoch.
    pub(crate) membership_log: Vec<Vec<NodeId>>,
    /// Servers that departed, and when.
    pub(crate) departures: Vec<(NodeId, SimTime)>,
}

impl<N: Node> World<N> {
    /// The servers that are members now: joined and not leaving.
    pub(crate) fn current_members(&self) -> Vec<NodeId> {
        self.topology
            .servers()
            .filter(|id| !self.states[id.index()].absent && !self.states[id.index()].leaving)
            .collect()
    }
}

impl<N: Node> World<N> {
    /// A protocol event at `node`: every fault armed for it is scheduled (its delay drawn from
    /// the faults stream). Without an armed fault this touches nothing, so reporting events
    /// costs a run no randomness and leaves its trace as it was.
    pub(crate) fn protocol_event(&mut self, node: NodeId, name: &str) {
        if !self.armed.iter().any(|(_, e, _)| e == name) {
            return;
        }
        let mut i = 0;
        while i < self.armed.len() {
            if self.armed[i].1 != name {
                i += 1;
                continue;
            }
            let (index, _, delay) = self.armed.remove(i);
            let d = match delay {
                Some(d) if d.lo < d.hi => self.fault_rng.range_inclusive(d.lo.0, d.hi.0),
                Some(d) => d.lo.0,
                None => 0,
            };
            let event_at = self.now;
            self.queue.push(self.now + SimDuration(d), Event::Triggered { index, node, event_at });
        }
    }

    /// Appends a trace record that has no detail text, at the current time.
    #[inline]
    pub(crate) fn log(&mut self, kind: TraceKind, node: u32, peer: u32, a: u64, b: u64) {
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
        let class = if self.network.needs_class() { crate::node::Message::class(&msg) } else { "" };
        let packet = Packet { from, to, delay, size, class };
        match self.network.route(&mut self.net_rng, now, packet) {
            Routing::Drop(reason) => {
                self.log(TraceKind::Drop, from.0, to.0, id, reason as u64);
            }
            Routing::Deliver { at, duplicate_at, departs } => {
                let depart = departs;
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

    pub(crate) fn free_timer(&mut self, slot: u32) -> Option<N::Timer> {
        let t = &mut self.timers[slot as usize];
        t.id_generation = t.id_generation.wrapping_add(1);
        t.queue_generation = t.queue_generation.wrapping_add(1);
        let timer = t.timer.take();
        self.timer_free.push(slot);
        timer
    }

    /// Re-queues a node's timers after its clock changed.
    pub(crate) fn reschedule_timers(&mut self, node: NodeId) {
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

    pub(crate) fn schedule_wake(&mut self, node: NodeId) {
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
