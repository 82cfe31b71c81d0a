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
}

fn one() -> u64 {
    1
}

/// One point of a sweep: the overrides that make it, in key order.
pub type Point = Vec<(String, toml::Value)>;

/// Keys a sweep may not vary: they name the scenario, or belong to the sweep itself.
const FIXED: &[&str] = &["name", "protocol", "seed", "sweep", "report"];

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

    /// Checks the sweep's own shape; each value is checked against the scenario by the loader.
    /// Errors name the dotted key inside `[sweep]`.
    pub fn validate_shape(&self) -> Result<(), (String, String)> {
        if self.seeds == 0 {
            return Err(("sweep.seeds".into(), "0 is out of range: allowed 1 or more".into()));
        }
        for (key, values) in &self.grid {
            if values.is_empty() {
                return Err((
                    format!("sweep.grid.\"{key}\""),
                    "an empty list: give at least one value".into(),
                ));
            }
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
        if let Some(x) = &self.x
            && !keys.contains(x)
        {
            return Err(("sweep.x".into(), format!("`{x}` is not a swept key: allowed {keys:?}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(s.validate_shape().unwrap_err().1.contains("cannot be swept"));
        let s: SweepConfig =
            toml::from_str("x = \"nodes\"\n[grid]\n\"network.loss\" = [0.1]").unwrap();
        assert_eq!(s.validate_shape().unwrap_err().0, "sweep.x");
    }
}
