//! What the coordinators tell the checks: every write they acknowledged and every read they
//! answered, with versions and times. The client history alone cannot say which version a read
//! returned; this can.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim_core::{NodeId, SimTime};

use crate::placement::SharedPlacements;
use crate::version::{Clock, Siblings, Version};

/// A write a coordinator acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    /// The key.
    pub key: u64,
    /// The value.
    pub value: i64,
    /// Its version.
    pub version: Version,
    /// Its vector clock (empty outside vector-clock mode).
    pub clock: Clock,
    /// When the coordinator received the request.
    pub started: SimTime,
    /// When it acknowledged it.
    pub acked: SimTime,
    /// The replicas whose acknowledgements made its quorum.
    pub acked_by: Vec<NodeId>,
}

impl AckedWrite {
    /// Whether a read that returned `version` (its highest) and `context` (its versions'
    /// clocks merged) saw this write or a newer one. Under vector clocks a read that returned
    /// siblings counts as seeing every write their clocks together descend from.
    pub fn seen_by(&self, version: Option<Version>, context: &Clock) -> bool {
        if self.clock.is_empty() {
            version.is_some_and(|v| v >= self.version)
        } else {
            context.descends(&self.clock)
        }
    }
}

/// A read a coordinator answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnsweredRead {
    /// The key.
    pub key: u64,
    /// The highest version it returned (`None`: nothing was written that it saw).
    pub version: Option<Version>,
    /// The clocks of the versions it returned, merged (empty outside vector-clock mode).
    pub context: Clock,
    /// When the coordinator received the request.
    pub started: SimTime,
    /// When it answered.
    pub answered: SimTime,
}

/// Everything the coordinators reported, in the order it happened.
#[derive(Clone, Debug, Default)]
pub struct Observer {
    /// Acknowledged writes.
    pub writes: Vec<AckedWrite>,
    /// Answered reads.
    pub reads: Vec<AnsweredRead>,
    /// The t-visibility probe: per grid point, (consistent reads, reads).
    pub probe: Vec<(u64, u64)>,
    /// The run's placement at every membership epoch (what the servers placed keys by).
    pub placements: Option<SharedPlacements>,
    /// Servers that departed, and when (the kernel's record, copied in when the run ends).
    pub departed: Vec<(NodeId, SimTime)>,
    /// What a replica held on disk after each change, by key: (server, versions, when). Kept
    /// only in runs where servers can leave (`track_stores`): it serves to tell which writes a
    /// departure destroyed, and at a million writes it costs a few hundred MiB.
    pub stores: BTreeMap<u64, Vec<(NodeId, Siblings, SimTime)>>,
    /// Whether `stores` is kept.
    pub track_stores: bool,
}

/// The observer the nodes share (it outlives crashes: it is the test harness, not a node).
pub type SharedObserver = Arc<Mutex<Observer>>;

impl Observer {
    /// A probe read at grid point `point` ended: it saw the write or not.
    pub fn probe_outcome(&mut self, point: usize, consistent: bool) {
        if self.probe.len() <= point {
            self.probe.resize(point + 1, (0, 0));
        }
        self.probe[point].0 += u64::from(consistent);
        self.probe[point].1 += 1;
    }

    /// A fresh shared observer of a run whose servers place keys by `placements`;
    /// `track_stores` if servers can leave.
    pub fn shared(placements: SharedPlacements, track_stores: bool) -> SharedObserver {
        let observer =
            Observer { placements: Some(placements), track_stores, ..Observer::default() };
        Arc::new(Mutex::new(observer))
    }

    /// Reads that returned a version older than a write to the same key acknowledged before
    /// the read began: stale by the only measure that needs no global clock of versions.
    pub fn stale_reads(&self) -> u64 {
        let acked = acked_by_time(&self.writes);
        self.reads
            .iter()
            .filter(|r| {
                let Some(acks) = acked.get(&r.key) else { return false };
                let before = acks.partition_point(|(t, _)| *t < r.started);
                before > 0 && !self.writes[acks[before - 1].1].seen_by(r.version, &r.context)
            })
            .count() as u64
    }

    /// t-visibility measured on the client operations, for each delay of `grid`: of the reads
    /// that began more than t after some write to their key was acknowledged (so at t = 0,
    /// one minus it is the stale-read rate among reads that had a write before them), (those that
    /// returned the newest such write or a newer version, all of them). Bailis et al.'s
    /// t-visibility with the workload's own reads instead of one probe per write.
    pub fn t_visibility(&self, grid: &[sim_core::SimDuration]) -> Vec<(u64, u64)> {
        let acked = acked_by_time(&self.writes);
        grid.iter()
            .map(|&t| {
                let (mut seen, mut n) = (0, 0);
                for r in &self.reads {
                    let Some(acks) = acked.get(&r.key) else { continue };
                    let Some(cutoff) = r.started.0.checked_sub(t.as_nanos()) else { continue };
                    let before = acks.partition_point(|(at, _)| at.0 < cutoff);
                    if before == 0 {
                        continue;
                    }
                    n += 1;
                    let newest = &self.writes[acks[before - 1].1];
                    seen += u64::from(newest.seen_by(r.version, &r.context));
                }
                (seen, n)
            })
            .collect()
    }

    /// Acknowledged writes that lost to an older write: a write acknowledged before this one
    /// began carries a higher version, so readers never see this one (last writer wins, by
    /// clocks that disagree; or a write stamped from a quorum that had not seen the older). In
    /// the order they were acknowledged.
    ///
    /// O(writes × log writes): per key, the writes sorted by acknowledgement time with a running
    /// maximum of their versions, so each write asks one binary search whether any write
    /// acknowledged before it began has a higher version (a pairwise comparison of all writes
    /// took hours at a million writes).
    pub fn lost_writes(&self) -> Vec<AckedWrite> {
        lost_among(&self.writes)
    }

    /// Acknowledged writes destroyed by departures: after the write was acknowledged, a
    /// departure left no server holding its version or a newer one (a departing server takes
    /// its disk with it; crashes lose nothing synced). What happens to the key afterwards does
    /// not bring it back: a version stamped later from the survivors is numerically higher,
    /// not newer. These are lost to faults, not to the protocol. Their indices in `writes`,
    /// ascending.
    pub fn destroyed(&self) -> Vec<usize> {
        if self.departed.is_empty() {
            return Vec::new();
        }
        let mut by_key: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, w) in self.writes.iter().enumerate() {
            by_key.entry(w.key).or_default().push(i);
        }
        let mut out = Vec::new();
        for (key, stores) in &self.stores {
            let Some(writes) = by_key.get(key) else { continue };
            // What each server held just before each departure, replayed in time order.
            let mut live: BTreeMap<NodeId, &Siblings> = BTreeMap::new();
            let mut next_store = stores.iter().peekable();
            for &(gone, at) in &self.departed {
                while let Some((n, held, _)) = next_store.next_if(|&(_, _, t)| *t <= at) {
                    live.insert(*n, held);
                }
                if live.remove(&gone).is_none() {
                    continue;
                }
                out.extend(writes.iter().copied().filter(|&i| {
                    let w = &self.writes[i];
                    w.acked <= at && !live.values().any(|h| h.covers(w.version, &w.clock))
                }));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Per key, the writes' acknowledgement times in order, each with the newest write
/// acknowledged by then (its index in `writes`): the highest version, or under vector clocks
/// (where versions are not ordered) the last acknowledged.
fn acked_by_time(writes: &[AckedWrite]) -> BTreeMap<u64, Vec<(SimTime, usize)>> {
    let mut by_key: BTreeMap<u64, Vec<(SimTime, usize)>> = BTreeMap::new();
    for (i, w) in writes.iter().enumerate() {
        by_key.entry(w.key).or_default().push((w.acked, i));
    }
    for acks in by_key.values_mut() {
        acks.sort();
        let mut best: Option<usize> = None;
        for a in acks.iter_mut() {
            let w = &writes[a.1];
            if best.is_none_or(|b| !w.clock.is_empty() || w.version > writes[b].version) {
                best = Some(a.1);
            }
            a.1 = best.expect("set");
        }
    }
    by_key
}

/// Writes of `writes` lost to an older write (see [`Observer::lost_writes`]); none under
/// vector clocks, where an older write is never preferred to a concurrent one.
pub fn lost_among(writes: &[AckedWrite]) -> Vec<AckedWrite> {
    let by_key = acked_by_time(writes);
    writes
        .iter()
        .filter(|w| {
            let acks = &by_key[&w.key];
            let before = acks.partition_point(|(t, _)| *t < w.started);
            before > 0 && w.clock.is_empty() && writes[acks[before - 1].1].version > w.version
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(stamp: u64) -> Version {
        Version { stamp, node: 0, op: 0 }
    }

    #[test]
    fn a_read_older_than_a_write_acknowledged_before_it_began_is_stale() {
        let t = SimTime;
        let o = Observer {
            writes: vec![AckedWrite {
                key: 1,
                value: 5,
                version: v(10),
                clock: Clock::default(),
                started: t(0),
                acked: t(5),
                acked_by: vec![],
            }],
            reads: vec![
                AnsweredRead {
                    key: 1,
                    version: None,
                    context: Clock::default(),
                    started: t(4),
                    answered: t(4),
                },
                AnsweredRead {
                    key: 1,
                    version: None,
                    context: Clock::default(),
                    started: t(6),
                    answered: t(6),
                },
                AnsweredRead {
                    key: 1,
                    version: Some(v(10)),
                    context: Clock::default(),
                    started: t(7),
                    answered: t(7),
                },
                AnsweredRead {
                    key: 2,
                    version: None,
                    context: Clock::default(),
                    started: t(7),
                    answered: t(7),
                },
            ],
            probe: Vec::new(),
            placements: None,
            departed: Vec::new(),
            stores: BTreeMap::new(),
            track_stores: false,
        };
        assert_eq!(o.stale_reads(), 1);
    }

    #[test]
    fn a_write_stamped_below_one_acknowledged_before_it_is_lost_to_skew() {
        let t = SimTime;
        let o = Observer {
            writes: vec![
                AckedWrite {
                    key: 1,
                    value: 1,
                    version: v(10),
                    clock: Clock::default(),
                    started: t(0),
                    acked: t(5),
                    acked_by: vec![],
                },
                AckedWrite {
                    key: 1,
                    value: 2,
                    version: v(8),
                    clock: Clock::default(),
                    started: t(6),
                    acked: t(9),
                    acked_by: vec![],
                },
                AckedWrite {
                    key: 1,
                    value: 3,
                    version: v(20),
                    clock: Clock::default(),
                    started: t(7),
                    acked: t(12),
                    acked_by: vec![],
                },
            ],
            reads: Vec::new(),
            probe: Vec::new(),
            placements: None,
            departed: Vec::new(),
            stores: BTreeMap::new(),
            track_stores: false,
        };
        let lost: Vec<i64> = o.lost_writes().iter().map(|w| w.value).collect();
        assert_eq!(lost, vec![2]);
    }

    #[test]
    fn lost_writes_agree_with_comparing_every_pair() {
        // A fixed pseudo-random mix: 4 keys, overlapping writes, stamps out of time order.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        let writes: Vec<AckedWrite> = (0..400)
            .map(|i| {
                let started = next(1000);
                AckedWrite {
                    key: next(4),
                    value: i as i64,
                    version: Version { stamp: next(50), node: next(3) as u32, op: 0 },
                    clock: Clock::default(),
                    started: SimTime(started),
                    acked: SimTime(started + 1 + next(30)),
                    acked_by: Vec::new(),
                }
            })
            .collect();
        let pairwise: Vec<AckedWrite> = writes
            .iter()
            .filter(|w| {
                writes
                    .iter()
                    .any(|e| e.key == w.key && e.acked < w.started && e.version > w.version)
            })
            .cloned()
            .collect();
        let o = Observer { writes, ..Observer::default() };
        assert!(!pairwise.is_empty());
        assert_eq!(o.lost_writes(), pairwise);
    }

    #[test]
    fn t_visibility_counts_reads_begun_more_than_t_after_an_acknowledged_write() {
        let t = SimTime;
        let ms = 1_000_000;
        let write = |version: u64, acked: u64| AckedWrite {
            key: 1,
            value: 0,
            version: v(version),
            clock: Clock::default(),
            started: t(0),
            acked: t(acked),
            acked_by: vec![],
        };
        let read = |version: Option<u64>, started: u64| AnsweredRead {
            key: 1,
            version: version.map(v),
            context: Clock::default(),
            started: t(started),
            answered: t(started),
        };
        let o = Observer {
            writes: vec![write(1, 10 * ms), write(2, 20 * ms)],
            reads: vec![
                read(None, 5 * ms),     // before any write: not counted
                read(Some(1), 21 * ms), // 1 ms after the second write: stale
                read(Some(2), 22 * ms), // saw it
                read(Some(1), 40 * ms), // 20 ms after: stale
            ],
            ..Observer::default()
        };
        let grid = [0, 5, 15].map(sim_core::SimDuration::from_millis);
        // t = 0: three reads after the second write, one saw it; t = 5 ms: the 21 and 22 ms
        // reads count against the first write (both saw it or newer), the 40 ms one against
        // the second; t = 15 ms: the 40 ms read alone.
        assert_eq!(o.t_visibility(&grid), vec![(1, 3), (2, 3), (0, 1)]);
        assert_eq!(o.stale_reads(), 2);
    }
}
