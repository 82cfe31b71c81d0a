//! Little's law in steady state without faults: the mean number of sagas in flight equals the
//! arrival rate times the mean saga latency.
//!
//! The left side is measured by sampling the orders service's open orders every 100 ms while
//! orders arrive (`metrics.in_flight_mean`), the right from each saga's start and end
//! (`metrics.littles_law_in_flight`). With Poisson arrivals and sagas far shorter than the
//! sampling interval the sampled counts are close to independent Poisson draws of mean L, so
//! the sample mean's standard error is sqrt(L / n); the test allows four of them, plus 2% for
//! the right side's own estimate (the latencies' mean over thousands of sagas).

use std::path::Path;

use sim_core::MetricValue;

fn number(metrics: &[(String, MetricValue)], key: &str) -> f64 {
    match metrics.iter().find(|(k, _)| k == key).map(|(_, v)| v) {
        Some(MetricValue::Number(x)) => *x,
        Some(MetricValue::Count(n)) => *n as f64,
        other => panic!("{key}: {other:?}"),
    }
}

#[test]
fn sagas_in_flight_match_arrival_rate_times_latency() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/saga-baseline.toml");
    for (seed, rate) in [(1, 50.0), (2, 200.0)] {
        let sets = vec![
            "duration=\"60s\"".to_string(),
            format!("seed={seed}"),
            format!("saga.rate={rate}"),
        ];
        let s = scenario::load(&path, &sets).unwrap();
        let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
        let m = &result.metrics;
        let sampled = number(m, "in_flight_mean");
        let little = number(m, "littles_law_in_flight");
        let samples = 600.0; // 60 s every 100 ms
        let tolerance = 4.0 * (little / samples).sqrt() + 0.02 * little;
        println!("rate {rate}: sampled {sampled:.4}, λW {little:.4}, tolerance {tolerance:.4}");
        assert!(
            (sampled - little).abs() <= tolerance,
            "rate {rate}: sampled {sampled} against λW {little} (± {tolerance})"
        );
    }
}
