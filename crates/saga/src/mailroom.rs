//! A node's mailroom: the transactional outbox and the idempotency keys.
//!
//! A handler records what it sends in the outbox (`post`) and what it has applied in the
//! idempotency keys (`remember`) in the same durable write as its state change (`commit`: one
//! `sync`), so a crash either loses all of it or none. The outbox is relayed at least once:
//! each entry is sent, then resent after a backoff with jitter until the receiver
//! acknowledges it, including after a restart (the entries are on disk). A receiver skips a
//! delivery whose key it has seen, for `dedup_retention`.

use std::collections::BTreeMap;

use failover::Backoff;
use serde::{Deserialize, Serialize};
use sim_core::{LocalTime, NodeId, SimDuration, SimTime, Storage};

use crate::config::{Bug, SagaConfig};
use crate::message::{Msg, Payload, Step};
use crate::node::Ctx;

const NEXT_ID: &str = "mail/next_id";
const OUT: &str = "out/";
const KEY: &str = "key/";

/// An idempotency key: the order, the step, and whether it is the undo.
pub type Key = (u64, Step, bool);

/// An outbox entry on disk.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stored {
    to: u32,
    payload: Payload,
    /// When it was committed (simulated nanoseconds, for the outbox-lag figure only).
    at: u64,
}

/// An outbox entry in memory.
#[derive(Clone, Debug)]
struct Pending {
    stored: Stored,
    due: LocalTime,
    backoff: Backoff,
    sends: u32,
}

/// The outbox and the idempotency keys of one node.
#[derive(Debug)]
pub struct Mailroom {
    next_id: u64,
    outbox: BTreeMap<u64, Pending>,
    keys: BTreeMap<Key, LocalTime>,
    /// Keys kept on disk (false: the volatile-dedup bug).
    durable_keys: bool,
    /// Each commit syncs (false: the lazy-fsync bug, which syncs at each tick).
    sync_at_commit: bool,
    backoff: Backoff,
}

fn key_name(k: &Key) -> String {
    format!("{KEY}{:020}/{}/{}", k.0, k.1 as u8, u8::from(k.2))
}

impl Mailroom {
    /// An empty mailroom; `node` numbers its message ids, so no two nodes' ids collide.
    /// `durable_keys` is false for the volatile-dedup bug's services.
    pub fn new(node: NodeId, config: &SagaConfig, durable_keys: bool) -> Self {
        Mailroom {
            next_id: (node.0 as u64) << 40,
            outbox: BTreeMap::new(),
            keys: BTreeMap::new(),
            durable_keys,
            sync_at_commit: !config.has(Bug::LazyFsync),
            backoff: config.backoff(),
        }
    }

    /// Reads the outbox and the keys back from disk after a restart; every entry is due now.
    pub fn load(&mut self, storage: &Storage, now: LocalTime) {
        if let Ok(Some(b)) = storage.get(NEXT_ID) {
            if let Ok(bytes) = <[u8; 8]>::try_from(b) {
                self.next_id = u64::from_le_bytes(bytes);
            }
        }
        let out: Vec<String> = storage.keys_with_prefix(OUT).map(str::to_string).collect();
        for name in out {
            let Ok(id) = name[OUT.len()..].parse::<u64>() else { continue };
            let Some(stored) = read::<Stored>(storage, &name) else { continue };
            let backoff = self.backoff.clone();
            self.outbox.insert(id, Pending { stored, due: now, backoff, sends: 1 });
        }
        if self.durable_keys {
            let names: Vec<String> = storage.keys_with_prefix(KEY).map(str::to_string).collect();
            for name in names {
                let mut parts = name[KEY.len()..].split('/');
                let (Some(o), Some(s), Some(u)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let (Ok(o), Ok(s), Ok(u)) = (o.parse::<u64>(), s.parse::<usize>(), u.parse::<u8>())
                else {
                    continue;
                };
                let Some(step) = Step::ALL.get(s) else { continue };
                let at = read::<i64>(storage, &name).unwrap_or(now.0);
                self.keys.insert((o, *step, u == 1), LocalTime(at));
            }
        }
    }

    /// Records `payload` for `to` in the outbox (on disk at the next commit).
    pub fn post(&mut self, ctx: Ctx, to: NodeId, payload: Payload) {
        let id = self.next_id;
        self.next_id += 1;
        let stored = Stored { to: to.0, payload, at: ctx.sim_time().as_nanos() };
        write(ctx.storage(), &format!("{OUT}{id:020}"), &stored);
        ctx.storage().put(NEXT_ID, self.next_id.to_le_bytes().to_vec());
        let now = ctx.now();
        self.outbox
            .insert(id, Pending { stored, due: now, backoff: self.backoff.clone(), sends: 0 });
    }

    /// Whether a delivery with this key was applied (within the retention).
    pub fn seen(&self, key: &Key) -> bool {
        self.keys.contains_key(key)
    }

    /// Records that a delivery with this key was applied.
    pub fn remember(&mut self, ctx: Ctx, key: Key) {
        let now = ctx.now();
        self.keys.insert(key, now);
        if self.durable_keys {
            write(ctx.storage(), &key_name(&key), &now.0);
        }
    }

    /// Makes everything recorded since the last commit durable at once.
    pub fn commit(&self, ctx: Ctx) {
        if self.sync_at_commit {
            ctx.storage().sync();
        }
    }

    /// The node's periodic tick: under the lazy-fsync bug, the only time it syncs.
    pub fn tick(&self, ctx: Ctx) {
        if !self.sync_at_commit {
            ctx.storage().sync();
        }
    }

    /// The receiver has entry `id`: it leaves the outbox.
    pub fn acked(&mut self, ctx: Ctx, id: u64) {
        if let Some(p) = self.outbox.remove(&id) {
            ctx.storage().delete(&format!("{OUT}{id:020}"));
            self.commit(ctx);
            let lag = ctx.sim_time().as_nanos().saturating_sub(p.stored.at);
            ctx.metrics().record("saga.outbox_lag_us", lag / 1000);
            let now = ctx.sim_time();
            ctx.metrics().add_to_series("outbox_lag_ms", now, lag / 1_000_000);
        }
    }

    /// Sends every entry that is due, and sets when each is due again.
    pub fn relay(&mut self, ctx: Ctx) {
        let now = ctx.now();
        for (id, p) in self.outbox.iter_mut() {
            if p.due > now {
                continue;
            }
            if p.sends > 0 {
                ctx.metrics().count("saga.redeliveries", 1);
                let t: SimTime = ctx.sim_time();
                ctx.metrics().add_to_series("redeliveries", t, 1);
            }
            p.sends += 1;
            // At least the base before a resend (an acknowledgement needs a round trip), then
            // the backoff's jittered sleep on top.
            let wait = p.backoff.base().as_nanos() + p.backoff.next_sleep(ctx.rng()).as_nanos();
            p.due = LocalTime(now.0.saturating_add(wait as i64));
            ctx.send(NodeId(p.stored.to), Msg::Deliver { id: *id, payload: p.stored.payload });
        }
    }

    /// Forgets the keys older than `retention` by the node's clock; returns them.
    pub fn purge(&mut self, ctx: Ctx, retention: SimDuration) -> Vec<Key> {
        let now = ctx.now();
        let old: Vec<Key> = self
            .keys
            .iter()
            .filter(|(_, at)| now.0.saturating_sub(at.0) > retention.as_nanos() as i64)
            .map(|(k, _)| *k)
            .collect();
        for k in &old {
            self.keys.remove(k);
            if self.durable_keys {
                ctx.storage().delete(&key_name(k));
            }
        }
        if !old.is_empty() && self.durable_keys {
            self.commit(ctx);
        }
        old
    }

    /// Entries waiting for their receiver's acknowledgement.
    pub fn waiting(&self) -> usize {
        self.outbox.len()
    }
}

/// Reads a JSON record.
pub fn read<T: for<'de> Deserialize<'de>>(storage: &Storage, key: &str) -> Option<T> {
    storage.get(key).ok().flatten().and_then(|b| serde_json::from_slice(b).ok())
}

/// Writes a JSON record (durable at the next sync).
pub fn write<T: Serialize>(storage: &mut Storage, key: &str, value: &T) {
    storage.put(key, serde_json::to_vec(value).expect("records serialize"));
}
