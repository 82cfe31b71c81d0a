//! The harness's record of a failover run, from points it trusts: the acknowledgements
//! database nodes send (not what they believe about their epoch), the answers clients receive,
//! and what the kernel knew when a monitor pinged and when the controller declared a failure
//! (whether the primary was up and serving, and which links a partition cut). The checks and
//! the downtime figures are computed from it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim_core::{NodeId, SimDuration, SimTime};

use crate::message::WriteId;

/// The observer, shared by the nodes of one run.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// One node's run as primary in one epoch: when it answered clients (read results and write
/// acknowledgements: a primary that serves either after its successor began is a split brain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The node.
    pub node: NodeId,
    /// The epoch it served in.
    pub epoch: u64,
    /// Its first answer.
    pub first: SimTime,
    /// Its last.
    pub last: SimTime,
    /// How many it sent.
    pub answers: u64,
}

/// What one monitor's pings met, by sequence number.
#[derive(Clone, Debug, Default)]
struct MonitorRecord {
    /// The last ping the primary answered.
    answered: u64,
    /// The last ping sent while the primary was down, not serving, or cut off from this
    /// monitor (either way).
    bad: u64,
    /// When the first such ping since the last answer was sent.
    first_bad: Option<SimTime>,
    /// When the last answer arrived.
    last_answer: Option<SimTime>,
    /// When it began watching the current primary.
    since: SimTime,
    /// The primary it watches, and its epoch.
    watched: Option<(NodeId, u64)>,
    /// Whether each suspicion it sent (by opinion number) had cause.
    opinions: BTreeMap<u64, Cause>,
}

/// What the harness saw when a monitor said it suspected the primary.
#[derive(Clone, Copy, Debug)]
struct Cause {
    /// An answer overdue by over an interval, or a ping that met the primary down or cut off.
    cause: bool,
    /// A ping that met it down or cut off.
    cut: bool,
}

/// A failover, from the controller's declaration to the clients' return.
#[derive(Clone, Debug)]
pub struct Failover {
    /// The primary declared failed.
    pub old: NodeId,
    /// The new epoch.
    pub epoch: u64,
    /// When the controller declared the failure.
    pub declared: SimTime,
    /// When the primary was first seen down or cut off (a monitor's ping), or, if never, when
    /// a monitor last heard from it.
    pub outage_start: SimTime,
    /// At the declaration the primary was down or not serving, or a majority of the monitors
    /// had cause to suspect it (see [`Observer::declared`]).
    pub justified: bool,
    /// The primary was up, serving and reachable from a majority of the monitors: late
    /// heartbeats fooled them.
    pub false_alarm: bool,
    /// What the harness saw, in words.
    pub seen: String,
    /// When and whom the controller promoted.
    pub promoted: Option<(SimTime, NodeId)>,
    /// When each client first had an answer from the new primary.
    pub rediscovered: BTreeMap<NodeId, SimTime>,
}

/// The record.
#[derive(Debug, Default)]
pub struct Observer {
    tenures: BTreeMap<(NodeId, u64), Tenure>,
    /// Writes clients were told succeeded, with when.
    acked: BTreeMap<WriteId, SimTime>,
    serving: BTreeMap<NodeId, bool>,
    monitors: BTreeMap<NodeId, MonitorRecord>,
    majority: usize,
    /// Every node's name, by index, for the checks' words.
    names: Vec<String>,
    failovers: Vec<Failover>,
    /// Each client's last successful answer, and its last invocation.
    last_ok: BTreeMap<NodeId, SimTime>,
    last_invoked: BTreeMap<NodeId, SimTime>,
    /// OCC: when each client's update succeeded.
    occ_done: BTreeMap<NodeId, SimTime>,
}

impl Observer {
    /// A record for a run with `monitors` monitors, whose nodes are named `names`.
    pub fn new(monitors: usize, names: Vec<String>) -> Self {
        Observer { majority: monitors / 2 + 1, names, ..Observer::default() }
    }

    /// A node's name.
    pub fn name(&self, node: NodeId) -> &str {
        self.names.get(node.index()).map_or("?", String::as_str)
    }

    /// A database node, primary of `epoch`, answered a client: a read's value, or a write (or
    /// an applied compare-and-set) acknowledged.
    pub fn acknowledged(&mut self, node: NodeId, epoch: u64, now: SimTime) {
        let t = self.tenures.entry((node, epoch)).or_insert(Tenure {
            node,
            epoch,
            first: now,
            last: now,
            answers: 0,
        });
        t.last = now;
        t.answers += 1;
    }

    /// A database node started or stopped serving as primary.
    pub fn serving(&mut self, node: NodeId, serving: bool) {
        self.serving.insert(node, serving);
    }

    /// Whether a node serves as primary, by its last word (a crashed node's word is void:
    /// the caller asks the kernel whether it is up).
    pub fn is_serving(&self, node: NodeId) -> bool {
        self.serving.get(&node).copied().unwrap_or(false)
    }

    /// A monitor sent ping `seq`; `bad`: the kernel knew the primary down, not serving, or cut
    /// off from it.
    pub fn pinged(&mut self, monitor: NodeId, seq: u64, bad: bool, now: SimTime) {
        let r = self.monitors.entry(monitor).or_default();
        if bad {
            r.bad = seq;
            r.first_bad.get_or_insert(now);
        }
    }

    /// The primary answered a monitor's ping `seq`.
    ///
    /// Called on every pong that reaches the monitor, before the monitor's own filters: the
    /// harness keeps its own (the watched primary, its epoch, a newer ping), so a monitor that
    /// wrongly drops answers does not make its silence look like cause.
    pub fn answered(&mut self, monitor: NodeId, from: NodeId, seq: u64, epoch: u64, now: SimTime) {
        let r = self.monitors.entry(monitor).or_default();
        if r.watched != Some((from, epoch)) || seq <= r.answered {
            return;
        }
        r.answered = seq;
        r.first_bad = None;
        r.last_answer = Some(now);
    }

    /// A monitor started watching a new primary: its earlier pings say nothing of it.
    pub fn watching(
        &mut self,
        monitor: NodeId,
        primary: NodeId,
        epoch: u64,
        seq: u64,
        now: SimTime,
    ) {
        let r = self.monitors.entry(monitor).or_default();
        r.watched = Some((primary, epoch));
        r.since = now;
        // Its ping numbers start again (a restarted monitor counts from 0): so do its opinions.
        r.opinions.clear();
        r.answered = seq;
        r.bad = 0;
        r.first_bad = None;
    }

    /// A monitor told the controller it suspects the primary, in its opinion `seq`: records
    /// whether it had cause, as the harness sees it. It had cause if it had had no answer from
    /// the primary for longer than an `interval` (a heartbeat was overdue: the primary was
    /// unreachable in time, whatever made it so, a cut, a loss or a delay), or if one of its
    /// pings since the last answer met the primary down or cut off from it.
    pub fn suspicion(&mut self, monitor: NodeId, seq: u64, now: SimTime, interval: SimDuration) {
        let r = self.monitors.entry(monitor).or_default();
        let heard = r.last_answer.map_or(r.since, |a| a.max(r.since));
        let cut = r.bad > r.answered;
        let cause = cut || now.saturating_since(heard) > interval;
        r.opinions.insert(seq, Cause { cause, cut });
        while r.opinions.len() > 64 {
            r.opinions.pop_first();
        }
    }

    /// The controller declared `old` failed, counting the suspicions `counted` (monitor and
    /// opinion); `down`: the kernel knew `old` crashed or not serving at that moment.
    ///
    /// The failover is justified if the primary was down, or a majority of the monitors had
    /// cause for the suspicions counted (the controller's count is not taken on trust: each
    /// suspicion is looked up in what the harness recorded when the monitor sent it). It is a
    /// *false alarm* if the primary was up and serving and fewer than a majority of those
    /// monitors had met it down or cut off: late heartbeats fooled them.
    pub fn declared(
        &mut self,
        old: NodeId,
        down: bool,
        counted: &[(NodeId, u64)],
        now: SimTime,
        interval: SimDuration,
    ) {
        let mut cause = Vec::new();
        let mut cut = 0;
        for (m, seq) in counted {
            let Some(c) = self.monitors.get(m).and_then(|r| r.opinions.get(seq)) else { continue };
            if c.cause && !cause.contains(m) {
                cause.push(*m);
                cut += usize::from(c.cut);
            }
        }
        let old_name = self.name(old).to_string();
        let justified = down || cause.len() >= self.majority;
        let seen = if down {
            format!("{old_name} was down or not serving")
        } else {
            let names: Vec<&str> = cause.iter().map(|m| self.name(*m)).collect();
            let counted: Vec<&str> = counted.iter().map(|(m, _)| self.name(*m)).collect();
            format!(
                "{old_name} was up and serving; the controller counted the suspicions of {}, of which {} had cause (an answer overdue by over an interval, {interval}, or a ping that met it cut off); a majority is {}",
                if counted.is_empty() { "no monitor".to_string() } else { counted.join(", ") },
                if names.is_empty() { "none".to_string() } else { names.join(", ") },
                self.majority
            )
        };
        let outage_start = self
            .monitors
            .values()
            .filter_map(|r| r.first_bad)
            .min()
            .or_else(|| self.monitors.values().filter_map(|r| r.last_answer).max())
            .unwrap_or(now);
        self.failovers.push(Failover {
            old,
            epoch: 0,
            declared: now,
            outage_start: outage_start.min(now),
            justified,
            false_alarm: !down && cut < self.majority,
            seen,
            promoted: None,
            rediscovered: BTreeMap::new(),
        });
    }

    /// The controller moved to `epoch` for the failover under way (a declaration, or one
    /// resumed after its restart or after its candidate fell silent).
    pub fn new_epoch(&mut self, epoch: u64) {
        if let Some(f) = self.failovers.last_mut().filter(|f| f.promoted.is_none()) {
            f.epoch = epoch;
        }
    }

    /// The controller's promotion of `node` to primary of `epoch` took effect; returns the
    /// failover's detection and promotion times.
    pub fn promoted(
        &mut self,
        node: NodeId,
        epoch: u64,
        now: SimTime,
    ) -> Option<(SimDuration, SimDuration)> {
        let f = self.failovers.iter_mut().rev().find(|f| f.epoch == epoch)?;
        f.promoted.get_or_insert((now, node));
        Some((f.declared.saturating_since(f.outage_start), now.saturating_since(f.declared)))
    }

    /// A client invoked an operation.
    pub fn invoked(&mut self, client: NodeId, now: SimTime) {
        self.last_invoked.insert(client, now);
    }

    /// A client had a definite answer from a primary of `epoch`; `write`: the write it
    /// acknowledged. Returns how long after the promotion this client found the new primary,
    /// if this is its first answer from it.
    pub fn answered_client(
        &mut self,
        client: NodeId,
        epoch: u64,
        write: Option<WriteId>,
        now: SimTime,
    ) -> Option<SimDuration> {
        self.last_ok.insert(client, now);
        if let Some(w) = write {
            self.acked.entry(w).or_insert(now);
        }
        let f = self.failovers.iter_mut().rev().find(|f| f.epoch == epoch)?;
        let (promoted, _) = f.promoted?;
        if f.rediscovered.contains_key(&client) {
            return None;
        }
        f.rediscovered.insert(client, now);
        Some(now.saturating_since(promoted))
    }

    /// An OCC client's update succeeded.
    pub fn occ_done(&mut self, client: NodeId, now: SimTime) {
        self.occ_done.entry(client).or_insert(now);
    }

    /// Every node's tenures as primary, in node and epoch order.
    pub fn tenures(&self) -> impl Iterator<Item = &Tenure> {
        self.tenures.values()
    }

    /// The writes clients were told succeeded, with when.
    pub fn acked(&self) -> &BTreeMap<WriteId, SimTime> {
        &self.acked
    }

    /// The failovers, in order.
    pub fn failovers(&self) -> &[Failover] {
        &self.failovers
    }

    /// Each client's last definite answer.
    pub fn last_ok(&self) -> &BTreeMap<NodeId, SimTime> {
        &self.last_ok
    }

    /// Each client's last invocation.
    pub fn last_invoked(&self) -> &BTreeMap<NodeId, SimTime> {
        &self.last_invoked
    }

    /// When each OCC client's update succeeded.
    pub fn occ_completions(&self) -> &BTreeMap<NodeId, SimTime> {
        &self.occ_done
    }
}
