//! A server: a replica of the keys placement gives it, and a coordinator of the client
//! operations it is asked (or forwarded) to run.
//!
//! A coordinator runs each operation in at most two phases over the key's replicas: a query
//! (`Get` to every replica, wait for R answers) and an update (`Put` to every replica, wait for
//! W acknowledgements). While a membership change is unsettled, "the key's replicas" are its
//! replicas in every placement from the last settled epoch on, and a quorum is R (or W) in
//! each of them (see [`crate::rebalance`]). Eventual mode writes with one update stamped by the coordinator's clock
//! and reads with one query. Linearizable mode is ABD: a write queries for the highest version
//! and updates with a higher one; a read queries, writes the newest version back with an update,
//! and only then answers. An operation without its quorum within `request_timeout` is given up
//! without an answer, so the client's operation stays indeterminate, as it should.

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{Context, NodeId, SimTime, TimerId};
use workload::{ClientReply, ClientRequest, KvOp, KvResult};

use crate::config::{Bug, Consistency, Coordinator, ShardingConfig};
use crate::message::Msg;
use crate::node::{ShardNode, Timer};
use crate::observer::{AckedWrite, AnsweredRead, SharedObserver};
use crate::placement::{Placement, SharedPlacements};
use crate::rebalance::Epochs;
use crate::version::{Stored, Version, newest};

type Ctx<'a, 'b> = &'a mut Context<'b, ShardNode>;

/// The storage key of a replica's copy of `key`: zero-padded, so keys sort as numbers.
fn storage_key(key: u64) -> String {
    format!("kv/{key:020}")
}

/// What a server's disk holds for `key` (for the checks, after the run).
pub fn stored_on(storage: &sim_core::Storage, key: u64) -> Option<Stored> {
    storage.get(&storage_key(key)).ok().flatten().and_then(Stored::decode)
}

/// The keys a server's disk holds a copy of, in order.
pub fn keys_on(storage: &sim_core::Storage) -> Vec<u64> {
    storage.keys_with_prefix("kv/").filter_map(|k| k["kv/".len()..].parse().ok()).collect()
}

/// Which phase an operation waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for R answers to `Get` in every placement.
    Query,
    /// Waiting for W acknowledgements of `Put` in every placement.
    Update,
}

/// Who an operation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// A client's read or write.
    Client { client: NodeId, request_id: u64 },
    /// A key this server migrates for a membership change (a read with write-back whose
    /// answer goes nowhere); `local` is this server's own copy, one of the answers.
    Migration { local: Stored },
}

/// One operation a coordinator runs.
#[derive(Debug)]
struct Operation {
    purpose: Purpose,
    key: u64,
    /// The value a write writes (`None`: a read or a migration).
    write: Option<i64>,
    phase: Phase,
    /// The key's replicas in each placement the operation must reach a quorum in.
    groups: Vec<Vec<NodeId>>,
    /// Every replica in any of them, once each.
    targets: Vec<NodeId>,
    answers: BTreeMap<NodeId, Option<Stored>>,
    acks: Vec<NodeId>,
    /// What the update phase writes, and a read answers.
    chosen: Option<Stored>,
    timer: TimerId,
    started: SimTime,
    /// Past this (local clock) the operation is given up, whatever arrives: a coordinator that
    /// was paused must not finish with answers from before its pause.
    deadline: i64,
}

impl Operation {
    /// Whether `q` of the nodes that `has` holds for are in every group, counting only the
    /// servers still present (`present`), and all of a group that has fewer than `q` of them.
    /// With fewer members than N a key has fewer replicas, and min(R, n) + min(W, n) > n still
    /// holds for any n ≤ N when R + W > N. A server that departed without draining is gone
    /// with its disk: waiting for it would block the key for good, and what only it held is
    /// lost to that fault (Acknowledged Writes Survive names such writes).
    fn quorum(
        &self,
        q: u32,
        has: impl Fn(NodeId) -> bool,
        present: impl Fn(NodeId) -> bool,
    ) -> bool {
        self.groups.iter().all(|g| {
            let here = g.iter().filter(|&&n| present(n)).count();
            g.iter().filter(|&&n| has(n)).count() >= (q as usize).min(here)
        })
    }
}

/// Migrations a server runs at once: a membership change moves many keys, and a burst of
/// them all at once would crowd the clients' operations out.
const MIGRATIONS_AT_ONCE: usize = 32;

/// A server of a sharding run.
pub struct Server {
    id: NodeId,
    config: Arc<ShardingConfig>,
    observer: SharedObserver,
    /// The run's placement at every epoch, shared by every server.
    placements: SharedPlacements,
    epochs: Option<Epochs>,
    next_op: u64,
    ops: BTreeMap<u64, Operation>,
    /// Keys of the epoch being migrated that wait for a free slot, with this server's copy.
    to_migrate: BTreeMap<u64, Stored>,
    /// The epoch being migrated, and its migrations running.
    migrating: Option<(u64, u32)>,
    /// Whether the gossip timer is set.
    ticking: bool,
    /// Whether the observer records every store (runs where servers can leave); read once
    /// here, so that other runs' stores take no lock.
    track_stores: bool,
}

impl Server {
    /// A server built by the kernel's factory (at the start and after every crash): only its
    /// disk outlives a crash.
    pub fn new(
        id: NodeId,
        config: Arc<ShardingConfig>,
        observer: SharedObserver,
        placements: SharedPlacements,
    ) -> Self {
        let track_stores = observer.lock().expect("observer").track_stores;
        Server {
            id,
            track_stores,
            config,
            observer,
            placements,
            epochs: None,
            next_op: 1,
            ops: BTreeMap::new(),
            to_migrate: BTreeMap::new(),
            migrating: None,
            ticking: false,
        }
    }

    /// The epochs this server has settled and is at (for the checks, after the run).
    pub fn settled_and_current(&self) -> Option<(u64, u64)> {
        self.epochs.as_ref().map(|e| (e.settled, e.current))
    }

    /// Starts (or restarts): numbers its operations afresh and takes up rebalancing where its
    /// disk says it was. Operation ids carry a boot count kept on disk: answers still on their
    /// way to the previous incarnation must not count toward a new operation's quorum.
    pub fn start(&mut self, ctx: Ctx) {
        let boots = ctx
            .storage()
            .get("boots")
            .ok()
            .flatten()
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_le_bytes)
            + 1;
        ctx.storage().put("boots", boots.to_le_bytes().to_vec());
        ctx.storage().sync();
        self.next_op = (boots << 40) | 1;
        self.epochs = Some(Epochs::start(ctx, &self.placements));
        self.progress(ctx);
    }

    /// The membership changed: place keys over the new members, alongside the old until the
    /// move has settled.
    pub fn membership_changed(&mut self, ctx: Ctx) {
        let Some(epochs) = self.epochs.as_mut() else { return };
        if self.config.bug == Some(Bug::SwitchBeforeCopy) {
            let before = epochs.newest().cloned();
            epochs.refresh(ctx, &self.placements);
            epochs.settle_at_once();
            if let Some(before) = before {
                self.push_moved(ctx, &*before);
            }
        } else {
            epochs.refresh(ctx, &self.placements);
        }
        self.restart_phases(ctx);
        self.progress(ctx);
    }

    /// The `switch-before-copy` bug's move: each moved key is sent to its new replicas, and
    /// nobody waits for it to arrive before using them.
    fn push_moved(&mut self, ctx: Ctx, before: &dyn Placement) {
        let Some(after) = self.epochs.as_ref().and_then(|e| e.newest().cloned()) else { return };
        let n = self.config.replicas as usize;
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for key in keys_on(ctx.storage()) {
            before.replicas(key, n, &mut old);
            after.replicas(key, n, &mut new);
            let Some(stored) = self.read_local(ctx, key) else { continue };
            for &r in new.iter().filter(|r| !old.contains(r) && **r != self.id.0) {
                ctx.send(NodeId(r), Msg::Put { op: 0, key, stored });
            }
        }
    }

    /// Settles what it can, starts the next migration, drops copies it no longer holds, and
    /// keeps the gossip going while a move is unsettled.
    fn progress(&mut self, ctx: Ctx) {
        let Some(epochs) = self.epochs.as_mut() else { return };
        let me = self.id;
        if epochs.settle(ctx, me) {
            epochs.refresh(ctx, &self.placements);
            epochs.save(ctx.storage());
        }
        if self.migrating.is_none()
            && let Some(j) = epochs.next_to_migrate()
        {
            self.begin_migration(ctx, j);
        }
        let epochs = self.epochs.as_ref().expect("started");
        if epochs.is_settled() {
            self.drop_unowned(ctx);
        } else if !self.ticking {
            self.ticking = true;
            ctx.set_timer(self.config.rebalance_interval, Timer::Rebalance);
        }
    }

    /// The gossip timer: tell every present server how far this one has got, and send each
    /// running migration's messages again to the replicas that have not answered (a lost
    /// message would otherwise cost a whole `request_timeout`, and a move settles only when
    /// every key of every server has moved).
    pub fn on_tick(&mut self, ctx: Ctx) {
        self.ticking = false;
        self.report(ctx);
        let migrations: Vec<u64> = self
            .ops
            .iter()
            .filter(|(_, o)| matches!(o.purpose, Purpose::Migration { .. }))
            .map(|(&op, _)| op)
            .collect();
        for op in migrations {
            self.send_phase_to(ctx, op, false);
        }
        self.progress(ctx);
    }

    /// This server's rebalancing progress, as it gossips it (`reply`: an answer to a peer's).
    fn progress_message(&self, reply: bool) -> Option<Msg> {
        let e = self.epochs.as_ref()?;
        Some(Msg::Migrated { migrated: e.migrated, settled: e.settled, reply })
    }

    /// Tells every other present server how far this one has got.
    fn report(&self, ctx: Ctx) {
        let Some(msg) = self.progress_message(false) else { return };
        let peers: Vec<NodeId> =
            ctx.topology().servers().filter(|&s| s != self.id && ctx.is_present(s)).collect();
        for s in peers {
            ctx.send(s, msg.clone());
        }
    }

    /// Begins migrating epoch `j`: every key this server holds whose replicas changed from
    /// `j - 1` to `j`.
    fn begin_migration(&mut self, ctx: Ctx, j: u64) {
        let epochs = self.epochs.as_ref().expect("started");
        // Nobody to move keys to yet: wait for a member.
        let Some(after) = epochs.at(j).cloned() else { return };
        // Nobody was a member before j (the history keeps the last members when all leave, so
        // only at the start): nothing was placed, nothing moves.
        let Some(before) = epochs.at(j - 1).cloned() else {
            self.migrating = Some((j, 0));
            self.migrate_more(ctx);
            return;
        };
        let n = self.config.replicas as usize;
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for key in keys_on(ctx.storage()) {
            before.replicas(key, n, &mut old);
            after.replicas(key, n, &mut new);
            if old != new
                && let Some(stored) = self.read_local(ctx, key)
            {
                self.to_migrate.insert(key, stored);
            }
        }
        self.migrating = Some((j, 0));
        self.migrate_more(ctx);
    }

    /// Starts migrations up to the limit; ends the epoch's migration when none is left.
    fn migrate_more(&mut self, ctx: Ctx) {
        let Some((j, mut running)) = self.migrating else { return };
        while (running as usize) < MIGRATIONS_AT_ONCE
            && let Some((key, local)) = self.to_migrate.pop_first()
        {
            running += 1;
            self.begin(ctx, Purpose::Migration { local }, key, None);
        }
        self.migrating = Some((j, running));
        if running == 0 {
            self.migrating = None;
            let epochs = self.epochs.as_mut().expect("started");
            epochs.migrated = epochs.migrated.max(j);
            epochs.save(ctx.storage());
            ctx.metrics().count("sharding.epochs_migrated", 1);
            self.report(ctx);
            self.progress(ctx);
        }
    }

    /// A migration ended (done, or given up: then its key waits for another try).
    fn migration_ended(&mut self, ctx: Ctx, key: u64, retry: Option<Stored>) {
        if let Some((_, running)) = self.migrating.as_mut() {
            *running -= 1;
            if let Some(local) = retry {
                self.to_migrate.insert(key, local);
            }
            self.migrate_more(ctx);
        }
    }

    /// Once the current epoch has settled, the copies its placement does not give this server
    /// are dropped: their replicas have them.
    fn drop_unowned(&mut self, ctx: Ctx) {
        let Some(newest) = self.epochs.as_ref().and_then(|e| e.newest().cloned()) else { return };
        let mut replicas = Vec::new();
        let n = self.config.replicas as usize;
        let (mut kept, mut dropped) = (0, 0);
        for key in keys_on(ctx.storage()) {
            newest.replicas(key, n, &mut replicas);
            if replicas.contains(&self.id.0) {
                kept += 1;
            } else {
                ctx.storage().delete(&storage_key(key));
                dropped += 1;
            }
        }
        if dropped > 0 {
            ctx.storage().sync();
            ctx.set_here("sharding.keys", kept);
        }
    }

    /// Whether this server is a replica of `key` in a placement operations still use.
    fn replica_of(&self, key: u64) -> bool {
        let Some(epochs) = self.epochs.as_ref() else { return false };
        let mut replicas = Vec::new();
        epochs.placements().any(|p| {
            p.replicas(key, self.config.replicas as usize, &mut replicas);
            replicas.contains(&self.id.0)
        })
    }

    /// Handles a message.
    pub fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(req) => self.on_request(ctx, req, true),
            Msg::Forward(req) => self.on_request(ctx, req, false),
            Msg::Get { op, key } => {
                ctx.count_here("sharding.replica_ops", 1);
                let stored = self.read_local(ctx, key);
                ctx.send(from, Msg::GetReply { op, stored });
            }
            Msg::Put { op, key, stored } => {
                ctx.count_here("sharding.replica_ops", 1);
                // A coordinator that has not heard that a move settled still writes to the
                // old replicas too; one that is no longer a replica acknowledges without
                // keeping a copy (the new placement's quorum holds it).
                if self.replica_of(key) {
                    self.write_local(ctx, key, stored);
                }
                if op != 0 {
                    ctx.send(from, Msg::PutAck { op });
                }
            }
            Msg::GetReply { op, stored } => self.on_answer(ctx, op, from, stored),
            Msg::PutAck { op } => self.on_ack(ctx, op, from),
            Msg::Migrated { migrated, settled, reply } => {
                if let Some(epochs) = self.epochs.as_mut()
                    && epochs.heard(from, migrated, settled)
                {
                    epochs.refresh(ctx, &self.placements);
                    epochs.save(ctx.storage());
                }
                if !reply && let Some(msg) = self.progress_message(true) {
                    ctx.send(from, msg);
                }
                self.progress(ctx);
            }
            Msg::Reply(_) => {}
        }
    }

    /// An operation's timer fired: no quorum in time; give it up without an answer.
    pub fn on_timeout(&mut self, ctx: Ctx, op: u64) {
        if let Some(o) = self.ops.remove(&op) {
            self.given_up(ctx, o);
        }
    }

    fn given_up(&mut self, ctx: Ctx, o: Operation) {
        ctx.metrics().count("sharding.ops_given_up", 1);
        if let Purpose::Migration { local } = o.purpose {
            self.migration_ended(ctx, o.key, Some(local));
        }
    }

    fn read_local(&self, ctx: Ctx, key: u64) -> Option<Stored> {
        ctx.storage().get(&storage_key(key)).ok().flatten().and_then(Stored::decode)
    }

    /// Keeps `stored` if it is newer than what this replica holds, durably before any ack.
    fn write_local(&self, ctx: Ctx, key: u64, stored: Stored) {
        let current = self.read_local(ctx, key);
        if current.is_none() {
            ctx.count_here("sharding.keys", 1);
        }
        if current.is_none_or(|c| stored.version > c.version) {
            ctx.storage().put(&storage_key(key), stored.encode());
            ctx.storage().sync();
            if self.track_stores {
                let at = ctx.sim_time();
                let mut observer = self.observer.lock().expect("observer");
                observer.stores.entry(key).or_default().push((self.id, stored.version, at));
            }
        }
    }

    fn on_request(&mut self, ctx: Ctx, req: ClientRequest, may_forward: bool) {
        let key = req.op.key();
        let first = self.epochs.as_ref().and_then(|e| e.newest()).map(|p| NodeId(p.owner(key)));
        if may_forward
            && self.config.coordinator == Coordinator::Replica
            && let Some(first) = first.filter(|&f| f != self.id)
        {
            ctx.send(first, Msg::Forward(req));
            return;
        }
        let write = match req.op {
            KvOp::Read { .. } => None,
            KvOp::Write { value, .. } => Some(value),
            // Validation keeps compare-and-set out of a quorum store: nothing to compare with.
            KvOp::Cas { .. } => {
                let reply = ClientReply { request_id: req.request_id, result: KvResult::CasFailed };
                ctx.send(req.client, Msg::Reply(reply));
                return;
            }
        };
        let purpose = Purpose::Client { client: req.client, request_id: req.request_id };
        self.begin(ctx, purpose, key, write);
    }

    /// Starts an operation on `key` over the replicas of every placement in use.
    fn begin(&mut self, ctx: Ctx, purpose: Purpose, key: u64, write: Option<i64>) {
        let op = self.next_op;
        self.next_op += 1;
        let (groups, targets) = self.replica_groups(key);
        let timer = ctx.set_timer(self.config.request_timeout, Timer::Operation(op));
        let eventual_write = write.is_some() && self.config.consistency == Consistency::Eventual;
        let chosen = write.filter(|_| eventual_write).map(|value| Stored {
            value,
            version: Version { stamp: ctx.now().0.max(0) as u64, node: self.id.0, op },
        });
        let operation = Operation {
            purpose,
            key,
            write,
            phase: if eventual_write { Phase::Update } else { Phase::Query },
            groups,
            targets,
            answers: BTreeMap::new(),
            acks: Vec::new(),
            chosen,
            timer,
            started: ctx.sim_time(),
            deadline: ctx.now().0.saturating_add(self.config.request_timeout.as_nanos() as i64),
        };
        self.ops.insert(op, operation);
        self.send_phase(ctx, op);
    }

    /// The key's replicas in each placement in use (each list once), and every replica in any
    /// of them once, in preference order, the oldest placement's first.
    fn replica_groups(&self, key: u64) -> (Vec<Vec<NodeId>>, Vec<NodeId>) {
        let mut groups = Vec::new();
        for p in self.epochs.iter().flat_map(|e| e.placements()) {
            let mut replicas = Vec::new();
            p.replicas(key, self.config.replicas as usize, &mut replicas);
            let group: Vec<NodeId> = replicas.into_iter().map(NodeId).collect();
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        let mut targets: Vec<NodeId> = Vec::new();
        for &n in groups.iter().flatten() {
            if !targets.contains(&n) {
                targets.push(n);
            }
        }
        (groups, targets)
    }

    /// The membership changed under running operations: each starts its phase again over the
    /// placements now in use. A write that reached only the old replicas could otherwise be
    /// acknowledged after a migration had copied the key without it, and vanish from the new
    /// placement once the move settles.
    fn restart_phases(&mut self, ctx: Ctx) {
        let running: Vec<u64> = self.ops.keys().copied().collect();
        for op in running {
            let key = self.ops[&op].key;
            let (groups, targets) = self.replica_groups(key);
            let o = self.ops.get_mut(&op).expect("running");
            o.groups = groups;
            o.targets = targets;
            o.answers.clear();
            o.acks.clear();
            self.send_phase(ctx, op);
        }
    }

    fn send_phase(&mut self, ctx: Ctx, op: u64) {
        self.send_phase_to(ctx, op, true);
    }

    /// Sends the operation's current phase to its targets: all of them, or (`all` false) those
    /// that have not answered it yet.
    fn send_phase_to(&mut self, ctx: Ctx, op: u64, all: bool) {
        let o = &self.ops[&op];
        let answered = |r: &NodeId| match o.phase {
            Phase::Query => o.answers.contains_key(r),
            Phase::Update => o.acks.contains(r),
        };
        for r in o.targets.iter().filter(|r| all || !answered(r)) {
            let r = *r;
            let msg = match (o.phase, o.chosen) {
                (Phase::Update, Some(stored)) => Msg::Put { op, key: o.key, stored },
                _ => Msg::Get { op, key: o.key },
            };
            ctx.send(r, msg);
        }
    }

    /// Gives `op` up if its deadline passed (its timer may not have fired yet: a pause holds
    /// timers and answers alike); true if it did.
    fn expired(&mut self, ctx: Ctx, op: u64) -> bool {
        let now = ctx.now().0;
        if self.ops.get(&op).is_some_and(|o| now > o.deadline) {
            let o = self.ops.remove(&op).expect("present");
            ctx.cancel_timer(o.timer);
            self.given_up(ctx, o);
            return true;
        }
        false
    }

    fn on_answer(&mut self, ctx: Ctx, op: u64, from: NodeId, stored: Option<Stored>) {
        if self.expired(ctx, op) {
            return;
        }
        let r = self.config.r;
        let Some(o) = self.ops.get_mut(&op).filter(|o| o.phase == Phase::Query) else { return };
        o.answers.insert(from, stored);
        if !o.quorum(r, |n| o.answers.contains_key(&n), |n| ctx.is_present(n)) {
            return;
        }
        let newest = newest(o.answers.values());
        match (o.write, o.purpose) {
            // ABD write: one past the highest version a quorum held.
            (Some(value), _) => {
                let stamp = newest.map_or(0, |s| s.version.stamp) + 1;
                let version = Version { stamp, node: self.id.0, op };
                o.chosen = Some(Stored { value, version });
                o.phase = Phase::Update;
                self.send_phase(ctx, op);
            }
            // A migration writes the newest it knows, its own copy included, everywhere.
            (None, Purpose::Migration { local }) => {
                o.chosen = newest.filter(|n| n.version > local.version).or(Some(local));
                o.phase = Phase::Update;
                self.send_phase(ctx, op);
            }
            (None, Purpose::Client { .. }) => {
                if self.config.read_repair
                    && let Some(best) = newest
                {
                    self.repair(ctx, op, best);
                }
                let o = self.ops.get_mut(&op).expect("still running");
                let write_back = self.config.consistency == Consistency::Linearizable
                    && self.config.bug != Some(Bug::NoWriteBack)
                    && newest.is_some();
                o.chosen = newest;
                if write_back {
                    o.phase = Phase::Update;
                    self.send_phase(ctx, op);
                } else {
                    self.finish(ctx, op);
                }
            }
        }
    }

    /// Read repair: the newest version goes to every replica that answered an older one (or
    /// none); a replica that holds a newer one by then keeps its own.
    fn repair(&self, ctx: Ctx, op: u64, best: Stored) {
        let o = &self.ops[&op];
        let mut repaired = false;
        for (&r, answer) in &o.answers {
            if answer.is_none_or(|s| s.version < best.version) {
                ctx.send(r, Msg::Put { op: 0, key: o.key, stored: best });
                repaired = true;
            }
        }
        if repaired {
            ctx.metrics().count("sharding.read_repairs", 1);
        }
    }

    fn on_ack(&mut self, ctx: Ctx, op: u64, from: NodeId) {
        if self.expired(ctx, op) {
            return;
        }
        let w = self.config.w;
        let Some(o) = self.ops.get_mut(&op).filter(|o| o.phase == Phase::Update) else { return };
        if !o.acks.contains(&from) {
            o.acks.push(from);
        }
        if o.quorum(w, |n| o.acks.contains(&n), |n| ctx.is_present(n)) {
            self.finish(ctx, op);
        }
    }

    fn finish(&mut self, ctx: Ctx, op: u64) {
        let o = self.ops.remove(&op).expect("a running operation");
        ctx.cancel_timer(o.timer);
        let (client, request_id) = match o.purpose {
            Purpose::Client { client, request_id } => (client, request_id),
            Purpose::Migration { .. } => {
                ctx.metrics().count("sharding.keys_migrated", 1);
                self.migration_ended(ctx, o.key, None);
                return;
            }
        };
        let now = ctx.sim_time();
        let result = match o.write {
            Some(value) => {
                let version = o.chosen.expect("a write has its version").version;
                let w = AckedWrite {
                    key: o.key,
                    value,
                    version,
                    started: o.started,
                    acked: now,
                    acked_by: o.acks.clone(),
                };
                self.observer.lock().expect("observer").writes.push(w);
                KvResult::Ok(None)
            }
            None => {
                let version = o.chosen.map(|s| s.version);
                let r = AnsweredRead { key: o.key, version, started: o.started, answered: now };
                self.observer.lock().expect("observer").reads.push(r);
                KvResult::Ok(o.chosen.map(|s| s.value))
            }
        };
        ctx.metrics().count("sharding.ops_answered", 1);
        ctx.send(client, Msg::Reply(ClientReply { request_id, result }));
    }
}
