//! A database node: the primary, or a standby that may be promoted.
//!
//! Every node keeps a log of writes on its disk, each entry tagged with the epoch of the primary
//! that appended it, and the highest epoch it has seen. The primary appends each client write,
//! ships the log to the standbys, and answers a write once it is *committed*: at once
//! (asynchronous replication), or when `sync_standbys` standbys have it (synchronous; semi-sync
//! also after a timeout). Its key-value state is its committed log, applied in order, so a read
//! never sees a write a failover could still lose. A standby takes entries only where they extend
//! its log (each shipment names the entry before it, as Raft's log matching does), and cuts
//! away a suffix that disagrees: that is how a deposed primary is rewound when it rejoins.
//!
//! A new primary appends a marker entry of its epoch and serves only once the marker commits,
//! which commits everything before it (Raft's rule: a primary counts replicas only of its own
//! epoch's entries). With leases it serves only while its lease from the controller runs;
//! with epoch fencing it steps down when a standby or the controller shows it a newer epoch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use sim_core::{LocalTime, NodeId, NodeStatus, SimDuration};

use crate::config::{Bug, Replication};
use crate::message::{Answer, Entry, Msg, Op, WriteId};
use crate::node::{Cluster, Ctx, Timer};

const EPOCH_KEY: &str = "db/epoch";
/// Most entries one shipment carries.
const BATCH: usize = 256;

/// A database node.
pub struct DbNode {
    me: NodeId,
    cluster: Arc<Cluster>,
    /// The highest epoch seen (on disk).
    epoch: u64,
    /// The log (on disk; this is its copy in memory).
    log: Vec<Entry>,
    /// Its primary's state, while it is one.
    primary: Option<Box<Primary>>,
    /// What the observer was last told: serving or not.
    published: bool,
}

/// A primary's volatile state.
struct Primary {
    epoch: u64,
    /// The index of its epoch's marker entry: it serves once that commits.
    marker: u64,
    /// Per standby: the last index known to match, and the next to ship.
    matched: BTreeMap<NodeId, u64>,
    next: BTreeMap<NodeId, u64>,
    commit: u64,
    applied: u64,
    state: BTreeMap<u64, i64>,
    /// Where each write of the log is, and the answers of those applied.
    ids: BTreeMap<WriteId, u64>,
    outcomes: BTreeMap<WriteId, Answer>,
    /// Answers owed: (index, client, request).
    owed: Vec<(u64, NodeId, u64)>,
    /// Uncommitted entries and when they were appended (semi-sync's timeout).
    appended: VecDeque<(u64, LocalTime)>,
    /// Semi-sync fell back to asynchronous replication.
    degraded: bool,
    lease_until: Option<LocalTime>,
    /// Lease requests out: (seq, sent at).
    renewals: VecDeque<(u64, LocalTime)>,
    next_seq: u64,
}

impl DbNode {
    /// Database node `me` of `cluster`.
    pub fn new(me: NodeId, cluster: Arc<Cluster>) -> Self {
        DbNode { me, cluster, epoch: 0, log: Vec::new(), primary: None, published: false }
    }

    /// Its log.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// The epoch it is primary of, if it is one.
    pub fn primary_epoch(&self) -> Option<u64> {
        self.primary.as_ref().map(|p| p.epoch)
    }

    /// As primary: the last index `standby` has acknowledged matching its log.
    pub fn matched(&self, standby: NodeId) -> Option<u64> {
        self.primary.as_ref()?.matched.get(&standby).copied()
    }

    /// What selectors and reports see.
    pub fn status(&self) -> NodeStatus {
        match &self.primary {
            Some(p) => NodeStatus { role: "primary", leading: true, term: p.epoch },
            None => NodeStatus { role: "standby", leading: false, term: self.epoch },
        }
    }

    /// Started at time zero (the first node is primary of epoch 1), or restarted from disk as a
    /// standby: a restarted primary waits to be told what it is.
    pub(crate) fn start(&mut self, ctx: Ctx, restarted: bool) {
        self.cluster.observe().serving(self.me, false);
        if !restarted {
            self.set_epoch(ctx, 1);
            if self.me == self.cluster.dbs[0] {
                self.become_primary(ctx, 1);
            }
            return;
        }
        self.epoch = match ctx.storage().get(EPOCH_KEY) {
            Ok(Some(b)) if b.len() == 8 => u64::from_le_bytes(b.try_into().expect("8 bytes")),
            _ => 1,
        };
        let (first, last) = ctx.storage().log_bounds();
        for index in first.max(1)..=last {
            match ctx.storage().log_get(index).ok().flatten().and_then(decode) {
                Some(e) => self.log.push(e),
                None => {
                    // A record lost or corrupt: the log ends before it.
                    ctx.storage().log_truncate_from(index);
                    break;
                }
            }
        }
    }

    fn set_epoch(&mut self, ctx: Ctx, epoch: u64) {
        if epoch > self.epoch {
            self.epoch = epoch;
            ctx.storage().put(EPOCH_KEY, epoch.to_le_bytes().to_vec());
            ctx.storage().sync();
        }
    }

    fn bug(&self, bug: Bug) -> bool {
        self.cluster.config.bug == Some(bug)
    }

    pub(crate) fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request { request, op } => self.request(ctx, from, request, op),
            Msg::Ping { seq } => {
                if let Some(epoch) = self.serving_epoch(ctx.now()) {
                    ctx.send(from, Msg::Pong { seq, epoch });
                }
            }
            Msg::Replicate { epoch, prev_index, prev_epoch, entries } => {
                self.replicate(ctx, from, epoch, prev_index, prev_epoch, entries)
            }
            Msg::Replicated { epoch, ok, index } => self.replicated(ctx, from, epoch, ok, index),
            Msg::Refused { epoch } if self.cluster.config.epoch_fencing => {
                self.deposed(ctx, epoch, false)
            }
            Msg::Demote { epoch } => self.deposed(ctx, epoch, true),
            Msg::Fence { epoch } => {
                if epoch < self.epoch {
                    return;
                }
                self.deposed(ctx, epoch, true);
                self.set_epoch(ctx, epoch);
                let (last_epoch, last_index) = self.last();
                ctx.send(from, Msg::Fenced { epoch, last_epoch, last_index });
            }
            Msg::Promote { epoch } => {
                if epoch < self.epoch {
                    return;
                }
                if self.primary_epoch() != Some(epoch) {
                    self.become_primary(ctx, epoch);
                }
                ctx.send(from, Msg::Promoted { epoch });
            }
            Msg::Lease { epoch, seq } => self.leased(ctx, epoch, seq),
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: Ctx, timer: Timer) {
        let Some(p) = &self.primary else { return };
        match timer {
            Timer::Replicate(epoch) if epoch == p.epoch => {
                self.semi_sync_timeout(ctx);
                let lagging: Vec<NodeId> = self.standbys();
                for s in lagging {
                    if self.primary.as_ref().expect("primary").matched[&s] < self.log.len() as u64 {
                        self.ship(ctx, s);
                    }
                }
                ctx.set_timer(self.tick(), Timer::Replicate(epoch));
            }
            Timer::Renew(epoch) if epoch == p.epoch => {
                self.ask_lease(ctx);
                ctx.set_timer(self.renew_every(), Timer::Renew(epoch));
            }
            Timer::LeaseEnd(epoch) if epoch == p.epoch => self.publish(ctx),
            _ => {}
        }
    }

    fn tick(&self) -> SimDuration {
        let c = &self.cluster.config;
        SimDuration((c.heartbeat_interval.as_nanos() / 2).max(1_000_000))
    }

    fn renew_every(&self) -> SimDuration {
        let c = &self.cluster.config;
        if c.leases { SimDuration(c.lease.as_nanos() / 3) } else { c.heartbeat_interval }
    }

    fn standbys(&self) -> Vec<NodeId> {
        self.cluster.dbs.iter().copied().filter(|d| *d != self.me).collect()
    }

    fn last(&self) -> (u64, u64) {
        (self.log.last().map_or(0, |e| e.epoch), self.log.len() as u64)
    }

    /// The epoch it serves in now, if it serves: primary, its marker committed, and (with
    /// leases) its lease running.
    fn serving_epoch(&self, now: LocalTime) -> Option<u64> {
        let p = self.primary.as_ref()?;
        if p.commit < p.marker {
            return None;
        }
        if self.cluster.config.leases {
            let until = p.lease_until?;
            // The no-fencing bug serves on once it has had a lease, however long ago.
            if now >= until && !self.bug(Bug::NoFencing) {
                return None;
            }
        }
        Some(p.epoch)
    }

    /// Tells the observer when it starts or stops serving.
    fn publish(&mut self, ctx: Ctx) {
        let serving = self.serving_epoch(ctx.now()).is_some();
        if serving != self.published {
            self.published = serving;
            self.cluster.observe().serving(self.me, serving);
        }
        if serving {
            self.answer_owed(ctx);
        }
    }

    fn become_primary(&mut self, ctx: Ctx, epoch: u64) {
        self.set_epoch(ctx, epoch);
        let next_index = self.log.len() as u64 + 1;
        let standbys = self.standbys();
        let ids = self
            .log
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.write.map(|(id, _)| (id, i as u64 + 1)))
            .collect();
        self.primary = Some(Box::new(Primary {
            epoch,
            marker: next_index,
            matched: standbys.iter().map(|s| (*s, 0)).collect(),
            next: standbys.iter().map(|s| (*s, next_index)).collect(),
            commit: 0,
            applied: 0,
            state: BTreeMap::new(),
            ids,
            outcomes: BTreeMap::new(),
            owed: Vec::new(),
            appended: VecDeque::new(),
            degraded: false,
            lease_until: None,
            renewals: VecDeque::new(),
            next_seq: 0,
        }));
        ctx.annotate(&format!("primary of epoch {epoch}"));
        if epoch > 1 {
            ctx.event("promoted");
        }
        self.append(ctx, Entry { epoch, write: None });
        ctx.set_timer(self.tick(), Timer::Replicate(epoch));
        self.ask_lease(ctx);
        ctx.set_timer(self.renew_every(), Timer::Renew(epoch));
    }

    /// A newer epoch was shown to it: a primary of an older one steps down. The no-fencing
    /// bug ignores the standbys' refusals (`by_controller` false), not the controller's word.
    fn deposed(&mut self, ctx: Ctx, epoch: u64, by_controller: bool) {
        let Some(p) = &self.primary else { return };
        if epoch <= p.epoch || (self.bug(Bug::NoFencing) && !by_controller) {
            return;
        }
        self.set_epoch(ctx, epoch);
        self.primary = None;
        ctx.annotate(&format!("steps down: epoch {epoch}"));
        self.publish(ctx);
    }

    fn ask_lease(&mut self, ctx: Ctx) {
        let now = ctx.now();
        let Some(p) = self.primary.as_mut() else { return };
        p.next_seq += 1;
        let seq = p.next_seq;
        p.renewals.push_back((seq, now));
        while p.renewals.len() > 8 {
            p.renewals.pop_front();
        }
        let epoch = p.epoch;
        ctx.send(self.cluster.controller, Msg::Alive { epoch, seq });
    }

    fn leased(&mut self, ctx: Ctx, epoch: u64, seq: u64) {
        let lease = self.cluster.config.lease;
        let Some(p) = self.primary.as_mut() else { return };
        if epoch != p.epoch {
            return;
        }
        // The lease runs from when it was asked for: the controller granted it later.
        let Some(&(_, sent)) = p.renewals.iter().find(|(s, _)| *s == seq) else { return };
        let until = LocalTime(sent.0.saturating_add(lease.as_nanos() as i64));
        if p.lease_until.is_none_or(|u| until > u) {
            p.lease_until = Some(until);
            ctx.set_timer_at(until, Timer::LeaseEnd(epoch));
        }
        self.publish(ctx);
    }

    fn request(&mut self, ctx: Ctx, client: NodeId, request: u64, op: Op) {
        let Some(epoch) = self.serving_epoch(ctx.now()) else {
            let epoch = self.epoch;
            ctx.send(client, Msg::Reply { request, epoch, answer: Answer::NotPrimary });
            return;
        };
        let p = self.primary.as_mut().expect("serving");
        if let Op::Read { key } = op {
            let answer = Answer::Ok(p.state.get(&key).copied());
            self.cluster.observe().acknowledged(self.me, epoch, ctx.sim_time());
            ctx.send(client, Msg::Reply { request, epoch, answer });
            return;
        }
        let id = WriteId { client, request };
        if let Some(&index) = p.ids.get(&id) {
            // A retry: answer it when its first copy commits.
            if !p.owed.contains(&(index, client, request)) {
                p.owed.push((index, client, request));
            }
            self.answer_owed(ctx);
            return;
        }
        let index = self.log.len() as u64 + 1;
        p.ids.insert(id, index);
        p.owed.push((index, client, request));
        self.append(ctx, Entry { epoch, write: Some((id, op)) });
    }

    /// Appends to its own log, ships to standbys that are caught up, and commits what it can.
    fn append(&mut self, ctx: Ctx, entry: Entry) {
        let index = self.log.len() as u64 + 1;
        self.log.push(entry);
        ctx.storage().log_append(index, encode(&entry));
        ctx.storage().sync();
        let now = ctx.now();
        let p = self.primary.as_mut().expect("a primary appends");
        p.appended.push_back((index, now));
        let caught_up: Vec<NodeId> =
            p.next.iter().filter(|(_, n)| **n == index).map(|(s, _)| *s).collect();
        for s in caught_up {
            self.ship(ctx, s);
        }
        self.advance(ctx);
    }

    fn ship(&mut self, ctx: Ctx, standby: NodeId) {
        let p = self.primary.as_ref().expect("a primary ships");
        let next = p.next[&standby].max(1);
        let prev_index = next - 1;
        let prev_epoch = if prev_index == 0 { 0 } else { self.log[prev_index as usize - 1].epoch };
        let from = prev_index as usize;
        let to = self.log.len().min(from + BATCH);
        let entries = self.log[from..to].to_vec();
        ctx.send(standby, Msg::Replicate { epoch: p.epoch, prev_index, prev_epoch, entries });
    }

    fn replicated(&mut self, ctx: Ctx, from: NodeId, epoch: u64, ok: bool, index: u64) {
        let Some(p) = self.primary.as_mut() else { return };
        if epoch != p.epoch || !p.matched.contains_key(&from) {
            return;
        }
        if ok {
            let m = p.matched.get_mut(&from).expect("standby");
            *m = (*m).max(index);
            let next = p.next.get_mut(&from).expect("standby");
            *next = (*next).max(index + 1);
            if *next <= self.log.len() as u64 {
                self.ship(ctx, from);
            }
            self.advance(ctx);
        } else {
            p.next.insert(from, index + 1);
            self.ship(ctx, from);
        }
    }

    /// The `k`th highest index the standbys are known to hold.
    fn kth_matched(p: &Primary, k: u32) -> u64 {
        let mut m: Vec<u64> = p.matched.values().copied().collect();
        m.sort_unstable_by(|a, b| b.cmp(a));
        m.get(k as usize - 1).copied().unwrap_or(0)
    }

    /// Moves the commit point as the replication mode allows, applies, and answers.
    fn advance(&mut self, ctx: Ctx) {
        let c = &self.cluster.config;
        let last = self.log.len() as u64;
        let immediate = c.replication == Replication::Async || self.bug(Bug::AckBeforeReplicate);
        let p = self.primary.as_mut().expect("a primary commits");
        let replicated = Self::kth_matched(p, c.sync_standbys);
        if p.degraded && replicated >= last {
            p.degraded = false; // a standby caught up: semi-sync again
        }
        let target = if immediate || p.degraded { last } else { replicated };
        // Only an entry of its own epoch is committed by counting copies (Raft's rule).
        if target > p.commit && self.log[target as usize - 1].epoch == p.epoch {
            p.commit = target;
            while p.appended.front().is_some_and(|(i, _)| *i <= target) {
                p.appended.pop_front();
            }
        }
        while p.applied < p.commit {
            p.applied += 1;
            let Some((id, op)) = self.log[p.applied as usize - 1].write else { continue };
            let answer = match op {
                Op::Write { key, value } => {
                    p.state.insert(key, value);
                    Answer::Ok(None)
                }
                Op::Cas { key, expected, new } => {
                    if p.state.get(&key).copied() == expected {
                        p.state.insert(key, new);
                        Answer::Ok(None)
                    } else {
                        Answer::CasFailed
                    }
                }
                Op::Read { .. } => unreachable!("reads are not logged"),
            };
            p.outcomes.insert(id, answer);
        }
        self.publish(ctx);
    }

    /// Answers the writes that have committed, if it serves.
    fn answer_owed(&mut self, ctx: Ctx) {
        let Some(epoch) = self.serving_epoch(ctx.now()) else { return };
        let p = self.primary.as_mut().expect("serving");
        let applied = p.applied;
        let owed = std::mem::take(&mut p.owed);
        for (index, client, request) in owed {
            if index > applied {
                p.owed.push((index, client, request));
                continue;
            }
            let id = WriteId { client, request };
            let answer = p.outcomes.get(&id).copied().unwrap_or(Answer::Ok(None));
            if answer == Answer::Ok(None) {
                self.cluster.observe().acknowledged(self.me, epoch, ctx.sim_time());
            }
            ctx.send(client, Msg::Reply { request, epoch, answer });
            ctx.event("acked");
        }
    }

    /// Semi-sync: a write that waited its timeout for the standbys is committed without them,
    /// and the primary runs asynchronously until one catches up.
    fn semi_sync_timeout(&mut self, ctx: Ctx) {
        let c = &self.cluster.config;
        if c.replication != Replication::SemiSync {
            return;
        }
        let now = ctx.now();
        let p = self.primary.as_mut().expect("primary");
        let waited = p.appended.front().is_some_and(|(_, at)| {
            now.0.saturating_sub(at.0) >= c.semi_sync_timeout.as_nanos() as i64
        });
        if waited && !p.degraded {
            p.degraded = true;
            ctx.metrics().count("failover.semi_sync_fallbacks", 1);
            self.advance(ctx);
        }
    }

    /// A standby takes a shipment that extends its log, cutting away a suffix that disagrees.
    fn replicate(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        epoch: u64,
        prev_index: u64,
        prev_epoch: u64,
        entries: Vec<Entry>,
    ) {
        if epoch < self.epoch && self.cluster.config.epoch_fencing {
            ctx.send(from, Msg::Refused { epoch: self.epoch });
            return;
        }
        if self.primary.is_some() {
            if self.primary_epoch() >= Some(epoch) {
                return; // another primary of an epoch not newer than its own: not its leader
            }
            self.deposed(ctx, epoch, false);
            if self.primary.is_some() {
                return; // the no-fencing bug stays primary
            }
        }
        self.set_epoch(ctx, epoch);
        let len = self.log.len() as u64;
        if prev_index > len
            || (prev_index > 0 && self.log[prev_index as usize - 1].epoch != prev_epoch)
        {
            // Resend from before the disagreement: the start of its last epoch's entries.
            let hint = if prev_index > len {
                len
            } else {
                let bad = self.log[prev_index as usize - 1].epoch;
                let mut i = prev_index - 1;
                while i > 0 && self.log[i as usize - 1].epoch == bad {
                    i -= 1;
                }
                i
            };
            ctx.send(from, Msg::Replicated { epoch, ok: false, index: hint });
            return;
        }
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_index + 1 + offset as u64;
            if index <= self.log.len() as u64 {
                if self.log[index as usize - 1].epoch == entry.epoch || self.bug(Bug::NoRewind) {
                    continue;
                }
                // A suffix from a deposed primary: rewound.
                let cut = self.log.len() as u64 - index + 1;
                ctx.metrics().count("failover.entries_rewound", cut);
                ctx.annotate(&format!("rewinds {cut} entries from index {index}"));
                self.log.truncate(index as usize - 1);
                ctx.storage().log_truncate_from(index);
            }
            self.log.push(*entry);
            ctx.storage().log_append(index, encode(entry));
        }
        ctx.storage().sync();
        let index = prev_index + entries.len() as u64;
        ctx.send(from, Msg::Replicated { epoch, ok: true, index });
    }
}

/// A log entry on disk: epoch, then the write (client, request, op) if any.
fn encode(e: &Entry) -> Vec<u8> {
    let mut b = Vec::with_capacity(48);
    b.extend_from_slice(&e.epoch.to_le_bytes());
    if let Some((id, op)) = e.write {
        b.extend_from_slice(&id.client.0.to_le_bytes());
        b.extend_from_slice(&id.request.to_le_bytes());
        let (tag, key, a, b2) = match op {
            Op::Read { key } => (0u8, key, 0, 0),
            Op::Write { key, value } => (1, key, value, 0),
            Op::Cas { key, expected: None, new } => (2, key, 0, new),
            Op::Cas { key, expected: Some(x), new } => (3, key, x, new),
        };
        b.push(tag);
        b.extend_from_slice(&key.to_le_bytes());
        b.extend_from_slice(&a.to_le_bytes());
        b.extend_from_slice(&b2.to_le_bytes());
    }
    b
}

fn decode(b: &[u8]) -> Option<Entry> {
    let u64_at = |i: usize| Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?));
    let epoch = u64_at(0)?;
    if b.len() == 8 {
        return Some(Entry { epoch, write: None });
    }
    let client = NodeId(u32::from_le_bytes(b.get(8..12)?.try_into().ok()?));
    let request = u64_at(12)?;
    let tag = *b.get(20)?;
    let (key, a, b2) = (u64_at(21)?, u64_at(29)? as i64, u64_at(37)? as i64);
    let op = match tag {
        0 => Op::Read { key },
        1 => Op::Write { key, value: a },
        2 => Op::Cas { key, expected: None, new: b2 },
        3 => Op::Cas { key, expected: Some(a), new: b2 },
        _ => return None,
    };
    Some(Entry { epoch, write: Some((WriteId { client, request }, op)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_the_disk_encoding() {
        let id = WriteId { client: NodeId(7), request: (3 << 32) + 5 };
        for write in [
            None,
            Some((id, Op::Write { key: 4, value: -2 })),
            Some((id, Op::Cas { key: 9, expected: None, new: 1 })),
            Some((id, Op::Cas { key: 9, expected: Some(3), new: 4 })),
        ] {
            let e = Entry { epoch: 12, write };
            assert_eq!(decode(&encode(&e)), Some(e));
        }
        assert_eq!(decode(&[1, 2, 3]), None);
    }
}
