//! The node type a primary-backup run simulates: the primary, the backups and the clients, one
//! enum, and the timers they set.
//!
//! The kernel runs one node type per simulation, so a protocol wraps its roles in an enum and
//! forwards each input to the role. The shared [`Client`] needs two things of it: a message
//! type that implements [`workload::KvMessage`] and a timer type that holds a [`ClientTimer`].

use sim_core::{Context, Node, NodeId, NodeStatus, TimerId};
use workload::{Client, ClientTimer};

use crate::backup::Backup;
use crate::message::Msg;
use crate::primary::Primary;

/// Every timer of a primary-backup run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The primary syncs its log and ships a batch.
    Flush,
    /// A recovering primary asks silent backups again.
    RecoveryRetry,
    /// A client's timer.
    Client(ClientTimer),
}

impl From<ClientTimer> for Timer {
    fn from(t: ClientTimer) -> Self {
        Timer::Client(t)
    }
}

/// A node of a primary-backup run.
pub enum PbNode {
    /// The primary.
    Primary(Box<Primary>),
    /// A backup.
    Backup(Box<Backup>),
    /// A simulated client.
    Client(Box<Client>),
}

impl Node for PbNode {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            PbNode::Primary(p) => p.start(ctx, false),
            PbNode::Backup(b) => b.start(ctx),
            PbNode::Client(c) => c.on_start(ctx),
        }
    }

    /// After a crash the kernel builds the node afresh and calls this: only its disk survived.
    fn on_restart(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            PbNode::Primary(p) => p.start(ctx, true),
            PbNode::Backup(b) => b.start(ctx),
            PbNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            PbNode::Primary(p) => p.on_message(ctx, from, msg),
            PbNode::Backup(b) => b.on_message(ctx, from, msg),
            PbNode::Client(c) => {
                c.on_message(ctx, from, &msg);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: Timer) {
        match (self, timer) {
            (PbNode::Client(c), Timer::Client(t)) => c.on_timer(ctx, t),
            (PbNode::Primary(p), t) => p.on_timer(ctx, t),
            _ => {}
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            PbNode::Primary(p) => p.status(),
            PbNode::Backup(b) => b.status(),
            PbNode::Client(_) => NodeStatus::default(),
        }
    }
}
