//! What clients, coordinators and replicas say to each other.

use platform::MessageClass;
use sim_core::{Message, NodeId};
use workload::{ClientReply, ClientRequest, KvMessage};

use crate::version::{Clock, Siblings};

/// Every message of a sharding run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client's request, to any server.
    Request(ClientRequest),
    /// A coordinator's answer to a client.
    Reply(ClientReply),
    /// A coordinator's answer to a client's read that found concurrent versions (vector
    /// clocks): every sibling's value, and their clocks merged, the context to write back
    /// with.
    ReplySiblings {
        /// The client's request.
        request_id: u64,
        /// The key read.
        key: u64,
        /// The siblings' values, lowest version first.
        values: Vec<i64>,
        /// Their clocks merged.
        context: Clock,
    },
    /// A client resolved siblings it read: it writes `value` back with their context, so the
    /// new version descends from every one of them. Nobody is answered.
    Resolve {
        /// The key.
        key: u64,
        /// The value the client chose.
        value: i64,
        /// The siblings' clocks merged.
        context: Clock,
    },
    /// A server hands a request to the key's first replica, which coordinates it and answers
    /// the client itself (`coordinator = "replica"`).
    Forward(ClientRequest),
    /// A coordinator asks a replica for its version of a key.
    Get {
        /// The coordinator's operation.
        op: u64,
        /// The key.
        key: u64,
        /// The newest membership epoch the coordinator knows of (see [`Msg::Stale`]).
        epoch: u64,
    },
    /// A replica's versions of a key (none: it holds nothing).
    GetReply {
        /// The coordinator's operation.
        op: u64,
        /// What the replica holds.
        versions: Siblings,
    },
    /// A coordinator asks a replica to keep versions it does not hold a newer one of.
    Put {
        /// The coordinator's operation (0: a read repair, whose answer nobody waits for).
        op: u64,
        /// The key.
        key: u64,
        /// The versions.
        versions: Siblings,
        /// The newest membership epoch the coordinator knows of (see [`Msg::Stale`]).
        epoch: u64,
    },
    /// A replica refuses a `Get` or `Put` from a coordinator whose view of the membership is
    /// older than its own, and says how new its own is: the coordinator learns of that epoch
    /// and starts its phase again over its placements. Without this, a coordinator that had
    /// not yet heard of a change could write to the old replicas alone after they had migrated
    /// the key, and the write would vanish when the move settled.
    Stale {
        /// The coordinator's operation.
        op: u64,
        /// The newest epoch the replica knows of.
        epoch: u64,
    },
    /// The replica holds that version or a newer one, durably.
    PutAck {
        /// The coordinator's operation.
        op: u64,
    },
    /// A sloppy quorum's stand-in: a coordinator asks a server outside the key's replicas to
    /// keep a write meant for `intended` as a hint, and acknowledge it (`PutAck`) in its place.
    Hint {
        /// The coordinator's operation.
        op: u64,
        /// The key.
        key: u64,
        /// The replica the write was meant for.
        intended: NodeId,
        /// The versions.
        versions: Siblings,
    },
    /// A fallback hands a hint back to the key's replica.
    Handoff {
        /// The key.
        key: u64,
        /// The replica the hint was meant for.
        intended: NodeId,
        /// The versions.
        versions: Siblings,
    },
    /// A replica kept a handed-back hint (it echoes the hint, so the fallback drops it only
    /// if it has not grown since).
    HandoffAck {
        /// The key.
        key: u64,
        /// The replica the hint was meant for.
        intended: NodeId,
        /// The versions kept.
        versions: Siblings,
    },
    /// Anti-entropy: a server's copies of the keys the receiver is also a replica of; the
    /// receiver keeps what is newer and, unless this is itself the answer, answers with its own.
    Sync {
        /// (key, versions) for every shared key the sender holds.
        entries: Vec<(u64, Siblings)>,
        /// An answer to the receiver's own exchange (not answered again).
        reply: bool,
    },
    /// A server's rebalancing progress, gossiped while a membership change is unsettled.
    Migrated {
        /// It has migrated every epoch up to this one.
        migrated: u64,
        /// It knows every epoch up to this one has settled.
        settled: u64,
        /// An answer to the sender's own report (not answered again).
        reply: bool,
    },
}

const CLIENT_REQUEST: MessageClass =
    MessageClass { name: "client-request", about: "a client's operation (client → any server)" };
const CLIENT_REPLY: MessageClass =
    MessageClass { name: "client-reply", about: "a coordinator's answer to a client" };
const FORWARD: MessageClass =
    MessageClass { name: "forward", about: "a request handed to the key's first replica" };
const WRITE: MessageClass =
    MessageClass { name: "write", about: "a version to keep (coordinator → replica): PBS's W" };
const WRITE_ACK: MessageClass = MessageClass {
    name: "write-ack",
    about: "the replica keeps it (replica → coordinator): PBS's A",
};
const READ: MessageClass =
    MessageClass { name: "read", about: "a request for a replica's version: PBS's R" };
const REBALANCE: MessageClass = MessageClass {
    name: "rebalance",
    about: "a server's progress moving keys after a membership change (server → server)",
};
const HANDOFF: MessageClass = MessageClass {
    name: "handoff",
    about: "a fallback hands a hinted write back to its replica, and the replica's answer",
};
const ANTI_ENTROPY: MessageClass = MessageClass {
    name: "anti-entropy",
    about: "a server's copies of the keys it shares with another (server → server)",
};
const READ_REPLY: MessageClass = MessageClass {
    name: "read-reply",
    about: "a replica's version (replica → coordinator): PBS's S",
};

/// The message classes, as `[network.class_latency]` names them: the four legs of a quorum
/// operation are the four delays of Bailis et al.'s WARS model.
pub const CLASSES: &[MessageClass] = &[
    CLIENT_REQUEST,
    CLIENT_REPLY,
    FORWARD,
    WRITE,
    WRITE_ACK,
    READ,
    READ_REPLY,
    REBALANCE,
    HANDOFF,
    ANTI_ENTROPY,
];

impl Message for Msg {
    /// One class per message kind (a scenario may give each its own latency).
    fn class(&self) -> &'static str {
        match self {
            Msg::Request(_) | Msg::Resolve { .. } => CLIENT_REQUEST.name,
            Msg::Reply(_) | Msg::ReplySiblings { .. } => CLIENT_REPLY.name,
            Msg::Forward(_) => FORWARD.name,
            Msg::Put { .. } | Msg::Hint { .. } => WRITE.name,
            Msg::Handoff { .. } | Msg::HandoffAck { .. } => HANDOFF.name,
            Msg::Sync { .. } => ANTI_ENTROPY.name,
            Msg::PutAck { .. } | Msg::Stale { .. } => WRITE_ACK.name,
            Msg::Get { .. } => READ.name,
            Msg::GetReply { .. } => READ_REPLY.name,
            Msg::Migrated { .. } => REBALANCE.name,
        }
    }
}

impl KvMessage for Msg {
    fn request(request: ClientRequest) -> Self {
        Msg::Request(request)
    }

    fn as_reply(&self) -> Option<&ClientReply> {
        match self {
            Msg::Reply(r) => Some(r),
            _ => None,
        }
    }
}
