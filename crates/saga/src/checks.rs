//! The five checks, judged from the harness's record ([`Observer`]) and the services' final
//! states (rebuilt from their disks after any restart), never from the nodes' own word.
//!
//! Exactly once is promised for a delivery while its idempotency key is kept. A key that
//! expired within the run (a retention shorter than the run, or a node clock stepped forward
//! past it) lets a late duplicate be processed again by design: a charge applied twice that
//! way is not held against No Order Charged Twice, and a saga left inconsistent by such a
//! delivery is unknown rather than failed. A delivery processed twice whose key had not
//! expired (kept in memory and lost, or never checked) is a bug, and still fails.

use check::outcome::CheckResult;
use sim_core::SimTime;

use crate::config::SagaConfig;
use crate::message::{Order, Step};
use crate::observer::Observer;
use crate::service::{Kind, OrderState, Service};

/// Every saga ends completed or compensated.
pub const SETTLE: &str = "Sagas Settle";
/// Compensations run latest step first.
pub const REVERSE: &str = "Compensations in Reverse Order";
/// Balances plus captured funds equal the start.
pub const MONEY: &str = "Money Conserved";
/// Stock plus what orders hold equals the start.
pub const STOCK: &str = "Stock Conserved";
/// No order is charged twice.
pub const ONCE: &str = "No Order Charged Twice";

/// What the checks judge.
pub struct Checks<'a> {
    /// `[saga]`.
    pub config: &'a SagaConfig,
    /// The harness's record.
    pub record: &'a Observer,
    /// Each service's final state, by [`Kind`] (`None`: down at the end).
    pub services: [Option<&'a Service>; 4],
    /// When orders stop and the quiet period begins.
    pub quiet_from: SimTime,
    /// Every fault healed for the quiet period: a saga still running is stuck.
    pub settled: bool,
}

impl Checks<'_> {
    /// Every check, the most specific first (a hunt reports a run's first failed check): a
    /// charge applied twice also leaves its saga unsettled; a saga the coordinator forgot
    /// and started again may also be compensated out of order.
    pub fn all(&self) -> Vec<CheckResult> {
        vec![self.once(), self.settle(), self.reverse(), self.money(), self.stock()]
    }

    fn service(&self, kind: Kind) -> Option<&Service> {
        self.services[kind as usize]
    }

    /// A saga inconsistent in a way an expired key explains: a service processed one of its
    /// deliveries again after that delivery's key expired.
    fn excused(&self, order: u64) -> bool {
        self.record.saga_reprocessed(order)
    }

    fn once(&self) -> CheckResult {
        let o = self.record;
        let (excused, twice): (Vec<u64>, Vec<u64>) =
            o.charged_twice().iter().partition(|id| o.reprocessed((**id, Step::Charge, false)));
        if let Some(id) = twice.first() {
            return CheckResult::fail(
                ONCE,
                format!("{} orders charged twice; the first: order {id}", twice.len()),
            );
        }
        if let Some(id) = excused.first() {
            return CheckResult::not_applicable(
                ONCE,
                format!(
                    "{} orders charged twice, each by a charge processed again after its idempotency key expired (kept {} by the services' clocks): once is not promised past the key; the first: order {id} (metrics.duplicates_applied counts every step)",
                    excused.len(),
                    self.config.dedup_retention
                ),
            );
        }
        let charged = o
            .started_sagas()
            .keys()
            .filter(|id| !o.step(**id, Step::Charge).applied.is_empty())
            .count();
        if charged == 0 {
            return CheckResult::unknown(ONCE, "no order was charged");
        }
        CheckResult::pass(ONCE, format!("{charged} orders charged, each once"))
    }

    /// Every order acknowledged to its client started a saga; every saga ended completed
    /// (each step applied once, none undone) or compensated (each applied step undone once,
    /// nothing past the pivot applied); each service still holds every change the harness saw
    /// it make; and, after the quiet period, no saga that ended before it still holds its
    /// semantic lock.
    fn settle(&self) -> CheckResult {
        let o = self.record;
        if let Some(lost) = self.undurable() {
            return CheckResult::fail(SETTLE, lost);
        }
        // The clients' word against the orders service's: an order it acknowledged and never
        // started is lost, whatever the faults.
        let started = o.started_sagas();
        let lost: Vec<u64> =
            o.acknowledged().iter().filter(|id| !started.contains_key(id)).copied().collect();
        if let Some(first) = lost.first() {
            return CheckResult::fail(
                SETTLE,
                format!(
                    "{} orders were acknowledged to their clients but no saga started (the first: order {first})",
                    lost.len()
                ),
            );
        }
        if started.is_empty() {
            return CheckResult::unknown(SETTLE, "no saga started");
        }
        let mut open = Vec::new();
        let mut excused = Vec::new();
        for id in started.keys() {
            let bad = match o.ended_sagas().get(id) {
                Some((completed, _)) => self.unsettled(*id, *completed),
                None => {
                    open.push(*id);
                    None
                }
            };
            if let Some(bad) = bad {
                if !self.excused(*id) {
                    return CheckResult::fail(SETTLE, format!("order {id}: {bad}"));
                }
                excused.push(format!("order {id}: {bad}"));
            }
        }
        if !open.is_empty() {
            let what = format!(
                "{} of {} sagas never ended (the first: order {})",
                open.len(),
                started.len(),
                open[0]
            );
            return if self.settled {
                CheckResult::fail(
                    SETTLE,
                    format!("{what}, though every fault had healed for the quiet period: stuck"),
                )
            } else {
                CheckResult::unknown(
                    SETTLE,
                    format!(
                        "{what}; without a quiet period (`[check] liveness`) a saga still running at the end is not judged"
                    ),
                )
            };
        }
        // Every fault healed for the quiet period: a saga that ended before it began has had
        // all of it to release its lock (the orders service's unlock, or the refund).
        let locks_judged = self.settled && self.config.semantic_locks;
        if let (true, Some(payments)) = (locks_judged, self.service(Kind::Payments)) {
            for id in payments.locked() {
                if o.ended_sagas().get(&id).is_some_and(|(_, at)| *at <= self.quiet_from) {
                    let bad = format!(
                        "order {id}: its saga ended before the quiet period, but payments still holds its semantic lock: readers are told PENDING forever"
                    );
                    if !self.excused(id) {
                        return CheckResult::fail(SETTLE, bad);
                    }
                    excused.push(bad);
                }
            }
        }
        if let Some(first) = excused.first() {
            return CheckResult::unknown(
                SETTLE,
                format!(
                    "none stuck, but {} sagas were left inconsistent by deliveries processed again after their idempotency keys expired (kept {}: once is not promised); the first: {first}",
                    excused.len(),
                    self.config.dedup_retention
                ),
            );
        }
        let completed = o.ended_sagas().values().filter(|(c, _)| *c).count();
        let locks = if self.config.semantic_locks && !locks_judged {
            "; semantic locks not judged (no quiet period)"
        } else {
            ""
        };
        CheckResult::pass(
            SETTLE,
            format!(
                "{} sagas: {completed} completed with every step applied once, {} compensated with every applied step undone once{locks}",
                started.len(),
                started.len() - completed
            ),
        )
    }

    /// What is wrong with an ended saga's steps, if anything.
    fn unsettled(&self, id: u64, completed: bool) -> Option<String> {
        let wrong = |s: Step| {
            let l = self.record.step(id, s);
            let (applied, undone) = (l.applied.len(), l.undone.len());
            if completed {
                applied != 1 || undone != 0
            } else {
                applied > 1 || undone != applied || (!s.compensable() && applied > 0)
            }
        };
        let s = Step::ALL.into_iter().find(|s| wrong(*s))?;
        let l = self.record.step(id, s);
        Some(format!(
            "{}, but {} was applied {} times and undone {}",
            if completed { "completed" } else { "compensated" },
            s.name(),
            l.applied.len(),
            l.undone.len()
        ))
    }

    /// The first change the harness saw a service make that the service no longer holds: a
    /// saga's end the orders service lost, or a step applied or undone its service has no
    /// record of.
    fn undurable(&self) -> Option<String> {
        let o = self.record;
        if let Some(orders) = self.service(Kind::Orders) {
            for (id, (completed, _)) in o.ended_sagas() {
                let want = if *completed { OrderState::Completed } else { OrderState::Rejected };
                let have = orders.orders().get(id).map(|(_, s)| *s);
                if have != Some(want) {
                    return Some(format!(
                        "order {id} ended {want:?}, but the orders service holds it as {have:?}: its end was not durable"
                    ));
                }
            }
        }
        for id in o.started_sagas().keys() {
            for step in Step::ALL {
                let Some(service) = self.service(Kind::of(step)) else { continue };
                let log = o.step(*id, step);
                let r = service.records().get(&(*id, step)).copied().unwrap_or_default();
                if (r.applied as usize, r.undone as usize) != (log.applied.len(), log.undone.len())
                {
                    return Some(format!(
                        "order {id}'s {} was applied {} times and undone {}, but its service's record says {} and {}: a change was not durable",
                        step.name(),
                        log.applied.len(),
                        log.undone.len(),
                        r.applied,
                        r.undone
                    ));
                }
            }
        }
        None
    }

    fn reverse(&self) -> CheckResult {
        let o = self.record;
        let (excused, wrong): (Vec<_>, Vec<_>) =
            o.out_of_order().iter().partition(|(id, _)| self.excused(*id));
        if let Some((_, first)) = wrong.first() {
            return CheckResult::fail(
                REVERSE,
                format!(
                    "{} compensations ran before a later step's; the first: {first}",
                    wrong.len()
                ),
            );
        }
        if let Some((_, first)) = excused.first() {
            // A late duplicate of a step's command, applied again after its key expired, puts
            // the step back in effect under a compensation in progress.
            return CheckResult::unknown(
                REVERSE,
                format!(
                    "{} compensations ran before a later step's, in sagas whose deliveries were processed again after their keys expired (kept {}); the first: {first}",
                    excused.len(),
                    self.config.dedup_retention
                ),
            );
        }
        match o.undos() {
            0 => CheckResult::not_applicable(REVERSE, "no step was undone"),
            n => CheckResult::pass(
                REVERSE,
                format!("{n} compensations, each while no later step of its saga was applied"),
            ),
        }
    }

    /// Each saga's order with how many of its applications of `step` are not undone.
    fn in_effect(&self, step: Step) -> impl Iterator<Item = (&Order, u64)> {
        let o = self.record;
        o.started_sagas()
            .iter()
            .map(move |(id, (order, _))| (order, o.step(*id, step).net().max(0) as u64))
    }

    fn money(&self) -> CheckResult {
        let Some(p) = self.service(Kind::Payments) else {
            return CheckResult::unknown(MONEY, "the payments service is not there");
        };
        let o = self.record;
        let c = self.config;
        let moved =
            o.started_sagas().keys().any(|id| !o.step(*id, Step::Charge).applied.is_empty());
        if !moved && p.captured() == 0 {
            // Untouched balances are their defaults: nothing was judged.
            return CheckResult::unknown(MONEY, "no charge was applied: no money moved");
        }
        let balances: u64 = (0..c.customers).map(|k| p.balance(k)).sum();
        let start = c.customers as u64 * c.balance;
        // What the charges in effect hold, from the harness's record.
        let held: u64 = self.in_effect(Step::Charge).map(|(order, n)| n * order.amount).sum();
        if balances + p.captured() != start || p.captured() != held {
            return CheckResult::fail(
                MONEY,
                format!(
                    "balances {balances} + captured {} against {start} at the start; the charges in effect hold {held}",
                    p.captured()
                ),
            );
        }
        CheckResult::pass(
            MONEY,
            format!("balances {balances} + captured {} = {start}, the start", p.captured()),
        )
    }

    fn stock(&self) -> CheckResult {
        let Some(inv) = self.service(Kind::Inventory) else {
            return CheckResult::unknown(STOCK, "the inventory service is not there");
        };
        let o = self.record;
        let c = self.config;
        let reserved =
            o.started_sagas().keys().any(|id| !o.step(*id, Step::Reserve).applied.is_empty());
        if !reserved && (0..c.items).all(|i| inv.stock(i) == c.stock) {
            return CheckResult::unknown(STOCK, "no reservation was applied: no stock moved");
        }
        let mut held = vec![0u64; c.items as usize];
        for (order, n) in self.in_effect(Step::Reserve) {
            held[order.item as usize] += n * order.qty;
        }
        for (item, h) in held.iter().enumerate() {
            let s = inv.stock(item as u32);
            if s + h != c.stock {
                return CheckResult::fail(
                    STOCK,
                    format!(
                        "item {item}: {s} in stock + {h} held by orders against {} at the start",
                        c.stock
                    ),
                );
            }
        }
        CheckResult::pass(
            STOCK,
            format!("every item's stock plus what orders hold equals its opening {}", c.stock),
        )
    }
}
