//! The fault model: what a fault is (its kind and fields), when it happens, how it is checked,
//! and the record of what it did.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clock::MAX_DRIFT_PPM;
use crate::config::{
    ConfigError, DurationRange, MAX_DURATION_TEXT, Selector, SignedDuration, probability,
    require_bounded, require_positive,
};
use crate::distribution::{Distribution, serde_form};
use crate::time::{SimDuration, SimTime};
use crate::topology::{NodeId, Topology};

/// A fault kind's name, without its fields: what `[nemesis] kinds` lists, what `faultline list`
/// prints and what a chart colours a fault by. The one list of kinds: [`FaultKind::name`] maps
/// every kind to it with an exhaustive match, so a new kind cannot be left out of any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultName {
    /// `partition`.
    Partition,
    /// `partition-oneway`.
    PartitionOneway,
    /// `bridge`.
    Bridge,
    /// `crash`.
    Crash,
    /// `pause`.
    Pause,
    /// `slow`.
    Slow,
    /// `clock`.
    Clock,
    /// `loss`.
    Loss,
    /// `latency`.
    Latency,
    /// `duplicate`.
    Duplicate,
    /// `disk`.
    Disk,
    /// `join`.
    Join,
    /// `leave`.
    Leave,
}

impl FaultName {
    /// Every kind, in the order the docs and `faultline list` give them.
    pub const ALL: [FaultName; 13] = [
        FaultName::Partition,
        FaultName::PartitionOneway,
        FaultName::Bridge,
        FaultName::Crash,
        FaultName::Pause,
        FaultName::Slow,
        FaultName::Clock,
        FaultName::Loss,
        FaultName::Latency,
        FaultName::Duplicate,
        FaultName::Disk,
        FaultName::Join,
        FaultName::Leave,
    ];

    /// The name as scenario files write it (the same as its serde form, and as the `kind` tag
    /// of a [`FaultKind`]).
    pub const fn as_str(self) -> &'static str {
        match self {
            FaultName::Partition => "partition",
            FaultName::PartitionOneway => "partition-oneway",
            FaultName::Bridge => "bridge",
            FaultName::Crash => "crash",
            FaultName::Pause => "pause",
            FaultName::Slow => "slow",
            FaultName::Clock => "clock",
            FaultName::Loss => "loss",
            FaultName::Latency => "latency",
            FaultName::Duplicate => "duplicate",
            FaultName::Disk => "disk",
            FaultName::Join => "join",
            FaultName::Leave => "leave",
        }
    }

    /// The kind a scenario file's name stands for, if any.
    pub fn parse(name: &str) -> Option<FaultName> {
        FaultName::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for FaultName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Every selector keyword (besides node names).
pub const SELECTORS: &[&str] = &[
    "leader",
    "random",
    "random:<group>",
    "minority",
    "minority:<group>",
    "trigger (with `on`)",
    "absent (with `join`)",
];

/// Nodes a fault applies to: one selector, or a list of node names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeSet {
    /// One selector (`"n2"`, `"leader"`, `"random"`) or `"servers"` (every server).
    One(Selector),
    /// Nodes by name.
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for NodeSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(
            untagged,
            expecting = "a selector (\"n2\", \"leader\", \"random\") or a list of node names"
        )]
        enum Raw {
            One(String),
            List(Vec<String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::One(s) => NodeSet::One(Selector::parse(&s)),
            Raw::List(v) => NodeSet::List(v),
        })
    }
}

impl Serialize for NodeSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NodeSet::One(sel) => sel.serialize(s),
            NodeSet::List(v) => v.serialize(s),
        }
    }
}

/// What a disk fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiskMode {
    /// Unsynced writes vanish (a lost write-back cache).
    LoseUnsynced,
    /// One stored record reads back corrupt.
    Corrupt,
}

/// A fault kind with its fields (`kind = "…"` in a scenario).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultKind {
    /// A symmetric partition.
    Partition {
        /// Groups of node names that can only talk within their group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        groups: Option<Vec<Vec<String>>>,
        /// Or: cut the selected server(s) off from the other servers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        isolate: Option<Selector>,
    },
    /// A one-way partition: messages `from` → `to` are dropped.
    PartitionOneway {
        /// Senders.
        from: NodeSet,
        /// Receivers.
        to: NodeSet,
    },
    /// Jepsen's bridge: the other servers of the node's group split into two halves that
    /// cannot talk to each other, and the node talks to both. Two majorities overlap in one
    /// node, the shape in which a server that votes twice in one term elects two leaders.
    Bridge {
        /// The bridge.
        node: Selector,
    },
    /// A crash: volatile state, timers and queued input are lost.
    Crash {
        /// The node.
        node: Selector,
        /// Restart this long after the crash (else at heal, or never).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart_after: Option<SimDuration>,
    },
    /// Stop-the-world pause: inputs queue until the node resumes.
    Pause {
        /// The node.
        node: Selector,
    },
    /// Slow node: its processing time is multiplied by `factor`.
    Slow {
        /// The node.
        node: Selector,
        /// ≥ 1.
        factor: f64,
    },
    /// A clock step or a drift change.
    Clock {
        /// The node.
        node: Selector,
        /// Signed step of the local clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<SignedDuration>,
        /// New drift in parts per million (|drift| < 500000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drift_ppm: Option<f64>,
    },
    /// Extra message loss.
    Loss {
        /// Probability in [0, 1).
        rate: f64,
        /// Only messages from or to these nodes (default: all).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nodes: Option<NodeSet>,
        /// Only messages of these classes ([`Message::class`](crate::Message::class), e.g.
        /// `"append"`), at least one (default: every message, classed or not). With `nodes`
        /// too, a message must match both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        classes: Option<Vec<String>>,
    },
    /// Extra latency.
    Latency {
        /// Drawn per message and added to its latency.
        #[serde(with = "serde_form")]
        extra: Distribution,
        /// Only messages from or to these nodes (default: all).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nodes: Option<NodeSet>,
    },
    /// Extra duplication.
    Duplicate {
        /// Probability in [0, 1).
        rate: f64,
    },
    /// A disk fault.
    Disk {
        /// The node.
        node: Selector,
        /// What happens to its storage.
        mode: DiskMode,
    },
    /// A membership change, not a fault: a server that is absent (it starts absent when its
    /// first membership change in the scenario is a join, or it left) joins the cluster, fresh,
    /// with empty storage. Every node that is up hears of it.
    Join {
        /// The server: a name, or `absent` (one absent server, drawn at random).
        node: Selector,
    },
    /// A membership change, not a fault: a server leaves the cluster. Every node that is up
    /// hears of it at once; the server itself runs on for `drain` (to hand its data over),
    /// then departs for good, its storage with it, and every node hears it has gone.
    Leave {
        /// The server.
        node: Selector,
        /// How long it runs on after the announcement; default 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drain: Option<SimDuration>,
    },
}

impl FaultKind {
    /// The kind's name, as scenario files write it in `kind = "…"`.
    pub fn name(&self) -> FaultName {
        match self {
            FaultKind::Partition { .. } => FaultName::Partition,
            FaultKind::PartitionOneway { .. } => FaultName::PartitionOneway,
            FaultKind::Bridge { .. } => FaultName::Bridge,
            FaultKind::Crash { .. } => FaultName::Crash,
            FaultKind::Pause { .. } => FaultName::Pause,
            FaultKind::Slow { .. } => FaultName::Slow,
            FaultKind::Clock { .. } => FaultName::Clock,
            FaultKind::Loss { .. } => FaultName::Loss,
            FaultKind::Latency { .. } => FaultName::Latency,
            FaultKind::Duplicate { .. } => FaultName::Duplicate,
            FaultKind::Disk { .. } => FaultName::Disk,
            FaultKind::Join { .. } => FaultName::Join,
            FaultKind::Leave { .. } => FaultName::Leave,
        }
    }
}

/// One scheduled fault (`[[fault]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// When it happens, from the start of the run; before the run's `duration`. With `on`,
    /// when it is armed: it waits for that protocol event from then on.
    pub at: SimDuration,
    /// A protocol event (`"appended"`, `"voted"`) that triggers the fault: it begins at the
    /// first such event at or after `at`, `delay` later. The selector `trigger` names the node
    /// whose event it was. A fault whose event never comes is never injected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// With `on`: how long after the event it begins, drawn from this range; default at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DurationRange>,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Heal after this long (see the module docs for what healing means per kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<SimDuration>,
}

pub(crate) fn check_selector(
    topo: &Topology,
    key: &str,
    sel: &Selector,
    minority_ok: bool,
) -> Result<(), ConfigError> {
    if let Some(g) = sel.group()
        && topo.group_range(g).is_none()
    {
        let groups: Vec<&str> = topo.groups().iter().map(|g| g.name.as_str()).collect();
        return Err(ConfigError::invalid(
            key,
            format!("no node group `{g}`: the groups are {groups:?}"),
        ));
    }
    match sel {
        Selector::Named(name) => topo.resolve(key, name).map(|_| ()),
        Selector::Minority(_) if !minority_ok => Err(ConfigError::invalid(
            key,
            "`minority` selects several nodes: use it with `isolate`; here allowed a node name, `leader` or `random`",
        )),
        _ => Ok(()),
    }
}

fn check_set(topo: &Topology, key: &str, set: &NodeSet) -> Result<(), ConfigError> {
    match set {
        NodeSet::One(Selector::Named(n)) if n == "servers" => Ok(()),
        NodeSet::One(sel) => check_selector(topo, key, sel, false),
        NodeSet::List(v) if v.is_empty() => Err(ConfigError::invalid(key, "an empty node list")),
        NodeSet::List(v) => v.iter().try_for_each(|n| topo.resolve(key, n).map(|_| ())),
    }
}

/// A loss fault's `classes`: at least one, each a message class name (letters, digits, `-` and
/// `_`, as `[network.class_latency]` takes them). Whether the protocol sends such a class is
/// the scenario's check, which knows the protocol.
fn check_classes(key: &str, classes: &[String]) -> Result<(), ConfigError> {
    if classes.is_empty() {
        return Err(ConfigError::invalid(
            key,
            "an empty class list: name at least one message class, or leave `classes` out to lose messages of every class",
        ));
    }
    for class in classes {
        if !crate::network::is_class_name(class) {
            return Err(ConfigError::invalid(
                key,
                if class.is_empty() {
                    "a message class name is never empty: use letters, digits, `-` and `_`"
                        .to_string()
                } else {
                    format!(
                        "`{class}` is not a message class name: use letters, digits, `-` and `_`"
                    )
                },
            ));
        }
    }
    Ok(())
}

impl FaultSpec {
    /// The single-node selectors the fault names.
    pub fn selectors(&self) -> impl Iterator<Item = &Selector> {
        fn one(set: &NodeSet) -> Option<&Selector> {
            match set {
                NodeSet::One(s) => Some(s),
                NodeSet::List(_) => None,
            }
        }
        let v: Vec<&Selector> = match &self.kind {
            FaultKind::Partition { isolate, .. } => isolate.iter().collect(),
            FaultKind::PartitionOneway { from, to } => {
                one(from).into_iter().chain(one(to)).collect()
            }
            FaultKind::Bridge { node }
            | FaultKind::Crash { node, .. }
            | FaultKind::Pause { node }
            | FaultKind::Slow { node, .. }
            | FaultKind::Clock { node, .. }
            | FaultKind::Disk { node, .. }
            | FaultKind::Join { node }
            | FaultKind::Leave { node, .. } => vec![node],
            FaultKind::Loss { nodes, .. } | FaultKind::Latency { nodes, .. } => {
                nodes.iter().filter_map(one).collect()
            }
            FaultKind::Duplicate { .. } => Vec::new(),
        };
        v.into_iter()
    }

    /// Checks the fault against the cluster and the run's end (`at` must be before it).
    /// `key` is where it appears, e.g. `fault[2]`.
    pub fn validate(
        &self,
        key: &str,
        topo: &Topology,
        end: SimDuration,
    ) -> Result<(), ConfigError> {
        if self.at >= end {
            return Err(ConfigError::out_of_range(
                &format!("{key}.at"),
                self.at,
                &format!("a time before the run's duration ({end})"),
            ));
        }
        if let Some(d) = self.duration {
            require_positive(&format!("{key}.duration"), d)?;
            require_bounded(&format!("{key}.duration"), d)?;
        }
        let k = |field: &str| format!("{key}.{field}");
        if self.on.is_none() && self.delay.is_some() {
            return Err(ConfigError::invalid(
                &k("delay"),
                "`delay` is for a fault with `on` (a protocol event)",
            ));
        }
        if let Some(d) = self.delay {
            require_bounded(&k("delay"), d.hi)?;
        }
        if self.on.is_none() && self.selectors().any(|s| *s == Selector::Trigger) {
            return Err(ConfigError::invalid(
                key,
                "`trigger` names the node whose event triggered the fault: give `on` (a protocol event)",
            ));
        }
        if !matches!(self.kind, FaultKind::Join { .. })
            && self.selectors().any(|s| matches!(s, Selector::Absent(_)))
        {
            return Err(ConfigError::invalid(
                key,
                "`absent` picks a server that is not a member: it is for `join`",
            ));
        }
        match &self.kind {
            FaultKind::Partition { groups, isolate } => match (groups, isolate) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(ConfigError::invalid(
                        key,
                        "a partition needs exactly one of `groups` (lists of node names) or `isolate` (a selector)",
                    ));
                }
                (None, Some(sel)) => check_selector(topo, &k("isolate"), sel, true)?,
                (Some(groups), None) => {
                    if groups.len() < 2 {
                        return Err(ConfigError::invalid(
                            &k("groups"),
                            "a partition needs at least two groups (nodes in no group keep every link)",
                        ));
                    }
                    let mut seen = std::collections::BTreeSet::new();
                    for g in groups {
                        for name in g {
                            let id = topo.resolve(&k("groups"), name)?;
                            if !seen.insert(id) {
                                return Err(ConfigError::invalid(
                                    &k("groups"),
                                    format!(
                                        "node `{name}` is in two groups: groups must not overlap"
                                    ),
                                ));
                            }
                        }
                    }
                }
            },
            FaultKind::PartitionOneway { from, to } => {
                check_set(topo, &k("from"), from)?;
                check_set(topo, &k("to"), to)?;
            }
            FaultKind::Join { node } | FaultKind::Leave { node, .. } => {
                if self.duration.is_some() {
                    return Err(ConfigError::invalid(
                        &k("duration"),
                        "a join or a leave is a change of membership, not a fault that heals: no `duration`",
                    ));
                }
                check_selector(topo, &k("node"), node, false)?;
                if let Selector::Named(name) = node
                    && topo.resolve(&k("node"), name)? >= NodeId(topo.servers)
                {
                    return Err(ConfigError::invalid(
                        &k("node"),
                        format!("`{name}` is a client: only servers join and leave"),
                    ));
                }
                if let FaultKind::Leave { drain: Some(d), .. } = &self.kind {
                    require_bounded(&k("drain"), *d)?;
                }
            }
            FaultKind::Crash { node, restart_after } => {
                check_selector(topo, &k("node"), node, false)?;
                if let Some(r) = restart_after {
                    require_positive(&k("restart_after"), *r)?;
                    require_bounded(&k("restart_after"), *r)?;
                }
            }
            FaultKind::Pause { node }
            | FaultKind::Disk { node, .. }
            | FaultKind::Bridge { node } => check_selector(topo, &k("node"), node, false)?,
            FaultKind::Slow { node, factor } => {
                check_selector(topo, &k("node"), node, false)?;
                if !(*factor >= 1.0 && *factor <= 1_000_000.0) {
                    return Err(ConfigError::out_of_range(
                        &k("factor"),
                        factor,
                        "1 ≤ factor ≤ 1000000",
                    ));
                }
            }
            FaultKind::Clock { node, step, drift_ppm } => {
                check_selector(topo, &k("node"), node, false)?;
                match (step, drift_ppm) {
                    (Some(step), None) => {
                        if step.0.unsigned_abs() > crate::config::MAX_DURATION.0 {
                            return Err(ConfigError::out_of_range(
                                &k("step"),
                                step,
                                &format!("a signed duration {MAX_DURATION_TEXT} either way"),
                            ));
                        }
                    }
                    (None, Some(d)) if d.abs() < MAX_DRIFT_PPM => {}
                    (None, Some(d)) => {
                        return Err(ConfigError::out_of_range(
                            &k("drift_ppm"),
                            d,
                            "|drift_ppm| < 500000",
                        ));
                    }
                    _ => {
                        return Err(ConfigError::invalid(
                            key,
                            "a clock fault needs exactly one of `step` (signed duration) or `drift_ppm`",
                        ));
                    }
                }
            }
            FaultKind::Loss { rate, nodes, classes } => {
                probability(&k("rate"), *rate)?;
                if let Some(set) = nodes {
                    check_set(topo, &k("nodes"), set)?;
                }
                if let Some(classes) = classes {
                    check_classes(&k("classes"), classes)?;
                }
            }
            FaultKind::Latency { extra, nodes } => {
                extra.validate(&k("extra"))?;
                if let Some(set) = nodes {
                    check_set(topo, &k("nodes"), set)?;
                }
            }
            FaultKind::Duplicate { rate } => {
                probability(&k("rate"), *rate)?;
            }
        }
        Ok(())
    }
}

/// The two halves a bridge at `bridge` splits the rest of its group into: the other members
/// in order, alternately (n1 n2 n4 n5 around n3 give n1 n4 | n2 n5).
pub(crate) fn bridge_halves(topo: &Topology, bridge: NodeId) -> [Vec<NodeId>; 2] {
    let mut halves = [Vec::new(), Vec::new()];
    for (i, id) in topo.group_peers(bridge).enumerate() {
        halves[i % 2].push(id);
    }
    halves
}

/// What became of one fault during the run (`faults.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Position in the expanded schedule.
    pub index: u32,
    /// The fault as scheduled, selectors unresolved.
    pub spec: FaultSpec,
    /// The nodes its selectors resolved to, in order (for `partition-oneway`: the `from` nodes
    /// then the `to` nodes; for `bridge`: the two halves it cut apart, one after the other).
    pub resolved: Vec<String>,
    /// How many of `resolved` are `from` nodes (one-way partitions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_count: Option<usize>,
    /// Why the fault was skipped (a selector found no node), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// When it was healed, in simulated nanoseconds, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healed_at_ns: Option<u64>,
    /// For a fault triggered by a protocol event: when it began, in simulated nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub began_at_ns: Option<u64>,
    /// For a fault triggered by a protocol event: when the event came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_at_ns: Option<u64>,
    /// For a fault triggered by a protocol event: the node whose event it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggered_by: Option<String>,
}

impl FaultRecord {
    /// The fault with its selectors replaced by the nodes they resolved to; `None` for a
    /// skipped fault. Replaying these specs repeats the run's faults exactly.
    pub fn replayable(&self, topo: &Topology) -> Option<FaultSpec> {
        if self.skipped.is_some() {
            return None;
        }
        let first = || Selector::Named(self.resolved.first().cloned().unwrap_or_default());
        let kind = match &self.spec.kind {
            FaultKind::Partition { isolate: Some(_), .. } => {
                // The rest of the isolated nodes' own groups, as the effect cut them off.
                let mut rest: Vec<NodeId> = (self.resolved.iter())
                    .filter_map(|n| topo.lookup(n))
                    .flat_map(|id| topo.group_peers(id))
                    .collect();
                rest.sort();
                rest.dedup();
                let rest: Vec<String> = rest
                    .into_iter()
                    .map(|id| topo.name(id))
                    .filter(|n| !self.resolved.contains(n))
                    .collect();
                FaultKind::Partition {
                    groups: Some(vec![self.resolved.clone(), rest]),
                    isolate: None,
                }
            }
            FaultKind::PartitionOneway { .. } => {
                let k = self.from_count.unwrap_or(0).min(self.resolved.len());
                FaultKind::PartitionOneway {
                    from: NodeSet::List(self.resolved[..k].to_vec()),
                    to: NodeSet::List(self.resolved[k..].to_vec()),
                }
            }
            FaultKind::Bridge { .. } => {
                let (a, b) = self.bridge_halves();
                FaultKind::Partition { groups: Some(vec![a.to_vec(), b.to_vec()]), isolate: None }
            }
            FaultKind::Crash { restart_after, .. } => {
                FaultKind::Crash { node: first(), restart_after: *restart_after }
            }
            FaultKind::Pause { .. } => FaultKind::Pause { node: first() },
            FaultKind::Slow { factor, .. } => FaultKind::Slow { node: first(), factor: *factor },
            FaultKind::Clock { step, drift_ppm, .. } => {
                FaultKind::Clock { node: first(), step: *step, drift_ppm: *drift_ppm }
            }
            FaultKind::Disk { mode, .. } => FaultKind::Disk { node: first(), mode: *mode },
            FaultKind::Join { .. } => FaultKind::Join { node: first() },
            FaultKind::Leave { drain, .. } => FaultKind::Leave { node: first(), drain: *drain },
            FaultKind::Loss { rate, nodes: Some(_), classes } => FaultKind::Loss {
                rate: *rate,
                nodes: Some(NodeSet::List(self.resolved.clone())),
                classes: classes.clone(),
            },
            FaultKind::Latency { extra, nodes: Some(_) } => FaultKind::Latency {
                extra: extra.clone(),
                nodes: Some(NodeSet::List(self.resolved.clone())),
            },
            other => other.clone(),
        };
        // A triggered fault replays with the delay it drew, so it begins at the same moment.
        let delay = self.began_at_ns.zip(self.event_at_ns).map(|(b, e)| {
            let d = SimDuration(b.saturating_sub(e));
            DurationRange { lo: d, hi: d }
        });
        Some(FaultSpec { kind, delay: delay.or(self.spec.delay), ..self.spec.clone() })
    }

    /// A bridge's two halves, as `resolved` lists them one after the other: the first as long
    /// as the second or one longer, as [`bridge_halves`] deals them.
    pub fn bridge_halves(&self) -> (&[String], &[String]) {
        self.resolved.split_at(self.resolved.len().div_ceil(2))
    }

    /// When the fault began, in simulated time.
    pub fn at(&self) -> SimTime {
        SimTime(self.began_at_ns.unwrap_or(self.spec.at.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Faults {
        fault: Vec<FaultSpec>,
    }

    fn parse(s: &str) -> Result<Vec<FaultSpec>, String> {
        toml::from_str::<Faults>(s).map(|f| f.fault).map_err(|e| e.to_string())
    }

    fn check(s: &str) -> Result<(), String> {
        let topo = Topology::new(5, 2).unwrap();
        for (i, f) in parse(s)?.iter().enumerate() {
            f.validate(&format!("fault[{i}]"), &topo, SimDuration::from_secs(60))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    #[test]
    fn every_kind_parses() {
        let ok = r#"
            [[fault]]
            at = "1s"
            kind = "partition"
            groups = [["n1", "n2"], ["n3", "n4", "n5"]]
            duration = "5s"
            [[fault]]
            at = "2s"
            kind = "partition"
            isolate = "leader"
            [[fault]]
            at = "3s"
            kind = "partition-oneway"
            from = "n1"
            to = ["n2", "n3"]
            [[fault]]
            at = "3s"
            kind = "bridge"
            node = "n3"
            [[fault]]
            at = "4s"
            kind = "crash"
            node = "random"
            restart_after = "1s"
            [[fault]]
            at = "5s"
            kind = "pause"
            node = "n2"
            duration = "1s"
            [[fault]]
            at = "6s"
            kind = "slow"
            node = "n3"
            factor = 4
            [[fault]]
            at = "7s"
            kind = "clock"
            node = "n4"
            step = "-250ms"
            [[fault]]
            at = "8s"
            kind = "loss"
            rate = 0.2
            nodes = ["c1"]
            [[fault]]
            at = "9s"
            kind = "latency"
            extra = { dist = "exponential", mean = "20ms" }
            [[fault]]
            at = "10s"
            kind = "duplicate"
            rate = 0.1
            [[fault]]
            at = "11s"
            kind = "disk"
            node = "n5"
            mode = "corrupt"
            [[fault]]
            at = "12s"
            kind = "leave"
            node = "n5"
            drain = "1s"
            [[fault]]
            at = "13s"
            kind = "join"
            node = "absent"
        "#;
        check(ok).unwrap();
        assert_eq!(parse(ok).unwrap().len(), 14);
        // Each fault's `kind` tag is its kind's name, and the file above has every kind.
        let mut names = std::collections::BTreeSet::new();
        for f in parse(ok).unwrap() {
            let tagged = serde_json::to_value(&f.kind).unwrap();
            assert_eq!(tagged["kind"], f.kind.name().as_str());
            names.insert(f.kind.name());
        }
        assert!(names.into_iter().eq(FaultName::ALL));
    }

    #[test]
    fn fault_names_are_their_serde_form() {
        for (i, k) in FaultName::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i, "ALL is in declaration order");
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(serde_json::from_value::<FaultName>(k.as_str().into()).unwrap(), k);
            assert_eq!(FaultName::parse(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        assert_eq!(FaultName::parse("explode"), None);
    }

    #[test]
    fn bad_faults_are_named_errors() {
        let e = |s: &str| check(s).unwrap_err();
        assert!(e("[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n9\"").contains("n9"));
        assert!(
            e("[[fault]]\nat = \"90s\"\nkind = \"crash\"\nnode = \"n1\"")
                .contains("before the run")
        );
        assert!(e("[[fault]]\nat = \"1s\"\nkind = \"explode\"").contains("explode"));
        assert!(e("[[fault]]\nat = \"1s\"\nkind = \"loss\"\nrate = 1.5").contains("[0, 1)"));
        assert!(
            e("[[fault]]\nat = \"1s\"\nkind = \"partition\"\ngroups = [[\"n1\",\"n2\"],[\"n2\"]]")
                .contains("overlap")
        );
        assert!(
            e("[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n1\"\nduration = \"0s\"")
                .contains("> 0")
        );
        assert!(
            e("[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"minority\"").contains("isolate")
        );
        assert!(
            e("[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n1\"\nbogus = 1")
                .contains("bogus")
        );
        assert!(
            e("[[fault]]\nat = \"1s\"\nkind = \"clock\"\nnode = \"n1\"").contains("exactly one")
        );
    }
}
