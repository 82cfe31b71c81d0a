//! The protocol as faultline sees it: what it declares ([`Failover`], a
//! [`platform::Protocol`]) and one prepared run ([`FailoverRun`], a [`platform::Model`]),
//! with its checks and figures.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::series::{SeriesChart, SeriesLine, Show};
use platform::{
    Declaration, Driver, Group, Knob, KnownBug, Protocol, ProtocolEvent, Run, Setup, Shrinkable,
};
use sim_core::{
    ConfigError, FaultName, MetricValue, NodeId, SimConfig, SimTime, Simulation, Topology,
    TraceOptions,
};
use workload::WorkloadConfig;

use crate::client::Client;
use crate::config::{ClientWork, FailoverConfig, PARAMETERS, Replication};
use crate::controller::Controller;
use crate::db::DbNode;
use crate::message::WriteId;
use crate::monitor::Monitor;
use crate::node::{Cluster, FailoverNode};
use crate::observer::{Observer, SharedObserver, Tenure};
use crate::registry::Registry;

/// The check that two nodes never acknowledged writes during overlapping intervals.
pub const NO_SPLIT_BRAIN: &str = "No Split Brain";
/// The check that every write a client was told succeeded is in the final primary's log.
pub const WRITES_SURVIVE: &str = "Acknowledged Writes Survive";
/// The check that every failover had a cause the harness saw.
pub const JUSTIFIED: &str = "Failovers Justified";
/// The check that, once the faults have healed, every standby's log is a prefix of the final
/// primary's (Raft's Log Matching, at the end of the run).
pub const LOGS_MATCH: &str = "Standby Logs Match";

/// Database nodes when the scenario does not say.
const DEFAULT_DBS: u32 = 3;

/// The failover protocol (`protocol = "failover"`, table `[failover]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Failover;

const GROUPS: &[Group] = &[
    Group {
        name: "db",
        prefix: "db",
        singleton: false,
        about: "database nodes db1..dbN (`nodes`, default 3): db1 is the first primary, the others its standbys",
    },
    Group {
        name: "monitor",
        prefix: "m",
        singleton: false,
        about: "monitors m1..mK (`failover.monitors`): each pings the primary and tells the controller what it suspects",
    },
    Group {
        name: "controller",
        prefix: "controller",
        singleton: true,
        about: "the failover controller: declares failures, fences, promotes, grants leases",
    },
    Group {
        name: "registry",
        prefix: "registry",
        singleton: true,
        about: "the service registry clients look the primary up in",
    },
];

const BUGS: &[KnownBug] = &[
    KnownBug {
        name: "no-fencing",
        check: NO_SPLIT_BRAIN,
        about: "a deposed primary ignores its lapsed lease and the standbys' refusals, and keeps acknowledging writes",
    },
    KnownBug {
        name: "promote-stale",
        check: WRITES_SURVIVE,
        about: "the controller promotes the standby furthest behind, losing writes the others had",
    },
    KnownBug {
        name: "ack-before-replicate",
        check: WRITES_SURVIVE,
        about: "synchronous replication acknowledges a write before any standby has it",
    },
    KnownBug {
        name: "single-monitor",
        check: JUSTIFIED,
        about: "the controller fails over on one monitor's suspicion although a quorum is configured",
    },
    KnownBug {
        name: "deaf-monitor",
        check: JUSTIFIED,
        about: "a monitor takes only the answer to its latest ping: round trips longer than the interval make a healthy primary look dead",
    },
    KnownBug {
        name: "no-rewind",
        check: LOGS_MATCH,
        about: "a standby skips log matching and keeps a deposed primary's suffix where the new primary's entries belong",
    },
];

const EVENTS: &[ProtocolEvent] = &[
    ProtocolEvent { name: "acked", about: "a primary acknowledges a write to a client" },
    ProtocolEvent { name: "declared", about: "the controller declares the primary failed" },
    ProtocolEvent { name: "promoted", about: "a standby becomes primary" },
];

const KNOBS: &[Knob] = &[
    Knob { key: "nodes", values: "[2, 3, 4]" },
    Knob { key: "failover.replication", values: "[\"async\", \"semi-sync\", \"sync\"]" },
    Knob { key: "failover.sync_standbys", values: "[1, 2]" },
    Knob { key: "failover.monitors", values: "[3, 5]" },
    Knob { key: "failover.detector", values: "[\"heartbeat\", \"phi\"]" },
    Knob { key: "failover.heartbeat_interval", values: "[\"20ms\", \"50ms\"]" },
    Knob { key: "failover.heartbeat_misses", values: "[3, 5]" },
    Knob { key: "failover.phi_threshold", values: "[8.0, 12.0]" },
    Knob { key: "failover.epoch_fencing", values: "[true, false]" },
    Knob { key: "failover.leases", values: "[true, false]" },
    Knob { key: "failover.lease", values: "[\"150ms\", \"400ms\"]" },
    Knob { key: "failover.registry_ttl", values: "[\"100ms\", \"1s\"]" },
    Knob { key: "failover.jitter", values: "[\"none\", \"full\", \"equal\", \"decorrelated\"]" },
    Knob { key: "failover.attempt_timeout", values: "[\"50ms\", \"200ms\"]" },
    Knob { key: "failover.circuit_breaker", values: "[true, false]" },
    Knob { key: "failover.retry_budget", values: "[true, false]" },
    Knob { key: "network.loss", values: "{ min = 0.0, max = 0.02 }" },
];

const CHARTS: &[SeriesChart] = &[
    SeriesChart {
        name: "failover-downtime",
        title: "Downtime per failover, by part",
        caption: "Each failover's detection (from the first ping that met the primary down or cut off to the controller's declaration), promotion (to the new primary taking over, the old lease waited out) and client rediscovery (to each client's first answer from the new primary, the mean), at the time of the failover.",
        y_label: "milliseconds",
        lines: &[
            SeriesLine { series: "rto_detection_ms", label: "detection", show: Show::Mean },
            SeriesLine { series: "rto_promotion_ms", label: "promotion", show: Show::Mean },
            SeriesLine { series: "rto_rediscovery_ms", label: "rediscovery", show: Show::Mean },
        ],
    },
    SeriesChart {
        name: "retry-load",
        title: "Retry load",
        caption: "Lookups the registry served, requests the database nodes received, and client retries, per second.",
        y_label: "per second",
        lines: &[
            SeriesLine {
                series: "registry_lookups",
                label: "registry lookups",
                show: Show::PerSecond,
            },
            SeriesLine { series: "db_requests", label: "database requests", show: Show::PerSecond },
            SeriesLine { series: "retries", label: "retries", show: Show::PerSecond },
        ],
    },
    SeriesChart {
        name: "circuit-breaker",
        title: "Circuit breakers",
        caption: "The clients' breakers as their calls found them (0 closed, 1 half-open, 2 open; the window's mean), and the calls failed at once by an open breaker per second.",
        y_label: "state / calls per second",
        lines: &[
            SeriesLine { series: "breaker_state", label: "state (mean)", show: Show::Mean },
            SeriesLine {
                series: "fast_failed",
                label: "failed fast per second",
                show: Show::PerSecond,
            },
        ],
    },
];

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "failover",
    about: "a primary database with standbys, monitors, a failover controller, a registry and resilient clients: replication, failure detection, fencing, backoff",
    parameters: PARAMETERS,
    groups: GROUPS,
    bugs: BUGS,
    headline: "metrics.rto_ms",
    shrink_steps: &[
        Shrinkable { key: "workload.clients", default: 4, min: 1, by: 0 },
        Shrinkable { key: "nodes", default: DEFAULT_DBS as i64, min: 2, by: 1 },
    ],
    knobs: KNOBS,
    events: EVENTS,
    message_classes: crate::message::CLASSES,
    charts: CHARTS,
    ..Declaration::NONE
};

impl Protocol for Failover {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let config: FailoverConfig = setup.config()?;
        let dbs = setup.nodes.unwrap_or(DEFAULT_DBS);
        config.validate(dbs)?;
        let workload: WorkloadConfig = setup.workload()?;
        workload.validate()?;
        let groups = vec![
            GROUPS[0].nodes(dbs),
            GROUPS[1].nodes(config.monitors),
            GROUPS[2].nodes(1),
            GROUPS[3].nodes(1),
        ];
        let topology = Topology::with_groups(groups, workload.clients)?;
        let sim = setup.sim_config(topology)?;
        let run = FailoverRun { sim, config, workload };
        // The history is linearizable where the configuration promises it: synchronous
        // replication, epoch fencing, and leases (reads only under a valid lease, a new primary
        // waiting out the old one's).
        let linearizable = setup.linearizable.unwrap_or(run.promises_linearizability());
        Ok(Box::new(Driver::new(run, linearizable)))
    }
}

/// One prepared run.
#[derive(Clone, Debug)]
pub struct FailoverRun {
    /// The kernel's config.
    pub sim: SimConfig,
    /// `[failover]`.
    pub config: FailoverConfig,
    /// `[workload]`.
    pub workload: WorkloadConfig,
}

impl Model for FailoverRun {
    type Node = FailoverNode;
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
    ) -> Result<(Simulation<FailoverNode>, SharedObserver), ConfigError> {
        let topo = &self.sim.topology;
        let ids = |g: &str| -> Vec<NodeId> {
            topo.group_range(g).expect("the protocol's groups").map(NodeId).collect()
        };
        let observer =
            Arc::new(Mutex::new(Observer::new(self.config.monitors as usize, topo.names())));
        let cluster = Arc::new(Cluster {
            dbs: ids("db"),
            monitors: ids("monitor"),
            controller: ids("controller")[0],
            registry: ids("registry")[0],
            clients: topo.clients,
            config: self.config.clone(),
            workload: self.workload.clone(),
            drift: self.sim.clock.drift_ppm * 1e-6,
            observer: observer.clone(),
        });
        let sim = Simulation::new(self.sim.clone(), trace, move |id, topo| {
            let c = cluster.clone();
            match topo.group_of(id).map(|(g, _)| g.name.as_str()) {
                Some("db") => FailoverNode::Db(Box::new(DbNode::new(id, c))),
                Some("monitor") => FailoverNode::Monitor(Box::new(Monitor::new(id, c))),
                Some("controller") => FailoverNode::Controller(Box::new(Controller::new(c))),
                Some(_) => FailoverNode::Registry(Registry::new(c)),
                None => FailoverNode::Client(Box::new(Client::new(id, id.0 - topo.servers, c))),
            }
        })?;
        Ok((sim, observer))
    }

    fn judge(
        &self,
        sim: &mut Simulation<FailoverNode>,
        observer: &SharedObserver,
        ending: Ending,
    ) -> Judgement {
        let o = observer.lock().expect("observer");
        let dbs = up_dbs(sim);
        let survivor = final_primary(&dbs).map(|(id, d)| {
            let writes: BTreeSet<WriteId> =
                d.log().iter().filter_map(|e| e.write.map(|(w, _)| w)).collect();
            (id, writes)
        });
        let lost = survivor.as_ref().map(|(_, log)| lost_writes(&o, log));
        // The most specific first (a hunt reports a run's first failed check): a standby that
        // kept a deposed primary's suffix also loses writes once it is promoted.
        let checks = vec![
            self.no_split_brain(&o),
            logs_match(&dbs, &o, ending.complete && ending.quiet.is_some()),
            self.writes_survive(&o, &survivor, &lost),
            self.justified(&o),
        ];
        let liveness = ending.quiet.map(|(start, _)| self.liveness(sim, &o, start));
        Judgement {
            checks,
            liveness,
            metrics: self.metrics(sim, &o, lost.as_deref()),
            history_unjudgeable: None,
        }
    }
}

/// After the quiet period, every standby that is up holds the final primary's log up to the
/// index it last acknowledged matching it: a suffix a deposed primary appended must have been
/// rewound before the standby said so. What a standby holds beyond that is still on its way
/// (clients keep writing) and is not judged; a standby that acknowledged nothing yet, or a
/// second node still acting as primary, leaves the check unknown.
fn logs_match(dbs: &[(NodeId, &DbNode)], o: &Observer, settled: bool) -> CheckResult {
    if !settled {
        return CheckResult::unknown(
            LOGS_MATCH,
            "without a quiet period (`[check] liveness`) a standby may not yet have been rewound: not judged",
        );
    }
    let Some((pid, primary)) = final_primary(dbs) else {
        return CheckResult::unknown(LOGS_MATCH, "no primary at the end: nothing to match");
    };
    if let Some((other, _)) = dbs.iter().find(|(id, d)| *id != pid && d.primary_epoch().is_some()) {
        return CheckResult::unknown(
            LOGS_MATCH,
            format!(
                "{} still acts as primary beside {} at the end: its log is not a standby's yet",
                o.name(*other),
                o.name(pid)
            ),
        );
    }
    let theirs = primary.log();
    let standbys: Vec<(NodeId, &DbNode, usize)> = dbs
        .iter()
        .filter(|(id, _)| *id != pid)
        .map(|(id, d)| (*id, *d, primary.matched(*id).unwrap_or(0) as usize))
        .collect();
    if standbys.is_empty() {
        return CheckResult::not_applicable(LOGS_MATCH, "no standby is up at the end");
    }
    for (id, d, matched) in &standbys {
        let (log, upto) = (d.log(), (*matched).min(theirs.len()));
        let differs = (0..upto).find(|&i| log.get(i) != Some(&theirs[i]));
        if let Some(i) = differs {
            let entry = |e: Option<&crate::message::Entry>| {
                e.map_or("none".to_string(), |e| format!("of epoch {}", e.epoch))
            };
            return CheckResult::fail(
                LOGS_MATCH,
                format!(
                    "{} acknowledged matching the primary {}'s log up to index {upto}, but disagrees at index {} (its entry {}, the primary's {}), though the faults had healed for the quiet period",
                    o.name(*id),
                    o.name(pid),
                    i + 1,
                    entry(log.get(i)),
                    entry(theirs.get(i))
                ),
            );
        }
    }
    let silent: Vec<&str> =
        standbys.iter().filter(|(_, _, m)| *m == 0).map(|(id, _, _)| o.name(*id)).collect();
    if !silent.is_empty() {
        return CheckResult::unknown(
            LOGS_MATCH,
            format!(
                "{} acknowledged none of the primary {}'s log by the end: lengthen the quiet period",
                silent.join(", "),
                o.name(pid)
            ),
        );
    }
    let held: Vec<String> =
        standbys.iter().map(|(id, _, m)| format!("{} {m}", o.name(*id))).collect();
    CheckResult::pass(
        LOGS_MATCH,
        format!(
            "each standby holds the primary {}'s log up to what it acknowledged ({} of {} entries)",
            o.name(pid),
            held.join(", "),
            theirs.len()
        ),
    )
}

/// The database nodes up at the end.
fn up_dbs(sim: &Simulation<FailoverNode>) -> Vec<(NodeId, &DbNode)> {
    sim.topology()
        .group_range("db")
        .expect("db group")
        .map(NodeId)
        .filter(|id| sim.is_up(*id))
        .filter_map(|id| match sim.node(id) {
            Some(FailoverNode::Db(d)) => Some((id, d.as_ref())),
            _ => None,
        })
        .collect()
}

/// The primary of the latest epoch among `dbs` (the lowest-numbered on a tie).
fn final_primary<'a>(dbs: &[(NodeId, &'a DbNode)]) -> Option<(NodeId, &'a DbNode)> {
    dbs.iter()
        .filter_map(|(id, d)| d.primary_epoch().map(|e| (e, *id, *d)))
        .max_by_key(|(e, id, _)| (*e, std::cmp::Reverse(*id)))
        .map(|(_, id, d)| (id, d))
}

/// The acknowledged writes missing from `log`, with when each was acknowledged.
fn lost_writes(o: &Observer, log: &BTreeSet<WriteId>) -> Vec<(WriteId, SimTime)> {
    o.acked().iter().filter(|(id, _)| !log.contains(id)).map(|(id, t)| (*id, *t)).collect()
}

/// The first two tenures of different nodes whose acknowledgements overlap in time.
fn overlap(o: &Observer) -> Option<(Tenure, Tenure)> {
    let tenures: Vec<&Tenure> = o.tenures().collect();
    for (i, a) in tenures.iter().enumerate() {
        for b in &tenures[i + 1..] {
            if a.node != b.node && a.first <= b.last && b.first <= a.last {
                return Some((**a, **b));
            }
        }
    }
    None
}

impl FailoverRun {
    /// Synchronous replication, epoch fencing and leases, with `[workload]`'s operations.
    pub fn promises_linearizability(&self) -> bool {
        let c = &self.config;
        c.workload == ClientWork::Kv
            && c.replication == Replication::Sync
            && c.epoch_fencing
            && c.leases
    }

    /// Synchronous replication with epoch fencing: no acknowledged write is lost.
    pub fn promises_durability(&self) -> bool {
        self.config.replication == Replication::Sync && self.config.epoch_fencing
    }

    fn clocks_stepped(&self) -> bool {
        self.sim.may_inject(FaultName::Clock)
    }

    fn no_split_brain(&self, o: &Observer) -> CheckResult {
        let found = overlap(o);
        let describe = |(a, b): (Tenure, Tenure)| {
            format!(
                "{} (epoch {}) answered clients from {} to {} and {} (epoch {}) from {} to {}",
                o.name(a.node),
                a.epoch,
                a.first,
                a.last,
                o.name(b.node),
                b.epoch,
                b.first,
                b.last
            )
        };
        if !self.config.leases {
            let what = found.map_or("none overlapped (measured)".to_string(), describe);
            return CheckResult::not_applicable(
                NO_SPLIT_BRAIN,
                format!("no leases: nothing stops a deposed primary from answering; {what}"),
            );
        }
        let answers: u64 = o.tenures().map(|t| t.answers).sum();
        if let Some(pair) = found {
            let at = pair.0.last.min(pair.1.last).as_nanos();
            if self.clocks_stepped() {
                return CheckResult::unknown(
                    NO_SPLIT_BRAIN,
                    format!("{}, but clocks were stepped, which voids a lease", describe(pair)),
                );
            }
            return CheckResult::fail(NO_SPLIT_BRAIN, describe(pair)).at(at);
        }
        if answers == 0 {
            return CheckResult::unknown(NO_SPLIT_BRAIN, "no primary answered a client");
        }
        let nodes: BTreeSet<NodeId> = o.tenures().map(|t| t.node).collect();
        if nodes.len() < 2 {
            // One node's answers cannot overlap another's: nothing was judged.
            let only = nodes.first().map_or("?", |n| o.name(*n));
            return CheckResult::not_applicable(
                NO_SPLIT_BRAIN,
                format!(
                    "only {only} answered clients ({answers} answers): no second node whose answers could overlap its"
                ),
            );
        }
        CheckResult::pass(
            NO_SPLIT_BRAIN,
            format!(
                "{answers} answers (reads and write acknowledgements) by {} nodes in {} tenures, none overlapping another node's",
                nodes.len(),
                o.tenures().count()
            ),
        )
    }

    fn writes_survive(
        &self,
        o: &Observer,
        survivor: &Option<(NodeId, BTreeSet<WriteId>)>,
        lost: &Option<Vec<(WriteId, SimTime)>>,
    ) -> CheckResult {
        let acked = o.acked().len();
        let (Some((primary, _)), Some(lost)) = (survivor, lost) else {
            return CheckResult::unknown(
                WRITES_SURVIVE,
                "no database node serves as primary at the end: no log to look for the writes in",
            );
        };
        if !self.promises_durability() {
            let why = if self.config.replication == Replication::Sync {
                "without epoch fencing a deposed primary can still commit on standbys the controller has fenced"
            } else {
                "only synchronous replication promises durability across failovers"
            };
            return CheckResult::not_applicable(
                WRITES_SURVIVE,
                format!(
                    "{why}: {} of {acked} acknowledged writes lost (metrics.writes_lost; metrics.rpo_ms)",
                    lost.len()
                ),
            );
        }
        if let Some((id, at)) = lost.first() {
            return CheckResult::fail(
                WRITES_SURVIVE,
                format!(
                    "{} of {acked} acknowledged writes are not in the final primary's log ({}'s); the first: {}'s request {} acknowledged at {at}",
                    lost.len(),
                    o.name(*primary),
                    o.name(id.client),
                    id.request
                ),
            )
            .at(at.as_nanos());
        }
        if acked == 0 {
            return CheckResult::unknown(WRITES_SURVIVE, "no write was acknowledged");
        }
        CheckResult::pass(
            WRITES_SURVIVE,
            format!(
                "{acked} acknowledged writes, each in the final primary's log ({}'s), after {} failovers",
                o.name(*primary),
                o.failovers().len()
            ),
        )
    }

    fn justified(&self, o: &Observer) -> CheckResult {
        let failovers = o.failovers();
        let unjustified: Vec<_> = failovers.iter().filter(|f| !f.justified).collect();
        if !self.config.monitor_quorum {
            return CheckResult::not_applicable(
                JUSTIFIED,
                format!(
                    "monitor_quorum = false: one monitor may fail over alone; {} of {} failovers had no cause (measured)",
                    unjustified.len(),
                    failovers.len()
                ),
            );
        }
        if failovers.is_empty() {
            return CheckResult::not_applicable(JUSTIFIED, "no failover was declared");
        }
        if let Some(f) = unjustified.first() {
            return CheckResult::fail(
                JUSTIFIED,
                format!(
                    "{} of {} failovers had no cause; the first, to epoch {} at {}: {}",
                    unjustified.len(),
                    failovers.len(),
                    f.epoch,
                    f.declared,
                    f.seen
                ),
            )
            .at(f.declared.as_nanos());
        }
        CheckResult::pass(
            JUSTIFIED,
            format!(
                "{} failovers, each declared while the primary was down or not serving, or a majority of the monitors had waited over an interval for it or met it cut off",
                failovers.len()
            ),
        )
    }

    /// After the faults healed: exactly one database node serves, and every client that asked
    /// had an answer.
    fn liveness(
        &self,
        sim: &Simulation<FailoverNode>,
        o: &Observer,
        quiet: SimTime,
    ) -> CheckResult {
        const NAME: &str = "liveness";
        let serving: Vec<&str> = sim
            .topology()
            .group_range("db")
            .expect("db group")
            .map(NodeId)
            .filter(|id| sim.is_up(*id) && o.is_serving(*id))
            .map(|id| o.name(id))
            .collect();
        if serving.len() != 1 {
            return CheckResult::fail(
                NAME,
                format!(
                    "{} database nodes serve as primary at the end ({})",
                    serving.len(),
                    serving.join(", ")
                ),
            );
        }
        let clients = sim.topology().clients;
        let first_client = sim.topology().servers;
        if self.config.workload == ClientWork::Occ {
            let done = o.occ_completions().len() as u32;
            if done < clients {
                return CheckResult::fail(
                    NAME,
                    format!("{done} of {clients} clients completed their update"),
                );
            }
            return CheckResult::pass(
                NAME,
                format!("every one of {clients} clients completed its update"),
            );
        }
        let stuck: Vec<&str> = (first_client..first_client + clients)
            .map(NodeId)
            .filter(|c| o.last_invoked().get(c).is_some_and(|t| *t >= quiet))
            .filter(|c| o.last_ok().get(c).is_none_or(|t| *t < quiet))
            .map(|c| o.name(c))
            .collect();
        if !stuck.is_empty() {
            return CheckResult::fail(
                NAME,
                format!("{} asked after the faults healed and had no answer", stuck.join(", ")),
            );
        }
        CheckResult::pass(
            NAME,
            format!(
                "{} serves alone, and every client that asked after the faults healed had an answer",
                serving[0]
            ),
        )
    }

    fn metrics(
        &self,
        sim: &Simulation<FailoverNode>,
        o: &Observer,
        lost: Option<&[(WriteId, SimTime)]>,
    ) -> Vec<(String, MetricValue)> {
        let m = sim.metrics();
        let failovers = o.failovers();
        let ms = |d: u64| d as f64 / 1e6;
        let mut detection = Vec::new();
        let mut promotion = Vec::new();
        let mut rediscovery = Vec::new();
        let mut rto = Vec::new();
        // The downtime of real failures: a false alarm has no outage to measure from. A
        // failure no standby was promoted for within the run has no downtime to average: it
        // is counted apart.
        let mut unpromoted = 0u64;
        for f in failovers.iter().filter(|f| !f.false_alarm) {
            let Some((promoted, _)) = f.promoted else {
                unpromoted += 1;
                continue;
            };
            detection.push(ms(f.declared.saturating_since(f.outage_start).as_nanos()));
            promotion.push(ms(promoted.saturating_since(f.declared).as_nanos()));
            if let Some(back) = f.rediscovered.values().max() {
                let mean = f
                    .rediscovered
                    .values()
                    .map(|t| ms(t.saturating_since(promoted).as_nanos()))
                    .sum::<f64>()
                    / f.rediscovered.len() as f64;
                rediscovery.push(mean);
                rto.push(ms(back.saturating_since(f.outage_start).as_nanos()));
            }
        }
        let mean =
            |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
        let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        let lost = lost.unwrap_or(&[]);
        // The RPO as a span of time: from the first lost write's acknowledgement to the last's
        // (a primary's replication lag before it crashed; a split brain's whole length).
        let acks = lost.iter().map(|(_, at)| *at);
        let rpo = match (acks.clone().min(), acks.max()) {
            (Some(first), Some(last)) => ms(last.saturating_since(first).as_nanos()),
            _ => 0.0,
        };
        let gaps = m.counter("monitor.heartbeat_gaps");
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let count = |n: &str| MetricValue::Count(m.counter(n));
        let minutes = self.sim.end().as_nanos() as f64 / 60e9;
        let false_per_min =
            failovers.iter().filter(|f| f.false_alarm).count() as f64 / minutes.max(1e-9);
        let mut out = vec![
            ("failovers", MetricValue::Count(failovers.len() as u64)),
            (
                "promotions",
                MetricValue::Count(failovers.iter().filter(|f| f.promoted.is_some()).count() as u64),
            ),
            (
                "false_failovers",
                MetricValue::Count(failovers.iter().filter(|f| f.false_alarm).count() as u64),
            ),
            ("false_failovers_per_min", MetricValue::Number(false_per_min)),
            ("failovers_unpromoted", MetricValue::Count(unpromoted)),
            ("writes_acked", MetricValue::Count(o.acked().len() as u64)),
            ("writes_lost", MetricValue::Count(lost.len() as u64)),
            ("rpo_ms", MetricValue::Number(rpo)),
            ("entries_rewound", count("failover.entries_rewound")),
            ("semi_sync_fallbacks", count("failover.semi_sync_fallbacks")),
            ("registry_lookups", count("registry.lookups")),
            ("db_requests", count("client.db_requests")),
            ("retries", count("client.retries")),
            ("stale_answers_refused", count("client.stale_answers_refused")),
            ("breaker_opened", count("client.breaker_opened")),
            ("fast_failed", count("client.fast_failed")),
            ("budget_exhausted", count("client.budget_exhausted")),
            ("heartbeat_gaps", MetricValue::Count(gaps)),
            (
                "suspected_gap_fraction",
                MetricValue::Number(ratio(m.counter("monitor.suspected_gaps"), gaps)),
            ),
        ];
        // Downtime figures only where an outage was measured: a 0 would read as no downtime.
        let mut downtime = Vec::new();
        if !rto.is_empty() {
            downtime.push(("rto_ms", MetricValue::Number(mean(&rto))));
            downtime.push(("rto_ms_max", MetricValue::Number(max(&rto))));
        }
        if !detection.is_empty() {
            downtime.push(("detection_ms", MetricValue::Number(mean(&detection))));
            downtime.push(("promotion_ms", MetricValue::Number(mean(&promotion))));
        }
        if !rediscovery.is_empty() {
            downtime.push(("rediscovery_ms", MetricValue::Number(mean(&rediscovery))));
        }
        let at = out.iter().position(|(k, _)| *k == "failovers_unpromoted").expect("listed") + 1;
        out.splice(at..at, downtime);
        if self.config.workload == ClientWork::Occ {
            let done = o.occ_completions();
            let last = done.values().max().map_or(0.0, |t| ms(t.as_nanos()));
            out.push(("calls", count("occ.calls")));
            out.push(("completion_ms", MetricValue::Number(last)));
            out.push(("updates_done", MetricValue::Count(done.len() as u64)));
        }
        out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}
