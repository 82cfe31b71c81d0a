//! A sweep's comparison charts and its index.html, from the runs' records.
//!
//! Each figure of `[sweep] metrics` (default: p99 latency, availability and the protocol's
//! headline metric) is drawn against the `x` key (default: the first swept key), one line per
//! combination of the other keys' values (or of the keys `[sweep] lines` names), the median
//! over seeds with the p10–p90 band; every
//! distribution metric whose runs kept samples gets a CDF per point, the samples of all its
//! seeds pooled.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use report::compare::{Cdf, Comparison, Heatmap, Line, SweepChart};
use report::html::esc;
use sim_core::MetricValue;

use crate::SweepError;
use crate::aggregate::{failed, figure, inconclusive, spread};
use crate::folder::{RunRecord, write_atomic};
use crate::plan::{Plan, value_text};

/// The figures charted: `[sweep] metrics`, or the defaults. A distribution metric named
/// without a field (`metrics.election_downtime_ms`) is charted by its median.
pub fn chart_figures(plan: &Plan) -> Vec<String> {
    let configured = plan.scenario.sweep.as_ref().map(|s| s.metrics.clone()).unwrap_or_default();
    if configured.is_empty() {
        let headline = scenario::registry::protocol(&plan.scenario.protocol)
            .map(|p| p.headline())
            .unwrap_or("");
        ["latency_ms.p99", "availability", headline]
            .into_iter()
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect()
    } else {
        configured
    }
}

fn resolve(records: &[RunRecord], name: &str) -> Option<String> {
    let s = &records.first()?.summary;
    if figure(s, name).is_some() {
        return Some(name.to_string());
    }
    let p50 = format!("{name}.p50");
    figure(s, &p50).map(|_| p50)
}

/// Median, p10 and p90 of figure `name` over a point's runs; `None` if none has it.
fn point_spread(records: &[RunRecord], point: usize, name: &str) -> Option<(f64, f64, f64)> {
    let mut values: Vec<f64> = records
        .iter()
        .filter(|r| r.point == point)
        .filter_map(|r| figure(&r.summary, name))
        .collect();
    (!values.is_empty()).then(|| spread(&mut values))
}

/// The x key: `[sweep] x`, else the first swept key.
fn x_key(plan: &Plan) -> Option<String> {
    plan.scenario.sweep.as_ref().and_then(|s| s.x.clone()).or_else(|| plan.keys.first().cloned())
}

/// The reference line `[sweep] references` gives the chart of `name`: the reference figure
/// against `x`, one line when every point agrees on it (an ideal that depends on x alone).
fn reference_line(plan: &Plan, records: &[RunRecord], name: &str, x: &str) -> Option<Line> {
    let sweep = plan.scenario.sweep.as_ref()?;
    let figure = sweep.references.get(name)?;
    let path = resolve(records, figure)?;
    let lines = comparison(plan, records, &path, x).lines;
    let first = lines.first()?;
    let agree = lines.iter().all(|l| {
        l.points.len() == first.points.len()
            && l.points.iter().zip(&first.points).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    });
    let label = format!("{path} (reference)");
    agree.then(|| Line { label, points: first.points.clone(), reference: true })
}

/// One comparison chart of `name` (a resolved figure path) against `x`: a swept key, or
/// another figure (each point's median over its seeds).
fn comparison(plan: &Plan, records: &[RunRecord], name: &str, x: &str) -> Comparison {
    if !plan.keys.iter().any(|k| k == x) {
        return against_figure(plan, records, name, x);
    }
    let xs: Vec<&toml::Value> =
        plan.points.iter().filter_map(|p| p.iter().find(|(k, _)| k == x).map(|(_, v)| v)).collect();
    let numeric = xs.iter().all(|v| v.as_float().is_some() || v.as_integer().is_some());
    let mut ticks: Vec<String> = Vec::new();
    for v in &xs {
        let t = value_text(v);
        if !ticks.contains(&t) {
            ticks.push(t);
        }
    }
    let x_of = |point: usize| -> Option<f64> {
        let v = plan.points[point].iter().find(|(k, _)| k == x).map(|(_, v)| v)?;
        if numeric {
            v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
        } else {
            ticks.iter().position(|t| *t == value_text(v)).map(|i| i as f64)
        }
    };
    let others = line_keys(plan).unwrap_or_else(|| independent_of(plan, x));
    let label = |point: usize| match others.is_empty() {
        true => "median over seeds (band: p10–p90)".to_string(),
        false => point_label(plan, &others, point),
    };
    Comparison {
        title: format!("{name} against {x}"),
        x_desc: x.to_string(),
        y_desc: name.to_string(),
        x_ticks: (!numeric).then_some(ticks.clone()),
        lines: lines(plan, records, name, x_of, label),
    }
}

/// `name` against another figure `x`: one point per grid point at the medians over its seeds
/// (the band is `name`'s p10–p90), one line per combination of the swept keys but the first
/// (or of the keys `[sweep] lines` names), so a line traces how the key that varies along it
/// trades one figure for the other.
fn against_figure(plan: &Plan, records: &[RunRecord], name: &str, x: &str) -> Comparison {
    let x = resolve(records, x).unwrap_or_else(|| x.to_string());
    let others: Vec<&String> =
        line_keys(plan).unwrap_or_else(|| plan.keys.iter().skip(1).collect());
    let x_of = |point: usize| point_spread(records, point, &x).map(|(median, _, _)| median);
    let label = |point: usize| match (others.is_empty(), plan.keys.first()) {
        (false, _) => point_label(plan, &others, point),
        (true, Some(k)) => format!("{k} varies along the line"),
        (true, None) => "median over seeds".to_string(),
    };
    Comparison {
        title: format!("{name} against {x}"),
        x_desc: format!("{x} (median over seeds)"),
        y_desc: name.to_string(),
        x_ticks: None,
        lines: lines(plan, records, name, x_of, label),
    }
}

/// The keys `[sweep] lines` names, if it names any: each line is one combination of their
/// values, and every other swept key varies along it (a miss count on one line, a threshold on
/// another).
fn line_keys(plan: &Plan) -> Option<Vec<&String>> {
    let lines = &plan.scenario.sweep.as_ref()?.lines;
    (!lines.is_empty()).then(|| plan.keys.iter().filter(|k| lines.contains(k)).collect())
}

/// The swept keys other than `x` whose value `x` does not decide: a key that moves with `x`
/// in explicit points (a fault's delay set with each timeout) draws no lines of its own and
/// stays out of the legends.
fn independent_of<'a>(plan: &'a Plan, x: &str) -> Vec<&'a String> {
    let decided = |k: &String| {
        (0..plan.points.len()).all(|a| {
            (0..plan.points.len()).all(|b| {
                plan.value(a, x) != plan.value(b, x) || plan.value(a, k) == plan.value(b, k)
            })
        })
    };
    plan.keys.iter().filter(|k| *k != x && !decided(k)).collect()
}

/// `key=value, …` of a point, for the keys given.
fn point_label(plan: &Plan, keys: &[&String], point: usize) -> String {
    keys.iter().map(|k| format!("{k}={}", plan.value(point, k))).collect::<Vec<_>>().join(", ")
}

/// The lines of a comparison: each point at (its x, `name`'s median, p10, p90), grouped by
/// label, each line sorted by x.
fn lines(
    plan: &Plan,
    records: &[RunRecord],
    name: &str,
    x_of: impl Fn(usize) -> Option<f64>,
    label: impl Fn(usize) -> String,
) -> Vec<Line> {
    let mut lines: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    for point in 0..plan.points.len() {
        let Some(xv) = x_of(point) else { continue };
        let Some((median, p10, p90)) = point_spread(records, point, name) else { continue };
        lines.entry(label(point)).or_default().push((xv, median, p10, p90));
    }
    lines
        .into_iter()
        .map(|(label, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Line { label, points, reference: false }
        })
        .collect()
}

/// A heatmap of `name` when the sweep varies exactly two keys and both take numbers.
fn heatmap(plan: &Plan, records: &[RunRecord], name: &str) -> Option<Heatmap> {
    let [xk, yk] = plan.keys.as_slice() else { return None };
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    let mut at: Vec<(f64, f64)> = Vec::new();
    for p in &plan.points {
        let get = |k: &String| p.iter().find(|(key, _)| key == k).and_then(|(_, v)| number(v));
        let (x, y) = (get(xk)?, get(yk)?);
        xs.push(x);
        ys.push(y);
        at.push((x, y));
    }
    for v in [&mut xs, &mut ys] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let cells = at
        .iter()
        .enumerate()
        .filter_map(|(point, (x, y))| {
            let (median, _, _) = point_spread(records, point, name)?;
            let xi = xs.iter().position(|v| v == x)?;
            let yi = ys.iter().position(|v| v == y)?;
            Some((xi, yi, median))
        })
        .collect();
    let text = |v: &Vec<f64>| v.iter().map(|x| format!("{x}")).collect();
    Some(Heatmap {
        title: format!("{name} (median over seeds)"),
        x_desc: xk.clone(),
        y_desc: yk.clone(),
        xs: text(&xs),
        ys: text(&ys),
        cells,
    })
}

/// The distribution metrics whose runs kept samples.
fn distributions(records: &[RunRecord]) -> Vec<String> {
    records
        .first()
        .map(|r| {
            r.summary
                .metrics
                .iter()
                .filter(|(_, v)| matches!(v, MetricValue::Distribution(d) if d.samples.is_some()))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn cdf(plan: &Plan, records: &[RunRecord], metric: &str) -> Cdf {
    let curves = (0..plan.points.len())
        .filter_map(|point| {
            let mut samples: Vec<f64> = records
                .iter()
                .filter(|r| r.point == point)
                .filter_map(|r| match r.summary.metrics.get(metric) {
                    Some(MetricValue::Distribution(d)) => d.samples.clone(),
                    _ => None,
                })
                .flatten()
                .collect();
            if samples.is_empty() {
                return None;
            }
            samples.sort_by(f64::total_cmp);
            let label = match x_key(plan).filter(|x| plan.keys.contains(x)) {
                _ if plan.keys.is_empty() => "all runs".to_string(),
                Some(x) => {
                    let mut keys = vec![&x];
                    keys.extend(independent_of(plan, &x));
                    point_label(plan, &keys, point)
                }
                None => point_label(plan, &plan.keys.iter().collect::<Vec<_>>(), point),
            };
            Some((label, samples))
        })
        .collect();
    Cdf { title: format!("CDF of {metric} per point"), x_desc: metric.to_string(), curves }
}

/// Writes the charts (`png`: PNG copies too) and index.html of a sweep folder.
pub fn write(dir: &Path, plan: &Plan, records: &[RunRecord], png: bool) -> Result<(), SweepError> {
    let io = |e: String| SweepError::Io(e);
    // (file name without extension, title, chart)
    let mut charts: Vec<(String, String, SweepChart)> = Vec::new();
    if let Some(x) = x_key(plan) {
        for name in chart_figures(plan) {
            let Some(path) = resolve(records, &name) else { continue };
            let mut comparison = comparison(plan, records, &path, &x);
            if let Some(reference) = reference_line(plan, records, &name, &x) {
                comparison.lines.insert(0, reference);
            }
            let chart = SweepChart::Comparison(comparison);
            charts.push((
                format!("compare-{}", path.replace('.', "-")),
                format!("{path} against {x}"),
                chart,
            ));
        }
    }
    if let Some(first) = chart_figures(plan).first().and_then(|n| resolve(records, n))
        && let Some(h) = heatmap(plan, records, &first)
    {
        let title = h.title.clone();
        charts.push((
            format!("heatmap-{}", first.replace('.', "-")),
            title,
            SweepChart::Heatmap(h),
        ));
    }
    for metric in distributions(records) {
        let c = cdf(plan, records, &metric);
        if c.curves.iter().all(|(_, s)| s.is_empty()) {
            continue;
        }
        charts.push((format!("cdf-{metric}"), c.title.clone(), SweepChart::Cdf(c)));
    }
    let mut drawn: Vec<(String, String, String)> = Vec::new();
    for (name, title, chart) in charts {
        let svg = chart.svg().map_err(io)?;
        write_atomic(&dir.join(format!("{name}.svg")), svg.as_bytes())?;
        let path = dir.join(format!("{name}.png"));
        if png {
            // Drawn beside its destination, then moved into place: never a half-written PNG.
            let partial = dir.join(format!(".{name}.partial.png"));
            let drawn = chart.png(&partial).and_then(|()| {
                std::fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))
            });
            if let Err(e) = drawn {
                let _ = std::fs::remove_file(&partial);
                return Err(io(e));
            }
        } else if path.is_file() {
            // A copy drawn by an earlier rebuild would no longer match its SVG.
            std::fs::remove_file(&path)
                .map_err(|e| SweepError::Io(format!("{}: {e}", path.display())))?;
        }
        drawn.push((format!("{name}.svg"), title, svg));
    }
    write_atomic(&dir.join("index.html"), page(plan, records, &drawn).as_bytes())
}

fn page(plan: &Plan, records: &[RunRecord], charts: &[(String, String, String)]) -> String {
    let s = &plan.scenario;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{0} sweep — faultline</title><style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:1.5rem}}table{{border-collapse:collapse}}td,th{{padding:.2rem .7rem;border-bottom:1px solid #eee;text-align:left}}figure svg{{max-width:100%;height:auto;border:1px solid #eee}}</style></head><body><h1>{0}: sweep</h1><p>{1}</p>",
        esc(&s.name),
        esc(s.description.as_deref().unwrap_or(""))
    );
    let failed_runs = records.iter().filter(|r| failed(r)).count();
    let inconclusive_runs = records.iter().filter(|r| inconclusive(r)).count();
    let _ = write!(
        out,
        "<p>{} points × {} seeds = {} runs finished; {} failed a check, {} inconclusive.</p><h2>Points</h2><table><tr>",
        plan.points.len(),
        plan.seeds,
        records.len(),
        failed_runs,
        inconclusive_runs
    );
    let figures = chart_figures(plan);
    for k in &plan.keys {
        let _ = write!(out, "<th>{}</th>", esc(k));
    }
    out.push_str("<th>runs</th><th>failed</th><th>inconclusive</th>");
    for f in &figures {
        let _ = write!(out, "<th>{} (median)</th>", esc(f));
    }
    out.push_str("</tr>");
    for point in 0..plan.points.len() {
        let runs: Vec<&RunRecord> = records.iter().filter(|r| r.point == point).collect();
        out.push_str("<tr>");
        for k in &plan.keys {
            let _ = write!(out, "<td>{}</td>", esc(&plan.value(point, k)));
        }
        let _ = write!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td>",
            runs.len(),
            runs.iter().filter(|r| failed(r)).count(),
            runs.iter().filter(|r| inconclusive(r)).count()
        );
        for f in &figures {
            let Some(path) = resolve(records, f) else {
                out.push_str("<td></td>");
                continue;
            };
            let cell = point_spread(records, point, &path)
                .map(|(median, _, _)| format!("{median:.3}"))
                .unwrap_or_default();
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table><h2>Charts</h2>");
    for (file, title, svg) in charts {
        let body = svg.split_once("?>").map_or(svg.as_str(), |(_, b)| b.trim_start());
        let _ = write!(
            out,
            "<figure data-chart=\"{}\"><h3>{}</h3>{}</figure>",
            esc(file),
            esc(title),
            body
        );
    }
    out.push_str("<h2>Files</h2><ul><li><a href=results.csv>results.csv</a>: one row per run</li><li><a href=points.csv>points.csv</a>: one row per point (median, p10, p90 over seeds)</li><li><a href=timings.csv>timings.csv</a>: wall times</li><li><a href=scenario.toml>scenario.toml</a></li><li>runs/: one JSON file per run</li></ul></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_with_each_x_value_draws_no_lines_of_its_own() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios/raft-election-timeout.toml");
        let plan = Plan::new(&scenario::load(&path, &[]).unwrap());
        assert!(plan.keys.iter().any(|k| k == "nemesis.delay"));
        assert!(independent_of(&plan, "raft.election_timeout").is_empty());
        assert_eq!(independent_of(&plan, "nemesis.delay"), vec!["raft.election_timeout"]);
    }
}
