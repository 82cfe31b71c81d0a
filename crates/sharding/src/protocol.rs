//! The protocol as faultline sees it: what it declares ([`Sharding`], a
//! [`platform::Protocol`]) and one prepared run ([`ShardingRun`], a [`platform::Model`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use check::outcome::CheckResult;
use platform::driver::{Ending, Judgement, Model};
use platform::{Declaration, Driver, Group, Knob, KnownBug, Protocol, Run, Setup, Shrinkable};
use sim_core::{
    ConfigError, MetricValue, NodeId, NodeKind, SimConfig, Simulation, Topology, TraceOptions,
};
use workload::{Client, WorkloadConfig};

use crate::config::{Bug, Consistency, PARAMETERS, ShardingConfig, Versions};
use crate::node::ShardNode;
use crate::observer::{AckedWrite, Observer, SharedObserver};
use crate::placement::PlacementHistory;
use crate::probe::{Prober, point_name};
use crate::server::Server;
use crate::store::{self, keys_on};
use crate::version::{Siblings, Stored};

/// Servers when the scenario does not set `nodes`.
pub const DEFAULT_SERVERS: u32 = 5;

/// The check that no acknowledged write is lost, where the configuration promises it.
pub const SURVIVE: &str = "Acknowledged Writes Survive";

/// The check that every key's copies are on the servers placement names for it.
pub const PLACED: &str = "Replicas Where Placed";

/// The check that a key's replicas come to hold the same writes, where anti-entropy is on.
pub const CONVERGE: &str = "Replicas Converge";

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
            Bug::SwitchBeforeCopy => KnownBug {
                name: "switch-before-copy",
                check: SURVIVE,
                about: "at a membership change, ownership moves to the new replicas before the moved keys' data arrives",
            },
            Bug::SiblingDropped => KnownBug {
                name: "sibling-dropped",
                check: SURVIVE,
                about: "under vector clocks, merging two concurrent versions keeps one and drops the other",
            },
            Bug::HintNeverDelivered => KnownBug {
                name: "hint-never-delivered",
                check: SURVIVE,
                about: "sloppy quorums' stand-ins acknowledge hinted writes but never hand them back",
            },
        }
    }
}

const BUGS: &[KnownBug] = &[
    Bug::NoWriteBack.known(),
    Bug::SwitchBeforeCopy.known(),
    Bug::SiblingDropped.known(),
    Bug::HintNeverDelivered.known(),
];

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "sharding",
    about: "a Dynamo-style partitioned, replicated key-value store with quorums",
    parameters: PARAMETERS,
    groups: GROUPS,
    bugs: BUGS,
    headline: "metrics.stale_read_rate",
    shrink_steps: &[
        Shrinkable { key: "workload.clients", default: 4, min: 1, by: 0 },
        Shrinkable { key: "nodes", default: DEFAULT_SERVERS as i64, min: 1, by: 1 },
    ],
    knobs: &[
        // A slow, uneven write leg leaves a new version on some replicas only for a while.
        Knob {
            key: "network.class_latency.write",
            values: "[{ dist = \"uniform\", min = \"0ms\", max = \"40ms\" }, \"1ms\"]",
        },
        Knob { key: "network.loss", values: "{ min = 0.0, max = 0.05 }" },
        // Two rounds (interval × servers each) must fit in the nemesis's quiet period.
        Knob { key: "sharding.anti_entropy", values: "[\"50ms\", \"200ms\"]" },
        // What the store promises: each drawn mode brings its own checks. Combinations the
        // store refuses (linearizable vector clocks or sloppy quorums, a bug's mode
        // overridden) are not taken.
        Knob { key: "sharding.consistency", values: "[\"linearizable\", \"eventual\"]" },
        Knob { key: "sharding.coordinator", values: "[\"any\", \"replica\"]" },
        // Combinations a linearizable run refuses (r + w <= replicas) are not taken.
        Knob { key: "sharding.r", values: "[1, 2, 3]" },
        Knob { key: "sharding.read_repair", values: "[true, false]" },
        // One copy per key: a move leaves nobody else holding it.
        Knob { key: "sharding.replicas", values: "[1, 2, 3]" },
        Knob { key: "sharding.scheme", values: "[\"ring\", \"jump\", \"rendezvous\", \"ranges\"]" },
        Knob { key: "sharding.sloppy_quorum", values: "[true, false]" },
        Knob { key: "sharding.versions", values: "[\"lww\", \"vector-clocks\"]" },
        // Servers that learn of membership changes late coordinate by a stale view.
        Knob { key: "sharding.view_lag", values: "[\"50ms\", \"500ms\"]" },
        Knob { key: "sharding.w", values: "[1, 2, 3]" },
        // Few keys under a high rate put operations on a moved key within its move.
        Knob { key: "workload.keys", values: "[2, 10, 50]" },
        Knob { key: "workload.rate", values: "[50, 200, 500]" },
        // Rare writes leave a lost write its client's last to its key for longer.
        Knob { key: "workload.read_ratio", values: "[0.5, 0.9]" },
    ],
    membership: true,
    message_classes: crate::message::CLASSES,
    ..Declaration::NONE
};

impl Protocol for Sharding {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
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
        let promised = config.consistency() == Consistency::Linearizable;
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
        let placements = PlacementHistory::shared(self.config.placement()?);
        // Only runs where servers can leave need the record of every store (see the observer).
        let leaves = self.sim.may_inject(sim_core::FaultName::Leave);
        let observer = Observer::shared(placements.clone(), leaves);
        let shared = observer.clone();
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
        let mut obs = observer.lock().expect("observer");
        obs.departed = sim.departures().to_vec();
        let destroyed = obs.destroyed();
        let history_unjudgeable = (!destroyed.is_empty()).then(|| {
            format!(
                "{} acknowledged writes were destroyed: every server holding them or newer departed (see Acknowledged Writes Survive); a history missing writes the faults destroyed cannot be judged",
                destroyed.len()
            )
        });
        let due = Convergence::of(sim, &self.config, ending.quiet);
        let (unconverged, judged_keys) =
            unconverged_keys(sim, &obs, &self.config, &due, &destroyed);
        let lost_to_skew = obs.lost_writes().len() as u64;
        let checks = vec![
            self.writes_survive(sim, &obs, &destroyed, lost_to_skew, ending.quiet.is_some()),
            self.replicas_where_placed(sim, &obs, ending.quiet.is_some()),
            self.replicas_converge(sim, ending.quiet, &due, &unconverged, judged_keys),
        ];
        let metrics = sim.metrics();
        let reads = obs.reads.len() as u64;
        let messages = sim.messages_sent(NodeKind::Server) + sim.messages_sent(NodeKind::Client);
        // Every message of the run (rebalancing's too) over the operations answered.
        let answered = reads + obs.writes.len() as u64;
        let stale = obs.stale_reads();
        let mut named = vec![
            ("writes_acked", MetricValue::Count(obs.writes.len() as u64)),
            ("reads_answered", MetricValue::Count(reads)),
            ("stale_reads", MetricValue::Count(stale)),
            (
                "stale_read_rate",
                MetricValue::Number(if reads == 0 { 0.0 } else { stale as f64 / reads as f64 }),
            ),
            ("writes_lost_to_skew", MetricValue::Count(lost_to_skew)),
            ("unconverged_keys", MetricValue::Count(unconverged.len() as u64)),
            ("sibling_reads", MetricValue::Count(metrics.counter("sharding.sibling_reads"))),
            (
                "siblings_resolved",
                MetricValue::Count(metrics.counter("sharding.siblings_resolved")),
            ),
            // Reads and writes refused because the coordinator's view was older (`view_lag`).
            ("stale_views", MetricValue::Count(metrics.counter("sharding.stale_views"))),
            ("hints_stored", MetricValue::Count(metrics.counter("sharding.hints_stored"))),
            (
                "hints_handed_back",
                MetricValue::Count(metrics.counter("sharding.hints_handed_back")),
            ),
            ("ops_given_up", MetricValue::Count(metrics.counter("sharding.ops_given_up"))),
            // Latency by operation, at the coordinator (request received to answer sent).
            (
                "read_latency_ms",
                latency(obs.reads.iter().map(|r| r.answered.saturating_since(r.started))),
            ),
            (
                "write_latency_ms",
                latency(obs.writes.iter().map(|w| w.acked.saturating_since(w.started))),
            ),
            ("read_repairs", MetricValue::Count(metrics.counter("sharding.read_repairs"))),
            // Load per server, as the largest over the mean (1 is perfectly even).
            ("key_imbalance", MetricValue::Number(metrics.node_imbalance("sharding.keys"))),
            ("load_imbalance", MetricValue::Number(metrics.node_imbalance("sharding.replica_ops"))),
            ("messages", MetricValue::Count(messages)),
            (
                "messages_per_op",
                MetricValue::Number(if answered == 0 {
                    0.0
                } else {
                    messages as f64 / answered as f64
                }),
            ),
        ];
        if let Some((moved, ideal)) = keys_moved_by_a_join(sim, &obs) {
            named.push(("keys_moved_by_a_join", MetricValue::Number(moved)));
            named.push(("keys_moved_by_a_join_ideal", MetricValue::Number(ideal)));
        }
        if sim.membership_history().len() > 1 {
            let (moved, ideal) = keys_moved(sim, &obs);
            named.push(("keys_moved", MetricValue::Table(moved)));
            named.push(("keys_moved_ideal", MetricValue::Table(ideal)));
            named.push((
                "keys_migrated",
                MetricValue::Count(metrics.counter("sharding.keys_migrated")),
            ));
        }
        if !self.config.probe {
            // The workload's own reads, over the same grid as the probe's.
            let (visibility, stderr) =
                visibility_table(&self.config, &obs.t_visibility(&self.config.probe_t));
            if !visibility.is_empty() {
                named.push(("t_visibility", MetricValue::Table(visibility)));
                named.push(("t_visibility_stderr", MetricValue::Table(stderr)));
            }
        }
        if self.config.probe {
            let (visibility, stderr) = visibility_table(&self.config, &obs.probe);
            named.push(("t_visibility", MetricValue::Table(visibility)));
            named.push(("t_visibility_stderr", MetricValue::Table(stderr)));
            let trials = obs.probe.first().map_or(0, |p| p.1);
            named.push(("probe_trials", MetricValue::Count(trials)));
        }
        let members = sim.topology().servers().filter(|&id| sim.is_member(id)).count();
        let liveness = ending.quiet.map(|(start, quiet)| {
            if members == 0 {
                CheckResult::not_applicable(
                    "liveness",
                    "every server left: no member is there to answer after the faults",
                )
            } else {
                self.liveness(&obs, start, quiet)
            }
        });
        Judgement {
            checks,
            liveness,
            metrics: named.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            history_unjudgeable,
        }
    }
}

/// The servers still moving keys at the end: "n3 settled epoch 2 of 3".
fn unsettled(sim: &Simulation<ShardNode>) -> Vec<String> {
    let topo = sim.topology();
    topo.servers()
        .filter_map(|id| match sim.node(id) {
            Some(ShardNode::Server(s)) => s
                .settled_and_current()
                .filter(|&(settled, current)| settled < current)
                .map(|(settled, current)| {
                    format!("{} settled epoch {settled} of {current}", topo.name(id))
                }),
            _ => None,
        })
        .collect()
}

/// When a key's replicas are held to have a write: `window` after it was acknowledged, or
/// after every fault healed (`healed`) if that is later.
///
/// With anti-entropy, two full rounds of exchanges: in a round each server sends to every other
/// present server once (`anti_entropy` × the servers), and the phases of the servers' rounds
/// need not line up, so one round can end just before a write lands and the next carries it;
/// a second round also covers an exchange lost to the network's base loss. Without
/// anti-entropy nothing repairs a key nobody reads, so the window only sets what
/// `unconverged_keys` measures: half the quiet period, or a second without one.
struct Convergence {
    window: sim_core::SimDuration,
    healed: sim_core::SimTime,
}

impl Convergence {
    fn of(
        sim: &Simulation<ShardNode>,
        config: &ShardingConfig,
        quiet: Option<(sim_core::SimTime, sim_core::SimDuration)>,
    ) -> Convergence {
        match (config.anti_entropy, quiet) {
            (Some(every), _) => {
                let servers = sim.topology().servers().filter(|&id| sim.is_member(id)).count();
                let window = sim_core::SimDuration(every.as_nanos() * 2 * servers.max(1) as u64);
                Convergence { window, healed: quiet.map_or(sim_core::SimTime::ZERO, |q| q.0) }
            }
            (None, Some((_, quiet))) => Convergence {
                window: sim_core::SimDuration(quiet.as_nanos() / 2),
                healed: sim_core::SimTime::ZERO,
            },
            (None, None) => Convergence {
                window: sim_core::SimDuration::from_secs(1),
                healed: sim_core::SimTime::ZERO,
            },
        }
    }

    /// Whether replicas are held to have a write acknowledged at `acked` by the end.
    fn due(&self, acked: sim_core::SimTime, end: sim_core::SimTime) -> bool {
        acked.max(self.healed).0.saturating_add(self.window.as_nanos()) <= end.0
    }
}

/// The keys whose replicas have not converged, each with a replica that lags: for every key,
/// the writes its replicas are due to have (see [`Convergence`]), merged as a replica merges
/// them, must be covered by every replica the final placement names that is up at the end.
/// Writes departures destroyed are left out. Also returns how many keys were judged.
fn unconverged_keys(
    sim: &Simulation<ShardNode>,
    obs: &Observer,
    config: &ShardingConfig,
    convergence: &Convergence,
    destroyed: &[usize],
) -> (Vec<(u64, NodeId)>, usize) {
    let last = sim.membership_history().len() as u64 - 1;
    let Some(placement) = placement_at(sim, obs, last) else { return (Vec::new(), 0) };
    let mut due: BTreeMap<u64, Siblings> = BTreeMap::new();
    for (i, w) in obs.writes.iter().enumerate() {
        if convergence.due(w.acked, sim.now()) && destroyed.binary_search(&i).is_err() {
            let stored = Stored { value: w.value, version: w.version, clock: w.clock.clone() };
            due.entry(w.key).or_default().merge(&Siblings::one(stored), false);
        }
    }
    let mut replicas = Vec::new();
    let mut lagging = Vec::new();
    for (&key, writes) in &due {
        placement.replicas(key, config.replicas as usize, &mut replicas);
        let lags = replicas.iter().map(|&r| NodeId(r)).find(|&r| {
            let copy = store::held(sim.storage(r), key);
            sim.is_up(r) && !writes.versions().iter().all(|w| copy.covers(w.version, &w.clock))
        });
        if let Some(r) = lags {
            lagging.push((key, r));
        }
    }
    (lagging, due.len())
}

/// A distribution of durations in milliseconds, from a histogram (no samples kept: a large run
/// answers millions of operations).
fn latency(durations: impl Iterator<Item = sim_core::SimDuration>) -> MetricValue {
    // 1 ns to an hour; a longer duration (never, with request timeouts) counts as an hour.
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .expect("valid bounds");
    for d in durations {
        h.saturating_record(d.as_nanos().max(1));
    }
    MetricValue::Distribution(sim_core::DistributionSummary::of_histogram_ms(&h))
}

/// The placement the servers used at `epoch` (`None` while nobody was a member).
fn placement_at(
    sim: &Simulation<ShardNode>,
    obs: &Observer,
    epoch: u64,
) -> Option<Arc<dyn crate::placement::Placement>> {
    let history = sim.membership_history();
    let members_at = |e: u64| -> Vec<u32> { history[e as usize].iter().map(|id| id.0).collect() };
    obs.placements.as_ref()?.lock().expect("placements").at(epoch, members_at)
}

/// What one more server joining the final membership would move: the share of the sample of
/// [`keys_moved`] whose owner would change, and the ideal, 1/(n + 1) for n members. A
/// property of the scheme at that size, so a sweep over the server count charts it for each
/// scheme without scripting a join at every point.
fn keys_moved_by_a_join(sim: &Simulation<ShardNode>, obs: &Observer) -> Option<(f64, f64)> {
    let last = sim.membership_history().len() as u64 - 1;
    let before = placement_at(sim, obs, last)?;
    let mut after = before.boxed();
    // The id the next server would have: past every server of the topology.
    after.join(sim.topology().servers).ok()?;
    let changed = (0..MOVE_SAMPLE).filter(|&k| before.owner(k) != after.owner(k)).count();
    Some((changed as f64 / MOVE_SAMPLE as f64, 1.0 / after.members().len() as f64))
}

/// Keys sampled to measure how many keys a membership change moves: 10,000, so the share
/// moved is known to within about ±0.006 (two standard errors at a share of 0.1).
const MOVE_SAMPLE: u64 = 10_000;

/// Keys the scheme's owner of which a membership change moved: the share of a fixed sample
/// (keys 0..10,000, so the figure is a property of the scheme, not of the workload's few keys)
/// whose owner changed at each epoch, against the ideal share, 1/(n + 1) when one member joins
/// n and 1/n when one of n leaves. Keyed by epoch and change ("01 +n6", "02 -n2").
fn keys_moved(
    sim: &Simulation<ShardNode>,
    obs: &Observer,
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let history = sim.membership_history();
    let (mut moved, mut ideal) = (BTreeMap::new(), BTreeMap::new());
    for e in 1..history.len() {
        let (before, after) = (&history[e - 1], &history[e]);
        let (Some(p0), Some(p1)) =
            (placement_at(sim, obs, e as u64 - 1), placement_at(sim, obs, e as u64))
        else {
            continue;
        };
        let joined = after.iter().find(|m| !before.contains(m));
        let left = before.iter().find(|m| !after.contains(m));
        let (label, share) = match (joined, left) {
            (Some(j), None) => (format!("+{}", sim.topology().name(*j)), 1.0 / after.len() as f64),
            (None, Some(l)) => (format!("-{}", sim.topology().name(*l)), 1.0 / before.len() as f64),
            _ => continue,
        };
        let changed = (0..MOVE_SAMPLE).filter(|&k| p0.owner(k) != p1.owner(k)).count();
        let name = format!("{e:02} {label}");
        moved.insert(name.clone(), changed as f64 / MOVE_SAMPLE as f64);
        ideal.insert(name, share);
    }
    (moved, ideal)
}

/// t-visibility per grid point from (reads that saw the write, reads) counts, and its
/// Monte-Carlo standard error, sqrt(p(1 - p) / n); points without reads are left out.
fn visibility_table(
    config: &ShardingConfig,
    counts: &[(u64, u64)],
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut visibility = BTreeMap::new();
    let mut stderr = BTreeMap::new();
    for (i, &t) in config.probe_t.iter().enumerate() {
        let (seen, n) = counts.get(i).copied().unwrap_or((0, 0));
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

    /// Once rebalancing has ended, every copy of a key is on one of the N servers the scheme
    /// names for it over the final membership: a copy anywhere else is data placement lost
    /// track of. Rebalancing must end within the quiet period (a fail if it did not); without
    /// one, a run that ends mid-move is unknown.
    fn replicas_where_placed(
        &self,
        sim: &Simulation<ShardNode>,
        obs: &Observer,
        quiet: bool,
    ) -> CheckResult {
        let topo = sim.topology();
        let last = sim.membership_history().len() as u64 - 1;
        let Some(placement) = placement_at(sim, obs, last) else {
            return CheckResult::not_applicable(PLACED, "no server is a member at the end");
        };
        let unsettled = unsettled(sim);
        if !unsettled.is_empty() {
            let why = format!("rebalancing had not ended at the end: {}", unsettled.join(", "));
            return if quiet {
                CheckResult::fail(PLACED, format!("{why} (within the quiet period)"))
            } else {
                CheckResult::unknown(PLACED, why)
            };
        }
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

    /// With anti-entropy on, every key's replicas come to hold every write they are due to
    /// have by the end (two anti-entropy rounds after it, or after every fault healed: see
    /// [`Convergence`]). Without it, nothing repairs a key nobody reads, so divergence is
    /// measured, not checked.
    fn replicas_converge(
        &self,
        sim: &Simulation<ShardNode>,
        quiet: Option<(sim_core::SimTime, sim_core::SimDuration)>,
        due: &Convergence,
        unconverged: &[(u64, NodeId)],
        judged: usize,
    ) -> CheckResult {
        let window = due.window;
        if self.config.anti_entropy.is_none() {
            return CheckResult::not_applicable(
                CONVERGE,
                format!(
                    "anti-entropy is off: without a mechanism that repairs every key, divergence is measured (metrics.unconverged_keys = {})",
                    unconverged.len()
                ),
            );
        }
        let Some((_, quiet)) = quiet else {
            return CheckResult::unknown(
                CONVERGE,
                "no quiet period: replicas are held to converge only after every fault healed",
            );
        };
        if quiet < window {
            return CheckResult::unknown(
                CONVERGE,
                format!(
                    "the {quiet} quiet period is shorter than two anti-entropy rounds ({window}): lengthen it or run anti-entropy more often"
                ),
            );
        }
        if !unsettled(sim).is_empty() {
            return CheckResult::unknown(
                CONVERGE,
                "rebalancing had not ended (see Replicas Where Placed)",
            );
        }
        if judged == 0 {
            return CheckResult::not_applicable(
                CONVERGE,
                format!("no write was acknowledged {window} before the end"),
            );
        }
        if let Some(&(key, r)) = unconverged.first() {
            return CheckResult::fail(
                CONVERGE,
                format!(
                    "key {key}: replica {} lacks a write acknowledged at least {window} (two anti-entropy rounds) before the end, after every fault healed ({} of {judged} keys unconverged)",
                    sim.topology().name(r),
                    unconverged.len()
                ),
            );
        }
        CheckResult::pass(
            CONVERGE,
            format!(
                "{judged} keys: every replica up holds every write acknowledged at least {window} (two anti-entropy rounds) before the end, after every fault healed"
            ),
        )
    }

    /// Every acknowledged write survives as far as the configuration promises. Linearizable
    /// quorums and vector clocks keep every acknowledged write: at the end some server's disk
    /// holds it or a newer version (under vector clocks, one descended from it), and under
    /// linearizable quorums no write is ranked below one acknowledged before it began. Last
    /// writer wins promises only that the highest timestamp wins: some server holds each key's
    /// highest acknowledged version, and the writes it loses to clock skew are counted
    /// (`writes_lost_to_skew`), not judged. A write held only as an undelivered hint fails
    /// after a quiet period (hints are handed back once faults heal) and is unknown without
    /// one. Writes that departures destroyed are named, not judged.
    fn writes_survive(
        &self,
        sim: &Simulation<ShardNode>,
        obs: &Observer,
        destroyed: &[usize],
        lost_to_skew: u64,
        quiet: bool,
    ) -> CheckResult {
        if obs.writes.is_empty() {
            return CheckResult::not_applicable(SURVIVE, "no write was acknowledged");
        }
        let topo = sim.topology();
        let kept = || {
            (obs.writes.iter().enumerate())
                .filter(|(i, _)| destroyed.binary_search(i).is_err())
                .map(|(_, w)| w)
        };
        let linearizable = self.config.consistency() == Consistency::Linearizable;
        // A write lower than one acknowledged before it began is lost: every later read prefers
        // the older write.
        let lost = if linearizable {
            crate::observer::lost_among(&kept().cloned().collect::<Vec<_>>()).first().cloned()
        } else {
            None
        };
        if let Some(lost) = lost {
            let earlier = kept()
                .filter(|e| e.key == lost.key && e.acked < lost.started && e.version > lost.version)
                .max_by_key(|e| e.version)
                .expect("a lost write lost to one");
            return CheckResult::fail(
                SURVIVE,
                format!(
                    "key {}: the write of {} acknowledged at {} (version {}.{}) is below the write of {} acknowledged at {} by {} before it began (version {}.{}): no later read returns it",
                    lost.key,
                    lost.value,
                    lost.acked,
                    lost.version.stamp,
                    lost.version.node,
                    earlier.value,
                    earlier.acked,
                    earlier.acked_by.iter().map(|&n| topo.name(n)).collect::<Vec<_>>().join(", "),
                    earlier.version.stamp,
                    earlier.version.node
                ),
            );
        }
        // Every copy and every pending hint, merged per key across servers.
        let (mut held, mut hinted) = (BTreeMap::new(), BTreeMap::new());
        for id in topo.servers() {
            for (key, copy) in store::copies_on(sim.storage(id)) {
                held.entry(key).or_insert_with(Siblings::default).merge(&copy, false);
            }
            for (_, key, versions) in store::hints_on(sim.storage(id)) {
                hinted.entry(key).or_insert_with(Siblings::default).merge(&versions, false);
            }
        }
        let covered = |map: &BTreeMap<u64, Siblings>, w: &AckedWrite| {
            map.get(&w.key).is_some_and(|s| s.covers(w.version, &w.clock))
        };
        let describe = |w: &AckedWrite| {
            format!(
                "key {}: the write of {} acknowledged at {} by {} (version {}.{})",
                w.key,
                w.value,
                w.acked,
                w.acked_by.iter().map(|&n| topo.name(n)).collect::<Vec<_>>().join(", "),
                w.version.stamp,
                w.version.node
            )
        };
        let missing: Vec<&AckedWrite> = kept().filter(|w| !covered(&held, w)).collect();
        let judged = kept().count();
        if let Some(w) = missing.iter().find(|w| !covered(&hinted, w)) {
            let newer = match self.config.versions() {
                Versions::VectorClocks if !linearizable => "a version descended from it",
                _ => "a newer version",
            };
            return CheckResult::fail(
                SURVIVE,
                format!("{}: no server's disk holds it or {newer}", describe(w)),
            );
        }
        if let Some(w) = missing.first() {
            let why =
                format!("{}: held only as a hint, never handed back to a replica", describe(w));
            return if quiet {
                CheckResult::fail(SURVIVE, format!("{why} by the end of the quiet period"))
            } else {
                CheckResult::unknown(SURVIVE, format!("{why} (the run has no quiet period)"))
            };
        }
        let promise = if linearizable {
            format!(
                "linearizable quorums: each of {} acknowledged writes is held or superseded, none ranked below an earlier one",
                judged
            )
        } else if self.config.versions() == Versions::VectorClocks {
            format!(
                "vector clocks: each of {} acknowledged writes is held, or a version descended from it",
                judged
            )
        } else {
            format!(
                "last writer wins: each key's highest acknowledged version is held ({lost_to_skew} writes lost to clock skew are counted in metrics.writes_lost_to_skew, not judged)"
            )
        };
        let mut detail = promise;
        if let Some(w) = destroyed.first().map(|&i| &obs.writes[i]) {
            detail.push_str(&format!(
                "; {} writes destroyed by departures, not judged (the first: {}: every server holding it or newer departed)",
                destroyed.len(),
                describe(w)
            ));
        }
        if judged == 0 {
            return CheckResult::not_applicable(SURVIVE, detail);
        }
        CheckResult::pass(SURVIVE, detail)
    }
}
