//! Per-window figures of a run (`timeseries.csv` and the time charts).
//!
//! Every operation counts in the window of its invocation, as Jepsen's latency charts place
//! operations: a window's availability is the share of the operations invoked in it that the
//! system answered (ok, or a definite answer such as a failed comparison), and its latency
//! quantiles are those of its successful operations.

use check::spans::{Span, SpanEnd};
use std::collections::BTreeMap;

use sim_core::metrics::{Bucket, Series, nearest_rank};

/// One window of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Start, seconds.
    pub start_s: f64,
    /// Operations invoked in it.
    pub invoked: u64,
    /// Of those, succeeded.
    pub ok: u64,
    /// Answered that it did not take effect (a failed comparison).
    pub failed: u64,
    /// Timed out, or still open at the end.
    pub indeterminate: u64,
    /// Latency quantiles of the successful ones, milliseconds: p50, p95, p99, max.
    pub latency_ms: Option<[f64; 4]>,
}

impl Window {
    /// `(ok + failed) / invoked`: the share answered; `None` when nothing was invoked.
    pub fn availability(&self) -> Option<f64> {
        (self.invoked > 0).then(|| (self.ok + self.failed) as f64 / self.invoked as f64)
    }
}

pub use platform::series::window_width_ns;

/// The windows of a run lasting `end_ns`, `width_ns` wide.
pub fn windows(spans: &[Span], end_ns: u64, width_ns: u64) -> Vec<Window> {
    let n = end_ns.div_ceil(width_ns).max(1) as usize;
    let mut out: Vec<Window> = (0..n)
        .map(|i| Window {
            start_s: (i as u64 * width_ns) as f64 / 1e9,
            invoked: 0,
            ok: 0,
            failed: 0,
            indeterminate: 0,
            latency_ms: None,
        })
        .collect();
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); n];
    for s in spans {
        let i = ((s.start_ns / width_ns) as usize).min(n - 1);
        let w = &mut out[i];
        w.invoked += 1;
        match s.end {
            SpanEnd::Ok => {
                w.ok += 1;
                latencies[i].push(s.latency_ns().unwrap_or(0) as f64 / 1e6);
            }
            SpanEnd::Failed => w.failed += 1,
            SpanEnd::Indeterminate | SpanEnd::Open => w.indeterminate += 1,
        }
    }
    for (w, mut l) in out.iter_mut().zip(latencies) {
        if !l.is_empty() {
            l.sort_by(f64::total_cmp);
            let q = |p| nearest_rank(&l, p);
            w.latency_ms = Some([q(0.50), q(0.95), q(0.99), q(1.0)]);
        }
    }
    out
}

/// A series' buckets regrouped into `n` windows `width_ns` wide (the driver records series at
/// the report's width already; a series kept at another width is summed into these windows).
pub fn rebucket(series: &Series, n: usize, width_ns: u64) -> Vec<Bucket> {
    let mut out = vec![Bucket::default(); n];
    for (i, b) in series.buckets.iter().enumerate() {
        let w = ((i as u64 * series.window_ns / width_ns) as usize).min(n.saturating_sub(1));
        if let Some(o) = out.get_mut(w) {
            o.sum += b.sum;
            o.count += b.count;
        }
    }
    out
}

/// `timeseries.csv`: one row per window; after the client operations' figures, each recorded
/// series as two columns, `<name>.sum` and `<name>.count` (values added, and how many).
pub fn to_csv(
    windows: &[Window],
    width_ns: u64,
    series: &BTreeMap<String, Series>,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let regrouped: Vec<Vec<Bucket>> =
        series.values().map(|s| rebucket(s, windows.len(), width_ns)).collect();
    let mut header: Vec<String> = [
        "time_s",
        "window_s",
        "invoked",
        "ok",
        "failed",
        "indeterminate",
        "availability",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "latency_max_ms",
    ]
    .map(String::from)
    .to_vec();
    for name in series.keys() {
        header.push(format!("{name}.sum"));
        header.push(format!("{name}.count"));
    }
    w.write_record(&header)?;
    let window_s = format!("{}", width_ns as f64 / 1e9);
    for (i, win) in windows.iter().enumerate() {
        let mut row = vec![
            format!("{}", win.start_s),
            window_s.clone(),
            win.invoked.to_string(),
            win.ok.to_string(),
            win.failed.to_string(),
            win.indeterminate.to_string(),
            win.availability().map(|a| format!("{a:.6}")).unwrap_or_default(),
        ];
        match win.latency_ms {
            Some(q) => row.extend(q.iter().map(|v| format!("{v:.3}"))),
            None => row.extend(std::iter::repeat_n(String::new(), 4)),
        }
        for buckets in &regrouped {
            row.push(buckets[i].sum.to_string());
            row.push(buckets[i].count.to_string());
        }
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start_ms: u64, latency_ms: Option<u64>, end: SpanEnd) -> Span {
        Span {
            process: 0,
            f: "read".into(),
            start_ns: start_ms * 1_000_000,
            end_ns: latency_ms.map(|l| (start_ms + l) * 1_000_000),
            end,
        }
    }

    #[test]
    fn widths_are_round_and_bounded() {
        assert_eq!(window_width_ns(60_000_000_000), 500_000_000);
        assert_eq!(window_width_ns(70_000_000_000), 1_000_000_000);
        assert_eq!(window_width_ns(2_000_000_000), 20_000_000);
        assert_eq!(window_width_ns(3_600_000_000_000), 30_000_000_000);
    }

    #[test]
    fn operations_count_in_the_window_of_their_invocation() {
        let spans = vec![
            span(100, Some(10), SpanEnd::Ok),
            span(900, Some(300), SpanEnd::Ok),
            span(950, Some(1000), SpanEnd::Indeterminate),
            span(1500, Some(2), SpanEnd::Failed),
            span(2500, None, SpanEnd::Open),
        ];
        let w = windows(&spans, 3_000_000_000, 1_000_000_000);
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].invoked, w[0].ok, w[0].indeterminate), (3, 2, 1));
        assert_eq!(w[0].latency_ms, Some([10.0, 300.0, 300.0, 300.0]));
        assert_eq!(w[1].availability(), Some(1.0), "a failed comparison is an answer");
        assert_eq!(w[1].latency_ms, None);
        assert_eq!(w[2].indeterminate, 1);
        let csv = String::from_utf8(to_csv(&w, 1_000_000_000, &BTreeMap::new()).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 4);
        assert!(csv.lines().nth(2).unwrap().starts_with("1,1,1,0,1,0,1.000000,,,,"), "{csv}");
    }
}
