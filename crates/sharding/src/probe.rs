//! The t-visibility probe: Bailis et al.'s WARS experiment ("Probabilistically Bounded
//! Staleness for Practical Partial Quorums", VLDB 2012) as a node. A prober coordinates its own
//! operations, so that the four message legs of a quorum operation are exactly the model's four
//! delays: it writes a fresh key to all N replicas, and when W have acknowledged (the commit),
//! it reads the key t later, for each t of the grid, from all N replicas, taking the first R
//! answers. A read is consistent if one of them holds the write. One write per key and nothing
//! else touching it, so each trial is the model's one write and one read.

use std::sync::Arc;

use sim_core::{Context, NodeId, SimDuration};

use crate::config::ShardingConfig;
use crate::message::Msg;
use crate::node::{ShardNode, Timer};
use crate::observer::SharedObserver;
use crate::placement;
use crate::version::{Siblings, Stored, Version};

type Ctx<'a, 'b> = &'a mut Context<'b, ShardNode>;

/// Keys per prober: each prober writes its own range, never a key twice.
const KEYS_PER_PROBER: u64 = 1 << 40;

/// Operation ids: a trial's write is `trial * SLOTS`, its read at grid point `i` is `+ 1 + i`.
const SLOTS: u64 = 64;

/// A prober, in a client's place.
pub struct Prober {
    index: u64,
    config: Arc<ShardingConfig>,
    observer: SharedObserver,
    trial: u64,
    replicas: Vec<NodeId>,
    acks: u32,
    committed: bool,
    /// Per grid point: answers so far, and whether one held the write (`None`: not sent yet or
    /// done).
    reads: Vec<Option<(u32, bool)>>,
    reads_done: usize,
}

impl Prober {
    /// Prober `index` (its client index).
    pub fn new(index: u32, config: Arc<ShardingConfig>, observer: SharedObserver) -> Self {
        let points = config.probe_t.len();
        Prober {
            index: u64::from(index),
            config,
            observer,
            trial: 0,
            replicas: Vec::new(),
            acks: 0,
            committed: false,
            reads: vec![None; points],
            reads_done: 0,
        }
    }

    fn key(&self) -> u64 {
        self.index * KEYS_PER_PROBER + self.trial
    }

    /// Starts the first trial.
    pub fn start(&mut self, ctx: Ctx) {
        self.next_trial(ctx);
    }

    fn next_trial(&mut self, ctx: Ctx) {
        self.trial += 1;
        self.acks = 0;
        self.committed = false;
        self.reads_done = 0;
        self.reads.iter_mut().for_each(|r| *r = None);
        let members: Vec<u32> = ctx.members().iter().map(|id| id.0).collect();
        let scheme = self.config.placement().expect("validated before the run");
        let Ok(placement) = placement::build(&scheme, &members) else { return };
        let mut out = Vec::new();
        placement.replicas(self.key(), self.config.replicas as usize, &mut out);
        self.replicas = out.into_iter().map(NodeId).collect();
        let (op, key) = (self.trial * SLOTS, self.key());
        let version = Version { stamp: 1, node: ctx.id().0, op };
        let versions = Siblings::one(Stored::ranked(self.trial as i64, version));
        for &r in &self.replicas {
            let epoch = ctx.membership_epoch();
            ctx.send(r, Msg::Put { op, key, versions: versions.clone(), epoch });
        }
    }

    /// Handles a replica's answer.
    pub fn on_message(&mut self, ctx: Ctx, msg: &Msg) {
        match *msg {
            Msg::PutAck { op } if op == self.trial * SLOTS && !self.committed => {
                self.acks += 1;
                if self.acks >= self.config.w {
                    self.committed = true;
                    let config = self.config.clone();
                    for (i, &t) in config.probe_t.iter().enumerate() {
                        if t.is_zero() {
                            self.read(ctx, i);
                        } else {
                            ctx.set_timer(t, Timer::Probe(self.trial, i));
                        }
                    }
                }
            }
            Msg::GetReply { op, ref versions } if op / SLOTS == self.trial && op % SLOTS > 0 => {
                let i = (op % SLOTS - 1) as usize;
                let r = self.config.r;
                let Some((answers, seen)) = self.reads[i].as_mut() else { return };
                if *answers >= r {
                    return;
                }
                *answers += 1;
                *seen |= !versions.is_empty();
                if *answers == r {
                    let seen = *seen;
                    self.observer.lock().expect("observer").probe_outcome(i, seen);
                    self.reads_done += 1;
                    if self.reads_done == self.reads.len() {
                        self.next_trial(ctx);
                    }
                }
            }
            _ => {}
        }
    }

    /// A read's delay after the commit has passed.
    pub fn on_timer(&mut self, ctx: Ctx, trial: u64, point: usize) {
        if trial == self.trial {
            self.read(ctx, point);
        }
    }

    fn read(&mut self, ctx: Ctx, point: usize) {
        self.reads[point] = Some((0, false));
        let (op, key) = (self.trial * SLOTS + 1 + point as u64, self.key());
        for &r in &self.replicas {
            let epoch = ctx.membership_epoch();
            ctx.send(r, Msg::Get { op, key, epoch });
        }
    }
}

/// A grid point's name in `metrics.t_visibility`: `"0ms"`, `"1ms"`, `"2500us"`.
pub fn point_name(t: SimDuration) -> String {
    let ns = t.as_nanos();
    if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else if ns % 1_000 == 0 {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}
