//! A monitor: pings the primary every `heartbeat_interval`, feeds the answers to its failure
//! detector (heartbeat with a miss threshold, or phi accrual), and tells the controller what
//! it concludes, every interval and the moment it changes its mind. Monitors can be cut off
//! and crash like any node: the controller acts on a quorum of them.

use std::sync::Arc;

use sim_core::{LocalTime, NodeId, TimerId};

use crate::config::{Bug, DetectorKind};
use crate::message::Msg;
use crate::node::{Cluster, Ctx, Timer};
use crate::{HeartbeatDetector, PhiAccrual};

/// One of the two detectors.
enum Detector {
    Heartbeat(HeartbeatDetector),
    Phi(PhiAccrual, f64),
}

impl Detector {
    fn heartbeat(&mut self, now: LocalTime) {
        match self {
            Detector::Heartbeat(d) => d.heartbeat(now),
            Detector::Phi(d, _) => d.heartbeat(now),
        }
    }

    fn suspects(&self, now: LocalTime) -> bool {
        match self {
            Detector::Heartbeat(d) => d.suspects(now),
            Detector::Phi(d, threshold) => d.suspects(now, *threshold),
        }
    }

    fn suspect_at(&self) -> Option<LocalTime> {
        match self {
            Detector::Heartbeat(d) => d.suspect_at(),
            Detector::Phi(d, threshold) => d.suspect_at(*threshold),
        }
    }
}

/// A monitor.
pub struct Monitor {
    me: NodeId,
    cluster: Arc<Cluster>,
    /// Whom it watches, and in which epoch (none until the controller says, after a restart).
    watching: Option<(NodeId, u64)>,
    detector: Detector,
    seq: u64,
    answered: u64,
    suspect: bool,
    /// The watched primary has answered since the watch began: its answers since are
    /// heartbeats whose gaps the detector fits and the metrics count.
    heard: bool,
    /// The detector crossed its threshold since the last heartbeat.
    gap_suspected: bool,
    check: Option<TimerId>,
}

impl Monitor {
    /// Monitor `me` of `cluster`.
    pub fn new(me: NodeId, cluster: Arc<Cluster>) -> Self {
        let detector = Self::detector(&cluster);
        Monitor {
            me,
            cluster,
            watching: None,
            detector,
            seq: 0,
            answered: 0,
            suspect: false,
            heard: false,
            gap_suspected: false,
            check: None,
        }
    }

    fn detector(cluster: &Cluster) -> Detector {
        let c = &cluster.config;
        match c.detector {
            DetectorKind::Heartbeat => Detector::Heartbeat(
                HeartbeatDetector::new(c.heartbeat_interval, c.heartbeat_misses)
                    .expect("validated"),
            ),
            DetectorKind::Phi => {
                Detector::Phi(PhiAccrual::new(c.phi_config()).expect("validated"), c.phi_threshold)
            }
        }
    }

    /// At time zero it watches epoch 1's primary; restarted, it asks the controller.
    pub(crate) fn start(&mut self, ctx: Ctx, restarted: bool) {
        if restarted {
            ctx.send(self.cluster.controller, Msg::Opinion { epoch: 0, suspect: false, seq: 0 });
        } else {
            self.watch(ctx, self.cluster.dbs[0], 1);
        }
        ctx.set_timer(self.cluster.config.heartbeat_interval, Timer::Ping);
    }

    fn watch(&mut self, ctx: Ctx, primary: NodeId, epoch: u64) {
        self.watching = Some((primary, epoch));
        self.detector = Self::detector(&self.cluster);
        // Watching begins as if with a heartbeat: silence from now on counts. The time to the
        // first answer is no inter-arrival gap (it runs from the watch, not from an answer):
        // the first answer starts the detector afresh, so it never enters the fit.
        self.detector.heartbeat(ctx.now());
        self.answered = self.seq;
        self.suspect = false;
        self.heard = false;
        self.gap_suspected = false;
        self.cluster.observe().watching(self.me, primary, epoch, self.seq, ctx.sim_time());
        self.arm(ctx);
    }

    /// Sets the timer for the moment the detector will start suspecting.
    fn arm(&mut self, ctx: Ctx) {
        if let Some(t) = self.check.take() {
            ctx.cancel_timer(t);
        }
        if let Some(at) = self.detector.suspect_at() {
            self.check = Some(ctx.set_timer_at(at, Timer::Suspect));
        }
    }

    fn report(&self, ctx: Ctx) {
        let epoch = self.watching.map_or(0, |(_, e)| e);
        let (suspect, seq) = (self.suspect, self.seq);
        if suspect {
            let interval = self.cluster.config.heartbeat_interval;
            self.cluster.observe().suspicion(self.me, seq, ctx.sim_time(), interval);
        }
        ctx.send(self.cluster.controller, Msg::Opinion { epoch, suspect, seq });
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        match timer {
            Timer::Ping => {
                if let Some((primary, _)) = self.watching {
                    self.seq += 1;
                    let bad = self.cluster.down(ctx, primary)
                        || ctx.oracle_is_cut(self.me, primary)
                        || ctx.oracle_is_cut(primary, self.me);
                    self.cluster.observe().pinged(self.me, self.seq, bad, ctx.sim_time());
                    ctx.send(primary, Msg::Ping { seq: self.seq });
                    self.update(ctx);
                }
                self.report(ctx);
                ctx.set_timer(self.cluster.config.heartbeat_interval, Timer::Ping);
            }
            Timer::Suspect => {
                self.check = None;
                if self.update(ctx) {
                    self.report(ctx);
                }
            }
            _ => {}
        }
    }

    /// Asks the detector; returns true if its verdict changed.
    fn update(&mut self, ctx: Ctx) -> bool {
        let suspect = self.watching.is_some() && self.detector.suspects(ctx.now());
        self.gap_suspected |= suspect;
        let changed = suspect != self.suspect;
        self.suspect = suspect;
        if !suspect && self.check.is_none() {
            self.arm(ctx);
        }
        changed
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Pong { seq, epoch } => {
                self.cluster.observe().answered(self.me, from, seq, epoch, ctx.sim_time());
                let Some((primary, watched)) = self.watching else { return };
                if from != primary || epoch != watched || seq <= self.answered {
                    return; // late, duplicated, or from someone else
                }
                if self.cluster.config.bug == Some(Bug::DeafMonitor) && seq != self.seq {
                    return; // the bug: an answer to an older ping is dropped
                }
                self.answered = seq;
                if self.heard {
                    ctx.metrics().count("monitor.heartbeat_gaps", 1);
                    if self.gap_suspected {
                        ctx.metrics().count("monitor.suspected_gaps", 1);
                    }
                } else {
                    // The first answer since the watch: its arrival is the first heartbeat.
                    self.detector = Self::detector(&self.cluster);
                    self.heard = true;
                }
                self.gap_suspected = false;
                self.detector.heartbeat(ctx.now());
                let was = self.suspect;
                self.suspect = false;
                self.arm(ctx);
                if was {
                    self.report(ctx);
                }
            }
            Msg::Watch { primary, epoch } if self.watching.is_none_or(|(_, e)| epoch > e) => {
                self.watch(ctx, primary, epoch);
                self.report(ctx);
            }
            _ => {}
        }
    }
}
