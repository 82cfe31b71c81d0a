//! scenarios/raft-election-timeout.toml reproduces the shape of the Raft paper's Figure 16:
//! identical timeouts split votes past the 10 s cap, a few milliseconds of randomness end that,
//! and shorter timeouts elect faster; the servers' logs differ at every crash, as in the
//! paper's trials. Pinned seed, 60 trials per point.

use std::path::Path;

use sim_core::MetricValue;
use sweep::plan::Plan;

/// One point's downtimes (sorted) and capped trials, after checking that no election followed
/// a crash with the voters' logs all equal.
fn downtime(plan: &Plan, range: &str) -> (Vec<f64>, u64) {
    let point = plan
        .points
        .iter()
        .position(|p| p.iter().any(|(_, v)| v.as_str() == Some(range)))
        .unwrap_or_else(|| panic!("{range} is a point of the sweep"));
    let spec = plan.runs().into_iter().find(|r| r.point == point).unwrap();
    let mut s = plan.scenario_for(&spec).unwrap();
    s.duration = sim_core::SimDuration::from_secs(700);
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    let metric =
        |name: &str| result.metrics.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let Some(MetricValue::Distribution(d)) = metric("election_downtime_ms") else { panic!() };
    let Some(MetricValue::Count(capped)) = metric("elections_capped") else { panic!() };
    let Some(MetricValue::Count(equal)) = metric("elections_after_equal_logs") else { panic!() };
    assert_eq!(equal, 0, "{range}: an election after a crash that left every log equal");
    // Crashes armed during a long split vote all land on the next leader's first heartbeat;
    // they are one trial, ended by one election, not one trial each.
    let Some(MetricValue::Count(elections)) = metric("elections") else { panic!() };
    let ended = d.samples.as_ref().unwrap().len() as u64 - capped;
    assert!(ended < elections, "{range}: {ended} trials ended by {elections} elections");
    let mut samples = d.samples.unwrap();
    samples.sort_by(f64::total_cmp);
    (samples, capped)
}

#[test]
fn the_curves_have_the_papers_shape() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/raft-election-timeout.toml");
    let plan = Plan::new(&scenario::load(&path, &[]).unwrap());
    assert_eq!(plan.points.len(), 10, "six ranges in the first graph, four more in the second");

    let (same, capped) = downtime(&plan, "150ms..150ms");
    assert!(
        !same.is_empty() && capped as usize * 4 >= same.len() * 3,
        "150-150: {capped} of {} capped",
        same.len()
    );

    let (five, capped5) = downtime(&plan, "150ms..155ms");
    let median = |s: &[f64]| s[s.len() / 2];
    assert!(five.len() >= 50 && capped5 == 0);
    assert!(median(&five) > 150.0 && median(&five) < 1000.0, "150-155 median {}", median(&five));

    let (wide, capped_wide) = downtime(&plan, "150ms..300ms");
    assert_eq!(capped_wide, 0);
    assert!(*wide.last().unwrap() < 1000.0, "150-300 worst {}", wide.last().unwrap());
    assert!(wide[0] > 60.0, "no election beats half the minimum timeout by much: {}", wide[0]);

    let (short, _) = downtime(&plan, "12ms..24ms");
    assert!(
        median(&short) < 60.0 && median(&short) < median(&wide) / 3.0,
        "12-24 median {}",
        median(&short)
    );
}
