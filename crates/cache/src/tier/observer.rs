//! What the harness sees of a cache run: every answer, every commit, every invalidation a
//! cache node processed, every set it accepted, every database read. The nodes report here
//! (the test harness outlives crashes); the checks judge from here, with the database's full
//! history in hand, which no node has.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Whether the configuration has an invalidation follow it (not the writer's word).
    invalidates: bool,
    /// Write-through: the cache node that invalidates for it when the database answers.
    through: Option<NodeId>,
    /// Write-behind: the cache node and when it acknowledged the write.
    behind: Option<(NodeId, SimTime)>,
    /// Write-behind: the later write of the key that replaced it before it was flushed.
    superseded_by: Option<u64>,
    /// Whether the database committed it.
    committed: bool,
    /// The last time its writer sent it or its invalidation (while it tries, they are on
    /// their way).
    last_attempt: Option<SimTime>,
}

/// A stale read excused because an invalidation was on its way: judged again at the end, when
/// it is known whether one ever arrived.
#[derive(Clone, Copy, Debug)]
struct Excused {
    client: NodeId,
    key: u64,
    version: u64,
    age: SimDuration,
    began: SimTime,
}

/// What the configuration says the observer needs to know.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    /// What reads are held to.
    pub promise: Promise,
    /// Whether writers invalidate the cache (read-through and cache-aside with invalidation).
    pub writers_invalidate: bool,
    /// Whether a set needs a lease (cache-aside with leases).
    pub leases: bool,
    /// Whether misses are coalesced (and so database reads judged).
    pub coalesce: bool,
    /// A near cache's TTL plus the clocks' possible disagreement, if there are near caches.
    pub near_ttl: Option<SimDuration>,
    /// Whether a clock fault can step a node's clock (TTL bounds cannot be judged).
    pub clocks_stepped: bool,
    /// The storm's keys: `0..storm_keys`.
    pub storm_keys: u64,
}

/// The harness's record of a run.
#[derive(Debug)]
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
    /// Reads beyond the promise.
    pub violations: u64,
    /// The first violation.
    pub first_violation: Option<String>,
    /// Stale reads that could not be judged: older than a TTL in a run whose clocks were
    /// stepped, or waiting on an invalidation that never arrived though its writer was still
    /// sending it at the end.
    pub unjudged: u64,
    /// Stale reads waiting, when the run ended, on an invalidation its writer was still
    /// sending: the run's last moments, left out of the judgement (it may yet arrive).
    pub pending_at_end: u64,
    /// Invalidations (and write-through writes) the cache nodes processed.
    pub invalidations: u64,
    /// Sets the cache accepted.
    pub sets_accepted: u64,
    /// Sets the cache refused (no valid lease).
    pub sets_refused: u64,
    /// Accepted sets whose value an invalidation the node had processed already overwrote.
    pub stale_sets: u64,
    /// The first of them.
    pub first_stale_set: Option<String>,
    /// Database reads served (each delivery of a read once).
    pub db_reads: u64,
    /// Those of the storm's keys.
    pub db_reads_storm: u64,
    /// Database writes committed.
    pub db_writes: u64,
    /// Database reads that coalescing should have spared.
    pub redundant_reads: u64,
    /// The first of them.
    pub first_redundant: Option<String>,
    /// Misses answered from another reader's database read (coalesced).
    pub coalesced: u64,
    terms: Terms,
    /// Per key, each committed version's time and write (version `n` at index `n - 1`).
    commits: BTreeMap<u64, Vec<(SimTime, u64)>>,
    writes_by_id: BTreeMap<u64, WriteRecord>,
    /// Per key, the database read a cache node has in flight (the node, its read id, when it
    /// arrived, and the key's detach count when it was issued), as the database saw it arrive.
    open_reads: BTreeMap<u64, (NodeId, u64, SimTime, u64)>,
    /// Per key, how many times its cache node stopped coalescing on a read in flight.
    detaches: BTreeMap<u64, u64>,
    /// Per (node, read id), the key's detach count and the node's restart count when the
    /// node issued the read.
    issued_in: BTreeMap<(u32, u64), (u64, usize)>,
    /// Every database read delivered, by (sender, read id): a duplicate or a resend is the
    /// same read.
    reads_seen: BTreeSet<(u32, u64)>,
    /// Per key, the lease out (its token, its cache node, when it was issued).
    leases: BTreeMap<u64, (u64, NodeId, SimTime)>,
    excused: Vec<Excused>,
    /// Per (client, key), the near cache's fill: when it was read and how stale it was.
    near_fills: BTreeMap<(NodeId, u64), (SimTime, SimDuration)>,
    /// Every cache node restart.
    restarts: Vec<(NodeId, SimTime)>,
}

impl Observer {
    /// An observer of a run on these terms.
    pub fn new(terms: Terms) -> Self {
        Observer {
            requests: 0,
            request_bytes: 0,
            near_hits: 0,
            misses: 0,
            miss_bytes: 0,
            writes: 0,
            unanswered: 0,
            lease_waits: 0,
            stale_reads: 0,
            stale_age_max: SimDuration::ZERO,
            violations: 0,
            first_violation: None,
            unjudged: 0,
            pending_at_end: 0,
            invalidations: 0,
            sets_accepted: 0,
            sets_refused: 0,
            stale_sets: 0,
            first_stale_set: None,
            db_reads: 0,
            db_reads_storm: 0,
            db_writes: 0,
            redundant_reads: 0,
            first_redundant: None,
            coalesced: 0,
            terms,
            commits: BTreeMap::new(),
            writes_by_id: BTreeMap::new(),
            open_reads: BTreeMap::new(),
            detaches: BTreeMap::new(),
            issued_in: BTreeMap::new(),
            reads_seen: BTreeSet::new(),
            leases: BTreeMap::new(),
            excused: Vec::new(),
            near_fills: BTreeMap::new(),
            restarts: Vec::new(),
        }
    }

    /// The run's terms.
    pub fn terms(&self) -> Terms {
        self.terms
    }

    fn violation(&mut self, why: impl FnOnce() -> String) {
        self.violations += 1;
        if self.first_violation.is_none() {
            self.first_violation = Some(why());
        }
    }

    fn redundant(&mut self, why: impl FnOnce() -> String) {
        self.redundant_reads += 1;
        if self.first_redundant.is_none() {
            self.first_redundant = Some(why());
        }
    }

    /// A client starts write `write_id`; `through`: write-through, by this cache node. Whether
    /// an invalidation follows comes from the configuration, not from the writer.
    pub fn write_started(&mut self, write_id: u64, through: Option<NodeId>) {
        let invalidates = through.is_some() || self.terms.writers_invalidate;
        let record = WriteRecord { invalidates, through, ..Default::default() };
        self.writes_by_id.insert(write_id, record);
    }

    /// The writer of `write_id` sent it, or its invalidation, again (or for the first time).
    pub fn attempt(&mut self, write_id: u64, now: SimTime) {
        if let Some(w) = self.writes_by_id.get_mut(&write_id) {
            w.last_attempt = Some(now);
        }
    }

    /// The database committed `write_id` as `key`'s next version.
    pub fn committed(&mut self, key: u64, write_id: u64, now: SimTime) {
        let versions = self.commits.entry(key).or_default();
        versions.push((now, write_id));
        self.db_writes += 1;
        self.writes_by_id.entry(write_id).or_default().committed = true;
    }

    /// The key's cache node processed an invalidation for `write_id` (or, write-through, the
    /// database's answer to it).
    pub fn invalidated(&mut self, write_id: u64, key: u64, now: SimTime) {
        self.invalidations += 1;
        let w = self.writes_by_id.entry(write_id).or_default();
        w.invalidated_at.get_or_insert(now);
        self.detached(key);
    }

    /// The key's cache node stopped coalescing on its database read in flight and voided its
    /// lease (a write or an invalidation reached it): a new read of the key is not redundant.
    pub fn detached(&mut self, key: u64) {
        self.open_reads.remove(&key);
        self.leases.remove(&key);
        *self.detaches.entry(key).or_default() += 1;
    }

    /// Cache node `node` issued database read `id` of `key`: a read issued before the node
    /// stopped coalescing on it may reach the database after one issued since.
    pub fn db_read_issued(&mut self, key: u64, node: NodeId, id: u64) {
        if !self.terms.coalesce {
            return;
        }
        let detaches = self.detaches.get(&key).copied().unwrap_or(0);
        self.issued_in.insert((node.0, id), (detaches, self.restarts_of(node)));
    }

    /// A write-behind cache node acknowledged `write_id`.
    pub fn acknowledged_behind(&mut self, write_id: u64, node: NodeId, now: SimTime) {
        if let Some(w) = self.writes_by_id.get_mut(&write_id) {
            w.behind = Some((node, now));
        }
    }

    /// Write-behind: `later` replaced `earlier` before `earlier` was flushed; `earlier` reaches
    /// the database when `later` does.
    pub fn superseded(&mut self, earlier: u64, later: u64) {
        if earlier == later {
            return; // the same write, delivered twice
        }
        if let Some(w) = self.writes_by_id.get_mut(&earlier) {
            w.superseded_by = Some(later);
        }
    }

    fn restarts_of(&self, node: NodeId) -> usize {
        self.restarts.iter().filter(|&&(n, _)| n == node).count()
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
        self.open_reads.retain(|_, (owner, _, _, _)| *owner != node);
        self.leases.retain(|_, (_, owner, _)| *owner != node);
    }

    /// Write-behind writes acknowledged and never in the database (neither they nor a write
    /// that replaced them committed): lost (their node restarted after acknowledging them) and
    /// still unflushed at the end.
    pub fn unflushed(&self) -> (u64, u64) {
        let (mut lost, mut pending) = (0, 0);
        for w in self.writes_by_id.values() {
            let Some((node, at)) = w.behind else { continue };
            if self.reached_db(w) {
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

    fn reached_db(&self, w: &WriteRecord) -> bool {
        let mut w = w;
        // Each step goes to a later write of the same key, so the chain ends; the bound is
        // belt and braces.
        for _ in 0..=self.writes_by_id.len() {
            if w.committed {
                return true;
            }
            match w.superseded_by.and_then(|id| self.writes_by_id.get(&id)) {
                Some(next) => w = next,
                None => return false,
            }
        }
        false
    }

    /// The database received read `id` of `key` from `from` (with a lease token, cache-aside
    /// under leases). Judged here, where reads really arrive: under leases a read needs a
    /// token; otherwise a cache node's read of a key while another of its reads of that key is
    /// in flight is one coalescing should have spared.
    pub fn db_read_arrived(
        &mut self,
        key: u64,
        from: NodeId,
        id: u64,
        token: Option<u64>,
        now: SimTime,
    ) {
        if !self.reads_seen.insert((from.0, id)) {
            return; // a duplicate or a resend: the same read
        }
        self.db_reads += 1;
        self.db_reads_storm += u64::from(key < self.terms.storm_keys);
        if !self.terms.coalesce {
            return;
        }
        if self.terms.leases {
            if token.is_none() {
                self.redundant(|| {
                    format!(
                        "at {now}, node {} read key {key} from the database without a lease",
                        from.0
                    )
                });
            }
            return;
        }
        // A read the node did not report issuing counts as issued now; one its last
        // incarnation issued, arriving late, coalesces nothing the new one does.
        let current = (self.detaches.get(&key).copied().unwrap_or(0), self.restarts_of(from));
        let (epoch, incarnation) = self.issued_in.get(&(from.0, id)).copied().unwrap_or(current);
        if incarnation < current.1 {
            return;
        }
        if let Some(&(owner, open, since, open_epoch)) = self.open_reads.get(&key) {
            if owner == from && open_epoch == epoch {
                self.redundant(|| {
                    format!("at {now}, a second database read of key {key} (read {id}) while read {open}, arrived at {since}, was in flight")
                });
            }
            if open_epoch > epoch {
                return; // an older read, arriving late: the newer one stays open
            }
        }
        self.open_reads.insert(key, (from, id, now, epoch));
    }

    /// Cache node `node`'s database read `id` of `key` is answered.
    pub fn db_read_done(&mut self, key: u64, node: NodeId, id: u64) {
        if self.open_reads.get(&key).is_some_and(|&(n, open, _, _)| n == node && open == id) {
            self.open_reads.remove(&key);
        }
    }

    /// A cache node handed out lease `token` for `key`: with another out for the key, the
    /// second reader will read the database too.
    pub fn lease_issued(&mut self, key: u64, token: u64, node: NodeId, now: SimTime) {
        if let Some(&(_, _, since)) = self.leases.get(&key) {
            self.redundant(|| {
                format!(
                    "at {now}, a second lease for key {key} while the one issued at {since} was out"
                )
            });
        }
        self.leases.insert(key, (token, node, now));
    }

    /// Lease `token` for `key` is over: used by a set, released, or expired.
    pub fn lease_ended(&mut self, key: u64, token: u64) {
        if self.leases.get(&key).is_some_and(|&(t, _, _)| t == token) {
            self.leases.remove(&key);
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

    /// The writes that overwrote version `v` of `key` before `before`.
    fn overwriters(&self, key: u64, v: u64, before: SimTime) -> impl Iterator<Item = &WriteRecord> {
        let versions = self.commits.get(&key).map(Vec::as_slice).unwrap_or_default();
        versions
            .iter()
            .skip(v as usize)
            .take_while(move |(at, _)| *at < before)
            .filter_map(|(_, id)| self.writes_by_id.get(id))
    }

    /// Whether the key's cache node had processed, by `now`, the invalidation of a write that
    /// overwrote version `v`: then `v` must not be served or accepted.
    fn invalidated_before(&self, key: u64, v: u64, now: SimTime) -> Option<SimTime> {
        self.overwriters(key, v, SimTime::MAX)
            .filter_map(|w| w.invalidated_at)
            .find(|&at| at <= now)
    }

    /// A cache node served version `v` of `key` from its cache at `now`: after the
    /// invalidation of a write that overwrote it, whatever the promise says of delays, that is
    /// a stale read beyond the bound.
    pub fn served(&mut self, node: NodeId, key: u64, v: u64, now: SimTime) {
        if matches!(self.terms.promise, Promise::Invalidation { .. }) {
            if let Some(at) = self.invalidated_before(key, v, now) {
                self.violation(|| {
                    format!("at {now}, cache node {} served version {v} of key {key}, though it had processed the invalidation of a later write at {at}", node.0)
                });
            }
        }
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
        if let Value::Version(v) = value {
            let versions = self.commits.get(&key).map_or(0, Vec::len) as u64;
            if v > versions {
                self.violation(|| {
                    format!("at {began}, node {} read version {v} of key {key}, which the database never held", client.0)
                });
            }
        }
        let stale = self.staleness(key, value, began);
        let age = stale.map_or(SimDuration::ZERO, |(age, _)| age);
        if level != Level::Near && self.terms.near_ttl.is_some() {
            self.near_fills.insert((client, key), (began, age));
        }
        let (age, v) = stale?;
        self.stale_reads += 1;
        self.stale_age_max = self.stale_age_max.max(age);
        if let Err(why) = self.judge(client, key, v, age, level, began) {
            self.violation(|| {
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
            // A near cache serves what its fill read for at most near_ttl after that read
            // began: as stale as the fill was, plus the time since.
            let Some(&(filled, fill_age)) = self.near_fills.get(&(client, key)) else {
                return Err("from its near cache, which no read filled".into());
            };
            let since = began.saturating_since(filled);
            let ttl = self.terms.near_ttl.unwrap_or_default();
            if since > ttl {
                return Err(format!(
                    "from its near cache, filled {since} before, past its TTL {ttl}"
                ));
            }
            return if age <= fill_age + since {
                Ok(())
            } else {
                Err(format!(
                    "from its near cache, beyond the fill's {fill_age} plus the time since it"
                ))
            };
        }
        let ttl = match self.terms.promise {
            Promise::None => return Ok(()),
            Promise::Ttl(ttl) => Some(ttl),
            Promise::Invalidation { ttl } => {
                if let Some(at) = self.invalidated_before(key, v, began) {
                    return Err(format!(
                        "the cache node had processed the invalidation of a later write at {at}"
                    ));
                }
                if ttl.is_some_and(|ttl| age <= ttl) {
                    return Ok(());
                }
                if self.overwriters(key, v, began).any(|w| w.invalidates) {
                    // On its way: judged at the end, when it is known whether it arrived.
                    self.excused.push(Excused { client, key, version: v, age, began });
                    return Ok(());
                }
                ttl
            }
        };
        match ttl {
            Some(ttl) if age <= ttl => Ok(()),
            Some(_) if self.terms.clocks_stepped => {
                self.unjudged += 1;
                Ok(())
            }
            Some(ttl) => {
                Err(format!("beyond the TTL bound {ttl}, and no invalidation was on its way"))
            }
            None => Err("no invalidation was on its way and nothing expires it".into()),
        }
    }

    /// Judges the reads excused because an invalidation was on its way, at the end of a run
    /// lasting until `end`: one did arrive (it was on its way), or none ever did and no writer
    /// was still trying within `settle` of the end (a violation: nothing was on its way), or
    /// one was (it may yet arrive: left out if the read was in the run's last `settle`,
    /// unjudged otherwise).
    pub fn finish(&mut self, end: SimTime, settle: SimDuration) {
        for e in std::mem::take(&mut self.excused) {
            let overwriters = || self.overwriters(e.key, e.version, e.began);
            if overwriters().any(|w| w.invalidated_at.is_some()) {
                continue;
            }
            let last_attempt = overwriters().filter_map(|w| w.last_attempt).max();
            if last_attempt.is_none_or(|at| at + settle <= end) {
                let (key, v, age, began) = (e.key, e.version, e.age, e.began);
                self.violation(|| {
                    format!("at {began}, node {} read version {v} of key {key}, overwritten {age} before, and no invalidation of the writes that overwrote it ever reached the cache node", e.client.0)
                });
            } else if e.began + settle > end {
                self.pending_at_end += 1;
            } else {
                // Excused long before the end, and the invalidation never came though its
                // writer kept sending it: the network ate it. The bound was not broken, nor
                // shown to hold.
                self.unjudged += 1;
            }
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
