//! The sweep speed-up benchmark: the same sweep with 1 job and with N jobs, alternating, each
//! into a fresh folder; prints the wall times, the speed-up, and whether the tables were
//! byte-identical.
//!
//!     cargo run --release -p faultline-benches --bin sweep_speedup -- --jobs 2 --rounds 3

use std::path::PathBuf;

use clap::Parser;
use scenario::run::Stopwatch;
use sweep::SweepOptions;
use sweep::plan::Plan;

#[derive(Parser)]
struct Args {
    /// The scenario with a [sweep] table.
    #[arg(long, default_value = "benches/sweep-bench.toml")]
    scenario: PathBuf,
    /// Jobs to compare with one.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Rounds of (1 job, N jobs).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

fn main() {
    let args = Args::parse();
    let scenario = scenario::load(&args.scenario, &[]).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let plan = Plan::new(&scenario);
    let base = std::env::temp_dir().join(format!("faultline-sweep-bench-{}", std::process::id()));
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut tables: Vec<Vec<u8>> = Vec::new();
    // The serial part of every sweep: rebuilding the tables and charts from runs/.
    let mut rebuild_s = 0.0;
    for round in 0..args.rounds {
        for (slot, jobs) in [1, args.jobs].into_iter().enumerate() {
            let dir = base.join(format!("r{round}-j{jobs}"));
            let clock = Stopwatch::start();
            let options = SweepOptions { jobs, shard: None, force: false, png: false };
            sweep::run(&plan, &dir, options, &|_| {}).expect("the sweep runs");
            times[slot].push(clock.seconds());
            tables.push(
                [
                    std::fs::read(dir.join("results.csv")).unwrap(),
                    std::fs::read(dir.join("points.csv")).unwrap(),
                ]
                .concat(),
            );
            if round == 0 && slot == 0 {
                let clock = Stopwatch::start();
                sweep::rebuild(&dir, false).expect("the tables rebuild");
                rebuild_s = clock.seconds();
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (one, many) = (median(&mut times[0]), median(&mut times[1]));
    let identical = tables.windows(2).all(|w| w[0] == w[1]);
    println!(
        "bench=sweep runs={} cores={} jobs=1 wall_s={one:.3} jobs={} wall_s={many:.3} speedup={:.2} rebuild_s={rebuild_s:.3} tables_identical={identical}",
        plan.runs().len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        args.jobs,
        one / many
    );
}
