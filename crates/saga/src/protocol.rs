//! The protocol as faultline sees it: what it declares ([`Saga`], a [`platform::Protocol`])
//! and one prepared run ([`SagaRun`], a [`platform::Model`]), with its checks and figures.

use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::series::{SeriesChart, SeriesLine, Show};
use platform::{
    Driver, Group, Knob, KnownBug, MessageClass, Parameter, Protocol, Run, Setup, Shrinkable,
};
use sim_core::{
    ConfigError, MetricValue, NodeId, SimConfig, SimDuration, SimTime, Simulation, Topology,
    TraceOptions,
};

use crate::client::Client;
use crate::config::{PARAMETERS, SagaConfig};
use crate::coordinator::Coordinator;
use crate::message::Step;
use crate::node::{SagaNode, Shape, observer};
use crate::observer::{Observer, SharedObserver};
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

/// The saga protocol (`protocol = "saga"`, table `[saga]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Saga;

const GROUPS: &[Group] = &[
    Group {
        name: "orders",
        prefix: "orders",
        singleton: true,
        about: "the orders service: creates orders, approves them (the pivot), records how their sagas end",
    },
    Group {
        name: "inventory",
        prefix: "inventory",
        singleton: true,
        about: "the inventory service: reserves and releases stock",
    },
    Group {
        name: "payments",
        prefix: "payments",
        singleton: true,
        about: "the payments service: charges and refunds customers, answers balance reads",
    },
    Group {
        name: "shipping",
        prefix: "shipping",
        singleton: true,
        about: "the shipping service: books, cancels and dispatches shipments",
    },
    Group {
        name: "coordinator",
        prefix: "coordinator",
        singleton: true,
        about: "the saga orchestrator and its durable log (idle under choreography)",
    },
];

const BUGS: &[KnownBug] = &[
    KnownBug {
        name: "no-idempotency",
        check: ONCE,
        about: "services apply every delivery: a duplicated message charges twice",
    },
    KnownBug {
        name: "dual-write",
        check: SETTLE,
        about: "a service commits its state, then publishes the event in a second step outside the outbox: a crash or a loss between them loses it",
    },
    KnownBug {
        name: "forget-on-restart",
        check: SETTLE,
        about: "the coordinator does not read its saga log back after a restart",
    },
    KnownBug {
        name: "compensate-forward",
        check: REVERSE,
        about: "the coordinator compensates the completed steps earliest first",
    },
    KnownBug {
        name: "volatile-dedup",
        check: ONCE,
        about: "idempotency keys kept in memory only: a restart forgets them and a redelivered charge is applied again",
    },
    KnownBug {
        name: "leaky-locks",
        check: SETTLE,
        about: "the payments service ignores the unlock at a saga's end: the order's semantic lock is never released",
    },
    KnownBug {
        name: "ack-before-commit",
        check: SETTLE,
        about: "the orders service acknowledges a placement before it writes the order: a crash loses orders their clients were told were placed",
    },
    KnownBug {
        name: "lazy-fsync",
        check: SETTLE,
        about: "nodes sync their disk on a timer, not at each commit: a crash loses changes the other services already acted on",
    },
];

const KNOBS: &[Knob] = &[
    Knob { key: "saga.mode", values: "[\"orchestration\", \"choreography\"]" },
    Knob { key: "saga.jitter", values: "[\"none\", \"full\", \"equal\", \"decorrelated\"]" },
    Knob { key: "saga.retry_base", values: "[\"5ms\", \"20ms\", \"100ms\"]" },
    Knob { key: "saga.step_timeout", values: "[\"300ms\", \"2s\"]" },
    Knob { key: "saga.semantic_locks", values: "[true, false]" },
    Knob { key: "saga.decline_rate", values: "[0.0, 0.1, 0.5]" },
    Knob { key: "saga.no_courier_rate", values: "[0.0, 0.2]" },
    Knob { key: "saga.rate", values: "[20.0, 100.0]" },
    Knob { key: "network.loss", values: "{ min = 0.0, max = 0.1 }" },
    Knob { key: "network.duplicate", values: "{ min = 0.0, max = 0.1 }" },
];

const CHARTS: &[SeriesChart] = &[
    SeriesChart {
        name: "sagas-in-flight",
        title: "Sagas in flight",
        caption: "Orders whose saga has not ended, sampled every 100 ms at the orders service.",
        y_label: "sagas",
        lines: &[SeriesLine { series: "in_flight", label: "in flight", show: Show::Mean }],
    },
    SeriesChart {
        name: "saga-latency",
        title: "Saga latency by outcome",
        caption: "From the order's creation to its saga's end, the mean of the sagas ending in the window.",
        y_label: "milliseconds",
        lines: &[
            SeriesLine { series: "latency_completed_ms", label: "completed", show: Show::Mean },
            SeriesLine { series: "latency_compensated_ms", label: "compensated", show: Show::Mean },
        ],
    },
    SeriesChart {
        name: "saga-delivery",
        title: "Redeliveries and duplicates",
        caption: "Outbox entries sent again for want of an acknowledgement, and deliveries a receiver had already applied (absorbed by its idempotency keys), per second.",
        y_label: "per second",
        lines: &[
            SeriesLine { series: "redeliveries", label: "redeliveries", show: Show::PerSecond },
            SeriesLine {
                series: "duplicates_absorbed",
                label: "duplicates absorbed",
                show: Show::PerSecond,
            },
        ],
    },
    SeriesChart {
        name: "outbox-lag",
        title: "Outbox lag",
        caption: "From an event's commit to its receiver's acknowledgement, the mean over the window.",
        y_label: "milliseconds",
        lines: &[SeriesLine { series: "outbox_lag_ms", label: "lag", show: Show::Mean }],
    },
];

impl Protocol for Saga {
    fn name(&self) -> &'static str {
        "saga"
    }

    fn about(&self) -> &'static str {
        "order-processing sagas over four services: orchestration or choreography, compensation, a transactional outbox, idempotent consumers"
    }

    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }

    fn groups(&self) -> &'static [Group] {
        GROUPS
    }

    fn bugs(&self) -> &'static [KnownBug] {
        BUGS
    }

    fn headline(&self) -> &'static str {
        "metrics.compensation_rate"
    }

    fn shrink_steps(&self) -> &'static [Shrinkable] {
        &[Shrinkable { key: "saga.clients", default: 2, min: 1, by: 1 }]
    }

    fn knobs(&self) -> &'static [Knob] {
        KNOBS
    }

    fn message_classes(&self) -> &'static [MessageClass] {
        crate::message::CLASSES
    }

    fn charts(&self) -> &'static [SeriesChart] {
        CHARTS
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let config: SagaConfig = setup.config()?;
        config.validate()?;
        if setup.nodes.is_some() {
            return Err(ConfigError::invalid(
                "nodes",
                "a saga run has one node per service: remove `nodes`",
            ));
        }
        if setup.workload.is_some() {
            return Err(ConfigError::invalid(
                "workload",
                "a saga run's orders are `[saga]`'s: remove [workload]",
            ));
        }
        let groups = GROUPS.iter().map(|g| g.nodes(1)).collect();
        let topology = Topology::with_groups(groups, config.clients)?;
        let sim = setup.sim_config(topology)?;
        Ok(Box::new(Driver::new(SagaRun { sim, config }, false)))
    }
}

/// One prepared run.
#[derive(Clone, Debug)]
pub struct SagaRun {
    /// The kernel's config.
    pub sim: SimConfig,
    /// `[saga]`.
    pub config: SagaConfig,
}

impl Model for SagaRun {
    type Node = SagaNode;
    type Observer = SharedObserver;

    fn sim(&self) -> &SimConfig {
        &self.sim
    }

    fn sim_mut(&mut self) -> &mut SimConfig {
        &mut self.sim
    }

    fn build(
        &self,
        trace: TraceOptions,
    ) -> Result<(Simulation<SagaNode>, SharedObserver), ConfigError> {
        let topo = &self.sim.topology;
        let id = |g: &str| NodeId(topo.group_range(g).expect("the protocol's groups").start);
        let record = observer();
        let shape = Arc::new(Shape {
            orders: id("orders"),
            inventory: id("inventory"),
            payments: id("payments"),
            shipping: id("shipping"),
            coordinator: id("coordinator"),
            config: self.config.clone(),
            place_until: SimTime(self.sim.duration.as_nanos()),
            observer: record.clone(),
        });
        let sim = Simulation::new(self.sim.clone(), trace, move |node, topo| {
            let s = shape.clone();
            let kind = match topo.group_of(node).map(|(g, _)| g.name.as_str()) {
                Some("orders") => Kind::Orders,
                Some("inventory") => Kind::Inventory,
                Some("payments") => Kind::Payments,
                Some("shipping") => Kind::Shipping,
                Some(_) => return SagaNode::Coordinator(Box::new(Coordinator::new(node, s))),
                None => return SagaNode::Client(Box::new(Client::new(node.0 - topo.servers, s))),
            };
            SagaNode::Service(Box::new(Service::new(kind, node, s)))
        })?;
        Ok((sim, record))
    }

    fn judge(
        &self,
        sim: &mut Simulation<SagaNode>,
        observer: &SharedObserver,
        ending: Ending,
    ) -> Judgement {
        let o = observer.lock().expect("observer");
        let service = |kind: Kind| {
            sim.topology()
                .group_range(match kind {
                    Kind::Orders => "orders",
                    Kind::Inventory => "inventory",
                    Kind::Payments => "payments",
                    Kind::Shipping => "shipping",
                })
                .and_then(|mut r| r.next())
                .and_then(|id| match sim.node(NodeId(id)) {
                    Some(SagaNode::Service(s)) => Some(s.as_ref()),
                    _ => None,
                })
        };
        let settled = ending.complete && ending.quiet.is_some();
        // The most specific first: a hunt reports a run's first failed check. A charge applied
        // twice also leaves its saga unsettled; a saga the coordinator forgot and started
        // again may also be compensated out of order.
        let checks = vec![
            self.once(&o),
            self.settle(
                &o,
                settled,
                &[Kind::Orders, Kind::Inventory, Kind::Payments, Kind::Shipping].map(service),
            ),
            self.reverse(&o),
            self.money(&o, service(Kind::Payments)),
            self.stock(&o, service(Kind::Inventory)),
        ];
        Judgement {
            checks,
            liveness: None,
            metrics: self.metrics(sim, &o),
            history_unjudgeable: None,
        }
    }
}

/// The first change the harness saw a service make that the service no longer holds: a saga's
/// end the orders service lost, or a step applied or undone its service has no record of.
fn undurable(o: &Observer, services: &[Option<&Service>; 4]) -> Option<String> {
    if let Some(orders) = services[0] {
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
            let log = o.step(*id, step);
            let at = match step {
                Step::Approve => services[0],
                Step::Reserve => services[1],
                Step::Charge => services[2],
                Step::Schedule | Step::Dispatch => services[3],
            };
            let Some(service) = at else { continue };
            let r = service.records().get(&(*id, step)).copied().unwrap_or_default();
            if (r.applied as usize, r.undone as usize) != (log.applied.len(), log.undone.len()) {
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

impl SagaRun {
    /// Every order acknowledged to its client started a saga; every saga ended completed (each
    /// step applied once, none undone) or compensated (each step applied undone once, never
    /// past the pivot); and, after the quiet period, no saga that ended before it still holds
    /// its semantic lock.
    fn settle(&self, o: &Observer, settled: bool, services: &[Option<&Service>; 4]) -> CheckResult {
        let payments = services[2];
        let started = o.started_sagas();
        // What the services hold at the end (rebuilt from their disks after any restart)
        // against what the harness saw them do: a change recorded but not made durable shows.
        if let Some(lost) = undurable(o, services) {
            return CheckResult::fail(SETTLE, lost);
        }
        // The clients' word against the orders service's: an order it acknowledged and never
        // started is lost, whatever the faults.
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
        // Keys that expire within the run let a late duplicate be applied again: only then is
        // "once" not promised (the duplicates are counted instead).
        let once = self.exactly_once();
        let mut open = Vec::new();
        let mut spoiled = Vec::new();
        for id in started.keys() {
            let logs: Vec<_> = Step::ALL.iter().map(|s| (*s, o.step(*id, *s))).collect();
            let bad = match o.ended_sagas().get(id) {
                Some((true, _)) => logs
                    .iter()
                    .find(|(_, l)| l.applied.len() != 1 || !l.undone.is_empty())
                    .map(|(s, l)| {
                        format!(
                            "completed, but {} was applied {} times and undone {}",
                            s.name(),
                            l.applied.len(),
                            l.undone.len()
                        )
                    }),
                Some((false, _)) => logs
                    .iter()
                    .find(|(s, l)| {
                        l.applied.len() > 1
                            || l.undone.len() != l.applied.len()
                            || (!s.compensable() && !l.applied.is_empty())
                    })
                    .map(|(s, l)| {
                        format!(
                            "compensated, but {} was applied {} times and undone {}",
                            s.name(),
                            l.applied.len(),
                            l.undone.len()
                        )
                    }),
                None => {
                    open.push(*id);
                    None
                }
            };
            if let Some(bad) = bad {
                if once {
                    return CheckResult::fail(SETTLE, format!("order {id}: {bad}"));
                }
                spoiled.push(format!("order {id}: {bad}"));
            }
        }
        if !open.is_empty() {
            let what = format!(
                "{} of {} sagas never ended (the first: order {})",
                open.len(),
                started.len(),
                open[0]
            );
            return if settled {
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
        // all of it to release its lock (the orders service's Unlock, or the refund).
        let mut leaked = 0;
        if settled && self.config.semantic_locks {
            if let Some(p) = payments {
                let begun = SimTime(self.sim.duration.as_nanos());
                for id in p.locked() {
                    if o.ended_sagas().get(&id).is_some_and(|(_, at)| *at <= begun) {
                        leaked += 1;
                        let bad = format!(
                            "order {id}: its saga ended before the quiet period, but payments still holds its semantic lock"
                        );
                        if once {
                            return CheckResult::fail(
                                SETTLE,
                                format!(
                                    "{bad} ({leaked} or more such locks): readers are told PENDING forever"
                                ),
                            );
                        }
                        spoiled.push(bad);
                    }
                }
            }
        }
        if let Some(first) = spoiled.first() {
            return CheckResult::unknown(
                SETTLE,
                format!(
                    "none stuck, but {} sagas were left inconsistent by duplicates applied after their idempotency keys expired (kept {}, shorter than the run: once is not promised); the first: {first}",
                    spoiled.len(),
                    self.config.dedup_retention
                ),
            );
        }
        let completed = o.ended_sagas().values().filter(|(c, _)| *c).count();
        CheckResult::pass(
            SETTLE,
            format!(
                "{} sagas: {completed} completed with every step applied once, {} compensated with every applied step undone once",
                started.len(),
                started.len() - completed
            ),
        )
    }

    fn reverse(&self, o: &Observer) -> CheckResult {
        if let Some(first) = o.out_of_order().first() {
            let what = format!(
                "{} compensations ran before a later step's; the first: {first}",
                o.out_of_order().len()
            );
            if !self.exactly_once() {
                // A late duplicate of a step's command, applied again after its key expired,
                // puts the step back in effect under a compensation in progress.
                return CheckResult::unknown(
                    REVERSE,
                    format!(
                        "{what}; idempotency keys kept {}, shorter than the run, let late duplicates reapply steps",
                        self.config.dedup_retention
                    ),
                );
            }
            return CheckResult::fail(REVERSE, what);
        }
        match o.undos() {
            0 => CheckResult::not_applicable(REVERSE, "no step was undone"),
            n => CheckResult::pass(
                REVERSE,
                format!("{n} compensations, each while no later step of its saga was applied"),
            ),
        }
    }

    fn money(&self, o: &Observer, payments: Option<&Service>) -> CheckResult {
        let Some(p) = payments else {
            return CheckResult::unknown(MONEY, "the payments service is not there");
        };
        let c = &self.config;
        let moved =
            o.started_sagas().keys().any(|id| !o.step(*id, Step::Charge).applied.is_empty());
        if !moved && p.captured() == 0 {
            // Untouched balances are their defaults: nothing was judged.
            return CheckResult::unknown(MONEY, "no charge was applied: no money moved");
        }
        let balances: u64 = (0..c.customers).map(|k| p.balance(k)).sum();
        let start = c.customers as u64 * c.balance;
        // What the charges in effect hold, from the harness's record.
        let held: u64 = o
            .started_sagas()
            .iter()
            .map(|(id, (order, _))| {
                let l = o.step(*id, Step::Charge);
                (l.applied.len() as u64).saturating_sub(l.undone.len() as u64) * order.amount
            })
            .sum();
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

    fn stock(&self, o: &Observer, inventory: Option<&Service>) -> CheckResult {
        let Some(inv) = inventory else {
            return CheckResult::unknown(STOCK, "the inventory service is not there");
        };
        let c = &self.config;
        let reserved =
            o.started_sagas().keys().any(|id| !o.step(*id, Step::Reserve).applied.is_empty());
        if !reserved && (0..c.items).all(|i| inv.stock(i) == c.stock) {
            return CheckResult::unknown(STOCK, "no reservation was applied: no stock moved");
        }
        let mut held = vec![0u64; c.items as usize];
        for (id, (order, _)) in o.started_sagas() {
            let l = o.step(*id, Step::Reserve);
            held[order.item as usize] +=
                (l.applied.len() as u64).saturating_sub(l.undone.len() as u64) * order.qty;
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
            format!(
                "every item's stock plus what orders hold equals its opening {}; none below zero",
                c.stock
            ),
        )
    }

    /// Idempotency keys outlive the run, so no duplicate can find its key expired.
    pub fn exactly_once(&self) -> bool {
        self.config.dedup_retention.as_nanos() >= self.sim.end().as_nanos()
    }

    fn once(&self, o: &Observer) -> CheckResult {
        if !self.exactly_once() {
            return CheckResult::not_applicable(
                ONCE,
                format!(
                    "idempotency keys kept {} in a run of {}: a duplicate that outlives its key is applied again; {} orders charged twice (metrics.duplicates_applied counts every step)",
                    self.config.dedup_retention,
                    SimDuration(self.sim.end().as_nanos()),
                    o.charged_twice().len()
                ),
            );
        }
        if let Some(id) = o.charged_twice().first() {
            return CheckResult::fail(
                ONCE,
                format!("{} orders charged twice; the first: order {id}", o.charged_twice().len()),
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

    fn metrics(&self, sim: &Simulation<SagaNode>, o: &Observer) -> Vec<(String, MetricValue)> {
        let m = sim.metrics();
        let started = o.started_sagas();
        let mut latency = [Vec::new(), Vec::new()];
        for (id, (done, at)) in o.ended_sagas() {
            if let Some((_, t0)) = started.get(id) {
                latency[usize::from(*done)].push(at.saturating_since(*t0).as_nanos() as f64 / 1e6);
            }
        }
        let completed = latency[1].len() as u64;
        let compensated = latency[0].len() as u64;
        let mean =
            |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
        let quantile = |v: &mut Vec<f64>, q: f64| {
            v.sort_by(f64::total_cmp);
            if v.is_empty() { 0.0 } else { v[((v.len() - 1) as f64 * q).round() as usize] }
        };
        let all: Vec<f64> = latency.concat();
        let window_s = self.sim.duration.as_nanos() as f64 / 1e9;
        let samples = m.samples("saga.in_flight_sampled");
        let in_flight = if samples.is_empty() {
            0.0
        } else {
            samples.iter().sum::<f64>() / samples.len() as f64
        };
        let ended = (completed + compensated).max(1) as f64;
        let lag = m.histogram("saga.outbox_lag_us");
        let lag_ms = |q: f64| lag.map_or(0.0, |h| h.value_at_quantile(q) as f64 / 1000.0);
        let count = |n: &str| MetricValue::Count(m.counter(n));
        let out = vec![
            ("sagas", MetricValue::Count(started.len() as u64)),
            ("completed", MetricValue::Count(completed)),
            ("compensated", MetricValue::Count(compensated)),
            ("unsettled", MetricValue::Count(started.len() as u64 - completed - compensated)),
            ("compensation_rate", MetricValue::Number(compensated as f64 / ended)),
            ("latency_completed_p50_ms", MetricValue::Number(quantile(&mut latency[1], 0.5))),
            ("latency_completed_p99_ms", MetricValue::Number(quantile(&mut latency[1], 0.99))),
            ("latency_compensated_p50_ms", MetricValue::Number(quantile(&mut latency[0], 0.5))),
            ("latency_compensated_p99_ms", MetricValue::Number(quantile(&mut latency[0], 0.99))),
            ("latency_mean_ms", MetricValue::Number(mean(&all))),
            ("in_flight_mean", MetricValue::Number(in_flight)),
            // Little's law's right-hand side: the arrival rate times the mean latency.
            ("arrival_rate_per_s", MetricValue::Number(started.len() as f64 / window_s)),
            (
                "littles_law_in_flight",
                MetricValue::Number(started.len() as f64 / window_s * mean(&all) / 1000.0),
            ),
            ("duplicates_absorbed", count("saga.duplicates_absorbed")),
            ("duplicates_applied", count("saga.duplicates_applied")),
            ("redeliveries", count("saga.redeliveries")),
            ("step_timeouts", count("saga.step_timeouts")),
            ("outbox_lag_p50_ms", MetricValue::Number(lag_ms(0.5))),
            ("outbox_lag_p99_ms", MetricValue::Number(lag_ms(0.99))),
            ("balance_reads", MetricValue::Count(o.reads())),
            ("locked_reads", count("saga.locked_reads")),
            ("dirty_reads", MetricValue::Count(o.dirty_reads())),
        ];
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}
