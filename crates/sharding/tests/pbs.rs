//! scenarios/sharding-pbs-ssd.toml and sharding-pbs-disk.toml reproduce the t-visibility of
//! Bailis, Venkataraman, Franklin, Hellerstein and Stoica, "Probabilistically Bounded Staleness
//! for Practical Partial Quorums", VLDB 2012, for N = 3, R = W = 1.
//!
//! Two references, both outside this team:
//! - the figures the paper prints (section 5.6, "Observed t-visibility", with Figure 6):
//!   "Immediately after write commit, LNKD-SSD had a 97.4% probability of consistent reads,
//!   reaching over a 99.999% probability of consistent reads after five milliseconds", and
//!   "LNKD-DISK had only a 43.9% probability of consistent reads [immediately after commit]
//!   and, ten ms later, only a 92.5% probability". Each is one Monte-Carlo estimate from the
//!   authors' simulator at 10^5 trials per point, rounded to 0.1 percentage point;
//! - the authors' own simulator (nrw_solver/src/Simulator.java in
//!   github.com/pbailis/pbs-vldb-historical-paper-material, unchanged), run for every point at
//!   10^7 trials: the values in `AUTHORS` below.
//!
//! Tolerances come from the sampling error: against a printed figure, 3 standard errors of the
//! difference (the paper's, sqrt(p(1-p)/10^5), and ours) plus half the last printed digit;
//! against the authors' simulator, 4 standard errors of the difference.

use std::path::Path;

use sim_core::MetricValue;

/// (t, P(consistent), its standard error) from the authors' simulator, 10^7 trials per point.
const AUTHORS_SSD: [(&str, f64, f64); 4] = [
    ("0ms", 0.973718, 0.000051),
    ("1ms", 0.995047, 0.000022),
    ("5ms", 0.999991, 0.000001),
    ("10ms", 1.0, 0.0000003),
];
const AUTHORS_DISK: [(&str, f64, f64); 4] = [
    ("0ms", 0.436443, 0.000157),
    ("1ms", 0.583573, 0.000156),
    ("5ms", 0.818044, 0.000122),
    ("10ms", 0.926232, 0.000083),
];

/// A figure per grid point (`"0ms"` → value).
type ByPoint = Vec<(String, f64)>;

/// The run's t-visibility and standard errors by grid point.
fn measure(file: &str) -> (ByPoint, ByPoint) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let s = scenario::load(&path, &[]).unwrap();
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    let table = |name: &str| match result.metrics.iter().find(|(k, _)| k == name) {
        Some((_, MetricValue::Table(t))) => t.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        other => panic!("{name}: {other:?}"),
    };
    let (v, se): (ByPoint, ByPoint) = (table("t_visibility"), table("t_visibility_stderr"));
    // summary.json's contract: exactly these keys, plain probabilities.
    for t in [&v, &se] {
        let mut keys: Vec<&str> = t.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["0ms", "10ms", "1ms", "5ms"]);
        assert!(t.iter().all(|(_, p)| (0.0..=1.0).contains(p)));
    }
    (v, se)
}

fn at(table: &[(String, f64)], t: &str) -> f64 {
    table.iter().find(|(k, _)| k == t).unwrap_or_else(|| panic!("no {t}")).1
}

/// Ours against a printed figure `printed` (a percentage with one decimal).
fn against_paper(p: f64, se: f64, printed: f64, what: &str) {
    let paper_se = (printed * (1.0 - printed) / 1e5).sqrt();
    let tolerance = 3.0 * (se * se + paper_se * paper_se).sqrt() + 0.0005;
    println!("{what}: {p:.5} ± {se:.5} against the paper's {printed} (tolerance {tolerance:.4})");
    assert!((p - printed).abs() <= tolerance, "{what}: {p} against {printed}");
}

fn against_authors(v: &[(String, f64)], se: &[(String, f64)], authors: &[(&str, f64, f64)]) {
    for &(t, expected, their_se) in authors {
        let (p, s) = (at(v, t), at(se, t));
        // A probability of 1 has no sampling error of its own: allow what 3 stale reads in our
        // trials would be.
        let combined = (s * s + their_se * their_se).sqrt().max(3e-5);
        println!("t = {t}: {p:.6} ± {s:.6} against the authors' {expected:.6}");
        assert!((p - expected).abs() <= 4.0 * combined, "t = {t}: {p} against {expected}");
    }
}

#[test]
fn lnkd_ssd_matches_the_paper_and_the_authors_simulator() {
    let (v, se) = measure("sharding-pbs-ssd.toml");
    against_paper(at(&v, "0ms"), at(&se, "0ms"), 0.974, "LNKD-SSD at 0 ms");
    assert!(at(&v, "5ms") >= 0.9999, "LNKD-SSD at 5 ms: the paper says over 99.999%");
    against_authors(&v, &se, &AUTHORS_SSD);
}

#[test]
fn lnkd_disk_matches_the_paper_and_the_authors_simulator() {
    let (v, se) = measure("sharding-pbs-disk.toml");
    against_paper(at(&v, "0ms"), at(&se, "0ms"), 0.439, "LNKD-DISK at 0 ms");
    against_paper(at(&v, "10ms"), at(&se, "10ms"), 0.925, "LNKD-DISK at 10 ms");
    against_authors(&v, &se, &AUTHORS_DISK);
}
