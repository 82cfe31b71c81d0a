//! `index.html`: the whole run on one self-contained page (charts inlined, no server, no
//! network), in the order a reader asks: did it pass, how do I rerun it, what happened when.

use std::fmt::Write as _;

use check::outcome::CheckStatus;
use scenario::Summary;
use sim_core::{FaultRecord, MetricValue};

use crate::bands::{Band, describe, fault_end_s};

/// A chart as the page shows it.
pub struct PageChart<'a> {
    /// File name without extension.
    pub name: &'a str,
    /// Heading.
    pub title: &'a str,
    /// How to read it.
    pub caption: &'a str,
    /// The SVG document.
    pub svg: &'a str,
}

/// Everything the page shows.
pub struct Page<'a> {
    /// The run's summary.
    pub summary: &'a Summary,
    /// The scenario's description.
    pub description: Option<&'a str>,
    /// The effective scenario, as TOML.
    pub scenario_toml: &'a str,
    /// The command that reproduces the run.
    pub reproduce: &'a str,
    /// The faults as they happened.
    pub faults: &'a [FaultRecord],
    /// Their windows.
    pub bands: &'a [Band],
    /// The run's end, seconds.
    pub end_s: f64,
    /// The charts.
    pub charts: &'a [PageChart<'a>],
    /// Other files in the folder, for links.
    pub files: &'a [String],
    /// For a failed run: the space-time diagram around the first violation (SVG).
    pub spacetime: Option<&'a str>,
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1160px; padding: 1.5rem; color: #1d1d1f; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.3rem; }
.badge { display: inline-block; padding: 0.15rem 0.6rem; border-radius: 0.4rem; color: white; font-weight: 600; font-size: 0.9rem; vertical-align: middle; }
.pass { background: #2ca02c; } .fail { background: #d62728; } .unknown, .inconclusive { background: #ff7f0e; } .na { background: #7f7f7f; }
td.detail { white-space: pre-line; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.25rem 0.8rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; padding: 0.8rem; border-radius: 0.4rem; overflow-x: auto; }
figure { margin: 1.5rem 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; }
.timeline { position: relative; border: 1px solid #ddd; background: #fafafa; margin: 0.5rem 0; }
.lane { position: relative; height: 1.5rem; border-bottom: 1px dotted #e4e4e4; }
.bar { position: absolute; top: 0.2rem; height: 1.1rem; min-width: 3px; border-radius: 2px; opacity: 0.75; font-size: 0.75rem; color: #111; white-space: nowrap; padding-left: 3px; }
.axis { display: flex; justify-content: space-between; font-size: 0.8rem; color: #555; }
.muted { color: #666; }
"#;

/// Checks, once the page has loaded, that every chart drew (an SVG with a non-empty box and
/// content) and records the count on `<body data-charts-rendered>`, where a headless browser
/// test reads it.
const SCRIPT: &str = r#"
window.addEventListener('load', function () {
  var drawn = 0;
  document.querySelectorAll('figure[data-chart] svg').forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0 && svg.querySelectorAll('*').length > 10) { drawn++; }
  });
  document.body.setAttribute('data-charts-rendered', String(drawn));
});
"#;

fn band_color(kind: &str) -> String {
    let (r, g, b) = crate::bands::fault_rgb(kind);
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn fmt_num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.3}") }
}

/// What the page shows for a figure with nothing to measure.
const NONE: &str = "none (nothing to measure)";

fn ms(v: Option<f64>) -> String {
    v.map_or(NONE.into(), |v| format!("{v:.3} ms"))
}

fn summary_table(s: &Summary, out: &mut String) {
    let mut rows: Vec<(&str, String)> = if s.ops.invoked == 0 {
        // Nothing to measure: one row says so instead of eleven saying "none".
        vec![("client operations", "none invoked: the figures are under Metrics".into())]
    } else {
        vec![
            ("operations invoked", s.ops.invoked.to_string()),
            ("ok", s.ops.ok.to_string()),
            ("failed", s.ops.failed.to_string()),
            ("indeterminate", s.ops.indeterminate.to_string()),
            ("availability", s.availability.map_or(NONE.into(), |a| format!("{:.4}%", a * 100.0))),
            ("latency p50", ms(s.latency_ms.map(|l| l.p50))),
            ("latency p90", ms(s.latency_ms.map(|l| l.p90))),
            ("latency p95", ms(s.latency_ms.map(|l| l.p95))),
            ("latency p99", ms(s.latency_ms.map(|l| l.p99))),
            ("latency p999", ms(s.latency_ms.map(|l| l.p999))),
            ("latency max", ms(s.latency_ms.map(|l| l.max))),
        ]
    };
    rows.extend([
        ("simulated time", format!("{:.3} s ({})", s.sim_seconds, s.outcome)),
        ("events", s.events.to_string()),
        ("trace hash", s.trace_hash.clone()),
        ("scenario hash", s.scenario_hash.clone()),
    ]);
    out.push_str("<table>");
    for (k, v) in rows {
        let _ = write!(out, "<tr><th>{}</th><td class=num>{}</td></tr>", esc(k), esc(&v));
    }
    if let Some(w) = s.wall_seconds {
        let _ = write!(
            out,
            "<tr><th>wall time</th><td class=num>{w:.3} s ({:.0}&times; real time)</td></tr>",
            if w > 0.0 { s.sim_seconds / w } else { 0.0 }
        );
    }
    out.push_str("</table>");
}

fn checks_table(s: &Summary, out: &mut String) {
    out.push_str("<table><tr><th>check</th><th>status</th><th>detail</th></tr>");
    for c in &s.checks {
        let (class, status) = match c.status {
            CheckStatus::Pass => ("pass", "pass"),
            CheckStatus::Fail => ("fail", "fail"),
            CheckStatus::Unknown => ("unknown", "unknown"),
            CheckStatus::NotApplicable => ("na", "not applicable"),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td><span class=\"badge {class}\">{status}</span></td><td class=detail>{}</td></tr>",
            esc(&c.name),
            esc(&c.detail)
        );
    }
    out.push_str("</table>");
}

fn metrics_table(s: &Summary, out: &mut String) {
    out.push_str(
        "<table><tr><th>metric</th><th>value</th><th>count</th><th>min</th><th>p10</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
    );
    for (name, value) in &s.metrics {
        let _ = write!(out, "<tr><td>{}</td>", esc(name));
        match value {
            MetricValue::Count(n) => {
                let _ = write!(out, "<td class=num>{n}</td><td colspan=7></td>");
            }
            MetricValue::Number(v) => {
                let _ = write!(out, "<td class=num>{v:.3}</td><td colspan=7></td>");
            }
            MetricValue::Table(t) => {
                let cells: Vec<String> = t.iter().map(|(k, v)| format!("{k}: {v:.5}")).collect();
                let _ = write!(out, "<td colspan=8>{}</td>", esc(&cells.join(", ")));
            }
            MetricValue::Distribution(d) => {
                let _ =
                    write!(out, "<td class=muted>distribution</td><td class=num>{}</td>", d.count);
                for v in [d.min, d.p10, d.p50, d.p90, d.p99, d.max] {
                    let _ = write!(out, "<td class=num>{}</td>", fmt_num(v));
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn timeline(p: &Page, out: &mut String) {
    if p.faults.is_empty() {
        out.push_str("<p class=muted>No faults were injected.</p>");
        return;
    }
    let pct = |t: f64| (t / p.end_s.max(1e-9) * 100.0).clamp(0.0, 100.0);
    out.push_str("<div class=timeline>");
    for b in p.bands {
        let left = pct(b.start_s);
        let width = (pct(b.end_s) - left).max(0.0);
        let _ = write!(
            out,
            "<div class=lane><div class=bar style=\"left:{left:.3}%;width:{width:.3}%;background:{}\" title=\"{} from {:.3} s to {:.3} s\">{}</div></div>",
            band_color(b.kind),
            esc(&b.label),
            b.start_s,
            b.end_s,
            esc(&b.label)
        );
    }
    let _ = write!(
        out,
        "</div><div class=axis><span>0 s</span><span>{:.1} s</span><span>{:.1} s</span></div>",
        p.end_s / 2.0,
        p.end_s
    );
    out.push_str(
        "<table><tr><th>at</th><th>fault</th><th>as written</th><th>duration</th><th>ended at</th><th>note</th></tr>",
    );
    for f in p.faults {
        let spec = serde_json::to_string(&f.spec.kind).unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td class=num>{:.3} s</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.spec.at.as_secs_f64(),
            esc(&describe(f)),
            esc(&spec),
            f.spec.duration.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            if f.skipped.is_some() {
                "—".into()
            } else {
                format!("{:.3} s", fault_end_s(f, p.end_s))
            },
            esc(f.skipped.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</table>");
}

/// The page.
pub fn page(p: &Page) -> String {
    let s = p.summary;
    let mut out =
        String::with_capacity(64 * 1024 + p.charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{} seed {} — faultline</title><style>{STYLE}</style></head><body>",
        esc(&s.scenario),
        s.seed
    );
    let _ = write!(
        out,
        "<h1>{} <span class=\"badge {}\">{}</span></h1><p class=muted>{} · seed {} · faultline {}</p>",
        esc(&s.scenario),
        esc(&s.status),
        esc(&s.status),
        esc(&s.protocol),
        s.seed,
        esc(&s.faultline_version)
    );
    if let Some(d) = p.description {
        let _ = write!(out, "<p>{}</p>", esc(d));
    }
    let _ = write!(out, "<h2>Reproduce</h2><pre>{}</pre>", esc(p.reproduce));
    out.push_str("<h2>Summary</h2>");
    summary_table(s, &mut out);
    out.push_str("<h2>Checks</h2>");
    checks_table(s, &mut out);
    if let Some(svg) = p.spacetime {
        let _ = write!(
            out,
            "<h2>Around the first violation</h2><p class=muted>Every message, drop, crash and fault in the moments before the violation was observed (the dashed line), one lane per node; hover an arrow for its message.</p><figure class=spacetime>{svg}</figure>"
        );
    }
    out.push_str("<h2>Faults</h2>");
    timeline(p, &mut out);
    out.push_str("<h2>Charts</h2>");
    if s.ops.invoked == 0 {
        out.push_str("<p class=muted>No client operations were invoked: the latency, throughput and availability charts are left out (their files are empty charts).</p>");
    }
    for c in p.charts {
        let _ = write!(
            out,
            "<figure data-chart=\"{}\"><h3>{}</h3>{}<figcaption>{}</figcaption></figure>",
            esc(c.name),
            esc(c.title),
            strip_xml_declaration(c.svg),
            esc(c.caption)
        );
    }
    out.push_str("<h2>Metrics</h2>");
    metrics_table(s, &mut out);
    let _ = write!(out, "<h2>Scenario</h2><pre>{}</pre>", esc(p.scenario_toml));
    out.push_str("<h2>Files</h2><ul>");
    for f in p.files {
        let _ = write!(out, "<li><a href=\"{0}\">{0}</a></li>", esc(f));
    }
    let _ = writeln!(out, "</ul><script>{SCRIPT}</script></body></html>");
    out
}

/// An SVG document as an element to inline in HTML (no XML declaration).
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    }
}
