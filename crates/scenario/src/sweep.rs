//! `[sweep]`: which parameter values and seeds a sweep runs, checked like `--set` overrides.
//!
//! Every grid value and every explicit point is applied to the scenario as `--set` would apply
//! it and the result validated, so `run`, `validate` and `sweep` reject a bad sweep alike, before
//! anything runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[sweep]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Seeds per point: the scenario's `seed`..`seed + seeds - 1`; default 1.
    #[serde(default = "one")]
    pub seeds: u64,
    /// Dotted key → values: every combination is a point (the cartesian product).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    /// Explicit points, for keys that must move together: dotted key → value.
    #[serde(default, rename = "point", skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<BTreeMap<String, toml::Value>>,
    /// Figures to chart (`latency_ms.p99`, `availability`, `metrics.<name>`); default: p99
    /// latency, availability and the protocol's headline metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    /// The key on the charts' x axis; default: the first grid key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// The swept keys whose values name a chart's line; the other swept keys vary along it.
    /// Default: every swept key but `x` (when `x` is a figure, every one but the first), so
    /// a sweep whose families vary different keys (a miss count here, a threshold there) can
    /// still draw one line per family.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// Reference lines: a charted figure → another figure drawn on its chart as a dashed line
    /// (an ideal, a closed form), one line where every point agrees on it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub references: BTreeMap<String, String>,
}

fn one() -> u64 {
    1
}

/// One point of a sweep: the overrides that make it, in key order.
pub type Point = Vec<(String, toml::Value)>;

/// Most seeds per point.
pub const MAX_SEEDS: u64 = 1_000_000;

/// Most points in a sweep (grid combinations plus explicit points).
pub const MAX_POINTS: u64 = 100_000;

/// Keys a sweep may not vary: they name the scenario, or belong to the sweep itself.
const FIXED: &[&str] = &["name", "protocol", "seed", "sweep", "report"];

/// Whether `path` names a figure of `summary.json` (what `[sweep] x` may chart one figure
/// against, e.g. recovery time against false alarms) rather than a scenario key.
pub fn is_figure(path: &str) -> bool {
    let head = path.split('.').next().unwrap_or("");
    ["metrics", "latency_ms", "availability", "ops", "sim_seconds", "events"].contains(&head)
}

impl SweepConfig {
    /// Every point: the grid's cartesian product (the last key varying fastest), then the
    /// explicit points; one empty point if there are neither.
    pub fn points(&self) -> Vec<Point> {
        let mut out: Vec<Point> = vec![Vec::new()];
        for (key, values) in &self.grid {
            out = out
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut p = p.clone();
                        p.push((key.clone(), v.clone()));
                        p
                    })
                })
                .collect();
        }
        if self.grid.is_empty() && !self.points.is_empty() {
            out.clear();
        }
        out.extend(
            self.points.iter().map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        );
        out
    }

    /// The keys the sweep varies, grid keys first.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.grid.keys().cloned().collect();
        for p in &self.points {
            for k in p.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        keys
    }

    /// Checks the sweep's own shape for a scenario whose first seed is `seed`; each value is
    /// checked against the scenario by the loader. Errors name the dotted key inside `[sweep]`.
    pub fn validate_shape(&self, seed: u64) -> Result<(), (String, String)> {
        // The last seed, seed + seeds - 1, is written into each run's scenario.toml: it must
        // stay within TOML's integer range (i64), as the scenario's own seed must.
        let most = (i64::MAX as u64).saturating_sub(seed).saturating_add(1).min(MAX_SEEDS);
        if !(1..=most).contains(&self.seeds) {
            return Err((
                "sweep.seeds".into(),
                format!(
                    "{} is out of range: allowed 1..={most} (at most {MAX_SEEDS}, and seed + seeds - 1 within TOML's integer range, 9223372036854775807)",
                    self.seeds
                ),
            ));
        }
        for (key, values) in &self.grid {
            if values.is_empty() {
                return Err((
                    format!("sweep.grid.\"{key}\""),
                    "an empty list: give at least one value".into(),
                ));
            }
        }
        // Points are built (and each checked) before anything runs: bound their number first.
        let grid = self.grid.values().try_fold(1u64, |n, v| n.checked_mul(v.len() as u64));
        let points = grid.and_then(|g| g.checked_add(self.points.len() as u64));
        if points.is_none_or(|p| p > MAX_POINTS) {
            return Err((
                "sweep.grid".into(),
                format!(
                    "the grid and the explicit points make more than {MAX_POINTS} points: allowed at most {MAX_POINTS}"
                ),
            ));
        }
        let keys = self.keys();
        for key in &keys {
            let head = key.split('.').next().unwrap_or("");
            if FIXED.contains(&head) {
                return Err((
                    format!("sweep: \"{key}\""),
                    format!("`{head}` cannot be swept (seeds come from `sweep.seeds`)"),
                ));
            }
        }
        for (chart, reference) in &self.references {
            for figure in [chart, reference] {
                if !is_figure(figure) {
                    return Err((
                        format!("sweep.references.\"{chart}\""),
                        format!(
                            "`{figure}` is not a summary figure (`metrics.…`, `latency_ms.…`, `availability`, `ops.…`)"
                        ),
                    ));
                }
            }
        }
        if let Some(x) = &self.x
            && !keys.contains(x)
            && !is_figure(x)
        {
            return Err((
                "sweep.x".into(),
                format!(
                    "`{x}` is neither a swept key ({keys:?}) nor a summary figure (`metrics.…`, `latency_ms.…`, `availability`, `ops.…`)"
                ),
            ));
        }
        // The x axis's key (by default the first swept key) cannot also name the lines.
        let x = self.x.as_ref().or(keys.first());
        for key in &self.lines {
            if !keys.contains(key) || x == Some(key) {
                let allowed: Vec<&String> = keys.iter().filter(|k| x != Some(*k)).collect();
                return Err((
                    "sweep.lines".into(),
                    format!(
                        "`{key}` is not a swept key other than `x`: allowed any of {allowed:?}"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_seed_stays_within_tomls_integers() {
        let s: SweepConfig = toml::from_str("seeds = 3").unwrap();
        let max = i64::MAX as u64;
        assert!(s.validate_shape(max - 2).is_ok());
        let (key, message) = s.validate_shape(max - 1).unwrap_err();
        assert_eq!(key, "sweep.seeds");
        assert!(message.contains("allowed 1..=2"), "{message}");
        let s: SweepConfig = toml::from_str("seeds = 1000001").unwrap();
        assert!(s.validate_shape(1).unwrap_err().1.contains("1..=1000000"));
    }

    #[test]
    fn a_grid_too_large_to_build_is_refused() {
        let values: Vec<String> = (0..400).map(|i| i.to_string()).collect();
        let list = values.join(", ");
        let s: SweepConfig = toml::from_str(&format!(
            "[grid]\n\"nodes\" = [{list}]\n\"workload.keys\" = [{list}]\n"
        ))
        .unwrap();
        assert_eq!(s.validate_shape(1).unwrap_err().0, "sweep.grid");
    }

    #[test]
    fn points_are_the_grid_product_then_the_explicit_points() {
        let s: SweepConfig = toml::from_str(
            r#"
            seeds = 3
            [grid]
            "network.loss" = [0.0, 0.1]
            "workload.rate" = [10, 20, 30]
            [[point]]
            "raft.election_timeout" = "150ms..300ms"
            "raft.heartbeat_interval" = "75ms"
            "#,
        )
        .unwrap();
        let points = s.points();
        assert_eq!(points.len(), 7);
        assert_eq!(
            points[1],
            vec![
                ("network.loss".to_string(), toml::Value::Float(0.0)),
                ("workload.rate".to_string(), toml::Value::Integer(20)),
            ]
        );
        assert_eq!(points[6].len(), 2);
        assert_eq!(s.keys().len(), 4);
        assert_eq!(SweepConfig::default().points(), vec![Vec::new()]);
    }

    #[test]
    fn fixed_keys_and_a_foreign_x_are_refused() {
        let s: SweepConfig = toml::from_str("[grid]\nseed = [1, 2]").unwrap();
        assert!(s.validate_shape(1).unwrap_err().1.contains("cannot be swept"));
        let s: SweepConfig =
            toml::from_str("x = \"nodes\"\n[grid]\n\"network.loss\" = [0.1]").unwrap();
        assert_eq!(s.validate_shape(1).unwrap_err().0, "sweep.x");
    }

    #[test]
    fn lines_name_swept_keys_other_than_x() {
        let sweep = |text: &str| toml::from_str::<SweepConfig>(text).unwrap().validate_shape(1);
        let grid = "[grid]\n\"network.loss\" = [0.1, 0.2]\n\"nodes\" = [3, 5]\n";
        assert!(sweep(&format!("x = \"metrics.elections\"\nlines = [\"nodes\"]\n{grid}")).is_ok());
        let (key, message) = sweep(&format!("lines = [\"workload.rate\"]\n{grid}")).unwrap_err();
        assert_eq!(key, "sweep.lines");
        assert!(message.contains("[\"nodes\"]"), "{message}");
        let x_too = format!("x = \"nodes\"\nlines = [\"nodes\"]\n{grid}");
        assert_eq!(sweep(&x_too).unwrap_err().0, "sweep.lines");
        // Without `x`, the first swept key is the x axis's.
        let first = format!("lines = [\"network.loss\"]\n{grid}");
        assert_eq!(sweep(&first).unwrap_err().0, "sweep.lines");
        assert!(sweep(&format!("lines = [\"nodes\"]\n{grid}")).is_ok());
    }
}
