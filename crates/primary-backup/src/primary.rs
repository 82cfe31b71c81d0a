//! The primary: it serves every client operation, logs each write, and answers a write only
//! once its batch is durable on its own disk and on every backup.
//!
//! Life of a write: the primary applies it to its in-memory register store and appends it to
//! its log under the next sequence number (a disk write, not yet synced). Every
//! `flush_interval` it syncs the log (one sync per batch: that is what batching buys) and ships
//! the synced entries to each backup that lacks them. A backup syncs them and acknowledges
//! cumulatively. The *committed* sequence number is the lowest of the primary's synced one and
//! every backup's acknowledged one; an operation waits in [`Primary::waiting`] until
//! everything it depends on is committed.
//!
//! Why reads wait too: a read sees writes that are in memory only. Answering it at once, then
//! losing those writes in a crash, would show a client a value that later vanishes — not
//! linearizable. So a read waits until every write it could have seen is committed. A
//! compare-and-set that fails is logged like a write (see [`Entry::value`]) and waits likewise.
//!
//! Why sessions: a client retries a request it got no answer to, with the same request id. A
//! write or compare-and-set already in the log is answered from the log, never applied twice.
//!
//! After a restart the primary rebuilds from its disk, then asks every backup for its log and
//! takes the longest, because a disk fault may have cost it records a backup still holds.
//! Until every backup has answered it serves nothing (`NotLeader` with no leader). Each start
//! begins a new *epoch* (a counter on the primary's disk): backups refuse batches from an older
//! epoch, so a batch that was still in the network when the primary crashed cannot write an
//! entry the new epoch has since given to another write (fencing).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use sim_core::{Context, NodeId, NodeStatus, SimTime};
use workload::{ClientReply, ClientRequest, KvOp, KvResult};

use crate::config::{Bug, PrimaryBackupConfig};
use crate::log::{self, Entry};
use crate::message::{Ack, Batch, LogTail, Msg, Recover};
use crate::node::{PbNode, Timer};
use crate::observer::{AckedWrite, SharedObserver};

/// Most entries one batch carries: a backup that was away catches up over several flushes.
const MAX_BATCH: usize = 1024;

/// The disk key of the primary's epoch.
const EPOCH_KEY: &str = "epoch";

/// What the primary remembers of one client, so that a retried request is applied once.
#[derive(Clone, Debug, Default)]
struct Session {
    /// Requests below this were answered or given up on by the client: never apply them again.
    low_water: u64,
    /// The sequence number of each logged request at or above `low_water` (a write, or a
    /// compare-and-set that did or did not match).
    logged: BTreeMap<u64, u64>,
}

/// An answer held back until the log is committed up to `needs`.
#[derive(Clone, Debug)]
struct Waiter {
    needs: u64,
    client: NodeId,
    reply: ClientReply,
    /// For a write that changed the state: when it was applied, to report it acknowledged and
    /// measure the wait.
    write: Option<SimTime>,
}

/// A restarted primary gathering the backups' logs.
#[derive(Clone, Debug)]
struct Recovery {
    /// Each backup's last sequence number, once it has answered.
    heard: Vec<Option<u64>>,
    /// The longest tail past our own disk that a backup sent.
    longest: Vec<Entry>,
}

/// Serving clients.
#[derive(Clone, Debug)]
struct Serving {
    /// Per backup: the highest sequence number it has acknowledged as durable.
    acked: Vec<u64>,
    /// Answers waiting for the commit, in order of `needs`.
    waiting: VecDeque<Waiter>,
}

/// A role's state lives in its variant.
#[derive(Clone, Debug)]
enum Phase {
    Recovering(Recovery),
    Serving(Serving),
}

/// The primary's state machine.
#[derive(Debug)]
pub struct Primary {
    config: Arc<PrimaryBackupConfig>,
    observer: SharedObserver,
    backups: Vec<NodeId>,
    /// The log in memory: entry `s` at `log[s - 1]`. The disk's copy may be shorter.
    log: Vec<Entry>,
    /// The highest sequence number synced to our own disk.
    synced: u64,
    /// The register store: the log, applied.
    kv: BTreeMap<u64, i64>,
    sessions: BTreeMap<NodeId, Session>,
    phase: Phase,
    /// This incarnation's epoch: one more than the last one on disk.
    epoch: u64,
    /// This incarnation began with a restart (not the cluster's start).
    restarted: bool,
}

impl Primary {
    /// A primary replicating to `backups`, reporting to `observer`.
    pub fn new(
        config: Arc<PrimaryBackupConfig>,
        backups: Vec<NodeId>,
        observer: SharedObserver,
    ) -> Self {
        Primary {
            config,
            observer,
            backups,
            log: Vec::new(),
            synced: 0,
            kv: BTreeMap::new(),
            sessions: BTreeMap::new(),
            phase: Phase::Recovering(Recovery { heard: Vec::new(), longest: Vec::new() }),
            epoch: 0,
            restarted: false,
        }
    }

    fn last(&self) -> u64 {
        self.log.len() as u64
    }

    /// Everything up to here is durable on our disk and on every backup.
    fn committed(&self) -> u64 {
        match &self.phase {
            Phase::Serving(s) => s.acked.iter().copied().fold(self.synced, u64::min),
            Phase::Recovering(_) => 0,
        }
    }

    /// Starts, or restarts after a crash (the kernel built this node afresh: only the disk
    /// survived). Either way the primary cannot know whether it lost anything, so it recovers.
    pub fn start(&mut self, ctx: &mut Context<'_, PbNode>, restarted: bool) {
        self.restarted = restarted;
        // A new epoch, durable before any backup hears of it. (A corrupt epoch record reads as
        // none: the backups refuse nothing older than what they saw, so recovery then waits
        // for a retry that never succeeds; a disk that corrupts is beyond this model's promise.)
        let last_epoch = match ctx.storage().get(EPOCH_KEY) {
            Ok(Some(b)) if b.len() == 8 => u64::from_le_bytes(b.try_into().expect("8 bytes")),
            _ => 0,
        };
        self.epoch = last_epoch + 1;
        ctx.storage().put(EPOCH_KEY, self.epoch.to_le_bytes().to_vec());
        ctx.storage().sync();
        let disk = log::read(ctx.storage());
        if let Some(seq) = disk.damaged_at {
            // Drop the damaged record and what follows: the backups hold the rest.
            ctx.storage().log_truncate_from(seq);
            ctx.storage().sync();
        }
        for e in disk.entries {
            self.append(e);
        }
        self.synced = self.last();
        self.phase = Phase::Recovering(Recovery {
            heard: vec![None; self.backups.len()],
            longest: Vec::new(),
        });
        self.ask_backups(ctx);
        ctx.set_timer(self.config.recovery_retry, Timer::RecoveryRetry);
    }

    /// Asks each backup that has not answered yet for its log past ours.
    fn ask_backups(&mut self, ctx: &mut Context<'_, PbNode>) {
        let Phase::Recovering(r) = &self.phase else { return };
        let (epoch, have) = (self.epoch, self.last());
        for (i, b) in self.backups.iter().enumerate() {
            if r.heard[i].is_none() {
                ctx.send(*b, Msg::Recover(Recover { epoch, have }));
            }
        }
    }

    /// Appends an entry to the in-memory log and applies it.
    fn append(&mut self, e: Entry) {
        self.log.push(e);
        let seq = self.last();
        if let Some(v) = e.value {
            self.kv.insert(e.key, v);
        }
        let session = self.sessions.entry(e.client).or_default();
        if e.acked_below > session.low_water {
            // The client will never retry below its mark: forget those requests.
            session.low_water = e.acked_below;
            session.logged = session.logged.split_off(&e.acked_below);
        }
        session.logged.insert(e.request_id, seq);
    }

    /// A message arrived.
    pub fn on_message(&mut self, ctx: &mut Context<'_, PbNode>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(req) => self.on_request(ctx, req),
            Msg::Ack(Ack { durable }) => {
                let Some(i) = self.backups.iter().position(|b| *b == from) else { return };
                let Phase::Serving(s) = &mut self.phase else { return };
                // The backup's latest word. A lower one than before (an old ack arriving late)
                // only makes us resend; backups never drop a synced entry, so it is never
                // higher than what the backup holds.
                s.acked[i] = durable;
                self.answer_committed(ctx);
            }
            Msg::LogTail(tail) => self.on_log_tail(ctx, from, tail),
            // Only backups get these; a primary ignores them.
            Msg::Reply(_) | Msg::Batch(_) | Msg::Recover(_) => {}
        }
    }

    fn on_log_tail(&mut self, ctx: &mut Context<'_, PbNode>, from: NodeId, tail: LogTail) {
        let Some(i) = self.backups.iter().position(|b| *b == from) else { return };
        let Phase::Recovering(r) = &mut self.phase else { return };
        if tail.epoch != self.epoch {
            return; // an answer to an earlier incarnation's question
        }
        r.heard[i] = Some(tail.last);
        if tail.entries.len() > r.longest.len() {
            r.longest = tail.entries;
        }
        if r.heard.iter().any(Option::is_none) {
            return;
        }
        // Every backup answered: adopt the longest log, make it durable here, and serve.
        let longest = std::mem::take(&mut r.longest);
        let heard: Vec<u64> = r.heard.iter().map(|h| h.unwrap_or(0)).collect();
        for e in longest {
            ctx.storage().log_append(self.last() + 1, e.encode());
            self.append(e);
        }
        ctx.storage().sync();
        self.synced = self.last();
        let acked = heard.into_iter().map(|h| h.min(self.synced)).collect();
        self.phase = Phase::Serving(Serving { acked, waiting: VecDeque::new() });
        if self.restarted {
            ctx.metrics().count("primary-backup.recoveries", 1);
            ctx.event("recovered");
        }
        ctx.annotate(&format!("primary serving: log ends at {}", self.last()));
        ctx.set_timer(self.config.flush_interval, Timer::Flush);
    }

    fn on_request(&mut self, ctx: &mut Context<'_, PbNode>, req: ClientRequest) {
        let Phase::Serving(s) = &self.phase else {
            // Still recovering: this node may not hold the latest writes yet.
            let reply = ClientReply { request_id: req.request_id, result: not_leader() };
            ctx.send(req.client, Msg::Reply(reply));
            return;
        };
        // A retry of an operation whose answer is already waiting: that answer will do.
        if s.waiting.iter().any(|w| w.client == req.client && w.reply.request_id == req.request_id)
        {
            return;
        }
        let last = self.last();
        match req.op {
            KvOp::Read { key } => {
                let value = self.kv.get(&key).copied();
                self.answer_after(ctx, last, &req, KvResult::Ok(value), None);
            }
            KvOp::Write { key, value } => self.write(ctx, &req, key, Some(value)),
            KvOp::Cas { key, expected, new } => {
                let matched = self.kv.get(&key) == Some(&expected);
                self.write(ctx, &req, key, matched.then_some(new));
            }
        }
    }

    /// Where this request is in the log, if it was logged before (a retry).
    fn logged(&self, req: &ClientRequest) -> Option<u64> {
        self.sessions.get(&req.client)?.logged.get(&req.request_id).copied()
    }

    /// Logs and applies a write or a compare-and-set (`value`: what it writes, `None` if it did
    /// not match), once per request id.
    fn write(
        &mut self,
        ctx: &mut Context<'_, PbNode>,
        req: &ClientRequest,
        key: u64,
        value: Option<i64>,
    ) {
        let now = ctx.sim_time();
        if let Some(seq) = self.logged(req) {
            // A retry of a logged request: answer it as the log says once its entry is
            // committed, never apply it twice (a compare-and-set run again would find its own
            // change, and say it failed).
            let done = self.log[seq as usize - 1].value;
            let applied = done.map(|_| now);
            self.answer_after(ctx, seq, req, result_of(done), applied);
            return;
        }
        let low_water = self.sessions.get(&req.client).map_or(0, |s| s.low_water);
        if req.request_id < low_water {
            // A late copy of a request the client gave up on and whose record we forgot.
            return;
        }
        let e = Entry {
            client: req.client,
            request_id: req.request_id,
            acked_below: req.acked_below,
            key,
            value,
        };
        let seq = self.last() + 1;
        // On disk, but not durable until the next flush syncs it.
        ctx.storage().log_append(seq, e.encode());
        self.append(e);
        ctx.metrics().count("primary-backup.entries_logged", 1);
        ctx.event("logged");
        let applied = value.map(|_| now);
        if self.config.bug == Some(Bug::EarlyAck) {
            // THE BUG: the write is only in memory (and in an unsynced disk write); a crash
            // before the next flush loses it, after the client was told it succeeded.
            self.answer_after(ctx, 0, req, result_of(value), applied);
        } else {
            self.answer_after(ctx, seq, req, result_of(value), applied);
        }
    }

    /// Answers now if the log is committed up to `needs`, else when it is.
    fn answer_after(
        &mut self,
        ctx: &mut Context<'_, PbNode>,
        needs: u64,
        req: &ClientRequest,
        result: KvResult,
        write: Option<SimTime>,
    ) {
        let waiter = Waiter {
            needs,
            client: req.client,
            reply: ClientReply { request_id: req.request_id, result },
            write,
        };
        if needs <= self.committed() {
            self.answer(ctx, waiter);
        } else if let Phase::Serving(s) = &mut self.phase {
            // `needs` never decreases along the queue except for retries of old writes; keep
            // the queue sorted so the front is always the next to be answerable.
            let at = s.waiting.partition_point(|w| w.needs <= needs);
            s.waiting.insert(at, waiter);
        }
    }

    /// Answers every waiting operation the commit now covers.
    fn answer_committed(&mut self, ctx: &mut Context<'_, PbNode>) {
        let committed = self.committed();
        while let Phase::Serving(s) = &mut self.phase
            && s.waiting.front().is_some_and(|w| w.needs <= committed)
        {
            let w = s.waiting.pop_front().expect("a front");
            self.answer(ctx, w);
        }
    }

    fn answer(&mut self, ctx: &mut Context<'_, PbNode>, w: Waiter) {
        let now = ctx.sim_time();
        if w.write.is_some() || w.reply.result == KvResult::CasFailed {
            // A logged request answered: the commit moves (what liveness looks for).
            self.observer.lock().expect("observer").answered.push(now);
        }
        if let Some(applied) = w.write {
            let request_id = w.reply.request_id;
            let seq = self.logged_seq(w.client, request_id);
            self.observer.lock().expect("observer").acked.push(AckedWrite {
                client: w.client,
                request_id,
                seq,
                time: now,
            });
            ctx.metrics().add_to_series("primary-backup.acked", now, 1);
            let waited = now.saturating_since(applied).as_nanos();
            ctx.metrics().record("primary-backup.ack_wait_ns", waited);
        }
        ctx.send(w.client, Msg::Reply(w.reply));
    }

    fn logged_seq(&self, client: NodeId, request_id: u64) -> u64 {
        self.sessions.get(&client).and_then(|s| s.logged.get(&request_id)).copied().unwrap_or(0)
    }

    /// A timer fired.
    pub fn on_timer(&mut self, ctx: &mut Context<'_, PbNode>, timer: Timer) {
        match timer {
            Timer::Flush => self.flush(ctx),
            Timer::RecoveryRetry => {
                if let Phase::Recovering(_) = self.phase {
                    self.ask_backups(ctx);
                    ctx.set_timer(self.config.recovery_retry, Timer::RecoveryRetry);
                }
            }
            Timer::Client(_) => {}
        }
    }

    /// One batch: sync the log, ship what each backup lacks, answer what is now committed.
    fn flush(&mut self, ctx: &mut Context<'_, PbNode>) {
        let now = ctx.sim_time();
        let backlog = self.last() - self.committed();
        ctx.metrics().add_to_series("primary-backup.unflushed", now, backlog);
        if self.last() > self.synced {
            ctx.storage().sync();
            self.synced = self.last();
            ctx.metrics().count("primary-backup.batches_flushed", 1);
            ctx.event("flushed");
        }
        if let Phase::Serving(s) = &self.phase {
            for (i, b) in self.backups.iter().enumerate() {
                let from = s.acked[i];
                if from < self.synced {
                    // Only synced entries leave: a backup never holds what our disk lacks.
                    let to = self.synced.min(from + MAX_BATCH as u64);
                    let entries = self.log[from as usize..to as usize].to_vec();
                    let batch = Batch { epoch: self.epoch, first: from + 1, entries };
                    ctx.send(*b, Msg::Batch(batch));
                }
            }
        }
        self.answer_committed(ctx);
        ctx.set_timer(self.config.flush_interval, Timer::Flush);
    }

    /// The log, once the primary serves (while it recovers it may lack entries a backup holds).
    pub fn serving_log(&self) -> Option<&[Entry]> {
        matches!(self.phase, Phase::Serving(_)).then_some(&self.log[..])
    }

    /// What `faultline`'s `leader` selector and the reports see.
    pub fn status(&self) -> NodeStatus {
        let serving = matches!(self.phase, Phase::Serving(_));
        NodeStatus { role: "primary", leading: serving, term: self.epoch }
    }
}

/// A logged request's answer: done, or a compare-and-set that did not match.
fn result_of(value: Option<i64>) -> KvResult {
    match value {
        Some(_) => KvResult::Ok(None),
        None => KvResult::CasFailed,
    }
}

fn not_leader() -> KvResult {
    KvResult::NotLeader { leader: None }
}
