//! Metrics a run collects: counters, latency histograms, time-bucketed series, samples.
//!
//! Histograms are `hdrhistogram` (3 significant digits, values up to one hour in nanoseconds,
//! fixed memory whatever the run length);
//! series add values into fixed-width windows of simulated time (memory grows with simulated
//! duration, never with the number of events), for availability and throughput charts;
//! samples keep every value of a rare event (one per election, say) so reports can draw CDFs.
//! Keys are ordered maps, so every report lists metrics in the same order.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::time::{SimDuration, SimTime};

/// The largest value a histogram distinguishes: one hour in nanoseconds.
pub const HISTOGRAM_MAX: u64 = 3_600_000_000_000;

/// One window of a series: the sum and number of values added in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Sum of the values added.
    pub sum: u64,
    /// Number of values added.
    pub count: u64,
}

/// A time-bucketed series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    /// Window width in nanoseconds.
    pub window_ns: u64,
    /// Window `i` covers `[i·window, (i+1)·window)`.
    pub buckets: Vec<Bucket>,
}

/// A summary of a distribution, nearest-rank percentiles (the shape `summary.json` uses).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistributionSummary {
    /// Number of values.
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
    /// Every value, in the order recorded; `None` for a distribution read from a histogram
    /// (one value per event would grow with the run's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<f64>>,
}

impl DistributionSummary {
    /// Summarises `samples` (empty gives zeros).
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| nearest_rank(&sorted, p);
        DistributionSummary {
            count: samples.len() as u64,
            min: q(0.0),
            p10: q(0.10),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            max: q(1.0),
            samples: Some(samples.to_vec()),
        }
    }

    /// Summarises a histogram of nanoseconds in milliseconds, without samples.
    pub fn of_histogram_ms(h: &Histogram<u64>) -> Self {
        let ms = |ns: u64| ns as f64 / 1e6;
        let q = |p: f64| if h.is_empty() { 0.0 } else { ms(h.value_at_quantile(p)) };
        DistributionSummary {
            count: h.len(),
            min: if h.is_empty() { 0.0 } else { ms(h.min()) },
            p10: q(0.10),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            max: if h.is_empty() { 0.0 } else { ms(h.max()) },
            samples: None,
        }
    }
}

/// One figure a protocol reports (`summary.json`'s `metrics`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// A count of events.
    Count(u64),
    /// A measured number (a ratio, a mean).
    Number(f64),
    /// A distribution, with its samples where they are kept.
    Distribution(DistributionSummary),
    /// Figures by name, one object in `summary.json` (a probability at each of several
    /// delays: `{"0ms": 0.97, "1ms": 0.99}`).
    Table(BTreeMap<String, f64>),
}

/// Nearest-rank percentile of sorted values (`p` in [0, 1]); 0 for no values.
pub fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// All metrics of one run.
#[derive(Clone, Debug)]
pub struct Metrics {
    window: SimDuration,
    counters: BTreeMap<String, u64>,
    histograms: BTreeMap<String, Histogram<u64>>,
    series: BTreeMap<String, Series>,
    samples: BTreeMap<String, Vec<f64>>,
}

impl Metrics {
    /// Metrics whose series use windows of `window` (> 0).
    pub(crate) fn new(window: SimDuration) -> Self {
        assert!(window > SimDuration::ZERO, "metrics window must be positive");
        Metrics {
            window,
            counters: BTreeMap::new(),
            histograms: BTreeMap::new(),
            series: BTreeMap::new(),
            samples: BTreeMap::new(),
        }
    }

    /// Adds `n` to a counter.
    pub fn count(&mut self, name: &str, n: u64) {
        match self.counters.get_mut(name) {
            Some(c) => *c += n,
            None => {
                self.counters.insert(name.to_string(), n);
            }
        }
    }

    /// Records a value (nanoseconds for latencies) in a histogram; values above one hour of
    /// nanoseconds count as one hour.
    pub fn record(&mut self, name: &str, value: u64) {
        let h = match self.histograms.get_mut(name) {
            Some(h) => h,
            None => self.histograms.entry(name.to_string()).or_insert_with(|| {
                Histogram::new_with_bounds(1, HISTOGRAM_MAX, 3).expect("valid histogram bounds")
            }),
        };
        h.saturating_record(value);
    }

    /// Adds `value` to the series window that contains `time`.
    pub fn add_to_series(&mut self, name: &str, time: SimTime, value: u64) {
        let window_ns = self.window.0;
        let s = match self.series.get_mut(name) {
            Some(s) => s,
            None => self
                .series
                .entry(name.to_string())
                .or_insert_with(|| Series { window_ns, buckets: Vec::new() }),
        };
        let i = (time.0 / window_ns) as usize;
        if s.buckets.len() <= i {
            s.buckets.resize(i + 1, Bucket::default());
        }
        s.buckets[i].sum += value;
        s.buckets[i].count += 1;
    }

    /// Keeps one value of a distribution metric (e.g. an election's downtime in ms).
    pub fn sample(&mut self, name: &str, value: f64) {
        match self.samples.get_mut(name) {
            Some(v) => v.push(value),
            None => {
                self.samples.insert(name.to_string(), vec![value]);
            }
        }
    }

    /// A counter's value (0 if never counted).
    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// All counters, by name.
    pub fn counters(&self) -> &BTreeMap<String, u64> {
        &self.counters
    }

    /// A histogram, if anything was recorded in it.
    pub fn histogram(&self, name: &str) -> Option<&Histogram<u64>> {
        self.histograms.get(name)
    }

    /// All histograms, by name.
    pub fn histograms(&self) -> &BTreeMap<String, Histogram<u64>> {
        &self.histograms
    }

    /// A series, if anything was added to it.
    pub fn series(&self, name: &str) -> Option<&Series> {
        self.series.get(name)
    }

    /// All series, by name.
    pub fn all_series(&self) -> &BTreeMap<String, Series> {
        &self.series
    }

    /// A distribution metric's values.
    pub fn samples(&self, name: &str) -> &[f64] {
        self.samples.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// All distribution metrics, by name.
    pub fn all_samples(&self) -> &BTreeMap<String, Vec<f64>> {
        &self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_bucket_by_window_and_memory_follows_sim_time() {
        let mut m = Metrics::new(SimDuration::from_secs(1));
        for i in 0..100_000u64 {
            m.add_to_series("ok", SimTime(i * 10_000), 1);
        }
        let s = m.series("ok").unwrap();
        assert_eq!(s.buckets.len(), 1);
        assert_eq!(s.buckets[0].count, 100_000);
        m.add_to_series("ok", SimTime(2_500_000_000), 3);
        assert_eq!(m.series("ok").unwrap().buckets[2], Bucket { sum: 3, count: 1 });
    }

    #[test]
    fn nearest_rank_percentiles() {
        let d = DistributionSummary::of(&[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((d.min, d.p50, d.max, d.p10, d.p90), (1.0, 3.0, 5.0, 1.0, 5.0));
        assert_eq!(DistributionSummary::of(&[]).count, 0);
    }

    #[test]
    fn histograms_and_counters() {
        let mut m = Metrics::new(SimDuration::from_secs(1));
        for v in 1..=1000 {
            m.record("lat", v * 1000);
        }
        m.count("sent", 2);
        m.count("sent", 3);
        assert_eq!(m.counter("sent"), 5);
        let h = m.histogram("lat").unwrap();
        assert_eq!(h.len(), 1000);
        let median = h.value_at_quantile(0.5) as f64;
        assert!((median - 500_000.0).abs() / 500_000.0 < 0.005, "median {median}");
    }
}
