//! What a sweep runs: every point of `[sweep]` × every seed, in (point, seed) order, and the
//! slice of it a shard takes.

use std::fmt;
use std::str::FromStr;

use scenario::Scenario;
use scenario::sweep::{Point, SweepConfig};

/// One run of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// Position in (point, seed) order, from 0.
    pub index: usize,
    /// The point's position.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

impl RunSpec {
    /// The run's file name stem in `runs/` (the same in every shard and after a merge).
    pub fn stem(&self) -> String {
        format!("run-{:06}", self.index)
    }
}

/// `--shard K/N`: this shard takes the runs whose index is K modulo N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub k: usize,
    /// How many shards.
    pub n: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}`: write K/N with 0 ≤ K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) =
            (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A sweep's points and seeds.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario as written, `[sweep]` included.
    pub scenario: Scenario,
    /// The points, in order.
    pub points: Vec<Point>,
    /// The swept keys, in column order.
    pub keys: Vec<String>,
    /// Seeds per point, from the scenario's `seed`.
    pub seeds: u64,
}

impl Plan {
    /// The plan of a scenario (one point of one seed without `[sweep]`).
    pub fn new(scenario: &Scenario) -> Plan {
        let sweep = scenario
            .sweep
            .clone()
            .unwrap_or_else(|| SweepConfig { seeds: 1, ..Default::default() });
        Plan {
            scenario: scenario.clone(),
            points: sweep.points(),
            keys: sweep.keys(),
            seeds: sweep.seeds,
        }
    }

    /// Every run, in (point, seed) order.
    pub fn runs(&self) -> Vec<RunSpec> {
        (0..self.points.len())
            .flat_map(|point| {
                (0..self.seeds).map(move |s| RunSpec {
                    index: point * self.seeds as usize + s as usize,
                    point,
                    seed: self.scenario.seed + s,
                })
            })
            .collect()
    }

    /// The runs a shard takes (all of them without one).
    pub fn shard(&self, shard: Option<Shard>) -> Vec<RunSpec> {
        let runs = self.runs();
        match shard {
            None => runs,
            Some(Shard { k, n }) => runs.into_iter().filter(|r| r.index % n == k).collect(),
        }
    }

    /// The scenario one run executes: the point's overrides and the run's seed, no `[sweep]`.
    pub fn scenario_for(&self, run: &RunSpec) -> Result<Scenario, String> {
        let mut base = self.scenario.clone();
        base.sweep = None;
        base.seed = run.seed;
        base.with_overrides(&self.points[run.point])
    }

    /// A point's value of `key`, as text (strings unquoted), or "" if the point does not set it.
    pub fn value(&self, point: usize, key: &str) -> String {
        self.points[point]
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| value_text(v))
            .unwrap_or_default()
    }
}

/// A TOML value as a cell of a CSV or a chart label: strings without quotes.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let s = scenario::load_str(
            std::path::Path::new("s.toml"),
            "name = \"s\"\nprotocol = \"raft\"\nduration = \"1s\"\nseed = 10\n[sweep]\nseeds = 3\n[sweep.grid]\n\"network.loss\" = [0.0, 0.1]\n",
            &[],
        )
        .unwrap();
        let plan = Plan::new(&s);
        let all = plan.runs();
        assert_eq!(all.len(), 6);
        assert_eq!((all[4].point, all[4].seed, all[4].index), (1, 11, 4));
        let mut union: Vec<usize> = (0..4)
            .flat_map(|k| plan.shard(Some(Shard { k, n: 4 })).into_iter().map(|r| r.index))
            .collect();
        union.sort();
        assert_eq!(union, (0..6).collect::<Vec<_>>());
        assert_eq!(plan.scenario_for(&all[4]).unwrap().network.loss.to_string(), "0.1");
        assert!("3/3".parse::<Shard>().is_err() && "1/0".parse::<Shard>().is_err());
        assert_eq!("2/5".parse::<Shard>().unwrap(), Shard { k: 2, n: 5 });
    }
}
