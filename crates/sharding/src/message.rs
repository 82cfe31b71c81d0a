//! What clients, coordinators and replicas say to each other.

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
}

impl Message for Msg {}

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
