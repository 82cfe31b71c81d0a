//! What a protocol declares: [`Protocol`], and the [`Setup`] a scenario hands it.

use serde::de::DeserializeOwned;
use sim_core::config::ConfigError;
use sim_core::topology::NodeGroup;
use sim_core::{
    ClockConfig, FaultSpec, NemesisConfig, NetworkConfig, SimConfig, SimDuration, Topology,
};

use crate::driver::Run;
use crate::series::SeriesChart;

/// One key of a protocol's table, as `faultline list` and the docs show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameter {
    /// The key inside the protocol's table (`election_timeout`).
    pub key: &'static str,
    /// Its default and allowed values, in a line.
    pub about: &'static str,
}

/// A group of nodes a protocol runs (`server`, `cache`, `monitor`): nodes are named after the
/// group's prefix (`n1..nN`, `cache1..`), or the prefix alone for a singleton.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// The group's name, as selectors write it (`random:cache`).
    pub name: &'static str,
    /// The prefix of its nodes' names.
    pub prefix: &'static str,
    /// One node, named by the prefix alone.
    pub singleton: bool,
    /// What its nodes do, in a line.
    pub about: &'static str,
}

impl Group {
    /// The kernel's group of `count` nodes (1 for a singleton).
    pub fn nodes(&self, count: u32) -> NodeGroup {
        NodeGroup {
            name: self.name.into(),
            prefix: self.prefix.into(),
            count: if self.singleton { 1 } else { count },
            singleton: self.singleton,
        }
    }
}

/// A known bug: a realistic mistake behind a switch (`[<protocol>] bug = "…"`) that a named
/// check must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownBug {
    /// Its name, as the `bug` key takes it.
    pub name: &'static str,
    /// The check a run with the switch on must fail.
    pub check: &'static str,
    /// The mistake, in a line.
    pub about: &'static str,
}

/// A moment in a protocol's run that a fault can be aimed at (`on = "appended"`): nodes
/// report it with `ctx.event(name)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolEvent {
    /// Its name, as `on` and `[nemesis] events` take it.
    pub name: &'static str,
    /// When a node reports it, in a line.
    pub about: &'static str,
}

/// A class of messages a protocol sends (`append`, `vote-reply`): what its messages'
/// [`Message::class`](sim_core::Message::class) returns, and what a scenario's
/// `[network.class_latency]` and a `loss` fault's `classes` may name (any other name is an
/// error there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageClass {
    /// Its name: letters, digits, `-` and `_`.
    pub name: &'static str,
    /// Which messages are in it, in a line.
    pub about: &'static str,
}

/// Declares a protocol's message classes: a constant per class (`NAME "name" "about"`) and
/// `CLASSES`, the list its [`Protocol::message_classes`] returns and its messages'
/// [`Message::class`](sim_core::Message::class) names come from.
///
/// ```
/// platform::message_classes! {
///     PING "ping" "a heartbeat",
///     PONG "pong" "its answer",
/// }
/// assert_eq!(CLASSES.len(), 2);
/// assert_eq!(PONG.name, "pong");
/// ```
#[macro_export]
macro_rules! message_classes {
    ($($konst:ident $name:literal $about:literal),* $(,)?) => {
        $(const $konst: $crate::MessageClass = $crate::MessageClass { name: $name, about: $about };)*
        /// The message classes, as `[network.class_latency]` and a `loss` fault's `classes`
        /// name them.
        pub const CLASSES: &[$crate::MessageClass] = &[$($konst),*];
    };
}

/// A knob `hunt --swarm` may turn: a dotted scenario key and the values to draw from, as TOML
/// text: a list (`"[1, 2, 64]"`, one drawn uniformly) or a range (`"{ min = 0.0, max = 0.05 }"`,
/// drawn uniformly; integers if both ends are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knob {
    /// The dotted key, as `--set` takes it (`raft.max_batch`, `nodes`, `network.loss`).
    pub key: &'static str,
    /// The values, as TOML.
    pub values: &'static str,
}

/// How the shrinker may make a failing scenario smaller by one step: a dotted scenario key
/// (`nodes`, `workload.clients`) and how to move it, never below `min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shrinkable {
    /// The dotted key, as `--set` takes it.
    pub key: &'static str,
    /// Its value when the scenario does not set it.
    pub default: i64,
    /// The smallest value the shrinker may set.
    pub min: i64,
    /// Subtract this much (0: halve).
    pub by: i64,
}

impl Shrinkable {
    /// The next smaller value from `value`, if the step allows one.
    pub fn next(&self, value: i64) -> Option<i64> {
        let next = if self.by == 0 { value / 2 } else { value - self.by };
        (next >= self.min && next < value).then_some(next)
    }
}

/// What a protocol declares about itself: everything faultline reads without running it
/// (`faultline list`, the docs' checks, swarm's knobs, the shrinker, the report's charts). A
/// protocol writes one as a `static`, naming what it has and taking the rest from
/// [`Declaration::NONE`]:
///
/// ```ignore
/// static DECLARATION: Declaration = Declaration {
///     name: "saga",
///     about: "order-processing sagas over four services",
///     parameters: PARAMETERS,
///     groups: GROUPS,
///     bugs: BUGS,
///     headline: "metrics.compensation_rate",
///     ..Declaration::NONE
/// };
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Declaration {
    /// Its name: the scenario's `protocol` value and its table's name.
    pub name: &'static str,
    /// What it is, in a line.
    pub about: &'static str,
    /// Its table's keys.
    pub parameters: &'static [Parameter],
    /// Its node groups, in the order of their node indices.
    pub groups: &'static [Group],
    /// Its known-bug switches.
    pub bugs: &'static [KnownBug],
    /// The figure sweeps chart besides p99 latency and availability (a `summary.json` path).
    pub headline: &'static str,
    /// How the shrinker may reduce a failing scenario (fewer nodes, fewer clients).
    pub shrink_steps: &'static [Shrinkable],
    /// The knobs `hunt --swarm` turns by default (a scenario's `[swarm]` table adds to them or
    /// replaces them). A drawn combination the protocol rejects is never run.
    pub knobs: &'static [Knob],
    /// The events its nodes report, that faults can be triggered by.
    pub events: &'static [ProtocolEvent],
    /// Whether its servers handle membership changes (`join` and `leave` in the fault list):
    /// a protocol with a fixed cluster refuses scenarios that have them.
    pub membership: bool,
    /// The classes of its messages, that `[network.class_latency]` may give latencies of their
    /// own and a `loss` fault's `classes` may pick. A protocol that declares none takes no
    /// class latency and no `classes`.
    pub message_classes: &'static [MessageClass],
    /// The charts of its own time series the report draws after its client-operation charts.
    pub charts: &'static [SeriesChart],
    /// Keys of its table that name files, relative to the scenario file's folder (`trace`):
    /// loading a scenario makes them absolute, so the scenario runs the same from a sweep's or
    /// a hunt's folder.
    pub file_keys: &'static [&'static str],
}

impl Declaration {
    /// Nothing declared: the base the protocols' declarations fill in.
    pub const NONE: Declaration = Declaration {
        name: "",
        about: "",
        parameters: &[],
        groups: &[],
        bugs: &[],
        headline: "",
        shrink_steps: &[],
        knobs: &[],
        events: &[],
        membership: false,
        message_classes: &[],
        charts: &[],
        file_keys: &[],
    };
}

/// A protocol faultline can run: one crate implements this, and nothing above it changes. It
/// declares itself ([`Declaration`]) and prepares runs; the other methods read the declaration.
pub trait Protocol: Send + Sync + 'static {
    /// What it declares.
    fn declaration(&self) -> &'static Declaration;
    /// Checks the scenario's parts and builds the run.
    fn prepare(&self, setup: &Setup) -> Result<Box<dyn Run>, ConfigError>;

    /// [`Declaration::name`].
    fn name(&self) -> &'static str {
        self.declaration().name
    }
    /// [`Declaration::about`].
    fn about(&self) -> &'static str {
        self.declaration().about
    }
    /// [`Declaration::parameters`].
    fn parameters(&self) -> &'static [Parameter] {
        self.declaration().parameters
    }
    /// [`Declaration::groups`].
    fn groups(&self) -> &'static [Group] {
        self.declaration().groups
    }
    /// [`Declaration::bugs`].
    fn bugs(&self) -> &'static [KnownBug] {
        self.declaration().bugs
    }
    /// [`Declaration::headline`].
    fn headline(&self) -> &'static str {
        self.declaration().headline
    }
    /// [`Declaration::shrink_steps`].
    fn shrink_steps(&self) -> &'static [Shrinkable] {
        self.declaration().shrink_steps
    }
    /// [`Declaration::knobs`].
    fn knobs(&self) -> &'static [Knob] {
        self.declaration().knobs
    }
    /// [`Declaration::events`].
    fn events(&self) -> &'static [ProtocolEvent] {
        self.declaration().events
    }
    /// [`Declaration::membership`].
    fn membership(&self) -> bool {
        self.declaration().membership
    }
    /// [`Declaration::message_classes`].
    fn message_classes(&self) -> &'static [MessageClass] {
        self.declaration().message_classes
    }
    /// [`Declaration::charts`].
    fn charts(&self) -> &'static [SeriesChart] {
        self.declaration().charts
    }
    /// [`Declaration::file_keys`].
    fn file_keys(&self) -> &'static [&'static str] {
        self.declaration().file_keys
    }
}

/// What a scenario file gives a protocol: the keys every scenario shares, the protocol's own
/// table and `[workload]`, unparsed.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The protocol's name (for error keys).
    pub protocol: String,
    /// The seed.
    pub seed: u64,
    /// Simulated time during which faults may start.
    pub duration: SimDuration,
    /// `nodes`: the main group's size, if the scenario sets it.
    pub nodes: Option<u32>,
    /// `[network]`.
    pub network: NetworkConfig,
    /// `[clock]`.
    pub clock: ClockConfig,
    /// `[[fault]]`.
    pub faults: Vec<FaultSpec>,
    /// `[nemesis]`.
    pub nemesis: Option<NemesisConfig>,
    /// `[check] liveness`: the quiet period.
    pub quiet: Option<SimDuration>,
    /// `[check] events_max`.
    pub events_max: Option<u64>,
    /// `[check] linearizable`, if the scenario says; else the protocol's configuration decides.
    pub linearizable: Option<bool>,
    /// The protocol's own table.
    pub table: Option<toml::Table>,
    /// `[workload]`.
    pub workload: Option<toml::Table>,
}

impl Setup {
    /// The protocol's table parsed into its config (defaults when absent); an error names the
    /// dotted key (`raft.election_timeout`).
    pub fn config<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        parse_table(self.table.as_ref(), &self.protocol)
    }

    /// `[workload]` parsed into the protocol's workload config.
    pub fn workload<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        parse_table(self.workload.as_ref(), "workload")
    }

    /// The kernel's config for this topology, checked.
    pub fn sim_config(&self, topology: Topology) -> Result<SimConfig, ConfigError> {
        let mut c = SimConfig::new(self.seed, topology, self.duration);
        c.network = self.network.clone();
        c.clock = self.clock.clone();
        c.faults = self.faults.clone();
        c.nemesis = self.nemesis.clone();
        c.quiet = self.quiet;
        if let Some(max) = self.events_max {
            c.events_max = max;
        }
        c.validate()?;
        Ok(c)
    }
}

/// Parses a table into `T`, naming the dotted key of any error.
fn parse_table<T: DeserializeOwned + Default>(
    t: Option<&toml::Table>,
    name: &str,
) -> Result<T, ConfigError> {
    match t {
        None => Ok(T::default()),
        Some(t) => serde_path_to_error::deserialize(toml::Value::Table(t.clone())).map_err(|e| {
            let path = e.path().to_string();
            let key = if path.is_empty() || path == "." {
                name.to_string()
            } else {
                format!("{name}.{path}")
            };
            ConfigError::invalid(&key, e.into_inner().message().trim().to_string())
        }),
    }
}
