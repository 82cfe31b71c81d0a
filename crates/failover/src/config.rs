//! `[failover]`: replication, detection, fencing, the clients' resilience and the known bugs.
//! One struct, parsed with unknown keys rejected and validated once; and one list,
//! [`PARAMETERS`], that `faultline list` prints.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded, require_positive};

use crate::detector::PHI_MAX;
use crate::{Backoff, Jitter};

/// How the primary replicates a write before it acknowledges it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Replication {
    /// At once, from the primary's own disk: a failover loses what the standbys had not
    /// received (counted: the RPO).
    Async,
    /// After `sync_standbys` standbys have it, or after `semi_sync_timeout` without them (then
    /// asynchronously until a standby catches up), as MySQL's semi-synchronous replication.
    SemiSync,
    /// Only after `sync_standbys` standbys have it, however long that takes.
    #[default]
    Sync,
}

/// How a monitor decides that the primary has failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorKind {
    /// Suspect after `heartbeat_misses` heartbeat intervals without an answer.
    #[default]
    Heartbeat,
    /// The phi accrual detector: suspect when phi passes `phi_threshold`.
    Phi,
}

/// What the clients do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientWork {
    /// `[workload]`'s reads, writes and compare-and-sets.
    #[default]
    Kv,
    /// The AWS blog's experiment: each client updates one row once under optimistic
    /// concurrency (read the version, compare-and-set it; on a conflict sleep the backoff and
    /// start again).
    Occ,
}

/// A realistic mistake behind a switch (`bug = "…"`); the check named in the protocol's bug
/// list must catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// A deposed primary ignores the end of its lease and the standbys' refusals, and keeps
    /// acknowledging writes.
    NoFencing,
    /// The controller promotes the standby furthest behind.
    PromoteStale,
    /// Synchronous replication acknowledges a write before any standby has it.
    AckBeforeReplicate,
    /// The controller fails over on one monitor's suspicion although a quorum is configured.
    SingleMonitor,
    /// A monitor takes only the answer to its latest ping as a heartbeat: once a round trip
    /// outlasts the interval, every answer is to an older ping, and a healthy primary is
    /// suspected.
    DeafMonitor,
    /// A standby skips log matching: an entry it already holds at an index counts as the
    /// shipped one, so a deposed primary's suffix is never rewound.
    NoRewind,
}

/// Most database nodes, monitors and clients a scenario may ask for.
const MAX_NODES: u32 = 9;

fn d(ms: u64) -> SimDuration {
    SimDuration::from_millis(ms)
}
fn yes() -> bool {
    true
}
fn default_sync_standbys() -> u32 {
    1
}
fn default_semi_sync_timeout() -> SimDuration {
    d(100)
}
fn default_interval() -> SimDuration {
    d(50)
}
fn default_misses() -> u32 {
    3
}
fn default_phi_threshold() -> f64 {
    8.0
}
fn default_phi_window() -> usize {
    100
}
fn default_phi_min_std() -> SimDuration {
    d(5)
}
fn default_monitors() -> u32 {
    3
}
fn default_lease() -> SimDuration {
    d(300)
}
fn default_registry_ttl() -> SimDuration {
    d(500)
}
fn default_base() -> SimDuration {
    d(5)
}
fn default_cap() -> SimDuration {
    SimDuration::from_secs(2)
}
fn default_attempt_timeout() -> SimDuration {
    d(100)
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_open() -> SimDuration {
    d(200)
}
fn default_budget_ratio() -> f64 {
    0.2
}
fn default_budget_burst() -> u32 {
    10
}

/// `[failover]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverConfig {
    /// `"async"`, `"semi-sync"` or `"sync"` (default).
    #[serde(default)]
    pub replication: Replication,
    /// Standbys that must have a write before a (semi-)synchronous primary acknowledges it;
    /// default 1, at most the standbys.
    #[serde(default = "default_sync_standbys")]
    pub sync_standbys: u32,
    /// Semi-sync: how long a write waits for its standbys before it is acknowledged anyway;
    /// default `"100ms"`.
    #[serde(default = "default_semi_sync_timeout")]
    pub semi_sync_timeout: SimDuration,
    /// Monitors `m1..mK`; default 3, 1..=9.
    #[serde(default = "default_monitors")]
    pub monitors: u32,
    /// A failure is declared only when a majority of the monitors suspect the primary; default
    /// true (false: one monitor's suspicion is enough).
    #[serde(default = "yes")]
    pub monitor_quorum: bool,
    /// `"heartbeat"` (default) or `"phi"`.
    #[serde(default)]
    pub detector: DetectorKind,
    /// How often a monitor pings the primary; default `"50ms"`.
    #[serde(default = "default_interval")]
    pub heartbeat_interval: SimDuration,
    /// Heartbeat detector: intervals without an answer before suspicion; default 3.
    #[serde(default = "default_misses")]
    pub heartbeat_misses: u32,
    /// Phi detector: the suspicion threshold; default 8.
    #[serde(default = "default_phi_threshold")]
    pub phi_threshold: f64,
    /// Phi detector: inter-arrival times remembered; default 100.
    #[serde(default = "default_phi_window")]
    pub phi_window: usize,
    /// Phi detector: the least standard deviation assumed; default `"5ms"`.
    #[serde(default = "default_phi_min_std")]
    pub phi_min_std: SimDuration,
    /// Standbys refuse a deposed primary's replication and clients its answers; default true.
    #[serde(default = "yes")]
    pub epoch_fencing: bool,
    /// The primary serves only while its lease from the controller runs, and a new primary
    /// waits out the old one's; default true.
    #[serde(default = "yes")]
    pub leases: bool,
    /// The lease's length; default `"300ms"`.
    #[serde(default = "default_lease")]
    pub lease: SimDuration,
    /// How long a client trusts the registry's answer; default `"500ms"`.
    #[serde(default = "default_registry_ttl")]
    pub registry_ttl: SimDuration,
    /// `"none"`, `"full"` (default), `"equal"` or `"decorrelated"`.
    #[serde(default = "default_jitter")]
    pub jitter: Jitter,
    /// The first retry's sleep; default `"5ms"`.
    #[serde(default = "default_base")]
    pub backoff_base: SimDuration,
    /// The longest retry sleep; default `"2s"`.
    #[serde(default = "default_cap")]
    pub backoff_cap: SimDuration,
    /// How long a client waits for one attempt's answer; default `"100ms"`.
    #[serde(default = "default_attempt_timeout")]
    pub attempt_timeout: SimDuration,
    /// A circuit breaker in each client; default false.
    #[serde(default)]
    pub circuit_breaker: bool,
    /// Consecutive failed attempts that open the breaker; default 5.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long the breaker stays open before one trial call; default `"200ms"`.
    #[serde(default = "default_breaker_open")]
    pub breaker_open: SimDuration,
    /// A retry budget in each client (a token bucket); default false.
    #[serde(default)]
    pub retry_budget: bool,
    /// Tokens a new operation adds to the budget (a retry takes one); default 0.2.
    #[serde(default = "default_budget_ratio")]
    pub budget_ratio: f64,
    /// The budget's capacity in tokens; default 10.
    #[serde(default = "default_budget_burst")]
    pub budget_burst: u32,
    /// `"kv"` (default: `[workload]`'s operations) or `"occ"` (the backoff experiment).
    #[serde(default)]
    pub workload: ClientWork,
    /// A known-bug switch; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

fn default_jitter() -> Jitter {
    Jitter::Full
}

impl Default for FailoverConfig {
    fn default() -> Self {
        toml::from_str("").expect("every key has a default")
    }
}

impl FailoverConfig {
    /// Checks every value against a cluster of `dbs` database nodes; errors name the dotted
    /// key, as a scenario file spells it.
    pub fn validate(&self, dbs: u32) -> Result<(), ConfigError> {
        if !(1..=MAX_NODES).contains(&dbs) {
            return Err(ConfigError::out_of_range("nodes", dbs, "1..=9"));
        }
        if !(1..=MAX_NODES).contains(&self.monitors) {
            return Err(ConfigError::out_of_range("failover.monitors", self.monitors, "1..=9"));
        }
        let standbys = dbs - 1;
        if self.replication != Replication::Async
            && !(1..=standbys.max(1)).contains(&self.sync_standbys)
        {
            return Err(ConfigError::out_of_range(
                "failover.sync_standbys",
                self.sync_standbys,
                &format!("1..={} (the standbys)", standbys.max(1)),
            ));
        }
        if self.replication != Replication::Async && standbys == 0 {
            return Err(ConfigError::invalid(
                "failover.replication",
                "a single database node has no standby to replicate to: use \"async\" or more nodes",
            ));
        }
        for (key, dur) in [
            ("failover.semi_sync_timeout", self.semi_sync_timeout),
            ("failover.heartbeat_interval", self.heartbeat_interval),
            ("failover.phi_min_std", self.phi_min_std),
            ("failover.lease", self.lease),
            ("failover.registry_ttl", self.registry_ttl),
            ("failover.backoff_base", self.backoff_base),
            ("failover.backoff_cap", self.backoff_cap),
            ("failover.attempt_timeout", self.attempt_timeout),
            ("failover.breaker_open", self.breaker_open),
        ] {
            require_positive(key, dur)?;
            require_bounded(key, dur)?;
        }
        if !(1..=1000).contains(&self.heartbeat_misses) {
            return Err(ConfigError::out_of_range(
                "failover.heartbeat_misses",
                self.heartbeat_misses,
                "1..=1000",
            ));
        }
        if !(self.phi_threshold > 0.0 && self.phi_threshold <= PHI_MAX) {
            return Err(ConfigError::invalid(
                "failover.phi_threshold",
                format!("{} is out of range: (0, {PHI_MAX}]", self.phi_threshold),
            ));
        }
        self.phi_config()
            .validate()
            .map_err(|e| ConfigError::invalid("failover.phi_window", e.to_string()))?;
        Backoff::new(self.backoff_base, self.backoff_cap, self.jitter)
            .map_err(|e| ConfigError::invalid("failover.backoff_cap", e.to_string()))?;
        if !(1..=1000).contains(&self.breaker_failures) {
            return Err(ConfigError::out_of_range(
                "failover.breaker_failures",
                self.breaker_failures,
                "1..=1000",
            ));
        }
        if !(self.budget_ratio >= 0.0 && self.budget_ratio <= 1000.0) {
            return Err(ConfigError::invalid(
                "failover.budget_ratio",
                format!("{} is out of range: [0, 1000]", self.budget_ratio),
            ));
        }
        if !(1..=100_000).contains(&self.budget_burst) {
            return Err(ConfigError::out_of_range(
                "failover.budget_burst",
                self.budget_burst,
                "1..=100000",
            ));
        }
        if let Some(bug) = self.bug {
            self.bug_needs(bug, dbs)?;
        }
        Ok(())
    }

    /// What a bug's mistake needs to be a mistake: each bug breaks a mechanism, which must be
    /// on (a hunt that draws a configuration without it skips the draw).
    fn bug_needs(&self, bug: Bug, dbs: u32) -> Result<(), ConfigError> {
        let refuse = |key: &str, why: &str| {
            Err(ConfigError::invalid(key, format!("bug {:?} needs {why}", bug_name(bug))))
        };
        match bug {
            Bug::NoFencing if !self.leases => refuse("failover.leases", "leases = true"),
            Bug::PromoteStale | Bug::AckBeforeReplicate
                if self.replication != Replication::Sync =>
            {
                refuse("failover.replication", "replication = \"sync\"")
            }
            Bug::PromoteStale | Bug::AckBeforeReplicate if !self.epoch_fencing => {
                refuse("failover.epoch_fencing", "epoch_fencing = true")
            }
            Bug::PromoteStale if dbs < 3 => refuse("nodes", "two standbys or more (nodes >= 3)"),
            Bug::SingleMonitor if !self.monitor_quorum || self.monitors < 3 => {
                refuse("failover.monitor_quorum", "monitor_quorum = true and monitors >= 3")
            }
            _ => Ok(()),
        }
    }

    /// The phi detector's settings.
    pub fn phi_config(&self) -> crate::PhiConfig {
        crate::PhiConfig {
            window: self.phi_window,
            min_std_deviation: self.phi_min_std,
            first_heartbeat_estimate: self.heartbeat_interval,
            ..crate::PhiConfig::default()
        }
    }

    /// Monitors whose suspicion declares a failure.
    pub fn quorum(&self) -> u32 {
        if self.monitor_quorum && self.bug != Some(Bug::SingleMonitor) {
            self.monitors / 2 + 1
        } else {
            1
        }
    }

    /// A fresh backoff schedule.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.backoff_base, self.backoff_cap, self.jitter).expect("validated")
    }
}

/// A bug's name as scenario files spell it.
pub fn bug_name(bug: Bug) -> &'static str {
    match bug {
        Bug::NoFencing => "no-fencing",
        Bug::PromoteStale => "promote-stale",
        Bug::AckBeforeReplicate => "ack-before-replicate",
        Bug::SingleMonitor => "single-monitor",
        Bug::DeafMonitor => "deaf-monitor",
        Bug::NoRewind => "no-rewind",
    }
}

/// The `[failover]` keys with their defaults and allowed values, as `faultline list` prints
/// them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "replication",
        about: "\"sync\" | \"semi-sync\" | \"async\": when the primary acknowledges a write",
    },
    Parameter {
        key: "sync_standbys",
        about: "1: standbys that must have a write first ((semi-)sync; 1..=standbys)",
    },
    Parameter {
        key: "semi_sync_timeout",
        about: "\"100ms\": semi-sync acknowledges anyway after this, then runs async until a standby catches up",
    },
    Parameter { key: "monitors", about: "3 monitors m1..mK (1..=9)" },
    Parameter {
        key: "monitor_quorum",
        about: "true: a majority of monitors must suspect the primary (false: one suffices)",
    },
    Parameter { key: "detector", about: "\"heartbeat\" | \"phi\"" },
    Parameter {
        key: "heartbeat_interval",
        about: "\"50ms\": monitors ping the primary this often",
    },
    Parameter {
        key: "heartbeat_misses",
        about: "3: silent intervals before suspicion (heartbeat)",
    },
    Parameter { key: "phi_threshold", about: "8.0: suspicion when phi passes it (phi; (0, 1000])" },
    Parameter { key: "phi_window", about: "100: inter-arrival times the phi detector fits" },
    Parameter { key: "phi_min_std", about: "\"5ms\": the least standard deviation phi assumes" },
    Parameter {
        key: "epoch_fencing",
        about: "true: standbys and clients refuse a deposed primary (lower epoch)",
    },
    Parameter {
        key: "leases",
        about: "true: the primary serves only under a lease from the controller; a new primary waits out the old lease",
    },
    Parameter { key: "lease", about: "\"300ms\": the lease's length" },
    Parameter {
        key: "registry_ttl",
        about: "\"500ms\": how long a client caches the registry's answer (like a DNS TTL)",
    },
    Parameter {
        key: "jitter",
        about: "\"full\" | \"none\" | \"equal\" | \"decorrelated\": the retry backoff (AWS blog, 2015)",
    },
    Parameter { key: "backoff_base", about: "\"5ms\": the backoff's base" },
    Parameter { key: "backoff_cap", about: "\"2s\": the backoff's cap" },
    Parameter {
        key: "attempt_timeout",
        about: "\"100ms\": a client's wait for one attempt before it retries",
    },
    Parameter { key: "circuit_breaker", about: "false: a circuit breaker in each client" },
    Parameter { key: "breaker_failures", about: "5: consecutive failures that open the breaker" },
    Parameter { key: "breaker_open", about: "\"200ms\": open this long, then one trial call" },
    Parameter { key: "retry_budget", about: "false: a retry budget (token bucket) in each client" },
    Parameter {
        key: "budget_ratio",
        about: "0.2: tokens each new operation adds (a retry takes 1)",
    },
    Parameter { key: "budget_burst", about: "10: the budget's capacity" },
    Parameter {
        key: "workload",
        about: "\"kv\": [workload]'s operations | \"occ\": the backoff experiment (one update each under optimistic concurrency)",
    },
    Parameter {
        key: "bug",
        about: "none | \"no-fencing\" | \"promote-stale\" | \"ack-before-replicate\" | \"single-monitor\" | \"deaf-monitor\" | \"no-rewind\"",
    },
];
