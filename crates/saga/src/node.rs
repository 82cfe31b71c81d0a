//! The nodes of a saga run, as the kernel sees them: one enum over the services, the
//! coordinator and the clients; the timers they set; and what every node knows of the run.

use std::sync::Arc;

use sim_core::{Context, Node, NodeId, NodeStatus, SimDuration, SimTime, TimerId};

use crate::client::Client;
use crate::config::SagaConfig;
use crate::coordinator::Coordinator;
use crate::message::{Msg, Order, Payload, Step};
use crate::observer::{Observer, SharedObserver};
use crate::service::{Kind, Service};

pub(crate) type Ctx<'a, 'b> = &'a mut Context<'b, SagaNode>;

/// The run's shape: who is where, and the configuration.
#[derive(Debug)]
pub struct Shape {
    /// The orders service.
    pub orders: NodeId,
    /// The inventory service.
    pub inventory: NodeId,
    /// The payments service.
    pub payments: NodeId,
    /// The shipping service.
    pub shipping: NodeId,
    /// The coordinator.
    pub coordinator: NodeId,
    /// `[saga]`.
    pub config: SagaConfig,
    /// Clients place orders until then (the quiet period lets the sagas settle).
    pub place_until: SimTime,
    /// The harness's record.
    pub observer: SharedObserver,
}

impl Shape {
    /// The record, locked.
    pub(crate) fn observe(&self) -> std::sync::MutexGuard<'_, Observer> {
        self.observer.lock().expect("observer")
    }

    /// The service a step runs at.
    pub fn service(&self, step: Step) -> NodeId {
        match Kind::of(step) {
            Kind::Orders => self.orders,
            Kind::Inventory => self.inventory,
            Kind::Payments => self.payments,
            Kind::Shipping => self.shipping,
        }
    }

    /// How often outboxes are relayed.
    pub(crate) fn tick(&self) -> SimDuration {
        SimDuration((self.config.retry_base.as_nanos() / 2).clamp(1_000_000, 10_000_000))
    }

    /// Choreography: where a service's outcome goes next. A step done: the next step (the
    /// orders service's end after the last); refused: the previous step's undo (the order's
    /// rejection at the first); undone: the previous step's undo, or the rejection.
    pub(crate) fn next_hop(
        &self,
        order: Order,
        step: Step,
        undo: bool,
        ok: bool,
    ) -> (NodeId, Payload) {
        let forward = !undo && ok;
        if forward {
            return match step.next() {
                Some(next) => (self.service(next), Payload::Do(order, next)),
                None => (self.orders, Payload::Finish(order, true)),
            };
        }
        match step.previous() {
            Some(previous) => (self.service(previous), Payload::Undo(order, previous)),
            None => (self.orders, Payload::Finish(order, false)),
        }
    }
}

/// Every timer of a saga run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Relay the outbox, purge old idempotency keys.
    Relay,
    /// The orders service samples its open orders.
    Sample,
    /// The dual-write bug publishes its events.
    Publish,
    /// The coordinator's wait for a step's reply ends (order, step).
    StepTimeout(u64, Step),
    /// A client's next order.
    Arrival,
    /// A client's next balance read.
    ReadArrival,
    /// A client sends an unacknowledged order again.
    Resend(u64),
}

/// A node of a saga run.
pub enum SagaNode {
    /// A service.
    Service(Box<Service>),
    /// The coordinator.
    Coordinator(Box<Coordinator>),
    /// A client.
    Client(Box<Client>),
}

impl Node for SagaNode {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            SagaNode::Service(n) => n.start(ctx, false),
            SagaNode::Coordinator(n) => n.start(ctx, false),
            SagaNode::Client(n) => n.start(ctx),
        }
    }

    fn on_restart(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            SagaNode::Service(n) => n.start(ctx, true),
            SagaNode::Coordinator(n) => n.start(ctx, true),
            SagaNode::Client(n) => n.start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            SagaNode::Service(n) => n.on_message(ctx, from, msg),
            SagaNode::Coordinator(n) => n.on_message(ctx, from, msg),
            SagaNode::Client(n) => n.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: Timer) {
        match self {
            SagaNode::Service(n) => n.on_timer(ctx, timer),
            SagaNode::Coordinator(n) => n.on_timer(ctx, timer),
            SagaNode::Client(n) => n.on_timer(ctx, timer),
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            SagaNode::Service(_) => NodeStatus { role: "service", leading: false, term: 0 },
            SagaNode::Coordinator(_) => NodeStatus { role: "coordinator", leading: true, term: 0 },
            SagaNode::Client(_) => NodeStatus::default(),
        }
    }
}

/// A fresh record for a run.
pub(crate) fn observer() -> SharedObserver {
    Arc::new(std::sync::Mutex::new(Observer::default()))
}
