//! `faultline replay FILE --seed N [--trace]` and `faultline trace FILE --seed N --from T --to T`.

use std::io::BufWriter;
use std::path::PathBuf;

use platform::Run;
use scenario::summary::hex;
use sim_core::config::parse_duration;
use sim_core::{SimDuration, TraceOptions};

use crate::Status;
use crate::error::CliError;

/// `faultline replay`'s options.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The seed.
    #[arg(long)]
    pub seed: u64,
    /// Also write the event trace as JSON lines to NAME-seed-N.trace.jsonl.
    #[arg(long)]
    pub trace: bool,
    #[command(flatten)]
    pub overrides: crate::overrides::Overrides,
}

/// `faultline trace`'s options.
#[derive(clap::Args, Debug)]
pub struct TraceArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The seed.
    #[arg(long)]
    pub seed: u64,
    /// Start of the window, simulated time ("12s", "12s 500ms"); default 0.
    #[arg(long, value_parser = parse_duration)]
    pub from: Option<SimDuration>,
    /// End of the window; default 50 ms after its start.
    #[arg(long, value_parser = parse_duration)]
    pub to: Option<SimDuration>,
    /// Show timer events too.
    #[arg(long)]
    pub timers: bool,
    #[command(flatten)]
    pub overrides: crate::overrides::Overrides,
}

fn load(
    file: &std::path::Path,
    seed: u64,
    sets: &[String],
) -> Result<(scenario::Scenario, Box<dyn Run>), CliError> {
    let mut sets = sets.to_vec();
    sets.push(format!("seed={seed}"));
    let scenario = scenario::load(file, &sets)?;
    let prepared = scenario::registry::prepare(&scenario)?;
    Ok((scenario, prepared))
}

pub fn replay(args: &ReplayArgs) -> Result<Status, CliError> {
    let (scenario, prepared) = load(&args.file, args.seed, &args.overrides.sets)?;
    let mut trace = TraceOptions::default();
    let path = PathBuf::from(format!("{}-seed-{}.trace.jsonl", scenario.name, scenario.seed));
    if args.trace {
        let f = std::fs::File::create(&path)
            .map_err(|e| CliError::Io(format!("{}: {e}", path.display())))?;
        trace.jsonl = Some(Box::new(BufWriter::with_capacity(1 << 20, f)));
    }
    let result = prepared
        .execute(trace, &mut |_| {})
        .map_err(|e| CliError::Io(format!("writing {}: {e}", path.display())))?;
    println!("faultline replay {}: seed {}", scenario.name, scenario.seed);
    println!("trace hash    {}", hex(result.summary.trace_hash));
    println!("events        {}", result.summary.events);
    for c in result.failures() {
        println!("violation: {}: {}", c.name, c.detail);
    }
    if args.trace {
        println!("trace         {}", path.display());
    }
    Ok(Status::of(result.verdict()))
}

pub fn trace(args: &TraceArgs) -> Result<Status, CliError> {
    let (scenario, prepared) = load(&args.file, args.seed, &args.overrides.sets)?;
    let from = args.from.unwrap_or(SimDuration::ZERO);
    let to = args.to.unwrap_or(SimDuration(from.as_nanos() + 50_000_000));
    if to <= from {
        return Err(CliError::BadInput(format!("--to ({to}) must be after --from ({from})")));
    }
    let options = TraceOptions {
        capture_time: Some(from.as_nanos()..to.as_nanos()),
        ..TraceOptions::default()
    };
    let result = prepared.execute_with(options);
    let topology = &prepared.sim_config().topology;
    let lanes: Vec<String> = topology.nodes().map(|id| topology.name(id)).collect();
    println!(
        "faultline trace {}: seed {}, {} to {} ({} events; trace hash {})",
        scenario.name,
        scenario.seed,
        from,
        to,
        result.captured.len(),
        hex(result.summary.trace_hash)
    );
    let in_effect =
        report::bands::in_effect_at(&result.faults, from.as_secs_f64(), result.end.as_secs_f64());
    if !in_effect.is_empty() {
        println!("in effect as the window opens: {}", in_effect.join("; "));
    }
    print!("{}", report::sequence::text(&result.captured, &lanes, args.timers));
    println!(
        "o send  > < arrival side  * delivered  x dropped  X crash  R restart  D depart  P pause  r resume  t timer"
    );
    Ok(Status::Pass)
}
