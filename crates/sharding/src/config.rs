//! `[sharding]`: placement, replication, quorums, what a run promises, and the known-bug
//! switches. One struct, parsed with unknown keys rejected and validated once; and one list,
//! [`PARAMETERS`], that `faultline list` prints.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded, require_positive};

use crate::placement::Scheme;

/// A realistic mistake behind a switch (`bug = "…"`); the check named in the protocol's bug
/// list must catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// Promises linearizable quorum reads but skips the read's write-back phase: a read that
    /// saw a write on one replica answers with it, and a later read that misses that replica
    /// answers the older value.
    NoWriteBack,
    /// Ownership moves before the data arrives: at a membership change, operations use the
    /// new placement at once, and the old replicas send the moved keys on and drop them
    /// without waiting. A write to a moved key before its copy lands is stamped from an empty
    /// quorum and then overwritten by the older copy.
    SwitchBeforeCopy,
}

/// What the configuration promises, and so what a run is held to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Consistency {
    /// Dynamo's quorums: a write to W replicas, a read from R, the highest version wins. Even
    /// with R + W > N this is not linearizable (a read concurrent with a write can see the new
    /// value and a later read the old one): stale reads are measured, not checked.
    #[default]
    Eventual,
    /// The multi-writer ABD construction (Lynch and Shvartsman): a write first reads the
    /// highest version from a quorum and writes a higher one to a quorum; a read writes the
    /// version it returns back to a quorum before answering. Needs R + W > N; judged by the
    /// linearizability checker.
    Linearizable,
}

/// Which server coordinates a client's operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coordinator {
    /// Whichever server the client asked.
    #[default]
    Any,
    /// The key's first replica: another server forwards the request to it.
    Replica,
}

/// How a write's version is chosen in eventual mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Versions {
    /// Last writer wins: the coordinator's local clock, ties broken by its id. Clock skew has a
    /// visible cost: a write stamped by a slow clock loses to an older one; such acknowledged
    /// writes are counted (`writes_lost_to_skew`), not a check failure.
    #[default]
    Lww,
}

fn default_replicas() -> u32 {
    3
}
fn default_quorum() -> u32 {
    2
}
fn default_timeout() -> SimDuration {
    SimDuration::from_millis(500)
}
fn default_rebalance_interval() -> SimDuration {
    SimDuration::from_millis(100)
}
fn default_scheme() -> String {
    "ring".into()
}
fn default_probe_t() -> Vec<SimDuration> {
    [0, 1, 5, 10].into_iter().map(SimDuration::from_millis).collect()
}

/// `[sharding]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardingConfig {
    /// The partitioning scheme: `"ring"` (default), `"jump"`, `"rendezvous"` or `"ranges"`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Points per server on the ring (`scheme = "ring"`); default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnodes: Option<u32>,
    /// Hash ranges (`scheme = "ranges"`); default 64 per server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<u32>,
    /// Replicas per key (N); default 3.
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Read quorum (R); default 2.
    #[serde(default = "default_quorum")]
    pub r: u32,
    /// Write quorum (W); default 2.
    #[serde(default = "default_quorum")]
    pub w: u32,
    /// Which server coordinates; default `"any"`.
    #[serde(default)]
    pub coordinator: Coordinator,
    /// What a run promises; default `"eventual"`.
    #[serde(default)]
    pub consistency: Consistency,
    /// How versions are chosen in eventual mode; default `"lww"`.
    #[serde(default)]
    pub versions: Versions,
    /// After a read, send the winning version to the replicas that answered an older one.
    #[serde(default)]
    pub read_repair: bool,
    /// How long a coordinator waits for a quorum before it gives the operation up (the client
    /// then times out: the operation is indeterminate); default `"500ms"`.
    #[serde(default = "default_timeout")]
    pub request_timeout: SimDuration,
    /// How often a server gossips its progress while a membership change is unsettled;
    /// default `"100ms"`.
    #[serde(default = "default_rebalance_interval")]
    pub rebalance_interval: SimDuration,
    /// The clients are t-visibility probers instead (Bailis et al.'s WARS experiment): each
    /// writes fresh keys to all replicas itself and reads each one `probe_t` after its commit.
    #[serde(default)]
    pub probe: bool,
    /// The t-visibility grid: the delays after a commit at which a prober reads, or, without
    /// probers, after which the workload's reads are counted; default 0, 1, 5 and 10 ms.
    #[serde(default = "default_probe_t")]
    pub probe_t: Vec<SimDuration>,
    /// A known-bug switch; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

impl Default for ShardingConfig {
    fn default() -> Self {
        ShardingConfig {
            scheme: default_scheme(),
            vnodes: None,
            ranges: None,
            replicas: default_replicas(),
            r: default_quorum(),
            w: default_quorum(),
            coordinator: Coordinator::default(),
            consistency: Consistency::default(),
            versions: Versions::default(),
            read_repair: false,
            request_timeout: default_timeout(),
            rebalance_interval: default_rebalance_interval(),
            probe: false,
            probe_t: default_probe_t(),
            bug: None,
        }
    }
}

impl ShardingConfig {
    /// The placement scheme the `scheme`, `vnodes` and `ranges` keys describe.
    pub fn placement(&self) -> Result<Scheme, ConfigError> {
        let mut t = toml::Table::new();
        t.insert("scheme".into(), toml::Value::String(self.scheme.clone()));
        if let Some(v) = self.vnodes {
            t.insert("vnodes".into(), toml::Value::Integer(v.into()));
        }
        if let Some(r) = self.ranges {
            t.insert("ranges".into(), toml::Value::Integer(r.into()));
        }
        let scheme: Scheme = toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::invalid("sharding.scheme", e.message()))?;
        scheme.validate()?;
        Ok(scheme)
    }

    /// Checks every value; errors name the dotted key, as a scenario file spells it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.placement()?;
        if !(1..=9).contains(&self.replicas) {
            return Err(ConfigError::out_of_range("sharding.replicas", self.replicas, "1..=9"));
        }
        for (key, q) in [("sharding.r", self.r), ("sharding.w", self.w)] {
            if !(1..=self.replicas).contains(&q) {
                return Err(ConfigError::out_of_range(
                    key,
                    q,
                    &format!("1..={} (the replicas)", self.replicas),
                ));
            }
        }
        if self.consistency == Consistency::Linearizable && self.r + self.w <= self.replicas {
            return Err(ConfigError::invalid(
                "sharding.consistency",
                format!(
                    "linearizable quorums must intersect: r + w = {} must exceed replicas = {}",
                    self.r + self.w,
                    self.replicas
                ),
            ));
        }
        if self.bug == Some(Bug::NoWriteBack) && self.consistency != Consistency::Linearizable {
            return Err(ConfigError::invalid(
                "sharding.bug",
                "\"no-write-back\" drops the write-back phase of linearizable reads: it needs consistency = \"linearizable\"",
            ));
        }
        if self.probe_t.is_empty() || self.probe_t.len() > 63 {
            return Err(ConfigError::out_of_range(
                "sharding.probe_t",
                self.probe_t.len(),
                "1..=63 delays",
            ));
        }
        for &t in &self.probe_t {
            require_bounded("sharding.probe_t", t)?;
        }
        require_positive("sharding.request_timeout", self.request_timeout)?;
        require_positive("sharding.rebalance_interval", self.rebalance_interval)?;
        require_bounded("sharding.rebalance_interval", self.rebalance_interval)?;
        require_bounded("sharding.request_timeout", self.request_timeout)?;
        Ok(())
    }
}

/// The `[sharding]` keys with their defaults and allowed values, as `faultline list` prints
/// them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "scheme",
        about: "\"ring\" | \"jump\" | \"rendezvous\" | \"ranges\": how keys are placed",
    },
    Parameter { key: "vnodes", about: "100 points per server on the ring (1..=100000)" },
    Parameter { key: "ranges", about: "64 × servers fixed hash ranges (scheme = \"ranges\")" },
    Parameter { key: "replicas", about: "3 replicas per key, N (1..=9)" },
    Parameter { key: "r", about: "2: replies a read waits for (1..=N)" },
    Parameter { key: "w", about: "2: acknowledgements a write waits for (1..=N)" },
    Parameter {
        key: "coordinator",
        about: "\"any\" | \"replica\": the server asked coordinates, or forwards to the key's first replica",
    },
    Parameter {
        key: "consistency",
        about: "\"eventual\" | \"linearizable\" (ABD: needs r + w > replicas; judged by the checker)",
    },
    Parameter { key: "versions", about: "\"lww\": last writer wins, by the coordinator's clock" },
    Parameter { key: "read_repair", about: "false: a read sends the winner to stale replicas" },
    Parameter { key: "request_timeout", about: "\"500ms\": a coordinator gives up on a quorum" },
    Parameter {
        key: "rebalance_interval",
        about: "\"100ms\": servers gossip their progress while a membership change is unsettled",
    },
    Parameter {
        key: "probe",
        about: "false: the clients are t-visibility probers (PBS's WARS experiment)",
    },
    Parameter {
        key: "probe_t",
        about: "[\"0ms\", \"1ms\", \"5ms\", \"10ms\"]: the t-visibility grid (when a prober reads after a commit)",
    },
    Parameter {
        key: "bug",
        about: "none | \"no-write-back\" (needs consistency = \"linearizable\") | \"switch-before-copy\"",
    },
];
