//! What the nodes say to each other, and the log entry they replicate.
//!
//! Each message is a named struct; the node's message type is an enum over them, plus the
//! workload's client request and reply (so the shared [`workload::Client`] can talk to it).

use sim_core::Message;
use workload::{ClientReply, ClientRequest, KvMessage};

use crate::log::{ENTRY_BYTES, Entry};

/// Primary → backup: log entries `first, first + 1, …`, every one already durable on the
/// primary. Sent each flush to every backup that has not acknowledged them yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Batch {
    /// The primary's epoch: a backup refuses a batch from an earlier one.
    pub epoch: u64,
    /// The sequence number of the first entry.
    pub first: u64,
    /// The entries.
    pub entries: Vec<Entry>,
}

/// Backup → primary: my log is durable up to `durable` (cumulative: it covers every earlier
/// batch too, so a lost ack is repaired by the next one).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ack {
    /// The highest sequence number on the backup's disk.
    pub durable: u64,
}

/// A restarted primary → backup: send me your log after `have`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Recover {
    /// The primary's new epoch.
    pub epoch: u64,
    /// The last sequence number the primary found on its own disk.
    pub have: u64,
}

/// Backup → a recovering primary: my log after the primary's `have`, and where it ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogTail {
    /// The epoch of the question it answers.
    pub epoch: u64,
    /// The backup's last sequence number.
    pub last: u64,
    /// Its entries after the primary's `have` (empty if it has none).
    pub entries: Vec<Entry>,
}

/// Every message of a primary-backup run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// A client's request.
    Request(ClientRequest),
    /// A server's answer to a client.
    Reply(ClientReply),
    /// Replication.
    Batch(Batch),
    /// Replication acknowledged.
    Ack(Ack),
    /// Recovery: the primary asks.
    Recover(Recover),
    /// Recovery: a backup answers.
    LogTail(LogTail),
}

impl Message for Msg {
    /// A header plus the entries: a long catch-up batch costs bandwidth where one is set.
    fn wire_size(&self) -> u64 {
        let entries = match self {
            Msg::Batch(b) => b.entries.len(),
            Msg::LogTail(t) => t.entries.len(),
            _ => 0,
        };
        64 + (ENTRY_BYTES * entries) as u64
    }
}

/// What the shared client needs from our message type: wrap a request, find a reply.
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
