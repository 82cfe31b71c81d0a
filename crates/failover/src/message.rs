//! What clients, database nodes, monitors, the controller and the registry say to each other,
//! and the log entries the database replicates.

use sim_core::{Message, NodeId};

/// A client's operation on the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Read a key.
    Read {
        /// The key.
        key: u64,
    },
    /// Write a key.
    Write {
        /// The key.
        key: u64,
        /// The value.
        value: i64,
    },
    /// Compare-and-set a key: write `new` if it holds `expected` (`None`: never written).
    Cas {
        /// The key.
        key: u64,
        /// The value it must hold.
        expected: Option<i64>,
        /// The value written if it does.
        new: i64,
    },
}

impl Op {
    /// The key it is about.
    pub fn key(&self) -> u64 {
        match *self {
            Op::Read { key } | Op::Write { key, .. } | Op::Cas { key, .. } => key,
        }
    }

    /// Jepsen's name for it.
    pub fn f(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Cas { .. } => "cas",
        }
    }
}

/// A write's identity across retries and failovers: its client and request id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WriteId {
    /// The client node.
    pub client: NodeId,
    /// Its request id (unique per client, across its incarnations).
    pub request: u64,
}

/// One entry of the replicated log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The epoch of the primary that appended it.
    pub epoch: u64,
    /// What it does: a client's write or compare-and-set, or `None` for the marker a new
    /// primary appends when it takes over (its commit commits everything before it).
    pub write: Option<(WriteId, Op)>,
}

/// A database node's answer to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Done; a read's value (`None`: never written).
    Ok(Option<i64>),
    /// A compare-and-set found another value and did nothing.
    CasFailed,
    /// This node is not a serving primary: ask the registry again.
    NotPrimary,
}

/// Every message of a failover run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client's request to the node it believes is the primary.
    Request {
        /// The client's request id, the same on every retry.
        request: u64,
        /// What to do.
        op: Op,
    },
    /// A database node's answer.
    Reply {
        /// The request answered.
        request: u64,
        /// The epoch the answering node serves in.
        epoch: u64,
        /// The answer.
        answer: Answer,
    },
    /// A client asks the registry where the primary is.
    Lookup,
    /// The registry's answer.
    Located {
        /// The primary.
        primary: NodeId,
        /// Its epoch.
        epoch: u64,
    },
    /// The primary ships log entries to a standby.
    Replicate {
        /// The primary's epoch.
        epoch: u64,
        /// The index of the entry before `entries` (0: the log's start).
        prev_index: u64,
        /// That entry's epoch (0 at the start).
        prev_epoch: u64,
        /// Entries `prev_index + 1 ..`.
        entries: Vec<Entry>,
    },
    /// A standby's answer to a [`Msg::Replicate`].
    Replicated {
        /// The epoch of the replication answered.
        epoch: u64,
        /// The entries matched the standby's log.
        ok: bool,
        /// Ok: the standby's log matches the primary's up to here. Not ok: resend from after
        /// this index.
        index: u64,
    },
    /// A standby refuses a primary of an older epoch than one it has seen.
    Refused {
        /// The epoch it has seen.
        epoch: u64,
    },
    /// A monitor's heartbeat request.
    Ping {
        /// Its sequence number.
        seq: u64,
    },
    /// The primary's heartbeat, answering a ping.
    Pong {
        /// The ping's sequence number.
        seq: u64,
        /// The primary's epoch.
        epoch: u64,
    },
    /// A monitor's view of the primary of `epoch`, sent every interval and when it changes.
    Opinion {
        /// The epoch whose primary it watches (0: it knows none).
        epoch: u64,
        /// It suspects that primary.
        suspect: bool,
        /// The monitor's ping count when it said so: names the opinion.
        seq: u64,
    },
    /// The controller tells a monitor whom to watch.
    Watch {
        /// The primary.
        primary: NodeId,
        /// Its epoch.
        epoch: u64,
    },
    /// The controller fences a database node into a new epoch and asks for its log's end.
    Fence {
        /// The new epoch.
        epoch: u64,
    },
    /// A database node's answer to a fence.
    Fenced {
        /// The epoch it is fenced into.
        epoch: u64,
        /// Its log's last entry's epoch (0: empty).
        last_epoch: u64,
        /// Its log's length.
        last_index: u64,
    },
    /// The controller promotes a database node to primary of `epoch`.
    Promote {
        /// The epoch.
        epoch: u64,
    },
    /// The new primary has taken over.
    Promoted {
        /// Its epoch.
        epoch: u64,
    },
    /// The primary asks the controller for a lease (and says it is alive).
    Alive {
        /// Its epoch.
        epoch: u64,
        /// The request's number, to time the lease from its sending.
        seq: u64,
    },
    /// The controller grants a lease.
    Lease {
        /// The epoch.
        epoch: u64,
        /// The request it answers.
        seq: u64,
    },
    /// The controller tells a deposed primary to step down.
    Demote {
        /// The current epoch.
        epoch: u64,
    },
    /// The controller tells the registry the new primary.
    Register {
        /// The primary.
        primary: NodeId,
        /// Its epoch.
        epoch: u64,
    },
    /// The registry has it.
    Registered {
        /// The epoch registered.
        epoch: u64,
    },
}

platform::message_classes! {
    REQUEST "request" "a client's operation (client → database node)",
    REPLY "reply" "a database node's answer (database node → client)",
    LOOKUP "lookup" "a client asks the registry for the primary, and its answer",
    REPLICATE "replicate" "log entries the primary ships, and the standbys' answers",
    HEARTBEAT "heartbeat" "a monitor's ping and the primary's pong",
    OPINION "opinion" "a monitor's suspicion, and the controller's answer of whom to watch",
    CONTROL "control" "the controller's fencing, promotion, leases and registry updates, and their answers",
}

impl Message for Msg {
    fn class(&self) -> &'static str {
        match self {
            Msg::Request { .. } => REQUEST.name,
            Msg::Reply { .. } => REPLY.name,
            Msg::Lookup | Msg::Located { .. } => LOOKUP.name,
            Msg::Replicate { .. } | Msg::Replicated { .. } | Msg::Refused { .. } => REPLICATE.name,
            Msg::Ping { .. } | Msg::Pong { .. } => HEARTBEAT.name,
            Msg::Opinion { .. } | Msg::Watch { .. } => OPINION.name,
            Msg::Fence { .. }
            | Msg::Fenced { .. }
            | Msg::Promote { .. }
            | Msg::Promoted { .. }
            | Msg::Alive { .. }
            | Msg::Lease { .. }
            | Msg::Demote { .. }
            | Msg::Register { .. }
            | Msg::Registered { .. } => CONTROL.name,
        }
    }

    fn wire_size(&self) -> u64 {
        match self {
            Msg::Replicate { entries, .. } => 64 + 40 * entries.len() as u64,
            _ => 64,
        }
    }
}
