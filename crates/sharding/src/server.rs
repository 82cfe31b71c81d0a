//! A server: a replica of the keys placement gives it, and a coordinator of the client
//! operations it is asked (or forwarded) to run.
//!
//! A coordinator runs each operation in at most two phases over the key's replicas: a query
//! (`Get` to every replica, wait for R answers) and an update (`Put` to every replica, wait for
//! W acknowledgements). Eventual mode writes with one update stamped by the coordinator's clock
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
use crate::placement::{self, Placement, SharedPlacements};
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
    /// Waiting for R answers to `Get`.
    Query,
    /// Waiting for W acknowledgements of `Put`.
    Update,
}

/// One client operation a coordinator runs.
#[derive(Debug)]
struct Operation {
    client: NodeId,
    request_id: u64,
    key: u64,
    /// The value a write writes (`None`: a read).
    write: Option<i64>,
    phase: Phase,
    replicas: Vec<NodeId>,
    answers: Vec<Option<Stored>>,
    acks: u32,
    /// What the update phase writes, and a read answers.
    chosen: Option<Stored>,
    timer: TimerId,
    started: SimTime,
    /// Past this (local clock) the operation is given up, whatever arrives: a coordinator that
    /// was paused must not finish with answers from before its pause.
    deadline: i64,
}

/// A server of a sharding run.
pub struct Server {
    id: NodeId,
    config: Arc<ShardingConfig>,
    observer: SharedObserver,
    /// The run's placements, shared by every server (see [`placement::PlacementCache`]).
    placements: SharedPlacements,
    placement: Arc<dyn Placement>,
    next_op: u64,
    ops: BTreeMap<u64, Operation>,
}

impl Server {
    /// A server built by the kernel's factory (at the start and after every crash): only its
    /// disk outlives a crash. Until it starts it places keys on itself alone.
    pub fn new(
        id: NodeId,
        config: Arc<ShardingConfig>,
        observer: SharedObserver,
        placements: SharedPlacements,
    ) -> Self {
        let scheme = config.placement().expect("validated before the run");
        let placement =
            Arc::from(placement::build(&scheme, &[id.0]).expect("one member is a placement"));
        Server { id, config, observer, placements, placement, next_op: 1, ops: BTreeMap::new() }
    }

    /// Starts (or restarts): numbers its operations afresh and places keys over the members as
    /// they are now. Operation ids carry a boot count kept on disk: answers still on their way
    /// to the previous incarnation must not count toward a new operation's quorum.
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
        self.place_over_members(ctx);
    }

    /// The membership changed: place keys over the members as they are now.
    pub fn membership_changed(&mut self, ctx: Ctx) {
        self.place_over_members(ctx);
    }

    fn place_over_members(&mut self, ctx: Ctx) {
        let members: Vec<u32> = ctx.members().iter().map(|id| id.0).collect();
        let scheme = self.config.placement().expect("validated before the run");
        if !members.is_empty() {
            let mut placements = self.placements.lock().expect("placements");
            self.placement = placements.get(&scheme, &members).expect("members are distinct");
        }
    }

    fn replicas_of(&self, key: u64) -> Vec<NodeId> {
        let mut out = Vec::new();
        self.placement.replicas(key, self.config.replicas as usize, &mut out);
        out.into_iter().map(NodeId).collect()
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
                self.write_local(ctx, key, stored);
                if op != 0 {
                    ctx.send(from, Msg::PutAck { op });
                }
            }
            Msg::GetReply { op, stored } => self.on_answer(ctx, op, stored),
            Msg::PutAck { op } => self.on_ack(ctx, op),
            Msg::Reply(_) => {}
        }
    }

    /// An operation's timer fired: no quorum in time; give it up without an answer.
    pub fn on_timeout(&mut self, ctx: Ctx, op: u64) {
        if self.ops.remove(&op).is_some() {
            ctx.metrics().count("sharding.ops_given_up", 1);
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
        }
    }

    fn on_request(&mut self, ctx: Ctx, req: ClientRequest, may_forward: bool) {
        let key = req.op.key();
        let replicas = self.replicas_of(key);
        if may_forward
            && self.config.coordinator == Coordinator::Replica
            && replicas.first().is_some_and(|&first| first != self.id)
        {
            ctx.send(replicas[0], Msg::Forward(req));
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
        let op = self.next_op;
        self.next_op += 1;
        let timer = ctx.set_timer(self.config.request_timeout, Timer::Operation(op));
        let eventual_write = write.is_some() && self.config.consistency == Consistency::Eventual;
        let chosen = write.filter(|_| eventual_write).map(|value| Stored {
            value,
            version: Version { stamp: ctx.now().0.max(0) as u64, node: self.id.0, op },
        });
        let operation = Operation {
            client: req.client,
            request_id: req.request_id,
            key,
            write,
            phase: if eventual_write { Phase::Update } else { Phase::Query },
            replicas,
            answers: Vec::new(),
            acks: 0,
            chosen,
            timer,
            started: ctx.sim_time(),
            deadline: ctx.now().0.saturating_add(self.config.request_timeout.as_nanos() as i64),
        };
        self.ops.insert(op, operation);
        self.send_phase(ctx, op);
    }

    fn send_phase(&mut self, ctx: Ctx, op: u64) {
        let o = &self.ops[&op];
        for &r in &o.replicas {
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
            ctx.metrics().count("sharding.ops_given_up", 1);
            return true;
        }
        false
    }

    fn on_answer(&mut self, ctx: Ctx, op: u64, stored: Option<Stored>) {
        if self.expired(ctx, op) {
            return;
        }
        let r = self.config.r as usize;
        let Some(o) = self.ops.get_mut(&op).filter(|o| o.phase == Phase::Query) else { return };
        o.answers.push(stored);
        if o.answers.len() < r {
            return;
        }
        let newest = newest(&o.answers);
        match o.write {
            // ABD write: one past the highest version a quorum held.
            Some(value) => {
                let stamp = newest.map_or(0, |s| s.version.stamp) + 1;
                let version = Version { stamp, node: self.id.0, op };
                o.chosen = Some(Stored { value, version });
                o.phase = Phase::Update;
                self.send_phase(ctx, op);
            }
            None => {
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

    /// Read repair: when an answer so far was older than the newest (or empty), the newest goes
    /// to every replica of the key; those that hold it already keep theirs. The answers do not
    /// say who sent them, so the repair cannot be aimed at the stale replicas alone.
    fn repair(&self, ctx: Ctx, op: u64, best: Stored) {
        let o = &self.ops[&op];
        let stale = o.answers.iter().filter(|a| a.is_none_or(|s| s.version < best.version)).count();
        if stale == 0 {
            return;
        }
        for &r in &o.replicas {
            ctx.send(r, Msg::Put { op: 0, key: o.key, stored: best });
        }
        ctx.metrics().count("sharding.read_repairs", 1);
    }

    fn on_ack(&mut self, ctx: Ctx, op: u64) {
        if self.expired(ctx, op) {
            return;
        }
        let w = self.config.w;
        let Some(o) = self.ops.get_mut(&op).filter(|o| o.phase == Phase::Update) else { return };
        o.acks += 1;
        if o.acks >= w {
            self.finish(ctx, op);
        }
    }

    fn finish(&mut self, ctx: Ctx, op: u64) {
        let o = self.ops.remove(&op).expect("a running operation");
        ctx.cancel_timer(o.timer);
        let now = ctx.sim_time();
        let result = match o.write {
            Some(value) => {
                let version = o.chosen.expect("a write has its version").version;
                let w = AckedWrite { key: o.key, value, version, started: o.started, acked: now };
                self.observer.lock().expect("observer").writes.push(w);
                KvResult::Ok(None)
            }
            None => {
                let version = o.chosen.map(|s| s.version);
                let r = AnsweredRead { key: o.key, version, started: o.started };
                self.observer.lock().expect("observer").reads.push(r);
                KvResult::Ok(o.chosen.map(|s| s.value))
            }
        };
        ctx.metrics().count("sharding.ops_answered", 1);
        ctx.send(o.client, Msg::Reply(ClientReply { request_id: o.request_id, result }));
    }
}
