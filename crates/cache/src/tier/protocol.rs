//! The protocol as faultline sees it: what it declares ([`Cache`], a [`platform::Protocol`])
//! and one prepared run ([`CacheRun`], a [`platform::Model`]).

use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::series::{SeriesChart, SeriesLine, Show};
use platform::{Declaration, Driver, Group, Knob, KnownBug, Protocol, Run, Setup, Shrinkable};
use sim_core::{
    ConfigError, MetricValue, NodeId, SimConfig, SimDuration, Simulation, Topology, TraceOptions,
};

use crate::tier::client::{Replayer, Requester};
use crate::tier::config::{CacheConfig, Invalidation, Mode, PARAMETERS};
use crate::tier::node::CacheTierNode;
use crate::tier::observer::{Observer, Promise, SharedObserver, Terms};
use crate::tier::server::{CacheNode, Db};
use crate::{Capacity, CheModel, Trace, Zipf};
use sharding::placement::Placement;

/// The check that every read returned a value the database held within the promised bound.
pub const FRESH: &str = "Reads Within Staleness Bound";

/// The check that no set the cache accepted carried a value already invalidated.
pub const NO_STALE_SET: &str = "No Stale Set";

/// The check that a key is read from the database at most once per coalescing window.
pub const COALESCED: &str = "One Database Read per Key per Window";

/// The check that the whole trace was replayed.
pub const REPLAYED: &str = "Trace Replayed";

/// The cache protocol (`protocol = "cache"`, table `[cache]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cache;

const GROUPS: &[Group] = &[
    Group {
        name: "cache",
        prefix: "cache",
        singleton: false,
        about: "cache nodes cache1..cacheK (`cache.cache_nodes`): each an eviction policy over the keys a hash ring gives it",
    },
    Group {
        name: "db",
        prefix: "db",
        singleton: true,
        about: "the database: every object's current version, durably",
    },
];

const BUGS: &[KnownBug] = &[
    KnownBug {
        name: "delete-before-write",
        check: NO_STALE_SET,
        about: "with leases, the writer invalidates first and writes the database after: a lease issued in between sets the old value",
    },
    KnownBug {
        name: "no-invalidation",
        check: FRESH,
        about: "writers never invalidate the cache: reads stay stale past the bound",
    },
    KnownBug {
        name: "no-coalescing",
        check: COALESCED,
        about: "coalescing is on, but every miss of a hot key goes to the database",
    },
    KnownBug {
        name: "lease-ignored",
        check: NO_STALE_SET,
        about: "the cache accepts sets without a valid lease token",
    },
];

const KNOBS: &[Knob] = &[
    // What the tier promises: each drawn mode brings its checks. Combinations the config
    // refuses (leases outside cache-aside, a bug's needs overridden) are not taken.
    Knob {
        key: "cache.mode",
        values: "[\"read-through\", \"cache-aside\", \"write-through\", \"write-behind\"]",
    },
    Knob { key: "cache.leases", values: "[true, false]" },
    Knob { key: "cache.coalesce", values: "[true, false]" },
    Knob { key: "cache.invalidation", values: "[\"delete\", \"update\"]" },
    Knob { key: "cache.ttl", values: "[\"200ms\", \"1s\", \"10s\"]" },
    Knob { key: "cache.ttl_jitter", values: "[0.0, 0.5]" },
    Knob { key: "cache.near_capacity", values: "[4, 16]" },
    Knob { key: "cache.near_ttl", values: "[\"20ms\", \"100ms\"]" },
    Knob { key: "cache.write_ratio", values: "[0.05, 0.2, 0.5]" },
    Knob { key: "cache.objects", values: "[5, 20, 100]" },
    Knob { key: "cache.capacity", values: "[4, 50, 1000]" },
    Knob { key: "cache.cache_nodes", values: "[1, 3]" },
    Knob { key: "cache.hold_off", values: "[\"0s\", \"5ms\"]" },
    Knob { key: "cache.retry", values: "[\"2ms\", \"10ms\", \"50ms\"]" },
    Knob { key: "cache.db_service", values: "[\"0s\", \"100us\"]" },
    Knob {
        key: "cache.storm",
        values: "[{ rate = 2000.0, keys = 2 }, { rate = 500.0, at = \"1s\", duration = \"3s\" }]",
    },
    Knob {
        key: "network.class_latency.db-value",
        values: "[{ dist = \"uniform\", min = \"0ms\", max = \"20ms\" }, \"1ms\"]",
    },
    Knob { key: "network.loss", values: "{ min = 0.0, max = 0.05 }" },
];

const CHARTS: &[SeriesChart] = &[
    SeriesChart {
        name: "hit-ratio",
        title: "Hit ratio over time",
        caption: "The share of reads answered from a cache: overall, by the near caches (of all reads), and by the shared tier (of the reads that reached it).",
        y_label: "hit ratio",
        lines: &[
            SeriesLine { series: "hit", label: "overall", show: Show::Mean },
            SeriesLine { series: "near_hit", label: "near cache (L1)", show: Show::Mean },
            SeriesLine { series: "tier_hit", label: "shared tier (L2)", show: Show::Mean },
        ],
    },
    SeriesChart {
        name: "hit-miss-latency",
        title: "Read latency, hits and misses",
        caption: "The mean latency of the reads answered from a cache and of those that read the database.",
        y_label: "mean latency (µs)",
        lines: &[
            SeriesLine { series: "latency_hit_us", label: "hit", show: Show::Mean },
            SeriesLine { series: "latency_miss_us", label: "miss", show: Show::Mean },
        ],
    },
    SeriesChart {
        name: "db-load",
        title: "Database queries per second",
        caption: "Reads and writes the database served: a cold cache or a thundering herd shows as a spike of reads.",
        y_label: "queries per second",
        lines: &[
            SeriesLine { series: "db_reads", label: "reads", show: Show::PerSecond },
            SeriesLine { series: "db_writes", label: "writes", show: Show::PerSecond },
        ],
    },
    SeriesChart {
        name: "stale-reads",
        title: "Stale reads",
        caption: "Reads per second that returned a value the database had already overwritten when they began.",
        y_label: "stale reads per second",
        lines: &[SeriesLine { series: "stale_reads", label: "stale reads", show: Show::PerSecond }],
    },
    SeriesChart {
        name: "stale-age",
        title: "Age of stale reads",
        caption: "How long before a stale read began its value had been overwritten, the mean over the window's stale reads.",
        y_label: "mean age (µs)",
        lines: &[SeriesLine { series: "stale_age_us", label: "age", show: Show::Mean }],
    },
];

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "cache",
    about: "a cache tier in front of a database: eviction policies, read-through, cache-aside with leases, write-through and write-behind, invalidation, TTLs, near caches",
    parameters: PARAMETERS,
    groups: GROUPS,
    bugs: BUGS,
    headline: "metrics.hit_ratio",
    shrink_steps: &[Shrinkable { key: "cache.clients", default: 4, min: 1, by: 0 }],
    knobs: KNOBS,
    charts: CHARTS,
    message_classes: crate::tier::message::CLASSES,
    file_keys: &["trace"],
    ..Declaration::NONE
};

impl Protocol for Cache {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let config: CacheConfig = setup.config()?;
        config.validate()?;
        if setup.nodes.is_some() {
            return Err(ConfigError::invalid(
                "nodes",
                "a cache run has `cache.cache_nodes` cache nodes and one database: set that instead",
            ));
        }
        if setup.workload.is_some() {
            return Err(ConfigError::invalid(
                "workload",
                "a cache run's requests are `[cache]`'s (a trace, or the Zipf keys): remove [workload]",
            ));
        }
        let (requests, clients) = match config.trace.as_deref() {
            Some(path) => {
                let trace = Trace::read_csv(std::path::Path::new(path))
                    .map_err(|e| ConfigError::invalid("cache.trace", e.to_string()))?;
                (Requests::Trace(Arc::new(trace)), 1)
            }
            None => {
                let w = config.zipf_workload();
                let zipf = Zipf::new(w.objects, w.zipf)
                    .map_err(|e| ConfigError::invalid("cache.zipf", e.to_string()))?;
                (Requests::Zipf(Arc::new(zipf)), w.clients)
            }
        };
        let groups = vec![GROUPS[0].nodes(config.cache_nodes), GROUPS[1].nodes(1)];
        let topology = Topology::with_groups(groups, clients)?;
        let sim = setup.sim_config(topology)?;
        let run = CacheRun { sim, config: Arc::new(config), requests };
        // The checks are the observer's: nothing here keeps a history for the
        // linearizability checker.
        Ok(Box::new(Driver::new(run, false)))
    }
}

/// One prepared run.
#[derive(Clone, Debug)]
pub struct CacheRun {
    /// The kernel's config: the cache nodes, the database and the clients.
    pub sim: SimConfig,
    /// `[cache]`.
    pub config: Arc<CacheConfig>,
    /// Where the requests come from.
    pub requests: Requests,
}

/// Where a run's requests come from.
#[derive(Clone, Debug)]
pub enum Requests {
    /// One client replays this trace.
    Trace(Arc<Trace>),
    /// Clients draw from this catalogue.
    Zipf(Arc<Zipf>),
}

impl Model for CacheRun {
    type Node = CacheTierNode;
    type Observer = SharedObserver;

    fn sim(&self) -> &SimConfig {
        &self.sim
    }

    fn sim_mut(&mut self) -> &mut SimConfig {
        &mut self.sim
    }

    fn build(
        &self,
        trace: TraceOptions,
    ) -> Result<(Simulation<CacheTierNode>, SharedObserver), ConfigError> {
        let topo = &self.sim.topology;
        let caches: Vec<u32> = topo.group_range("cache").expect("a cache group").collect();
        let db = NodeId(topo.group_range("db").expect("a db group").start);
        // The tier's placement: a consistent-hash ring with 100 points per cache node.
        let ring: Arc<dyn Placement> = Arc::from(sharding::placement::build(
            &sharding::placement::Scheme::Ring { vnodes: 100 },
            &caches,
        )?);
        let observer: SharedObserver = Arc::new(std::sync::Mutex::new(Observer::new(self.terms())));
        let shared = observer.clone();
        let (kind, capacity) = (self.config.policy.kind(), self.config.capacity.capacity()?);
        let requests = self.requests.clone();
        let config = self.config.clone();
        let speed = self.config.trace_speed;
        // A trace's owners are placed once, not at every request.
        let owners: Arc<Vec<NodeId>> = Arc::new(match &requests {
            Requests::Trace(t) => t.requests().iter().map(|r| NodeId(ring.owner(r.key))).collect(),
            Requests::Zipf(_) => Vec::new(),
        });
        let sim =
            Simulation::new(self.sim.clone(), trace, move |id, topo| {
                match (topo.group_of(id), &requests) {
                    (Some((g, _)), _) if g.name == "cache" => CacheTierNode::Cache(Box::new(
                        CacheNode::new(kind.build(capacity), config.clone(), db, shared.clone()),
                    )),
                    (Some(_), _) => CacheTierNode::Db(Db::new(config.clone(), shared.clone())),
                    (None, Requests::Trace(t)) => CacheTierNode::Replayer(Box::new(Replayer::new(
                        t.clone(),
                        owners.clone(),
                        speed,
                        config.timeout,
                        shared.clone(),
                    ))),
                    (None, Requests::Zipf(z)) => CacheTierNode::Requester(Box::new(
                        Requester::new(z.clone(), ring.clone(), config.clone(), db, shared.clone()),
                    )),
                }
            })?;
        Ok((sim, observer))
    }

    fn judge(
        &self,
        sim: &mut Simulation<CacheTierNode>,
        observer: &SharedObserver,
        _ending: Ending,
    ) -> Judgement {
        let mut o = observer.lock().expect("observer");
        o.finish(sim.now(), self.settle());
        let checks =
            vec![self.replayed(&o), self.no_stale_set(&o), self.coalesced(&o), self.fresh(&o)];
        let ratio = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let (lost, unflushed) = o.unflushed();
        let hits = o.requests - o.misses;
        let mut metrics = vec![
            ("requests", MetricValue::Count(o.requests)),
            ("request_bytes", MetricValue::Count(o.request_bytes)),
            ("hits", MetricValue::Count(hits)),
            ("misses", MetricValue::Count(o.misses)),
            ("miss_bytes", MetricValue::Count(o.miss_bytes)),
            ("hit_ratio", MetricValue::Number(ratio(hits, o.requests))),
            ("miss_ratio", MetricValue::Number(ratio(o.misses, o.requests))),
            ("writes", MetricValue::Count(o.writes)),
            ("unanswered", MetricValue::Count(o.unanswered)),
            ("db_reads", MetricValue::Count(o.db_reads)),
            ("db_writes", MetricValue::Count(o.db_writes)),
            ("db_reads_peak_per_s", MetricValue::Number(peak_per_second(sim, "db_reads"))),
            ("db_reads_storm", MetricValue::Count(o.db_reads_storm)),
            ("stale_reads", MetricValue::Count(o.stale_reads)),
            ("stale_read_rate", MetricValue::Number(ratio(o.stale_reads, o.requests))),
            ("stale_age_max_ms", MetricValue::Number(o.stale_age_max.as_millis_f64())),
            ("stale_sets", MetricValue::Count(o.stale_sets)),
            ("sets_accepted", MetricValue::Count(o.sets_accepted)),
            ("sets_refused", MetricValue::Count(o.sets_refused)),
            ("coalesced", MetricValue::Count(o.coalesced)),
            ("redundant_db_reads", MetricValue::Count(o.redundant_reads)),
            ("lease_waits", MetricValue::Count(o.lease_waits)),
            ("writes_lost", MetricValue::Count(lost)),
            ("writes_unflushed", MetricValue::Count(unflushed)),
        ];
        if self.config.near_capacity.is_some() {
            metrics.push(("near_hits", MetricValue::Count(o.near_hits)));
            metrics.push(("near_hit_ratio", MetricValue::Number(ratio(o.near_hits, o.requests))));
        }
        let tier_reads = o.requests - o.near_hits;
        metrics.push((
            "tier_hit_ratio",
            MetricValue::Number(ratio(tier_reads - o.misses, tier_reads)),
        ));
        for (name, histogram) in
            [("latency_hit", "cache.latency_hit_us"), ("latency_miss", "cache.latency_miss_us")]
        {
            if let Some(h) = sim.metrics().histogram(histogram) {
                let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
                metrics.push((leak(format!("{name}_p50_ms")), MetricValue::Number(ms(0.5))));
                metrics.push((leak(format!("{name}_p99_ms")), MetricValue::Number(ms(0.99))));
            }
        }
        if let Some(che) = self.che_lru() {
            metrics.push(("che_hit_ratio", MetricValue::Number(che)));
        }
        Judgement {
            checks,
            liveness: None,
            metrics: metrics.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            history_unjudgeable: None,
        }
    }
}

/// A metric's name, built once: the handful of latency names live for the program's life.
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// The busiest window of a per-event series, in events per second.
fn peak_per_second(sim: &Simulation<CacheTierNode>, series: &str) -> f64 {
    let Some(s) = sim.metrics().series(series) else { return 0.0 };
    let window_s = s.window_ns as f64 / 1e9;
    s.buckets.iter().map(|b| b.sum as f64 / window_s).fold(0.0, f64::max)
}

impl CacheRun {
    /// What this configuration promises about the values reads return (see [`Promise`]).
    pub fn promise(&self) -> Promise {
        let c = &self.config;
        let ttl = c.ttl.map(|ttl| ttl + self.clock_slack());
        let mode = c.mode();
        let races = mode == Mode::CacheAside && !c.leases();
        let invalidates = match mode {
            Mode::WriteBehind => return Promise::None,
            // A cache node that crashes with a write in flight never invalidates for it, and
            // the write may still commit: without a TTL nothing bounds what it overwrote.
            Mode::WriteThrough => !self.crashes(),
            Mode::ReadThrough | Mode::CacheAside => c.invalidation != Invalidation::None,
        };
        match (invalidates && !races, ttl) {
            (true, ttl) => Promise::Invalidation { ttl },
            (false, Some(ttl)) => Promise::Ttl(ttl),
            (false, None) => Promise::None,
        }
    }

    /// What the observer holds the run to.
    fn terms(&self) -> Terms {
        let c = &self.config;
        Terms {
            promise: self.promise(),
            // From the configuration: a writer's own word is not what is checked.
            writers_invalidate: c.mode().writer_invalidates()
                && c.invalidation != Invalidation::None,
            leases: c.leases(),
            coalesce: c.coalesce(),
            near_ttl: c.near_ttl.map(|ttl| ttl + self.clock_slack()),
            clocks_stepped: self.clocks_stepped(),
            storm_keys: c.storm.as_ref().map_or(0, |s| s.keys),
        }
    }

    /// How recently a writer must have sent a write or its invalidation for it to count as
    /// still on its way at the end: it resends every `timeout` (a write) or `retry` (an
    /// invalidation); twice both, for clocks that run slow.
    fn settle(&self) -> SimDuration {
        let c = &self.config;
        c.timeout + c.timeout + c.retry + c.retry
    }

    /// How far two nodes' clocks can disagree over the run (offsets and drift; steps are
    /// judged apart): a TTL counted on the database's clock and checked on a cache node's is
    /// off by at most this.
    fn clock_slack(&self) -> SimDuration {
        let clock = &self.sim.clock;
        let drift = 2.0 * clock.drift_ppm * 1e-6 * self.sim.duration.as_nanos() as f64;
        SimDuration(2 * clock.offset.as_nanos() + drift as u64)
    }

    /// Whether a node can crash in this run.
    fn crashes(&self) -> bool {
        self.sim.may_inject(sim_core::FaultName::Crash)
    }

    /// Whether a clock fault can step a node's clock in this run.
    fn clocks_stepped(&self) -> bool {
        self.sim.may_inject(sim_core::FaultName::Clock)
    }

    /// Che's approximation of an LRU cache's hit ratio for this run's catalogue and capacity:
    /// where it applies (independent Zipf reads, no TTL, no near cache, one cache node, a
    /// capacity in objects), the reference
    /// a sweep draws beside the measured hit ratio.
    fn che_lru(&self) -> Option<f64> {
        let Requests::Zipf(zipf) = &self.requests else { return None };
        let c = &self.config;
        // Che's model is of independent reads of a fixed catalogue through one cache.
        if c.write_ratio() > 0.0
            || c.storm.is_some()
            || c.ttl.is_some()
            || c.near_capacity.is_some()
        {
            return None;
        }
        let Ok(Capacity::Entries(size)) = self.config.capacity.capacity() else { return None };
        if self.config.cache_nodes != 1 {
            return None;
        }
        CheModel::Lru.approximate(&zipf.probabilities(), size).ok().map(|c| c.hit_ratio)
    }

    /// The client got an answer to every request of the trace; a run that ended first is
    /// unknown (its counts are of a prefix: lengthen `duration`).
    fn replayed(&self, o: &Observer) -> CheckResult {
        let Requests::Trace(trace) = &self.requests else {
            return CheckResult::not_applicable(
                REPLAYED,
                "no trace: clients draw from a catalogue",
            );
        };
        let total = trace.requests().len() as u64;
        if total == 0 {
            return CheckResult::not_applicable(REPLAYED, "the trace has no request");
        }
        if o.requests < total {
            return CheckResult::unknown(
                REPLAYED,
                format!(
                    "the run ended with {} of the trace's {total} requests answered: lengthen `duration` (or see what the faults held up)",
                    o.requests
                ),
            );
        }
        let how = match self.config.trace_speed {
            Some(_) => "each sent at its time",
            None => "one at a time, in file order",
        };
        CheckResult::pass(REPLAYED, format!("{total} requests, each answered, {how}"))
    }

    /// Every read kept the configuration's promise.
    fn fresh(&self, o: &Observer) -> CheckResult {
        let reads = o.requests;
        let what = match o.terms().promise {
            Promise::None => {
                return CheckResult::not_applicable(
                    FRESH,
                    format!(
                        "{}: no bound promised; {} of {reads} reads stale, the oldest by {} (measured)",
                        self.why_no_bound(),
                        o.stale_reads,
                        o.stale_age_max
                    ),
                );
            }
            Promise::Ttl(ttl) => format!("within the TTL bound {ttl}"),
            Promise::Invalidation { ttl: None } => {
                "none served after its overwriting write's invalidation reached the cache".into()
            }
            Promise::Invalidation { ttl: Some(ttl) } => format!(
                "none served after its overwriting write's invalidation reached the cache, nor beyond the TTL bound {ttl} without one"
            ),
        };
        if o.violations > 0 {
            let first = o.first_violation.clone().unwrap_or_default();
            return CheckResult::fail(
                FRESH,
                format!("{} of {reads} reads broke the bound; the first: {first}", o.violations),
            );
        }
        if reads == 0 {
            return CheckResult::unknown(FRESH, "no read was answered");
        }
        if o.unjudged > 0 {
            return CheckResult::unknown(
                FRESH,
                format!(
                    "{} stale reads could not be judged: older than the TTL in a run whose clocks were stepped (a TTL counted on one clock and checked on another), or waiting on an invalidation that never arrived though its writer was still sending it when the run ended",
                    o.unjudged
                ),
            );
        }
        let writes = o.db_writes;
        if writes == 0 {
            return CheckResult::pass(
                FRESH,
                format!(
                    "nothing wrote the database, and each of {reads} reads returned its only version"
                ),
            );
        }
        let pending = match o.pending_at_end {
            0 => String::new(),
            n => format!(
                "; {n} stale reads in the last moments, whose invalidations were still being sent when the run ended, left out"
            ),
        };
        CheckResult::pass(
            FRESH,
            format!(
                "{reads} reads after {writes} database writes, {} stale ({what}){pending}",
                o.stale_reads
            ),
        )
    }

    fn why_no_bound(&self) -> &'static str {
        match self.config.mode() {
            Mode::WriteBehind => "write-behind acknowledges writes before the database has them",
            Mode::WriteThrough => {
                "write-through under crashes (a node that crashes with a write in flight never invalidates for it) and no TTL bounds it"
            }
            Mode::CacheAside
                if !self.config.leases() && self.config.invalidation != Invalidation::None =>
            {
                "cache-aside without leases races (a reader's set of an old value can land after the invalidation) and no TTL bounds it"
            }
            _ => "no invalidation and no TTL",
        }
    }

    /// Under leases, no set the cache accepted carried a value an invalidation it had
    /// processed already overwrote.
    fn no_stale_set(&self, o: &Observer) -> CheckResult {
        if !self.config.leases() {
            return CheckResult::not_applicable(
                NO_STALE_SET,
                format!("no leases: {} stale sets accepted (measured)", o.stale_sets),
            );
        }
        if o.stale_sets > 0 {
            let first = o.first_stale_set.clone().unwrap_or_default();
            return CheckResult::fail(
                NO_STALE_SET,
                format!(
                    "{} of {} accepted sets were stale; the first: {first}",
                    o.stale_sets, o.sets_accepted
                ),
            );
        }
        if o.sets_accepted == 0 || o.invalidations == 0 {
            return CheckResult::unknown(
                NO_STALE_SET,
                format!(
                    "{} sets accepted after {} invalidations: no set could have been stale",
                    o.sets_accepted, o.invalidations
                ),
            );
        }
        CheckResult::pass(
            NO_STALE_SET,
            format!(
                "{} sets accepted, none stale; {} refused for want of a valid lease",
                o.sets_accepted, o.sets_refused
            ),
        )
    }

    /// With coalescing, no key was read from the database while another read of it was in
    /// flight in the same window.
    fn coalesced(&self, o: &Observer) -> CheckResult {
        if !self.config.coalesce() {
            return CheckResult::not_applicable(
                COALESCED,
                format!(
                    "no coalescing: every miss may read the database ({} reads; metrics.db_reads_storm and the db-load chart show the herd)",
                    o.db_reads
                ),
            );
        }
        if o.redundant_reads > 0 {
            let first = o.first_redundant.clone().unwrap_or_default();
            return CheckResult::fail(
                COALESCED,
                format!(
                    "{} of {} database reads were redundant; the first: {first}",
                    o.redundant_reads, o.db_reads
                ),
            );
        }
        if o.coalesced + o.lease_waits == 0 {
            return CheckResult::unknown(
                COALESCED,
                format!(
                    "{} database reads, but no miss found another in flight: nothing was coalesced",
                    o.db_reads
                ),
            );
        }
        CheckResult::pass(
            COALESCED,
            format!(
                "{} database reads, none while another of its key was in flight; {} misses coalesced, {} lease waits",
                o.db_reads, o.coalesced, o.lease_waits
            ),
        )
    }
}
