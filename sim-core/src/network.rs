//! The network model: what happens to a message between `send` and delivery.
//!
//! Per message, in this order: a partition in force drops it (no randomness drawn); the loss
//! probability (link loss combined with any loss fault) drops it; the duplication probability
//! may send a second copy; the latency is drawn from the link's distribution (per-link override,
//! else the route between the two nodes' regions, else the entry of `class_latency` for the
//! message's class, else the default) plus any latency fault;
//! with bandwidth set, the sender's outgoing link serializes messages one after another
//! (`size · 8 / bandwidth` each); with `fifo`, a message never arrives before an earlier one on
//! the same directed link. Random draws, all from the `network` stream, happen only where a
//! probability is non-zero or a distribution is not constant: loss, then duplication, then the
//! latency, then the duplicate's latency.
//!
//! Injected: symmetric partitions (groups; nodes in no group keep every link), one-way
//! partitions, extra loss, extra latency, extra duplication, each until healed. Never modelled:
//! corruption of message contents (protocols are assumed to checksum), congestion collapse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Bandwidth, ConfigError, de_probability, probability};
use crate::distribution::{Distribution, Sampler, serde_form};
use crate::rng::{Probability, SimRng};
use crate::time::{SimDuration, SimTime};
use crate::topology::{NodeId, Topology};
use crate::trace::DropReason;

/// `[network]`: the network every message crosses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// One-way latency of every link without an override; default constant `1ms`.
    #[serde(default, with = "serde_form")]
    pub latency: Distribution,
    /// Probability that a message is lost, in [0, 1); default 0.
    #[serde(default, deserialize_with = "de_probability")]
    pub loss: f64,
    /// Probability that a message is delivered twice, in [0, 1); default 0.
    #[serde(default, deserialize_with = "de_probability")]
    pub duplicate: f64,
    /// Per-link first-in first-out delivery; default false (messages may reorder).
    #[serde(default)]
    pub fifo: bool,
    /// Each node's outgoing bandwidth; default unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    /// Per-link overrides (directed: `from` → `to`).
    #[serde(default, rename = "link", skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkConfig>,
    /// Regions: named groups of nodes.
    #[serde(default, rename = "region", skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionConfig>,
    /// Latency between regions (both directions unless the reverse route is also given).
    #[serde(default, rename = "route", skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteConfig>,
    /// One-way latency by message class ([`Message::class`](crate::Message::class)): a message
    /// whose class has an entry draws its latency from it instead of `latency` (a link override
    /// or a region route that sets a latency still wins). A class no message has is never
    /// used. Names are letters, digits, `-` and `_`.
    #[serde(
        default,
        deserialize_with = "serde_form::map::deserialize",
        serialize_with = "serde_form::map::serialize",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub class_latency: BTreeMap<String, Distribution>,
}

/// `[[network.link]]`: overrides for one directed link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// Sending node's name.
    pub from: String,
    /// Receiving node's name.
    pub to: String,
    /// Latency on this link.
    #[serde(default, with = "serde_form::option", skip_serializing_if = "Option::is_none")]
    pub latency: Option<Distribution>,
    /// Loss probability on this link, in [0, 1).
    #[serde(
        default,
        deserialize_with = "de_opt_probability",
        skip_serializing_if = "Option::is_none"
    )]
    pub loss: Option<f64>,
    /// Duplication probability on this link, in [0, 1).
    #[serde(
        default,
        deserialize_with = "de_opt_probability",
        skip_serializing_if = "Option::is_none"
    )]
    pub duplicate: Option<f64>,
}

/// `[[network.region]]`: a named group of nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// Region name.
    pub name: String,
    /// Node names in it (a node is in at most one region).
    pub nodes: Vec<String>,
}

/// `[[network.route]]`: the latency between two regions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Source region.
    pub from: String,
    /// Destination region.
    pub to: String,
    /// One-way latency.
    #[serde(with = "serde_form")]
    pub latency: Distribution,
}

fn de_opt_probability<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    de_probability(d).map(Some)
}

impl NetworkConfig {
    /// Checks every value against the cluster.
    pub fn validate(&self, topo: &Topology) -> Result<(), ConfigError> {
        self.latency.validate("network.latency")?;
        probability("network.loss", self.loss)?;
        probability("network.duplicate", self.duplicate)?;
        for (i, l) in self.links.iter().enumerate() {
            let key = format!("network.link[{i}]");
            topo.resolve(&format!("{key}.from"), &l.from)?;
            topo.resolve(&format!("{key}.to"), &l.to)?;
            if let Some(d) = &l.latency {
                d.validate(&format!("{key}.latency"))?;
            }
            probability(&format!("{key}.loss"), l.loss.unwrap_or(0.0))?;
            probability(&format!("{key}.duplicate"), l.duplicate.unwrap_or(0.0))?;
        }
        let mut seen = BTreeMap::new();
        for (i, r) in self.regions.iter().enumerate() {
            if self.regions[..i].iter().any(|o| o.name == r.name) {
                return Err(ConfigError::invalid(
                    &format!("network.region[{i}].name"),
                    format!("region `{}` is defined twice", r.name),
                ));
            }
            for n in &r.nodes {
                let id = topo.resolve(&format!("network.region[{i}].nodes"), n)?;
                if let Some(other) = seen.insert(id, r.name.clone()) {
                    return Err(ConfigError::invalid(
                        &format!("network.region[{i}].nodes"),
                        format!(
                            "node `{n}` is already in region `{other}`: a node is in one region"
                        ),
                    ));
                }
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            let key = format!("network.route[{i}]");
            for (end, name) in [("from", &r.from), ("to", &r.to)] {
                if !self.regions.iter().any(|g| &g.name == name) {
                    let names: Vec<&str> = self.regions.iter().map(|g| g.name.as_str()).collect();
                    return Err(ConfigError::invalid(
                        &format!("{key}.{end}"),
                        format!("unknown region `{name}`: the regions are {names:?}"),
                    ));
                }
            }
            r.latency.validate(&format!("{key}.latency"))?;
        }
        for (class, d) in &self.class_latency {
            let key = format!("network.class_latency.{class}");
            // The name is also a dotted key's last part (`--set`, sweep grids), so no dots.
            if !is_class_name(class) {
                return Err(ConfigError::invalid(
                    // Quoted, as TOML writes such a key, so that the key stays one part.
                    &format!("network.class_latency.\"{class}\""),
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
            d.validate(&key)?;
        }
        Ok(())
    }
}

/// True when `class` can name a message class: letters, digits, `-` and `_`, at least one.
pub(crate) fn is_class_name(class: &str) -> bool {
    !class.is_empty() && class.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// What one link does to messages.
#[derive(Clone, Debug, PartialEq)]
struct LinkModel {
    /// `None` on an override that leaves latency alone, and on the default (whose latency is
    /// [`Network::default_latency`]).
    latency: Option<Sampler>,
    loss: Probability,
    duplicate: Probability,
}

/// Which directed links a partition cuts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PartitionRule {
    /// Symmetric: group number per node (0 = in no group, keeps every link); nodes in two
    /// different groups cannot talk.
    Groups(Vec<u16>),
    /// One-way: messages from any node marked `from` to any node marked `to` are dropped.
    OneWay {
        /// Senders whose messages are cut.
        from: Vec<bool>,
        /// Receivers those messages cannot reach.
        to: Vec<bool>,
    },
}

impl PartitionRule {
    /// Builds a symmetric rule from groups of nodes.
    pub(crate) fn groups(n: usize, groups: &[Vec<NodeId>]) -> PartitionRule {
        let mut g = vec![0u16; n];
        for (i, members) in groups.iter().enumerate() {
            for m in members {
                g[m.index()] = i as u16 + 1;
            }
        }
        PartitionRule::Groups(g)
    }

    /// Builds a one-way rule.
    pub(crate) fn one_way(n: usize, from: &[NodeId], to: &[NodeId]) -> PartitionRule {
        let mark = |set: &[NodeId]| {
            let mut v = vec![false; n];
            set.iter().for_each(|id| v[id.index()] = true);
            v
        };
        PartitionRule::OneWay { from: mark(from), to: mark(to) }
    }

    /// True when this rule cuts messages from `from` to `to`.
    #[inline]
    pub(crate) fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        match self {
            PartitionRule::Groups(g) => {
                let (a, b) = (g[from.index()], g[to.index()]);
                a != 0 && b != 0 && a != b
            }
            PartitionRule::OneWay { from: f, to: t } => f[from.index()] && t[to.index()],
        }
    }
}

/// A network fault in force (added by a fault, removed when it heals).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NetworkFault {
    /// Cut links.
    Partition(PartitionRule),
    /// Extra loss on messages from or to the marked nodes (`None`: every message) whose class
    /// is one of the listed ones (`None`: every class).
    Loss(Probability, Option<Vec<bool>>, Option<Vec<String>>),
    /// Extra latency on messages from or to the marked nodes.
    Latency(Distribution, Option<Vec<bool>>),
    /// Extra duplication of every message.
    Duplicate(Probability),
}

fn touches(nodes: &Option<Vec<bool>>, from: NodeId, to: NodeId) -> bool {
    nodes.as_ref().is_none_or(|m| m[from.index()] || m[to.index()])
}

fn in_classes(classes: &Option<Vec<String>>, class: &str) -> bool {
    // A handful of names: a scan beats a set.
    classes.as_ref().is_none_or(|cs| cs.iter().any(|c| c == class))
}

/// What the network is told about one message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packet<'a> {
    /// The sender.
    pub(crate) from: NodeId,
    /// The receiver.
    pub(crate) to: NodeId,
    /// The sender's processing time before the message leaves it.
    pub(crate) delay: SimDuration,
    /// Bytes on the wire (read only with bandwidth set).
    pub(crate) size: u64,
    /// Its class (read only when [`Network::needs_class`]; `""`: none).
    pub(crate) class: &'a str,
}

/// What the network decided for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routing {
    /// The message is lost.
    Drop(DropReason),
    /// The message arrives at `at`; a duplicate, if any, at `duplicate_at`.
    Deliver {
        /// Arrival of the message.
        at: SimTime,
        /// Arrival of a duplicate copy.
        duplicate_at: Option<SimTime>,
        /// When it has left the sender (with bandwidth, once its link has transmitted it): a
        /// sender that crashes before then takes it down with it.
        departs: SimTime,
    },
}

/// The network's state during a run.
#[derive(Clone, Debug)]
pub(crate) struct Network {
    default: LinkModel,
    /// `latency`: every message's, unless a link, route or class sets another.
    default_latency: Sampler,
    /// `class_latency` by class name, in name order.
    classes: Vec<(String, Sampler)>,
    overrides: BTreeMap<(u32, u32), LinkModel>,
    region_of: Vec<u16>,
    /// `routes[from_region * regions + to_region]`; regions are numbered from 1.
    routes: Vec<Option<Sampler>>,
    regions: usize,
    fifo: bool,
    last_arrival: BTreeMap<(u32, u32), SimTime>,
    bandwidth: Option<Bandwidth>,
    egress_free: Vec<SimTime>,
    faults: Vec<(u32, NetworkFault)>,
    /// True when a loss fault in force picks its messages by class.
    class_loss: bool,
    /// True when nothing but the default link model applies (the fast path).
    plain: bool,
}

impl Network {
    /// Builds the network for a validated config.
    pub(crate) fn new(cfg: &NetworkConfig, topo: &Topology) -> Result<Network, ConfigError> {
        cfg.validate(topo)?;
        let n = topo.len() as usize;
        let default = LinkModel {
            latency: None,
            loss: probability("network.loss", cfg.loss)?,
            duplicate: probability("network.duplicate", cfg.duplicate)?,
        };
        let mut overrides = BTreeMap::new();
        for l in &cfg.links {
            let from = topo.resolve("network.link.from", &l.from)?;
            let to = topo.resolve("network.link.to", &l.to)?;
            let m = LinkModel {
                latency: l.latency.as_ref().map(Distribution::sampler),
                loss: probability("network.link.loss", l.loss.unwrap_or(cfg.loss))?,
                duplicate: probability(
                    "network.link.duplicate",
                    l.duplicate.unwrap_or(cfg.duplicate),
                )?,
            };
            overrides.insert((from.0, to.0), m);
        }
        let mut region_of = vec![0u16; n];
        for (i, r) in cfg.regions.iter().enumerate() {
            for name in &r.nodes {
                region_of[topo.resolve("network.region.nodes", name)?.index()] = i as u16 + 1;
            }
        }
        let regions = cfg.regions.len() + 1;
        let mut routes = vec![None; regions * regions];
        let region_index =
            |name: &str| cfg.regions.iter().position(|r| r.name == name).map(|i| i + 1);
        // Explicit routes first, then their reverses where the reverse is not given.
        for pass in 0..2 {
            for r in &cfg.routes {
                let (Some(a), Some(b)) = (region_index(&r.from), region_index(&r.to)) else {
                    continue;
                };
                let (a, b) = if pass == 0 { (a, b) } else { (b, a) };
                let slot = &mut routes[a * regions + b];
                if pass == 0 || slot.is_none() {
                    *slot = Some(r.latency.sampler());
                }
            }
        }
        let classes = cfg.class_latency.iter().map(|(c, d)| (c.clone(), d.sampler())).collect();
        let mut net = Network {
            default,
            default_latency: cfg.latency.sampler(),
            classes,
            overrides,
            region_of,
            routes,
            regions,
            fifo: cfg.fifo,
            last_arrival: BTreeMap::new(),
            bandwidth: cfg.bandwidth,
            egress_free: vec![SimTime::ZERO; n],
            faults: Vec::new(),
            class_loss: false,
            plain: true,
        };
        net.update_plain();
        Ok(net)
    }

    fn update_plain(&mut self) {
        self.class_loss =
            self.faults.iter().any(|(_, f)| matches!(f, NetworkFault::Loss(_, _, Some(_))));
        self.plain = self.overrides.is_empty()
            && self.classes.is_empty()
            && self.regions == 1
            && !self.fifo
            && self.bandwidth.is_none()
            && self.faults.is_empty();
    }

    /// Adds a fault under an id (the fault's index in the schedule).
    pub(crate) fn add_fault(&mut self, id: u32, fault: NetworkFault) {
        self.faults.push((id, fault));
        self.update_plain();
    }

    /// Removes the faults added under `id`; returns whether there were any.
    pub(crate) fn heal(&mut self, id: u32) -> bool {
        let before = self.faults.len();
        self.faults.retain(|(i, _)| *i != id);
        self.update_plain();
        before != self.faults.len()
    }

    /// Removes every fault.
    pub(crate) fn heal_all(&mut self) {
        self.faults.clear();
        self.update_plain();
    }

    /// True when some message class has a latency of its own, or a loss fault in force picks
    /// its messages by class: only then does a send need to ask its message for its class.
    #[inline]
    pub(crate) fn needs_class(&self) -> bool {
        !self.classes.is_empty() || self.class_loss
    }

    /// The latency of messages of `class` where no link or route sets one: its entry in
    /// `class_latency`, else the default.
    fn class_latency(&self, class: &str) -> &Sampler {
        // A handful of classes: a scan beats a map, and costs nothing without them.
        self.classes.iter().find(|(c, _)| c == class).map_or(&self.default_latency, |(_, s)| s)
    }

    /// True when a partition in force cuts `from` → `to`.
    pub(crate) fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.faults
            .iter()
            .any(|(_, f)| matches!(f, NetworkFault::Partition(p) if p.blocks(from, to)))
    }

    /// Decides the fate of a message sent at `now`.
    #[inline]
    pub(crate) fn route(&mut self, rng: &mut SimRng, now: SimTime, packet: Packet<'_>) -> Routing {
        if self.plain {
            let m = &self.default;
            if m.loss.0 == 0 && m.duplicate.0 == 0 {
                if let Sampler::Constant(lat) = self.default_latency {
                    let departs = now + packet.delay;
                    return Routing::Deliver { at: departs + lat, duplicate_at: None, departs };
                }
            }
        }
        self.route_general(rng, now, packet)
    }

    fn route_general(&mut self, rng: &mut SimRng, now: SimTime, packet: Packet<'_>) -> Routing {
        let Packet { from, to, delay, size, class } = packet;
        if self.is_cut(from, to) {
            return Routing::Drop(DropReason::Partition);
        }
        let link = self.overrides.get(&(from.0, to.0)).unwrap_or(&self.default);
        let (mut loss, mut dup) = (link.loss, link.duplicate);
        for (_, f) in &self.faults {
            match f {
                NetworkFault::Loss(p, nodes, classes)
                    if touches(nodes, from, to) && in_classes(classes, class) =>
                {
                    loss = loss.either(*p)
                }
                NetworkFault::Duplicate(p) => dup = dup.either(*p),
                _ => {}
            }
        }
        if rng.chance(loss) {
            return Routing::Drop(DropReason::Loss);
        }
        let duplicated = rng.chance(dup);
        let depart = match self.bandwidth {
            Some(bw) => {
                let start = self.egress_free[from.index()].max(now + delay);
                let done = start + bw.transmit_time(size);
                self.egress_free[from.index()] = done;
                done
            }
            None => now + delay,
        };
        let at = self.arrival(rng, depart, from, to, class);
        let duplicate_at = duplicated.then(|| self.arrival(rng, depart, from, to, class));
        Routing::Deliver { at, duplicate_at, departs: depart }
    }

    fn arrival(
        &mut self,
        rng: &mut SimRng,
        depart: SimTime,
        from: NodeId,
        to: NodeId,
        class: &str,
    ) -> SimTime {
        let base = match self.overrides.get(&(from.0, to.0)) {
            Some(LinkModel { latency: Some(latency), .. }) => latency,
            // An override that sets no latency keeps the network's latency, not the route's (as
            // it did before classes had latencies; a class's entry stands in for `latency`).
            Some(_) => self.class_latency(class),
            None => {
                let (a, b) =
                    (self.region_of[from.index()] as usize, self.region_of[to.index()] as usize);
                match &self.routes[a * self.regions + b] {
                    Some(route) => route,
                    None => self.class_latency(class),
                }
            }
        };
        let mut latency = base.sample(rng);
        for (_, f) in &self.faults {
            if let NetworkFault::Latency(d, nodes) = f {
                if touches(nodes, from, to) {
                    latency = latency + d.sample(rng);
                }
            }
        }
        let mut at = depart.saturating_add(latency);
        if self.fifo {
            let last = self.last_arrival.entry((from.0, to.0)).or_insert(SimTime::ZERO);
            // Same-time arrivals keep send order through the queue's sequence numbers.
            at = at.max(*last);
            *last = at;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{RngRoot, Stream};

    fn topo() -> Topology {
        Topology::new(3, 1).unwrap()
    }

    fn packet(from: u32, to: u32, delay_ns: u64, size: u64, class: &str) -> Packet<'_> {
        Packet { from: NodeId(from), to: NodeId(to), delay: SimDuration(delay_ns), size, class }
    }

    #[test]
    fn plain_constant_network_draws_nothing() {
        let mut net = Network::new(&NetworkConfig::default(), &topo()).unwrap();
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        let before = rng.clone().next_u64();
        let r = net.route(&mut rng, SimTime(10), packet(0, 1, 5, 100, ""));
        assert_eq!(
            r,
            Routing::Deliver {
                at: SimTime(10 + 5 + 1_000_000),
                duplicate_at: None,
                departs: SimTime(10 + 5)
            }
        );
        assert_eq!(rng.next_u64(), before);
    }

    #[test]
    fn one_way_partition_cuts_one_direction() {
        let mut net = Network::new(&NetworkConfig::default(), &topo()).unwrap();
        net.add_fault(
            0,
            NetworkFault::Partition(PartitionRule::one_way(4, &[NodeId(0)], &[NodeId(1)])),
        );
        assert!(net.is_cut(NodeId(0), NodeId(1)));
        assert!(!net.is_cut(NodeId(1), NodeId(0)));
        assert!(net.heal(0));
        assert!(!net.is_cut(NodeId(0), NodeId(1)));
    }

    #[test]
    fn regions_and_routes() {
        let cfg: NetworkConfig = toml::from_str(
            r#"
            [[region]]
            name = "eu"
            nodes = ["n1"]
            [[region]]
            name = "us"
            nodes = ["n2", "n3"]
            [[route]]
            from = "eu"
            to = "us"
            latency = "40ms"
            "#,
        )
        .unwrap();
        let mut net = Network::new(&cfg, &topo()).unwrap();
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        let mut at = |a, b| match net.route(&mut rng, SimTime(0), packet(a, b, 0, 1, "")) {
            Routing::Deliver { at, .. } => at.0,
            Routing::Drop(_) => panic!("dropped"),
        };
        assert_eq!(at(0, 1), 40_000_000);
        assert_eq!(at(2, 0), 40_000_000, "routes apply both ways");
        assert_eq!(at(1, 2), 1_000_000, "within a region: the default");
    }

    fn arrival(net: &mut Network, rng: &mut SimRng, from: u32, to: u32, size: u64) -> Option<u64> {
        match net.route(rng, SimTime(0), packet(from, to, 0, size, "")) {
            Routing::Deliver { at, .. } => Some(at.0),
            Routing::Drop(_) => None,
        }
    }

    #[test]
    fn bandwidth_serializes_a_senders_messages() {
        // 8 kbit/s: a 100-byte message takes 100 ms on the wire.
        let cfg: NetworkConfig =
            toml::from_str("bandwidth = \"8Kbps\"\nlatency = \"1ms\"").unwrap();
        let mut net = Network::new(&cfg, &topo()).unwrap();
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        assert_eq!(arrival(&mut net, &mut rng, 0, 1, 100), Some(101_000_000));
        assert_eq!(
            arrival(&mut net, &mut rng, 0, 2, 100),
            Some(201_000_000),
            "queued behind the first"
        );
        assert_eq!(
            arrival(&mut net, &mut rng, 1, 0, 100),
            Some(101_000_000),
            "another sender's link is free"
        );
    }

    #[test]
    fn a_link_override_applies_to_its_direction_only() {
        let cfg: NetworkConfig = toml::from_str(
            "[[link]]\nfrom = \"n1\"\nto = \"n2\"\nlatency = \"50ms\"\n[[link]]\nfrom = \"n2\"\nto = \"n3\"\nloss = 0.999999",
        )
        .unwrap();
        let mut net = Network::new(&cfg, &topo()).unwrap();
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        assert_eq!(arrival(&mut net, &mut rng, 0, 1, 1), Some(50_000_000));
        assert_eq!(arrival(&mut net, &mut rng, 1, 0, 1), Some(1_000_000));
        assert_eq!(arrival(&mut net, &mut rng, 1, 2, 1), None, "n2 → n3 loses (almost) everything");
        assert_eq!(arrival(&mut net, &mut rng, 2, 1, 1), Some(1_000_000));
    }

    #[test]
    fn a_class_latency_replaces_the_default_only() {
        // n1 in region eu, n2 and n3 in us; eu → us has a route; n3 → n2 and n1 → n3 have link
        // overrides that set only loss, so their latency is still the class's or the default.
        let cfg: NetworkConfig = toml::from_str(
            r#"
            latency = "1ms"
            [class_latency]
            vote = "5ms"
            [[link]]
            from = "n3"
            to = "n2"
            loss = 0.0
            [[link]]
            from = "n1"
            to = "n3"
            loss = 0.0
            [[link]]
            from = "n2"
            to = "n3"
            latency = "30ms"
            [[region]]
            name = "eu"
            nodes = ["n1"]
            [[region]]
            name = "us"
            nodes = ["n2", "n3"]
            [[route]]
            from = "eu"
            to = "us"
            latency = "40ms"
            "#,
        )
        .unwrap();
        let mut net = Network::new(&cfg, &topo()).unwrap();
        assert!(net.needs_class());
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        let mut at = |a, b, class| match net.route(&mut rng, SimTime(0), packet(a, b, 0, 1, class))
        {
            Routing::Deliver { at, .. } => at.0 / 1_000_000,
            Routing::Drop(_) => panic!("dropped"),
        };
        assert_eq!((at(2, 1, "vote"), at(2, 1, "append")), (5, 1), "the class, else the default");
        assert_eq!(at(1, 2, "vote"), 30, "a link override's latency wins");
        assert_eq!(at(0, 1, "vote"), 40, "a route wins");
        assert_eq!(
            (at(0, 2, "vote"), at(0, 2, "append")),
            (5, 1),
            "a link override without latency keeps the network's (the class's), not the route's"
        );
        assert_eq!(at(3, 2, "vote"), 5, "a client takes the class latency too");
    }

    #[test]
    fn a_loss_fault_with_classes_drops_only_those_classes() {
        let mut net = Network::new(&NetworkConfig::default(), &topo()).unwrap();
        assert!(!net.needs_class());
        let p = probability("rate", 0.999_999).unwrap();
        let vote = Some(vec!["vote".to_string()]);
        net.add_fault(0, NetworkFault::Loss(p, None, vote.clone()));
        assert!(net.needs_class(), "a class-filtered loss asks each message for its class");
        let mut rng = RngRoot::new(1).stream(Stream::Network);
        let mut delivered = |net: &mut Network, a, b, class| {
            (0..1000)
                .filter(|_| {
                    let r = net.route(&mut rng, SimTime(0), packet(a, b, 0, 1, class));
                    matches!(r, Routing::Deliver { .. })
                })
                .count()
        };
        assert_eq!(delivered(&mut net, 0, 1, "vote"), 0, "the class is lost");
        assert_eq!(delivered(&mut net, 0, 1, "append"), 1000, "other classes are not");
        assert_eq!(delivered(&mut net, 0, 1, ""), 1000, "nor are unclassed messages");
        assert!(net.heal(0));
        assert!(!net.needs_class() && net.plain, "healed: back on the fast path");
        // With `nodes` too, a message must match both: n1's votes only.
        let mask = Some(vec![true, false, false, false]);
        net.add_fault(1, NetworkFault::Loss(p, mask, vote));
        assert_eq!(delivered(&mut net, 0, 1, "vote"), 0);
        assert_eq!(delivered(&mut net, 2, 0, "vote"), 0, "to n1 as well as from it");
        assert_eq!(delivered(&mut net, 1, 2, "vote"), 1000, "a vote between other nodes");
        assert_eq!(delivered(&mut net, 0, 1, "append"), 1000, "n1's other classes");
        // Without classes, every message, as before.
        net.heal_all();
        net.add_fault(2, NetworkFault::Loss(p, None, None));
        assert!(!net.needs_class());
        assert_eq!(delivered(&mut net, 1, 2, ""), 0);
    }

    #[test]
    fn bad_configs_are_errors() {
        let bad = |s: &str| -> Result<(), String> {
            let cfg: NetworkConfig = toml::from_str(s).map_err(|e| e.to_string())?;
            Network::new(&cfg, &topo()).map(|_| ()).map_err(|e| e.to_string())
        };
        assert!(bad("loss = 1.5").unwrap_err().contains("[0, 1)"));
        assert!(bad("duplicate = -0.1").unwrap_err().contains("[0, 1)"));
        assert!(
            bad("latency = { dist = \"pareto\", scale = \"1ms\", shape = 0.0 }")
                .unwrap_err()
                .contains("shape")
        );
        assert!(bad("[[link]]\nfrom = \"n1\"\nto = \"n9\"").unwrap_err().contains("n9"));
        assert!(bad("latency = { dist = \"uniform\", min = \"3ms\", max = \"1ms\" }").is_err());
        assert!(bad("lossy = 0.1").unwrap_err().contains("lossy"));
        assert!(bad("latency = \"1ms\"").is_ok());
    }
}
