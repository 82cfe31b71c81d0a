//! The failover controller: it hears the monitors, declares the primary failed when enough of
//! them suspect it, fences the standbys into a new epoch, promotes the most up-to-date of them
//! (once the old primary's lease has run out), and tells the registry and the monitors.
//! It grants the primary's leases, and tells a primary of an older epoch to step down. Its
//! epoch and primary are on its disk, so a restarted controller never reuses an epoch.
//!
//! Which standbys must answer the fence before one is promoted: with (semi-)synchronous
//! replication to `k` of `S` standbys, `S - k + 1` of them, so that every set of `k` that
//! acknowledged a write includes one that answered, and the most up-to-date answer holds every
//! acknowledged write. With asynchronous replication any one will do (after waiting an
//! interval for the others).

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{LocalTime, NodeId, SimDuration};

use crate::config::{Bug, Replication};
use crate::message::Msg;
use crate::node::{Cluster, Ctx, Timer, series};

const EPOCH_KEY: &str = "controller/epoch";
const PRIMARY_KEY: &str = "controller/primary";

/// Where a failover stands.
#[derive(Clone, Debug)]
enum Phase {
    /// A primary serves.
    Steady,
    /// Fencing the standbys into `epoch`; their answers (last epoch, last index).
    Fencing { old: NodeId, epoch: u64, since: LocalTime, answers: BTreeMap<NodeId, (u64, u64)> },
    /// The candidate is chosen; promotion waits for the old lease to run out.
    Waiting { epoch: u64, candidate: NodeId },
    /// The candidate was told; waiting for its word.
    Promoting { epoch: u64, candidate: NodeId, since: LocalTime },
}

/// The controller.
pub struct Controller {
    cluster: Arc<Cluster>,
    /// The highest epoch it has used.
    epoch: u64,
    /// The primary and its epoch.
    primary: NodeId,
    primary_epoch: u64,
    phase: Phase,
    /// Each monitor's last opinion: (epoch, suspects, when heard, its name).
    opinions: BTreeMap<NodeId, (u64, bool, LocalTime, u64)>,
    /// When it last granted the primary a lease.
    last_grant: LocalTime,
    /// The registry has the current primary.
    registered: bool,
}

impl Controller {
    /// The controller of `cluster`.
    pub fn new(cluster: Arc<Cluster>) -> Self {
        let primary = cluster.dbs[0];
        Controller {
            cluster,
            epoch: 1,
            primary,
            primary_epoch: 1,
            phase: Phase::Steady,
            opinions: BTreeMap::new(),
            last_grant: LocalTime(0),
            registered: true,
        }
    }

    /// Starts; restarted, it reads its epoch and primary from disk, assumes a lease was granted
    /// just now, and resumes a failover it had begun.
    pub(crate) fn start(&mut self, ctx: Ctx, restarted: bool) {
        ctx.set_timer(self.cluster.config.heartbeat_interval, Timer::Control);
        if !restarted {
            self.save(ctx);
            return;
        }
        let read = |ctx: Ctx, key: &str| match ctx.storage().get(key) {
            Ok(Some(b)) if b.len() == 16 => Some((
                u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
                u64::from_le_bytes(b[8..].try_into().expect("8 bytes")),
            )),
            _ => None,
        };
        if let Some((epoch, _)) = read(ctx, EPOCH_KEY) {
            self.epoch = epoch;
        }
        if let Some((node, epoch)) = read(ctx, PRIMARY_KEY) {
            self.primary = NodeId(node as u32);
            self.primary_epoch = epoch;
        }
        self.last_grant = ctx.now();
        self.registered = false;
        if self.epoch > self.primary_epoch {
            let old = self.primary;
            self.declare(ctx, old);
        }
    }

    fn save(&self, ctx: Ctx) {
        let pair = |a: u64, b: u64| [a.to_le_bytes(), b.to_le_bytes()].concat();
        ctx.storage().put(EPOCH_KEY, pair(self.epoch, 0));
        ctx.storage().put(PRIMARY_KEY, pair(self.primary.0 as u64, self.primary_epoch));
        ctx.storage().sync();
    }

    fn interval(&self) -> SimDuration {
        self.cluster.config.heartbeat_interval
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Opinion { epoch, suspect, seq } => {
                if epoch < self.primary_epoch {
                    let (primary, epoch) = (self.primary, self.primary_epoch);
                    ctx.send(from, Msg::Watch { primary, epoch });
                }
                self.opinions.insert(from, (epoch, suspect, ctx.now(), seq));
                self.judge(ctx);
            }
            Msg::Alive { epoch, seq } => {
                // A new primary asks for its first lease as it answers the promotion; the
                // request can overtake the answer. It proves the promotion took effect: without
                // this, the request was dropped and the new primary did not serve until its
                // next renewal (a third of a lease later), long enough for fast detectors to
                // declare it failed as well.
                if let Phase::Promoting { epoch: e, candidate, .. } = self.phase {
                    if e == epoch && candidate == from {
                        self.promoted(ctx, candidate, epoch);
                    }
                }
                if matches!(self.phase, Phase::Steady)
                    && from == self.primary
                    && epoch == self.primary_epoch
                {
                    self.last_grant = ctx.now();
                    ctx.send(from, Msg::Lease { epoch, seq });
                } else if epoch < self.epoch {
                    // A deposed primary, or the old one during a failover: no more lease.
                    ctx.send(from, Msg::Demote { epoch: self.epoch });
                }
            }
            Msg::Fenced { epoch, last_epoch, last_index } => {
                if let Phase::Fencing { epoch: e, answers, .. } = &mut self.phase {
                    if *e == epoch {
                        answers.insert(from, (last_epoch, last_index));
                        self.try_choose(ctx);
                    }
                }
            }
            Msg::Promoted { epoch } => {
                if let Phase::Promoting { epoch: e, candidate, .. } = self.phase {
                    if e == epoch && candidate == from {
                        self.promoted(ctx, candidate, epoch);
                    }
                }
            }
            Msg::Registered { epoch } if epoch == self.primary_epoch => self.registered = true,
            _ => {}
        }
    }

    /// Declares a failure if enough monitors suspect the current primary.
    fn judge(&mut self, ctx: Ctx) {
        if !matches!(self.phase, Phase::Steady) {
            return;
        }
        let now = ctx.now();
        // An opinion not renewed for three intervals is stale (its monitor is down or cut off).
        let fresh = 3 * self.interval().as_nanos() as i64;
        let suspecting: Vec<(NodeId, u64)> = self
            .opinions
            .iter()
            .filter(|(_, (e, s, at, _))| *e == self.primary_epoch && *s && now.0 - at.0 <= fresh)
            .map(|(m, (_, _, _, seq))| (*m, *seq))
            .collect();
        if suspecting.len() as u32 >= self.cluster.config.quorum() {
            let old = self.primary;
            let down = self.cluster.down(ctx, old);
            let interval = self.interval();
            self.cluster.observe().declared(old, down, &suspecting, ctx.sim_time(), interval);
            self.declare(ctx, old);
        }
    }

    /// Moves to a new epoch and fences every database node but `old` into it.
    fn declare(&mut self, ctx: Ctx, old: NodeId) {
        self.epoch += 1;
        let epoch = self.epoch;
        self.save(ctx);
        ctx.metrics().count("failover.declared", 1);
        ctx.event("declared");
        ctx.annotate(&format!("declares {} failed: epoch {epoch}", ctx.topology().name(old)));
        self.cluster.observe().new_epoch(epoch);
        self.phase = Phase::Fencing { old, epoch, since: ctx.now(), answers: BTreeMap::new() };
        self.fence(ctx);
    }

    fn fence(&self, ctx: Ctx) {
        let Phase::Fencing { old, epoch, answers, .. } = &self.phase else { return };
        for db in &self.cluster.dbs {
            if db != old && !answers.contains_key(db) {
                ctx.send(*db, Msg::Fence { epoch: *epoch });
            }
        }
    }

    /// Chooses the candidate once enough standbys answered.
    fn try_choose(&mut self, ctx: Ctx) {
        let Phase::Fencing { epoch, since, answers, .. } = &self.phase else { return };
        let c = &self.cluster.config;
        let standbys = self.cluster.dbs.len() as u32 - 1;
        let needed = match c.replication {
            Replication::Async => 1,
            Replication::SemiSync | Replication::Sync => standbys - c.sync_standbys + 1,
        };
        let waited = ctx.now().0 - since.0 >= self.interval().as_nanos() as i64;
        let enough = answers.len() as u32 >= needed && (answers.len() as u32 == standbys || waited);
        if !enough || answers.is_empty() {
            return;
        }
        // The most up-to-date: the latest last epoch, then the longest log (then the lowest
        // id). The promote-stale bug takes the least up-to-date.
        let key = |(n, (e, i)): (&NodeId, &(u64, u64))| (*e, *i, std::cmp::Reverse(*n));
        let candidate = if c.bug == Some(Bug::PromoteStale) {
            answers.iter().min_by_key(|a| key(*a))
        } else {
            answers.iter().max_by_key(|a| key(*a))
        }
        .map(|(n, _)| *n)
        .expect("answers");
        let epoch = *epoch;
        self.phase = Phase::Waiting { epoch, candidate };
        // The old primary's lease, timed from its request (sent before the grant), may run on
        // the primary's clock at most the drift faster: wait it out on ours, with that margin.
        let wait_until = if c.leases {
            let lease = c.lease.as_nanos() as f64;
            let margin = (lease * 4.0 * self.cluster.drift) as i64 + 1_000_000;
            LocalTime(self.last_grant.0 + c.lease.as_nanos() as i64 + margin)
        } else {
            ctx.now()
        };
        if wait_until > ctx.now() {
            ctx.set_timer_at(wait_until, Timer::PromoteAt(epoch));
        } else {
            self.promote(ctx);
        }
    }

    fn promote(&mut self, ctx: Ctx) {
        let Phase::Waiting { epoch, candidate } = self.phase else { return };
        self.phase = Phase::Promoting { epoch, candidate, since: ctx.now() };
        ctx.send(candidate, Msg::Promote { epoch });
    }

    fn promoted(&mut self, ctx: Ctx, candidate: NodeId, epoch: u64) {
        self.primary = candidate;
        self.primary_epoch = epoch;
        self.save(ctx);
        self.phase = Phase::Steady;
        self.opinions.clear();
        self.registered = false;
        ctx.annotate(&format!("{} is primary of epoch {epoch}", ctx.topology().name(candidate)));
        let times = self.cluster.observe().promoted(candidate, epoch, ctx.sim_time());
        if let Some((detection, promotion)) = times {
            series(ctx, "rto_detection_ms", detection.as_nanos() / 1_000_000);
            series(ctx, "rto_promotion_ms", promotion.as_nanos() / 1_000_000);
        }
        self.announce(ctx);
    }

    /// Tells the registry and the monitors about the current primary.
    fn announce(&self, ctx: Ctx) {
        let (primary, epoch) = (self.primary, self.primary_epoch);
        if !self.registered {
            ctx.send(self.cluster.registry, Msg::Register { primary, epoch });
        }
        for m in &self.cluster.monitors {
            let stale = self.opinions.get(m).is_none_or(|(e, ..)| *e < epoch);
            if stale {
                ctx.send(*m, Msg::Watch { primary, epoch });
            }
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Control => {
                let patience = 5 * self.interval().as_nanos() as i64;
                match &self.phase {
                    Phase::Steady => self.announce(ctx),
                    Phase::Fencing { .. } => {
                        self.fence(ctx);
                        self.try_choose(ctx);
                    }
                    Phase::Waiting { .. } => {}
                    Phase::Promoting { candidate, since, .. } => {
                        let candidate = *candidate;
                        if ctx.now().0 - since.0 > patience {
                            // The candidate does not answer: fail over from it instead.
                            self.declare(ctx, candidate);
                        } else if let Phase::Promoting { epoch, .. } = self.phase {
                            ctx.send(candidate, Msg::Promote { epoch });
                        }
                    }
                }
                ctx.set_timer(self.interval(), Timer::Control);
            }
            Timer::PromoteAt(epoch) => {
                if matches!(self.phase, Phase::Waiting { epoch: e, .. } if e == epoch) {
                    self.promote(ctx);
                }
            }
            _ => {}
        }
    }
}
