//! The nodes of a cache run: cache nodes, the database and the replaying client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sharding::placement::Placement;
use sim_core::{Context, Node, NodeId, NodeStatus, SimDuration, SimTime, TimerId};

use crate::tier::message::Msg;
use crate::{Policy, Trace, Zipf};

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
    /// A client drawing independent requests from a Zipf catalogue.
    Requester(Box<Requester>),
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

/// The client replaying a trace in file order, each request to its key's cache node: one at a
/// time (the next when the last is answered), or at the trace's timestamps divided by `speed`.
pub struct Replayer {
    trace: Arc<Trace>,
    owners: Arc<Vec<NodeId>>,
    /// The next request to send.
    next: usize,
    /// Replay at the timestamps, this many times faster (`None`: one at a time).
    speed: Option<f64>,
    observer: SharedObserver,
}

impl Replayer {
    /// A replayer of `trace`; `owners[i]` is the cache node of request `i`'s key.
    pub fn new(
        trace: Arc<Trace>,
        owners: Arc<Vec<NodeId>>,
        speed: Option<f64>,
        observer: SharedObserver,
    ) -> Self {
        Replayer { trace, owners, next: 0, speed, observer }
    }

    fn start(&mut self, ctx: Ctx) {
        match self.speed {
            None => self.send_next(ctx),
            Some(_) => self.send_due(ctx),
        }
    }

    fn send_next(&mut self, ctx: Ctx) {
        let Some(request) = self.trace.requests().get(self.next) else { return };
        let next_use = self.trace.next_uses()[self.next];
        let id = self.next as u64;
        let msg = Msg::Get { id, key: request.key, size: request.size_bytes, next_use };
        ctx.send(self.owners[self.next], msg);
        self.next += 1;
    }

    /// When simulated time reaches request `i`'s timestamp (counted from the first's, scaled).
    fn due(&self, i: usize) -> Option<SimTime> {
        let (first, request) = (self.trace.requests().first()?, self.trace.requests().get(i)?);
        let seconds = request.time.saturating_sub(first.time) as f64 / self.speed?;
        Some(SimTime((seconds * 1e9) as u64))
    }

    /// Sends every request whose time has come and sets a timer for the next.
    fn send_due(&mut self, ctx: Ctx) {
        while self.due(self.next).is_some_and(|at| at <= ctx.sim_time()) {
            self.send_next(ctx);
        }
        if let Some(at) = self.due(self.next) {
            ctx.set_timer(at.saturating_since(ctx.sim_time()), ());
        }
    }

    fn on_message(&mut self, ctx: Ctx, msg: Msg) {
        let Msg::Reply { id, hit, version } = msg else { return };
        let Some(request) = self.trace.requests().get(id as usize) else { return };
        let size = request.size_bytes;
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
        if self.speed.is_none() {
            self.send_next(ctx);
        }
    }
}

/// A client drawing independent requests from a Zipf catalogue at Poisson arrivals (the
/// independent reference model Che's approximation assumes), each to its key's cache node.
pub struct Requester {
    zipf: Arc<Zipf>,
    ring: Arc<dyn Placement>,
    /// The mean gap between this client's requests, in nanoseconds.
    mean_gap_ns: f64,
    object_size: u64,
    /// Requests sent before this are not counted.
    warmup: SimTime,
    next_id: u64,
    /// Requests in flight: whether each counts.
    in_flight: BTreeMap<u64, bool>,
    observer: SharedObserver,
}

impl Requester {
    /// One of `clients` clients sharing `rate` requests per second.
    pub fn new(
        zipf: Arc<Zipf>,
        ring: Arc<dyn Placement>,
        workload: &crate::tier::config::ZipfWorkload,
        observer: SharedObserver,
    ) -> Self {
        Requester {
            zipf,
            ring,
            mean_gap_ns: 1e9 * f64::from(workload.clients) / workload.rate,
            object_size: workload.object_size,
            warmup: SimTime(workload.warmup.as_nanos()),
            next_id: 0,
            in_flight: BTreeMap::new(),
            observer,
        }
    }

    /// Waits an exponential gap (inverse transform, `libm::log`: the same bits everywhere).
    fn schedule(&mut self, ctx: Ctx) {
        let u = ctx.rng().unit_f64();
        let gap = -libm::log(1.0 - u) * self.mean_gap_ns;
        ctx.set_timer(SimDuration(gap as u64), ());
    }

    fn send(&mut self, ctx: Ctx) {
        let key = self.zipf.sample(ctx.rng());
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, ctx.sim_time() >= self.warmup);
        let owner = NodeId(self.ring.owner(key));
        ctx.send(owner, Msg::Get { id, key, size: self.object_size, next_use: None });
        self.schedule(ctx);
    }

    fn on_message(&mut self, msg: Msg) {
        let Msg::Reply { id, hit, version } = msg else { return };
        if self.in_flight.remove(&id) != Some(true) {
            return;
        }
        let mut o = self.observer.lock().expect("observer");
        o.requests += 1;
        o.request_bytes += self.object_size;
        if !hit {
            o.misses += 1;
            o.miss_bytes += self.object_size;
        }
        o.stale += u64::from(version != 0);
    }
}

impl Node for CacheTierNode {
    type Msg = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        match self {
            CacheTierNode::Replayer(r) => r.start(ctx),
            CacheTierNode::Requester(r) => r.schedule(ctx),
            CacheTierNode::Cache(_) | CacheTierNode::Db => {}
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
            CacheTierNode::Requester(r) => r.on_message(msg),
        }
    }

    /// The one timer: a requester's next arrival, a timed replay's next request.
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, _timer: ()) {
        match self {
            CacheTierNode::Requester(r) => r.send(ctx),
            CacheTierNode::Replayer(r) => r.send_due(ctx),
            CacheTierNode::Cache(_) | CacheTierNode::Db => {}
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            CacheTierNode::Cache(_) => NodeStatus { role: "cache", leading: false, term: 0 },
            CacheTierNode::Db => NodeStatus { role: "db", leading: false, term: 0 },
            CacheTierNode::Replayer(_) | CacheTierNode::Requester(_) => NodeStatus::default(),
        }
    }
}
