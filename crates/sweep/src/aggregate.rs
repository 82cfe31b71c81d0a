//! The sweep's tables, rebuilt from `runs/` in (point, seed) order so they are byte-identical
//! whatever the thread count, the shard split or the order runs finished in.

use scenario::Summary;
use sim_core::MetricValue;
use sim_core::metrics::nearest_rank;

use crate::folder::RunRecord;
use crate::plan::Plan;

/// A summary's figures as (dotted path, value), in a fixed order: operations, availability,
/// latency, events, simulated seconds, then the protocol's metrics by name (a distribution as
/// its count, min, p10, p50, p90, p99 and max). A figure with nothing to measure (availability
/// with no operation, latency with none successful) is left out, never counted as 0 or 100%.
pub fn figures(s: &Summary) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = vec![
        ("ops.invoked".into(), s.ops.invoked as f64),
        ("ops.ok".into(), s.ops.ok as f64),
        ("ops.failed".into(), s.ops.failed as f64),
        ("ops.indeterminate".into(), s.ops.indeterminate as f64),
    ];
    if let Some(a) = s.availability {
        out.push(("availability".into(), a));
    }
    if let Some(l) = &s.latency_ms {
        for (q, v) in [
            ("p50", l.p50),
            ("p90", l.p90),
            ("p95", l.p95),
            ("p99", l.p99),
            ("p999", l.p999),
            ("max", l.max),
        ] {
            out.push((format!("latency_ms.{q}"), v));
        }
    }
    out.push(("events".into(), s.events as f64));
    out.push(("sim_seconds".into(), s.sim_seconds));
    for (name, value) in &s.metrics {
        match value {
            MetricValue::Count(n) => out.push((format!("metrics.{name}"), *n as f64)),
            MetricValue::Number(v) => out.push((format!("metrics.{name}"), *v)),
            MetricValue::Table(t) => {
                for (k, v) in t {
                    out.push((format!("metrics.{name}.{k}"), *v));
                }
            }
            // Without a sample, a distribution has a count and nothing else to show.
            MetricValue::Distribution(d) if d.count == 0 => {
                out.push((format!("metrics.{name}.count"), 0.0));
            }
            MetricValue::Distribution(d) => {
                for (q, v) in [
                    ("count", d.count as f64),
                    ("min", d.min),
                    ("p10", d.p10),
                    ("p50", d.p50),
                    ("p90", d.p90),
                    ("p99", d.p99),
                    ("max", d.max),
                ] {
                    out.push((format!("metrics.{name}.{q}"), v));
                }
            }
        }
    }
    out
}

/// The figure named `path` of a summary, if it has one.
pub fn figure(s: &Summary, path: &str) -> Option<f64> {
    figures(s).into_iter().find(|(k, _)| k == path).map(|(_, v)| v)
}

/// The figures' paths, in column order: every figure any run has (a run with nothing to measure
/// leaves some out, and a protocol may report a figure only when it happened), each placed after
/// the figure it follows in the first run that has it, so the order is that of [`figures`].
fn figure_names(records: &[RunRecord]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for r in records {
        let these: Vec<String> = figures(&r.summary).into_iter().map(|(k, _)| k).collect();
        // Most runs have the same figures as the one before: nothing new to place.
        if these == previous {
            continue;
        }
        let mut after: Option<usize> = None;
        for name in &these {
            after = Some(match names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    let at = after.map_or(0, |i| i + 1);
                    names.insert(at, name.clone());
                    at
                }
            });
        }
        previous = these;
    }
    names
}

/// A number as CSV prints it: the shortest text that reads back to the same value.
fn num(v: f64) -> String {
    format!("{v}")
}

fn csv_bytes(rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Whether a run failed a check (`status` is `fail`).
pub fn failed(r: &RunRecord) -> bool {
    r.summary.status == "fail"
}

/// Whether a run was inconclusive: nothing failed, but a check could not decide or the run hit
/// `events_max` (`status` is `inconclusive`). Never counted as a pass.
pub fn inconclusive(r: &RunRecord) -> bool {
    r.summary.status == "inconclusive"
}

/// `results.csv`: one row per run.
pub fn results_csv(plan: &Plan, records: &[RunRecord]) -> Vec<u8> {
    let names = figure_names(records);
    let mut header: Vec<String> = plan.keys.clone();
    header.extend(["seed", "trace_hash", "status"].map(String::from));
    header.extend(names.iter().cloned());
    let mut rows = vec![header];
    for r in records {
        let mut row: Vec<String> = plan.keys.iter().map(|k| plan.value(r.point, k)).collect();
        row.extend([r.seed.to_string(), r.summary.trace_hash.clone(), r.summary.status.clone()]);
        let figs = figures(&r.summary);
        row.extend(
            names.iter().map(|n| {
                figs.iter().find(|(k, _)| k == n).map(|(_, v)| num(*v)).unwrap_or_default()
            }),
        );
        rows.push(row);
    }
    csv_bytes(rows)
}

/// Median, p10 and p90 (nearest rank) of some values.
pub fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (nearest_rank(values, 0.5), nearest_rank(values, 0.1), nearest_rank(values, 0.9))
}

/// `points.csv`: one row per point with runs, failures, inconclusive runs, and each figure's
/// median, p10 and p90
/// over the point's seeds.
pub fn points_csv(plan: &Plan, records: &[RunRecord]) -> Vec<u8> {
    let names = figure_names(records);
    let mut header: Vec<String> = plan.keys.clone();
    header.extend(["runs", "failed", "inconclusive"].map(String::from));
    for n in &names {
        header.extend([format!("{n}.median"), format!("{n}.p10"), format!("{n}.p90")]);
    }
    let mut rows = vec![header];
    for point in 0..plan.points.len() {
        let runs: Vec<&RunRecord> = records.iter().filter(|r| r.point == point).collect();
        if runs.is_empty() {
            continue;
        }
        let mut row: Vec<String> = plan.keys.iter().map(|k| plan.value(point, k)).collect();
        row.push(runs.len().to_string());
        row.push(runs.iter().filter(|r| failed(r)).count().to_string());
        row.push(runs.iter().filter(|r| inconclusive(r)).count().to_string());
        let figs: Vec<Vec<(String, f64)>> = runs.iter().map(|r| figures(&r.summary)).collect();
        for n in &names {
            let mut values: Vec<f64> = figs
                .iter()
                .filter_map(|f| f.iter().find(|(k, _)| k == n).map(|(_, v)| *v))
                .collect();
            let (median, p10, p90) = spread(&mut values);
            row.extend([num(median), num(p10), num(p90)]);
        }
        rows.push(row);
    }
    csv_bytes(rows)
}

/// `timings.csv`: each run's wall time (the one file that differs between identical sweeps).
pub fn timings_csv(plan: &Plan, records: &[RunRecord], wall: &[Option<f64>]) -> Vec<u8> {
    let mut header: Vec<String> = plan.keys.clone();
    header.extend(["seed", "wall_seconds", "sim_seconds_per_wall_second"].map(String::from));
    let mut rows = vec![header];
    for (r, w) in records.iter().zip(wall) {
        let mut row: Vec<String> = plan.keys.iter().map(|k| plan.value(r.point, k)).collect();
        row.push(r.seed.to_string());
        row.push(w.map(num).unwrap_or_default());
        row.push(
            w.filter(|w| *w > 0.0)
                .map(|w| format!("{:.1}", r.summary.sim_seconds / w))
                .unwrap_or_default(),
        );
        rows.push(row);
    }
    csv_bytes(rows)
}
