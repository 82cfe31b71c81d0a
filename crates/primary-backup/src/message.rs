//! What the nodes say to each other, and the log entry they replicate.
//!
//! Each message is a named struct; the node's message type is an enum over them, plus the
//! workload's client request and reply (so the shared [`workload::Client`] can talk to it).

use platform::MessageClass;
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

const CLIENT_REQUEST: MessageClass =
    MessageClass { name: "client-request", about: "a client's operation (client → primary)" };
const CLIENT_REPLY: MessageClass =
    MessageClass { name: "client-reply", about: "the primary's answer to a client" };
const BATCH: MessageClass =
    MessageClass { name: "batch", about: "replication: log entries (primary → backup)" };
const ACK: MessageClass =
    MessageClass { name: "ack", about: "replication acknowledged (backup → primary)" };
const RECOVER: MessageClass =
    MessageClass { name: "recover", about: "a restarted primary asks for the backups' logs" };
const LOG_TAIL: MessageClass =
    MessageClass { name: "log-tail", about: "a backup's answer to a recovering primary" };

/// The message classes, as `[network.class_latency]` names them.
pub const CLASSES: &[MessageClass] = &[CLIENT_REQUEST, CLIENT_REPLY, BATCH, ACK, RECOVER, LOG_TAIL];

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

    /// One class per message kind (a scenario may give each its own latency).
    fn class(&self) -> &'static str {
        match self {
            Msg::Request(_) => CLIENT_REQUEST.name,
            Msg::Reply(_) => CLIENT_REPLY.name,
            Msg::Batch(_) => BATCH.name,
            Msg::Ack(_) => ACK.name,
            Msg::Recover(_) => RECOVER.name,
            Msg::LogTail(_) => LOG_TAIL.name,
        }
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

#[cfg(test)]
mod tests {
    use sim_core::NodeId;
    use workload::{KvOp, KvResult};

    use super::*;

    #[test]
    fn every_message_has_a_declared_class_and_every_class_a_message() {
        let request = ClientRequest {
            client: NodeId(3),
            request_id: 1,
            acked_below: 0,
            op: KvOp::Read { key: 1 },
        };
        let one_of_each = [
            Msg::Request(request),
            Msg::Reply(ClientReply { request_id: 1, result: KvResult::Ok(None) }),
            Msg::Batch(Batch { epoch: 1, first: 1, entries: Vec::new() }),
            Msg::Ack(Ack { durable: 1 }),
            Msg::Recover(Recover { epoch: 2, have: 1 }),
            Msg::LogTail(LogTail { epoch: 2, last: 1, entries: Vec::new() }),
        ];
        let names: Vec<&str> = CLASSES.iter().map(|c| c.name).collect();
        let used: Vec<&str> = one_of_each.iter().map(Message::class).collect();
        assert_eq!(used, names, "one class per message kind, declared in the same order");
    }
}
