//! What Raft servers and their clients send each other.

use std::sync::Arc;

use platform::MessageClass;
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

const VOTE: MessageClass =
    MessageClass { name: "vote", about: "RequestVote, and PreVote probes (candidate → server)" };
const VOTE_REPLY: MessageClass =
    MessageClass { name: "vote-reply", about: "the answer to a RequestVote or PreVote" };
const APPEND: MessageClass = MessageClass {
    name: "append",
    about: "AppendEntries, heartbeats included (leader → follower)",
};
const APPEND_REPLY: MessageClass =
    MessageClass { name: "append-reply", about: "the answer to an AppendEntries" };
const SNAPSHOT: MessageClass =
    MessageClass { name: "snapshot", about: "InstallSnapshot (leader → follower)" };
const SNAPSHOT_REPLY: MessageClass =
    MessageClass { name: "snapshot-reply", about: "the answer to an InstallSnapshot" };
const CLIENT_REQUEST: MessageClass =
    MessageClass { name: "client-request", about: "a client's operation (client → server)" };
const CLIENT_REPLY: MessageClass =
    MessageClass { name: "client-reply", about: "a server's answer to a client" };

/// Raft's message classes, as `[network.class_latency]` names them.
pub const CLASSES: &[MessageClass] = &[
    VOTE,
    VOTE_REPLY,
    APPEND,
    APPEND_REPLY,
    SNAPSHOT,
    SNAPSHOT_REPLY,
    CLIENT_REQUEST,
    CLIENT_REPLY,
];

impl Message for RaftMsg {
    fn wire_size(&self) -> u64 {
        match self {
            RaftMsg::Append { entries, .. } => 64 + 48 * entries.len() as u64,
            RaftMsg::InstallSnapshot { snapshot, .. } => 64 + 24 * snapshot.kv.len() as u64,
            _ => 64,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            RaftMsg::RequestVote { .. } => VOTE.name,
            RaftMsg::VoteReply { .. } => VOTE_REPLY.name,
            RaftMsg::Append { .. } => APPEND.name,
            RaftMsg::AppendReply { .. } => APPEND_REPLY.name,
            RaftMsg::InstallSnapshot { .. } => SNAPSHOT.name,
            RaftMsg::SnapshotReply { .. } => SNAPSHOT_REPLY.name,
            RaftMsg::Request(_) => CLIENT_REQUEST.name,
            RaftMsg::Reply(_) => CLIENT_REPLY.name,
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

#[cfg(test)]
mod tests {
    use workload::KvResult;

    use super::*;

    #[test]
    fn every_message_has_a_declared_class_and_every_class_a_message() {
        let request = ClientRequest {
            client: NodeId(5),
            request_id: 1,
            acked_below: 0,
            op: KvOp::Read { key: 1 },
        };
        let one_of_each = [
            RaftMsg::RequestVote { term: 1, last_log_index: 0, last_log_term: 0, pre_vote: false },
            RaftMsg::VoteReply { term: 1, granted: true, pre_vote: false },
            RaftMsg::Append {
                term: 1,
                prev_index: 0,
                prev_term: 0,
                entries: Vec::new(),
                commit: 0,
                round: 0,
            },
            RaftMsg::AppendReply {
                term: 1,
                success: true,
                match_index: 0,
                conflict_index: 0,
                round: 0,
            },
            RaftMsg::InstallSnapshot { term: 1, snapshot: Arc::default(), round: 0 },
            RaftMsg::SnapshotReply { term: 1, index: 0, round: 0 },
            RaftMsg::Request(request),
            RaftMsg::Reply(ClientReply { request_id: 1, result: KvResult::Ok(None) }),
        ];
        let names: Vec<&str> = CLASSES.iter().map(|c| c.name).collect();
        let used: Vec<&str> = one_of_each.iter().map(Message::class).collect();
        assert_eq!(used, names, "one class per message kind, declared in the same order");
        assert!(names.iter().all(|n| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }));
    }
}
