//! The protocol as faultline sees it: what it declares ([`PrimaryBackup`], a
//! [`platform::Protocol`]) and one prepared run ([`PrimaryBackupRun`], a [`platform::Model`]:
//! build the simulation, then judge and measure it when it ends). The driver does the rest:
//! runs it, keeps the trace, checks the client history for linearizability and guards liveness.

use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::{
    Declaration, Driver, Group, Knob, KnownBug, Protocol, ProtocolEvent, Run, SeriesChart,
    SeriesLine, Setup, Show, Shrinkable,
};
use sim_core::{
    ConfigError, DistributionSummary, MetricValue, NodeId, NodeKind, SimConfig, Simulation,
    Topology, TraceOptions,
};
use workload::{Client, WorkloadConfig};

use crate::backup::Backup;
use crate::config::{Bug, DEFAULT_BACKUPS, PARAMETERS, PrimaryBackupConfig};
use crate::log::{self, Entry};
use crate::node::PbNode;
use crate::observer::{
    FinalLog, Observer, SURVIVE, SharedObserver, acknowledged_writes_survive, liveness, lost_writes,
};
use crate::primary::Primary;

/// The primary-backup protocol (`protocol = "primary-backup"`, table `[primary-backup]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct PrimaryBackup;

/// The node groups, in the order of their node indices: the primary first, then the backups.
pub const GROUPS: &[Group] = &[
    Group {
        name: "primary",
        prefix: "primary",
        singleton: true,
        about: "the primary: serves every operation, logs writes, ships a batch each flush",
    },
    Group {
        name: "backup",
        prefix: "backup",
        singleton: false,
        about: "backup1..backupN (`primary-backup.backups`, default 2): sync each batch, then ack",
    },
];

impl Bug {
    /// The switch as `faultline list` shows it, with the check it must fail.
    pub const fn known(self) -> KnownBug {
        match self {
            Bug::EarlyAck => KnownBug {
                name: "early-ack",
                check: SURVIVE,
                about: "the primary acknowledges a write before its batch is synced and backed up",
            },
        }
    }
}

const BUGS: &[KnownBug] = &[Bug::EarlyAck.known()];

/// The moments a fault can be aimed at (`on = "logged"`): the nodes report them with
/// `ctx.event(name)`.
const EVENTS: &[ProtocolEvent] = &[
    ProtocolEvent {
        name: "logged",
        about: "the primary logged a write (in memory and an unsynced disk write)",
    },
    ProtocolEvent { name: "flushed", about: "the primary synced a batch and shipped it" },
    ProtocolEvent { name: "stored", about: "a backup synced a batch and acknowledged it" },
    ProtocolEvent { name: "recovered", about: "a restarted primary took the longest log" },
];

const CHARTS: &[SeriesChart] = &[
    SeriesChart {
        name: "primary-backup-replication",
        title: "Writes waiting for their batch",
        caption: "Writes the primary has logged that are not yet durable on its disk and on every backup, sampled at each flush (mean per window): it rises while a backup is down or cut off, and drops when it catches up.",
        y_label: "writes waiting",
        lines: &[SeriesLine {
            series: "primary-backup.unflushed",
            label: "waiting for their batch",
            show: Show::Mean,
        }],
    },
    SeriesChart {
        name: "primary-backup-acks",
        title: "Writes acknowledged per second",
        caption: "Writes the primary acknowledged to clients, per second: a gap is a time when a batch could not become durable everywhere (the primary recovering, a backup down or cut off).",
        y_label: "writes per second",
        lines: &[SeriesLine {
            series: "primary-backup.acked",
            label: "acknowledged",
            show: Show::PerSecond,
        }],
    },
];

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "primary-backup",
    about: "a primary-backup register store with batched log shipping (the template to copy)",
    parameters: PARAMETERS,
    groups: GROUPS,
    bugs: BUGS,
    headline: "metrics.entries_per_batch",
    shrink_steps: &[
        Shrinkable { key: "workload.clients", default: 4, min: 1, by: 0 },
        Shrinkable {
            key: "primary-backup.backups",
            default: DEFAULT_BACKUPS as i64,
            min: 1,
            by: 1,
        },
    ],
    knobs: &[
        // One backup, or several; a long batch leaves more writes in the air at a crash.
        Knob { key: "primary-backup.backups", values: "[1, 2, 3]" },
        Knob { key: "primary-backup.flush_interval", values: "[\"1ms\", \"10ms\", \"50ms\"]" },
        Knob { key: "workload.clients", values: "[1, 2, 4, 8]" },
        // Leave room for plain writes: compare-and-sets on fresh keys never match.
        Knob { key: "workload.read_ratio", values: "[0.2, 0.5, 0.7]" },
        Knob { key: "network.loss", values: "{ min = 0.0, max = 0.05 }" },
    ],
    message_classes: crate::message::CLASSES,
    events: EVENTS,
    charts: CHARTS,
    ..Declaration::NONE
};

impl Protocol for PrimaryBackup {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let config: PrimaryBackupConfig = setup.config()?;
        config.validate()?;
        let workload: WorkloadConfig = setup.workload()?;
        workload.validate()?;
        if setup.nodes.is_some() {
            // `nodes` sizes a protocol's one group of equals; here the groups have roles.
            return Err(ConfigError::invalid(
                "nodes",
                "primary-backup has one primary and `primary-backup.backups` backups: set that instead",
            ));
        }
        let groups = vec![GROUPS[0].nodes(1), GROUPS[1].nodes(config.backups)];
        let topology = Topology::with_groups(groups, workload.clients)?;
        let sim = setup.sim_config(topology)?;
        // The primary serves every read and write and answers only what is durable everywhere:
        // it promises a linearizable store, so a run is held to that unless it says not.
        let linearizable = setup.linearizable.unwrap_or(true);
        Ok(Box::new(Driver::new(PrimaryBackupRun { sim, config, workload }, linearizable)))
    }
}

/// One prepared run: the kernel's config and the two tables the protocol reads.
#[derive(Clone, Debug)]
pub struct PrimaryBackupRun {
    /// The kernel's config; its topology has the primary, the backups and the clients.
    pub sim: SimConfig,
    /// `[primary-backup]`.
    pub config: PrimaryBackupConfig,
    /// `[workload]`.
    pub workload: WorkloadConfig,
}

/// The primary's node id: the first (only) node of its group.
fn primary_id(topo: &Topology) -> NodeId {
    NodeId(topo.group_range("primary").expect("a primary group").start)
}

fn backup_ids(topo: &Topology) -> Vec<NodeId> {
    topo.group_range("backup").expect("a backup group").map(NodeId).collect()
}

impl Model for PrimaryBackupRun {
    type Node = PbNode;
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
    ) -> Result<(Simulation<PbNode>, SharedObserver), ConfigError> {
        let observer = Observer::shared();
        let shared = observer.clone();
        let config = Arc::new(self.config.clone());
        let workload = self.workload.clone();
        // The factory builds every node at the start and rebuilds a crashed one at its restart:
        // whatever it hands in (the config, the observer) is all that outlives a crash besides
        // the node's disk.
        let sim =
            Simulation::new(self.sim.clone(), trace, move |id, topo| match topo.group_of(id) {
                Some((g, _)) if g.name == "primary" => PbNode::Primary(Box::new(Primary::new(
                    config.clone(),
                    backup_ids(topo),
                    shared.clone(),
                ))),
                Some(_) => PbNode::Backup(Box::new(Backup::new(primary_id(topo)))),
                None => PbNode::Client(Box::new(Client::new(
                    id.0 - topo.servers,
                    topo.clients,
                    topo.servers,
                    workload.clone(),
                ))),
            })?;
        Ok((sim, observer))
    }

    fn judge(
        &self,
        sim: &mut Simulation<PbNode>,
        observer: &SharedObserver,
        ending: Ending,
    ) -> Judgement {
        let obs = observer.lock().expect("observer");
        let topo = sim.topology();
        let log = final_log(sim);
        let checks = vec![acknowledged_writes_survive(&obs.acked, &log, topo)];
        let liveness = ending.quiet.map(|(start, quiet)| {
            if topo.clients == 0 || self.workload.read_ratio >= 1.0 {
                // Recovery is judged by a write or compare-and-set answered after the faults
                // heal (reads alone could be answered by a primary whose backups are gone).
                CheckResult::not_applicable(
                    "liveness",
                    "the workload only reads: no write or compare-and-set to answer after every fault healed",
                )
            } else {
                liveness(&obs, start, quiet)
            }
        });
        let metrics = sim.metrics();
        let batches = metrics.counter("primary-backup.batches_flushed");
        let logged = metrics.counter("primary-backup.entries_logged");
        let mut named = vec![
            ("writes_acked", MetricValue::Count(obs.acked.len() as u64)),
            ("writes_lost", MetricValue::Count(lost_writes(&obs.acked, &log).len() as u64)),
            ("entries_logged", MetricValue::Count(logged)),
            ("batches_flushed", MetricValue::Count(batches)),
            (
                "entries_per_batch",
                MetricValue::Number(if batches == 0 {
                    0.0
                } else {
                    logged as f64 / batches as f64
                }),
            ),
            (
                "primary_recoveries",
                MetricValue::Count(metrics.counter("primary-backup.recoveries")),
            ),
            (
                "messages",
                MetricValue::Count(
                    sim.messages_sent(NodeKind::Server) + sim.messages_sent(NodeKind::Client),
                ),
            ),
        ];
        if let Some(h) = metrics.histogram("primary-backup.ack_wait_ns") {
            named.push((
                "ack_wait_ms",
                MetricValue::Distribution(DistributionSummary::of_histogram_ms(h)),
            ));
        }
        Judgement {
            checks,
            liveness,
            metrics: named.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ..Judgement::default()
        }
    }
}

/// The log a client's next request would meet: the serving primary's; else (the primary is
/// down or still recovering) the longest log on any disk, which is what it will adopt.
fn final_log(sim: &Simulation<PbNode>) -> FinalLog {
    let topo = sim.topology();
    let primary = primary_id(topo);
    if let Some(PbNode::Primary(p)) = sim.node(primary)
        && let Some(entries) = p.serving_log()
    {
        return FinalLog { node: topo.name(primary), entries: entries.to_vec() };
    }
    let mut best = FinalLog { node: topo.name(primary), entries: Vec::new() };
    for id in std::iter::once(primary).chain(backup_ids(topo)) {
        let entries: Vec<Entry> = log::read(sim.storage(id)).entries;
        if entries.len() > best.entries.len() {
            best = FinalLog { node: topo.name(id), entries };
        }
    }
    best
}
