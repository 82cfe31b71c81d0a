//! Message-sequence views of a window of the trace: one lane per node, as text for the terminal
//! (`faultline trace`) and as an SVG space-time (Lamport) diagram for the report of a failed run.
//!
//! A message is drawn from its send (on the sender's lane) to its delivery (on the receiver's);
//! a lost message ends in a cross; crashes, restarts, pauses, faults and heals are marked on
//! their node's lane.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sim_core::TraceRecord;
use sim_core::trace::TraceKind;

use crate::html::esc;

/// Lane width in characters in the text view.
const LANE: usize = 4;

/// The message a send record carries, shortened for a lane view.
fn short(detail: &str, max: usize) -> String {
    let one_line: String = detail.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        one_line.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

fn drop_reason(b: u64) -> &'static str {
    match b {
        1 => "lost",
        2 => "partition",
        3 => "receiver down",
        4 => "sender crashed",
        _ => "dropped",
    }
}

/// The text view: a header of lanes, then one line per event in the window (timer records,
/// which are most of a trace, only with `timers`).
pub fn text(records: &[TraceRecord], lanes: &[String], timers: bool) -> String {
    let col = |name: &str| lanes.iter().position(|l| l == name);
    let width = lanes.len() * LANE;
    let mut sent: BTreeMap<u64, String> = BTreeMap::new();
    let mut out = String::new();
    let _ = write!(out, "{:>14}  ", "time (s)");
    for l in lanes {
        let _ = write!(out, "{l:<LANE$}");
    }
    out.push('\n');
    for r in records {
        let mut row: Vec<char> = vec![' '; width];
        for (i, _) in lanes.iter().enumerate() {
            row[i * LANE] = '|';
        }
        let (me, peer) = (col(&r.node), col(&r.peer));
        let note = match r.kind {
            TraceKind::Send => {
                sent.insert(r.a, short(&r.detail, 60));
                if let (Some(a), Some(b)) = (me, peer) {
                    let (lo, hi) = (a.min(b) * LANE, a.max(b) * LANE);
                    for c in row.iter_mut().take(hi).skip(lo + 1) {
                        *c = '-';
                    }
                    row[a * LANE] = 'o';
                    row[b * LANE] = if b > a { '>' } else { '<' };
                }
                format!("{} -> {} #{} {}", r.node, r.peer, r.a, short(&r.detail, 60))
            }
            TraceKind::Deliver => {
                if let Some(a) = me {
                    row[a * LANE] = '*';
                }
                let what = sent.get(&r.a).cloned().unwrap_or_default();
                format!("{} <- {} #{} {}", r.node, r.peer, r.a, what)
            }
            TraceKind::Drop => {
                if let Some(b) = peer {
                    row[b * LANE] = 'x';
                }
                format!("#{} {} -> {} {}", r.a, r.node, r.peer, drop_reason(r.b))
            }
            TraceKind::Duplicate => format!("#{} duplicated as #{}", r.b, r.a),
            TraceKind::TimerSet | TraceKind::TimerFire | TraceKind::TimerCancel if !timers => {
                continue;
            }
            TraceKind::TimerSet => format!("{} sets timer {}", r.node, r.a),
            TraceKind::TimerFire => {
                if let Some(a) = me {
                    row[a * LANE] = 't';
                }
                format!("{} timer {} fires", r.node, r.a)
            }
            TraceKind::TimerCancel => format!("{} cancels timer {}", r.node, r.a),
            TraceKind::Crash
            | TraceKind::Restart
            | TraceKind::Pause
            | TraceKind::Resume
            | TraceKind::Depart => {
                if let Some(a) = me {
                    row[a * LANE] = match r.kind {
                        TraceKind::Crash => 'X',
                        TraceKind::Depart => 'D',
                        TraceKind::Restart => 'R',
                        TraceKind::Pause => 'P',
                        _ => 'r',
                    };
                }
                let kind = serde_json::to_value(r.kind).ok();
                format!("{} {}", r.node, kind.as_ref().and_then(|k| k.as_str()).unwrap_or(""))
            }
            TraceKind::Fault => format!("FAULT {}", r.detail),
            TraceKind::Heal => format!("HEAL {} ({})", r.detail, r.node),
            TraceKind::Annotate => {
                if let Some(a) = me {
                    row[a * LANE] = '#';
                }
                format!("{}: {}", r.node, r.detail)
            }
            TraceKind::Start | TraceKind::Wake => continue,
        };
        let lane: String = row.into_iter().collect();
        let _ = writeln!(out, "{:>14.9}  {lane}  {note}", r.time_ns as f64 / 1e9);
    }
    out
}

/// The space-time diagram as SVG: lanes across, time downwards, `title` above, and under it
/// the faults already `in_effect` when the window opens (they began before it).
pub fn svg(
    records: &[TraceRecord],
    lanes: &[String],
    title: &str,
    mark_ns: Option<u64>,
    in_effect: &[String],
) -> String {
    // Room for the line of faults in effect, when there is one.
    let top = if in_effect.is_empty() { 60.0 } else { 78.0 };
    let (left, lane_w, height) = (90.0, 90.0, 900.0);
    let width = left + lane_w * lanes.len() as f64 + 40.0;
    let (t0, t1) = match (records.first(), records.last()) {
        (Some(a), Some(b)) if b.time_ns > a.time_ns => (a.time_ns, b.time_ns),
        (Some(a), _) => (a.time_ns, a.time_ns + 1),
        _ => (0, 1),
    };
    let y = |t: u64| top + (t - t0) as f64 / (t1 - t0) as f64 * height;
    let x =
        |name: &str| lanes.iter().position(|l| l == name).map(|i| left + lane_w * (i as f64 + 0.5));
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" viewBox="0 0 {width} {}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="16">{}</text>"#,
        top + height + 40.0,
        top + height + 40.0,
        esc(title)
    );
    if !in_effect.is_empty() {
        let _ = write!(
            out,
            r##"<text x="10" y="40" fill="#9467bd">in effect as the window opens: {}</text>"##,
            esc(&in_effect.join("; "))
        );
    }
    for l in lanes {
        let lx = x(l).unwrap_or(0.0);
        let _ = write!(
            out,
            r##"<text x="{lx}" y="{}" text-anchor="middle" font-weight="bold">{}</text><line x1="{lx}" y1="{top}" x2="{lx}" y2="{}" stroke="#bbb"/>"##,
            top - 12.0,
            esc(l),
            top + height
        );
    }
    for frac in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let t = t0 + ((t1 - t0) as f64 * frac) as u64;
        let _ = write!(
            out,
            r##"<text x="8" y="{}" fill="#555">{:.6} s</text>"##,
            y(t) + 4.0,
            t as f64 / 1e9
        );
    }
    if let Some(m) = mark_ns.filter(|m| (t0..=t1).contains(m)) {
        let my = y(m);
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{my}" x2="{}" y2="{my}" stroke="#d62728" stroke-dasharray="6 4"/><text x="{}" y="{}" fill="#d62728" text-anchor="end">violation observed</text>"##,
            width - 20.0,
            width - 20.0,
            my - 4.0
        );
    }
    let mut sends: BTreeMap<u64, (f64, f64, String)> = BTreeMap::new();
    for r in records {
        let ry = y(r.time_ns);
        match r.kind {
            TraceKind::Send => {
                if let Some(sx) = x(&r.node) {
                    sends.insert(r.a, (sx, ry, short(&r.detail, 28)));
                }
            }
            TraceKind::Deliver => {
                if let (Some((sx, sy, label)), Some(dx)) = (sends.get(&r.a), x(&r.node)) {
                    let _ = write!(
                        out,
                        r##"<line x1="{sx}" y1="{sy}" x2="{dx}" y2="{ry}" stroke="#1f77b4" stroke-width="1.2" marker-end="url(#arrow)"><title>{}</title></line>"##,
                        esc(label)
                    );
                }
            }
            TraceKind::Drop => {
                if let (Some((sx, sy, label)), Some(dx)) = (sends.get(&r.a), x(&r.peer)) {
                    let (mx, my) = ((sx + dx) / 2.0, (sy + ry) / 2.0);
                    let _ = write!(
                        out,
                        r##"<line x1="{sx}" y1="{sy}" x2="{mx}" y2="{my}" stroke="#d62728" stroke-dasharray="3 3"><title>{} ({})</title></line><text x="{mx}" y="{}" fill="#d62728" text-anchor="middle" font-size="14">✕</text>"##,
                        esc(label),
                        drop_reason(r.b),
                        my + 5.0
                    );
                }
            }
            TraceKind::Crash | TraceKind::Restart | TraceKind::Pause | TraceKind::Resume => {
                if let Some(nx) = x(&r.node) {
                    let (glyph, color) = match r.kind {
                        TraceKind::Crash => ("crash", "#d62728"),
                        TraceKind::Restart => ("restart", "#2ca02c"),
                        TraceKind::Pause => ("pause", "#8c564b"),
                        _ => ("resume", "#2ca02c"),
                    };
                    let _ = write!(
                        out,
                        r#"<rect x="{}" y="{}" width="16" height="6" fill="{color}"/><text x="{}" y="{}" fill="{color}">{glyph}</text>"#,
                        nx - 8.0,
                        ry - 3.0,
                        nx + 10.0,
                        ry + 4.0
                    );
                }
            }
            TraceKind::Fault | TraceKind::Heal => {
                let label = if r.kind == TraceKind::Fault { "fault" } else { "heal" };
                let _ = write!(
                    out,
                    r##"<line x1="{left}" y1="{ry}" x2="{}" y2="{ry}" stroke="#9467bd" stroke-width="2" opacity="0.6"/><text x="{}" y="{}" fill="#9467bd">{label}: {}</text>"##,
                    width - 20.0,
                    left + 4.0,
                    ry - 4.0,
                    esc(&short(&r.detail, 80))
                );
            }
            _ => {}
        }
    }
    out.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f77b4"/></marker></defs></svg>"##);
    out
}
