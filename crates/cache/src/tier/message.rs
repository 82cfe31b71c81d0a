//! What clients, cache nodes and the database say to each other.

use sim_core::Message;

/// A cached value as a reader sees it: the database's version of the object, or a write a
/// write-behind cache node acknowledged and has not yet written to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// The object's `n`th committed version (0: the initial one).
    Version(u64),
    /// A write-behind write, by its id, still on its way to the database.
    Unflushed(u64),
}

/// A cache node's answer to a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The cache held the object.
    Hit(Value),
    /// The cache node read the database (read-through).
    Filled(Value),
    /// Cache-aside: the cache does not hold it; read the database, then set it, with this
    /// lease token under leases.
    Miss {
        /// The object.
        key: u64,
        /// The lease token (`None` without leases).
        token: Option<u64>,
    },
    /// Cache-aside with leases: another reader holds the key's lease; ask again shortly.
    Wait,
}

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
    /// The cache node's answer.
    Reply {
        /// The client's request.
        id: u64,
        /// What it says.
        answer: Answer,
    },
    /// Cache-aside: a client that missed and read the database puts the value in the cache.
    Set {
        /// The object.
        key: u64,
        /// Its size in bytes.
        size: u64,
        /// The version the client read.
        version: u64,
        /// When the database read it, on the database's clock (a TTL counts from it).
        read_at: i64,
        /// The lease token the miss handed out, under leases.
        token: Option<u64>,
    },
    /// A writer tells the key's cache node that the object changed.
    Invalidate {
        /// The writer's request.
        id: u64,
        /// The object.
        key: u64,
        /// The write this invalidation is for.
        write_id: u64,
        /// `Some`: replace an older cached value with this version (written at `read_at`);
        /// `None`: delete the key.
        update: Option<(u64, i64)>,
    },
    /// The cache node processed an invalidation.
    InvalidateAck {
        /// The writer's request.
        id: u64,
    },
    /// Write-through and write-behind: a client writes through the key's cache node.
    Write {
        /// The client's request.
        id: u64,
        /// The object.
        key: u64,
        /// Its size in bytes.
        size: u64,
        /// The write's id, unique in the run.
        write_id: u64,
    },
    /// The cache node acknowledges a write.
    WriteAck {
        /// The client's request.
        id: u64,
    },
    /// A read of the database (a cache node's miss, or a cache-aside client's).
    DbRead {
        /// The reader's read.
        id: u64,
        /// The object.
        key: u64,
        /// Cache-aside under leases: the lease the reader holds.
        token: Option<u64>,
    },
    /// Cache-aside under leases: a client gives back a lease it will not use (its request was
    /// answered already: the token came with a duplicate).
    Release {
        /// The object.
        key: u64,
        /// The token.
        token: u64,
    },
    /// The database's answer.
    DbValue {
        /// The reader's read.
        id: u64,
        /// The object's version now.
        version: u64,
        /// When, on the database's clock.
        read_at: i64,
    },
    /// A write of the database: a new version of the object.
    DbWrite {
        /// The writer's request.
        id: u64,
        /// The object.
        key: u64,
        /// The write's id: the database applies each id once.
        write_id: u64,
    },
    /// The database committed a write (now, or before: it applies each write id once).
    DbWriteAck {
        /// The writer's request.
        id: u64,
        /// The object's version now: the write's, or a later one's. (Not the write's own: a
        /// duplicate delivered late would hand back a version since overwritten.)
        version: u64,
        /// When, on the database's clock.
        at: i64,
    },
}

platform::message_classes! {
    GET "get" "a client's read of an object (client → cache node)",
    REPLY "reply" "a cache node's answer to a read (cache node → client)",
    SET "set" "a cache-aside client's set after a miss (client → cache node)",
    INVALIDATE "invalidate" "a writer's delete or update of a cached key (client → cache node)",
    INVALIDATE_ACK "invalidate-ack" "the cache node processed an invalidation (cache node → client)",
    WRITE "write" "a write through the cache (client → cache node)",
    WRITE_ACK "write-ack" "the cache node acknowledges a write (cache node → client)",
    RELEASE "release" "a lease a client will not use, given back (client → cache node)",
    DB_READ "db-read" "a read of the database (cache node or client → db)",
    DB_VALUE "db-value" "the database's answer to a read (db → reader)",
    DB_WRITE "db-write" "a write of the database (writer or cache node → db)",
    DB_WRITE_ACK "db-write-ack" "the database committed a write (db → writer)",
}

impl Message for Msg {
    fn class(&self) -> &'static str {
        match self {
            Msg::Get { .. } => GET.name,
            Msg::Reply { .. } => REPLY.name,
            Msg::Set { .. } => SET.name,
            Msg::Invalidate { .. } => INVALIDATE.name,
            Msg::InvalidateAck { .. } => INVALIDATE_ACK.name,
            Msg::Write { .. } => WRITE.name,
            Msg::WriteAck { .. } => WRITE_ACK.name,
            Msg::Release { .. } => RELEASE.name,
            Msg::DbRead { .. } => DB_READ.name,
            Msg::DbValue { .. } => DB_VALUE.name,
            Msg::DbWrite { .. } => DB_WRITE.name,
            Msg::DbWriteAck { .. } => DB_WRITE_ACK.name,
        }
    }
}
