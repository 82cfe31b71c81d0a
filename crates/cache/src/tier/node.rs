//! The nodes of a cache run, as the kernel sees them: one enum over the cache nodes, the
//! database and the clients, and the timers they set.

use sim_core::{Context, Node, NodeId, NodeStatus, TimerId};

use crate::tier::client::{Replayer, Requester};
use crate::tier::message::Msg;
use crate::tier::server::{CacheNode, Db};

pub(crate) type Ctx<'a, 'b> = &'a mut Context<'b, CacheTierNode>;

/// A node of a cache run.
pub enum CacheTierNode {
    /// A cache node: one eviction policy over its share of the keys.
    Cache(Box<CacheNode>),
    /// The database.
    Db(Db),
    /// The client replaying the trace.
    Replayer(Box<Replayer>),
    /// A client drawing reads and writes from a Zipf catalogue.
    Requester(Box<Requester>),
}

/// Every timer of a cache run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A client's next request (a timed replay's next due request).
    Arrival,
    /// A client's next storm request.
    Storm,
    /// A client's request got no answer in time.
    Timeout(u64),
    /// A cache-aside client told to wait asks again.
    Retry(u64),
    /// A writer resends an unacknowledged invalidation (a delete, or an update to this
    /// version, written at this time).
    Resend(u64, Option<(u64, i64)>),
    /// A cache node's database read got no answer in time.
    DbTimeout(u64),
    /// A cache node's database write got no answer in time.
    WriteTimeout(u64),
    /// Write-behind: a key's flush is due.
    Flush(u64),
}

impl Node for CacheTierNode {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            CacheTierNode::Replayer(r) => r.start(ctx),
            CacheTierNode::Requester(r) => r.start(ctx),
            CacheTierNode::Cache(_) | CacheTierNode::Db(_) => {}
        }
    }

    fn on_restart(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            CacheTierNode::Cache(c) => c.restarted(ctx),
            _ => self.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            CacheTierNode::Cache(c) => c.on_message(ctx, from, msg),
            CacheTierNode::Db(db) => db.on_message(ctx, from, msg),
            CacheTierNode::Replayer(r) => r.on_message(ctx, msg),
            CacheTierNode::Requester(r) => r.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, timer: Timer) {
        match self {
            CacheTierNode::Requester(r) => r.on_timer(ctx, timer),
            CacheTierNode::Replayer(r) => r.on_timer(ctx, timer),
            CacheTierNode::Cache(c) => match timer {
                Timer::DbTimeout(read) => c.db_timeout(ctx, read),
                Timer::WriteTimeout(id) => c.write_timeout(ctx, id),
                Timer::Flush(key) => c.flush(ctx, key),
                _ => {}
            },
            CacheTierNode::Db(_) => {}
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            CacheTierNode::Cache(_) => NodeStatus { role: "cache", leading: false, term: 0 },
            CacheTierNode::Db(_) => NodeStatus { role: "db", leading: false, term: 0 },
            CacheTierNode::Replayer(_) | CacheTierNode::Requester(_) => NodeStatus::default(),
        }
    }
}
