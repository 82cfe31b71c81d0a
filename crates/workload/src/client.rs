//! The client state machine, embedded in each protocol's node type.
//!
//! The protocol's node forwards its client's start, restart, messages and timers here; its
//! timer type must hold a [`ClientTimer`] and its message type implement [`KvMessage`].

use serde_json::{Value, json};
use sim_core::{Context, LocalTime, Node, NodeId, OpType, SimDuration, SimTime, TimerId};

use crate::config::{KeyPicker, Load, WorkloadConfig};
use crate::protocol::{ClientReply, ClientRequest, KvMessage, KvOp, KvResult};

/// Values written and compared are drawn from `0..VALUES`, so compare-and-sets often succeed.
const VALUES: u64 = 5;
/// Longest wait before resending to another server when nobody answers.
const RETRY_MAX: SimDuration = SimDuration::from_millis(200);
/// First backoff after a redirect; it doubles per attempt up to [`RETRY_MAX`].
const BACKOFF_BASE: SimDuration = SimDuration::from_millis(2);
/// Where a client keeps its next process round, so a restarted client never reuses an id.
const ROUND_KEY: &str = "workload/next_round";
/// Request ids of one incarnation of a client start at its first process round shifted this far
/// left, so a restarted client never reuses a request id of an earlier incarnation (whose
/// answers a server's session may still hold).
const INCARNATION_SHIFT: u32 = 32;

/// A client's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientTimer {
    /// The next open-loop arrival.
    Arrival,
    /// Resend the request in `slot` (if it is still `request_id`).
    Retry {
        /// The process slot.
        slot: usize,
        /// The request it was for.
        request_id: u64,
    },
    /// Give up on the request in `slot`.
    Timeout {
        /// The process slot.
        slot: usize,
        /// The request it was for.
        request_id: u64,
    },
}

#[derive(Clone, Debug)]
struct InFlight {
    request_id: u64,
    op: KvOp,
    started: SimTime,
    attempt: u32,
    /// Sent and not answered yet (a retry then goes to another server).
    awaiting: bool,
    /// The server the last attempt went to.
    sent_to: NodeId,
    /// When the client gives up (local clock).
    deadline: LocalTime,
    /// The operation's one pending timer: the next retry, or the timeout if that comes first.
    timer: Option<TimerId>,
}

#[derive(Clone, Debug)]
struct Slot {
    process: u64,
    op: Option<InFlight>,
}

/// A simulated client: Jepsen-style processes issuing key-value operations.
#[derive(Clone, Debug)]
pub struct Client {
    index: u64,
    clients: u64,
    servers: u32,
    config: WorkloadConfig,
    keys: KeyPicker,
    slots: Vec<Slot>,
    next_request: u64,
    next_round: u64,
    leader_guess: NodeId,
    /// Resend an unanswered request to another server before the timeout (see
    /// [`Client::without_resend`]).
    resend: bool,
}

fn invoke_value(op: &KvOp) -> Value {
    match *op {
        KvOp::Read { .. } => Value::Null,
        KvOp::Write { value, .. } => json!(value),
        KvOp::Cas { expected, new, .. } => json!([expected, new]),
    }
}

impl Client {
    /// Client number `index` (from 0) of `clients`, in a cluster of `servers` servers.
    pub fn new(index: u32, clients: u32, servers: u32, config: WorkloadConfig) -> Self {
        let keys = KeyPicker::new(config.keys, config.key_dist);
        Client {
            index: index as u64,
            clients: clients.max(1) as u64,
            servers,
            config,
            keys,
            slots: Vec::new(),
            next_request: 0,
            next_round: 0,
            leader_guess: NodeId(index % servers.max(1)),
            resend: true,
        }
    }

    /// This client never resends an unanswered request to another server; it waits for the
    /// timeout (the operation is then indeterminate). For a leaderless store: there any server
    /// coordinates, nothing deduplicates a request run at two coordinators, and the slower run
    /// could apply a write again after the faster one was answered. It sends each request to
    /// the next server in turn, as a load balancer in front of a leaderless store does, so a
    /// server that is down costs the requests sent to it, not every request after; servers
    /// that have not joined or have left are skipped.
    pub fn without_resend(mut self) -> Self {
        self.resend = false;
        self
    }

    fn new_process<N: Node>(&mut self, ctx: &mut Context<'_, N>) -> u64 {
        let process = self.next_round * self.clients + self.index;
        self.next_round += 1;
        ctx.storage().put(ROUND_KEY, self.next_round.to_le_bytes().to_vec());
        ctx.storage().sync();
        process
    }

    /// The node started (or restarted: a client's disk remembers its process numbering).
    pub fn on_start<N>(&mut self, ctx: &mut Context<'_, N>)
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        match ctx.storage().get(ROUND_KEY) {
            Ok(None) => {}
            Ok(Some(bytes)) if bytes.len() == 8 => {
                self.next_round = bytes.try_into().map(u64::from_le_bytes).expect("8 bytes");
            }
            _ => {
                // A corrupt record: starting again from round 0 would reuse process and
                // request ids an earlier incarnation used. Stay silent instead.
                ctx.metrics().count("workload.clients_halted_on_corrupt_disk", 1);
                return;
            }
        }
        // Each incarnation gets its own session: its request ids start above every id an
        // earlier one sent (an incarnation that sent nothing left the round where it was, and
        // nothing to collide with).
        self.next_request = self.next_round << INCARNATION_SHIFT;
        match self.config.load() {
            Load::Open { per_client_rate } => self.schedule_arrival(ctx, per_client_rate),
            Load::Closed { concurrency } => {
                for _ in 0..concurrency {
                    let process = self.new_process(ctx);
                    self.slots.push(Slot { process, op: None });
                    let slot = self.slots.len() - 1;
                    self.start_op(ctx, slot);
                }
            }
        }
    }

    fn schedule_arrival<N>(&mut self, ctx: &mut Context<'_, N>, per_client_rate: f64)
    where
        N: Node,
        N::Timer: From<ClientTimer>,
    {
        let mean_ns = 1e9 / per_client_rate;
        let gap = -mean_ns * libm::log(1.0 - ctx.rng().unit_f64());
        ctx.set_timer(SimDuration(gap as u64), ClientTimer::Arrival.into());
    }

    fn start_op<N>(&mut self, ctx: &mut Context<'_, N>, slot: usize)
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        // Keys of the current generation (see `WorkloadConfig::ops_per_key`).
        let generation =
            self.config.key_period().map_or(0, |p| ctx.sim_time().as_nanos() / p.as_nanos());
        let key = generation * self.config.keys + self.keys.pick(ctx.rng());
        let u = ctx.rng().unit_f64();
        let op = if u < self.config.read_ratio {
            KvOp::Read { key }
        } else if u < self.config.read_ratio + self.config.cas_ratio {
            KvOp::Cas {
                key,
                expected: ctx.rng().below(VALUES) as i64,
                new: ctx.rng().below(VALUES) as i64,
            }
        } else {
            KvOp::Write { key, value: ctx.rng().below(VALUES) as i64 }
        };
        let request_id = self.next_request;
        self.next_request += 1;
        debug_assert!(
            self.next_request & ((1 << INCARNATION_SHIFT) - 1) != 0,
            "an incarnation sent 2^32 requests: its ids would run into the next incarnation's"
        );
        let process = self.slots[slot].process;
        ctx.history(process, OpType::Invoke, op.f(), Some(op.key()), invoke_value(&op));
        ctx.metrics().count("ops.invoked", 1);
        let deadline = LocalTime(ctx.now().0.saturating_add(self.config.timeout.as_nanos() as i64));
        self.slots[slot].op = Some(InFlight {
            request_id,
            op,
            started: ctx.sim_time(),
            attempt: 0,
            awaiting: false,
            sent_to: self.leader_guess,
            deadline,
            timer: None,
        });
        self.send(ctx, slot);
    }

    /// Sends (or resends) the slot's request to the current leader guess.
    fn send<N>(&mut self, ctx: &mut Context<'_, N>, slot: usize)
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        let client = ctx.id();
        let mut target = self.leader_guess;
        if !self.resend {
            // A load balancer sends only to the servers the membership service lists: it
            // skips those that have not joined yet or have left (all absent: it sends anyway).
            for _ in 0..self.servers {
                if ctx.is_present(target) {
                    break;
                }
                target = NodeId((target.0 + 1) % self.servers.max(1));
            }
        }
        let retry_after = if self.resend { self.retry_interval() } else { self.config.timeout };
        let acked_below = self
            .slots
            .iter()
            .filter_map(|s| s.op.as_ref().map(|f| f.request_id))
            .min()
            .unwrap_or(self.next_request);
        let Some(f) = self.slots[slot].op.as_mut() else { return };
        f.attempt += 1;
        f.awaiting = true;
        f.sent_to = target;
        let request =
            ClientRequest { client, request_id: f.request_id, acked_below, op: f.op.clone() };
        ctx.send(target, N::Msg::request(request));
        if !self.resend {
            // Leaderless: the next request goes to the next server.
            self.leader_guess = NodeId((target.0 + 1) % self.servers.max(1));
        }
        self.arm(ctx, slot, retry_after);
    }

    /// Sets the slot's one timer: a retry after `after`, or the timeout if that is sooner.
    fn arm<N>(&mut self, ctx: &mut Context<'_, N>, slot: usize, after: SimDuration)
    where
        N: Node,
        N::Timer: From<ClientTimer>,
    {
        let now = ctx.now();
        let Some(f) = self.slots[slot].op.as_mut() else { return };
        if let Some(t) = f.timer.take() {
            ctx.cancel_timer(t);
        }
        let request_id = f.request_id;
        f.timer = Some(if now.0.saturating_add(after.as_nanos() as i64) >= f.deadline.0 {
            ctx.set_timer_at(f.deadline, ClientTimer::Timeout { slot, request_id }.into())
        } else {
            ctx.set_timer(after, ClientTimer::Retry { slot, request_id }.into())
        });
    }

    fn retry_interval(&self) -> SimDuration {
        SimDuration((self.config.timeout.as_nanos() / 5).min(RETRY_MAX.as_nanos()))
    }

    /// Moves the leader guess past `server`, unless another operation already moved it (with
    /// several operations in flight, each that timed out on a crashed leader would otherwise
    /// move the guess on again, away from the leader another one had found).
    fn give_up_on(&mut self, server: NodeId) {
        if self.leader_guess == server {
            self.leader_guess = NodeId((server.0 + 1) % self.servers.max(1));
        }
    }

    /// A message arrived; returns false if it was not a client reply.
    pub fn on_message<N>(&mut self, ctx: &mut Context<'_, N>, from: NodeId, msg: &N::Msg) -> bool
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        let Some(ClientReply { request_id, result }) = msg.as_reply() else { return false };
        let Some(slot) = self
            .slots
            .iter()
            .position(|s| s.op.as_ref().is_some_and(|f| f.request_id == *request_id))
        else {
            return true; // an answer to an operation already given up on
        };
        match result {
            KvResult::NotLeader { .. } | KvResult::Busy => {
                match result {
                    KvResult::Busy => self.leader_guess = from,
                    KvResult::NotLeader { leader: Some(l) } if *l != from => self.leader_guess = *l,
                    _ => self.give_up_on(from),
                }
                let f = self.slots[slot].op.as_mut().expect("in flight");
                f.awaiting = false;
                let backoff = SimDuration(
                    (BACKOFF_BASE.as_nanos() << f.attempt.min(16)).min(RETRY_MAX.as_nanos()),
                );
                self.arm(ctx, slot, backoff);
            }
            KvResult::Ok(value) => {
                if self.resend {
                    self.leader_guess = from;
                }
                let f = self.slots[slot].op.as_ref().expect("in flight");
                let out = match f.op {
                    KvOp::Read { .. } => value.map_or(Value::Null, |v| json!(v)),
                    _ => invoke_value(&f.op),
                };
                self.finish(ctx, slot, OpType::Ok, out);
            }
            KvResult::CasFailed => {
                if self.resend {
                    self.leader_guess = from;
                }
                let out = invoke_value(&self.slots[slot].op.as_ref().expect("in flight").op);
                self.finish(ctx, slot, OpType::Fail, out);
            }
        }
        true
    }

    fn finish<N>(&mut self, ctx: &mut Context<'_, N>, slot: usize, kind: OpType, value: Value)
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        let f = self.slots[slot].op.take().expect("in flight");
        if let Some(t) = f.timer {
            ctx.cancel_timer(t);
        }
        let now = ctx.sim_time();
        let process = self.slots[slot].process;
        ctx.history(process, kind, f.op.f(), Some(f.op.key()), value);
        let counter = match kind {
            OpType::Ok => {
                ctx.metrics().record("latency_ns", now.saturating_since(f.started).as_nanos());
                "ops.ok"
            }
            OpType::Fail => "ops.failed",
            _ => {
                // Timed out: this process may still have an operation in the system; retire it.
                self.slots[slot].process = self.new_process(ctx);
                "ops.indeterminate"
            }
        };
        ctx.metrics().count(counter, 1);
        if let Load::Closed { .. } = self.config.load() {
            self.start_op(ctx, slot);
        }
    }

    /// The operation whose timer just fired, if it is still the one in `slot` (its timer is
    /// now spent).
    fn fired(&mut self, slot: usize, request_id: u64) -> Option<&mut InFlight> {
        let f = self.slots.get_mut(slot)?.op.as_mut().filter(|f| f.request_id == request_id)?;
        f.timer = None;
        Some(f)
    }

    /// A client timer fired.
    pub fn on_timer<N>(&mut self, ctx: &mut Context<'_, N>, timer: ClientTimer)
    where
        N: Node,
        N::Msg: KvMessage,
        N::Timer: From<ClientTimer>,
    {
        match timer {
            ClientTimer::Arrival => {
                let slot = match self.slots.iter().position(|s| s.op.is_none()) {
                    Some(s) => Some(s),
                    None if self.slots.len() < self.config.max_in_flight as usize => {
                        let process = self.new_process(ctx);
                        self.slots.push(Slot { process, op: None });
                        Some(self.slots.len() - 1)
                    }
                    None => None,
                };
                match slot {
                    Some(slot) => self.start_op(ctx, slot),
                    None => ctx.metrics().count("ops.shed", 1),
                }
                if let Load::Open { per_client_rate } = self.config.load() {
                    self.schedule_arrival(ctx, per_client_rate);
                }
            }
            ClientTimer::Retry { slot, request_id } => {
                let Some(f) = self.fired(slot, request_id) else { return };
                if f.awaiting {
                    // Nobody answered: that server may be down or cut off.
                    let silent = f.sent_to;
                    self.give_up_on(silent);
                }
                self.send(ctx, slot);
            }
            ClientTimer::Timeout { slot, request_id } => {
                let Some(f) = self.fired(slot, request_id) else { return };
                let value = invoke_value(&f.op);
                self.finish(ctx, slot, OpType::Info, value);
            }
        }
    }
}
