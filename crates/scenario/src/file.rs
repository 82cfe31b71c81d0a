//! The scenario file schema (DESIGN.md's key table) and loading it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use platform::Setup;
use serde::{Deserialize, Serialize};
use sim_core::config::ConfigError;
use sim_core::{
    ClockConfig, FaultKind, FaultName, FaultSpec, NemesisConfig, NetworkConfig, SimDuration,
};

use crate::error::{ScenarioError, locate_offset};
use crate::registry;
use crate::sweep::SweepConfig;

/// The seeds a scenario may give: TOML's integer range, from 0.
pub const SEED_RANGE: &str = "0..=9223372036854775807 (TOML's integer range)";

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

/// A scenario file. Unknown keys are caught by [`Scenario::check`] rather than by serde, so that
/// the protocol tables a registry adds need no field here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// `[swarm]`: the knobs `hunt --swarm` may turn, dotted key → a list of values or
    /// `{ min, max }`, added to the protocol's own (`defaults = false` drops those; an empty
    /// list turns one off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<toml::Table>,
    /// `[report]`.
    #[serde(default)]
    pub report: ReportConfig,
    /// The top-level tables that are not scenario keys, by name: the protocol's own table
    /// (`[raft]`), and anything else, which [`Scenario::check`] rejects. Filled in by loading,
    /// written back by [`Scenario::to_table`].
    #[serde(skip)]
    pub tables: BTreeMap<String, toml::Value>,
}

impl Scenario {
    /// The protocol's own table (`[raft]` in a raft scenario), if the file has one.
    pub fn protocol_table(&self) -> Option<&toml::Table> {
        self.tables.get(&self.protocol).and_then(toml::Value::as_table)
    }

    /// What the protocol reads from this scenario.
    pub fn setup(&self) -> Setup {
        Setup {
            protocol: self.protocol.clone(),
            seed: self.seed,
            duration: self.duration,
            nodes: self.nodes,
            network: self.network.clone(),
            clock: self.clock.clone(),
            faults: self.faults.clone(),
            nemesis: self.nemesis.clone(),
            quiet: self.check.liveness,
            events_max: self.check.events_max,
            linearizable: self.check.linearizable,
            table: self.protocol_table().cloned(),
            workload: self.workload.clone(),
        }
    }

    /// The scenario as a TOML table, its protocol table included: what `--set` and the
    /// shrinker edit (`summary::normalized` writes the same keys in the file's own order).
    pub fn to_table(&self) -> toml::Table {
        let mut table = toml::Table::try_from(self).expect("a scenario serializes");
        for (k, v) in &self.tables {
            table.insert(k.clone(), v.clone());
        }
        table
    }

    /// Reads a scenario from a TOML table; an error names the dotted key.
    pub fn from_table(table: toml::Table) -> Result<Scenario, String> {
        let (mut s, ignored) = deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let key = error_key(&e).unwrap_or_default();
            format!("`{key}`: {}", e.into_inner().message().trim())
        })?;
        s.tables = extra_keys(&table, &ignored);
        Ok(s)
    }

    /// This scenario with `overrides` applied as `--set` applies them (dotted key → value) and
    /// checked; the error names the key.
    pub fn with_overrides(&self, overrides: &[(String, toml::Value)]) -> Result<Scenario, String> {
        let mut table = self.to_table();
        for (k, v) in overrides {
            set_path(&mut table, k, v.clone())?;
        }
        let s = Scenario::from_table(table)?;
        s.check().map_err(|e| format!("`{}`: {}", e.key(), config_message(&e)))?;
        Ok(s)
    }

    /// Checks everything the schema cannot: names, tables, and the protocol's own validation.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.validate_common()?;
        self.check_events()?;
        self.check_classes()?;
        self.check_swarm()?;
        registry::prepare(self).map(|_| ())
    }

    /// `[swarm]`'s shape: each knob a list of values or a `{ min, max }` range of numbers.
    fn check_swarm(&self) -> Result<(), ConfigError> {
        for (key, v) in self.swarm.iter().flatten() {
            let dotted = format!("swarm.\"{key}\"");
            let ok = match v {
                toml::Value::Boolean(_) => key == "defaults",
                toml::Value::Array(_) => key != "defaults",
                toml::Value::Table(t) => {
                    let number = |k: &str| {
                        t.get(k).and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                    };
                    t.len() == 2
                        && matches!((number("min"), number("max")), (Some(lo), Some(hi)) if lo <= hi)
                }
                _ => false,
            };
            if !ok {
                return Err(ConfigError::invalid(
                    &dotted,
                    "a knob is a list of values or { min = …, max = … } (min ≤ max); `defaults = false` drops the protocol's own knobs",
                ));
            }
        }
        Ok(())
    }

    /// Faults aimed at protocol events name events the protocol reports.
    fn check_events(&self) -> Result<(), ConfigError> {
        let Some(p) = registry::protocol(&self.protocol) else { return Ok(()) };
        let known: Vec<&str> = p.events().iter().map(|e| e.name).collect();
        let check = |key: String, name: &str| {
            if known.contains(&name) {
                Ok(())
            } else {
                Err(ConfigError::invalid(
                    &key,
                    format!(
                        "`{name}` is not an event {} reports: allowed {known:?}",
                        self.protocol
                    ),
                ))
            }
        };
        for (i, f) in self.faults.iter().enumerate() {
            if let Some(on) = &f.on {
                check(format!("fault[{i}].on"), on)?;
            }
        }
        for e in self.nemesis.iter().flat_map(|n| n.events.iter().flatten()) {
            check("nemesis.events".into(), e)?;
        }
        self.check_membership(p)
    }

    /// Joins and leaves only for a protocol whose servers handle them.
    fn check_membership(&self, p: &dyn platform::Protocol) -> Result<(), ConfigError> {
        if p.membership() {
            return Ok(());
        }
        let changes = |name: FaultName| name == FaultName::Join || name == FaultName::Leave;
        let refuse = |key: String| {
            Err(ConfigError::invalid(
                &key,
                format!(
                    "{} runs a fixed cluster: its servers do not handle `join` or `leave`",
                    self.protocol
                ),
            ))
        };
        for (i, f) in self.faults.iter().enumerate() {
            if changes(f.kind.name()) {
                return refuse(format!("fault[{i}].kind"));
            }
        }
        for k in self.nemesis.iter().flat_map(|n| n.kinds.iter()) {
            if FaultName::parse(k).is_some_and(changes) {
                return refuse("nemesis.kinds".into());
            }
        }
        Ok(())
    }

    /// `[network.class_latency]` and the `classes` of loss faults name message classes the
    /// protocol declares: a misspelt class would otherwise be silently unused (or lose
    /// nothing). (A name that is no class name at all, `""` or `"a.b"`, is left to the
    /// network's and the fault's own checks, which say what a name may hold.)
    fn check_classes(&self) -> Result<(), ConfigError> {
        let Some(p) = registry::protocol(&self.protocol) else { return Ok(()) };
        let known: Vec<&str> = p.message_classes().iter().map(|c| c.name).collect();
        let is_name = |c: &str| {
            !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let unknown = |c: &&String| is_name(c) && !known.contains(&c.as_str());
        let refuse = |key: String, class: &str, none: &str| {
            Err(ConfigError::invalid(
                &key,
                if known.is_empty() {
                    format!("`{class}`: {} declares no message classes, so {none}", self.protocol)
                } else {
                    format!(
                        "`{class}` is not a message class {} sends: allowed {known:?}",
                        self.protocol
                    )
                },
            ))
        };
        if let Some(class) = self.network.class_latency.keys().find(unknown) {
            return refuse(
                format!("network.class_latency.{class}"),
                class,
                "none can be given a latency",
            );
        }
        for (i, f) in self.faults.iter().enumerate() {
            if let FaultKind::Loss { classes: Some(classes), .. } = &f.kind
                && let Some(class) = classes.iter().find(unknown)
            {
                return refuse(
                    format!("fault[{i}].classes"),
                    class,
                    "a loss cannot pick its messages by class",
                );
            }
        }
        Ok(())
    }

    fn validate_common(&self) -> Result<(), ConfigError> {
        // The seed is written back into scenario.toml and repro.toml, and TOML integers are
        // i64: a larger seed could be run but never reproduced from its file.
        if i64::try_from(self.seed).is_err() {
            return Err(ConfigError::out_of_range("seed", self.seed, SEED_RANGE));
        }
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::invalid(
                "name",
                format!("`{}`: use letters, digits and `-`", self.name),
            ));
        }
        let protocols = registry::registry().table_names();
        for (key, value) in &self.tables {
            if !protocols.contains(&key.as_str()) {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "unknown key `{key}`, expected one of {}, or the protocol's table `{}`",
                        scenario_keys()
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        self.protocol
                    ),
                ));
            }
            if *key != self.protocol {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "a `[{key}]` table in a `{}` scenario: only `[{}]` is allowed",
                        self.protocol, self.protocol
                    ),
                ));
            }
            if !value.is_table() {
                return Err(ConfigError::invalid(
                    key,
                    format!("`{key}` must be a table: write `[{key}]` and its keys under it"),
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
        if value.trim().parse::<i128>().is_ok() {
            return format!(
                "`{key}`: {value} is out of range: allowed a TOML integer, -9223372036854775808..=9223372036854775807"
            );
        }
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::new(path, None, format!("cannot read the scenario: {e}")))?;
    load_str(path, &text, sets)
}

/// The dotted key a deserialization error is about (`network.loss`, `fault[0].at`), if any.
pub(crate) fn error_key<E>(e: &serde_path_to_error::Error<E>) -> Option<String> {
    let key = e.path().to_string();
    (!key.is_empty() && key != ".").then_some(key)
}

/// Deserializes a scenario, returning the top-level keys serde did not know (the protocol's
/// table, or a mistake [`Scenario::check`] reports).
fn deserialize<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<(Scenario, Vec<String>), serde_path_to_error::Error<D::Error>> {
    let mut ignored = Vec::new();
    let mut note = |p: serde_ignored::Path<'_>| ignored.push(p.to_string());
    let scenario =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(de, &mut note))?;
    Ok((scenario, ignored))
}

/// The keys a scenario file may set at its top level, as serde knows them (read from the derived
/// `Deserialize`, so the list cannot drift from the struct).
fn scenario_keys() -> &'static [&'static str] {
    use serde::de::value::Error;
    /// A deserializer that only records the field names the struct asks for.
    struct Fields<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(serde::de::Error::custom("fields only"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("fields only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = Scenario::deserialize(Fields(&mut fields));
    fields
}

/// The values of the top-level keys serde ignored, by name.
fn extra_keys(table: &toml::Table, ignored: &[String]) -> BTreeMap<String, toml::Value> {
    ignored.iter().filter_map(|k| table.get(k).map(|v| (k.clone(), v.clone()))).collect()
}

/// Loads scenario text (named `path` in errors) with overrides.
pub fn load_str(path: &Path, text: &str, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let syntax = |e: toml::de::Error| {
        let error = ScenarioError::new(path, None, e.message().trim());
        match e.span() {
            Some(span) => error.at(text, span),
            None => error,
        }
    };
    let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
    let scenario: Scenario = if sets.is_empty() {
        let de = toml::Deserializer::parse(text).map_err(syntax)?;
        let (scenario, ignored) = deserialize(de).map_err(|e| {
            let key = error_key(&e);
            let inner = e.into_inner();
            schema_error(path, text, key, inner.message().trim(), inner.span())
        })?;
        Scenario { tables: extra_keys(&table, &ignored), ..scenario }
    } else {
        let mut set_keys = Vec::new();
        for arg in sets {
            let bad = |message: String| ScenarioError::new(path, Some("--set".into()), message);
            let (key, value) = parse_set(arg).map_err(bad)?;
            set_path(&mut table, &key, value).map_err(bad)?;
            set_keys.push(key);
        }
        let (scenario, ignored) = deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let key = error_key(&e);
            let message = e.into_inner().message().trim().to_string();
            match key {
                // A value from the command line has no line in the file to show.
                Some(k) if set_keys.contains(&k) => {
                    ScenarioError::new(path, Some(format!("--set {k}")), message)
                }
                key => schema_error(path, text, key, &message, None),
            }
        })?;
        Scenario { tables: extra_keys(&table, &ignored), ..scenario }
    };
    let mut scenario = scenario;
    resolve_file_keys(&mut scenario, path);
    let semantic = |e: ConfigError| {
        ScenarioError::new(path, Some(e.key().to_string()), config_message(&e))
            .at_key(text, e.key())
    };
    scenario.check().map_err(semantic)?;
    if let Some(sweep) = &scenario.sweep {
        check_sweep(path, text, &scenario, sweep)?;
    }
    Ok(scenario)
}

/// Makes the protocol's file keys (`Protocol::file_keys`) absolute: a relative path is relative
/// to the scenario file's folder.
fn resolve_file_keys(scenario: &mut Scenario, path: &Path) {
    let Some(protocol) = registry::protocol(&scenario.protocol) else { return };
    let folder = path.parent().filter(|f| !f.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Absolute where the folder exists, so a repro written elsewhere still finds the file.
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let Some(table) = scenario.tables.get_mut(&scenario.protocol).and_then(|t| t.as_table_mut())
    else {
        return;
    };
    for key in protocol.file_keys() {
        if let Some(toml::Value::String(file)) = table.get_mut(*key)
            && Path::new(file.as_str()).is_relative()
        {
            *file = folder.join(file.as_str()).to_string_lossy().into_owned();
        }
    }
}

/// A schema error (a missing, unknown or malformed key) about `key`, pointed at `span` when the
/// parser gave one, else at the key's line; the caret goes under the quoted value the message
/// names when that value is written there.
fn schema_error(
    path: &Path,
    text: &str,
    mut key: Option<String>,
    message: &str,
    span: Option<Range<usize>>,
) -> ScenarioError {
    let Some(span) = span.or_else(|| key.as_deref().and_then(|k| key_span(text, k))) else {
        return ScenarioError::new(path, key, message);
    };
    let span = match narrow(text, span.clone(), message) {
        Some(value) => {
            // A fault's fields are flattened into it, so serde names only the table
            // (`fault[0]`): the line of the value names the field.
            if let Some(k) = key.as_mut().filter(|k| k.ends_with(']')) {
                k.push('.');
                k.push_str(field_at(text, value.start));
            }
            value
        }
        None => span,
    };
    ScenarioError::new(path, key, message).at(text, span)
}

/// The bytes of the line that sets a dotted key, or of the header of an array-of-tables
/// element (`fault[2]`: the third `[[fault]]`).
fn key_span(text: &str, key: &str) -> Option<Range<usize>> {
    let start = match key.strip_suffix(']').and_then(|k| k.split_once('[')) {
        Some((table, index)) if !table.contains('.') => {
            let index: usize = index.parse().ok()?;
            let header = format!("[[{table}]]");
            let mut offset = 0;
            let mut found = None;
            let mut seen = 0;
            for line in text.split_inclusive('\n') {
                if line.trim() == header {
                    if seen == index {
                        found = Some(offset + line.len() - line.trim_start().len());
                        break;
                    }
                    seen += 1;
                }
                offset += line.len();
            }
            found?
        }
        _ => locate_offset(text, key).or_else(|| {
            // A whole table (`nemesis`): its header.
            let header = format!("[{key}]");
            let mut offset = 0;
            for line in text.split_inclusive('\n') {
                if line.trim() == header {
                    return Some(offset + line.len() - line.trim_start().len());
                }
                offset += line.len();
            }
            None
        })?,
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Some(start..start + text[start..end].trim_end().len())
}

/// The quoted value a message names (its first `` `…` ``), found inside `span` of `text`, so
/// the caret goes under the value rather than under the whole table or line.
fn narrow(text: &str, span: Range<usize>, message: &str) -> Option<Range<usize>> {
    let value = message.split('`').nth(1).filter(|v| !v.is_empty())?;
    let mut span = span;
    // A table's header: search its body too, up to the next header.
    if text.get(span.clone())?.starts_with('[') {
        let body = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i);
        let mut next = body;
        for line in text[body..].split_inclusive('\n') {
            if line.trim_start().starts_with('[') {
                break;
            }
            next += line.len();
        }
        span.end = next;
    }
    let region = text.get(span.clone())?;
    [format!("\"{value}\""), format!("'{value}'")].iter().find_map(|quoted| {
        region.find(quoted.as_str()).map(|i| span.start + i..span.start + i + quoted.len())
    })
}

/// The key of the `key = value` line holding byte `offset`.
fn field_at(text: &str, offset: usize) -> &str {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..offset].split('=').next().unwrap_or("").trim().trim_matches('"')
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

/// Where the line of a sweep key begins: `"network.loss" = …` under `[sweep.grid]`, or under
/// the `index`-th `[[sweep.point]]`.
fn locate_sweep(text: &str, point: Option<usize>, key: &str) -> Option<usize> {
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
            return Some(offset + line.len() - line.trim_start().len());
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
    // Points at the line found, underlining the rest of it.
    let error = |key: String, offset: Option<usize>, message: String| {
        let e = ScenarioError::new(path, Some(key), message);
        match offset {
            Some(o) => e.at_line(text, o),
            None => e,
        }
    };
    sweep.validate_shape(scenario.seed).map_err(|(key, message)| {
        let swept = key.split('"').nth(1).unwrap_or("");
        let offset = locate_offset(text, &key)
            .or_else(|| locate_sweep(text, None, swept))
            .or_else(|| (0..sweep.points.len()).find_map(|i| locate_sweep(text, Some(i), swept)));
        error(key, offset, message)
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
