//! The harness's record of a failover run, from points it trusts: the acknowledgements
//! database nodes send (not what they believe about their epoch), the answers clients receive,
//! and what the kernel knew when a monitor pinged and when the controller declared a failure
//! (whether the primary was up and serving, and which links a partition cut). The checks and
//! the downtime figures are computed from it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim_core::{NodeId, SimTime};

use crate::message::WriteId;

/// The observer, shared by the nodes of one run.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// One node's run as primary in one epoch: when it acknowledged writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The node.
    pub node: NodeId,
    /// The epoch it served in.
    pub epoch: u64,
    /// Its first write acknowledgement.
    pub first: SimTime,
    /// Its last.
    pub last: SimTime,
    /// How many it sent.
    pub writes: u64,
}

/// What one monitor's pings met, by sequence number.
#[derive(Clone, Copy, Debug, Default)]
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
    /// At the declaration the primary was down, not serving, or cut off from a majority of
    /// the monitors (the harness's view, not the monitors').
    pub justified: bool,
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

    /// A database node acknowledged a write (or an applied compare-and-set) in `epoch`.
    pub fn acknowledged(&mut self, node: NodeId, epoch: u64, now: SimTime) {
        let t = self.tenures.entry((node, epoch)).or_insert(Tenure {
            node,
            epoch,
            first: now,
            last: now,
            writes: 0,
        });
        t.last = now;
        t.writes += 1;
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
    pub fn answered(&mut self, monitor: NodeId, seq: u64, now: SimTime) {
        let r = self.monitors.entry(monitor).or_default();
        r.answered = r.answered.max(seq);
        r.first_bad = None;
        r.last_answer = Some(now);
    }

    /// A monitor started watching a new primary: its earlier pings say nothing of it.
    pub fn watching(&mut self, monitor: NodeId, seq: u64) {
        let r = self.monitors.entry(monitor).or_default();
        r.answered = seq;
        r.bad = 0;
        r.first_bad = None;
    }

    /// The controller declared `old` failed and moved to `epoch`; `down`: the kernel knew it
    /// crashed or not serving at that moment.
    pub fn declared(&mut self, old: NodeId, epoch: u64, down: bool, now: SimTime) {
        // A monitor had cause to suspect when a ping since the primary's last answer met it
        // down or cut off.
        let cut: Vec<&str> = self
            .monitors
            .iter()
            .filter(|(_, r)| r.bad > r.answered)
            .map(|(m, _)| self.name(*m))
            .collect();
        let old_name = self.name(old).to_string();
        let justified = down || cut.len() >= self.majority;
        let seen = if down {
            format!("{old_name} was down or not serving")
        } else {
            format!(
                "{old_name} was up and serving; {} of the monitors had met it down or cut off since its last answer ({}), a majority is {}",
                cut.len(),
                cut.join(", "),
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
            epoch,
            declared: now,
            outage_start: outage_start.min(now),
            justified,
            seen,
            promoted: None,
            rediscovered: BTreeMap::new(),
        });
    }

    /// The controller's promotion of `node` to primary of `epoch` took effect.
    pub fn promoted(&mut self, node: NodeId, epoch: u64, now: SimTime) {
        if let Some(f) = self.failovers.iter_mut().rev().find(|f| f.epoch == epoch) {
            f.promoted.get_or_insert((now, node));
        }
    }

    /// A client invoked an operation.
    pub fn invoked(&mut self, client: NodeId, now: SimTime) {
        self.last_invoked.insert(client, now);
    }

    /// A client had a definite answer from a primary of `epoch`; `write`: the write it
    /// acknowledged.
    pub fn answered_client(
        &mut self,
        client: NodeId,
        epoch: u64,
        write: Option<WriteId>,
        now: SimTime,
    ) {
        self.last_ok.insert(client, now);
        if let Some(w) = write {
            self.acked.entry(w).or_insert(now);
        }
        if let Some(f) = self.failovers.iter_mut().rev().find(|f| f.epoch == epoch) {
            if f.promoted.is_some() {
                f.rediscovered.entry(client).or_insert(now);
            }
        }
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
