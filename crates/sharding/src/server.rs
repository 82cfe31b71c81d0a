//! A server: a replica of the keys placement gives it, and a coordinator of the client
//! operations it is asked (or forwarded) to run.
//!
//! A coordinator runs each operation in at most two phases over the key's replicas: a query
//! (`Get` to every replica, wait for R answers) and an update (`Put` to every replica, wait for
//! W acknowledgements). While a membership change is unsettled, "the key's replicas" are its
//! replicas in every placement from the last settled epoch on, and a quorum is R (or W) in
//! each of them (see [`crate::rebalance`]). Eventual mode writes with one update stamped by
//! the coordinator's clock (and, under vector clocks, a clock that descends from the client's
//! context) and reads with one query; a read that finds concurrent versions hands them all to
//! the client, which resolves them and writes the result back. Linearizable mode is ABD: a write queries for the highest version
//! and updates with a higher one; a read queries, writes the newest version back with an update,
//! and only then answers. An operation without its quorum within `request_timeout` is given up
//! without an answer, so the client's operation stays indeterminate, as it should.
//!
//! The repair mechanisms (sloppy quorums' hints, anti-entropy) are in [`crate::repair`].

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{Context, NodeId, SimTime, TimerId};
use workload::{ClientReply, ClientRequest, KvOp, KvResult};

use crate::config::{Bug, Consistency, Coordinator, ShardingConfig, Versions};
use crate::message::Msg;
use crate::node::{ShardNode, Timer};
use crate::observer::{AckedWrite, AnsweredRead, SharedObserver};
use crate::placement::{Placement, SharedPlacements};
use crate::rebalance::Epochs;
use crate::store::{self, keys_on};
use crate::version::{Clock, Siblings, Stored, Version};

pub(crate) type Ctx<'a, 'b> = &'a mut Context<'b, ShardNode>;

/// Which phase an operation waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for R answers to `Get` in every placement.
    Query,
    /// Waiting for W acknowledgements of `Put` in every placement.
    Update,
}

/// Who an operation answers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Purpose {
    /// A client's read or write.
    Client { client: NodeId, request_id: u64 },
    /// A key this server migrates for a membership change (a read with write-back whose
    /// answer goes nowhere); `local` is this server's own copy, one of the answers.
    Migration { local: Siblings },
    /// A client's write-back of siblings it resolved: nobody is answered.
    Resolve,
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
    answers: BTreeMap<NodeId, Siblings>,
    acks: Vec<NodeId>,
    /// Sloppy quorums: the fallbacks asked to stand in, each for the replica it stands in for.
    stand_ins: BTreeMap<NodeId, NodeId>,
    /// What the update phase writes, and a read answers.
    chosen: Siblings,
    timer: TimerId,
    started: SimTime,
    /// Past this (local clock) the operation is given up, whatever arrives: a coordinator that
    /// was paused must not finish with answers from before its pause.
    deadline: i64,
}

impl Operation {
    /// Whether `q` of the nodes that `has` holds for are in every group, counting only the
    /// servers still present (`present`), and all of a group that has fewer than `q` of them.
    /// A stand-in that holds counts for the replica it stands in for.
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
        let stood_in = |n: NodeId| self.stand_ins.iter().any(|(&f, &i)| i == n && has(f));
        self.groups.iter().all(|g| {
            let here = g.iter().filter(|&&n| present(n)).count();
            g.iter().filter(|&&n| has(n) || stood_in(n)).count() >= (q as usize).min(here)
        })
    }
}

/// Vector-clock entries of resolutions: a coordinator `n` that writes a client's resolution
/// back ticks entry `RESOLVERS + n`, apart from the clients' entries (node ids are small).
const RESOLVERS: u32 = 1 << 31;

/// Migrations a server runs at once: a membership change moves many keys, and a burst of
/// them all at once would crowd the clients' operations out.
const MIGRATIONS_AT_ONCE: usize = 32;

/// A server of a sharding run.
pub struct Server {
    pub(crate) id: NodeId,
    pub(crate) config: Arc<ShardingConfig>,
    observer: SharedObserver,
    /// The run's placement at every epoch, shared by every server.
    placements: SharedPlacements,
    pub(crate) epochs: Option<Epochs>,
    next_op: u64,
    ops: BTreeMap<u64, Operation>,
    /// Keys of the epoch being migrated that wait for a free slot, with this server's copy.
    to_migrate: BTreeMap<u64, Siblings>,
    /// The epoch being migrated, and its migrations running.
    migrating: Option<(u64, u32)>,
    /// Whether the gossip timer is set.
    ticking: bool,
    /// Whether the hint handoff timer is set.
    pub(crate) handing_off: bool,
    /// Anti-entropy exchanges begun: which peer is next.
    pub(crate) exchanges: u64,
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
            handing_off: false,
            exchanges: 0,
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
        self.start_repairs(ctx);
    }

    /// The membership changed: this server learns of it at once, or a random delay up to
    /// `view_lag` later (until then it coordinates, routes and places keys by the membership
    /// it knew).
    pub fn membership_changed(&mut self, ctx: Ctx) {
        let epoch = ctx.membership_epoch();
        let lag = self.config.view_lag.as_nanos();
        if lag == 0 {
            self.learn(ctx, epoch);
        } else {
            let after = sim_core::SimDuration(ctx.rng().below(lag + 1));
            ctx.set_timer(after, Timer::Learn(epoch));
        }
    }

    /// This server learns of the membership's epoch `epoch`: it places keys over the new
    /// members, alongside the old until the move has settled.
    pub fn learn(&mut self, ctx: Ctx, epoch: u64) {
        let Some(epochs) = self.epochs.as_mut() else { return };
        if epoch <= epochs.current {
            return;
        }
        if self.config.bug == Some(Bug::SwitchBeforeCopy) {
            let before = epochs.newest().cloned();
            epochs.learn(epoch);
            epochs.refresh(ctx, &self.placements);
            epochs.settle_at_once();
            if let Some(before) = before {
                self.push_moved(ctx, &*before);
            }
        } else {
            epochs.learn(epoch);
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
            let versions = store::held(ctx.storage(), key);
            for &r in new.iter().filter(|r| !old.contains(r) && **r != self.id.0) {
                let (versions, epoch) = (versions.clone(), self.known_epoch());
                ctx.send(NodeId(r), Msg::Put { op: 0, key, versions, epoch });
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
            if old != new {
                self.to_migrate.insert(key, store::held(ctx.storage(), key));
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
    fn migration_ended(&mut self, ctx: Ctx, key: u64, retry: Option<Siblings>) {
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
                store::remove(ctx.storage(), key);
                dropped += 1;
            }
        }
        if dropped > 0 {
            ctx.storage().sync();
            ctx.set_here("sharding.keys", kept);
        }
    }

    /// The newest membership epoch this server knows of.
    fn known_epoch(&self) -> u64 {
        self.epochs.as_ref().map_or(0, |e| e.current)
    }

    /// Epoch fencing between views that lag (`view_lag`): a coordinator's message from a
    /// newer epoch teaches this server of it first; one from an older epoch is refused with
    /// [`Msg::Stale`] (true), so the coordinator learns of this server's and starts over.
    fn refuses_stale(&mut self, ctx: Ctx, from: NodeId, op: u64, epoch: u64) -> bool {
        let known = self.known_epoch();
        if epoch > known {
            self.learn(ctx, epoch);
        } else if epoch < known {
            ctx.send(from, Msg::Stale { op, epoch: known });
            return true;
        }
        false
    }

    /// Whether this server is a replica of `key` in a placement operations still use.
    pub(crate) fn replica_of(&self, key: u64) -> bool {
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
            Msg::Resolve { key, value, context } => {
                self.begin(ctx, Purpose::Resolve, key, Some((value, context)));
            }
            Msg::Get { op, key, epoch } => {
                if self.refuses_stale(ctx, from, op, epoch) {
                    return;
                }
                ctx.count_here("sharding.replica_ops", 1);
                let versions = store::held(ctx.storage(), key);
                ctx.send(from, Msg::GetReply { op, versions });
            }
            Msg::Put { op, key, versions, epoch } => {
                if op != 0 && self.refuses_stale(ctx, from, op, epoch) {
                    return;
                }
                ctx.count_here("sharding.replica_ops", 1);
                // A coordinator that has not heard that a move settled still writes to the
                // old replicas too; one that is no longer a replica acknowledges without
                // keeping a copy (the new placement's quorum holds it).
                if self.replica_of(key) {
                    self.write_local(ctx, key, &versions);
                }
                if op != 0 {
                    ctx.send(from, Msg::PutAck { op });
                }
            }
            Msg::GetReply { op, versions } => self.on_answer(ctx, op, from, versions),
            Msg::PutAck { op } => self.on_ack(ctx, op, from),
            Msg::Stale { epoch, .. } => {
                ctx.metrics().count("sharding.stale_views", 1);
                self.learn(ctx, epoch);
            }
            Msg::Hint { op, key, intended, versions } => {
                self.on_hint(ctx, from, op, key, intended, &versions)
            }
            Msg::Handoff { key, intended, versions } => {
                self.on_handoff(ctx, from, key, intended, versions)
            }
            Msg::HandoffAck { key, intended, versions } => {
                store::drop_hint(ctx.storage(), intended, key, &versions);
            }
            Msg::Sync { entries, reply } => self.on_sync(ctx, from, entries, reply),
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
            Msg::Reply(_) | Msg::ReplySiblings { .. } => {}
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

    /// Adds `incoming` to what this replica holds for `key` (keeping what nothing newer
    /// covers), durably before any ack.
    pub(crate) fn write_local(&self, ctx: Ctx, key: u64, incoming: &Siblings) {
        let mut held = store::held(ctx.storage(), key);
        if held.is_empty() && !incoming.is_empty() {
            ctx.count_here("sharding.keys", 1);
        }
        let keep_one = self.config.bug == Some(Bug::SiblingDropped);
        if held.merge(incoming, keep_one) {
            store::put(ctx.storage(), key, &held);
            if self.track_stores {
                let at = ctx.sim_time();
                let mut observer = self.observer.lock().expect("observer");
                observer.stores.entry(key).or_default().push((self.id, held, at));
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
            // A client's write is blind: under vector clocks its clock is its client's entry
            // alone (the client's request ids rise in the order it issues them), so it
            // descends from that client's earlier writes and is concurrent with all others.
            KvOp::Write { value, .. } => {
                Some((value, Clock::default().tick(req.client.0, req.request_id + 1)))
            }
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

    /// Starts an operation on `key` over the replicas of every placement in use; a write
    /// brings its value and its clock (under vector clocks; empty otherwise), a resolution the
    /// clocks of the siblings it resolves, merged.
    fn begin(&mut self, ctx: Ctx, purpose: Purpose, key: u64, write: Option<(i64, Clock)>) {
        let op = self.next_op;
        self.next_op += 1;
        let (groups, targets) = self.replica_groups(key);
        let timer = ctx.set_timer(self.config.request_timeout, Timer::Operation(op));
        let eventual = self.config.consistency() == Consistency::Eventual;
        let mut chosen = Siblings::default();
        if let Some((value, context)) = write.as_ref().filter(|_| eventual) {
            let version = Version { stamp: ctx.now().0.max(0) as u64, node: self.id.0, op };
            let clock = match (self.config.versions(), &purpose) {
                // A resolution is a new version: it takes an entry of its own, its
                // coordinator's as a resolver (apart from the clients' entries).
                (Versions::VectorClocks, Purpose::Resolve) => {
                    context.clone().tick(RESOLVERS + self.id.0, op)
                }
                (Versions::VectorClocks, _) => context.clone(),
                (Versions::Lww, _) => Clock::default(),
            };
            chosen = Siblings::one(Stored { value: *value, version, clock });
            if self.config.sloppy_quorum() {
                ctx.set_timer(self.config.hint_interval(), Timer::StandIn(op));
            }
        }
        let operation = Operation {
            purpose,
            key,
            phase: if chosen.is_empty() { Phase::Query } else { Phase::Update },
            write: write.map(|(value, _)| value),
            groups,
            targets,
            answers: BTreeMap::new(),
            acks: Vec::new(),
            stand_ins: BTreeMap::new(),
            chosen,
            timer,
            started: ctx.sim_time(),
            deadline: ctx.now().0.saturating_add(self.config.request_timeout.as_nanos() as i64),
        };
        self.ops.insert(op, operation);
        self.send_phase(ctx, op);
    }

    /// The key's replicas in each placement in use (each list once), and every replica in any
    /// of them once, in preference order, the oldest placement's first. A replica of an older
    /// placement that has since left and joined again is a new, empty server: it is left out of
    /// that placement's group, as if it were absent (otherwise a quorum of the group could be
    /// made of it and a replica that missed a write the departed server had acknowledged).
    fn replica_groups(&self, key: u64) -> (Vec<Vec<NodeId>>, Vec<NodeId>) {
        let mut groups = Vec::new();
        for (p, joined) in self.epochs.iter().flat_map(|e| e.placements_and_joined()) {
            let mut replicas = Vec::new();
            p.replicas(key, self.config.replicas as usize, &mut replicas);
            let group: Vec<NodeId> =
                replicas.into_iter().filter(|r| !joined.contains(r)).map(NodeId).collect();
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
            o.stand_ins.clear();
            self.send_phase(ctx, op);
        }
    }

    /// A sloppy write's replicas have been silent for a while: the next servers of the key's
    /// preference list stand in for those that have not acknowledged, as long as the write
    /// waits for its quorum.
    pub fn on_stand_in(&mut self, ctx: Ctx, op: u64) {
        let Some(o) = self.ops.get(&op).filter(|o| o.phase == Phase::Update) else { return };
        let Some(newest) = self.epochs.as_ref().and_then(|e| e.newest()) else { return };
        let silent: Vec<NodeId> = (o.targets.iter().copied())
            .filter(|t| !o.acks.contains(t) && !o.stand_ins.values().any(|i| i == t))
            .collect();
        let mut preference = Vec::new();
        newest.replicas(o.key, newest.members().len(), &mut preference);
        let fallbacks: Vec<NodeId> = (preference.into_iter().map(NodeId))
            .filter(|f| !o.targets.contains(f) && !o.stand_ins.contains_key(f))
            .filter(|&f| ctx.is_present(f))
            .collect();
        let (key, versions) = (o.key, o.chosen.clone());
        let o = self.ops.get_mut(&op).expect("running");
        for (intended, fallback) in silent.into_iter().zip(fallbacks) {
            o.stand_ins.insert(fallback, intended);
            ctx.send(fallback, Msg::Hint { op, key, intended, versions: versions.clone() });
        }
        ctx.set_timer(self.config.hint_interval(), Timer::StandIn(op));
    }

    fn send_phase(&mut self, ctx: Ctx, op: u64) {
        self.send_phase_to(ctx, op, true);
    }

    /// Sends the operation's current phase to its targets: all of them, or (`all` false) those
    /// that have not answered it yet.
    fn send_phase_to(&mut self, ctx: Ctx, op: u64, all: bool) {
        let epoch = self.known_epoch();
        let o = &self.ops[&op];
        let answered = |r: &NodeId| match o.phase {
            Phase::Query => o.answers.contains_key(r),
            Phase::Update => o.acks.contains(r),
        };
        for r in o.targets.iter().filter(|r| all || !answered(r)) {
            let msg = match o.phase {
                Phase::Update => Msg::Put { op, key: o.key, versions: o.chosen.clone(), epoch },
                Phase::Query => Msg::Get { op, key: o.key, epoch },
            };
            ctx.send(*r, msg);
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

    fn on_answer(&mut self, ctx: Ctx, op: u64, from: NodeId, versions: Siblings) {
        if self.expired(ctx, op) {
            return;
        }
        let r = self.config.r;
        let Some(o) = self.ops.get_mut(&op).filter(|o| o.phase == Phase::Query) else { return };
        o.answers.insert(from, versions);
        if !o.quorum(r, |n| o.answers.contains_key(&n), |n| ctx.is_present(n)) {
            return;
        }
        // What the quorum held, merged as a replica would merge it.
        let keep_one = self.config.bug == Some(Bug::SiblingDropped);
        let mut merged = Siblings::default();
        for a in o.answers.values() {
            merged.merge(a, keep_one);
        }
        match (o.write, &o.purpose) {
            // ABD write: one past the highest version a quorum held.
            (Some(value), _) => {
                let stamp = merged.newest().map_or(0, |s| s.version.stamp) + 1;
                let version = Version { stamp, node: self.id.0, op };
                o.chosen = Siblings::one(Stored::ranked(value, version));
                o.phase = Phase::Update;
                self.send_phase(ctx, op);
            }
            // A migration writes the newest it knows, its own copy included, everywhere.
            (None, Purpose::Migration { local }) => {
                merged.merge(local, keep_one);
                o.chosen = merged;
                o.phase = Phase::Update;
                self.send_phase(ctx, op);
            }
            (None, Purpose::Client { .. } | Purpose::Resolve) => {
                if self.config.read_repair && !merged.is_empty() {
                    self.repair(ctx, op, &merged);
                }
                let o = self.ops.get_mut(&op).expect("still running");
                let write_back = self.config.consistency() == Consistency::Linearizable
                    && self.config.bug != Some(Bug::NoWriteBack)
                    && !merged.is_empty();
                o.chosen = merged;
                if write_back {
                    o.phase = Phase::Update;
                    self.send_phase(ctx, op);
                } else {
                    self.finish(ctx, op);
                }
            }
        }
    }

    /// Read repair: what the quorum held, merged, goes to every replica whose answer lacked
    /// some of it; a replica keeps only what it does not hold a newer version of.
    fn repair(&self, ctx: Ctx, op: u64, merged: &Siblings) {
        let o = &self.ops[&op];
        let mut repaired = false;
        for (&r, answer) in &o.answers {
            if answer != merged {
                let (versions, epoch) = (merged.clone(), self.known_epoch());
                ctx.send(r, Msg::Put { op: 0, key: o.key, versions, epoch });
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
            Purpose::Resolve => {
                ctx.metrics().count("sharding.siblings_resolved", 1);
                return;
            }
        };
        let now = ctx.sim_time();
        let reply = match o.write {
            Some(value) => {
                let chosen = o.chosen.newest().expect("a write has its version");
                let w = AckedWrite {
                    key: o.key,
                    value,
                    version: chosen.version,
                    clock: chosen.clock.clone(),
                    started: o.started,
                    acked: now,
                    acked_by: o.acks.clone(),
                };
                self.observer.lock().expect("observer").writes.push(w);
                Msg::Reply(ClientReply { request_id, result: KvResult::Ok(None) })
            }
            None => {
                let r = AnsweredRead {
                    key: o.key,
                    version: o.chosen.newest().map(|s| s.version),
                    context: o.chosen.context(),
                    started: o.started,
                    answered: now,
                };
                self.observer.lock().expect("observer").reads.push(r);
                match o.chosen.versions() {
                    [_, _, ..] => {
                        ctx.metrics().count("sharding.sibling_reads", 1);
                        Msg::ReplySiblings {
                            request_id,
                            key: o.key,
                            values: o.chosen.versions().iter().map(|s| s.value).collect(),
                            context: o.chosen.context(),
                        }
                    }
                    only => Msg::Reply(ClientReply {
                        request_id,
                        result: KvResult::Ok(only.first().map(|s| s.value)),
                    }),
                }
            }
        };
        ctx.metrics().count("sharding.ops_answered", 1);
        ctx.send(client, reply);
    }
}
