//! The orchestrator: a durable saga log, one record per order, and the commands it sends
//! through its own outbox. Each saga goes forward step by step; a refused step, or a
//! compensable step unanswered for `step_timeout`, turns it around: the steps that may have
//! been applied are undone one at a time, in reverse order (the timed-out one first: it may
//! have been applied). After the pivot it only goes forward. A restarted coordinator reads its
//! log back and resumes every saga in flight.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sim_core::NodeId;

use crate::config::Bug;
use crate::mailroom::{Mailroom, read, write};
use crate::message::{Msg, Order, Payload, Step};
use crate::node::{Ctx, Shape, Timer};

/// Where a saga stands in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    /// Waiting for this step's reply.
    Forward(Step),
    /// Undoing these steps, the first now.
    Compensating(Vec<Step>),
    /// Finished (completed or compensated).
    Ended,
}

/// The coordinator.
pub struct Coordinator {
    shape: Arc<Shape>,
    mail: Mailroom,
    sagas: BTreeMap<u64, (Order, Phase)>,
}

impl Coordinator {
    /// The coordinator at node `me`.
    pub fn new(me: NodeId, shape: Arc<Shape>) -> Self {
        let mail = Mailroom::new(me, &shape.config, true);
        Coordinator { shape, mail, sagas: BTreeMap::new() }
    }

    /// Started; restarted, it reads its log back (the forget-on-restart bug does not) and
    /// re-arms the step timeouts of the sagas waiting on a compensable step.
    pub(crate) fn start(&mut self, ctx: Ctx, restarted: bool) {
        ctx.set_timer(self.shape.tick(), Timer::Relay);
        if !restarted {
            return;
        }
        let now = ctx.now();
        self.mail.load(ctx.storage(), now);
        if self.shape.config.has(Bug::ForgetOnRestart) {
            return;
        }
        let names: Vec<String> =
            ctx.storage().keys_with_prefix("saga/").map(str::to_string).collect();
        for name in names {
            if let Some((order, phase)) = read::<(Order, Phase)>(ctx.storage(), &name) {
                if let Phase::Forward(step) = phase {
                    self.arm(ctx, order, step);
                }
                self.sagas.insert(order.id, (order, phase));
            }
        }
    }

    fn arm(&self, ctx: Ctx, order: Order, step: Step) {
        if step.compensable() {
            ctx.set_timer(self.shape.config.step_timeout, Timer::StepTimeout(order.id, step));
        }
    }

    fn save(&mut self, ctx: Ctx, order: Order, phase: Phase) {
        write(ctx.storage(), &format!("saga/{:020}", order.id), &(order, phase.clone()));
        self.sagas.insert(order.id, (order, phase));
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Relay => {
                self.mail.tick(ctx);
                self.mail.relay(ctx);
                ctx.set_timer(self.shape.tick(), Timer::Relay);
            }
            Timer::StepTimeout(id, step) => {
                let Some((order, Phase::Forward(s))) = self.sagas.get(&id).cloned() else { return };
                if s == step {
                    ctx.metrics().count("saga.step_timeouts", 1);
                    self.compensate(ctx, order, step, true);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Deliver { id, payload } => {
                self.deliver(ctx, payload);
                ctx.send(from, Msg::Ack { id });
            }
            Msg::Ack { id } => self.mail.acked(ctx, id),
            _ => {}
        }
    }

    fn deliver(&mut self, ctx: Ctx, payload: Payload) {
        match payload {
            Payload::Start(order) => {
                if self.sagas.contains_key(&order.id) {
                    return;
                }
                self.forward(ctx, order, Step::Reserve);
            }
            Payload::Done { order, step, undo: false, ok } => {
                if self.sagas.get(&order.id).map(|s| &s.1) != Some(&Phase::Forward(step)) {
                    return; // a reply it no longer waits for
                }
                if !ok {
                    self.compensate(ctx, order, step, false);
                    return;
                }
                match step.next() {
                    Some(next) => self.forward(ctx, order, next),
                    None => self.end(ctx, order, true),
                }
            }
            Payload::Done { order, step, undo: true, .. } => {
                let Some((_, Phase::Compensating(left))) = self.sagas.get(&order.id).cloned()
                else {
                    return;
                };
                if let Some((first, rest)) = left.split_first()
                    && *first == step
                {
                    self.undo_next(ctx, order, rest.to_vec());
                }
            }
            _ => {}
        }
    }

    /// Turns the saga around at `failed`: undoes the steps before it (and `failed` itself if
    /// it may have been applied: it timed out), latest first (the compensate-forward bug:
    /// earliest first).
    fn compensate(&mut self, ctx: Ctx, order: Order, failed: Step, include: bool) {
        let mut steps: Vec<Step> = Step::ALL
            .into_iter()
            .filter(|s| *s < failed || (include && *s == failed))
            .rev()
            .collect();
        if self.shape.config.has(Bug::CompensateForward) {
            steps.reverse();
        }
        self.undo_next(ctx, order, steps);
    }

    /// Logs the saga waiting for `step`, sends the step's command and arms its timeout.
    fn forward(&mut self, ctx: Ctx, order: Order, step: Step) {
        self.save(ctx, order, Phase::Forward(step));
        self.command(ctx, Payload::Do(order, step));
        self.arm(ctx, order, step);
    }

    /// Logs the steps left to undo and sends the first's undo; with none left, the saga ends
    /// compensated.
    fn undo_next(&mut self, ctx: Ctx, order: Order, steps: Vec<Step>) {
        match steps.first() {
            Some(&first) => {
                self.save(ctx, order, Phase::Compensating(steps));
                self.command(ctx, Payload::Undo(order, first));
            }
            None => self.end(ctx, order, false),
        }
    }

    fn end(&mut self, ctx: Ctx, order: Order, completed: bool) {
        self.save(ctx, order, Phase::Ended);
        let orders = self.shape.orders;
        self.mail.post(ctx, orders, Payload::Finish(order, completed));
        self.mail.commit(ctx);
        self.mail.relay(ctx);
    }

    /// Sends a step's command to its service through the outbox, with the log's change.
    fn command(&mut self, ctx: Ctx, payload: Payload) {
        let step = match payload {
            Payload::Do(_, s) | Payload::Undo(_, s) => s,
            _ => unreachable!("commands are steps"),
        };
        let to = self.shape.service(step);
        self.mail.post(ctx, to, payload);
        self.mail.commit(ctx);
        self.mail.relay(ctx);
    }
}
