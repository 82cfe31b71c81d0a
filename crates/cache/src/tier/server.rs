//! The servers of a cache run: cache nodes and the database.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use std::sync::Arc;

use sim_core::{LocalTime, NodeId, SimDuration};

use crate::Policy;
use crate::tier::config::{Bug, CacheConfig, Mode};
use crate::tier::message::{Answer, Msg, Value};
use crate::tier::node::{Ctx, Timer};
use crate::tier::observer::SharedObserver;

/// `t` plus `d` on a local clock, saturating.
pub fn later(t: LocalTime, d: SimDuration) -> LocalTime {
    LocalTime(t.0.saturating_add(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)))
}

/// A cached value and when it expires (on the cache node's clock).
#[derive(Clone, Copy, Debug)]
struct Entry {
    value: Value,
    expires: Option<LocalTime>,
}

/// A database read in flight for a miss (read-through), and the readers waiting on it.
#[derive(Debug)]
struct PendingRead {
    key: u64,
    /// The key's generation when the read was issued: a fill is cached only if no
    /// invalidation or write came since.
    generation: u64,
    waiters: Vec<(NodeId, u64)>,
    /// The object's size, for the policy.
    size: u64,
}

/// A database write in flight from this node (write-through, or a write-behind flush).
#[derive(Debug)]
struct PendingWrite {
    key: u64,
    size: u64,
    write_id: u64,
    /// The client to answer (write-through).
    client: Option<(NodeId, u64)>,
}

/// A cache node: an eviction policy over its share of the keys, their values, and what the
/// mode needs besides (reads and writes in flight, leases, write-behind's dirty keys). All of
/// it is memory: a restarted node starts empty.
pub struct CacheNode {
    policy: Box<dyn Policy>,
    /// Looked up by key, never iterated for a decision (a sweep drops what the policy
    /// evicted, whatever the order): a hash map.
    entries: FxHashMap<u64, Entry>,
    /// Per key, how many invalidations and writes the node has processed.
    generations: BTreeMap<u64, u64>,
    reads: BTreeMap<u64, PendingRead>,
    /// The read each key's misses coalesce on.
    read_of_key: BTreeMap<u64, u64>,
    /// Per key, the lease tokens out and when each expires.
    leases: BTreeMap<u64, Vec<(u64, LocalTime)>>,
    /// Per key, until when it hands out no lease.
    held_off: BTreeMap<u64, LocalTime>,
    writes: BTreeMap<u64, PendingWrite>,
    /// Per key, write-through writes in flight (fills are not cached meanwhile) and the
    /// newest version the database has acknowledged to them, with its time.
    writing: BTreeMap<u64, (u32, Option<(u64, i64)>)>,
    /// Write-behind: each key's latest unflushed write and its size.
    dirty: BTreeMap<u64, (u64, u64)>,
    /// Write-behind: keys with a flush scheduled or in flight.
    flushing: BTreeSet<u64>,
    next_id: u64,
    config: Arc<CacheConfig>,
    db: NodeId,
    observer: SharedObserver,
}

impl CacheNode {
    /// An empty cache node (at the start, and after a crash: a cache is memory).
    pub fn new(
        policy: Box<dyn Policy>,
        config: Arc<CacheConfig>,
        db: NodeId,
        observer: SharedObserver,
    ) -> Self {
        CacheNode {
            policy,
            entries: FxHashMap::default(),
            generations: BTreeMap::new(),
            reads: BTreeMap::new(),
            read_of_key: BTreeMap::new(),
            leases: BTreeMap::new(),
            held_off: BTreeMap::new(),
            writes: BTreeMap::new(),
            writing: BTreeMap::new(),
            dirty: BTreeMap::new(),
            flushing: BTreeSet::new(),
            next_id: 0,
            config,
            db,
            observer,
        }
    }

    /// A restart: the node is empty, and the harness notes it. Answers to the last
    /// incarnation's database reads and writes may still arrive: its ids start at random, so
    /// that none is taken for one of its own.
    pub fn restarted(&mut self, ctx: Ctx) {
        self.next_id = ctx.rng().next_u64() >> 1;
        self.observer.lock().expect("observer").restarted(ctx.id(), ctx.sim_time());
    }

    fn bug(&self, bug: Bug) -> bool {
        self.config.bug == Some(bug)
    }

    fn generation(&self, key: u64) -> u64 {
        self.generations.get(&key).copied().unwrap_or(0)
    }

    /// The value `key` holds now, if any (an expired one is dropped).
    fn lookup(&mut self, ctx: Ctx, key: u64) -> Option<Value> {
        let entry = *self.entries.get(&key)?;
        if entry.expires.is_some_and(|at| at <= ctx.now()) {
            self.entries.remove(&key);
            return None;
        }
        Some(entry.value)
    }

    /// Caches `value` for `key`, read by the database at `read_at`: unless the cache already
    /// holds a newer version, or (write-behind) an unflushed write.
    fn store(&mut self, ctx: Ctx, key: u64, size: u64, value: Value, read_at: i64) -> bool {
        if let (Value::Version(v), Some(Entry { value: Value::Version(held), .. })) =
            (value, self.entries.get(&key))
        {
            if *held > v {
                return false;
            }
        }
        if self.dirty.contains_key(&key) && !matches!(value, Value::Unflushed(_)) {
            return false;
        }
        if !self.policy.contains(key) {
            self.policy.request(key, size, None);
            if !self.policy.contains(key) {
                return false; // too big, or W-TinyLFU declined it
            }
        }
        let expires = match (value, self.config.ttl) {
            (Value::Version(_), Some(ttl)) => {
                let jitter = self.config.ttl_jitter * ctx.rng().unit_f64();
                let ttl = SimDuration((ttl.as_nanos() as f64 * (1.0 - jitter)) as u64);
                Some(later(LocalTime(read_at), ttl))
            }
            _ => None,
        };
        self.entries.insert(key, Entry { value, expires });
        // Values of keys the policy evicted linger until a sweep drops them.
        if self.entries.len() > 2 * self.policy.len() + 1024 {
            let (policy, dirty) = (&self.policy, &self.dirty);
            self.entries.retain(|k, _| policy.contains(*k) || dirty.contains_key(k));
        }
        true
    }

    /// A write or an invalidation changed `key`: drop its value and its leases, stop
    /// coalescing on its read in flight, and hold off new leases for a while.
    fn invalidate(&mut self, ctx: Ctx, key: u64) {
        self.observer.lock().expect("observer").detached(key);
        *self.generations.entry(key).or_default() += 1;
        self.read_of_key.remove(&key);
        self.leases.remove(&key);
        if self.config.hold_off > SimDuration::ZERO {
            self.held_off.insert(key, later(ctx.now(), self.config.hold_off));
        }
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Get { id, key, size, next_use } => self.get(ctx, from, id, key, size, next_use),
            Msg::Set { key, size, version, read_at, token } => {
                self.set(ctx, key, size, version, read_at, token)
            }
            Msg::Invalidate { id, key, write_id, update } => {
                self.invalidate(ctx, key);
                match update {
                    Some((version, at)) => {
                        if self.entries.contains_key(&key) {
                            self.store(ctx, key, 0, Value::Version(version), at);
                        }
                    }
                    None => {
                        self.entries.remove(&key);
                        self.policy.remove(key);
                    }
                }
                self.observer.lock().expect("observer").invalidated(write_id, key, ctx.sim_time());
                ctx.send(from, Msg::InvalidateAck { id });
            }
            Msg::Release { key, token } => self.release(key, token),
            Msg::Write { id, key, size, write_id } => {
                self.write(ctx, from, id, key, size, write_id)
            }
            Msg::DbValue { id, version, read_at } => self.filled(ctx, id, version, read_at),
            Msg::DbWriteAck { id, version, at } => self.written(ctx, id, version, at),
            Msg::Reply { .. }
            | Msg::InvalidateAck { .. }
            | Msg::WriteAck { .. }
            | Msg::DbRead { .. }
            | Msg::DbWrite { .. } => {}
        }
    }

    fn get(&mut self, ctx: Ctx, client: NodeId, id: u64, key: u64, size: u64, next: Option<u64>) {
        // A miss admits the object at once (libCacheSim's semantics); its value comes later.
        // A value the policy evicted may linger in `entries` until a sweep: it is not served.
        let cached = if self.policy.request(key, size, next) {
            self.lookup(ctx, key)
        } else {
            self.entries.remove(&key);
            None
        };
        let value = cached.or_else(|| self.dirty.get(&key).map(|&(id, _)| Value::Unflushed(id)));
        if let Some(value) = value {
            if let Value::Version(v) = value {
                let (me, now) = (ctx.id(), ctx.sim_time());
                self.observer.lock().expect("observer").served(me, key, v, now);
            }
            ctx.metrics().count("cache.hits", 1);
            ctx.send(client, Msg::Reply { id, answer: Answer::Hit(value) });
            return;
        }
        ctx.metrics().count("cache.misses", 1);
        if self.config.mode() == Mode::CacheAside {
            let answer = self.lease(ctx, key);
            ctx.send(client, Msg::Reply { id, answer });
            return;
        }
        let coalesce = self.config.coalesce() && !self.bug(Bug::NoCoalescing);
        if let Some(read) = self.read_of_key.get(&key).and_then(|r| self.reads.get_mut(r)) {
            if coalesce {
                read.waiters.push((client, id));
                self.observer.lock().expect("observer").coalesced += 1;
                return;
            }
        }
        self.next_id += 1;
        let read = self.next_id;
        let generation = self.generation(key);
        self.reads.insert(read, PendingRead { key, generation, waiters: vec![(client, id)], size });
        self.observer.lock().expect("observer").db_read_issued(key, ctx.id(), read);
        self.read_of_key.insert(key, read);
        ctx.send(self.db, Msg::DbRead { id: read, key, token: None });
        ctx.set_timer(self.config.timeout, Timer::DbTimeout(read));
    }

    /// Cache-aside: a miss's answer. Under leases, a token if none is out (and the key is not
    /// held off), else "wait".
    fn lease(&mut self, ctx: Ctx, key: u64) -> Answer {
        if !self.config.leases() {
            return Answer::Miss { key, token: None };
        }
        let now = ctx.now();
        if self.held_off.get(&key).is_some_and(|&until| until > now) {
            return Answer::Wait;
        }
        let tokens = self.leases.entry(key).or_default();
        let mut observer = self.observer.lock().expect("observer");
        tokens.retain(|&(token, expires)| {
            let live = expires > now;
            if !live {
                observer.lease_ended(key, token);
            }
            live
        });
        drop(observer);
        if !tokens.is_empty() && self.config.bug != Some(Bug::NoCoalescing) {
            return Answer::Wait;
        }
        // Random tokens: a restarted node cannot mistake an old token for one of its own.
        let token = ctx.rng().next_u64();
        let expires = later(now, self.config.timeout);
        // Under leases, the token is the coalescing: one holder reads the database.
        let (me, at) = (ctx.id(), ctx.sim_time());
        self.observer.lock().expect("observer").lease_issued(key, token, me, at);
        self.leases.entry(key).or_default().push((token, expires));
        Answer::Miss { key, token: Some(token) }
    }

    /// A client gives back a lease it will not use.
    fn release(&mut self, key: u64, token: u64) {
        if let Some(tokens) = self.leases.get_mut(&key) {
            tokens.retain(|&(t, _)| t != token);
            self.observer.lock().expect("observer").lease_ended(key, token);
        }
    }

    fn set(
        &mut self,
        ctx: Ctx,
        key: u64,
        size: u64,
        version: u64,
        read_at: i64,
        token: Option<u64>,
    ) {
        if self.config.leases() {
            let now = ctx.now();
            let tokens = self.leases.entry(key).or_default();
            let valid = tokens.iter().position(|&(t, expires)| Some(t) == token && expires > now);
            match valid {
                Some(i) => {
                    let (token, _) = tokens.remove(i);
                    self.observer.lock().expect("observer").lease_ended(key, token);
                }
                None if self.config.bug == Some(Bug::LeaseIgnored) => {}
                None => {
                    self.observer.lock().expect("observer").sets_refused += 1;
                    return;
                }
            }
        }
        if self.store(ctx, key, size, Value::Version(version), read_at) {
            self.observer.lock().expect("observer").set_accepted(key, version, ctx.sim_time());
        }
    }

    fn filled(&mut self, ctx: Ctx, read: u64, version: u64, read_at: i64) {
        let Some(r) = self.reads.remove(&read) else { return };
        if self.read_of_key.get(&r.key) == Some(&read) {
            self.read_of_key.remove(&r.key);
        }
        let me = ctx.id();
        self.observer.lock().expect("observer").db_read_done(r.key, me, read);
        let unchanged =
            r.generation == self.generation(r.key) && !self.writing.contains_key(&r.key);
        // A key the policy evicted while its read was out is not brought back.
        if unchanged && self.policy.contains(r.key) {
            self.store(ctx, r.key, r.size, Value::Version(version), read_at);
        }
        for (client, id) in r.waiters {
            ctx.send(client, Msg::Reply { id, answer: Answer::Filled(Value::Version(version)) });
        }
    }

    /// A database read got no answer in time: sent again (the same read: its readers still
    /// wait on it).
    pub(crate) fn db_timeout(&mut self, ctx: Ctx, read: u64) {
        let Some(r) = self.reads.get(&read) else { return };
        ctx.send(self.db, Msg::DbRead { id: read, key: r.key, token: None });
        ctx.set_timer(self.config.timeout, Timer::DbTimeout(read));
    }

    fn write(&mut self, ctx: Ctx, client: NodeId, id: u64, key: u64, size: u64, write_id: u64) {
        let now = ctx.sim_time();
        match self.config.mode() {
            Mode::WriteBehind => {
                if let Some((earlier, _)) = self.dirty.insert(key, (write_id, size))
                    && earlier != write_id
                {
                    self.observer.lock().expect("observer").superseded(earlier, write_id);
                }
                self.store(ctx, key, size, Value::Unflushed(write_id), 0);
                self.observer.lock().expect("observer").acknowledged_behind(
                    write_id,
                    ctx.id(),
                    now,
                );
                ctx.send(client, Msg::WriteAck { id });
                if self.flushing.insert(key) {
                    ctx.set_timer(self.config.flush_delay, Timer::Flush(key));
                }
            }
            _ => {
                // Write-through: drop the copy and cache no fill until the database answers.
                self.invalidate(ctx, key);
                self.entries.remove(&key);
                self.writing.entry(key).or_default().0 += 1;
                self.send_write(ctx, key, size, write_id, Some((client, id)));
            }
        }
    }

    fn send_write(
        &mut self,
        ctx: Ctx,
        key: u64,
        size: u64,
        write_id: u64,
        client: Option<(NodeId, u64)>,
    ) {
        self.next_id += 1;
        let id = self.next_id;
        self.writes.insert(id, PendingWrite { key, size, write_id, client });
        ctx.send(self.db, Msg::DbWrite { id, key, write_id });
        if client.is_some() {
            let now = ctx.sim_time();
            self.observer.lock().expect("observer").attempt(write_id, now);
        }
        ctx.set_timer(self.config.timeout, Timer::WriteTimeout(id));
    }

    /// Write-behind: the key's flush is due: send its latest write to the database.
    pub(crate) fn flush(&mut self, ctx: Ctx, key: u64) {
        match self.dirty.get(&key) {
            Some(&(write_id, size)) => self.send_write(ctx, key, size, write_id, None),
            None => {
                self.flushing.remove(&key);
            }
        }
    }

    /// The database answered a write: the key's version now, and the time.
    fn written(&mut self, ctx: Ctx, id: u64, version: u64, at: i64) {
        let Some(w) = self.writes.remove(&id) else { return };
        match w.client {
            Some((client, request)) => {
                // Acknowledgements can arrive out of order: the last write in flight to be
                // answered caches the newest version the database reported to any of them.
                if let Some((v, at)) = self.write_done(ctx, &w, (version, at)) {
                    self.store(ctx, w.key, w.size, Value::Version(v), at);
                }
                ctx.send(client, Msg::WriteAck { id: request });
            }
            None => {
                if self.dirty.get(&w.key).is_some_and(|&(id, _)| id == w.write_id) {
                    self.dirty.remove(&w.key);
                    self.flushing.remove(&w.key);
                    let unflushed = Value::Unflushed(w.write_id);
                    if self.entries.get(&w.key).is_some_and(|e| e.value == unflushed) {
                        // Now a version like any other, expiring as the TTL says.
                        self.entries.remove(&w.key);
                        self.store(ctx, w.key, w.size, Value::Version(version), at);
                    }
                } else {
                    // A newer write came meanwhile: flush it next.
                    ctx.set_timer(self.config.flush_delay, Timer::Flush(w.key));
                }
            }
        }
    }

    /// Write-through: the database answered a write. This is the write's invalidation: reads
    /// in flight since before it no longer fill or coalesce. When no other write of the key is
    /// in flight, returns the newest version acknowledged, to cache.
    fn write_done(&mut self, ctx: Ctx, w: &PendingWrite, acked: (u64, i64)) -> Option<(u64, i64)> {
        self.invalidate(ctx, w.key);
        self.observer.lock().expect("observer").invalidated(w.write_id, w.key, ctx.sim_time());
        let (in_flight, newest) = self.writing.entry(w.key).or_default();
        *in_flight = in_flight.saturating_sub(1);
        *newest = (*newest).max(Some(acked));
        if *in_flight > 0 {
            return None;
        }
        self.writing.remove(&w.key).and_then(|(_, newest)| newest)
    }

    /// A database write got no answer: it may or may not have committed, and only the
    /// database's answer says which version it made, so it is sent again (the database applies
    /// each write id once) until one comes.
    pub(crate) fn write_timeout(&mut self, ctx: Ctx, id: u64) {
        let Some(w) = self.writes.get(&id) else { return };
        ctx.send(self.db, Msg::DbWrite { id, key: w.key, write_id: w.write_id });
        ctx.set_timer(self.config.timeout, Timer::WriteTimeout(id));
        if w.client.is_some() {
            let (write_id, now) = (w.write_id, ctx.sim_time());
            self.observer.lock().expect("observer").attempt(write_id, now);
        }
    }
}

/// The database: every object's current version, durably (`v/<key>`), and the version each
/// write got (`w/<write id>`), so that a write delivered twice is applied once.
pub struct Db {
    config: Arc<CacheConfig>,
    observer: SharedObserver,
}

impl Db {
    /// The database node.
    pub fn new(config: Arc<CacheConfig>, observer: SharedObserver) -> Self {
        Db { config, observer }
    }

    fn read_u64(ctx: Ctx, key: &str) -> Option<u64> {
        let bytes = ctx.storage().get(key).ok()??;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        ctx.busy(self.config.db_service);
        let now = ctx.now().0;
        match msg {
            Msg::DbRead { id, key, token } => {
                let at = ctx.sim_time();
                self.observer.lock().expect("observer").db_read_arrived(key, from, id, token, at);
                let at = ctx.sim_time();
                ctx.metrics().add_to_series("db_reads", at, 1);
                let version = Self::read_u64(ctx, &format!("v/{key}")).unwrap_or(0);
                ctx.send(from, Msg::DbValue { id, version, read_at: now });
            }
            Msg::DbWrite { id, key, write_id } => {
                let (current, done) = (format!("v/{key}"), format!("w/{write_id}"));
                let mut version = Self::read_u64(ctx, &current).unwrap_or(0);
                if Self::read_u64(ctx, &done).is_none() {
                    version += 1;
                    ctx.storage().put(&current, version.to_le_bytes().to_vec());
                    ctx.storage().put(&done, version.to_le_bytes().to_vec());
                    ctx.storage().sync();
                    let at = ctx.sim_time();
                    ctx.metrics().add_to_series("db_writes", at, 1);
                    self.observer.lock().expect("observer").committed(key, write_id, at);
                }
                ctx.send(from, Msg::DbWriteAck { id, version, at: now });
            }
            _ => {}
        }
    }
}
