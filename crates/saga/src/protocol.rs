//! The protocol as faultline sees it: what it declares ([`Saga`], a [`platform::Protocol`])
//! and one prepared run ([`SagaRun`], a [`platform::Model`]), with its checks and figures.

use std::sync::Arc;

use platform::driver::{Ending, Judgement, Model};
use platform::series::{SeriesChart, SeriesLine, Show};
use platform::{Declaration, Driver, Group, Knob, KnownBug, Protocol, Run, Setup, Shrinkable};
use sim_core::{
    ConfigError, MetricValue, NodeId, SimConfig, SimTime, Simulation, Topology, TraceOptions,
};

use crate::checks::{Checks, ONCE, REVERSE, SETTLE};
use crate::client::Client;
use crate::config::{PARAMETERS, SagaConfig};
use crate::coordinator::Coordinator;
use crate::node::{SagaNode, Shape, observer};
use crate::observer::{Observer, SharedObserver};
use crate::service::{Kind, Service};

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
        about: "the payments service ignores the unlock at a completed saga's end: the order's semantic lock is never released",
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

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "saga",
    about: "order-processing sagas over four services: orchestration or choreography, compensation, a transactional outbox, idempotent consumers",
    parameters: PARAMETERS,
    groups: GROUPS,
    bugs: BUGS,
    headline: "metrics.compensation_rate",
    shrink_steps: &[Shrinkable { key: "saga.clients", default: 2, min: 1, by: 1 }],
    knobs: KNOBS,
    message_classes: crate::message::CLASSES,
    charts: CHARTS,
    ..Declaration::NONE
};

impl Protocol for Saga {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
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
            let Some((group, _)) = topo.group_of(node) else {
                return SagaNode::Client(Box::new(Client::new(node.0 - topo.servers, s)));
            };
            let Some(kind) = Kind::ALL.into_iter().find(|k| k.group() == group.name) else {
                return SagaNode::Coordinator(Box::new(Coordinator::new(node, s)));
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
            let id = sim.topology().group_range(kind.group())?.start;
            match sim.node(NodeId(id)) {
                Some(SagaNode::Service(s)) => Some(s.as_ref()),
                _ => None,
            }
        };
        let checks = Checks {
            config: &self.config,
            record: &o,
            services: Kind::ALL.map(service),
            quiet_from: SimTime(self.sim.duration.as_nanos()),
            settled: ending.complete && ending.quiet.is_some(),
        }
        .all();
        Judgement {
            checks,
            liveness: None,
            metrics: self.metrics(sim, &o),
            history_unjudgeable: None,
        }
    }
}

impl SagaRun {
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
        // A figure with nothing to measure is left out: a 0 would read as a measurement.
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let quantile = |v: &mut Vec<f64>, q: f64| {
            v.sort_by(f64::total_cmp);
            (!v.is_empty()).then(|| v[((v.len() - 1) as f64 * q).round() as usize])
        };
        let all: Vec<f64> = latency.concat();
        let window_s = self.sim.duration.as_nanos() as f64 / 1e9;
        let arrivals = started.len() as f64 / window_s;
        let lag = m.histogram("saga.outbox_lag_us");
        let lag_ms = |q: f64| lag.map(|h| h.value_at_quantile(q) as f64 / 1000.0);
        let ended = completed + compensated;
        let figures = [
            ("compensation_rate", (ended > 0).then(|| compensated as f64 / ended as f64)),
            ("latency_completed_p50_ms", quantile(&mut latency[1], 0.5)),
            ("latency_completed_p99_ms", quantile(&mut latency[1], 0.99)),
            ("latency_compensated_p50_ms", quantile(&mut latency[0], 0.5)),
            ("latency_compensated_p99_ms", quantile(&mut latency[0], 0.99)),
            ("latency_mean_ms", mean(&all)),
            ("in_flight_mean", mean(m.samples("saga.in_flight_sampled"))),
            // Little's law's right-hand side: the arrival rate times the mean latency.
            ("arrival_rate_per_s", Some(arrivals)),
            ("littles_law_in_flight", mean(&all).map(|w| arrivals * w / 1000.0)),
            ("outbox_lag_p50_ms", lag_ms(0.5)),
            ("outbox_lag_p99_ms", lag_ms(0.99)),
        ];
        let count = |n: &str| MetricValue::Count(m.counter(n));
        let counts = [
            ("sagas", MetricValue::Count(started.len() as u64)),
            ("completed", MetricValue::Count(completed)),
            ("compensated", MetricValue::Count(compensated)),
            ("unsettled", MetricValue::Count(started.len() as u64 - ended)),
            ("duplicates_absorbed", count("saga.duplicates_absorbed")),
            ("duplicates_applied", count("saga.duplicates_applied")),
            ("redeliveries", count("saga.redeliveries")),
            ("step_timeouts", count("saga.step_timeouts")),
            ("balance_reads", MetricValue::Count(o.reads())),
            ("locked_reads", count("saga.locked_reads")),
            ("dirty_reads", MetricValue::Count(o.dirty_reads())),
        ];
        let figures = figures.into_iter().filter_map(|(k, v)| Some((k, MetricValue::Number(v?))));
        counts.into_iter().chain(figures).map(|(k, v)| (k.to_string(), v)).collect()
    }
}
