//! Raft as the platform sees it: its table, groups, known bugs and how to prepare a run.

use platform::protocol::{Group, Knob, KnownBug, Protocol, ProtocolEvent, Setup, Shrinkable};
use platform::{Declaration, Driver, Run, SeriesChart, SeriesLine, Show};
use sim_core::Topology;
use sim_core::config::ConfigError;
use workload::WorkloadConfig;

use crate::config::{Bug, RaftConfig};
use crate::run::RaftRun;

/// The Raft protocol (`protocol = "raft"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Raft;

/// Servers when the scenario does not say.
pub const DEFAULT_SERVERS: u32 = 5;

impl Bug {
    /// The check each switch must fail, as the scenario files and the conformance tests read it.
    pub const fn known(self) -> KnownBug {
        match self {
            Bug::CommitPreviousTerm => KnownBug {
                name: "commit-previous-term",
                check: "Leader Completeness",
                about: "a leader commits an entry of an earlier term by counting replicas (Figure 8)",
            },
            Bug::ForgetVote => KnownBug {
                name: "forget-vote",
                check: "Election Safety",
                about: "votedFor is not persisted, so a restarted server votes twice in one term",
            },
            Bug::StaleRead => KnownBug {
                name: "stale-read",
                check: "linearizable",
                about: "the leader answers reads without confirming it still leads",
            },
            Bug::AckBeforeSync => KnownBug {
                name: "ack-before-sync",
                check: "Leader Completeness",
                about: "followers acknowledge entries before syncing them to disk",
            },
        }
    }
}

const BUGS: &[KnownBug] = &[
    Bug::CommitPreviousTerm.known(),
    Bug::ForgetVote.known(),
    Bug::StaleRead.known(),
    Bug::AckBeforeSync.known(),
];

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "raft",
    about: "Raft consensus as a replicated key-value store (Ongaro and Ousterhout)",
    parameters: crate::config::PARAMETERS,
    groups: &[Group {
        name: "server",
        prefix: "n",
        singleton: false,
        about: "Raft servers n1..nN (`nodes`, default 5)",
    }],
    bugs: BUGS,
    headline: "metrics.election_downtime_ms",
    shrink_steps: &[
        Shrinkable { key: "workload.clients", default: 4, min: 1, by: 0 },
        Shrinkable { key: "nodes", default: DEFAULT_SERVERS as i64, min: 3, by: 2 },
    ],
    knobs: &[
        // Small batches and snapshots make the Figure 8 and log-repair paths reachable.
        Knob { key: "raft.max_batch", values: "[1, 2, 4, 64]" },
        Knob { key: "raft.snapshot_threshold", values: "[10, 100, 1000]" },
        Knob {
            key: "raft.election_timeout",
            values: "[\"150ms..300ms\", \"50ms..100ms\", \"300ms..600ms\"]",
        },
        Knob { key: "raft.pre_vote", values: "[true, false]" },
        Knob { key: "raft.check_quorum", values: "[true, false]" },
        Knob { key: "raft.read_mode", values: "[\"read-index\", \"log\"]" },
        Knob { key: "raft.sync_latency", values: "[\"0ms\", \"1ms\", \"5ms\"]" },
        Knob { key: "nodes", values: "[3, 5]" },
        Knob { key: "workload.clients", values: "[2, 4, 8]" },
        // A slow stream of writes leaves the servers' logs equal between writes, so
        // candidates on both sides of a partition can win the same term.
        Knob { key: "workload.rate", values: "[20, 50, 200]" },
        Knob { key: "workload.read_ratio", values: "[0.2, 0.5, 0.8]" },
        Knob { key: "network.loss", values: "{ min = 0.0, max = 0.05 }" },
        // Latency whose spread is wide against the election timeout splits votes and
        // keeps RequestVotes in flight while a voter crashes and restarts.
        Knob {
            key: "network.latency",
            values: "[{ dist = \"lognormal\", p50 = \"1ms\", p99 = \"10ms\" }, { dist = \"exponential\", mean = \"5ms\" }, { dist = \"uniform\", min = \"0ms\", max = \"20ms\" }]",
        },
    ],
    message_classes: crate::message::CLASSES,
    events: &[
        ProtocolEvent {
            name: "appended",
            about: "a leader appended a client command (or, with heartbeat_entry, its heartbeat's entry) and sent it on",
        },
        ProtocolEvent { name: "replicated", about: "a follower appended entries from its leader" },
        ProtocolEvent { name: "voted", about: "a server granted its vote" },
        ProtocolEvent { name: "elected", about: "a server became leader" },
        ProtocolEvent { name: "committed", about: "a leader advanced its commit index" },
        ProtocolEvent { name: "snapshot", about: "a server took a snapshot" },
    ],
    charts: &[
        SeriesChart {
            name: "raft-commits",
            title: "Entries committed per second",
            caption: "Log entries the leader of the moment committed, per second: a gap is a time without a leader that can reach a majority.",
            y_label: "entries per second",
            lines: &[SeriesLine {
                series: "raft.committed",
                label: "committed",
                show: Show::PerSecond,
            }],
        },
        SeriesChart {
            name: "raft-elections",
            title: "Elections per window",
            caption: "Elections started (a candidate's term began) and leaders elected, per window: more started than won is split votes or a candidate cut off.",
            y_label: "per window",
            lines: &[
                SeriesLine {
                    series: "raft.elections_started",
                    label: "elections started",
                    show: Show::Sum,
                },
                SeriesLine {
                    series: "raft.leaders_elected",
                    label: "leaders elected",
                    show: Show::Sum,
                },
            ],
        },
    ],
    ..Declaration::NONE
};

impl Protocol for Raft {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let raft: RaftConfig = setup.config()?;
        raft.validate()?;
        let workload: WorkloadConfig = setup.workload()?;
        workload.validate()?;
        let topology = Topology::new(setup.nodes.unwrap_or(DEFAULT_SERVERS), workload.clients)?;
        let sim = setup.sim_config(topology)?;
        // Every read and write goes through the leader's log or ReadIndex: Raft promises a
        // linearizable key-value store, so that is what a run is held to unless it says not.
        let linearizable = setup.linearizable.unwrap_or(true);
        Ok(Box::new(Driver::new(RaftRun { sim, raft, workload }, linearizable)))
    }
}
