//! What the replaying client, the cache nodes and the database say to each other.

use platform::MessageClass;
use sim_core::Message;

/// Every message of a cache run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client asks the key's cache node for an object.
    Get {
        /// The client's request.
        id: u64,
        /// The object.
        key: u64,
        /// Its size in bytes.
        size: u64,
        /// The index of the key's next request in the trace (for Belady's policy).
        next_use: Option<u64>,
    },
    /// The cache node's answer: the object's version, from the cache or the database.
    Reply {
        /// The client's request.
        id: u64,
        /// Whether the cache held it.
        hit: bool,
        /// The version it returned.
        version: u64,
    },
    /// A cache node that missed reads the object from the database (read-through).
    DbRead {
        /// The cache node's read.
        id: u64,
        /// The object.
        key: u64,
    },
    /// The database's answer.
    DbValue {
        /// The cache node's read.
        id: u64,
        /// The object's version now.
        version: u64,
    },
}

const GET: MessageClass =
    MessageClass { name: "get", about: "a client's request for an object (client → cache node)" };
const REPLY: MessageClass =
    MessageClass { name: "reply", about: "a cache node's answer (cache node → client)" };
const DB_READ: MessageClass =
    MessageClass { name: "db-read", about: "a miss read from the database (cache node → db)" };
const DB_VALUE: MessageClass =
    MessageClass { name: "db-value", about: "the database's answer (db → cache node)" };

/// The message classes, as `[network.class_latency]` names them.
pub const CLASSES: &[MessageClass] = &[GET, REPLY, DB_READ, DB_VALUE];

impl Message for Msg {
    fn class(&self) -> &'static str {
        match self {
            Msg::Get { .. } => GET.name,
            Msg::Reply { .. } => REPLY.name,
            Msg::DbRead { .. } => DB_READ.name,
            Msg::DbValue { .. } => DB_VALUE.name,
        }
    }
}
