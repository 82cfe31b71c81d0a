//! What clients, coordinators and replicas say to each other.

use platform::MessageClass;
use sim_core::Message;
use workload::{ClientReply, ClientRequest, KvMessage};

use crate::version::Stored;

/// Every message of a sharding run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client's request, to any server.
    Request(ClientRequest),
    /// A coordinator's answer to a client.
    Reply(ClientReply),
    /// A server hands a request to the key's first replica, which coordinates it and answers
    /// the client itself (`coordinator = "replica"`).
    Forward(ClientRequest),
    /// A coordinator asks a replica for its version of a key.
    Get {
        /// The coordinator's operation.
        op: u64,
        /// The key.
        key: u64,
    },
    /// A replica's version of a key (`None`: it holds none).
    GetReply {
        /// The coordinator's operation.
        op: u64,
        /// What the replica holds.
        stored: Option<Stored>,
    },
    /// A coordinator asks a replica to keep a version if it is newer than its own.
    Put {
        /// The coordinator's operation (0: a read repair, whose answer nobody waits for).
        op: u64,
        /// The key.
        key: u64,
        /// The version.
        stored: Stored,
    },
    /// The replica holds that version or a newer one, durably.
    PutAck {
        /// The coordinator's operation.
        op: u64,
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
const READ_REPLY: MessageClass = MessageClass {
    name: "read-reply",
    about: "a replica's version (replica → coordinator): PBS's S",
};

/// The message classes, as `[network.class_latency]` names them: the four legs of a quorum
/// operation are the four delays of Bailis et al.'s WARS model.
pub const CLASSES: &[MessageClass] =
    &[CLIENT_REQUEST, CLIENT_REPLY, FORWARD, WRITE, WRITE_ACK, READ, READ_REPLY, REBALANCE];

impl Message for Msg {
    /// One class per message kind (a scenario may give each its own latency).
    fn class(&self) -> &'static str {
        match self {
            Msg::Request(_) => CLIENT_REQUEST.name,
            Msg::Reply(_) => CLIENT_REPLY.name,
            Msg::Forward(_) => FORWARD.name,
            Msg::Put { .. } => WRITE.name,
            Msg::PutAck { .. } => WRITE_ACK.name,
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
