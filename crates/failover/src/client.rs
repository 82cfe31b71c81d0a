//! A client: finds the primary through the registry and caches the answer for `registry_ttl`
//! (as a DNS resolver would), sends each operation there, and when an attempt fails (no answer
//! in time, "not primary", or an answer from an epoch older than one it has seen, under epoch
//! fencing) forgets the primary and retries the same request after a backoff with jitter. A
//! circuit breaker and a retry budget can each stop retries that would only add load.
//!
//! Operations are `[workload]`'s (reads, writes, compare-and-sets, open or closed loop, Jepsen
//! processes: a timed-out operation stays open and its process is retired), or, with
//! `workload = "occ"`, the AWS blog's experiment: one update of one row under optimistic
//! concurrency, retried after the backoff whenever another client's update got there first.

use std::sync::Arc;

use serde_json::{Value, json};
use sim_core::{LocalTime, NodeId, OpType, SimDuration, SimTime, TimerId};
use workload::config::{KeyPicker, Load};

use crate::breaker::{BreakerState, CircuitBreaker, RetryBudget};
use crate::config::ClientWork;
use crate::message::{Answer, Msg, Op, WriteId};
use crate::node::{Cluster, Ctx, Timer, series};
use crate::{Backoff, Jitter};

/// Values written and compared are drawn from `0..VALUES`, so compare-and-sets often succeed.
const VALUES: u64 = 5;
/// Where a client keeps its next process round, so a restarted client never reuses an id.
const ROUND_KEY: &str = "client/next_round";
/// Request ids of an incarnation start at its first round shifted this far left.
const INCARNATION_SHIFT: u32 = 32;
/// The row the backoff experiment's clients update.
const OCC_ROW: u64 = 0;
/// Where a backoff-experiment client records that its update succeeded, so a restart after it
/// does not update the row a second time.
const OCC_DONE_KEY: &str = "client/occ_done";

#[derive(Debug)]
struct InFlight {
    request: u64,
    op: Op,
    started: SimTime,
    /// An attempt went out (a give-up is then indeterminate, not a failure).
    sent: bool,
    /// Waiting for the registry's answer before it can go out.
    needs_primary: bool,
    backoff: Backoff,
    attempt: Option<TimerId>,
    deadline: Option<TimerId>,
}

#[derive(Debug)]
struct Slot {
    process: u64,
    op: Option<InFlight>,
}

/// The backoff experiment's state: the update's conflicts so far.
#[derive(Debug)]
struct Occ {
    backoff: Backoff,
    done: bool,
}

/// A client.
pub struct Client {
    me: NodeId,
    index: u64,
    cluster: Arc<Cluster>,
    keys: KeyPicker,
    /// The primary, its epoch, and until when the registry's answer is trusted.
    known: Option<(NodeId, u64, LocalTime)>,
    /// The highest epoch it has seen.
    max_epoch: u64,
    lookup: Option<TimerId>,
    slots: Vec<Slot>,
    next_request: u64,
    next_round: u64,
    breaker: Option<CircuitBreaker>,
    budget: Option<RetryBudget>,
    occ: Option<Occ>,
}

impl Client {
    /// Client number `index` (from 0) of `cluster`.
    pub fn new(me: NodeId, index: u32, cluster: Arc<Cluster>) -> Self {
        let c = &cluster.config;
        let w = &cluster.workload;
        let breaker =
            c.circuit_breaker.then(|| CircuitBreaker::new(c.breaker_failures, c.breaker_open));
        let budget = c.retry_budget.then(|| RetryBudget::new(c.budget_ratio, c.budget_burst));
        // The blog's simulator sleeps base · 2 after the first conflict.
        let occ = (c.workload == ClientWork::Occ).then(|| Occ {
            backoff: c.backoff().starting_at(u32::from(c.jitter != Jitter::Decorrelated)),
            done: false,
        });
        Client {
            me,
            index: index as u64,
            keys: KeyPicker::new(w.keys, w.key_dist),
            cluster,
            known: None,
            max_epoch: 0,
            lookup: None,
            slots: Vec::new(),
            next_request: 0,
            next_round: 0,
            breaker,
            budget,
            occ,
        }
    }

    fn new_process(&mut self, ctx: Ctx) -> u64 {
        let process = self.next_round * self.cluster.clients.max(1) as u64 + self.index;
        self.next_round += 1;
        ctx.storage().put(ROUND_KEY, self.next_round.to_le_bytes().to_vec());
        ctx.storage().sync();
        process
    }

    /// Starts (or restarts: the disk keeps its numbering, the cache of the registry's answer
    /// is gone). At time zero it knows epoch 1's primary, as a client configured with it.
    pub(crate) fn start(&mut self, ctx: Ctx) {
        match ctx.storage().get(ROUND_KEY) {
            Ok(Some(b)) if b.len() == 8 => {
                self.next_round = u64::from_le_bytes(b.try_into().expect("8 bytes"));
            }
            Ok(None) => {
                let ttl = self.cluster.config.registry_ttl;
                let until = LocalTime(ctx.now().0.saturating_add(ttl.as_nanos() as i64));
                self.known = Some((self.cluster.dbs[0], 1, until));
                self.max_epoch = 1;
            }
            _ => return, // a corrupt record: reusing ids would be worse than silence
        }
        self.next_request = self.next_round << INCARNATION_SHIFT;
        if let Some(occ) = self.occ.as_mut() {
            // Its one update succeeded before a crash: nothing left to do. (A record lost to a
            // disk fault reads as not done, and the client updates again, as a real one would.)
            if matches!(ctx.storage().get(OCC_DONE_KEY), Ok(Some(_))) {
                occ.done = true;
                return;
            }
            let process = self.new_process(ctx);
            self.slots.push(Slot { process, op: None });
            self.begin(ctx, 0, Op::Read { key: OCC_ROW });
            return;
        }
        match self.cluster.workload.load() {
            Load::Open { per_client_rate } => self.schedule_arrival(ctx, per_client_rate),
            Load::Closed { concurrency } => {
                for _ in 0..concurrency {
                    let process = self.new_process(ctx);
                    self.slots.push(Slot { process, op: None });
                    self.start_op(ctx, self.slots.len() - 1);
                }
            }
        }
    }

    fn schedule_arrival(&mut self, ctx: Ctx, per_client_rate: f64) {
        let mean_ns = 1e9 / per_client_rate;
        let gap = -mean_ns * libm::log(1.0 - ctx.rng().unit_f64());
        ctx.set_timer(SimDuration(gap as u64), Timer::Arrival);
    }

    /// Draws a key-value operation and starts it in `slot`.
    fn start_op(&mut self, ctx: Ctx, slot: usize) {
        let w = &self.cluster.workload;
        let generation = w.key_period().map_or(0, |p| ctx.sim_time().as_nanos() / p.as_nanos());
        let key = generation * w.keys + self.keys.pick(ctx.rng());
        let u = ctx.rng().unit_f64();
        let op = if u < w.read_ratio {
            Op::Read { key }
        } else if u < w.read_ratio + w.cas_ratio {
            let expected = Some(ctx.rng().below(VALUES) as i64);
            Op::Cas { key, expected, new: ctx.rng().below(VALUES) as i64 }
        } else {
            Op::Write { key, value: ctx.rng().below(VALUES) as i64 }
        };
        self.begin(ctx, slot, op);
    }

    fn begin(&mut self, ctx: Ctx, slot: usize, op: Op) {
        let request = self.next_request;
        self.next_request += 1;
        if self.occ.is_none() {
            let process = self.slots[slot].process;
            ctx.history(process, OpType::Invoke, op.f(), Some(op.key()), invoke_value(&op));
            ctx.metrics().count("ops.invoked", 1);
            self.cluster.observe().invoked(self.me, ctx.sim_time());
        } else if matches!(op, Op::Cas { .. }) {
            ctx.metrics().count("occ.calls", 1);
        }
        if let Some(b) = self.budget.as_mut() {
            b.deposit();
        }
        let deadline = (self.occ.is_none())
            .then(|| ctx.set_timer(self.cluster.workload.timeout, Timer::Deadline(slot, request)));
        self.slots[slot].op = Some(InFlight {
            request,
            op,
            started: ctx.sim_time(),
            sent: false,
            needs_primary: false,
            backoff: self.cluster.config.backoff(),
            attempt: None,
            deadline,
        });
        self.dispatch(ctx, slot);
    }

    /// Sends the slot's request to the primary it knows, or asks the registry first.
    fn dispatch(&mut self, ctx: Ctx, slot: usize) {
        let now = ctx.now();
        match self.known {
            Some((primary, _, until)) if now < until => {
                // The breaker guards the database: it is asked when a call is about to go out.
                if let Some(b) = self.breaker.as_mut() {
                    let allowed = b.allow(now);
                    series(ctx, "breaker_state", breaker_code(b.state()));
                    if !allowed {
                        ctx.metrics().count("client.fast_failed", 1);
                        series(ctx, "fast_failed", 1);
                        self.give_up(ctx, slot);
                        return;
                    }
                }
                let Some(f) = self.slots[slot].op.as_mut() else { return };
                f.sent = true;
                f.needs_primary = false;
                let (request, op) = (f.request, f.op);
                f.attempt =
                    Some(ctx.set_timer(
                        self.cluster.config.attempt_timeout,
                        Timer::Attempt(slot, request),
                    ));
                ctx.metrics().count("client.db_requests", 1);
                series(ctx, "db_requests", 1);
                ctx.send(primary, Msg::Request { request, op });
            }
            _ => {
                let Some(f) = self.slots[slot].op.as_mut() else { return };
                f.needs_primary = true;
                self.look_up(ctx);
            }
        }
    }

    fn look_up(&mut self, ctx: Ctx) {
        if self.lookup.is_none() {
            ctx.send(self.cluster.registry, Msg::Lookup);
            self.lookup = Some(ctx.set_timer(self.cluster.config.attempt_timeout, Timer::Lookup));
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Located { primary, epoch } => {
                let fencing = self.cluster.config.epoch_fencing;
                if fencing && epoch < self.max_epoch {
                    return; // the registry lags what it has seen: its timer asks again
                }
                if let Some(t) = self.lookup.take() {
                    ctx.cancel_timer(t);
                }
                let ttl = self.cluster.config.registry_ttl;
                let until = LocalTime(ctx.now().0.saturating_add(ttl.as_nanos() as i64));
                self.known = Some((primary, epoch, until));
                self.max_epoch = self.max_epoch.max(epoch);
                for slot in 0..self.slots.len() {
                    if self.slots[slot].op.as_ref().is_some_and(|f| f.needs_primary) {
                        self.dispatch(ctx, slot);
                    }
                }
            }
            Msg::Reply { request, epoch, answer } => self.reply(ctx, from, request, epoch, answer),
            _ => {}
        }
    }

    fn reply(&mut self, ctx: Ctx, from: NodeId, request: u64, epoch: u64, answer: Answer) {
        let Some(slot) = self.slots.iter().position(|s| {
            s.op.as_ref().is_some_and(|f| f.request == request && f.attempt.is_some())
        }) else {
            return; // an answer to an attempt already given up on
        };
        let f = self.slots[slot].op.as_mut().expect("in flight");
        if let Some(t) = f.attempt.take() {
            ctx.cancel_timer(t);
        }
        let stale = self.cluster.config.epoch_fencing && epoch < self.max_epoch;
        if stale || answer == Answer::NotPrimary {
            if stale {
                ctx.metrics().count("client.stale_answers_refused", 1);
            }
            if self.known.is_some_and(|(p, _, _)| p == from) {
                self.known = None;
            }
            self.failed(ctx, slot);
            return;
        }
        self.max_epoch = self.max_epoch.max(epoch);
        if let Some(b) = self.breaker.as_mut() {
            b.success();
        }
        let f = self.slots[slot].op.as_ref().expect("in flight");
        let write = match (f.op, answer) {
            (Op::Write { .. } | Op::Cas { .. }, Answer::Ok(_)) => {
                Some(WriteId { client: self.me, request })
            }
            _ => None,
        };
        let back = self.cluster.observe().answered_client(self.me, epoch, write, ctx.sim_time());
        if let Some(after) = back {
            series(ctx, "rto_rediscovery_ms", after.as_nanos() / 1_000_000);
        }
        if self.occ.is_some() {
            self.occ_step(ctx, slot, answer);
            return;
        }
        let (kind, value) = match (f.op, answer) {
            (Op::Read { .. }, Answer::Ok(v)) => (OpType::Ok, v.map_or(Value::Null, |v| json!(v))),
            (_, Answer::CasFailed) => (OpType::Fail, invoke_value(&f.op)),
            _ => (OpType::Ok, invoke_value(&f.op)),
        };
        self.finish(ctx, slot, kind, value);
    }

    /// The backoff experiment's next step after an answer.
    fn occ_step(&mut self, ctx: Ctx, slot: usize, answer: Answer) {
        let f = self.slots[slot].op.take().expect("in flight");
        let occ = self.occ.as_mut().expect("occ");
        match (f.op, answer) {
            (Op::Read { .. }, Answer::Ok(version)) => {
                let new = version.unwrap_or(0) + 1;
                self.begin(ctx, slot, Op::Cas { key: OCC_ROW, expected: version, new });
            }
            (Op::Cas { .. }, Answer::Ok(_)) => {
                occ.done = true;
                ctx.storage().put(OCC_DONE_KEY, vec![1]);
                ctx.storage().sync();
                self.cluster.observe().occ_done(self.me, ctx.sim_time());
            }
            _ => {
                // Another client's update came first: sleep, then read again.
                let sleep = occ.backoff.next_sleep(ctx.rng());
                let request = self.next_request;
                self.slots[slot].op = Some(InFlight {
                    request,
                    op: Op::Read { key: OCC_ROW },
                    started: ctx.sim_time(),
                    sent: false,
                    needs_primary: false,
                    backoff: self.cluster.config.backoff(),
                    attempt: None,
                    deadline: None,
                });
                self.next_request += 1;
                ctx.set_timer(sleep, Timer::Retry(slot, request));
            }
        }
    }

    /// An attempt failed: retry after the backoff, unless the budget is spent.
    fn failed(&mut self, ctx: Ctx, slot: usize) {
        let now = ctx.now();
        if let Some(b) = self.breaker.as_mut() {
            if b.failure(now) {
                ctx.metrics().count("client.breaker_opened", 1);
            }
            series(ctx, "breaker_state", breaker_code(b.state()));
        }
        if let Some(b) = self.budget.as_mut() {
            if !b.withdraw() {
                ctx.metrics().count("client.budget_exhausted", 1);
                self.give_up(ctx, slot);
                return;
            }
        }
        let Some(f) = self.slots[slot].op.as_mut() else { return };
        let sleep = f.backoff.next_sleep(ctx.rng());
        let request = f.request;
        ctx.metrics().count("client.retries", 1);
        series(ctx, "retries", 1);
        ctx.set_timer(sleep, Timer::Retry(slot, request));
    }

    /// Gives up on the slot's operation (see [`given_up`]).
    fn give_up(&mut self, ctx: Ctx, slot: usize) {
        let Some(f) = self.slots[slot].op.as_ref() else { return };
        let kind = given_up(f);
        let value = invoke_value(&f.op);
        if self.occ.is_some() {
            // The experiment never gives up: the next attempt goes after the backoff.
            let f = self.slots[slot].op.as_mut().expect("in flight");
            let sleep = f.backoff.next_sleep(ctx.rng());
            let request = f.request;
            ctx.set_timer(sleep, Timer::Retry(slot, request));
            return;
        }
        self.finish(ctx, slot, kind, value);
    }

    fn finish(&mut self, ctx: Ctx, slot: usize, kind: OpType, value: Value) {
        let f = self.slots[slot].op.take().expect("in flight");
        for t in [f.attempt, f.deadline].into_iter().flatten() {
            ctx.cancel_timer(t);
        }
        let process = self.slots[slot].process;
        ctx.history(process, kind, f.op.f(), Some(f.op.key()), value);
        let counter = match kind {
            OpType::Ok => {
                let latency = ctx.sim_time().saturating_since(f.started).as_nanos();
                ctx.metrics().record("latency_ns", latency);
                "ops.ok"
            }
            OpType::Fail => "ops.failed",
            _ => {
                self.slots[slot].process = self.new_process(ctx);
                "ops.indeterminate"
            }
        };
        ctx.metrics().count(counter, 1);
        if let Load::Closed { .. } = self.cluster.workload.load() {
            self.start_op(ctx, slot);
        }
    }

    /// The in-flight operation of `slot`, if it is still `request`.
    fn current(&mut self, slot: usize, request: u64) -> Option<&mut InFlight> {
        self.slots.get_mut(slot)?.op.as_mut().filter(|f| f.request == request)
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Arrival => {
                let slot = match self.slots.iter().position(|s| s.op.is_none()) {
                    Some(s) => Some(s),
                    None if self.slots.len() < self.cluster.workload.max_in_flight as usize => {
                        let process = self.new_process(ctx);
                        self.slots.push(Slot { process, op: None });
                        Some(self.slots.len() - 1)
                    }
                    None => None,
                };
                match slot {
                    Some(slot) => self.start_op(ctx, slot),
                    None => ctx.metrics().count("ops.shed", 1),
                }
                if let Load::Open { per_client_rate } = self.cluster.workload.load() {
                    self.schedule_arrival(ctx, per_client_rate);
                }
            }
            Timer::Attempt(slot, request) => {
                let Some(f) = self.current(slot, request) else { return };
                if f.attempt.take().is_none() {
                    return;
                }
                // No answer: the primary may be gone; ask the registry again.
                self.known = None;
                self.failed(ctx, slot);
            }
            Timer::Retry(slot, request) if self.current(slot, request).is_some() => {
                self.dispatch(ctx, slot);
            }
            Timer::Deadline(slot, request) => {
                let Some(f) = self.current(slot, request) else { return };
                f.deadline = None;
                let value = invoke_value(&f.op);
                let kind = given_up(f);
                self.finish(ctx, slot, kind, value);
            }
            Timer::Lookup => {
                self.lookup = None;
                if self.slots.iter().any(|s| s.op.as_ref().is_some_and(|f| f.needs_primary)) {
                    self.look_up(ctx);
                }
            }
            _ => {}
        }
    }
}

/// How an operation given up on ends in the history: `fail` (it did not happen) if no attempt
/// went out, else `info` (it may have happened). A compare-and-set is always `info`: its
/// `fail` is the answer "the comparison failed", which says what the register held.
fn given_up(f: &InFlight) -> OpType {
    if f.sent || matches!(f.op, Op::Cas { .. }) { OpType::Info } else { OpType::Fail }
}

/// The breaker's state as a number for its series: 0 closed, 1 half-open, 2 open.
fn breaker_code(state: BreakerState) -> u64 {
    match state {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen { .. } => 1,
        BreakerState::Open(_) => 2,
    }
}

fn invoke_value(op: &Op) -> Value {
    match *op {
        Op::Read { .. } => Value::Null,
        Op::Write { value, .. } => json!(value),
        Op::Cas { expected, new, .. } => json!([expected, new]),
    }
}
