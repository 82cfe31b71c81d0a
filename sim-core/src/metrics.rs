//! Metrics a run collects: counters, per-node counters and levels, latency histograms,
//! time-bucketed series, samples.
//!
//! Per-node figures (requests a server served, keys it holds) are one number per node, so a
//! report can show where load lands and how uneven it is ([`Metrics::node_imbalance`]). Like
//! every metric they are observations: they never enter the trace hash.
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
use crate::topology::NodeId;

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

/// How uneven per-node values are: the largest over the mean, so 1 is perfectly even and `k`
/// means the busiest node carries `k` times its share. The mean is over every value given,
/// zeros included; 0 when there are none or they are all 0.
pub fn imbalance(values: &[u64]) -> f64 {
    let Some(&max) = values.iter().max() else { return 0.0 };
    // max / (sum / len) as max · len / sum, in u128 (neither can overflow: fewer than 2^64
    // values below 2^64 each), so a perfectly even load gives exactly 1.
    let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
    if sum == 0 {
        return 0.0;
    }
    (u128::from(max) * values.len() as u128) as f64 / sum as f64
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
    /// Per-node counters and levels, indexed by node: at least one entry per server.
    node_counters: BTreeMap<String, Vec<u64>>,
    /// Servers in the topology: what a per-node figure covers and averages over.
    servers: usize,
    histograms: BTreeMap<String, Histogram<u64>>,
    series: BTreeMap<String, Series>,
    samples: BTreeMap<String, Vec<f64>>,
}

impl Metrics {
    /// Metrics whose series use windows of `window` (> 0), for a topology of `servers`
    /// servers.
    pub(crate) fn new(window: SimDuration, servers: u32) -> Self {
        assert!(window > SimDuration::ZERO, "metrics window must be positive");
        Metrics {
            window,
            counters: BTreeMap::new(),
            node_counters: BTreeMap::new(),
            servers: servers as usize,
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

    /// Adds `n` to `node`'s count of `name` (requests it served, say). A node's own handlers
    /// can use [`crate::Context::count_here`].
    pub fn count_node(&mut self, name: &str, node: NodeId, n: u64) {
        self.update_node(name, node, |v| *v += n);
    }

    /// Sets `node`'s level of `name` (keys it holds, say): a level is replaced, not added to.
    /// A node's own handlers can use [`crate::Context::set_here`].
    pub fn set_node(&mut self, name: &str, node: NodeId, value: u64) {
        self.update_node(name, node, |v| *v = value);
    }

    /// Applies `update` to `node`'s entry of a per-node figure, created at 0 (with one entry
    /// per server) on first use.
    fn update_node(&mut self, name: &str, node: NodeId, update: impl FnOnce(&mut u64)) {
        let i = node.index();
        // Look up before inserting, so only a figure's first use allocates its name.
        let values = match self.node_counters.get_mut(name) {
            Some(v) => v,
            None => {
                let servers = self.servers;
                self.node_counters.entry(name.to_string()).or_insert_with(|| vec![0; servers])
            }
        };
        // A client's entry lies past the servers'.
        if values.len() <= i {
            values.resize(i + 1, 0);
        }
        update(&mut values[i]);
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

    /// A per-node counter or level, indexed by [`NodeId::index`], if any node recorded it:
    /// one entry per server (0 for a server that never recorded), and entries for clients
    /// only up to the last client that did.
    pub fn node_counters(&self, name: &str) -> Option<&[u64]> {
        self.node_counters.get(name).map(Vec::as_slice)
    }

    /// All per-node counters and levels, by name.
    pub fn all_node_counters(&self) -> &BTreeMap<String, Vec<u64>> {
        &self.node_counters
    }

    /// How uneven a per-node figure is over the servers: the largest server's value over the
    /// mean of every server in the topology (up, crashed, or not yet joined alike, so a server
    /// that holds nothing pulls the mean down); clients are left out. 0 when the mean is 0,
    /// and for a figure never recorded. For another set of nodes (the members now, one
    /// group), pass their values to [`imbalance`].
    pub fn node_imbalance(&self, name: &str) -> f64 {
        let values = self.node_counters(name).unwrap_or(&[]);
        imbalance(&values[..self.servers.min(values.len())])
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
        let mut m = Metrics::new(SimDuration::from_secs(1), 3);
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
        let mut m = Metrics::new(SimDuration::from_secs(1), 3);
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

    #[test]
    fn per_node_counts_add_up_beside_the_global_counters() {
        let mut m = Metrics::new(SimDuration::from_secs(1), 3);
        m.count("served", 7);
        m.count_node("served", NodeId(1), 2);
        m.count_node("served", NodeId(1), 3);
        m.count_node("served", NodeId(2), 1);
        // One entry per server, whether it counted or not.
        assert_eq!(m.node_counters("served"), Some(&[0, 5, 1][..]));
        assert_eq!(m.counter("served"), 7, "a global counter of the same name is its own");
        assert_eq!(m.node_counters("other"), None);
        // A client (index 4, past servers 0..3) gets its own entry, after the servers'.
        m.count_node("sent", NodeId(4), 1);
        assert_eq!(m.node_counters("sent"), Some(&[0, 0, 0, 0, 1][..]));
        assert_eq!(m.all_node_counters().keys().collect::<Vec<_>>(), ["sent", "served"]);
    }

    #[test]
    fn per_node_levels_are_replaced() {
        let mut m = Metrics::new(SimDuration::from_secs(1), 3);
        m.set_node("keys", NodeId(0), 10);
        m.set_node("keys", NodeId(0), 4);
        m.set_node("keys", NodeId(2), 8);
        assert_eq!(m.node_counters("keys"), Some(&[4, 0, 8][..]));
    }

    #[test]
    fn imbalance_is_the_largest_over_the_mean_of_the_servers() {
        assert_eq!(imbalance(&[]), 0.0);
        assert_eq!(imbalance(&[0, 0]), 0.0);
        assert_eq!(imbalance(&[5, 5, 5]), 1.0);
        assert_eq!(imbalance(&[6, 0, 0]), 3.0);
        assert_eq!(imbalance(&[u64::MAX, u64::MAX]), 1.0);

        let mut m = Metrics::new(SimDuration::from_secs(1), 4);
        assert_eq!(m.node_imbalance("keys"), 0.0, "never recorded");
        m.set_node("keys", NodeId(0), 0);
        assert_eq!(m.node_imbalance("keys"), 0.0, "mean 0");
        // Servers 2 and 3 never recorded: they hold nothing and count in the mean (2).
        m.set_node("keys", NodeId(0), 3);
        m.set_node("keys", NodeId(1), 5);
        assert_eq!(m.node_imbalance("keys"), 2.5);
        // A client's entry is not a server's load.
        m.set_node("keys", NodeId(6), 1000);
        assert_eq!(m.node_imbalance("keys"), 2.5);
        assert_eq!(imbalance(&m.node_counters("keys").unwrap()[..2]), 5.0 / 4.0);
    }
}
