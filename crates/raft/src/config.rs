//! `[raft]`: the protocol's parameters and its known-bug switches.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::config::{ConfigError, require_bounded, require_positive};
use sim_core::{DurationRange, SimDuration};

/// How the leader serves reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// ReadIndex (dissertation 6.4): note the commit index, confirm leadership with a round of
    /// heartbeats, answer once applied that far.
    #[default]
    ReadIndex,
    /// Through the log, like writes.
    Log,
}

/// Realistic mistakes the checks must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// Commit an entry from an earlier term by counting replicas (the Figure 8 mistake).
    CommitPreviousTerm,
    /// `votedFor` is not persisted, so a restarted server can vote twice in one term.
    ForgetVote,
    /// The leader answers reads from its own state without confirming it still leads.
    StaleRead,
    /// Followers acknowledge appended entries before syncing them to disk.
    AckBeforeSync,
}

impl Bug {
    /// Every switch, as scenario files name them.
    pub const ALL: [&'static str; 4] =
        ["commit-previous-term", "forget-vote", "stale-read", "ack-before-sync"];
}

fn default_election_timeout() -> DurationRange {
    DurationRange { lo: SimDuration::from_millis(150), hi: SimDuration::from_millis(300) }
}
fn default_max_batch() -> u32 {
    64
}
fn default_snapshot_threshold() -> u64 {
    1000
}

/// `[raft]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftConfig {
    /// Election timeouts are drawn uniformly from this range (local clock); default
    /// `"150ms..300ms"`.
    #[serde(default = "default_election_timeout")]
    pub election_timeout: DurationRange,
    /// Leader heartbeat period; default half the minimum election timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval: Option<SimDuration>,
    /// PreVote (dissertation 9.6); default false.
    #[serde(default)]
    pub pre_vote: bool,
    /// CheckQuorum (dissertation 6.2): a leader that has not heard from a majority for an
    /// election timeout steps down; default false.
    #[serde(default)]
    pub check_quorum: bool,
    /// `"read-index"` (default) or `"log"`.
    #[serde(default)]
    pub read_mode: ReadMode,
    /// Most entries per AppendEntries; default 64, 1..=100000.
    #[serde(default = "default_max_batch")]
    pub max_batch: u32,
    /// Most entries a leader holds appended but not yet committed: a request beyond them is
    /// refused as busy and the client retries later, as etcd's MaxUncommittedEntriesSize does.
    /// Without a bound, offered load above what the cluster commits (small batches, slow
    /// syncs) grows the log without end, and after every fault heals a new leader must first
    /// replicate that backlog before anything commits. Default four batches (4 × `max_batch`),
    /// 1..=10000000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uncommitted: Option<u64>,
    /// Take a snapshot once this many entries were applied since the last one; default 1000,
    /// 1..=10000000.
    #[serde(default = "default_snapshot_threshold")]
    pub snapshot_threshold: u64,
    /// How long a disk sync takes: replies that depend on one (votes, appended entries) leave
    /// this much later; default 0.
    #[serde(default, skip_serializing_if = "SimDuration::is_zero")]
    pub sync_latency: SimDuration,
    /// The Raft paper's election experiment, whose servers had logs of different lengths at
    /// every leader crash: each heartbeat appends a no-op entry and carries it to a random
    /// nonempty part of the followers only, never all of them; the others get the heartbeat
    /// without it and the entry from the next heartbeat on. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heartbeat_entry: bool,
    /// A leader crash or isolation not followed by a new leader within this long counts as a
    /// capped trial in `election_downtime_ms` (at the cap) and in `elections_capped`; default
    /// `"10s"`.
    #[serde(default = "default_downtime_cap")]
    pub downtime_cap: SimDuration,
    /// A known-bug switch (see [`Bug`]); default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

fn default_downtime_cap() -> SimDuration {
    SimDuration::from_secs(10)
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_timeout: default_election_timeout(),
            heartbeat_interval: None,
            pre_vote: false,
            check_quorum: false,
            read_mode: ReadMode::ReadIndex,
            max_batch: default_max_batch(),
            max_uncommitted: None,
            snapshot_threshold: default_snapshot_threshold(),
            sync_latency: SimDuration::ZERO,
            heartbeat_entry: false,
            downtime_cap: default_downtime_cap(),
            bug: None,
        }
    }
}

impl RaftConfig {
    /// The bound on uncommitted entries in force: as given, or four batches.
    pub fn uncommitted_bound(&self) -> u64 {
        self.max_uncommitted.unwrap_or(4 * u64::from(self.max_batch))
    }

    /// The heartbeat period in force.
    pub fn heartbeat(&self) -> SimDuration {
        self.heartbeat_interval.unwrap_or(SimDuration(self.election_timeout.lo.as_nanos() / 2))
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        require_positive("raft.election_timeout", self.election_timeout.lo)?;
        // Durations parsed from a file are at most a year already; a config built in code is
        // held to the same bound, so no timer or reply delay can overflow simulated time.
        require_bounded("raft.election_timeout", self.election_timeout.hi)?;
        require_bounded("raft.sync_latency", self.sync_latency)?;
        require_bounded("raft.downtime_cap", self.downtime_cap)?;
        if let Some(h) = self.heartbeat_interval {
            require_bounded("raft.heartbeat_interval", h)?;
        }
        if let Some(h) = self.heartbeat_interval {
            require_positive("raft.heartbeat_interval", h)?;
        }
        if self.heartbeat() == SimDuration::ZERO {
            return Err(ConfigError::invalid(
                "raft.heartbeat_interval",
                "half the minimum election timeout is 0: set it",
            ));
        }
        if !(1..=100_000).contains(&self.max_batch) {
            return Err(ConfigError::out_of_range("raft.max_batch", self.max_batch, "1..=100000"));
        }
        require_positive("raft.downtime_cap", self.downtime_cap)?;
        if let Some(m) = self.max_uncommitted.filter(|m| !(1..=10_000_000).contains(m)) {
            return Err(ConfigError::out_of_range("raft.max_uncommitted", m, "1..=10000000"));
        }
        if !(1..=10_000_000).contains(&self.snapshot_threshold) {
            return Err(ConfigError::out_of_range(
                "raft.snapshot_threshold",
                self.snapshot_threshold,
                "1..=10000000",
            ));
        }
        if self.bug == Some(Bug::StaleRead) && self.read_mode == ReadMode::Log {
            // Reads through the log never take the shortcut the bug is about: the switch would
            // do nothing, and a passing run would look like a caught-nothing check.
            return Err(ConfigError::invalid(
                "raft.bug",
                "\"stale-read\" changes how the leader serves reads by ReadIndex; with read_mode = \"log\" it does nothing: use read_mode = \"read-index\"",
            ));
        }
        Ok(())
    }
}

/// The `[raft]` keys with their defaults and allowed values, as `faultline list` prints them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter {
        key: "election_timeout",
        about: "\"150ms..300ms\": each timeout is drawn from this range",
    },
    Parameter { key: "heartbeat_interval", about: "half the minimum election timeout (> 0)" },
    Parameter { key: "pre_vote", about: "false" },
    Parameter { key: "check_quorum", about: "false" },
    Parameter { key: "read_mode", about: "\"read-index\" | \"log\"" },
    Parameter { key: "max_batch", about: "64 entries per AppendEntries (1..=100000)" },
    Parameter {
        key: "max_uncommitted",
        about: "4 × max_batch entries a leader holds uncommitted before it refuses requests as busy",
    },
    Parameter { key: "snapshot_threshold", about: "1000 applied entries between snapshots" },
    Parameter {
        key: "sync_latency",
        about: "\"0s\": how long a disk sync delays the reply that waits for it",
    },
    Parameter {
        key: "heartbeat_entry",
        about: "false: each heartbeat appends a no-op and sends it to some followers only (the paper's election experiment)",
    },
    Parameter {
        key: "downtime_cap",
        about: "\"10s\": a trial without a new leader by then counts as capped",
    },
    Parameter {
        key: "bug",
        about: "none | \"commit-previous-term\" | \"forget-vote\" | \"stale-read\" (needs read_mode = \"read-index\") | \"ack-before-sync\"",
    },
];
