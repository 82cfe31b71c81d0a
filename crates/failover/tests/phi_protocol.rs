//! The phi accrual detector's defining property, measured through the whole protocol: monitors
//! ping a live primary over a network whose latency is normal, and a monitor suspects the
//! primary during a fraction 10^-phi of the gaps between its answers (`metrics.heartbeat_gaps`,
//! `metrics.suspected_gap_fraction`: a gap is suspected when the detector's suspicion timer
//! fired before the answer that ends it arrived). `tests/phi_statistics.rs` checks the same on
//! the detector alone, fed synthetic gaps; this checks that the protocol around it — pings on
//! a timer, answers over the simulated network, the gap counting in `monitor.rs` — keeps it.
//!
//! Setup (one scenario per threshold, built below; seed 15 pinned): one database node (always
//! serving: asynchronous replication, no leases), nine monitors pinging it every T = 100 ms,
//! every link's latency Normal(10 ms, 1 ms) (truncated at 0, which has probability Φ(-10)), no
//! clock drift, a partition cutting the monitors off from the controller for the whole run (so
//! their suspicions never reach it: no failover resets a detector), `phi_window` W = 1000,
//! `phi_min_std` 100 µs (twenty times below the real deviation, so it never binds), 3 hours:
//! about 972,000 gaps.
//!
//! The gaps. Ping k leaves at kT (the monitor's timer) and its answer arrives at kT + X_k,
//! where X_k, the two legs' latencies, is Normal(20 ms, (√2 ms)²), independent from ping to
//! ping. The gap d_k = T + X_{k+1} - X_k is Normal(T, (2 ms)²). Answers 100 ms apart with
//! latencies 2 ms wide never reorder. Consecutive gaps share one X_k (a late answer makes one
//! gap long and the next short): correlation -1/2, a stationary normal MA(1) series. Each gap
//! on its own is normal, so given an exact fit it is suspected with probability q = 10^-phi.
//!
//! The tolerance, for threshold phi with q = 10^-phi, z the normal quantile of 1 - q and φ(z)
//! the standard normal density there, N the gaps measured:
//!
//! - **Sampling error.** Bernoulli(q) per gap: variance q(1 - q)/N. (Consecutive suspicions
//!   are negatively correlated, which makes the real variance smaller: conservative.)
//! - **Estimation error, random part.** The window's mean telescopes, (X_last - X_first)/W, so
//!   it is off by only about σ/W (σ = 2 ms). Its deviation, for an MA(1) series with lag-one
//!   correlation ρ = -1/2, has Var ŝ² ≈ (2σ⁴/W)(1 + 2ρ²) = 3σ⁴/W, so δs ≈ N(0, 3σ²/4W): the
//!   crossing moves by ε ≈ z·δs/σ standard deviations, Var ε = 3z²/4W. The windows of
//!   neighbouring gaps overlap, so, as in `phi_statistics.rs`, the errors summed over a run add
//!   φ(z)²·(3z²/4)/N to the measured fraction's variance, whatever W.
//! - **Estimation error, bias.** E ŝ² = σ²(1 - 1/W²) (subtracting the telescoped mean costs
//!   almost nothing) and E ŝ ≈ σ(1 - Var ŝ²/8σ⁴) = σ(1 - 3/8W): E ε = -3z/8W and
//!   E ε² = 3z²/4W, so the expected fraction Q(z) - φ(z)·E ε + ½·z·φ(z)·E ε² exceeds q by
//!   3φ(z)·z(1 + z²)/8W: 0.22% of q at phi = 1, 1.5% at phi = 2, 4.1% at phi = 3.
//! - **Warm-up.** Each monitor's first W gaps are fitted on fewer intervals (the detector uses
//!   its first-heartbeat estimate until two have arrived). They are 1% of the gaps, and leave
//!   no trace measurable here: over the 20 seeds below, the fraction without each monitor's
//!   first 1,200 gaps (the difference with a 120 s run of the same seed, its exact prefix) was
//!   0.27%, 1.40% and 3.31% over q, as close to the prediction as with them.
//!
//! The test allows 4 standard errors (the first two added in quadrature) around q plus the
//! bias. The measured fractions (seed 15; `--nocapture` prints them):
//!
//! | phi | 10^-phi | gaps | measured | q + bias | standard error | tolerance | (measured - q - bias) / se |
//! |---|---|---|---|---|---|---|---|
//! | 1 | 0.1 | 971,982 | 0.1000728 | 0.1002229 | 3.63e-4 | ±1.45e-3 | -0.41 |
//! | 2 | 0.01 | 971,982 | 0.0102553 | 0.0101491 | 1.15e-4 | ±4.59e-4 | +0.93 |
//! | 3 | 0.001 | 971,982 | 0.0010103 | 0.0010412 | 3.33e-5 | ±1.33e-4 | -0.93 |
//!
//! The error model was checked once over 20 other seeds (1 to 20, 3 h each, not run here):
//! pooled over them the fraction exceeded q by 0.28%, 1.49% and 3.62% at phi = 1, 2 and 3,
//! against a predicted 0.22%, 1.49% and 4.12% (+0.76, -0.01 and -0.66 pooled standard
//! errors); the seeds' spread about the prediction was 0.44, 0.76 and 0.84 standard errors,
//! below 1 as the negative correlations make it. That check found the one flaw this test
//! guards against: the monitor fed its detector the time from the watch to the first answer
//! (a ping interval plus a round trip, 120 ms here, ten deviations above the mean gap) as if it
//! were a gap, which inflated the fitted deviation over the first W gaps; pooled, the fraction
//! came out at -0.03%, +0.88% and +2.55% of q (-3.1, -2.4 and -2.1 pooled standard errors).
//! The first answer now starts the detector afresh, and that span is not counted as a gap.

use std::path::Path;

use failover::normal_quantile;
use sim_core::MetricValue;

const SEED: u64 = 15;
/// The ping interval, in milliseconds.
const INTERVAL_MS: u64 = 100;
const MONITORS: u64 = 9;
/// Simulated time per threshold, in seconds.
const SECONDS: u64 = 3 * 3600;
/// The window, W.
const WINDOW: usize = 1000;
const THRESHOLDS: [f64; 3] = [1.0, 2.0, 3.0];

fn scenario(phi: f64) -> String {
    let monitors: Vec<String> = (1..=MONITORS).map(|i| format!("\"m{i}\"")).collect();
    format!(
        r#"
name = "phi-protocol"
protocol = "failover"
seed = {SEED}
duration = "{SECONDS}s"
nodes = 1

[failover]
replication = "async"
leases = false
monitors = {MONITORS}
detector = "phi"
heartbeat_interval = "{INTERVAL_MS}ms"
phi_threshold = {phi:?}
phi_window = {WINDOW}
phi_min_std = "100us"

[workload]
clients = 0

[network]
latency = {{ dist = "normal", mean = "10ms", stddev = "1ms" }}

[[fault]]
at = "0s"
kind = "partition"
groups = [[{}], ["controller"]]
"#,
        monitors.join(", ")
    )
}

/// (gaps, the suspected fraction, failovers) of one run at threshold `phi`.
fn measure(phi: f64) -> (u64, f64, u64) {
    let s = scenario::load_str(Path::new("phi-protocol.toml"), &scenario(phi), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    let metric = |name: &str| {
        result
            .metrics
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no metric {name}"))
    };
    let (MetricValue::Count(gaps), MetricValue::Number(fraction), MetricValue::Count(failovers)) =
        (metric("heartbeat_gaps"), metric("suspected_gap_fraction"), metric("failovers"))
    else {
        panic!("unexpected metric kinds");
    };
    (gaps, fraction, failovers)
}

/// (the expected bias, the standard error) of the fraction measured over `gaps` gaps, as the
/// module docs derive them.
fn error_model(phi: f64, gaps: u64) -> (f64, f64) {
    let q = libm::pow(10.0, -phi);
    let z = -normal_quantile(q);
    let density = libm::exp(-0.5 * z * z) / libm::sqrt(2.0 * std::f64::consts::PI);
    let n = gaps as f64;
    let w = WINDOW as f64;
    let sampling = q * (1.0 - q) / n;
    let estimation = density * density * 0.75 * z * z / n;
    let bias = 3.0 * density * z * (1.0 + z * z) / (8.0 * w);
    (bias, libm::sqrt(sampling + estimation))
}

#[test]
fn monitors_suspect_a_live_primary_during_a_fraction_10_to_the_minus_phi_of_its_gaps() {
    let runs: Vec<(u64, f64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            THRESHOLDS.iter().map(|&phi| scope.spawn(move || measure(phi))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    println!(
        "phi accrual through the protocol, seed {SEED}: {MONITORS} monitors, a ping every {INTERVAL_MS} ms for {SECONDS} s, window {WINDOW}"
    );
    println!(
        "phi  10^-phi  gaps     measured    q + bias    std err    tolerance  (measured-q-bias)/se"
    );
    let mut failures = Vec::new();
    for (&(gaps, measured, failovers), &phi) in runs.iter().zip(&THRESHOLDS) {
        // The run is the one designed: no failover reset a detector, and every ping but the
        // first of each monitor (which starts its detector) ended a gap.
        assert_eq!(failovers, 0, "phi {phi}: the monitors' suspicions reached the controller");
        let pings = SECONDS * 1000 / INTERVAL_MS;
        assert!(gaps >= MONITORS * (pings - 2), "phi {phi}: only {gaps} gaps");
        let q = libm::pow(10.0, -phi);
        let (bias, standard_error) = error_model(phi, gaps);
        let allowed = 4.0 * standard_error;
        let expected = q + bias;
        println!(
            "{phi:<4} {q:<8} {gaps:<8} {measured:<11.7} {expected:<11.7} {standard_error:<10.2e} ±{allowed:<9.2e} {:+.2}",
            (measured - expected) / standard_error
        );
        if (measured - expected).abs() > allowed {
            failures.push(format!(
                "phi {phi}: measured {measured} over {gaps} gaps, expected {expected} ± {allowed}"
            ));
        }
    }
    assert!(failures.is_empty(), "seed {SEED}: {failures:?}");
}
