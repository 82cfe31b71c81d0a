//! A backup: it keeps a durable copy of the primary's log and hands it back when a restarted
//! primary asks. It serves no client: a request is redirected to the primary.
//!
//! A backup syncs every batch before acknowledging it — the acknowledgement is a promise that
//! the entries survive a crash of this node, and the primary answers clients on the strength of
//! it. Its log lives only on its disk (it never reads an entry back but to answer a recovery),
//! so a restart needs nothing but the disk.

use sim_core::{Context, NodeId, NodeStatus};
use workload::{ClientReply, KvResult};

use crate::log::{self, Entry};
use crate::message::{Ack, Batch, LogTail, Msg, Recover};
use crate::node::PbNode;

/// The disk key of the highest epoch this backup has answered.
const EPOCH_KEY: &str = "epoch";

/// A backup's state machine.
#[derive(Debug)]
pub struct Backup {
    primary: NodeId,
    /// The last sequence number on this backup's disk (synced: a backup syncs as it appends).
    last: u64,
    /// The highest primary epoch this backup has answered; batches of older epochs are refused.
    epoch: u64,
}

impl Backup {
    /// A backup of `primary`.
    pub fn new(primary: NodeId) -> Self {
        Backup { primary, last: 0, epoch: 0 }
    }

    /// Starts, or restarts from the disk after a crash.
    pub fn start(&mut self, ctx: &mut Context<'_, PbNode>) {
        let disk = log::read(ctx.storage());
        if let Some(seq) = disk.damaged_at {
            ctx.storage().log_truncate_from(seq);
            ctx.storage().sync();
        }
        self.last = disk.entries.len() as u64;
        self.epoch = match ctx.storage().get(EPOCH_KEY) {
            Ok(Some(b)) if b.len() == 8 => u64::from_le_bytes(b.try_into().expect("8 bytes")),
            _ => 0,
        };
    }

    /// A message arrived.
    pub fn on_message(&mut self, ctx: &mut Context<'_, PbNode>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(req) => {
                // Only the primary serves: point the client at it.
                let result = KvResult::NotLeader { leader: Some(self.primary) };
                ctx.send(
                    req.client,
                    Msg::Reply(ClientReply { request_id: req.request_id, result }),
                );
            }
            Msg::Batch(batch) if from == self.primary => self.on_batch(ctx, batch),
            Msg::Recover(r) if from == self.primary => self.on_recover(ctx, r),
            _ => {}
        }
    }

    fn on_batch(&mut self, ctx: &mut Context<'_, PbNode>, batch: Batch) {
        if batch.epoch < self.epoch {
            // Sent by a primary that has since restarted: its entries may have been replaced.
            return;
        }
        let mut appended = false;
        // Entries we already hold are skipped (they cannot differ: a sequence number is only
        // reused by a later epoch, whose batches we take only after answering its recovery);
        // a batch that starts past our end leaves a hole, so we take none of it and our ack
        // tells the primary where to resume.
        if batch.first <= self.last + 1 {
            for (k, e) in batch.entries.iter().enumerate() {
                let seq = batch.first + k as u64;
                if seq > self.last {
                    ctx.storage().log_append(seq, e.encode());
                    self.last = seq;
                    appended = true;
                }
            }
        }
        if appended {
            // Durable before we say so: the primary answers clients on the strength of this ack.
            ctx.storage().sync();
            ctx.event("stored");
        }
        ctx.send(self.primary, Msg::Ack(Ack { durable: self.last }));
    }

    fn on_recover(&mut self, ctx: &mut Context<'_, PbNode>, r: Recover) {
        if r.epoch < self.epoch {
            return;
        }
        if r.epoch > self.epoch {
            // Remember the new epoch before answering, so no older batch is taken after it.
            self.epoch = r.epoch;
            ctx.storage().put(EPOCH_KEY, self.epoch.to_le_bytes().to_vec());
            ctx.storage().sync();
        }
        // Our entries past the primary's disk (none, unless a disk fault cost it some).
        let entries: Vec<Entry> = (r.have + 1..=self.last)
            .map_while(|seq| ctx.storage().log_get(seq).ok().flatten().and_then(Entry::decode))
            .collect();
        let tail = LogTail { epoch: r.epoch, last: self.last, entries };
        ctx.send(self.primary, Msg::LogTail(tail));
    }

    /// What reports see.
    pub fn status(&self) -> NodeStatus {
        NodeStatus { role: "backup", leading: false, term: self.epoch }
    }
}
