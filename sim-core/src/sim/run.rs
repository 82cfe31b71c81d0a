//! The event loop: pop events in (time, sequence) order and hand each to the node it is for.

use super::world::Input;
use super::{Event, Outcome, RunSummary, Simulation};
use crate::node::{Context, Node, TimerId};
use crate::time::SimTime;
use crate::topology::NodeId;
use crate::trace::{DropReason, NO_NODE, TraceKind};

/// Running: the event loop and the delivery of inputs to nodes.
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
            Event::Fault(i) => match &self.faults[i as usize].on {
                // Armed now; it begins when the protocol reports the event.
                Some(event) => {
                    let armed = (i, event.clone(), self.faults[i as usize].delay);
                    self.world.armed.push(armed);
                }
                None => self.begin_fault(i),
            },
            Event::Triggered { index, node, event_at } => {
                self.world.trigger = Some((node, event_at));
                self.begin_fault(index);
                self.world.trigger = None;
            }
            Event::Heal(i) => self.heal_fault(i),
            Event::Restart(node) => {
                self.restart(node);
            }
            Event::Depart(node) => self.depart(node),
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
    pub(crate) fn with_node(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut Context<'_, N>)) {
        if let Some(node) = self.nodes[id.index()].as_mut() {
            let mut ctx = Context { world: &mut self.world, id };
            f(node, &mut ctx);
        }
    }
}
