//! `[primary-backup]`: the protocol's parameters and its known-bug switch.
//!
//! One struct, parsed by serde with unknown keys rejected, validated once before the run; and
//! one list, [`PARAMETERS`], that `faultline list` prints. Keep the two side by side so they
//! cannot drift apart.

use platform::Parameter;
use serde::{Deserialize, Serialize};
use sim_core::SimDuration;
use sim_core::config::{ConfigError, require_bounded, require_positive};

/// A realistic mistake behind a switch (`bug = "…"`); the check named in
/// [`crate::protocol`]'s bug list must catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    /// The primary answers a write as soon as it is in memory, before its batch is synced and
    /// acknowledged by every backup. A primary crash before the next flush loses writes that
    /// clients were told had succeeded.
    EarlyAck,
}

/// Backups when the scenario does not say.
pub const DEFAULT_BACKUPS: u32 = 2;

fn default_backups() -> u32 {
    DEFAULT_BACKUPS
}
fn default_flush_interval() -> SimDuration {
    SimDuration::from_millis(10)
}
fn default_recovery_retry() -> SimDuration {
    SimDuration::from_millis(50)
}

/// `[primary-backup]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryBackupConfig {
    /// Backups `backup1..backupN`; default 2, 1..=9.
    #[serde(default = "default_backups")]
    pub backups: u32,
    /// How often the primary syncs its log and ships the batch to the backups (local clock);
    /// default `"10ms"`, > 0.
    #[serde(default = "default_flush_interval")]
    pub flush_interval: SimDuration,
    /// How long a restarted primary waits for the backups' logs before asking again; default
    /// `"50ms"`, > 0.
    #[serde(default = "default_recovery_retry")]
    pub recovery_retry: SimDuration,
    /// A known-bug switch; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
}

impl Default for PrimaryBackupConfig {
    fn default() -> Self {
        PrimaryBackupConfig {
            backups: default_backups(),
            flush_interval: default_flush_interval(),
            recovery_retry: default_recovery_retry(),
            bug: None,
        }
    }
}

impl PrimaryBackupConfig {
    /// Checks every value; errors name the dotted key, as a scenario file spells it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=9).contains(&self.backups) {
            return Err(ConfigError::out_of_range("primary-backup.backups", self.backups, "1..=9"));
        }
        for (key, d) in [
            ("primary-backup.flush_interval", self.flush_interval),
            ("primary-backup.recovery_retry", self.recovery_retry),
        ] {
            require_positive(key, d)?;
            // A duration built in code is held to the bound a file's is, so no timer overflows.
            require_bounded(key, d)?;
        }
        Ok(())
    }
}

/// The `[primary-backup]` keys with their defaults and allowed values, as `faultline list`
/// prints them.
pub const PARAMETERS: &[Parameter] = &[
    Parameter { key: "backups", about: "2 backups, backup1..backupN (1..=9)" },
    Parameter {
        key: "flush_interval",
        about: "\"10ms\": the primary syncs its log and ships the batch this often (> 0)",
    },
    Parameter {
        key: "recovery_retry",
        about: "\"50ms\": a restarted primary asks silent backups for their logs again (> 0)",
    },
    Parameter { key: "bug", about: "none | \"early-ack\"" },
];
