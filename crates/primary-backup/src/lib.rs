//! The template protocol: a primary-backup register store, written only against faultline's
//! public interface (`platform`, `sim-core`, `workload`, `check`) so that you can copy this
//! crate to model your own system. The guide, `docs/node-api.md`, walks through it; its
//! examples run as this crate's doctests ([`guide`]).
//!
//! The system: one `primary` serves every client operation from memory and logs each write
//! under a sequence number; every `flush_interval` it syncs its log to its disk and ships the
//! batch to the backups `backup1..backupN`, which sync it and acknowledge. A write is answered
//! only once its batch is durable on the primary and on every backup. A restarted primary
//! rebuilds from its disk, then takes the longest log among the backups before serving again.
//!
//! Where to read, in order: [`config`] (the `[primary-backup]` table), [`message`] and [`log`]
//! (what travels and what is stored), [`primary`] and [`backup`] (the two roles), [`node`] (one
//! node type for the kernel), [`observer`] (the check "Acknowledged Writes Survive" and
//! liveness), [`protocol`] (what faultline needs: groups, parameters, bugs, charts, the run).
//!
//! ```
//! use platform::Protocol;
//!
//! let p = primary_backup::PrimaryBackup;
//! assert_eq!(p.name(), "primary-backup");
//! assert_eq!(p.bugs()[0].check, "Acknowledged Writes Survive");
//! ```

#![deny(missing_docs)]

pub mod backup;
pub mod config;
pub mod log;
pub mod message;
pub mod node;
pub mod observer;
pub mod primary;
pub mod protocol;

pub use config::{Bug, PrimaryBackupConfig};
pub use node::{PbNode, Timer};
pub use protocol::{PrimaryBackup, PrimaryBackupRun};

/// The guide, "Model your own system" (`docs/node-api.md`): its Rust examples are this
/// module's doctests, so `cargo test --workspace` keeps them compiling and passing.
#[doc = include_str!("../../../docs/node-api.md")]
pub mod guide {}
