//! A Raft server: the paper's algorithm as a sans-IO state machine.
//!
//! Election with randomized timeouts (and optionally PreVote); log replication with the
//! consistency check and fast backtracking of `nextIndex` (a rejection says where the
//! follower's conflicting term begins); commitment only of entries from the leader's own term
//! (Figure 8), counted by replicas; term, vote and log synced to disk before any reply that
//! depends on them; recovery from disk after a crash; snapshots every `snapshot_threshold`
//! applied entries, sent to followers that fell behind with InstallSnapshot; CheckQuorum;
//! linearizable reads by ReadIndex or through the log; client sessions so a retried request is
//! applied once; batches of up to `max_batch` entries, one AppendEntries in flight per follower
//! (as in LogCabin): its answer sends the next batch, and ReadIndex rounds ride on the same
//! messages. Every message carries a fresh round, so the leader knows which answer is to the
//! last message sent; one unanswered past a retransmission timeout (from measured round trips,
//! as TCP's) is sent again when another follower's answer arrives, or at the next heartbeat.
//!
//! A server that finds its disk corrupt on restart halts (it neither votes nor campaigns): it
//! cannot know what it promised.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sim_core::trace::digest;
use sim_core::{Context, LocalTime, NodeId, NodeStatus, SimDuration, SimTime, TimerId};
use workload::{ClientReply, ClientRequest, KvOp, KvResult};

use crate::config::{Bug, RaftConfig, ReadMode};
use crate::log::{self, Log};
use crate::message::{Command, Entry, RaftMsg};
use crate::node::{RaftNode, RaftTimer};
use crate::observer::SharedObserver;

/// The round an answer echoes when it answers no message of the current leader: a leader's
/// rounds start at 1.
const NO_ROUND: u64 = 0;
use crate::state_machine::{Snapshot, StateMachine};

type Ctx<'a, 'b> = &'a mut Context<'b, RaftNode>;

const META_KEY: &str = "meta";
const SNAP_KEY: &str = "snap";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

/// A read waiting for its ReadIndex confirmation.
#[derive(Clone, Debug)]
struct PendingRead {
    read_index: u64,
    round: u64,
    client: NodeId,
    request_id: u64,
    key: u64,
}

/// What only a leader keeps.
#[derive(Clone, Debug, Default)]
struct LeaderState {
    next_index: Vec<u64>,
    match_index: Vec<u64>,
    /// The last AppendEntries (or InstallSnapshot) sent to this follower is unanswered: the
    /// answer to it sends the next, with every entry and read round that came up meanwhile.
    in_flight: Vec<bool>,
    /// When the last message to each follower left (local clock).
    sent_at: Vec<LocalTime>,
    /// Each follower's round trip (nanoseconds, smoothed as TCP does: RFC 6298) and its mean
    /// deviation, from answers to the last message sent; zero until the first.
    srtt_ns: Vec<u64>,
    rttvar_ns: Vec<u64>,
    /// How many times the message to each follower was retried since its last answer: each
    /// retry doubles the wait before the next (as TCP's retransmission timer backs off).
    retries: Vec<u32>,
    /// The round the last message to each follower carried.
    sent_round: Vec<u64>,
    /// When each follower last answered (local clock), for CheckQuorum.
    last_ack: Vec<LocalTime>,
    /// The highest round each follower echoed.
    acked_round: Vec<u64>,
    /// The round of the last message sent. Every message to a follower carries the next one, so
    /// a round names one message: an answer echoing an older round than its follower's last
    /// (a retried message's original, a duplicate) updates what the leader knows but sends
    /// nothing, and the leader keeps one message in flight per follower. A read is confirmed
    /// by a majority echoing a round sent after it arrived (ReadIndex).
    round: u64,
    /// Index of this leader's first entry (its no-op): reads wait until it commits.
    term_start: u64,
    became_leader_at: LocalTime,
    /// With `heartbeat_entry`: the index of the last heartbeat's entry and the followers it
    /// is kept from until the next heartbeat (0: none kept).
    withheld_index: u64,
    withheld_from: Vec<bool>,
    /// Client requests in the log, answered when applied.
    waiting: BTreeMap<u64, (NodeId, u64)>,
    in_log: BTreeSet<(NodeId, u64)>,
    reads: Vec<PendingRead>,
    /// When each entry was appended (simulated time), for commit latency.
    appended_at: BTreeMap<u64, SimTime>,
}

/// A Raft server.
pub struct RaftServer {
    id: NodeId,
    servers: u32,
    config: Arc<RaftConfig>,
    observer: SharedObserver,
    term: u64,
    vote: Option<NodeId>,
    log: Log,
    snapshot: Arc<Snapshot>,
    sm: StateMachine,
    commit: u64,
    applied: u64,
    state: State,
    leader: Option<NodeId>,
    votes: BTreeSet<NodeId>,
    /// Servers that answered this term's RequestVote (granted or not).
    answered: BTreeSet<NodeId>,
    election_timer: Option<TimerId>,
    /// When the election timeout runs out (local clock): the last reset plus its drawn timeout.
    election_deadline: LocalTime,
    /// Where the armed election timer fires; at or before `election_deadline`.
    election_armed_at: LocalTime,
    heartbeat_timer: Option<TimerId>,
    lazy_sync: Option<TimerId>,
    last_leader_contact: Option<LocalTime>,
    lead: LeaderState,
    halted: bool,
}

impl RaftServer {
    /// Server `id` of `servers`, with its config and the run's observer.
    pub fn new(
        id: NodeId,
        servers: u32,
        config: Arc<RaftConfig>,
        observer: SharedObserver,
    ) -> Self {
        RaftServer {
            id,
            servers,
            config,
            observer,
            term: 0,
            vote: None,
            log: Log::default(),
            snapshot: Arc::new(Snapshot::default()),
            sm: StateMachine::default(),
            commit: 0,
            applied: 0,
            state: State::Follower,
            leader: None,
            votes: BTreeSet::new(),
            answered: BTreeSet::new(),
            election_timer: None,
            election_deadline: LocalTime(0),
            election_armed_at: LocalTime(0),
            heartbeat_timer: None,
            lazy_sync: None,
            last_leader_contact: None,
            lead: LeaderState::default(),
            halted: false,
        }
    }

    /// Role and term, for selectors and reports.
    pub fn status(&self) -> NodeStatus {
        let role = match self.state {
            State::Follower => "follower",
            State::PreCandidate => "pre-candidate",
            State::Candidate => "candidate",
            State::Leader => "leader",
        };
        NodeStatus { role, leading: self.state == State::Leader, term: self.term }
    }

    /// The commit index (for tests and reports).
    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    fn majority(&self) -> usize {
        self.servers as usize / 2 + 1
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.id;
        (0..self.servers).map(NodeId).filter(move |&p| p != me)
    }

    fn send(&self, ctx: Ctx, to: NodeId, msg: RaftMsg) {
        ctx.send(to, msg);
    }

    /// Sends a reply that waited for a disk sync: `sync_latency` later.
    fn send_synced(&self, ctx: Ctx, to: NodeId, msg: RaftMsg) {
        if self.config.sync_latency.is_zero() {
            ctx.send(to, msg);
        } else {
            ctx.send_after(to, msg, self.config.sync_latency);
        }
    }

    // ---- start, recovery, persistence ----

    /// Start or restart: rebuild from disk.
    pub fn on_start(&mut self, ctx: Ctx) {
        if self.recover(ctx).is_none() {
            self.halted = true;
            ctx.metrics().count("raft.halted_on_corrupt_disk", 1);
            ctx.annotate("disk corrupt: halted");
            return;
        }
        // What survived on disk, which a crash may have cut short.
        let (term, index) = (self.log.last_term(), self.log.last_index());
        self.observer.lock().expect("observer").log_replaced(self.id, term, index);
        self.reset_election_timer(ctx);
    }

    fn recover(&mut self, ctx: Ctx) -> Option<()> {
        let storage = ctx.storage();
        if let Some(bytes) = storage.get(META_KEY).ok()? {
            (self.term, self.vote) = log::decode_meta(bytes)?;
        }
        if let Some(bytes) = storage.get(SNAP_KEY).ok()? {
            let snap = log::decode_snapshot(bytes)?;
            self.log = Log::after(snap.index, snap.term);
            self.sm = StateMachine { kv: snap.kv.clone(), sessions: snap.sessions.clone() };
            self.commit = snap.index;
            self.applied = snap.index;
            self.snapshot = Arc::new(snap);
        }
        let (first, last) = storage.log_bounds();
        if first > self.log.snapshot_index + 1 && first <= last {
            return None; // entries between the snapshot and the log are missing
        }
        for index in first.max(self.log.snapshot_index + 1)..=last {
            let entry = log::decode_entry(storage.log_get(index).ok()??)?;
            self.log.push(entry);
        }
        Some(())
    }

    fn persist_meta(&self, ctx: Ctx) {
        // The forget-vote bug: the vote never reaches the disk.
        let vote = if self.config.bug == Some(Bug::ForgetVote) { None } else { self.vote };
        ctx.storage().put(META_KEY, log::encode_meta(self.term, vote));
    }

    fn persist_entry(&self, ctx: Ctx, index: u64) {
        let e = self.log.get(index).expect("persisting an entry in memory");
        ctx.storage().log_append(index, log::encode_entry(e));
    }

    fn report_appended(&self, now: SimTime, index: u64) {
        let e = self.log.get(index).expect("reporting an entry in memory");
        let prev = self.log.term_at(index - 1).unwrap_or(0);
        let mut obs = self.observer.lock().expect("observer");
        obs.appended(now, self.id, index, e.term, prev, digest(e));
    }

    // ---- timers ----

    /// Restarts the election timeout with a fresh random length. Followers do this on every
    /// AppendEntries, so the timer is re-armed lazily: an armed timer that fires no later than
    /// the new deadline is kept, and when it fires early it is armed again for the rest.
    fn reset_election_timer(&mut self, ctx: Ctx) {
        let r = self.config.election_timeout;
        let timeout = ctx.rng().range_inclusive(r.lo.as_nanos(), r.hi.as_nanos());
        let deadline = LocalTime(ctx.now().0.saturating_add(timeout.min(i64::MAX as u64) as i64));
        self.election_deadline = deadline;
        if self.election_timer.is_some() && self.election_armed_at <= deadline {
            return;
        }
        if let Some(t) = self.election_timer.take() {
            ctx.cancel_timer(t);
        }
        self.arm_election_timer(ctx);
    }

    fn arm_election_timer(&mut self, ctx: Ctx) {
        self.election_armed_at = self.election_deadline;
        self.election_timer = Some(ctx.set_timer_at(self.election_deadline, RaftTimer::Election));
    }

    /// A server timer fired.
    pub fn on_timer(&mut self, ctx: Ctx, timer: RaftTimer) {
        if self.halted {
            return;
        }
        match timer {
            RaftTimer::Election => {
                self.election_timer = None;
                if ctx.now() < self.election_deadline {
                    // Reset since it was armed: wait for the rest of the timeout.
                    self.arm_election_timer(ctx);
                    return;
                }
                if self.state != State::Leader {
                    self.campaign(ctx);
                }
            }
            RaftTimer::Heartbeat => {
                self.heartbeat_timer = None;
                if self.state == State::Leader {
                    self.heartbeat(ctx);
                }
            }
            RaftTimer::VoteRetry { term } => {
                // Servers retry RPCs that get no answer (Figure 2); a vote request is one.
                if self.state == State::Candidate && term == self.term {
                    self.ask_votes(ctx, term, false);
                    ctx.set_timer(self.config.heartbeat(), RaftTimer::VoteRetry { term });
                }
            }
            RaftTimer::LazySync => {
                self.lazy_sync = None;
                ctx.storage().sync();
            }
            RaftTimer::Client(_) => {}
        }
    }

    fn heartbeat(&mut self, ctx: Ctx) {
        if self.config.check_quorum && !self.quorum_heard_recently(ctx) {
            ctx.annotate(
                "CheckQuorum: no majority heard within an election timeout; stepping down",
            );
            let term = self.term;
            self.become_follower(ctx, term);
            return;
        }
        if self.config.heartbeat_entry {
            self.append_heartbeat_entry(ctx);
        }
        // To every follower with nothing in flight, and to those whose message is overdue
        // (or has been out a quarter of an interval): the follower hears from the leader at
        // least every interval and a quarter, well inside the minimum election timeout of two.
        // A message still on its way is left alone: its answer sends the next.
        let now = ctx.now();
        let quarter = self.config.heartbeat().as_nanos() / 4;
        for p in self.peers() {
            let i = p.index();
            if !self.lead.in_flight[i] || self.unanswered_for(now, i) >= self.rto(i).min(quarter) {
                self.retry_or_send(ctx, p);
            }
        }
        self.heartbeat_timer = Some(ctx.set_timer(self.config.heartbeat(), RaftTimer::Heartbeat));
        if self.config.heartbeat_entry {
            ctx.event("appended");
        }
    }

    /// The last entry follower `i` may be sent: the log's last, or before the heartbeat's
    /// entry while it is kept from `i` (`heartbeat_entry`).
    fn sendable_last(&self, i: usize) -> u64 {
        if self.lead.withheld_index > 0 && self.lead.withheld_from[i] {
            self.lead.withheld_index - 1
        } else {
            self.log.last_index()
        }
    }

    /// `heartbeat_entry`: appends a no-op that this heartbeat carries to a random nonempty
    /// part of the followers, never all of them, so a crash aimed at it (`appended`) leaves
    /// logs of different lengths while every follower's timer restarts at the broadcast.
    fn append_heartbeat_entry(&mut self, ctx: Ctx) {
        let followers: Vec<NodeId> = self.peers().collect();
        if followers.len() < 2 {
            return;
        }
        let index = self.log.push(Entry { term: self.term, command: Command::Noop });
        self.persist_entry(ctx, index);
        ctx.storage().sync();
        self.report_appended(ctx.sim_time(), index);
        self.lead.match_index[self.id.index()] = index;
        self.lead.appended_at.insert(index, ctx.sim_time());
        // How many get it (1..=n-1), then which: a partial Fisher-Yates shuffle.
        let mut order = followers;
        let reached = ctx.rng().range_inclusive(1, order.len() as u64 - 1) as usize;
        for k in 0..reached {
            let j = ctx.rng().range_inclusive(k as u64, order.len() as u64 - 1) as usize;
            order.swap(k, j);
        }
        self.lead.withheld_index = index;
        self.lead.withheld_from = vec![false; self.servers as usize];
        for p in &order[reached..] {
            self.lead.withheld_from[p.index()] = true;
        }
    }

    fn unanswered_for(&self, now: LocalTime, i: usize) -> u64 {
        (now.0 - self.lead.sent_at[i].0).max(0) as u64
    }

    /// How long the message to follower `i` may go unanswered before it is presumed lost:
    /// its smoothed round trip plus four deviations, at least twice the round trip, doubled by
    /// each retry since its last answer; `u64::MAX` before a first answer measured it.
    fn rto(&self, i: usize) -> u64 {
        let srtt = self.lead.srtt_ns[i];
        if srtt == 0 {
            return u64::MAX;
        }
        let rto = srtt.saturating_add((4 * self.lead.rttvar_ns[i]).max(srtt));
        rto.saturating_mul(1 << self.lead.retries[i].min(16))
    }

    /// Sends to follower `p`, counting a retry if its last message is unanswered.
    fn retry_or_send(&mut self, ctx: Ctx, p: NodeId) {
        let i = p.index();
        if self.lead.in_flight[i] {
            self.lead.retries[i] = self.lead.retries[i].saturating_add(1);
            ctx.metrics().count("raft.append_retries", 1);
        }
        self.send_append(ctx, p);
    }

    /// Retries every follower whose message is overdue (lost, or its answer was). Called on
    /// each answer, so under load a lost message is retried about a round trip after it was
    /// due, not at the next heartbeat.
    fn retry_overdue(&mut self, ctx: Ctx) {
        let now = ctx.now();
        for p in self.peers() {
            let i = p.index();
            if self.lead.in_flight[i] && self.unanswered_for(now, i) >= self.rto(i) {
                self.retry_or_send(ctx, p);
            }
        }
    }

    fn quorum_heard_recently(&self, ctx: Ctx) -> bool {
        let now = ctx.now().0;
        let window = self.config.election_timeout.hi.as_nanos() as i64;
        if now - self.lead.became_leader_at.0 < window {
            return true;
        }
        let heard = self.peers().filter(|p| now - self.lead.last_ack[p.index()].0 < window).count();
        heard + 1 >= self.majority()
    }

    // ---- elections ----

    fn campaign(&mut self, ctx: Ctx) {
        self.reset_election_timer(ctx);
        if self.config.pre_vote {
            self.state = State::PreCandidate;
            self.votes = BTreeSet::from([self.id]);
            self.ask_votes(ctx, self.term + 1, true);
            if self.votes.len() >= self.majority() {
                self.start_election(ctx);
            }
        } else {
            self.start_election(ctx);
        }
    }

    fn ask_votes(&self, ctx: Ctx, term: u64, pre_vote: bool) {
        for p in self.peers().filter(|p| pre_vote || !self.answered.contains(p)) {
            let msg = RaftMsg::RequestVote {
                term,
                last_log_index: self.log.last_index(),
                last_log_term: self.log.last_term(),
                pre_vote,
            };
            self.send(ctx, p, msg);
        }
    }

    fn start_election(&mut self, ctx: Ctx) {
        self.term += 1;
        self.vote = Some(self.id);
        self.state = State::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        self.answered = BTreeSet::from([self.id]);
        self.persist_meta(ctx);
        ctx.storage().sync();
        ctx.metrics().count("raft.elections_started", 1);
        let now = ctx.sim_time();
        ctx.metrics().add_to_series("raft.elections_started", now, 1);
        self.ask_votes(ctx, self.term, false);
        ctx.set_timer(self.config.heartbeat(), RaftTimer::VoteRetry { term: self.term });
        if self.votes.len() >= self.majority() {
            self.become_leader(ctx);
        }
    }

    fn heard_from_leader_recently(&self, ctx: Ctx) -> bool {
        let min = self.config.election_timeout.lo.as_nanos() as i64;
        self.state == State::Leader
            || self.last_leader_contact.is_some_and(|t| ctx.now().0 - t.0 < min)
    }

    fn on_request_vote(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
        pre_vote: bool,
    ) {
        let up_to_date = (last_term, last_index) >= (self.log.last_term(), self.log.last_index());
        if pre_vote {
            let granted = term > self.term && up_to_date && !self.heard_from_leader_recently(ctx);
            self.send(ctx, from, RaftMsg::VoteReply { term, granted, pre_vote: true });
            return;
        }
        // Disruption guard (dissertation 4.2.3), with PreVote or CheckQuorum on: a server that
        // hears from a current leader ignores RequestVotes for a minimum election timeout.
        if (self.config.pre_vote || self.config.check_quorum)
            && term > self.term
            && self.heard_from_leader_recently(ctx)
        {
            return;
        }
        if term > self.term {
            self.become_follower(ctx, term);
        }
        let granted = term == self.term && self.vote.is_none_or(|v| v == from) && up_to_date;
        if granted {
            self.vote = Some(from);
            self.reset_election_timer(ctx);
        }
        self.persist_meta(ctx);
        ctx.storage().sync();
        self.send_synced(
            ctx,
            from,
            RaftMsg::VoteReply { term: self.term, granted, pre_vote: false },
        );
        if granted {
            ctx.event("voted");
        }
    }

    fn on_vote_reply(&mut self, ctx: Ctx, from: NodeId, term: u64, granted: bool, pre_vote: bool) {
        if pre_vote {
            if self.state == State::PreCandidate && term == self.term + 1 && granted {
                self.votes.insert(from);
                if self.votes.len() >= self.majority() {
                    self.start_election(ctx);
                }
            }
            return;
        }
        if term > self.term {
            self.become_follower(ctx, term);
            return;
        }
        if self.state == State::Candidate && term == self.term {
            self.answered.insert(from);
        }
        if self.state == State::Candidate && term == self.term && granted {
            self.votes.insert(from);
            if self.votes.len() >= self.majority() {
                self.become_leader(ctx);
            }
        }
    }

    fn become_follower(&mut self, ctx: Ctx, term: u64) {
        if term > self.term {
            self.term = term;
            self.vote = None;
            self.persist_meta(ctx);
            // Every reply from now on speaks for the new term, heartbeats included: a server
            // that acknowledged term T+1 and came back from a crash in term T could confirm an
            // old leader's ReadIndex round (found by raft-nemesis.toml, seed 1).
            ctx.storage().sync();
        }
        if self.state == State::Leader {
            // Requests in flight get no answer from us; clients retry elsewhere.
            let lead = std::mem::take(&mut self.lead);
            for (client, request_id) in lead
                .waiting
                .values()
                .copied()
                .chain(lead.reads.iter().map(|r| (r.client, r.request_id)))
            {
                self.reply(ctx, client, request_id, KvResult::NotLeader { leader: None });
            }
            if let Some(t) = self.heartbeat_timer.take() {
                ctx.cancel_timer(t);
            }
        }
        self.state = State::Follower;
        if self.election_timer.is_none() {
            self.reset_election_timer(ctx);
        }
    }

    fn become_leader(&mut self, ctx: Ctx) {
        self.state = State::Leader;
        self.leader = Some(self.id);
        if let Some(t) = self.election_timer.take() {
            ctx.cancel_timer(t);
        }
        let n = self.servers as usize;
        let now = ctx.now();
        let term_start = self.log.push(Entry { term: self.term, command: Command::Noop });
        self.lead = LeaderState {
            next_index: vec![term_start; n],
            match_index: vec![0; n],
            in_flight: vec![false; n],
            sent_at: vec![now; n],
            srtt_ns: vec![0; n],
            rttvar_ns: vec![0; n],
            retries: vec![0; n],
            sent_round: vec![0; n],
            last_ack: vec![now; n],
            acked_round: vec![0; n],
            round: 0,
            term_start,
            became_leader_at: now,
            ..LeaderState::default()
        };
        self.lead.match_index[self.id.index()] = term_start;
        self.persist_entry(ctx, term_start);
        ctx.storage().sync();
        self.lead.appended_at.insert(term_start, ctx.sim_time());
        {
            let mut obs = self.observer.lock().expect("observer");
            obs.elected(ctx.sim_time(), self.term, self.id, &self.log);
        }
        self.report_appended(ctx.sim_time(), term_start);
        ctx.metrics().count("raft.elections", 1);
        let now = ctx.sim_time();
        ctx.metrics().add_to_series("raft.leaders_elected", now, 1);
        ctx.annotate(&format!("leader of term {}", self.term));
        ctx.event("elected");
        self.heartbeat(ctx);
        self.advance_commit(ctx);
    }

    // ---- replication ----

    fn send_append(&mut self, ctx: Ctx, p: NodeId) {
        let i = p.index();
        let next = self.lead.next_index[i];
        self.lead.round += 1;
        let round = self.lead.round;
        if next <= self.log.snapshot_index {
            let msg = RaftMsg::InstallSnapshot {
                term: self.term,
                snapshot: self.snapshot.clone(),
                round,
            };
            self.lead.in_flight[i] = true;
            self.lead.sent_at[i] = ctx.now();
            self.lead.sent_round[i] = round;
            self.send(ctx, p, msg);
            return;
        }
        let prev_index = next - 1;
        let prev_term =
            self.log.term_at(prev_index).expect("prev entry is in the log or the snapshot");
        let most = (self.config.max_batch as u64).min(self.sendable_last(i) + 1 - next);
        let entries = self.log.slice(next, most as usize);
        self.lead.in_flight[i] = true;
        self.lead.sent_at[i] = ctx.now();
        self.lead.sent_round[i] = round;
        let msg = RaftMsg::Append {
            term: self.term,
            prev_index,
            prev_term,
            entries,
            commit: self.commit,
            round,
        };
        self.send(ctx, p, msg);
    }

    // The handlers take the RPC's fields as arguments, as the paper's figures list them.
    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        round: u64,
    ) {
        let reject = |s: &Self, ctx: Ctx, conflict_index: u64| {
            let msg = RaftMsg::AppendReply {
                term: s.term,
                success: false,
                match_index: 0,
                conflict_index,
                round,
            };
            s.send(ctx, from, msg);
        };
        if term < self.term {
            // An answer to an older term's leader echoes no round: rounds restart with each
            // leadership, so an old round echoed in this term could confirm this term's leader's
            // ReadIndex rounds on the word of a server it never reached (seed 1343 of
            // raft-nemesis.toml under swarm found a stale read this way).
            let msg = RaftMsg::AppendReply {
                term: self.term,
                success: false,
                match_index: 0,
                conflict_index: 0,
                round: NO_ROUND,
            };
            return self.send(ctx, from, msg);
        }
        self.accept_leader(ctx, from, term);
        // Entries the snapshot already covers are committed: skip them.
        let (mut prev_index, mut prev_term, mut entries) = (prev_index, prev_term, entries);
        if prev_index < self.log.snapshot_index {
            let skip = (self.log.snapshot_index - prev_index) as usize;
            entries.drain(..skip.min(entries.len()));
            prev_index = self.log.snapshot_index;
            prev_term = self.log.snapshot_term;
        }
        if prev_index > self.log.last_index() {
            return reject(self, ctx, self.log.last_index() + 1);
        }
        if self.log.term_at(prev_index) != Some(prev_term) {
            let conflict = self.log.first_index_of_term_at(prev_index);
            return reject(self, ctx, conflict);
        }
        let mut index = prev_index;
        let mut wrote = false;
        for e in entries {
            index += 1;
            match self.log.term_at(index) {
                Some(t) if t == e.term => continue,
                Some(_) => {
                    ctx.storage().log_truncate_from(index);
                    self.log.truncate_from(index);
                }
                None => {}
            }
            self.log.push(e);
            self.persist_entry(ctx, index);
            self.report_appended(ctx.sim_time(), index);
            wrote = true;
        }
        if wrote {
            self.sync_before_ack(ctx);
            ctx.event("replicated");
        }
        if commit > self.commit {
            self.commit = commit.min(index).max(self.commit);
            self.apply(ctx);
        }
        let msg = RaftMsg::AppendReply {
            term: self.term,
            success: true,
            match_index: index,
            conflict_index: 0,
            round,
        };
        if wrote && self.config.bug != Some(Bug::AckBeforeSync) {
            self.send_synced(ctx, from, msg);
        } else {
            self.send(ctx, from, msg);
        }
    }

    /// Syncs before acknowledging — unless the ack-before-sync bug defers it.
    fn sync_before_ack(&mut self, ctx: Ctx) {
        if self.config.bug == Some(Bug::AckBeforeSync) {
            if self.lazy_sync.is_none() {
                let later = SimDuration(self.config.heartbeat().as_nanos() * 4);
                self.lazy_sync = Some(ctx.set_timer(later, RaftTimer::LazySync));
            }
        } else {
            ctx.storage().sync();
        }
    }

    fn accept_leader(&mut self, ctx: Ctx, leader: NodeId, term: u64) {
        if term > self.term || self.state != State::Follower {
            self.become_follower(ctx, term);
        }
        self.leader = Some(leader);
        self.last_leader_contact = Some(ctx.now());
        self.reset_election_timer(ctx);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        term: u64,
        success: bool,
        match_index: u64,
        conflict_index: u64,
        round: u64,
    ) {
        if term > self.term {
            self.become_follower(ctx, term);
            return;
        }
        if self.state != State::Leader || term != self.term || round == NO_ROUND {
            return; // not an answer to this leader: its term only matters (above)
        }
        let i = from.index();
        // The answer to the last message sent to this follower, or to an earlier one.
        let latest = round == self.lead.sent_round[i];
        if latest {
            self.lead.in_flight[i] = false;
            self.lead.retries[i] = 0;
            let sample = self.unanswered_for(ctx.now(), i).max(1);
            let (srtt, rttvar) = (self.lead.srtt_ns[i], self.lead.rttvar_ns[i]);
            (self.lead.srtt_ns[i], self.lead.rttvar_ns[i]) = if srtt == 0 {
                (sample, sample / 2)
            } else {
                ((7 * srtt + sample) / 8, (3 * rttvar + srtt.abs_diff(sample)) / 4)
            };
        }
        self.lead.last_ack[i] = ctx.now();
        self.lead.acked_round[i] = self.lead.acked_round[i].max(round);
        if success {
            // A follower's snapshot covers only committed entries, which a correct leader holds
            // (Leader Completeness); a follower that matches beyond this leader's log got them
            // from another leader of this term (the forget-vote bug), and the checks report it.
            // Believe it only as far as this log goes.
            let match_index = match_index.min(self.log.last_index());
            self.lead.match_index[i] = self.lead.match_index[i].max(match_index);
            self.lead.next_index[i] = self.lead.next_index[i].max(match_index + 1);
            self.advance_commit(ctx);
        } else if latest && conflict_index <= self.lead.match_index[i] {
            // The follower no longer holds entries it acknowledged (it lost them in a crash:
            // only possible when acknowledgements run ahead of its disk). Believe its log as it
            // is now and repair it, rather than wait forever for it to accept what it lacks.
            self.lead.match_index[i] = conflict_index.saturating_sub(1);
            self.lead.next_index[i] = conflict_index.max(1);
        } else {
            // Fast backtracking: jump to where the follower's conflicting term begins.
            self.lead.next_index[i] = conflict_index.max(self.lead.match_index[i] + 1).max(1);
        }
        self.serve_reads(ctx);
        // Only the answer to the last message continues the chain: the one still in flight
        // carries what an earlier answer would send.
        let read_round = self.lead.reads.last().map_or(0, |r| r.round);
        if self.state == State::Leader
            && latest
            && (!success
                || self.lead.next_index[i] <= self.sendable_last(i)
                || self.lead.sent_round[i] < read_round)
        {
            self.send_append(ctx, from);
        }
        if self.state == State::Leader {
            self.retry_overdue(ctx);
        }
    }

    fn advance_commit(&mut self, ctx: Ctx) {
        let majority = self.majority();
        let mut target = None;
        for n in (self.commit + 1..=self.log.last_index()).rev() {
            let term_ok = self.log.term_at(n) == Some(self.term)
                || self.config.bug == Some(Bug::CommitPreviousTerm);
            if !term_ok {
                // Entries of earlier terms commit only below one of ours (Figure 8).
                break;
            }
            if self.lead.match_index.iter().filter(|&&m| m >= n).count() >= majority {
                target = Some(n);
                break;
            }
        }
        let Some(n) = target else { return };
        let now = ctx.sim_time();
        {
            let mut obs = self.observer.lock().expect("observer");
            for i in self.commit + 1..=n {
                let e = self.log.get(i).expect("committed entry in memory");
                obs.committed(
                    now,
                    self.term,
                    i,
                    e.term,
                    digest(e),
                    matches!(e.command, Command::Op { .. }),
                );
            }
        }
        for i in self.commit + 1..=n {
            if let Some(t) = self.lead.appended_at.remove(&i) {
                ctx.metrics().record("raft.commit_latency_ns", now.saturating_since(t).as_nanos());
            }
        }
        ctx.metrics().add_to_series("raft.committed", now, n - self.commit);
        ctx.event("committed");
        self.commit = n;
        self.apply(ctx);
        self.serve_reads(ctx);
    }

    fn apply(&mut self, ctx: Ctx) {
        while self.applied < self.commit {
            let index = self.applied + 1;
            let Some(e) = self.log.get(index) else { break };
            let d = digest(e);
            let result = self.sm.apply(&e.command);
            self.applied = index;
            self.observer.lock().expect("observer").applied(ctx.sim_time(), self.id, index, d);
            if self.state == State::Leader {
                if let Some((client, request_id)) = self.lead.waiting.remove(&index) {
                    self.lead.in_log.remove(&(client, request_id));
                    if let Some(r) = result {
                        self.reply(ctx, client, request_id, r);
                    }
                }
            }
        }
        if self.applied - self.log.snapshot_index >= self.config.snapshot_threshold {
            self.take_snapshot(ctx);
        }
    }

    fn take_snapshot(&mut self, ctx: Ctx) {
        let index = self.applied;
        let term = self.log.term_at(index).expect("applied entry");
        let snap =
            Snapshot { index, term, kv: self.sm.kv.clone(), sessions: self.sm.sessions.clone() };
        ctx.storage().put(SNAP_KEY, log::encode_snapshot(&snap));
        ctx.storage().log_compact_to(index);
        ctx.storage().sync();
        self.log.compact_to(index, term);
        self.snapshot = Arc::new(snap);
        ctx.metrics().count("raft.snapshots_taken", 1);
        ctx.event("snapshot");
    }

    fn on_install_snapshot(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        term: u64,
        snap: Arc<Snapshot>,
        round: u64,
    ) {
        if term < self.term {
            let msg = RaftMsg::SnapshotReply { term: self.term, index: 0, round: NO_ROUND };
            return self.send(ctx, from, msg);
        }
        self.accept_leader(ctx, from, term);
        if snap.index > self.commit {
            let keep_suffix = self.log.term_at(snap.index) == Some(snap.term);
            if !keep_suffix {
                ctx.storage().log_truncate_from(self.log.snapshot_index + 1);
            }
            ctx.storage().log_compact_to(snap.index);
            if keep_suffix {
                self.log.compact_to(snap.index, snap.term);
            } else {
                self.log = Log::after(snap.index, snap.term);
                let mut obs = self.observer.lock().expect("observer");
                obs.log_replaced(self.id, snap.term, snap.index);
            }
            self.sm = StateMachine { kv: snap.kv.clone(), sessions: snap.sessions.clone() };
            self.commit = snap.index;
            self.applied = snap.index;
            ctx.storage().put(SNAP_KEY, log::encode_snapshot(&snap));
            ctx.storage().sync();
            self.snapshot = snap.clone();
            ctx.metrics().count("raft.snapshots_installed", 1);
        }
        let msg = RaftMsg::SnapshotReply { term: self.term, index: snap.index, round };
        self.send(ctx, from, msg);
    }

    // ---- clients ----

    fn reply(&self, ctx: Ctx, client: NodeId, request_id: u64, result: KvResult) {
        self.send(ctx, client, RaftMsg::Reply(ClientReply { request_id, result }));
    }

    fn on_client_request(&mut self, ctx: Ctx, req: ClientRequest) {
        if self.halted || self.state != State::Leader {
            let leader = if self.halted { None } else { self.leader };
            return self.reply(ctx, req.client, req.request_id, KvResult::NotLeader { leader });
        }
        if let KvOp::Read { key } = req.op {
            if self.config.read_mode == ReadMode::ReadIndex {
                if self.config.bug == Some(Bug::StaleRead) {
                    // The bug: answer from local state without confirming leadership.
                    let value = self.sm.kv.get(&key).copied();
                    return self.reply(ctx, req.client, req.request_id, KvResult::Ok(value));
                }
                // Confirmed when a majority echoes a round sent after the read arrived: the
                // next message's round or a later one.
                let read_index = self.commit.max(self.lead.term_start);
                let round = self.lead.round + 1;
                let (client, request_id) = (req.client, req.request_id);
                self.lead.reads.push(PendingRead { read_index, round, client, request_id, key });
                self.send_to_idle_followers(ctx);
                self.serve_reads(ctx);
                return;
            }
        }
        if let Some(done) =
            self.sm.sessions.get(&req.client).and_then(|s| s.results.get(&req.request_id))
        {
            let done = done.clone();
            return self.reply(ctx, req.client, req.request_id, done);
        }
        if self.lead.in_log.contains(&(req.client, req.request_id)) {
            return; // already in the log: answered when applied
        }
        if self.log.last_index() - self.commit >= self.config.uncommitted_bound() {
            return self.reply(ctx, req.client, req.request_id, KvResult::Busy);
        }
        self.lead.in_log.insert((req.client, req.request_id));
        let command = Command::Op {
            client: req.client,
            request_id: req.request_id,
            acked_below: req.acked_below,
            op: req.op,
        };
        let index = self.log.push(Entry { term: self.term, command });
        self.persist_entry(ctx, index);
        ctx.storage().sync();
        self.report_appended(ctx.sim_time(), index);
        self.lead.match_index[self.id.index()] = index;
        self.lead.waiting.insert(index, (req.client, req.request_id));
        self.lead.appended_at.insert(index, ctx.sim_time());
        self.send_to_idle_followers(ctx);
        ctx.event("appended");
        self.advance_commit(ctx);
    }

    /// Sends to each follower with nothing in flight; the others get what is new when they
    /// answer (one message in flight per follower, as LogCabin does: under load each carries
    /// a batch).
    fn send_to_idle_followers(&mut self, ctx: Ctx) {
        for p in self.peers() {
            if !self.lead.in_flight[p.index()] {
                self.send_append(ctx, p);
            }
        }
    }

    /// Answers reads whose round a majority confirmed and whose index is applied.
    fn serve_reads(&mut self, ctx: Ctx) {
        if self.state != State::Leader || self.lead.reads.is_empty() {
            return;
        }
        let majority = self.majority();
        let me = self.id.index();
        let applied = self.applied;
        let acked = &self.lead.acked_round;
        let confirmed = |r: &PendingRead| {
            acked.iter().enumerate().filter(|&(i, &a)| i == me || a >= r.round).count() >= majority
                && applied >= r.read_index
        };
        // Reads wait in arrival order, with rounds and read indices that never decrease: the
        // ones ready are a prefix.
        let ready = self.lead.reads.iter().take_while(|r| confirmed(r)).count();
        if ready == 0 {
            return;
        }
        let ready: Vec<PendingRead> = self.lead.reads.drain(..ready).collect();
        for r in ready {
            let value = self.sm.kv.get(&r.key).copied();
            self.reply(ctx, r.client, r.request_id, KvResult::Ok(value));
        }
    }

    /// A message arrived.
    pub fn on_message(&mut self, ctx: Ctx, from: NodeId, msg: RaftMsg) {
        if self.halted {
            if let RaftMsg::Request(req) = msg {
                self.on_client_request(ctx, req);
            }
            return;
        }
        match msg {
            RaftMsg::RequestVote { term, last_log_index, last_log_term, pre_vote } => {
                self.on_request_vote(ctx, from, term, last_log_index, last_log_term, pre_vote)
            }
            RaftMsg::VoteReply { term, granted, pre_vote } => {
                self.on_vote_reply(ctx, from, term, granted, pre_vote)
            }
            RaftMsg::Append { term, prev_index, prev_term, entries, commit, round } => {
                self.on_append(ctx, from, term, prev_index, prev_term, entries, commit, round)
            }
            RaftMsg::AppendReply { term, success, match_index, conflict_index, round } => {
                self.on_append_reply(ctx, from, term, success, match_index, conflict_index, round)
            }
            RaftMsg::InstallSnapshot { term, snapshot, round } => {
                self.on_install_snapshot(ctx, from, term, snapshot, round)
            }
            RaftMsg::SnapshotReply { term, index, round } => {
                self.on_append_reply(ctx, from, term, index > 0, index, 0, round)
            }
            RaftMsg::Request(req) => self.on_client_request(ctx, req),
            RaftMsg::Reply(_) => {}
        }
    }
}
