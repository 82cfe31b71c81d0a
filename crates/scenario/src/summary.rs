//! `summary.json`: the figures of one run, in the shape scripts and sweeps rely on
//! (DESIGN.md's contract). Bump [`SCHEMA_VERSION`] when a field changes meaning or goes away.

use std::collections::BTreeMap;

use check::outcome::CheckResult;
use check::spans::{Span, SpanEnd, spans};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sim_core::metrics::nearest_rank;
use sim_core::{MetricValue, Outcome};

use crate::file::Scenario;
use crate::run::{RunResult, Verdict};

/// The version of the `summary.json` layout. 2: `availability` and `latency_ms` are null when
/// there is nothing to measure (no operation invoked; none succeeded), and availability counts a
/// definite answer such as a failed comparison as answered.
pub const SCHEMA_VERSION: u32 = 2;

/// Client operations by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Operations invoked.
    pub invoked: u64,
    /// Succeeded.
    pub ok: u64,
    /// Definitely did not take effect.
    pub failed: u64,
    /// Outcome unknown: timed out (`info`) or still open when the run ended.
    pub indeterminate: u64,
}

/// Latency of successful operations, milliseconds (nearest rank).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl LatencyMs {
    /// The quantiles of `sorted` latencies in nanoseconds.
    pub fn of_sorted_ns(sorted: &[f64]) -> Self {
        let q = |p: f64| nearest_rank(sorted, p) / 1e6;
        LatencyMs {
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: q(1.0),
        }
    }
}

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The layout's version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The faultline that wrote it.
    pub faultline_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// SHA-256 (first 16 hex digits) of the effective scenario, normalized.
    pub scenario_hash: String,
    /// The protocol.
    pub protocol: String,
    /// The seed.
    pub seed: u64,
    /// `pass`, `fail` or `inconclusive`.
    pub status: String,
    /// How the simulation ended: `completed`, `quiescent` or `events-max`.
    pub outcome: String,
    /// Simulated seconds run.
    pub sim_seconds: f64,
    /// Wall seconds for the simulation and its checks (not report writing); absent where the
    /// summary must be identical between identical runs (a sweep's `runs/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
    /// Events processed.
    pub events: u64,
    /// The run's fingerprint, 16 lowercase hex digits.
    pub trace_hash: String,
    /// Client operations.
    pub ops: OpCounts,
    /// `(ok + failed) / invoked`: the share of operations the system answered, a failed
    /// comparison included; null when nothing was invoked.
    pub availability: Option<f64>,
    /// Latency of successful operations; null when none succeeded.
    pub latency_ms: Option<LatencyMs>,
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// The protocol's figures.
    pub metrics: BTreeMap<String, MetricValue>,
}

/// The trace hash as every command prints it.
pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// The effective scenario as TOML, keys in a fixed order (what `scenario.toml` holds).
pub fn normalized(scenario: &Scenario) -> String {
    let mut text = toml::to_string(scenario).expect("a scenario always serializes");
    // The protocol's table goes last, as it has since the first scenario files.
    if !scenario.tables.is_empty() {
        text.push('\n');
        text += &toml::to_string(&scenario.tables).expect("a table serializes");
    }
    text
}

/// The scenario's hash: SHA-256 of [`normalized`], first 16 hex digits.
pub fn scenario_hash(scenario: &Scenario) -> String {
    let digest = Sha256::digest(normalized(scenario).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Operation counts and successful latencies (sorted, nanoseconds) of some spans.
pub fn op_figures(spans: &[Span]) -> (OpCounts, Vec<f64>) {
    let mut counts = OpCounts::default();
    let mut latencies = Vec::new();
    for s in spans {
        counts.invoked += 1;
        match s.end {
            SpanEnd::Ok => {
                counts.ok += 1;
                latencies.push(s.latency_ns().unwrap_or(0) as f64);
            }
            SpanEnd::Failed => counts.failed += 1,
            SpanEnd::Indeterminate | SpanEnd::Open => counts.indeterminate += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    (counts, latencies)
}

/// Availability: the share of invoked operations the system answered, ok or with a definite
/// answer such as a failed comparison (`None` with none invoked: nothing to measure).
pub fn availability(c: &OpCounts) -> Option<f64> {
    (c.invoked > 0).then(|| (c.ok + c.failed) as f64 / c.invoked as f64)
}

impl Summary {
    /// The summary of `result`, a run of `scenario` that took `wall_seconds`.
    pub fn new(scenario: &Scenario, result: &RunResult, wall_seconds: Option<f64>) -> Self {
        // The protocol recorded the history through the kernel, which keeps it well formed;
        // a malformed one is reported by the linearizability check, and counts nothing here.
        let spans = spans(&result.history).unwrap_or_default();
        let (ops, latencies) = op_figures(&spans);
        Summary {
            schema_version: SCHEMA_VERSION,
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.name.clone(),
            scenario_hash: scenario_hash(scenario),
            protocol: scenario.protocol.clone(),
            seed: scenario.seed,
            status: match result.verdict() {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
                Verdict::Inconclusive => "inconclusive",
            }
            .to_string(),
            outcome: match result.summary.outcome {
                Outcome::Completed => "completed",
                Outcome::Quiescent => "quiescent",
                Outcome::EventsMax => "events-max",
            }
            .to_string(),
            sim_seconds: result.summary.end.0 as f64 / 1e9,
            wall_seconds,
            events: result.summary.events,
            trace_hash: hex(result.summary.trace_hash),
            availability: availability(&ops),
            ops,
            latency_ms: (!latencies.is_empty()).then(|| LatencyMs::of_sorted_ns(&latencies)),
            checks: result.checks.clone(),
            metrics: result.metrics.iter().cloned().collect(),
        }
    }
}
