//! Scenario files: what a user writes to describe a run, and running it.
//!
//! [`load`] reads a TOML file, applies `--set` overrides, checks every key against the schema
//! (unknown keys are errors) and every value against its range, and returns a [`Scenario`] or
//! one [`ScenarioError`] naming the file, the line and column, the key and what is allowed.
//! [`registry`] maps each protocol name to the crate that runs it; the protocol's own table is
//! named after it (`[raft]`) and parsed by that crate. [`run`] executes a prepared scenario into
//! a protocol-independent [`RunResult`], and [`summary`] turns that into `summary.json`.

#![deny(missing_docs)]

pub mod conformance;
pub mod error;
pub mod file;
pub mod fuzzing;
pub mod registry;
pub mod run;
pub mod summary;
pub mod sweep;

pub use error::ScenarioError;
pub use file::{CheckConfig, ReportConfig, Scenario, load, load_str};
pub use run::{RunResult, Verdict};
pub use summary::Summary;
