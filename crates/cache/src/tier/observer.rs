//! What the harness sees of a cache run: every answer, every commit, every invalidation a
//! cache node processed, every set it accepted, every database read. The nodes report here
//! (the test harness outlives crashes); the checks judge from here, with the database's full
//! history in hand, which no node has.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim_core::{NodeId, SimDuration, SimTime};

use crate::tier::message::Value;

/// The observer the nodes share.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// Where a read was answered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The client's near cache.
    Near,
    /// The shared tier's cache.
    Tier,
    /// The database (a miss).
    Db,
}

/// What a configuration promises about the values reads return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Promise {
    /// Once the key's cache node has processed the invalidation of a write, no read returns a
    /// value that write overwrote; before that, a stale value may be read while the
    /// invalidation is on its way, or within `ttl` (counting from the database's read) where
    /// the write sends none.
    Invalidation {
        /// The TTL, plus the clocks' possible disagreement.
        ttl: Option<SimDuration>,
    },
    /// Only the TTL bounds staleness: every value read was the database's within it.
    Ttl(SimDuration),
    /// No bound: stale reads and their age are measured.
    None,
}

/// One write, from the moment a client started it.
#[derive(Clone, Debug, Default)]
struct WriteRecord {
    /// When the key's cache node first processed an invalidation (or the write itself,
    /// write-through) for it.
    invalidated_at: Option<SimTime>,
    /// Whether its writer will invalidate the cache for it.
    invalidates: bool,
    /// Write-through: the cache node that invalidates for it when the database answers.
    through: Option<NodeId>,
    /// Write-behind: the cache node and when it acknowledged the write.
    behind: Option<(NodeId, SimTime)>,
    /// Whether the database committed it.
    committed: bool,
}

/// The harness's record of a run.
#[derive(Debug, Default)]
pub struct Observer {
    /// Reads answered (after the warm-up).
    pub requests: u64,
    /// Their bytes.
    pub request_bytes: u64,
    /// Reads answered from a near cache.
    pub near_hits: u64,
    /// Reads that missed the shared tier (read the database).
    pub misses: u64,
    /// Their bytes.
    pub miss_bytes: u64,
    /// Writes acknowledged (after the warm-up).
    pub writes: u64,
    /// Requests never answered within the timeout (after the warm-up).
    pub unanswered: u64,
    /// Times a cache-aside reader was told to wait for another's lease.
    pub lease_waits: u64,
    /// Reads that returned a value the database had already overwritten when they began.
    pub stale_reads: u64,
    /// The oldest of them: how long before the read its value was overwritten.
    pub stale_age_max: SimDuration,
    /// Stale reads beyond the promise, with the first one described.
    pub violations: u64,
    /// The first violation.
    pub first_violation: Option<String>,
    /// Stale reads beyond a TTL bound in a run whose clocks were stepped (unjudgeable).
    pub unjudged: u64,
    /// Sets the cache accepted.
    pub sets_accepted: u64,
    /// Sets the cache refused (no valid lease).
    pub sets_refused: u64,
    /// Accepted sets whose value an invalidation the node had processed already overwrote.
    pub stale_sets: u64,
    /// The first of them.
    pub first_stale_set: Option<String>,
    /// Database reads served.
    pub db_reads: u64,
    /// Those of the storm's keys.
    pub db_reads_storm: u64,
    /// The storm's keys: `0..storm_keys`.
    pub storm_keys: u64,
    /// Database writes committed.
    pub db_writes: u64,
    /// Database reads of a key while another read of it was in flight in the same
    /// coalescing window.
    pub redundant_reads: u64,
    /// The first of them.
    pub first_redundant: Option<String>,
    /// Misses answered from another reader's database read (coalesced).
    pub coalesced: u64,
    /// What the run promises.
    pub promise: Option<Promise>,
    /// The coalescing window: a second read of a key sooner than this after the first,
    /// while it is in flight, is redundant.
    pub window: SimDuration,
    /// Whether clocks were stepped: TTL bounds cannot be judged.
    pub clocks_stepped: bool,
    /// Per key, each committed version's time and write (version `n` at index `n - 1`).
    commits: BTreeMap<u64, Vec<(SimTime, u64)>>,
    writes_by_id: BTreeMap<u64, WriteRecord>,
    /// Per key, the database read in flight: its id, when it was issued, and the cache node
    /// that owns the key.
    open_reads: BTreeMap<u64, (u64, SimTime, NodeId)>,
    next_read: u64,
    /// Per (client, key), the near cache's fill: when it was read and how stale it was.
    near_fills: BTreeMap<(NodeId, u64), (SimTime, SimDuration)>,
    /// Every cache node restart.
    restarts: Vec<(NodeId, SimTime)>,
}

impl Observer {
    /// An observer of a run holding its reads to `promise`, with coalescing window `window`;
    /// `clocks_stepped`: a clock fault can step a node's clock (TTL bounds cannot be judged).
    pub fn new(promise: Promise, window: SimDuration, clocks_stepped: bool) -> Self {
        Observer { promise: Some(promise), window, clocks_stepped, ..Observer::default() }
    }

    /// A client starts write `write_id`; `invalidates`: it will invalidate the cache for it;
    /// `through`: write-through, by this cache node.
    pub fn write_started(&mut self, write_id: u64, invalidates: bool, through: Option<NodeId>) {
        let record = WriteRecord { invalidates, through, ..Default::default() };
        self.writes_by_id.insert(write_id, record);
    }

    /// The database committed `write_id` as `key`'s next version.
    pub fn committed(&mut self, key: u64, write_id: u64, now: SimTime) {
        let versions = self.commits.entry(key).or_default();
        versions.push((now, write_id));
        self.db_writes += 1;
        self.writes_by_id.entry(write_id).or_default().committed = true;
    }

    /// The key's cache node processed an invalidation for `write_id` (or, write-through, the
    /// write itself). Any database read of the key in flight no longer coalesces new misses.
    pub fn invalidated(&mut self, write_id: u64, key: u64, now: SimTime) {
        let w = self.writes_by_id.entry(write_id).or_default();
        w.invalidated_at.get_or_insert(now);
        self.detached(key);
    }

    /// The key's cache node stopped coalescing on its database read in flight (a write or an
    /// invalidation reached it): a new read of the key is not redundant.
    pub fn detached(&mut self, key: u64) {
        self.open_reads.remove(&key);
    }

    /// The database served a read of `key`.
    pub fn db_read(&mut self, key: u64) {
        self.db_reads += 1;
        self.db_reads_storm += u64::from(key < self.storm_keys);
    }

    /// A write-behind cache node acknowledged `write_id`.
    pub fn acknowledged_behind(&mut self, write_id: u64, node: NodeId, now: SimTime) {
        if let Some(w) = self.writes_by_id.get_mut(&write_id) {
            w.behind = Some((node, now));
        }
    }

    /// Cache node `node` restarted, empty.
    pub fn restarted(&mut self, node: NodeId, now: SimTime) {
        self.restarts.push((node, now));
        // A write-through write the node had not yet seen answered will never be invalidated
        // by it (it may still commit): only a TTL bounds what it overwrites.
        for w in self.writes_by_id.values_mut() {
            if w.through == Some(node) && w.invalidated_at.is_none() {
                w.invalidates = false;
            }
        }
        self.open_reads.retain(|_, (_, _, owner)| *owner != node);
    }

    /// Write-behind writes acknowledged and never committed: lost (their node restarted after
    /// acknowledging them) and still unflushed at the end.
    pub fn unflushed(&self) -> (u64, u64) {
        let (mut lost, mut pending) = (0, 0);
        for w in self.writes_by_id.values() {
            let Some((node, at)) = w.behind else { continue };
            if w.committed {
                continue;
            }
            if self.restarts.iter().any(|&(n, t)| n == node && t >= at) {
                lost += 1;
            } else {
                pending += 1;
            }
        }
        (lost, pending)
    }

    /// A database read of `key` (owned by cache node `owner`) is issued (under leases: a
    /// token allowing one is handed out); returns its id, for [`Observer::db_read_done`].
    pub fn db_read_issued(&mut self, key: u64, owner: NodeId, now: SimTime) -> u64 {
        self.next_read += 1;
        let id = self.next_read;
        if let Some(&(_, since, _)) = self.open_reads.get(&key) {
            if now < since + self.window {
                self.redundant_reads += 1;
                self.first_redundant.get_or_insert_with(|| {
                    format!(
                        "at {now}, a second database read of key {key} while the one issued at {since} was in flight (window {})",
                        self.window
                    )
                });
            }
        }
        self.open_reads.insert(key, (id, now, owner));
        id
    }

    /// Database read `id` of `key` is over: its answer arrived (under leases: its set used the
    /// token).
    pub fn db_read_done(&mut self, key: u64, id: u64) {
        if self.open_reads.get(&key).is_some_and(|&(open, _, _)| open == id) {
            self.open_reads.remove(&key);
        }
    }

    /// How stale `value` of `key` was for a read that began at `began`: how long before it the
    /// database overwrote the value (`None`: it was current then, or is a write not yet in
    /// the database).
    fn staleness(&self, key: u64, value: Value, began: SimTime) -> Option<(SimDuration, u64)> {
        let Value::Version(v) = value else { return None };
        let &(at, _) = self.commits.get(&key)?.get(usize::try_from(v).ok()?)?;
        (at < began).then(|| (began.saturating_since(at), v))
    }

    /// The writes that overwrote version `v` of `key` before `began`.
    fn overwriters(&self, key: u64, v: u64, began: SimTime) -> impl Iterator<Item = &WriteRecord> {
        let versions = self.commits.get(&key).map(Vec::as_slice).unwrap_or_default();
        versions
            .iter()
            .skip(v as usize)
            .take_while(move |(at, _)| *at < began)
            .filter_map(|(_, id)| self.writes_by_id.get(id))
    }

    /// Whether the key's cache node had processed, by `now`, the invalidation of a write that
    /// overwrote version `v`: then `v` must not be served or accepted.
    fn invalidated_before(&self, key: u64, v: u64, now: SimTime) -> Option<SimTime> {
        self.overwriters(key, v, SimTime(u64::MAX))
            .filter_map(|w| w.invalidated_at)
            .find(|&at| at <= now)
    }

    /// A read that began at `began` returned `value` of `key` from `level` (for client
    /// `client`); `counted`: after the warm-up. Returns how stale it was, if it was.
    #[allow(clippy::too_many_arguments)]
    pub fn read(
        &mut self,
        client: NodeId,
        key: u64,
        size: u64,
        value: Value,
        level: Level,
        began: SimTime,
        counted: bool,
    ) -> Option<SimDuration> {
        if counted {
            self.requests += 1;
            self.request_bytes += size;
            match level {
                Level::Near => self.near_hits += 1,
                Level::Tier => {}
                Level::Db => {
                    self.misses += 1;
                    self.miss_bytes += size;
                }
            }
        }
        let stale = self.staleness(key, value, began);
        let age = stale.map_or(SimDuration::ZERO, |(age, _)| age);
        if level != Level::Near {
            self.near_fills.insert((client, key), (began, age));
        }
        let (age, v) = stale?;
        self.stale_reads += 1;
        self.stale_age_max = self.stale_age_max.max(age);
        let verdict = self.judge(client, key, v, age, level, began);
        if let Err(why) = verdict {
            self.violations += 1;
            self.first_violation.get_or_insert_with(|| {
                format!("at {began}, node {} read version {v} of key {key}, overwritten {age} before: {why}", client.0)
            });
        }
        Some(age)
    }

    /// Whether a stale read keeps the promise (`Err`: why not).
    fn judge(
        &mut self,
        client: NodeId,
        key: u64,
        v: u64,
        age: SimDuration,
        level: Level,
        began: SimTime,
    ) -> Result<(), String> {
        if level == Level::Near {
            // A near cache serves what its fill read, for at most near_ttl after that read
            // began: as stale as the fill was, plus the time since.
            let Some(&(filled, fill_age)) = self.near_fills.get(&(client, key)) else {
                return Err("from its near cache, which no read filled".into());
            };
            let allowed = fill_age + began.saturating_since(filled);
            return if age <= allowed {
                Ok(())
            } else {
                Err(format!(
                    "from its near cache, beyond the fill's {fill_age} plus the time since it"
                ))
            };
        }
        let ttl = match self.promise.unwrap_or(Promise::None) {
            Promise::None => return Ok(()),
            Promise::Ttl(ttl) => Some(ttl),
            Promise::Invalidation { ttl } => {
                if let Some(at) = self.invalidated_before(key, v, began) {
                    return Err(format!(
                        "the cache node had processed the invalidation of a later write at {at}"
                    ));
                }
                if self.overwriters(key, v, began).any(|w| w.invalidates) {
                    return Ok(()); // the invalidation is on its way
                }
                ttl
            }
        };
        match ttl {
            Some(ttl) if age <= ttl => Ok(()),
            Some(_) if self.clocks_stepped => {
                self.unjudged += 1;
                Ok(())
            }
            Some(ttl) => {
                Err(format!("beyond the TTL bound {ttl}, and no invalidation was on its way"))
            }
            None => Err("no invalidation was on its way and nothing expires it".into()),
        }
    }

    /// A cache node accepted a set of version `v` of `key`.
    pub fn set_accepted(&mut self, key: u64, v: u64, now: SimTime) {
        self.sets_accepted += 1;
        if let Some(at) = self.invalidated_before(key, v, now) {
            self.stale_sets += 1;
            self.first_stale_set.get_or_insert_with(|| {
                format!(
                    "at {now}, the cache accepted version {v} of key {key}, though it had processed the invalidation of a later write at {at}"
                )
            });
        }
    }
}
