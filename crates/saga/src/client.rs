//! A client: places orders at Poisson arrivals until the faults' window ends (so every saga can
//! settle in the quiet period), each resent until the orders service acknowledges it, and reads
//! customers' balances.

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{NodeId, SimDuration};

use crate::message::{Msg, Order};
use crate::node::{Ctx, Shape, Timer};

/// How long a client waits for the orders service before it sends an order again.
const RESEND: SimDuration = SimDuration::from_millis(200);
const SEQ_KEY: &str = "client/seq";

/// A client.
pub struct Client {
    index: u64,
    shape: Arc<Shape>,
    seq: u64,
    /// Orders not yet acknowledged.
    unplaced: BTreeMap<u64, Order>,
    reads: u64,
}

impl Client {
    /// Client number `index` (from 0).
    pub fn new(index: u32, shape: Arc<Shape>) -> Self {
        Client { index: index as u64, shape, seq: 0, unplaced: BTreeMap::new(), reads: 0 }
    }

    pub(crate) fn start(&mut self, ctx: Ctx) {
        if let Ok(Some(b)) = ctx.storage().get(SEQ_KEY) {
            if let Ok(bytes) = <[u8; 8]>::try_from(b) {
                self.seq = u64::from_le_bytes(bytes);
            }
        }
        let c = &self.shape.config;
        let clients = c.clients.max(1) as f64;
        if c.rate > 0.0 {
            self.next(ctx, c.rate / clients, Timer::Arrival);
        }
        if c.read_rate > 0.0 {
            self.next(ctx, c.read_rate / clients, Timer::ReadArrival);
        }
    }

    fn next(&self, ctx: Ctx, rate: f64, timer: Timer) {
        let gap = -1e9 / rate * libm::log(1.0 - ctx.rng().unit_f64());
        ctx.set_timer(SimDuration(gap as u64), timer);
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        let c = &self.shape.config;
        let clients = c.clients.max(1) as f64;
        let open = ctx.sim_time().as_nanos() < self.shape.place_until.as_nanos();
        match timer {
            Timer::Arrival if open => {
                self.seq += 1;
                ctx.storage().put(SEQ_KEY, self.seq.to_le_bytes().to_vec());
                ctx.storage().sync();
                let rng = ctx.rng();
                let order = Order {
                    id: ((self.index + 1) << 40) | self.seq,
                    customer: rng.below(c.customers as u64) as u32,
                    item: rng.below(c.items as u64) as u32,
                    qty: 1 + rng.below(3),
                    amount: 1 + rng.below(50),
                };
                self.unplaced.insert(order.id, order);
                ctx.send(self.shape.orders, Msg::Place(order));
                ctx.set_timer(RESEND, Timer::Resend(order.id));
                self.next(ctx, c.rate / clients, Timer::Arrival);
            }
            Timer::ReadArrival if open => {
                self.reads += 1;
                let customer = ctx.rng().below(c.customers as u64) as u32;
                let payments = self.shape.payments;
                ctx.send(payments, Msg::Read { id: self.reads, customer });
                self.next(ctx, c.read_rate / clients, Timer::ReadArrival);
            }
            Timer::Resend(id) => {
                if let Some(order) = self.unplaced.get(&id) {
                    ctx.send(self.shape.orders, Msg::Place(*order));
                    ctx.set_timer(RESEND, Timer::Resend(id));
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, _ctx: Ctx, _from: NodeId, msg: Msg) {
        if let Msg::Placed(id) = msg {
            self.unplaced.remove(&id);
            // The client's word, not the orders service's: Sagas Settle holds every order
            // acknowledged here to a saga the orders service started.
            self.shape.observe().placed(id);
        }
    }
}
