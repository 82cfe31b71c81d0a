//! The clients of a cache run: the trace replayer, and the requesters drawing reads and writes
//! from a Zipf catalogue (with an optional near cache and hot-key storm).

use std::collections::BTreeMap;
use std::sync::Arc;

use sharding::placement::Placement;
use sim_core::{LocalTime, NodeId, SimDuration, SimTime, TimerId};

use crate::tier::config::{Bug, CacheConfig, Invalidation, Mode};
use crate::tier::message::{Answer, Msg, Value};
use crate::tier::node::{Ctx, Timer};
use crate::tier::observer::{Level, SharedObserver};
use crate::tier::server::later;
use crate::{Capacity, Policy, Queue, Trace, Zipf};

/// The client replaying a trace in file order, each request to its key's cache node: one at a
/// time (the next when the last is answered), or at the trace's timestamps divided by `speed`.
pub struct Replayer {
    trace: Arc<Trace>,
    owners: Arc<Vec<NodeId>>,
    /// The next request to send.
    next: usize,
    /// Replay at the timestamps, this many times faster (`None`: one at a time).
    speed: Option<f64>,
    /// Per request (by its index in the trace), when it was sent and its timeout, while it
    /// is in flight.
    sent: Vec<Option<(SimTime, TimerId)>>,
    /// How long to wait for an answer before asking again (a message can be lost).
    timeout: SimDuration,
    observer: SharedObserver,
}

impl Replayer {
    /// A replayer of `trace`; `owners[i]` is the cache node of request `i`'s key.
    pub fn new(
        trace: Arc<Trace>,
        owners: Arc<Vec<NodeId>>,
        speed: Option<f64>,
        timeout: SimDuration,
        observer: SharedObserver,
    ) -> Self {
        let sent = vec![None; trace.requests().len()];
        Replayer { trace, owners, next: 0, speed, sent, timeout, observer }
    }

    pub(crate) fn start(&mut self, ctx: Ctx) {
        match self.speed {
            None => self.send_next(ctx),
            Some(_) => self.send_due(ctx),
        }
    }

    fn send_next(&mut self, ctx: Ctx) {
        if self.next >= self.trace.requests().len() {
            return;
        }
        let id = self.next as u64;
        let timer = self.send(ctx, id);
        self.sent[self.next] = Some((ctx.sim_time(), timer));
        self.next += 1;
    }

    /// Sends request `id` (again, if its answer is overdue); returns its timeout.
    fn send(&mut self, ctx: Ctx, id: u64) -> TimerId {
        let i = id as usize;
        let request = self.trace.requests()[i];
        let next_use = self.trace.next_uses()[i];
        let msg = Msg::Get { id, key: request.key, size: request.size_bytes, next_use };
        ctx.send(self.owners[i], msg);
        ctx.set_timer(self.timeout, Timer::Timeout(id))
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Arrival => self.send_due(ctx),
            Timer::Timeout(id) if self.sent.get(id as usize).is_some_and(Option::is_some) => {
                let timer = self.send(ctx, id);
                if let Some(Some(entry)) = self.sent.get_mut(id as usize) {
                    entry.1 = timer;
                }
            }
            _ => {}
        }
    }

    /// When simulated time reaches request `i`'s timestamp (counted from the first's, scaled).
    fn due(&self, i: usize) -> Option<SimTime> {
        let (first, request) = (self.trace.requests().first()?, self.trace.requests().get(i)?);
        let seconds = request.time.saturating_sub(first.time) as f64 / self.speed?;
        Some(SimTime((seconds * 1e9) as u64))
    }

    /// Sends every request whose time has come and sets a timer for the next.
    pub(crate) fn send_due(&mut self, ctx: Ctx) {
        while self.due(self.next).is_some_and(|at| at <= ctx.sim_time()) {
            self.send_next(ctx);
        }
        if let Some(at) = self.due(self.next) {
            ctx.set_timer(at.saturating_since(ctx.sim_time()), Timer::Arrival);
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, msg: Msg) {
        let Msg::Reply { id, answer } = msg else { return };
        let Some(request) = self.trace.requests().get(id as usize) else { return };
        let Some((began, timer)) = self.sent.get_mut(id as usize).and_then(Option::take) else {
            return;
        };
        ctx.cancel_timer(timer);
        let (value, level) = match answer {
            Answer::Hit(v) => (v, Level::Tier),
            Answer::Filled(v) => (v, Level::Db),
            Answer::Miss { .. } | Answer::Wait => return,
        };
        let me = ctx.id();
        self.observer.lock().expect("observer").read(
            me,
            request.key,
            request.size_bytes,
            value,
            level,
            began,
            true,
        );
        if self.speed.is_none() {
            self.send_next(ctx);
        }
    }
}

/// What a requester's request is waiting for.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// A read's answer from the cache.
    Get,
    /// Cache-aside with leases: another reader holds the lease; asking again soon.
    Waiting,
    /// Cache-aside: the database's answer, then a set with this token.
    DbRead { token: Option<u64> },
    /// A write's database commit.
    DbWrite,
    /// The cache node's acknowledgement of the invalidation (then `then_write`: the database
    /// write comes after, as the delete-before-write bug does it).
    Invalidating { then_write: bool },
    /// A write-through or write-behind write's acknowledgement.
    Write,
}

/// A request in flight.
#[derive(Clone, Copy, Debug)]
struct Request {
    key: u64,
    /// The write's id (writes only).
    write_id: Option<u64>,
    phase: Phase,
    began: SimTime,
    /// After the warm-up: counted in the figures.
    counted: bool,
    /// Given up on (timed out): an invalidation still goes on.
    abandoned: bool,
}

/// A client's near cache (L1): an LRU of values, each expiring `near_ttl` after the read that
/// filled it began. Nothing invalidates it but the client's own writes.
struct NearCache {
    lru: Queue,
    values: BTreeMap<u64, (Value, LocalTime)>,
    ttl: SimDuration,
}

/// A client drawing reads and writes from a Zipf catalogue at Poisson arrivals (the
/// independent reference model Che's approximation assumes), plus the storm's requests.
pub struct Requester {
    zipf: Arc<Zipf>,
    ring: Arc<dyn Placement>,
    config: Arc<CacheConfig>,
    db: NodeId,
    /// The mean gap between this client's requests, in nanoseconds.
    mean_gap_ns: f64,
    /// The same for the storm's.
    storm_gap_ns: f64,
    object_size: u64,
    /// Requests sent before this are not counted.
    warmup: SimTime,
    next_id: u64,
    in_flight: BTreeMap<u64, Request>,
    near: Option<NearCache>,
    observer: SharedObserver,
}

impl Requester {
    /// One of the run's clients.
    pub fn new(
        zipf: Arc<Zipf>,
        ring: Arc<dyn Placement>,
        config: Arc<CacheConfig>,
        db: NodeId,
        observer: SharedObserver,
    ) -> Self {
        let w = config.zipf_workload();
        let clients = f64::from(w.clients);
        let near = config.near_capacity.map(|n| NearCache {
            lru: Queue::lru(Capacity::Entries(n)),
            values: BTreeMap::new(),
            ttl: config.near_ttl.unwrap_or_default(),
        });
        Requester {
            zipf,
            ring,
            db,
            mean_gap_ns: 1e9 * clients / w.rate,
            storm_gap_ns: config.storm.as_ref().map_or(0.0, |s| 1e9 * clients / s.rate),
            object_size: w.object_size,
            warmup: SimTime(w.warmup.as_nanos()),
            next_id: 0,
            in_flight: BTreeMap::new(),
            near,
            observer,
            config,
        }
    }

    /// Waits an exponential gap (inverse transform, `libm::log`: the same bits everywhere).
    fn gap(ctx: Ctx, mean_ns: f64) -> SimDuration {
        let u = ctx.rng().unit_f64();
        SimDuration((-libm::log(1.0 - u) * mean_ns) as u64)
    }

    pub(crate) fn start(&mut self, ctx: Ctx) {
        let gap = Self::gap(ctx, self.mean_gap_ns);
        ctx.set_timer(gap, Timer::Arrival);
        if let Some(storm) = &self.config.storm {
            // The storm's first arrival, counted from its start.
            let at = storm.at + Self::gap(ctx, self.storm_gap_ns);
            ctx.set_timer(at, Timer::Storm);
        }
    }

    fn owner(&self, key: u64) -> NodeId {
        NodeId(self.ring.owner(key))
    }

    /// The catalogue's next request: a read or, with `write_ratio`, a write.
    pub(crate) fn arrival(&mut self, ctx: Ctx) {
        let key = self.zipf.sample(ctx.rng());
        let write = ctx.rng().unit_f64() < self.config.write_ratio();
        if write {
            self.write(ctx, key)
        } else {
            self.read(ctx, key)
        }
        let gap = Self::gap(ctx, self.mean_gap_ns);
        ctx.set_timer(gap, Timer::Arrival);
    }

    /// The storm's next read, while it lasts.
    pub(crate) fn storm(&mut self, ctx: Ctx) {
        let Some(storm) = self.config.storm.clone() else { return };
        if storm.duration.is_some_and(|d| ctx.sim_time() >= SimTime(0) + storm.at + d) {
            return;
        }
        let key = ctx.rng().below(storm.keys);
        self.read(ctx, key);
        let gap = Self::gap(ctx, self.storm_gap_ns);
        ctx.set_timer(gap, Timer::Storm);
    }

    fn begin(&mut self, ctx: Ctx, key: u64, write_id: Option<u64>, phase: Phase) -> u64 {
        self.next_id += 1;
        let now = ctx.sim_time();
        let request = Request {
            key,
            write_id,
            phase,
            began: now,
            counted: now >= self.warmup,
            abandoned: false,
        };
        self.in_flight.insert(self.next_id, request);
        ctx.set_timer(self.config.timeout, Timer::Timeout(self.next_id));
        self.next_id
    }

    fn read(&mut self, ctx: Ctx, key: u64) {
        if let Some(near) = &mut self.near {
            let now = ctx.now();
            match near.values.get(&key) {
                Some(&(value, expires)) if expires > now && near.lru.request(key, 1, None) => {
                    let (me, at) = (ctx.id(), ctx.sim_time());
                    let counted = at >= self.warmup;
                    let stale = self.observer.lock().expect("observer").read(
                        me,
                        key,
                        self.object_size,
                        value,
                        Level::Near,
                        at,
                        counted,
                    );
                    if counted {
                        record(ctx, Level::Near, SimDuration::ZERO, true, stale);
                    }
                    return;
                }
                Some(_) => {
                    near.values.remove(&key);
                }
                None => {}
            }
        }
        let id = self.begin(ctx, key, None, Phase::Get);
        let msg = Msg::Get { id, key, size: self.object_size, next_use: None };
        ctx.send(self.owner(key), msg);
    }

    fn write(&mut self, ctx: Ctx, key: u64) {
        if let Some(near) = &mut self.near {
            near.values.remove(&key);
            near.lru.remove(key);
        }
        // Unique in the run: the client's id in the high bits.
        let write_id = (u64::from(ctx.id().0) << 40) | (self.next_id + 1);
        let mode = self.config.mode();
        // Write-through's cache node invalidates when the database answers it.
        let through = (mode == Mode::WriteThrough).then(|| self.owner(key));
        self.observer.lock().expect("observer").write_started(write_id, through);
        let size = self.object_size;
        if !mode.writer_invalidates() {
            let id = self.begin(ctx, key, Some(write_id), Phase::Write);
            ctx.send(self.owner(key), Msg::Write { id, key, size, write_id });
        } else if self.config.bug == Some(Bug::DeleteBeforeWrite) {
            let id = self.begin(ctx, key, Some(write_id), Phase::Invalidating { then_write: true });
            self.send_invalidation(ctx, id, None);
        } else {
            let id = self.begin(ctx, key, Some(write_id), Phase::DbWrite);
            self.send_db_write(ctx, id);
        }
    }

    /// Sends a write to the database (again, if its answer is overdue).
    fn send_db_write(&mut self, ctx: Ctx, id: u64) {
        let Some(r) = self.in_flight.get(&id) else { return };
        let (key, write_id) = (r.key, r.write_id.expect("a write"));
        ctx.send(self.db, Msg::DbWrite { id, key, write_id });
        let now = ctx.sim_time();
        self.observer.lock().expect("observer").attempt(write_id, now);
    }

    fn send_invalidation(&mut self, ctx: Ctx, id: u64, update: Option<(u64, i64)>) {
        let Some(r) = self.in_flight.get(&id) else { return };
        let (key, write_id) = (r.key, r.write_id.expect("a write"));
        ctx.send(self.owner(key), Msg::Invalidate { id, key, write_id, update });
        ctx.set_timer(self.config.retry, Timer::Resend(id, update));
        let now = ctx.sim_time();
        self.observer.lock().expect("observer").attempt(write_id, now);
    }

    /// The request is answered: figures, and the near cache's fill.
    fn done(&mut self, ctx: Ctx, id: u64, value: Option<(Value, Level)>) {
        let Some(r) = self.in_flight.remove(&id) else { return };
        if r.abandoned {
            return;
        }
        let latency = ctx.sim_time().saturating_since(r.began);
        let me = ctx.id();
        match value {
            Some((value, level)) => {
                let stale = self.observer.lock().expect("observer").read(
                    me,
                    r.key,
                    self.object_size,
                    value,
                    level,
                    r.began,
                    r.counted,
                );
                if let Some(near) = &mut self.near {
                    near.lru.request(r.key, 1, None);
                    let began = LocalTime(ctx.now().0 - latency.as_nanos() as i64);
                    near.values.insert(r.key, (value, later(began, near.ttl)));
                    if near.values.len() > 2 * near.lru.len() + 1024 {
                        let lru = &near.lru;
                        near.values.retain(|k, _| lru.contains(*k));
                    }
                }
                if r.counted {
                    record(ctx, level, latency, self.near.is_some(), stale);
                }
            }
            None => {
                if r.counted {
                    self.observer.lock().expect("observer").writes += 1;
                    ctx.metrics().record("cache.write_latency_us", latency.as_nanos() / 1000);
                }
            }
        }
    }

    /// The cache node's answer to a read.
    fn answered(&mut self, ctx: Ctx, id: u64, answer: Answer) {
        let phase = self.in_flight.get(&id).map(|r| r.phase);
        match (answer, phase) {
            (Answer::Hit(v), Some(_)) => self.done(ctx, id, Some((v, Level::Tier))),
            (Answer::Filled(v), Some(_)) => self.done(ctx, id, Some((v, Level::Db))),
            // A miss while asking, or while told to wait (a duplicate "wait" came late).
            (Answer::Miss { key, token }, Some(Phase::Get | Phase::Waiting)) => {
                let r = self.in_flight.get_mut(&id).expect("in flight");
                r.phase = Phase::DbRead { token };
                ctx.send(self.db, Msg::DbRead { id, key, token });
            }
            // A lease nobody will use (its read is answered or reading already): given back
            // at once, or the key waits out its expiry.
            (Answer::Miss { key, token: Some(token) }, _) => {
                ctx.send(self.owner(key), Msg::Release { key, token });
            }
            (Answer::Wait, Some(Phase::Get)) => {
                // One retry at a time, however many answers (duplicates) say wait.
                let r = self.in_flight.get_mut(&id).expect("in flight");
                r.phase = Phase::Waiting;
                if r.counted {
                    self.observer.lock().expect("observer").lease_waits += 1;
                }
                ctx.set_timer(self.config.retry, Timer::Retry(id));
            }
            _ => {}
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, msg: Msg) {
        match msg {
            Msg::Reply { id, answer } => self.answered(ctx, id, answer),
            Msg::DbValue { id, version, read_at } => {
                let Some(r) = self.in_flight.get(&id) else { return };
                let Phase::DbRead { token } = r.phase else { return };
                let key = r.key;
                let size = self.object_size;
                ctx.send(self.owner(key), Msg::Set { key, size, version, read_at, token });
                self.done(ctx, id, Some((Value::Version(version), Level::Db)));
            }
            Msg::DbWriteAck { id, version, at } => {
                let Some(r) = self.in_flight.get_mut(&id) else { return };
                if !matches!(r.phase, Phase::DbWrite) {
                    return;
                }
                let invalidates = self.config.invalidation != Invalidation::None
                    && self.config.bug != Some(Bug::NoInvalidation);
                if !invalidates {
                    self.done(ctx, id, None);
                    return;
                }
                r.phase = Phase::Invalidating { then_write: false };
                let update =
                    (self.config.invalidation == Invalidation::Update).then_some((version, at));
                self.send_invalidation(ctx, id, update);
            }
            Msg::InvalidateAck { id } => {
                let Some(r) = self.in_flight.get_mut(&id) else { return };
                match r.phase {
                    Phase::Invalidating { then_write: true } => {
                        r.phase = Phase::DbWrite;
                        self.send_db_write(ctx, id);
                    }
                    Phase::Invalidating { then_write: false } => self.done(ctx, id, None),
                    _ => {}
                }
            }
            Msg::WriteAck { id } => {
                if matches!(self.in_flight.get(&id), Some(Request { phase: Phase::Write, .. })) {
                    self.done(ctx, id, None);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Arrival => self.arrival(ctx),
            Timer::Storm => self.storm(ctx),
            Timer::Retry(id) => {
                let Some(r) = self.in_flight.get_mut(&id) else { return };
                if !matches!(r.phase, Phase::Waiting) {
                    return;
                }
                r.phase = Phase::Get;
                let key = r.key;
                let msg = Msg::Get { id, key, size: self.object_size, next_use: None };
                ctx.send(self.owner(key), msg);
            }
            Timer::Resend(id, update) => {
                if matches!(
                    self.in_flight.get(&id),
                    Some(Request { phase: Phase::Invalidating { .. }, .. })
                ) {
                    self.send_invalidation(ctx, id, update);
                }
            }
            Timer::Timeout(id) => self.timeout(ctx, id),
            _ => {}
        }
    }

    /// No answer in time: the request counts as unanswered. A read is given up. A database
    /// write is sent again until the database answers (it applies each write id once): only
    /// then may its invalidation go, since an invalidation that lands before a late commit
    /// leaves the old value to be cached again. An invalidation is resent until acknowledged.
    fn timeout(&mut self, ctx: Ctx, id: u64) {
        let Some(r) = self.in_flight.get_mut(&id) else { return };
        if r.counted && !r.abandoned {
            self.observer.lock().expect("observer").unanswered += 1;
        }
        r.abandoned = true;
        match r.phase {
            Phase::DbWrite => {
                self.send_db_write(ctx, id);
                ctx.set_timer(self.config.timeout, Timer::Timeout(id));
            }
            Phase::Invalidating { .. } => {}
            Phase::Get | Phase::Waiting | Phase::DbRead { .. } | Phase::Write => {
                self.in_flight.remove(&id);
            }
        }
    }
}

/// A counted read's figures over time: the hit ratio (overall, per level), the latency of
/// hits and misses, and stale reads with their age.
fn record(ctx: Ctx, level: Level, latency: SimDuration, near: bool, stale: Option<SimDuration>) {
    let now = ctx.sim_time();
    let m = ctx.metrics();
    if let Some(age) = stale {
        m.add_to_series("stale_reads", now, 1);
        m.add_to_series("stale_age_us", now, age.as_nanos() / 1000);
    }
    m.add_to_series("hit", now, u64::from(level != Level::Db));
    if near {
        m.add_to_series("near_hit", now, u64::from(level == Level::Near));
    }
    if level != Level::Near {
        m.add_to_series("tier_hit", now, u64::from(level == Level::Tier));
    }
    let us = latency.as_nanos() / 1000;
    let (series, histogram) = match level {
        Level::Db => ("latency_miss_us", "cache.latency_miss_us"),
        Level::Near | Level::Tier => ("latency_hit_us", "cache.latency_hit_us"),
    };
    m.add_to_series(series, now, us);
    m.record(histogram, us);
}
