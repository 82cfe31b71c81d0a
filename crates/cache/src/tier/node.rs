//! The nodes of a cache run: cache nodes, the database and the replaying client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim_core::{Context, Node, NodeId, NodeStatus, TimerId};

use crate::tier::message::Msg;
use crate::{Policy, Trace};

type Ctx<'a, 'b> = &'a mut Context<'b, CacheTierNode>;

/// What the client saw, for the checks and metrics (it outlives crashes: the test harness).
#[derive(Debug, Default)]
pub struct Observer {
    /// Requests answered.
    pub requests: u64,
    /// Their bytes.
    pub request_bytes: u64,
    /// Requests the cache missed.
    pub misses: u64,
    /// Their bytes.
    pub miss_bytes: u64,
    /// Answers whose version was not the database's (none can be while nothing writes).
    pub stale: u64,
}

/// The observer the nodes share.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// A node of a cache run.
pub enum CacheTierNode {
    /// A cache node: one eviction policy over its share of the keys.
    Cache(Box<CacheNode>),
    /// The database: every object's current version.
    Db,
    /// The client replaying the trace.
    Replayer(Box<Replayer>),
}

/// A cache node: a policy, and the client requests waiting on the database (read-through).
pub struct CacheNode {
    policy: Box<dyn Policy>,
    waiting: BTreeMap<u64, (NodeId, u64)>,
    next_read: u64,
    db: NodeId,
}

impl CacheNode {
    /// An empty cache node (at the start, and after a crash: a cache is memory).
    pub fn new(policy: Box<dyn Policy>, db: NodeId) -> Self {
        CacheNode { policy, waiting: BTreeMap::new(), next_read: 0, db }
    }

    fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Get { id, key, size, next_use } => {
                // A miss admits the object at once (libCacheSim's semantics); its value comes
                // from the database before the client is answered.
                if self.policy.request(key, size, next_use) {
                    ctx.metrics().count("cache.hits", 1);
                    ctx.send(from, Msg::Reply { id, hit: true, version: 0 });
                } else {
                    ctx.metrics().count("cache.misses", 1);
                    self.next_read += 1;
                    self.waiting.insert(self.next_read, (from, id));
                    ctx.send(self.db, Msg::DbRead { id: self.next_read, key });
                }
            }
            Msg::DbValue { id, version } => {
                if let Some((client, request)) = self.waiting.remove(&id) {
                    ctx.send(client, Msg::Reply { id: request, hit: false, version });
                }
            }
            Msg::Reply { .. } | Msg::DbRead { .. } => {}
        }
    }
}

/// The client replaying a trace: one request at a time, in file order, each to its key's
/// cache node.
pub struct Replayer {
    trace: Arc<Trace>,
    owners: Arc<Vec<NodeId>>,
    next: usize,
    observer: SharedObserver,
}

impl Replayer {
    /// A replayer of `trace`; `owners[i]` is the cache node of request `i`'s key.
    pub fn new(trace: Arc<Trace>, owners: Arc<Vec<NodeId>>, observer: SharedObserver) -> Self {
        Replayer { trace, owners, next: 0, observer }
    }

    fn send_next(&mut self, ctx: Ctx) {
        let Some(request) = self.trace.requests().get(self.next) else { return };
        let next_use = self.trace.next_uses()[self.next];
        let msg =
            Msg::Get { id: self.next as u64, key: request.key, size: request.size_bytes, next_use };
        ctx.send(self.owners[self.next], msg);
    }

    fn on_message(&mut self, ctx: Ctx, msg: Msg) {
        let Msg::Reply { id, hit, version } = msg else { return };
        if id != self.next as u64 {
            return;
        }
        let size = self.trace.requests()[self.next].size_bytes;
        {
            let mut o = self.observer.lock().expect("observer");
            o.requests += 1;
            o.request_bytes += size;
            if !hit {
                o.misses += 1;
                o.miss_bytes += size;
            }
            // Nothing writes the database yet: every object is at version 0.
            o.stale += u64::from(version != 0);
        }
        self.next += 1;
        self.send_next(ctx);
    }
}

impl Node for CacheTierNode {
    type Msg = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        if let CacheTierNode::Replayer(r) = self {
            r.send_next(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match self {
            CacheTierNode::Cache(c) => c.on_message(ctx, from, msg),
            CacheTierNode::Db => {
                if let Msg::DbRead { id, .. } = msg {
                    ctx.send(from, Msg::DbValue { id, version: 0 });
                }
            }
            CacheTierNode::Replayer(r) => r.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, _ctx: &mut Context<'_, Self>, _id: TimerId, _timer: ()) {}

    fn status(&self) -> NodeStatus {
        match self {
            CacheTierNode::Cache(_) => NodeStatus { role: "cache", leading: false, term: 0 },
            CacheTierNode::Db => NodeStatus { role: "db", leading: false, term: 0 },
            CacheTierNode::Replayer(_) => NodeStatus::default(),
        }
    }
}
