//! The scenario file schema (DESIGN.md's key table) and loading it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sim_core::config::ConfigError;
use sim_core::{
    ClockConfig, FaultSpec, NemesisConfig, NetworkConfig, SimConfig, SimDuration, Topology,
};

use crate::error::{ScenarioError, line_col, locate};
use crate::registry;
use crate::sweep::SweepConfig;

fn default_seed() -> u64 {
    1
}

/// `[check]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Check the client history for linearizability (default: on where the protocol keeps a
    /// key-value history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linearizable: Option<bool>,
    /// The quiet period: after `duration` every fault heals and the run goes on this long; the
    /// protocol must recover within it. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<SimDuration>,
    /// Most events a run may process (a reported, inconclusive outcome); default 10⁹.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_max: Option<u64>,
}

/// `[report]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Also write PNG charts; default false.
    #[serde(default)]
    pub png: bool,
}

/// A scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Letters, digits and `-`.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The protocol (see [`registry::PROTOCOLS`]).
    pub protocol: String,
    /// The seed; default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time during which faults may start; > 0.
    pub duration: SimDuration,
    /// Servers `n1..nN`; default: the protocol's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
    /// `[network]`.
    #[serde(default)]
    pub network: NetworkConfig,
    /// `[clock]`.
    #[serde(default)]
    pub clock: ClockConfig,
    /// `[workload]`, read by the protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<toml::Table>,
    /// `[[fault]]`.
    #[serde(default, rename = "fault", skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// `[nemesis]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nemesis: Option<NemesisConfig>,
    /// `[check]`.
    #[serde(default)]
    pub check: CheckConfig,
    /// `[sweep]`, read by sweeps and checked by every command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepConfig>,
    /// `[report]`.
    #[serde(default)]
    pub report: ReportConfig,
    /// `[raft]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft: Option<toml::Table>,
    /// `[saga]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saga: Option<toml::Table>,
    /// `[sharding]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<toml::Table>,
    /// `[cache]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<toml::Table>,
    /// `[failover]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<toml::Table>,
}

impl Scenario {
    /// The protocol tables present, by name.
    pub fn protocol_tables(&self) -> Vec<(&'static str, &toml::Table)> {
        [
            ("raft", &self.raft),
            ("saga", &self.saga),
            ("sharding", &self.sharding),
            ("cache", &self.cache),
            ("failover", &self.failover),
        ]
        .into_iter()
        .filter_map(|(n, t)| t.as_ref().map(|t| (n, t)))
        .collect()
    }

    /// The kernel's config for `servers` servers and `clients` clients.
    pub fn sim_config(&self, servers: u32, clients: u32) -> Result<SimConfig, ConfigError> {
        let topology = Topology::new(servers, clients)?;
        let mut c = SimConfig::new(self.seed, topology, self.duration);
        c.network = self.network.clone();
        c.clock = self.clock.clone();
        c.faults = self.faults.clone();
        c.nemesis = self.nemesis.clone();
        c.quiet = self.check.liveness;
        if let Some(max) = self.check.events_max {
            c.events_max = max;
        }
        c.validate()?;
        Ok(c)
    }

    /// This scenario with `overrides` applied as `--set` applies them (dotted key → value) and
    /// checked; the error names the key.
    pub fn with_overrides(&self, overrides: &[(String, toml::Value)]) -> Result<Scenario, String> {
        let mut table = toml::Table::try_from(self).expect("a scenario serializes");
        for (k, v) in overrides {
            set_path(&mut table, k, v.clone())?;
        }
        let s: Scenario =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = error_key(&e).unwrap_or_default();
                format!("`{key}`: {}", e.into_inner().message().trim())
            })?;
        s.check().map_err(|e| format!("`{}`: {}", e.key(), config_message(&e)))?;
        Ok(s)
    }

    /// Checks everything the schema cannot: names, tables, and the protocol's own validation.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.validate_common()?;
        registry::prepare(self).map(|_| ())
    }

    fn validate_common(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::invalid(
                "name",
                format!("`{}`: use letters, digits and `-`", self.name),
            ));
        }
        for (table, _) in self.protocol_tables() {
            if table != self.protocol {
                return Err(ConfigError::invalid(
                    table,
                    format!(
                        "a `[{table}]` table in a `{}` scenario: only `[{}]` is allowed",
                        self.protocol, self.protocol
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Parses `--set KEY=VALUE` (VALUE is TOML: `0.05`, `"50ms..100ms"`, `true`).
pub fn parse_set(arg: &str) -> Result<(String, toml::Value), String> {
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: write KEY=VALUE, e.g. network.loss=0.05"))?;
    let doc: toml::Table = toml::from_str(&format!("v = {value}")).map_err(|_| {
        format!(
            "`{value}` is not a TOML value (quote strings: 'raft.election_timeout=\"50ms..100ms\"')"
        )
    })?;
    let value = doc.get("v").cloned().ok_or_else(|| format!("`{value}` is not a TOML value"))?;
    Ok((key.trim().to_string(), value))
}

fn set_path(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let mut parts = key.split('.').peekable();
    let mut t = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            t.insert(part.to_string(), value);
            return Ok(());
        }
        let entry =
            t.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry.as_table_mut().ok_or_else(|| format!("`{key}`: `{part}` is not a table"))?;
    }
    Err(format!("`{key}`: an empty key"))
}

/// Loads a scenario file and applies `--set` overrides.
pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let err = |message: String| ScenarioError {
        file: path.to_path_buf(),
        position: None,
        key: None,
        message,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| err(format!("cannot read the scenario: {e}")))?;
    load_str(path, &text, sets)
}

/// The dotted key a deserialization error is about (`network.loss`, `fault[0].at`), if any.
pub(crate) fn error_key<E>(e: &serde_path_to_error::Error<E>) -> Option<String> {
    let key = e.path().to_string();
    (!key.is_empty() && key != ".").then_some(key)
}

/// Loads scenario text (named `path` in errors) with overrides.
pub fn load_str(path: &Path, text: &str, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let file = path.to_path_buf();
    let syntax = |e: toml::de::Error| ScenarioError {
        file: file.clone(),
        position: e.span().map(|s| line_col(text, s.start)),
        key: None,
        message: e.message().trim().to_string(),
    };
    let scenario: Scenario = if sets.is_empty() {
        let de = toml::Deserializer::parse(text).map_err(syntax)?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let key = error_key(&e);
            let inner = e.into_inner();
            ScenarioError {
                file: file.clone(),
                position: inner
                    .span()
                    .map(|s| line_col(text, s.start))
                    .or_else(|| key.as_deref().and_then(|k| locate(text, k))),
                key,
                message: inner.message().trim().to_string(),
            }
        })?
    } else {
        let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let mut set_keys = Vec::new();
        for arg in sets {
            let bad = |message: String| ScenarioError {
                file: file.clone(),
                position: None,
                key: Some("--set".into()),
                message,
            };
            let (key, value) = parse_set(arg).map_err(bad)?;
            set_path(&mut table, &key, value).map_err(bad)?;
            set_keys.push(key);
        }
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let key = error_key(&e);
            let from_set = key.as_ref().is_some_and(|k| set_keys.contains(k));
            let message = e.into_inner().message().trim().to_string();
            ScenarioError {
                file: file.clone(),
                position: if from_set {
                    None
                } else {
                    key.as_deref().and_then(|k| locate(text, k))
                },
                key: key.map(|k| if from_set { format!("--set {k}") } else { k }),
                message,
            }
        })?
    };
    let semantic = |e: ConfigError| ScenarioError {
        file: file.clone(),
        position: locate(text, e.key()),
        key: Some(e.key().to_string()),
        message: config_message(&e),
    };
    scenario.check().map_err(semantic)?;
    if let Some(sweep) = &scenario.sweep {
        check_sweep(path, text, &scenario, sweep)?;
    }
    Ok(scenario)
}

/// What a config error says, without its key (which errors print separately).
fn config_message(e: &ConfigError) -> String {
    match e {
        ConfigError::OutOfRange { value, allowed, .. } => {
            format!("{value} is out of range: allowed {allowed}")
        }
        ConfigError::UnknownNode { name, allowed, .. } => {
            format!("no node `{name}`: the nodes are {allowed}")
        }
        ConfigError::Invalid { reason, .. } => reason.clone(),
    }
}

/// The line of a sweep key: `"network.loss" = …` under `[sweep.grid]`, or under the
/// `index`-th `[[sweep.point]]`.
fn locate_sweep(text: &str, point: Option<usize>, key: &str) -> Option<(usize, usize)> {
    let mut in_table = false;
    let mut points_seen = 0usize;
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = match point {
                None => t == "[sweep.grid]",
                Some(i) => {
                    let here = t == "[[sweep.point]]" && points_seen == i;
                    points_seen += usize::from(t == "[[sweep.point]]");
                    here
                }
            };
        } else if in_table
            && let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return Some(line_col(text, offset + line.len() - line.trim_start().len()));
        }
        offset += line.len();
    }
    None
}

/// Applies every grid value, every grid combination and every explicit point to the scenario as
/// `--set` would, and checks the result, so a sweep that would fail half way fails now.
fn check_sweep(
    path: &Path,
    text: &str,
    scenario: &Scenario,
    sweep: &SweepConfig,
) -> Result<(), ScenarioError> {
    let error = |key: String, position, message| ScenarioError {
        file: path.to_path_buf(),
        position,
        key: Some(key),
        message,
    };
    sweep.validate_shape().map_err(|(key, message)| {
        let swept = key.split('"').nth(1).unwrap_or("");
        let position = locate(text, &key)
            .or_else(|| locate_sweep(text, None, swept))
            .or_else(|| (0..sweep.points.len()).find_map(|i| locate_sweep(text, Some(i), swept)));
        error(key, position, message)
    })?;
    let mut base = scenario.clone();
    base.sweep = None;
    let apply = |point: &[(String, toml::Value)]| base.with_overrides(point).map(|_| ());
    // Each grid value alone first, so an error names the value that is wrong.
    for (key, values) in &sweep.grid {
        for v in values {
            apply(&[(key.clone(), v.clone())]).map_err(|m| {
                error(
                    format!("sweep.grid.\"{key}\""),
                    locate_sweep(text, None, key),
                    format!("the value {v}: {m}"),
                )
            })?;
        }
    }
    for point in sweep.points() {
        apply(&point).map_err(|m| {
            let shown: Vec<String> = point.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let first = point.first().map(|(k, _)| k.as_str()).unwrap_or("");
            let index = sweep.points.iter().position(|p| {
                p.iter().map(|(k, v)| (k.clone(), v.clone())).eq(point.iter().cloned())
            });
            error(
                "sweep".into(),
                locate_sweep(text, index, first),
                format!("the point {{{}}}: {m}", shown.join(", ")),
            )
        })?;
    }
    Ok(())
}
