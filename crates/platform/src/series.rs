//! Protocol time series and the charts a protocol declares for them.
//!
//! A node records a series through its context (`ctx.metrics().add_to_series(name, now,
//! value)`): a counter adds 1 (or n) per event, a gauge adds its current value each time it
//! is sampled. The driver sets the kernel's series window to the report's window width, so
//! `timeseries.csv` and the charts read the series window for window. A [`SeriesChart`] says
//! how to draw some of them: per second (counters), the mean of the window's samples
//! (gauges), or the raw sum.

use sim_core::metrics::Bucket;

/// Window widths to choose from, nanoseconds: round numbers a reader takes in at a glance.
const WIDTHS_NS: &[u64] = &[
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
    30_000_000_000,
    60_000_000_000,
];

/// At most this many windows across a run.
const MAX_WINDOWS: u64 = 120;

/// The window width for a run lasting `end_ns`: the smallest round width giving at most
/// `MAX_WINDOWS` (120) windows.
pub fn window_width_ns(end_ns: u64) -> u64 {
    WIDTHS_NS
        .iter()
        .copied()
        .find(|w| end_ns.div_ceil(*w) <= MAX_WINDOWS)
        .unwrap_or(*WIDTHS_NS.last().expect("widths"))
}

/// How a line shows a series' windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// The window's sum divided by its width: events per second, for counters.
    PerSecond,
    /// The mean of the values added in the window, for gauges; no point where none was added.
    Mean,
    /// The window's sum.
    Sum,
}

impl Show {
    /// The value a window shows, if any.
    pub fn value(self, bucket: Bucket, window_s: f64) -> Option<f64> {
        match self {
            Show::PerSecond => Some(bucket.sum as f64 / window_s),
            Show::Mean => (bucket.count > 0).then(|| bucket.sum as f64 / bucket.count as f64),
            Show::Sum => Some(bucket.sum as f64),
        }
    }
}

/// One line of a protocol chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesLine {
    /// The series' name, as the nodes record it.
    pub series: &'static str,
    /// The legend's label.
    pub label: &'static str,
    /// How its windows are shown.
    pub show: Show,
}

/// A chart a protocol adds to the report, drawn over time with the fault bands and the quiet
/// period's start like the report's own charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesChart {
    /// File name without extension (`commit-rate`).
    pub name: &'static str,
    /// Heading.
    pub title: &'static str,
    /// How to read it, a sentence.
    pub caption: &'static str,
    /// The y axis' description, with its unit.
    pub y_label: &'static str,
    /// Its lines.
    pub lines: &'static [SeriesLine],
}
