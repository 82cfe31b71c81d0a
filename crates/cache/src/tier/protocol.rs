//! The protocol as faultline sees it: what it declares ([`Cache`], a [`platform::Protocol`])
//! and one prepared run ([`CacheRun`], a [`platform::Model`]).

use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::{
    Driver, Group, KnownBug, MessageClass, Parameter, Protocol, Run, Setup, Shrinkable,
};
use sim_core::{ConfigError, MetricValue, NodeId, SimConfig, Simulation, Topology, TraceOptions};

use crate::tier::config::{CacheConfig, PARAMETERS};
use crate::tier::node::{CacheNode, CacheTierNode, Observer, Replayer, Requester, SharedObserver};
use crate::{Capacity, CheModel, Trace, Zipf};
use sharding::placement::Placement;

/// The check that every read returned a value the database held within the promised bound.
pub const FRESH: &str = "Reads Within Staleness Bound";

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
        about: "the database: every object's current version",
    },
];

impl Protocol for Cache {
    fn name(&self) -> &'static str {
        "cache"
    }

    fn about(&self) -> &'static str {
        "a cache tier in front of a database (eviction policies under traces and Zipf requests, for now)"
    }

    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }

    fn groups(&self) -> &'static [Group] {
        GROUPS
    }

    fn bugs(&self) -> &'static [KnownBug] {
        &[]
    }

    fn headline(&self) -> &'static str {
        "metrics.hit_ratio"
    }

    fn shrink_steps(&self) -> &'static [Shrinkable] {
        &[]
    }

    fn message_classes(&self) -> &'static [MessageClass] {
        crate::tier::message::CLASSES
    }

    fn file_keys(&self) -> &'static [&'static str] {
        &["trace"]
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
        let run = CacheRun { sim, config, requests };
        // Nothing here keeps a key-value history for the linearizability checker.
        Ok(Box::new(Driver::new(run, false)))
    }
}

/// One prepared run.
#[derive(Clone, Debug)]
pub struct CacheRun {
    /// The kernel's config: the cache nodes, the database and one client.
    pub sim: SimConfig,
    /// `[cache]`.
    pub config: CacheConfig,
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
        let observer: SharedObserver = Arc::default();
        let shared = observer.clone();
        let (kind, capacity) = (self.config.policy.kind(), self.config.capacity.capacity()?);
        let requests = self.requests.clone();
        let workload = self.config.zipf_workload();
        let speed = self.config.trace_speed;
        // A trace's owners are placed once, not at every request.
        let owners: Arc<Vec<NodeId>> = Arc::new(match &requests {
            Requests::Trace(t) => t.requests().iter().map(|r| NodeId(ring.owner(r.key))).collect(),
            Requests::Zipf(_) => Vec::new(),
        });
        let sim =
            Simulation::new(self.sim.clone(), trace, move |id, topo| {
                match (topo.group_of(id), &requests) {
                    (Some((g, _)), _) if g.name == "cache" => {
                        CacheTierNode::Cache(Box::new(CacheNode::new(kind.build(capacity), db)))
                    }
                    (Some(_), _) => CacheTierNode::Db,
                    (None, Requests::Trace(t)) => CacheTierNode::Replayer(Box::new(Replayer::new(
                        t.clone(),
                        owners.clone(),
                        speed,
                        shared.clone(),
                    ))),
                    (None, Requests::Zipf(z)) => CacheTierNode::Requester(Box::new(
                        Requester::new(z.clone(), ring.clone(), &workload, shared.clone()),
                    )),
                }
            })?;
        Ok((sim, observer))
    }

    fn judge(
        &self,
        _sim: &mut Simulation<CacheTierNode>,
        observer: &SharedObserver,
        _ending: Ending,
    ) -> Judgement {
        let o = observer.lock().expect("observer");
        let checks = vec![self.replayed(&o), fresh(&o)];
        let ratio = |n: u64| if o.requests == 0 { 0.0 } else { n as f64 / o.requests as f64 };
        let mut metrics = vec![
            ("requests", MetricValue::Count(o.requests)),
            ("request_bytes", MetricValue::Count(o.request_bytes)),
            ("hits", MetricValue::Count(o.requests - o.misses)),
            ("misses", MetricValue::Count(o.misses)),
            ("miss_bytes", MetricValue::Count(o.miss_bytes)),
            ("hit_ratio", MetricValue::Number(ratio(o.requests - o.misses))),
            ("miss_ratio", MetricValue::Number(ratio(o.misses))),
        ];
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

impl CacheRun {
    /// Che's approximation of an LRU cache's hit ratio for this run's catalogue and capacity:
    /// where it applies (a Zipf workload, one cache node, a capacity in objects), the reference
    /// a sweep draws beside the measured hit ratio.
    fn che_lru(&self) -> Option<f64> {
        let Requests::Zipf(zipf) = &self.requests else { return None };
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
                    "the run ended after {} of the trace's {total} requests: lengthen `duration`",
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
}

/// Every value read was the database's value: nothing writes the database yet, so a read is
/// fresh when it returns the only version there is.
fn fresh(o: &Observer) -> CheckResult {
    if o.requests == 0 {
        return CheckResult::not_applicable(FRESH, "no read was answered");
    }
    if o.stale > 0 {
        return CheckResult::fail(
            FRESH,
            format!(
                "{} of {} reads returned a version the database never held",
                o.stale, o.requests
            ),
        );
    }
    CheckResult::pass(
        FRESH,
        format!(
            "{} reads, each the database's value (nothing writes it: the bound is 0)",
            o.requests
        ),
    )
}
