//! What Raft servers and their clients send each other.

use std::sync::Arc;

use sim_core::{Message, NodeId};
use workload::{ClientReply, ClientRequest, KvMessage, KvOp};

use crate::state_machine::Snapshot;

/// A log entry's command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// The entry a new leader appends to commit its term.
    Noop,
    /// A client operation.
    Op {
        /// The client (its session).
        client: NodeId,
        /// The client's request id.
        request_id: u64,
        /// The client's low-water mark (see [`ClientRequest::acked_below`]).
        acked_below: u64,
        /// The operation.
        op: KvOp,
    },
}

/// A log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The term in which a leader created it.
    pub term: u64,
    /// What it does.
    pub command: Command,
}

/// Raft's messages (the paper's RPCs and their replies) and the client traffic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftMsg {
    /// RequestVote, or a PreVote probe (`pre_vote`: `term` is the term it would start).
    RequestVote {
        /// The candidate's term.
        term: u64,
        /// Index of its last log entry.
        last_log_index: u64,
        /// Term of its last log entry.
        last_log_term: u64,
        /// A PreVote probe.
        pre_vote: bool,
    },
    /// The answer to a RequestVote.
    VoteReply {
        /// The voter's term (for a PreVote: the probed term).
        term: u64,
        /// Whether the vote is granted.
        granted: bool,
        /// Answering a PreVote probe.
        pre_vote: bool,
    },
    /// AppendEntries (a heartbeat when `entries` is empty).
    Append {
        /// The leader's term.
        term: u64,
        /// Index of the entry before `entries`.
        prev_index: u64,
        /// Its term.
        prev_term: u64,
        /// Entries to store (a batch).
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
        /// The leader's heartbeat round, echoed back (ReadIndex confirmation).
        round: u64,
    },
    /// The answer to an AppendEntries.
    AppendReply {
        /// The follower's term.
        term: u64,
        /// Whether the entries matched and were stored.
        success: bool,
        /// On success, the index of the follower's last matching entry.
        match_index: u64,
        /// On failure, where the leader should try next (fast backtracking).
        conflict_index: u64,
        /// The echoed heartbeat round.
        round: u64,
    },
    /// InstallSnapshot (paper section 7), in one piece.
    InstallSnapshot {
        /// The leader's term.
        term: u64,
        /// The snapshot.
        snapshot: Arc<Snapshot>,
        /// The echoed heartbeat round.
        round: u64,
    },
    /// The answer to an InstallSnapshot.
    SnapshotReply {
        /// The follower's term.
        term: u64,
        /// The snapshot's last index, now the follower's.
        index: u64,
        /// The echoed heartbeat round.
        round: u64,
    },
    /// A client's request.
    Request(ClientRequest),
    /// A reply to a client.
    Reply(ClientReply),
}

impl Message for RaftMsg {
    fn wire_size(&self) -> u64 {
        match self {
            RaftMsg::Append { entries, .. } => 64 + 48 * entries.len() as u64,
            RaftMsg::InstallSnapshot { snapshot, .. } => 64 + 24 * snapshot.kv.len() as u64,
            _ => 64,
        }
    }
}

impl KvMessage for RaftMsg {
    fn request(request: ClientRequest) -> Self {
        RaftMsg::Request(request)
    }
    fn as_reply(&self) -> Option<&ClientReply> {
        match self {
            RaftMsg::Reply(r) => Some(r),
            _ => None,
        }
    }
}
