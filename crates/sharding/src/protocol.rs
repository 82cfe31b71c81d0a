//! The protocol as faultline sees it: what it declares ([`Sharding`], a
//! [`platform::Protocol`]) and one prepared run ([`ShardingRun`], a [`platform::Model`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::{
    Driver, Group, KnownBug, MessageClass, Parameter, Protocol, Run, Setup, Shrinkable,
};
use sim_core::{ConfigError, MetricValue, NodeKind, SimConfig, Simulation, Topology, TraceOptions};
use workload::{Client, WorkloadConfig};

use crate::config::{Bug, Consistency, PARAMETERS, ShardingConfig};
use crate::node::ShardNode;
use crate::observer::{Observer, SharedObserver};
use crate::placement::PlacementCache;
use crate::probe::{Prober, point_name};
use crate::server::{Server, keys_on, stored_on};

/// Servers when the scenario does not set `nodes`.
pub const DEFAULT_SERVERS: u32 = 5;

/// The check that no acknowledged write is lost, where the configuration promises it.
pub const SURVIVE: &str = "Acknowledged Writes Survive";

/// The check that every key's copies are on the servers placement names for it.
pub const PLACED: &str = "Replicas Where Placed";

/// The sharding protocol (`protocol = "sharding"`, table `[sharding]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sharding;

const GROUPS: &[Group] = &[Group {
    name: "server",
    prefix: "n",
    singleton: false,
    about: "servers n1..nN (`nodes`, default 5): each a replica of the keys placement gives it and a coordinator",
}];

impl Bug {
    /// The switch as `faultline list` shows it, with the check it must fail.
    pub const fn known(self) -> KnownBug {
        match self {
            Bug::NoWriteBack => KnownBug {
                name: "no-write-back",
                check: "linearizable",
                about: "linearizable reads answer without writing the version they return back to a quorum",
            },
        }
    }
}

const BUGS: &[KnownBug] = &[Bug::NoWriteBack.known()];

impl Protocol for Sharding {
    fn name(&self) -> &'static str {
        "sharding"
    }

    fn about(&self) -> &'static str {
        "a Dynamo-style partitioned, replicated key-value store with quorums"
    }

    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }

    fn groups(&self) -> &'static [Group] {
        GROUPS
    }

    fn bugs(&self) -> &'static [KnownBug] {
        BUGS
    }

    fn headline(&self) -> &'static str {
        "metrics.stale_read_rate"
    }

    fn shrink_steps(&self) -> &'static [Shrinkable] {
        &[
            Shrinkable { key: "workload.clients", default: 4, min: 1, by: 0 },
            Shrinkable { key: "nodes", default: DEFAULT_SERVERS as i64, min: 1, by: 1 },
        ]
    }

    fn message_classes(&self) -> &'static [MessageClass] {
        crate::message::CLASSES
    }

    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        let config: ShardingConfig = setup.config()?;
        config.validate()?;
        let workload: WorkloadConfig = setup.workload()?;
        workload.validate()?;
        if workload.cas_ratio > 0.0 {
            return Err(ConfigError::invalid(
                "workload.cas_ratio",
                "a quorum store has no compare-and-set (nothing orders two writers): set it to 0",
            ));
        }
        let topology = Topology::new(setup.nodes.unwrap_or(DEFAULT_SERVERS), workload.clients)?;
        let sim = setup.sim_config(topology)?;
        // Only ABD quorums promise linearizability; Dynamo's quorums are measured instead.
        let promised = config.consistency == Consistency::Linearizable;
        let linearizable = setup.linearizable.unwrap_or(promised);
        Ok(Box::new(Driver::new(ShardingRun { sim, config, workload }, linearizable)))
    }
}

/// One prepared run: the kernel's config and the two tables the protocol reads.
#[derive(Clone, Debug)]
pub struct ShardingRun {
    /// The kernel's config.
    pub sim: SimConfig,
    /// `[sharding]`.
    pub config: ShardingConfig,
    /// `[workload]`.
    pub workload: WorkloadConfig,
}

impl Model for ShardingRun {
    type Node = ShardNode;
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
    ) -> Result<(Simulation<ShardNode>, SharedObserver), ConfigError> {
        let observer = Observer::shared();
        let shared = observer.clone();
        // One placement per membership for all servers, as the observer, per run.
        let placements = PlacementCache::shared();
        let config = Arc::new(self.config.clone());
        let workload = self.workload.clone();
        let sim = Simulation::new(self.sim.clone(), trace, move |id, topo| {
            if id.0 < topo.servers {
                ShardNode::Server(Box::new(Server::new(
                    id,
                    config.clone(),
                    shared.clone(),
                    placements.clone(),
                )))
            } else if config.probe {
                let index = id.0 - topo.servers;
                ShardNode::Prober(Box::new(Prober::new(index, config.clone(), shared.clone())))
            } else {
                ShardNode::Client(Box::new(
                    Client::new(id.0 - topo.servers, topo.clients, topo.servers, workload.clone())
                        .without_resend(),
                ))
            }
        })?;
        Ok((sim, observer))
    }

    fn judge(
        &self,
        sim: &mut Simulation<ShardNode>,
        observer: &SharedObserver,
        ending: Ending,
    ) -> Judgement {
        let obs = observer.lock().expect("observer");
        let checks = vec![self.writes_survive(sim, &obs), self.replicas_where_placed(sim)];
        let metrics = sim.metrics();
        let reads = obs.reads.len() as u64;
        let stale = obs.stale_reads();
        let mut named = vec![
            ("writes_acked", MetricValue::Count(obs.writes.len() as u64)),
            ("reads_answered", MetricValue::Count(reads)),
            ("stale_reads", MetricValue::Count(stale)),
            (
                "stale_read_rate",
                MetricValue::Number(if reads == 0 { 0.0 } else { stale as f64 / reads as f64 }),
            ),
            ("writes_lost_to_skew", MetricValue::Count(obs.writes_lost_to_skew().len() as u64)),
            ("ops_given_up", MetricValue::Count(metrics.counter("sharding.ops_given_up"))),
            ("read_repairs", MetricValue::Count(metrics.counter("sharding.read_repairs"))),
            // Load per server, as the largest over the mean (1 is perfectly even).
            ("key_imbalance", MetricValue::Number(metrics.node_imbalance("sharding.keys"))),
            ("load_imbalance", MetricValue::Number(metrics.node_imbalance("sharding.replica_ops"))),
            (
                "messages",
                MetricValue::Count(
                    sim.messages_sent(NodeKind::Server) + sim.messages_sent(NodeKind::Client),
                ),
            ),
        ];
        if self.config.probe {
            let (visibility, stderr) = t_visibility(&self.config, &obs);
            named.push(("t_visibility", MetricValue::Table(visibility)));
            named.push(("t_visibility_stderr", MetricValue::Table(stderr)));
            let trials = obs.probe.first().map_or(0, |p| p.1);
            named.push(("probe_trials", MetricValue::Count(trials)));
        }
        let liveness = ending.quiet.map(|(start, quiet)| self.liveness(&obs, start, quiet));
        Judgement {
            checks,
            liveness,
            metrics: named.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

/// The probe's t-visibility per grid point (the share of reads that saw the write) and its
/// Monte-Carlo standard error, sqrt(p(1 - p) / n).
fn t_visibility(
    config: &ShardingConfig,
    obs: &Observer,
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut visibility = BTreeMap::new();
    let mut stderr = BTreeMap::new();
    for (i, &t) in config.probe_t.iter().enumerate() {
        let (seen, n) = obs.probe.get(i).copied().unwrap_or((0, 0));
        if n == 0 {
            continue;
        }
        let p = seen as f64 / n as f64;
        visibility.insert(point_name(t), p);
        stderr.insert(point_name(t), (p * (1.0 - p) / n as f64).sqrt());
    }
    (visibility, stderr)
}

impl ShardingRun {
    /// After every fault healed, some coordinator acknowledges a write within the quiet period.
    fn liveness(
        &self,
        obs: &Observer,
        start: sim_core::SimTime,
        quiet: sim_core::SimDuration,
    ) -> CheckResult {
        const NAME: &str = "liveness";
        if self.config.probe || self.workload.clients == 0 || self.workload.read_ratio >= 1.0 {
            return CheckResult::not_applicable(
                NAME,
                "no client writes: nothing to answer after every fault healed",
            );
        }
        match obs.writes.iter().map(|w| w.acked).filter(|&t| t >= start).min() {
            Some(t) => CheckResult::pass(
                NAME,
                format!(
                    "after every fault healed, a write was acknowledged within {:.1} ms (bound: the {quiet} quiet period)",
                    t.saturating_since(start).as_millis_f64()
                ),
            ),
            None => CheckResult::fail(
                NAME,
                format!("no write was acknowledged in the {quiet} after every fault healed"),
            ),
        }
    }

    /// Every copy of a key at the end is on one of the N servers the scheme names for it over
    /// the final membership: a copy anywhere else is data placement lost track of.
    fn replicas_where_placed(&self, sim: &Simulation<ShardNode>) -> CheckResult {
        let topo = sim.topology();
        let members: Vec<u32> =
            topo.servers().filter(|&id| sim.is_member(id)).map(|id| id.0).collect();
        let scheme = self.config.placement().expect("validated before the run");
        let Ok(placement) = crate::placement::build(&scheme, &members) else {
            return CheckResult::not_applicable(PLACED, "no server is a member at the end");
        };
        let mut copies = 0;
        let mut replicas = Vec::new();
        for id in topo.servers() {
            for key in keys_on(sim.storage(id)) {
                copies += 1;
                placement.replicas(key, self.config.replicas as usize, &mut replicas);
                if !replicas.contains(&id.0) {
                    let named: Vec<String> =
                        replicas.iter().map(|&r| topo.name(sim_core::NodeId(r))).collect();
                    return CheckResult::fail(
                        PLACED,
                        format!(
                            "key {key} is on {}, not one of its replicas {named:?}",
                            topo.name(id)
                        ),
                    );
                }
            }
        }
        if copies == 0 {
            return CheckResult::not_applicable(PLACED, "no server holds a key");
        }
        CheckResult::pass(PLACED, format!("{copies} copies, each on a replica of its key"))
    }

    /// Linearizable quorums keep every acknowledged write: at the end some server's disk holds
    /// each key at the highest version acknowledged for it, or a newer one. Eventual quorums
    /// with last-writer-wins promise only that the highest timestamp wins, so their losses are
    /// counted (`writes_lost_to_skew`), not judged.
    fn writes_survive(&self, sim: &Simulation<ShardNode>, obs: &Observer) -> CheckResult {
        if self.config.consistency != Consistency::Linearizable {
            return CheckResult::not_applicable(
                SURVIVE,
                "eventual consistency with last-writer-wins promises only that the highest timestamp wins: writes it loses are counted in metrics.writes_lost_to_skew",
            );
        }
        if obs.writes.is_empty() {
            return CheckResult::not_applicable(SURVIVE, "no write was acknowledged");
        }
        let mut highest: BTreeMap<u64, crate::observer::AckedWrite> = BTreeMap::new();
        for w in &obs.writes {
            let e = highest.entry(w.key).or_insert(*w);
            if w.version > e.version {
                *e = *w;
            }
        }
        let topo = sim.topology();
        for (key, w) in &highest {
            let held = topo
                .servers()
                .filter_map(|id| stored_on(sim.storage(id), *key))
                .max_by_key(|s| s.version);
            if held.is_none_or(|s| s.version < w.version) {
                return CheckResult::fail(
                    SURVIVE,
                    format!(
                        "key {key}: the write of {} acknowledged at {} (version {}.{}) is on no server's disk; the newest held is {:?}",
                        w.value,
                        w.acked,
                        w.version.stamp,
                        w.version.node,
                        held.map(|s| s.value)
                    ),
                );
            }
        }
        CheckResult::pass(
            SURVIVE,
            format!(
                "{} keys: each held at its highest acknowledged version or newer (of {} acknowledged writes)",
                highest.len(),
                obs.writes.len()
            ),
        )
    }
}
