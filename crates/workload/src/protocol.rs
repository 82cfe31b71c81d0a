//! What clients and key-value servers say to each other.

use sim_core::{Message, NodeId};

/// A key-value operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
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
    /// Compare-and-set a key.
    Cas {
        /// The key.
        key: u64,
        /// The value it must hold.
        expected: i64,
        /// The value written if it does.
        new: i64,
    },
}

impl KvOp {
    /// The key the operation is about.
    pub fn key(&self) -> u64 {
        match *self {
            KvOp::Read { key } | KvOp::Write { key, .. } | KvOp::Cas { key, .. } => key,
        }
    }

    /// Jepsen's name for it: `read`, `write`, `cas`.
    pub fn f(&self) -> &'static str {
        match self {
            KvOp::Read { .. } => "read",
            KvOp::Write { .. } => "write",
            KvOp::Cas { .. } => "cas",
        }
    }

    /// True for operations that change state.
    pub fn is_write(&self) -> bool {
        !matches!(self, KvOp::Read { .. })
    }
}

/// A client's request. `(client, request_id)` identifies it across retries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientRequest {
    /// The client node (its session).
    pub client: NodeId,
    /// Unique per client, the same on every retry.
    pub request_id: u64,
    /// Every request of this client below this id has been answered or given up on, so the
    /// server may forget what it remembered about them (the session's low-water mark).
    pub acked_below: u64,
    /// What to do.
    pub op: KvOp,
}

/// How a request ended, as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvResult {
    /// Done; a read's value (`None`: never written), `None` for writes and successful cas.
    Ok(Option<i64>),
    /// A compare-and-set found another value and did nothing.
    CasFailed,
    /// This server cannot serve it; try `leader` if it knows one.
    NotLeader {
        /// The leader it believes in.
        leader: Option<NodeId>,
    },
    /// The server is the one to ask but cannot take more now (a leader at its bound of
    /// uncommitted entries): it did nothing, and the client retries after a backoff.
    Busy,
}

/// A server's answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientReply {
    /// The request answered.
    pub request_id: u64,
    /// The answer.
    pub result: KvResult,
}

/// A protocol's message type that carries client requests and replies.
pub trait KvMessage: Message {
    /// Wraps a request.
    fn request(request: ClientRequest) -> Self;
    /// The reply inside, if this message is one.
    fn as_reply(&self) -> Option<&ClientReply>;
}
