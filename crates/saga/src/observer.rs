//! The harness's record of a saga run, written where effects happen: each step's application
//! and undo at its service (with the simulated time), each saga's start and end at the orders
//! service, and each balance read served without a lock. The checks are computed from it and
//! from the services' final states.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use sim_core::{SimDuration, SimTime};

use crate::mailroom::Key;
use crate::message::{Order, Step};

/// The observer, shared by the nodes of one run.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// When a step of one saga was applied and undone.
#[derive(Clone, Debug, Default)]
pub struct StepLog {
    /// Each application.
    pub applied: Vec<SimTime>,
    /// Each undo.
    pub undone: Vec<SimTime>,
}

impl StepLog {
    /// Applications not undone (negative if undone more often than applied).
    pub fn net(&self) -> i64 {
        self.applied.len() as i64 - self.undone.len() as i64
    }

    /// Applied and not undone.
    pub fn in_effect(&self) -> bool {
        self.net() > 0
    }
}

/// The log of a step never applied nor undone.
static UNTOUCHED: StepLog = StepLog { applied: Vec::new(), undone: Vec::new() };

/// The record.
#[derive(Debug, Default)]
pub struct Observer {
    started: BTreeMap<u64, (Order, SimTime)>,
    ended: BTreeMap<u64, (bool, SimTime)>,
    steps: BTreeMap<(u64, Step), StepLog>,
    /// Compensations that ran while a later step of their saga was in effect: the order, and
    /// what happened.
    out_of_order: Vec<(u64, String)>,
    /// Orders charged more than once.
    charged_twice: Vec<u64>,
    reads: Vec<(u32, SimTime)>,
    /// Orders the orders service acknowledged to their clients, as the clients saw it.
    placed: BTreeSet<u64>,
    /// Every delivery a service processed (not absorbed as a duplicate), by its key.
    processed: BTreeSet<Key>,
    /// Idempotency keys a service forgot at the end of their retention.
    expired: BTreeSet<Key>,
    /// Deliveries a service processed again after their key expired: by design, not a bug.
    reprocessed: BTreeSet<Key>,
}

impl Observer {
    /// An order was created: its saga starts.
    pub fn started(&mut self, order: Order, now: SimTime) {
        self.started.entry(order.id).or_insert((order, now));
    }

    /// A saga ended at the orders service; returns its latency.
    pub fn ended(&mut self, order: Order, completed: bool, now: SimTime) -> Option<SimDuration> {
        self.ended.entry(order.id).or_insert((completed, now));
        self.started.get(&order.id).map(|(_, t0)| now.saturating_since(*t0))
    }

    /// A service applied a step.
    pub fn applied(&mut self, order: Order, step: Step, now: SimTime) {
        let log = self.steps.entry((order.id, step)).or_default();
        log.applied.push(now);
        if step == Step::Charge && log.applied.len() == 2 {
            self.charged_twice.push(order.id);
        }
    }

    /// A service undid a step: no later step of the saga may be in effect.
    pub fn undone(&mut self, order: Order, step: Step, now: SimTime) {
        let later: Vec<&str> = Step::ALL
            .into_iter()
            .filter(|s| *s > step)
            .filter(|s| self.steps.get(&(order.id, *s)).is_some_and(StepLog::in_effect))
            .map(Step::name)
            .collect();
        if !later.is_empty() {
            let what = format!(
                "order {} undid {} at {now} while {} was still applied",
                order.id,
                step.name(),
                later.join(", ")
            );
            self.out_of_order.push((order.id, what));
        }
        self.steps.entry((order.id, step)).or_default().undone.push(now);
    }

    /// A service processed a delivery (a step or its undo) that its keys did not absorb.
    pub fn processed(&mut self, key: Key) {
        if !self.processed.insert(key) && self.expired.contains(&key) {
            self.reprocessed.insert(key);
        }
    }

    /// A service forgot these idempotency keys at the end of their retention.
    pub fn keys_expired(&mut self, keys: &[Key]) {
        self.expired.extend(keys.iter().copied());
    }

    /// Whether a service processed this delivery again after its key expired.
    pub fn reprocessed(&self, key: Key) -> bool {
        self.reprocessed.contains(&key)
    }

    /// Whether a service processed one of this saga's deliveries again after its key expired.
    pub fn saga_reprocessed(&self, order: u64) -> bool {
        let first = (order, Step::ALL[0], false);
        self.reprocessed.range(first..).next().is_some_and(|k| k.0 == order)
    }

    /// A client was told its order is placed: the orders service has it.
    pub fn placed(&mut self, id: u64) {
        self.placed.insert(id);
    }

    /// Orders acknowledged to their clients.
    pub fn acknowledged(&self) -> &BTreeSet<u64> {
        &self.placed
    }

    /// A client read a customer's balance, not locked.
    pub fn balance_read(&mut self, customer: u32, now: SimTime) {
        self.reads.push((customer, now));
    }

    /// Every saga started, with its order and when.
    pub fn started_sagas(&self) -> &BTreeMap<u64, (Order, SimTime)> {
        &self.started
    }

    /// Every saga ended: completed or not, and when.
    pub fn ended_sagas(&self) -> &BTreeMap<u64, (bool, SimTime)> {
        &self.ended
    }

    /// A saga's step log.
    pub fn step(&self, order: u64, step: Step) -> &StepLog {
        self.steps.get(&(order, step)).unwrap_or(&UNTOUCHED)
    }

    /// Compensations run out of order: the order, and what happened.
    pub fn out_of_order(&self) -> &[(u64, String)] {
        &self.out_of_order
    }

    /// Orders charged twice.
    pub fn charged_twice(&self) -> &[u64] {
        &self.charged_twice
    }

    /// Undos run.
    pub fn undos(&self) -> usize {
        self.steps.values().map(|l| l.undone.len()).sum()
    }

    /// Reads that saw a charge later refunded: the charge was in effect when the read was
    /// served and undone after it.
    pub fn dirty_reads(&self) -> u64 {
        let mut charges: BTreeMap<u32, Vec<&StepLog>> = BTreeMap::new();
        for ((id, step), log) in &self.steps {
            if *step == Step::Charge && !log.undone.is_empty() {
                if let Some((order, _)) = self.started.get(id) {
                    charges.entry(order.customer).or_default().push(log);
                }
            }
        }
        self.reads
            .iter()
            .filter(|(customer, t)| {
                charges.get(customer).is_some_and(|logs| {
                    logs.iter().any(|l| {
                        l.applied.first().is_some_and(|a| a <= t)
                            && l.undone.first().is_some_and(|u| u > t)
                    })
                })
            })
            .count() as u64
    }

    /// Balance reads served unlocked.
    pub fn reads(&self) -> u64 {
        self.reads.len() as u64
    }
}
