//! The phi accrual detector's defining property, measured: when inter-arrival times really are
//! normal and stationary, a live node is suspected at threshold phi (phi rises above it before
//! the next heartbeat arrives) during a fraction 10^-phi of its intervals.
//!
//! Setup: one pinned seed; heartbeat gaps drawn i.i.d. from Normal(100 ms, 10 ms) truncated at
//! 0 (sim-core's ziggurat sampler; the truncation has probability Φ(-10) ≈ 10^-23); a window
//! of W = 1000 intervals, filled first (the warm-up); then N = 1,000,000 gaps. For each gap the
//! crossing time is computed from the window as it stands *before* that heartbeat arrives
//! (`suspect_at`, which agrees with `suspects` to the nanosecond), and the gap counts as
//! suspected when the crossing comes strictly before the arrival.
//!
//! The tolerance, for threshold phi with q = 10^-phi and z the normal quantile of 1 - q
//! (φ(z) the standard normal density there):
//!
//! - **Sampling error.** Given perfect estimates the suspected gaps are Bernoulli(q):
//!   variance q(1 - q)/N.
//! - **Estimation error, random part.** The window's mean and deviation are off by
//!   δm ≈ N(0, σ²/W) and δs ≈ N(0, σ²/2W), so the crossing moves by ε = δm/σ + z·δs/σ standard
//!   deviations, Var ε = (1 + z²/2)/W, and the gap's suspicion probability by about φ(z)·ε.
//!   Consecutive windows overlap, so these errors are correlated over W gaps: summed over a
//!   run, their covariances add up to W times the variance of one, and the extra variance of
//!   the measured fraction is φ(z)²(1 + z²/2)/N, whatever W. (A gap that exceeded also pushes
//!   later windows' mean and deviation up, a negative feedback that reduces the variance;
//!   leaving it out keeps the bound conservative.)
//! - **Estimation error, bias.** Averaging Q(z + ε) over ε: Q(z) - φ(z)·E ε + ½·z·φ(z)·E ε².
//!   The population deviation is low by about 3σ/4W on average (E ε = -3z/4W), and
//!   E ε² = (1 + z²/2)/W, so the expected fraction exceeds q by about φ(z)·z·(5 + z²)/4W:
//!   0.37% of q at phi = 1, 1.6% at phi = 2, 3.8% at phi = 3.
//!
//! The test allows 4 standard errors (the first two added in quadrature) plus the bias. The
//! measured fractions (seed 15; `--nocapture` prints them):
//!
//! | phi | 10^-phi | measured | predicted bias | standard error | tolerance | (measured - q) / se |
//! |---|---|---|---|---|---|---|
//! | 1 | 0.1 | 0.1001120 | 3.73e-4 | 3.82e-4 | ±1.90e-3 | +0.29 |
//! | 2 | 0.01 | 0.0100770 | 1.61e-4 | 1.12e-4 | ±6.09e-4 | +0.69 |
//! | 3 | 0.001 | 0.0009930 | 3.78e-5 | 3.26e-5 | ±1.68e-4 | -0.21 |
//!
//! The error model itself was checked once over 30 other seeds (100 to 129, not run here):
//! the mean of (measured - q)/se was +0.84, +1.46 and +1.22 for phi = 1, 2, 3, against a
//! predicted bias of 0.98, 1.44 and 1.16 standard errors; the spread about it was 0.51, 0.89 and
//! 0.84 standard errors, below 1 as the conservative bound says (counting the feedback term,
//! Var = (q(1 - q) - φ(z)²(1 + z²/2))/N, predicts 0.48, 0.76 and 0.94).

use failover::{PhiAccrual, PhiConfig, normal_quantile};
use sim_core::rng::{RngRoot, Stream};
use sim_core::{Distribution, LocalTime, SimDuration};

const SEED: u64 = 15;
/// The window, W.
const WINDOW: usize = 1_000;
/// Gaps measured after the warm-up, N.
const GAPS: usize = 1_000_000;
const THRESHOLDS: [f64; 3] = [1.0, 2.0, 3.0];

/// (allowed deviation from 10^-phi, its standard error, the expected bias), as the module
/// docs derive them.
fn tolerance(phi: f64) -> (f64, f64, f64) {
    let q = libm::pow(10.0, -phi);
    let z = -normal_quantile(q);
    let density = libm::exp(-0.5 * z * z) / libm::sqrt(2.0 * std::f64::consts::PI);
    let n = GAPS as f64;
    let w = WINDOW as f64;
    let sampling = q * (1.0 - q) / n;
    let estimation = density * density * (1.0 + 0.5 * z * z) / n;
    let standard_error = libm::sqrt(sampling + estimation);
    let bias = density * z * (5.0 + z * z) / (4.0 * w);
    (4.0 * standard_error + bias, standard_error, bias)
}

#[test]
fn a_live_node_is_suspected_during_a_fraction_10_to_the_minus_phi_of_its_intervals() {
    let gap = Distribution::Normal {
        mean: SimDuration::from_millis(100),
        stddev: SimDuration::from_millis(10),
    };
    let mut rng = RngRoot::new(SEED).stream(Stream::Node(0));
    // The floor sits far below the real 10 ms deviation, so it never binds.
    let config = PhiConfig {
        window: WINDOW,
        min_std_deviation: SimDuration::from_micros(100),
        ..PhiConfig::default()
    };
    let mut detector = PhiAccrual::new(config).unwrap();
    let mut now = 0i64;
    detector.heartbeat(LocalTime(now));
    for _ in 0..WINDOW {
        now += gap.sample(&mut rng).as_nanos() as i64;
        detector.heartbeat(LocalTime(now));
    }
    assert_eq!(detector.samples(), WINDOW);

    let mut suspected = [0u64; THRESHOLDS.len()];
    for i in 0..GAPS {
        let arrival = now + gap.sample(&mut rng).as_nanos() as i64;
        for (count, &threshold) in suspected.iter_mut().zip(&THRESHOLDS) {
            let crossing = detector.suspect_at(threshold).expect("a heartbeat has arrived");
            let before_arrival = crossing.0 < arrival;
            *count += u64::from(before_arrival);
            // Spot-check that the timer agrees with phi itself at the last instant before the
            // heartbeat (every check would double the run time).
            if i % 64 == 0 {
                let last_silent = LocalTime(arrival - 1);
                assert_eq!(detector.suspects(last_silent, threshold), before_arrival);
            }
        }
        detector.heartbeat(LocalTime(arrival));
        now = arrival;
    }

    println!("phi accrual, seed {SEED}: window {WINDOW}, {GAPS} gaps of Normal(100 ms, 10 ms)");
    println!("phi  10^-phi  measured     bias      std err    tolerance  (measured-q)/se");
    let mut failures = Vec::new();
    for (&count, &phi) in suspected.iter().zip(&THRESHOLDS) {
        let q = libm::pow(10.0, -phi);
        let measured = count as f64 / GAPS as f64;
        let (allowed, standard_error, bias) = tolerance(phi);
        println!(
            "{phi:<4} {q:<8} {measured:<12.7} {bias:<9.2e} {standard_error:<10.2e} ±{allowed:<9.2e} {:+.2}",
            (measured - q) / standard_error
        );
        if (measured - q).abs() > allowed {
            failures.push(format!("phi {phi}: measured {measured}, expected {q} ± {allowed}"));
        }
    }
    assert!(failures.is_empty(), "seed {SEED}: {failures:?}");
}
