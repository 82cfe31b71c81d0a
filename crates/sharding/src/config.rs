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
    /// Under vector clocks, a replica merging two concurrent versions keeps the higher and
    /// drops the other instead of keeping both as siblings: an acknowledged write vanishes
    /// without any version descending from it. Implies `versions = "vector-clocks"`.
    SiblingDropped,
    /// Sloppy quorums store hinted writes on fallback servers and count them toward W, but the
    /// hints are never handed back to the replicas they were meant for: a write only fallbacks
    /// took is acknowledged and then never readable. Implies `sloppy_quorum = true`.
    HintNeverDelivered,
}

impl Bug {
    /// The versions this bug needs, where the scenario leaves them unset.
    fn versions(self) -> Option<Versions> {
        (self == Bug::SiblingDropped).then_some(Versions::VectorClocks)
    }

    /// The consistency this bug needs, where the scenario leaves it unset.
    fn consistency(self) -> Option<Consistency> {
        (self == Bug::NoWriteBack).then_some(Consistency::Linearizable)
    }
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
    /// Vector clocks: concurrent writes are kept side by side as siblings; a read returns them
    /// all to the client, which resolves them (the highest value wins) and writes the result
    /// back with a clock that descends from every one. No acknowledged write is lost.
    VectorClocks,
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
    /// What a run promises; default `"eventual"` (`"linearizable"` under `no-write-back`).
    /// Read it through [`ShardingConfig::consistency`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Consistency>,
    /// How versions are chosen in eventual mode; default `"lww"` (`"vector-clocks"` under
    /// `sibling-dropped`). Read it through [`ShardingConfig::versions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    /// After a read, send the winning version to the replicas that answered an older one.
    #[serde(default)]
    pub read_repair: bool,
    /// Sloppy quorums with hinted handoff (Dynamo's "always writeable"): a write replica that
    /// has not acknowledged within a fifth of `request_timeout` is stood in for by the next
    /// server of the key's preference list, which keeps the write as a hint, acknowledges it
    /// toward W, and hands it back once the replica answers. Default false (`true` under
    /// `hint-never-delivered`). Read it through [`ShardingConfig::sloppy_quorum`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sloppy_quorum: Option<bool>,
    /// Anti-entropy: every this often a server exchanges its copies of the keys it shares with
    /// one other server (each in turn), and both keep the newest. Off by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_entropy: Option<SimDuration>,
    /// How long a coordinator waits for a quorum before it gives the operation up (the client
    /// then times out: the operation is indeterminate); default `"500ms"`.
    #[serde(default = "default_timeout")]
    pub request_timeout: SimDuration,
    /// How often a server gossips its progress while a membership change is unsettled;
    /// default `"100ms"`.
    #[serde(default = "default_rebalance_interval")]
    pub rebalance_interval: SimDuration,
    /// How stale a server's view of the membership may be: each server learns of each
    /// membership change after a delay drawn uniformly up to this; until then it coordinates,
    /// routes (`coordinator = "replica"`) and places keys by the membership it knew. Default 0
    /// (at once).
    #[serde(default)]
    pub view_lag: SimDuration,
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
            consistency: None,
            versions: None,
            read_repair: false,
            sloppy_quorum: None,
            anti_entropy: None,
            request_timeout: default_timeout(),
            rebalance_interval: default_rebalance_interval(),
            view_lag: SimDuration::ZERO,
            probe: false,
            probe_t: default_probe_t(),
            bug: None,
        }
    }
}

impl ShardingConfig {
    /// What a run promises: as set, else what the bug needs, else eventual.
    pub fn consistency(&self) -> Consistency {
        self.consistency.or(self.bug.and_then(Bug::consistency)).unwrap_or_default()
    }

    /// How versions are chosen: as set, else what the bug needs, else last writer wins.
    pub fn versions(&self) -> Versions {
        self.versions.or(self.bug.and_then(Bug::versions)).unwrap_or_default()
    }

    /// Whether quorums are sloppy: as set, else whether the bug needs it.
    pub fn sloppy_quorum(&self) -> bool {
        self.sloppy_quorum.unwrap_or(self.bug == Some(Bug::HintNeverDelivered))
    }

    /// Whether a run keeps every acknowledged write's version or one descended from it:
    /// linearizable quorums and vector clocks do; last writer wins keeps only the highest.
    pub fn keeps_every_write(&self) -> bool {
        self.consistency() == Consistency::Linearizable || self.versions() == Versions::VectorClocks
    }

    /// How long a sloppy quorum waits for a replica before a fallback stands in, and how
    /// often a fallback tries to hand its hints back: a fifth of `request_timeout`.
    pub fn hint_interval(&self) -> SimDuration {
        SimDuration(self.request_timeout.as_nanos() / 5)
    }

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
        let linearizable = self.consistency() == Consistency::Linearizable;
        if linearizable && self.r + self.w <= self.replicas {
            return Err(ConfigError::invalid(
                "sharding.consistency",
                format!(
                    "linearizable quorums must intersect: r + w = {} must exceed replicas = {}",
                    self.r + self.w,
                    self.replicas
                ),
            ));
        }
        if linearizable && self.versions() == Versions::VectorClocks {
            return Err(ConfigError::invalid(
                "sharding.versions",
                "vector clocks keep concurrent writes as siblings, which eventual consistency allows: linearizable quorums order writes by ABD's counters (set consistency = \"eventual\")",
            ));
        }
        if linearizable && self.sloppy_quorum() {
            return Err(ConfigError::invalid(
                "sharding.sloppy_quorum",
                "a sloppy quorum's stand-ins are not replicas, so its quorums need not intersect: it cannot promise linearizability (set consistency = \"eventual\")",
            ));
        }
        let needs = match self.bug {
            Some(Bug::NoWriteBack) if !linearizable => Some(
                "\"no-write-back\" drops the write-back phase of linearizable reads: it needs consistency = \"linearizable\"",
            ),
            Some(Bug::SiblingDropped) if self.versions() != Versions::VectorClocks => Some(
                "\"sibling-dropped\" drops concurrent versions: it needs versions = \"vector-clocks\"",
            ),
            Some(Bug::HintNeverDelivered) if !self.sloppy_quorum() => Some(
                "\"hint-never-delivered\" keeps sloppy quorums' hints: it needs sloppy_quorum = true",
            ),
            _ => None,
        };
        if let Some(why) = needs {
            return Err(ConfigError::invalid("sharding.bug", why));
        }
        if let Some(every) = self.anti_entropy {
            require_positive("sharding.anti_entropy", every)?;
            require_bounded("sharding.anti_entropy", every)?;
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
        require_bounded("sharding.view_lag", self.view_lag)?;
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
    Parameter {
        key: "versions",
        about: "\"lww\" (last writer wins, by the coordinator's clock) | \"vector-clocks\" (siblings, resolved by clients)",
    },
    Parameter { key: "read_repair", about: "false: a read sends the winner to stale replicas" },
    Parameter {
        key: "sloppy_quorum",
        about: "false: fallback servers stand in for silent write replicas and hand the write back later (eventual only)",
    },
    Parameter {
        key: "anti_entropy",
        about: "off | a duration: how often each server syncs its shared keys with one other server",
    },
    Parameter { key: "request_timeout", about: "\"500ms\": a coordinator gives up on a quorum" },
    Parameter {
        key: "rebalance_interval",
        about: "\"100ms\": servers gossip their progress while a membership change is unsettled",
    },
    Parameter {
        key: "view_lag",
        about: "\"0s\": each server learns of a membership change up to this long after it (a stale view)",
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
        about: "none | \"no-write-back\" | \"switch-before-copy\" | \"sibling-dropped\" | \"hint-never-delivered\" (each implies the mode it needs)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<ShardingConfig, ConfigError> {
        let c: ShardingConfig = toml::from_str(text).expect("parses");
        c.validate().map(|_| c)
    }

    #[test]
    fn a_bug_brings_the_mode_it_needs_unless_the_file_sets_another() {
        let c = config("bug = \"no-write-back\"").unwrap();
        assert_eq!(c.consistency(), Consistency::Linearizable);
        let c = config("bug = \"sibling-dropped\"").unwrap();
        assert_eq!(c.versions(), Versions::VectorClocks);
        assert!(config("bug = \"hint-never-delivered\"").unwrap().sloppy_quorum());
        assert!(config("bug = \"no-write-back\"\nconsistency = \"eventual\"").is_err());
        assert!(config("bug = \"sibling-dropped\"\nversions = \"lww\"").is_err());
        assert!(config("bug = \"hint-never-delivered\"\nsloppy_quorum = false").is_err());
        assert_eq!(config("").unwrap().consistency(), Consistency::Eventual);
    }

    #[test]
    fn linearizable_quorums_refuse_what_would_break_their_promise() {
        let lin = "consistency = \"linearizable\"\n";
        assert!(config(&format!("{lin}versions = \"vector-clocks\"")).is_err());
        assert!(config(&format!("{lin}sloppy_quorum = true")).is_err());
        assert!(config(&format!("{lin}r = 1\nw = 2")).is_err());
        assert!(config(&format!("{lin}r = 2\nw = 2")).is_ok());
        let e = config("anti_entropy = \"0s\"").unwrap_err();
        assert!(e.to_string().contains("sharding.anti_entropy"), "{e}");
    }
}
