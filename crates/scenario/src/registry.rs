//! Which crate runs which protocol, and what each one reads from a scenario.

use raft::{RaftConfig, RaftRun};
use sim_core::config::ConfigError;
use workload::WorkloadConfig;

use crate::file::{Scenario, error_key};

/// A protocol a scenario may name.
#[derive(Clone, Copy, Debug)]
pub struct Protocol {
    /// Its name: the `protocol` value and its table's name.
    pub name: &'static str,
    /// Its table's keys with their defaults and allowed values; `None` while it is not built.
    pub parameters: Option<&'static [(&'static str, &'static str)]>,
    /// The figure sweeps chart besides p99 latency and availability (a `summary.json` path).
    pub headline: &'static str,
}

/// The protocol named `name`, if there is one.
pub fn protocol(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.name == name)
}

/// Every protocol name a scenario may give; those with parameters are built into this binary.
pub const PROTOCOLS: &[Protocol] = &[
    Protocol {
        name: "raft",
        parameters: Some(raft::config::PARAMETERS),
        headline: "metrics.election_downtime_ms",
    },
    Protocol { name: "saga", parameters: None, headline: "" },
    Protocol { name: "sharding", parameters: None, headline: "" },
    Protocol { name: "cache", parameters: None, headline: "" },
    Protocol { name: "failover", parameters: None, headline: "" },
];

/// A scenario ready to run, per protocol.
#[derive(Clone, Debug)]
pub enum Prepared {
    /// A Raft run.
    Raft(Box<RaftRun>),
}

/// Parses a protocol's own table (or `[workload]`) into its config, naming the dotted key of
/// any error (`raft.election_timeout`).
fn table<T: serde::de::DeserializeOwned + Default>(
    t: Option<&toml::Table>,
    name: &str,
) -> Result<T, ConfigError> {
    match t {
        None => Ok(T::default()),
        Some(t) => serde_path_to_error::deserialize(toml::Value::Table(t.clone())).map_err(|e| {
            let key = error_key(&e).map_or_else(|| name.to_string(), |k| format!("{name}.{k}"));
            ConfigError::invalid(&key, e.into_inner().message().trim().to_string())
        }),
    }
}

/// Builds the protocol's run from a scenario, checking its table and `[workload]`.
pub fn prepare(s: &Scenario) -> Result<Prepared, ConfigError> {
    match s.protocol.as_str() {
        "raft" => {
            let raft: RaftConfig = table(s.raft.as_ref(), "raft")?;
            raft.validate()?;
            let workload: WorkloadConfig = table(s.workload.as_ref(), "workload")?;
            workload.validate()?;
            let servers = s.nodes.unwrap_or(5);
            let sim = s.sim_config(servers, workload.clients)?;
            let linearizable = s.check.linearizable.unwrap_or(true);
            let run = RaftRun {
                sim,
                raft,
                workload,
                linearizable,
                check_budget: check::linearizability::DEFAULT_BUDGET,
            };
            Ok(Prepared::Raft(Box::new(run)))
        }
        other => {
            let names: Vec<&str> = PROTOCOLS.iter().map(|p| p.name).collect();
            Err(match PROTOCOLS.iter().find(|p| p.name == other) {
                Some(_) => ConfigError::invalid(
                    "protocol",
                    format!("`{other}` is not built yet: this build runs raft"),
                ),
                None => ConfigError::invalid(
                    "protocol",
                    format!("unknown protocol `{other}`: allowed {names:?}"),
                ),
            })
        }
    }
}
