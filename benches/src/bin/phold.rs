//! PHOLD-v1 on sim-core: prints one `key=value` line with the bare-loop peer's keys.
//!
//! ```text
//! cargo run --release -p faultline-benches --bin phold -- --lps 1024 --init 16 \
//!     --events 10000000 --remote 0.9 --lookahead 1.0 --mean 1.0 --seed 42
//! ```

use std::time::Instant;

use clap::Parser;
use faultline_benches::phold::{Args, Model};

// A benchmark measures wall time around the run, never inside it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let args = Args::parse();
    let setup = Instant::now();
    let mut model = Model::new(args).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let setup_s = setup.elapsed().as_secs_f64();
    let run = Instant::now();
    let out = model.run();
    let run_s = run.elapsed().as_secs_f64();
    println!(
        "peer=faultline variant=sim-core n={} e0={} total={} events={} sim_end_units={:.6} \
         setup_s={:.4} run_s={:.4} events_per_s={:.0} ns_per_event={:.1} checksum={} trace_hash={:016x}",
        args.lps,
        args.init,
        args.events,
        out.events,
        out.sim_end_units,
        setup_s,
        run_s,
        out.events as f64 / run_s,
        run_s * 1e9 / out.events as f64,
        out.checksum,
        out.trace_hash,
    );
}
