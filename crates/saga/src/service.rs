//! The four services: orders, inventory, payments and shipping, each with its own durable
//! store, its mailroom, and its part of the order saga.
//!
//! Each delivery of a step (do or undo) is applied once per idempotency key: the state change,
//! the events it causes (in the outbox) and the key are one durable write, then the delivery is
//! acknowledged. An undo that arrives before its do (the do delayed, the saga already
//! compensating) leaves a tombstone, so the late do is refused. Under choreography a service
//! sends the next step's command itself (the next service's on success, the previous one's
//! undo on a failure or an undo); under orchestration it replies to the coordinator.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sim_core::{NodeId, SimDuration};

use crate::config::{Bug, Mode};
use crate::mailroom::{Mailroom, read, write};
use crate::message::{Msg, Order, Payload, Step};
use crate::node::{Ctx, Shape, Timer};

/// Which service a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Creates orders, approves them (the pivot), records their end.
    Orders,
    /// Reserves and releases stock.
    Inventory,
    /// Charges and refunds customers.
    Payments,
    /// Books, cancels and dispatches shipments.
    Shipping,
}

impl Kind {
    /// Every service, in the order of their node groups.
    pub const ALL: [Kind; 4] = [Kind::Orders, Kind::Inventory, Kind::Payments, Kind::Shipping];

    /// Its node group's name.
    pub fn group(self) -> &'static str {
        match self {
            Kind::Orders => "orders",
            Kind::Inventory => "inventory",
            Kind::Payments => "payments",
            Kind::Shipping => "shipping",
        }
    }

    /// The service that does `step`.
    pub fn of(step: Step) -> Kind {
        match step {
            Step::Reserve => Kind::Inventory,
            Step::Charge => Kind::Payments,
            Step::Schedule | Step::Dispatch => Kind::Shipping,
            Step::Approve => Kind::Orders,
        }
    }
}

/// How an order stands at the orders service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderState {
    /// Its saga is running (the semantic lock).
    Pending,
    /// Past the pivot.
    Approved,
    /// Every step applied.
    Completed,
    /// Compensated.
    Rejected,
}

/// A step's record at its service: how often it was applied and undone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Times applied.
    pub applied: u32,
    /// Times undone.
    pub undone: u32,
    /// Undone before it was ever applied: a later do is refused.
    pub tombstone: bool,
}

/// A service node.
pub struct Service {
    kind: Kind,
    shape: Arc<Shape>,
    mail: Mailroom,
    orders: BTreeMap<u64, (Order, OrderState)>,
    records: BTreeMap<(u64, Step), Record>,
    stock: BTreeMap<u32, u64>,
    balances: BTreeMap<u32, u64>,
    captured: u64,
    /// Payments, under semantic locks: the orders whose charge is pending, by customer.
    locks: BTreeMap<u32, BTreeSet<u64>>,
    /// The dual-write bug's events, published a moment after the commit, outside the outbox.
    unpublished: Vec<(NodeId, Payload)>,
    /// The ack-before-commit bug's placements, acknowledged and not yet written.
    unwritten: Vec<Order>,
}

const CAPTURED: &str = "captured";

impl Service {
    /// Service `kind` at node `me`.
    pub fn new(kind: Kind, me: NodeId, shape: Arc<Shape>) -> Self {
        let c = &shape.config;
        let mail = Mailroom::new(me, c, !c.has(Bug::VolatileDedup));
        Service {
            kind,
            shape,
            mail,
            orders: BTreeMap::new(),
            records: BTreeMap::new(),
            stock: BTreeMap::new(),
            balances: BTreeMap::new(),
            captured: 0,
            locks: BTreeMap::new(),
            unpublished: Vec::new(),
            unwritten: Vec::new(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Each customer's balance (opening balances for the untouched).
    pub fn balance(&self, customer: u32) -> u64 {
        self.balances.get(&customer).copied().unwrap_or(self.shape.config.balance)
    }

    /// An item's stock.
    pub fn stock(&self, item: u32) -> u64 {
        self.stock.get(&item).copied().unwrap_or(self.shape.config.stock)
    }

    /// The funds captured by charges not refunded.
    pub fn captured(&self) -> u64 {
        self.captured
    }

    /// The orders and their states (the orders service).
    pub fn orders(&self) -> &BTreeMap<u64, (Order, OrderState)> {
        &self.orders
    }

    /// The orders whose charge holds a semantic lock (payments).
    pub fn locked(&self) -> impl Iterator<Item = u64> + '_ {
        self.locks.values().flatten().copied()
    }

    /// The step records.
    pub fn records(&self) -> &BTreeMap<(u64, Step), Record> {
        &self.records
    }

    /// Started, or restarted from its disk.
    pub(crate) fn start(&mut self, ctx: Ctx, restarted: bool) {
        if restarted {
            self.load(ctx);
        }
        ctx.set_timer(self.shape.tick(), Timer::Relay);
        if self.kind == Kind::Orders {
            ctx.set_timer(SAMPLE, Timer::Sample);
        }
    }

    fn load(&mut self, ctx: Ctx) {
        let now = ctx.now();
        let storage = ctx.storage();
        self.mail.load(storage, now);
        let names: Vec<String> = storage.keys_with_prefix("").map(str::to_string).collect();
        for name in names {
            let mut parts = name.splitn(2, '/');
            let (Some(kind), Some(rest)) = (parts.next(), parts.next()) else {
                if name == CAPTURED {
                    self.captured = read(storage, CAPTURED).unwrap_or(0);
                }
                continue;
            };
            match kind {
                "order" => {
                    if let Some(o) = read::<(Order, OrderState)>(storage, &name) {
                        self.orders.insert(o.0.id, o);
                    }
                }
                "rec" => {
                    if let Some((id, step, r)) = read::<(u64, Step, Record)>(storage, &name) {
                        self.records.insert((id, step), r);
                    }
                }
                "stock" => {
                    if let (Ok(i), Some(v)) = (rest.parse(), read(storage, &name)) {
                        self.stock.insert(i, v);
                    }
                }
                "balance" => {
                    if let (Ok(c), Some(v)) = (rest.parse(), read(storage, &name)) {
                        self.balances.insert(c, v);
                    }
                }
                "lock" => {
                    if let Some((c, o)) = read::<(u32, u64)>(storage, &name) {
                        self.locks.entry(c).or_default().insert(o);
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Relay => {
                for order in std::mem::take(&mut self.unwritten) {
                    self.create(ctx, order);
                }
                self.mail.tick(ctx);
                self.mail.relay(ctx);
                let expired = self.mail.purge(ctx, self.shape.config.dedup_retention);
                if !expired.is_empty() {
                    self.shape.observe().keys_expired(&expired);
                }
                ctx.set_timer(self.shape.tick(), Timer::Relay);
            }
            Timer::Sample => {
                let open = self.orders.values().filter(|(_, s)| is_open(*s)).count() as u64;
                let now = ctx.sim_time();
                ctx.metrics().add_to_series("in_flight", now, open);
                // Little's law is about the arrivals' window: the quiet period has none.
                if now < self.shape.place_until {
                    ctx.metrics().sample("saga.in_flight_sampled", open as f64);
                }
                ctx.set_timer(SAMPLE, Timer::Sample);
            }
            Timer::Publish => {
                for (to, payload) in std::mem::take(&mut self.unpublished) {
                    ctx.send(to, Msg::Deliver { id: u64::MAX, payload });
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Place(order) if self.kind == Kind::Orders => self.place(ctx, from, order),
            Msg::Deliver { id, payload } => {
                self.deliver(ctx, payload);
                if id != u64::MAX {
                    ctx.send(from, Msg::Ack { id });
                }
            }
            Msg::Ack { id } => self.mail.acked(ctx, id),
            Msg::Read { id, customer } if self.kind == Kind::Payments => {
                let locked = self.shape.config.semantic_locks
                    && self.locks.get(&customer).is_some_and(|l| !l.is_empty());
                let value = if locked {
                    ctx.metrics().count("saga.locked_reads", 1);
                    None
                } else {
                    self.shape.observe().balance_read(customer, ctx.sim_time());
                    Some(self.balance(customer))
                };
                ctx.send(from, Msg::Balance { id, value });
            }
            _ => {}
        }
    }

    /// A client places an order: created, then acknowledged (the ack-before-commit bug: the
    /// other way round, the order written at the next tick).
    fn place(&mut self, ctx: Ctx, client: NodeId, order: Order) {
        if !self.shape.config.has(Bug::AckBeforeCommit) {
            self.create(ctx, order);
        } else if !self.unwritten.iter().any(|o| o.id == order.id) {
            self.unwritten.push(order);
        }
        ctx.send(client, Msg::Placed(order.id));
    }

    /// A new order: written PENDING, its saga started, in one durable write.
    fn create(&mut self, ctx: Ctx, order: Order) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.orders.entry(order.id) {
            e.insert((order, OrderState::Pending));
            write(ctx.storage(), &format!("order/{:020}", order.id), &(order, OrderState::Pending));
            self.shape.observe().started(order, ctx.sim_time());
            let (to, payload) = match self.shape.config.mode {
                Mode::Orchestration => (self.shape.coordinator, Payload::Start(order)),
                Mode::Choreography => {
                    (self.shape.service(Step::Reserve), Payload::Do(order, Step::Reserve))
                }
            };
            self.send(ctx, to, payload);
            self.mail.commit(ctx);
            self.after_commit(ctx);
        }
    }

    /// Records an event or command for `to`: in the outbox, or (the dual-write bug) to be
    /// published once after the commit.
    fn send(&mut self, ctx: Ctx, to: NodeId, payload: Payload) {
        if self.shape.config.has(Bug::DualWrite) {
            self.unpublished.push((to, payload));
        } else {
            self.mail.post(ctx, to, payload);
        }
    }

    fn after_commit(&mut self, ctx: Ctx) {
        if self.unpublished.is_empty() {
            self.mail.relay(ctx);
        } else {
            ctx.set_timer(SimDuration::from_millis(1), Timer::Publish);
        }
    }

    fn deliver(&mut self, ctx: Ctx, payload: Payload) {
        match payload {
            Payload::Do(order, step) => self.step(ctx, order, step, false),
            Payload::Undo(order, step) => self.step(ctx, order, step, true),
            Payload::Finish(order, completed) if self.kind == Kind::Orders => {
                self.finish(ctx, order, completed)
            }
            Payload::Unlock(order)
                if self.kind == Kind::Payments
                    && !self.shape.config.has(Bug::LeakyLocks)
                    && self.unlock(ctx, order) =>
            {
                self.mail.commit(ctx);
            }
            _ => {}
        }
    }

    /// Applies (or undoes) a step once per idempotency key.
    fn step(&mut self, ctx: Ctx, order: Order, step: Step, undo: bool) {
        let key = (order.id, step, undo);
        if !self.shape.config.has(Bug::NoIdempotency) && self.mail.seen(&key) {
            ctx.metrics().count("saga.duplicates_absorbed", 1);
            let now = ctx.sim_time();
            ctx.metrics().add_to_series("duplicates_absorbed", now, 1);
            return;
        }
        self.shape.observe().processed(key);
        let ok = if undo { self.undo(ctx, order, step) } else { self.apply(ctx, order, step) };
        self.mail.remember(ctx, key);
        let r = self.records.get(&(order.id, step)).copied().unwrap_or_default();
        write(ctx.storage(), &format!("rec/{:020}/{}", order.id, step as u8), &(order.id, step, r));
        let (to, payload) = match self.shape.config.mode {
            Mode::Orchestration => {
                (self.shape.coordinator, Payload::Done { order, step, undo, ok })
            }
            Mode::Choreography => self.shape.next_hop(order, step, undo, ok),
        };
        self.send(ctx, to, payload);
        self.mail.commit(ctx);
        self.after_commit(ctx);
    }

    /// Does a step; false if it is refused.
    fn apply(&mut self, ctx: Ctx, order: Order, step: Step) -> bool {
        let shape = self.shape.clone();
        let c = &shape.config;
        let r = self.records.entry((order.id, step)).or_default();
        if r.tombstone {
            return false; // compensated before it arrived
        }
        let refused = match step {
            Step::Reserve => {
                let stock = self.stock(order.item);
                let refuse = ctx.rng().unit_f64() < c.out_of_stock_rate || stock < order.qty;
                if !refuse {
                    self.set_stock(ctx, order.item, stock - order.qty);
                }
                refuse
            }
            Step::Charge => {
                let balance = self.balance(order.customer);
                let refuse = ctx.rng().unit_f64() < c.decline_rate || balance < order.amount;
                if !refuse {
                    self.set_balance(ctx, order.customer, balance - order.amount);
                    self.set_captured(ctx, self.captured + order.amount);
                    if c.semantic_locks {
                        self.locks.entry(order.customer).or_default().insert(order.id);
                        let lock = (order.customer, order.id);
                        write(ctx.storage(), &format!("lock/{:020}", order.id), &lock);
                    }
                }
                refuse
            }
            Step::Schedule => ctx.rng().unit_f64() < c.no_courier_rate,
            Step::Approve => {
                if self.orders.get(&order.id).map(|(_, s)| *s) != Some(OrderState::Pending) {
                    // A late duplicate after its key expired: the order is past the pivot
                    // (or ended) already, and answering ok changes nothing.
                    return true;
                }
                self.set_order(ctx, order, OrderState::Approved);
                false
            }
            Step::Dispatch => false,
        };
        if refused {
            return false;
        }
        let r = self.records.entry((order.id, step)).or_default();
        if r.applied > 0 {
            ctx.metrics().count("saga.duplicates_applied", 1);
        }
        r.applied += 1;
        self.shape.observe().applied(order, step, ctx.sim_time());
        true
    }

    /// Undoes a step if it was applied; leaves a tombstone if it never was.
    fn undo(&mut self, ctx: Ctx, order: Order, step: Step) -> bool {
        let r = self.records.entry((order.id, step)).or_default();
        if r.applied <= r.undone {
            if r.applied == 0 {
                r.tombstone = true;
            }
            return true;
        }
        r.undone += 1;
        match step {
            Step::Reserve => self.set_stock(ctx, order.item, self.stock(order.item) + order.qty),
            Step::Charge => {
                let balance = self.balance(order.customer) + order.amount;
                self.set_balance(ctx, order.customer, balance);
                self.set_captured(ctx, self.captured - order.amount);
                self.unlock(ctx, order);
            }
            _ => {}
        }
        self.shape.observe().undone(order, step, ctx.sim_time());
        true
    }

    fn set_stock(&mut self, ctx: Ctx, item: u32, value: u64) {
        self.stock.insert(item, value);
        write(ctx.storage(), &format!("stock/{item}"), &value);
    }

    fn set_captured(&mut self, ctx: Ctx, value: u64) {
        self.captured = value;
        write(ctx.storage(), CAPTURED, &value);
    }

    fn set_balance(&mut self, ctx: Ctx, customer: u32, value: u64) {
        self.balances.insert(customer, value);
        write(ctx.storage(), &format!("balance/{customer}"), &value);
    }

    fn set_order(&mut self, ctx: Ctx, order: Order, state: OrderState) {
        self.orders.insert(order.id, (order, state));
        write(ctx.storage(), &format!("order/{:020}", order.id), &(order, state));
    }

    /// Releases the semantic lock an order's charge holds; true if it held one.
    fn unlock(&mut self, ctx: Ctx, order: Order) -> bool {
        let held = self.locks.get_mut(&order.customer).is_some_and(|l| l.remove(&order.id));
        if held {
            ctx.storage().delete(&format!("lock/{:020}", order.id));
        }
        held
    }

    /// The saga ended: the order is completed or rejected, and its lock released.
    fn finish(&mut self, ctx: Ctx, order: Order, completed: bool) {
        let Some((_, state)) = self.orders.get(&order.id) else { return };
        if !is_open(*state) {
            return;
        }
        let state = if completed { OrderState::Completed } else { OrderState::Rejected };
        self.set_order(ctx, order, state);
        let latency = self.shape.observe().ended(order, completed, ctx.sim_time());
        if let Some(latency) = latency {
            let series = if completed { "latency_completed_ms" } else { "latency_compensated_ms" };
            let now = ctx.sim_time();
            ctx.metrics().add_to_series(series, now, latency.as_nanos() / 1_000_000);
        }
        if self.shape.config.semantic_locks {
            let payments = self.shape.service(Step::Charge);
            self.send(ctx, payments, Payload::Unlock(order));
        }
        self.mail.commit(ctx);
        self.after_commit(ctx);
    }
}

/// How often the orders service samples its open orders.
const SAMPLE: SimDuration = SimDuration::from_millis(100);

fn is_open(state: OrderState) -> bool {
    matches!(state, OrderState::Pending | OrderState::Approved)
}
