//! Che's approximation against simulation: LRU (and FIFO) on independent Zipf requests hit as
//! often as the approximation says, and W-TinyLFU hits more often than LRU.
//!
//! The catalogue has 50,000 objects of unit size; the exponent is 0.5 or 0.86; the cache holds
//! 1.25% to 40% of the catalogue (entries capacity). Each point draws its own request stream
//! from a pinned seed and serves every request to LRU, FIFO and W-TinyLFU alike.
//!
//! **Warm-up and cold misses.** The first `max(10 T_C, 20 C)` requests are served but not
//! counted (`T_C`, FIFO's characteristic time, the longer of the two models'; `C` the cache
//! size). For LRU this makes the measurement exact, not only nearly so: an LRU cache of unit
//! objects holds exactly the `C` most recently requested distinct objects, so once it is full
//! (asserted) its state is the one it would have after an infinite past, and every later miss,
//! including the first request of an object never seen before, is a miss of the stationary
//! cache. FIFO's contents turn over within a few `T_C`; W-TinyLFU's frequency sketch ages
//! every `10 C` requests, so by `20 C` it has aged twice and its counts are those of the
//! workload, not of the empty start. So the cold misses of the start are all discarded, at
//! every cache size.
//!
//! **Tolerance.** The counted requests form 32 consecutive batches, each at least four
//! characteristic times long (and at least 100,000 requests); the standard error of the hit
//! ratio is the batch means' (their standard deviation over √32). A cache's hits are correlated
//! over about one characteristic time, so batches this long are nearly independent: in runs of
//! 10^8 requests, batch-means errors stopped growing at batch lengths beyond 4 `T_C`, at 1.0
//! to 1.2 times the binomial error. The tolerance is 4 standard errors (a false alarm about once
//! in 16,000 points, even allowing for the standard error being itself estimated from 32
//! batches) plus [`CHE_BIAS`], the approximation's own error.

use cache::{Capacity, CheModel, PolicyKind, Zipf};
use sim_core::rng::{RngRoot, Stream};

/// Objects in the catalogue.
const OBJECTS: u64 = 50_000;
/// Cache sizes, in hundredths of a percent of the catalogue: 1.25% to 40%.
const SIZES_BASIS_POINTS: [u64; 6] = [125, 250, 500, 1_000, 2_000, 4_000];
/// The first point's seed; point `i` (counting across both exponents) uses `SEED + i`.
const SEED: u64 = 2002;
/// Batches of counted requests, for the standard error.
const BATCHES: usize = 32;
/// A batch's least length, in requests.
const BATCH_MIN: u64 = 100_000;
/// Standard errors of sampling noise allowed.
const STDERRS: f64 = 4.0;
/// The approximation's own error allowed, in hit ratio. Che's approximation is not exact for a
/// finite catalogue, but Fricker, Robert and Roberts (2012) show its error vanishes as the
/// catalogue and the cache grow, and at 50,000 objects it is below what we can measure: runs of
/// 10^8 requests per point (seed 99; 100 times this test's) found |measured − Che| ≤ 9·10^-5
/// for LRU and FIFO at every point here, with standard errors of 2 to 6·10^-5, and no sign
/// common to all points. The largest |difference| plus two of its standard errors is
/// 2.1·10^-4; this allows 2.5·10^-4, a tenth of the test's sampling tolerance or less.
const CHE_BIAS: f64 = 2.5e-4;

/// The policies every request is served to, and the models the first two are held to.
const POLICIES: [PolicyKind; 3] = [PolicyKind::Lru, PolicyKind::Fifo, PolicyKind::WTinyLfu];
const MODELS: [CheModel; 2] = [CheModel::Lru, CheModel::Fifo];

/// A hit ratio measured over batches: the mean and its batch-means standard error.
#[derive(Clone, Copy, Debug)]
struct Measured {
    hit_ratio: f64,
    stderr: f64,
}

impl Measured {
    /// From each batch's hits, batches of `batch_len` requests.
    fn from_batches(hits: &[u64], batch_len: u64) -> Self {
        let means: Vec<f64> = hits.iter().map(|&h| h as f64 / batch_len as f64).collect();
        let n = means.len() as f64;
        let hit_ratio = means.iter().sum::<f64>() / n;
        let variance = means.iter().map(|m| (m - hit_ratio).powi(2)).sum::<f64>() / (n - 1.0);
        Self { hit_ratio, stderr: (variance / n).sqrt() }
    }
}

/// One cache size at one exponent: Che's figures and what the three policies measured.
struct Point {
    seed: u64,
    size: u64,
    exponent: f64,
    requests: u64,
    che: [cache::Che; 2],
    measured: [Measured; 3],
}

/// Simulates one point: warm-up, then `BATCHES` batches, every request served to every policy.
fn simulate(zipf: &Zipf, popularities: &[f64], size: u64, seed: u64) -> Point {
    let che = MODELS.map(|model| model.approximate(popularities, size).unwrap());
    let longest_time = che.iter().map(|che| che.characteristic_time).fold(0.0, f64::max);
    let warm_up = ((10.0 * longest_time) as u64).max(20 * size);
    let batch_len = ((4.0 * longest_time).ceil() as u64).max(BATCH_MIN);

    let mut policies = POLICIES.map(|kind| kind.build(Capacity::Entries(size)));
    let mut rng = RngRoot::new(seed).stream(Stream::Workload);
    for _ in 0..warm_up {
        let key = zipf.sample(&mut rng);
        for policy in &mut policies {
            policy.request(key, 1, None);
        }
    }
    assert_eq!(policies[0].len() as u64, size, "seed {seed}: LRU is full after the warm-up");
    let mut hits = [[0u64; BATCHES]; 3];
    for batch in 0..BATCHES {
        for _ in 0..batch_len {
            let key = zipf.sample(&mut rng);
            for (policy, hits) in policies.iter_mut().zip(&mut hits) {
                hits[batch] += u64::from(policy.request(key, 1, None));
            }
        }
    }
    Point {
        seed,
        size,
        exponent: zipf.exponent(),
        requests: batch_len * BATCHES as u64,
        che,
        measured: hits.map(|hits| Measured::from_batches(&hits, batch_len)),
    }
}

/// Runs every cache size at one exponent, prints the table and checks it.
fn check_exponent(exponent: f64, first_point: u64) {
    let zipf = Zipf::new(OBJECTS, exponent).unwrap();
    let popularities = zipf.probabilities();
    let points: Vec<Point> = SIZES_BASIS_POINTS
        .iter()
        .zip(first_point..)
        .map(|(&basis_points, index)| {
            simulate(&zipf, &popularities, OBJECTS * basis_points / 10_000, SEED + index)
        })
        .collect();

    // One print, so the two exponents' tables (tests run in parallel) do not interleave.
    let mut table = format!(
        "Che's approximation vs simulation: {OBJECTS} objects, Zipf s = {exponent}, seeds \
         {SEED}+{first_point}..\n\
         {:>6} {:>6} {:>5} {:>4} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9}\n",
        "size", "%", "s", "", "T_C", "Che", "measured", "stderr", "diff", "tol", "W-TinyLFU"
    );
    for point in &points {
        for (i, model) in MODELS.iter().enumerate() {
            let (che, measured) = (point.che[i], point.measured[i]);
            table += &format!(
                "{:>6} {:>5.2}% {:>5} {:>4} {:>8.0} {:>8.5} {:>8.5} {:>8.5} {:>+9.5} {:>8.5} {:>9}\n",
                point.size,
                100.0 * point.size as f64 / OBJECTS as f64,
                point.exponent,
                format!("{model:?}").to_uppercase(),
                che.characteristic_time,
                che.hit_ratio,
                measured.hit_ratio,
                measured.stderr,
                measured.hit_ratio - che.hit_ratio,
                tolerance(measured),
                if i == 0 { format!("{:.5}", point.measured[2].hit_ratio) } else { String::new() },
            );
        }
    }
    println!("{table}");

    for point in &points {
        for (i, model) in MODELS.iter().enumerate() {
            let (che, measured) = (point.che[i], point.measured[i]);
            let difference = measured.hit_ratio - che.hit_ratio;
            assert!(
                difference.abs() <= tolerance(measured),
                "seed {}: {model:?}, cache of {} objects, s = {exponent}, {} requests: measured \
                 hit ratio {:.5} ± {:.5}, Che {:.5}, difference {difference:+.5} beyond the \
                 tolerance {:.5}",
                point.seed,
                point.size,
                point.requests,
                measured.hit_ratio,
                measured.stderr,
                che.hit_ratio,
                tolerance(measured),
            );
        }
        // W-TinyLFU keeps the popular objects LRU loses to one-off requests: clearly better,
        // by more than four of LRU's standard errors (the two serve the same requests).
        let (lru, wtinylfu) = (point.measured[0], point.measured[2]);
        assert!(
            wtinylfu.hit_ratio > lru.hit_ratio + STDERRS * lru.stderr,
            "seed {}: cache of {} objects, s = {exponent}: W-TinyLFU hit ratio {:.5}, LRU {:.5} \
             ± {:.5}",
            point.seed,
            point.size,
            wtinylfu.hit_ratio,
            lru.hit_ratio,
            lru.stderr,
        );
    }
}

/// How far a measured hit ratio may be from Che's.
fn tolerance(measured: Measured) -> f64 {
    STDERRS * measured.stderr + CHE_BIAS
}

#[test]
fn che_approximation_predicts_lru_and_fifo_at_zipf_0_5() {
    check_exponent(0.5, 0);
}

#[test]
fn che_approximation_predicts_lru_and_fifo_at_zipf_0_86() {
    check_exponent(0.86, SIZES_BASIS_POINTS.len() as u64);
}
