//! The check **Acknowledged Writes Survive**, and liveness, judged from what the primary
//! reported to a read-only observer and from the nodes' disks at the end of the run.
//!
//! The primary reports every write it acknowledges to a client (the claim). At the end, the
//! check reads the log that would serve the next request (the facts): the primary's, if it is
//! up; else the longest backup log, which is what a restarted primary would adopt. Every
//! acknowledged write must be in it, found by its client and request id. A write acknowledged
//! and then missing is a lost write: the check fails at the time of its acknowledgement.
//!
//! The nodes share the observer through an `Arc<Mutex<…>>` that the node factory hands each of
//! them, so its records survive their crashes (the kernel rebuilds a crashed node from the
//! factory; the observer is the same one).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use check::outcome::CheckResult;
use sim_core::{NodeId, SimDuration, SimTime, Topology};

use crate::log::Entry;

/// The check's name, as scenario files, `faultline list` and the known bug spell it.
pub const SURVIVE: &str = "Acknowledged Writes Survive";

/// The observer as the nodes hold it.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// A write the primary told its client had succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    /// The client.
    pub client: NodeId,
    /// Its request id.
    pub request_id: u64,
    /// Its sequence number in the primary's log when acknowledged.
    pub seq: u64,
    /// When the acknowledgement was sent.
    pub time: SimTime,
}

/// What the nodes report as the run goes.
#[derive(Debug, Default)]
pub struct Observer {
    /// Every write acknowledged, in order.
    pub acked: Vec<AckedWrite>,
    /// When the primary answered each logged request (a write, or a compare-and-set whether
    /// or not it matched): the commit moving is what liveness looks for.
    pub answered: Vec<SimTime>,
}

impl Observer {
    /// A fresh observer, shared.
    pub fn shared() -> SharedObserver {
        Arc::new(Mutex::new(Observer::default()))
    }

    /// The first answer to a logged request at or after `t`.
    pub fn first_answer_at_or_after(&self, t: SimTime) -> Option<SimTime> {
        self.answered.iter().copied().find(|&a| a >= t)
    }
}

/// The log a check reads at the end of the run, and whose it is.
#[derive(Clone, Debug)]
pub struct FinalLog {
    /// Whose log it is, for the check's detail (`primary`, `backup2`).
    pub node: String,
    /// Its entries.
    pub entries: Vec<Entry>,
}

/// The writes acknowledged and missing from `log`.
pub fn lost_writes(acked: &[AckedWrite], log: &FinalLog) -> Vec<AckedWrite> {
    let present: BTreeSet<(NodeId, u64)> =
        log.entries.iter().map(|e| (e.client, e.request_id)).collect();
    acked.iter().filter(|a| !present.contains(&(a.client, a.request_id))).copied().collect()
}

/// Acknowledged Writes Survive: every write acknowledged to a client is in `log`.
pub fn acknowledged_writes_survive(
    acked: &[AckedWrite],
    log: &FinalLog,
    topology: &Topology,
) -> CheckResult {
    if topology.clients == 0 {
        return CheckResult::not_applicable(SURVIVE, "the scenario has no clients: no write");
    }
    if acked.is_empty() {
        // Nothing was promised, so nothing can be judged: never a pass.
        return CheckResult::unknown(SURVIVE, "no write was acknowledged");
    }
    let lost = lost_writes(acked, log);
    match lost.first() {
        None => CheckResult::pass(
            SURVIVE,
            format!(
                "all {} acknowledged writes are in {}'s log ({} entries)",
                acked.len(),
                log.node,
                log.entries.len()
            ),
        ),
        Some(first) => CheckResult::fail(
            SURVIVE,
            format!(
                "{} of {} acknowledged writes are missing from {}'s log ({} entries) at the end; \
                 the first: request {} of {} at sequence {}, acknowledged at {:.3} s",
                lost.len(),
                acked.len(),
                log.node,
                log.entries.len(),
                first.request_id,
                topology.name(first.client),
                first.seq,
                first.time.as_secs_f64()
            ),
        )
        .at(first.time.as_nanos()),
    }
}

/// Liveness: after every fault healed, the primary answered a write or a compare-and-set (so
/// its log committed) within the quiet period. A compare-and-set counts though it may not
/// match: a workload of reads and compare-and-sets on fresh keys may never write at all.
pub fn liveness(obs: &Observer, quiet_start: SimTime, quiet: SimDuration) -> CheckResult {
    const NAME: &str = "liveness";
    match obs.first_answer_at_or_after(quiet_start) {
        Some(t) => CheckResult::pass(
            NAME,
            format!(
                "after every fault healed, the primary answered a write or compare-and-set \
                 within {:.1} ms (bound: the {quiet} quiet period)",
                t.saturating_since(quiet_start).as_millis_f64()
            ),
        ),
        None if obs.answered.is_empty() => {
            CheckResult::fail(NAME, "the primary never answered a write or compare-and-set")
        }
        None => CheckResult::fail(
            NAME,
            format!(
                "no write or compare-and-set was answered in the {quiet} after every fault healed"
            ),
        ),
    }
}
