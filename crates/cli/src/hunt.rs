//! `faultline hunt FILE`: search seeds for a failing check, shrink it, write repro.toml.

use std::path::{Path, PathBuf};

use scenario::summary::normalized;
use sweep::hunt::{CheckTally, HuntOptions, ShrinkStep, hunt, shrink};
use sweep::plan::Shard;

use crate::Status;
use crate::error::CliError;
use crate::progress::Reporter;
use crate::run::shell_word;

/// `faultline hunt`'s options.
#[derive(clap::Args, Debug)]
pub struct HuntArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Seeds to try: N (the scenario's seed onwards) or A..B (half-open); default 100.
    #[arg(long, default_value = "100")]
    pub seeds: String,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Swarm testing: each seed also draws which nemesis fault kinds are on and how often.
    #[arg(long)]
    pub swarm: bool,
    /// Try only shard K of N of the seeds.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// The output folder itself (default: reports/NAME/hunt).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: crate::overrides::Overrides,
}

/// The most seeds one hunt tries (split a larger search with `--shard` or several ranges).
pub const MAX_SEEDS: u64 = 1_000_000;

/// Parses `--seeds`: `N` from `first`, or `A..B`; at most [`MAX_SEEDS`] seeds, each within TOML's
/// integer range (a repro must be able to state its seed).
pub fn parse_seeds(s: &str, first: u64) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("--seeds `{s}`: write N (a count) or A..B (half-open, A < B)");
    let range = match s.split_once("..") {
        Some((a, b)) => {
            let (a, b): (u64, u64) =
                (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
            if a >= b {
                return Err(bad());
            }
            a..b
        }
        None => {
            let n: u64 = s.trim().parse().map_err(|_| bad())?;
            if n == 0 {
                return Err(bad());
            }
            first..first.saturating_add(n)
        }
    };
    if range.end - range.start > MAX_SEEDS {
        return Err(format!(
            "--seeds `{s}`: {} seeds; a hunt tries at most {MAX_SEEDS} (split it with --shard or ranges)",
            range.end - range.start
        ));
    }
    if range.end - 1 > i64::MAX as u64 {
        return Err(format!(
            "--seeds `{s}`: seeds run up to {}; the largest allowed is {} (TOML's integer range)",
            range.end - 1,
            i64::MAX
        ));
    }
    Ok(range)
}

pub fn run(args: &HuntArgs) -> Result<Status, CliError> {
    let scenario = scenario::load(&args.file, &args.overrides.sets)?;
    let seeds = parse_seeds(&args.seeds, scenario.seed).map_err(CliError::BadInput)?;
    if args.swarm && scenario.nemesis.is_none() {
        return Err(CliError::BadInput(format!(
            "{}: --swarm draws from the scenario's [nemesis], and it has none",
            args.file.display()
        )));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name).join("hunt"));
    println!(
        "faultline hunt {}: seeds {}..{}{}",
        scenario.name,
        seeds.start,
        seeds.end,
        if args.swarm { ", swarm" } else { "" }
    );
    let options = HuntOptions { seeds, jobs, swarm: args.swarm, shard: args.shard };
    let reporter = Reporter::new("seeds");
    let outcome = hunt(&scenario, &options, &|done, all, so_far| {
        let failed = u64::from(so_far.failure.is_some());
        let tally = format!(
            "{} passed, {failed} failed, {} inconclusive",
            so_far.passed,
            so_far.inconclusive.len()
        );
        reporter.update(done, all, &tally)
    });
    reporter.finish();
    let outcome = outcome?;
    let failed = u64::from(outcome.failure.is_some());
    let tally = format!(
        "{} seeds: {} passed, {failed} failed, {} inconclusive",
        outcome.tried,
        outcome.passed,
        outcome.inconclusive.len()
    );
    // Everything written is the same whatever --jobs is: wall times are printed, not written.
    let mut summary = serde_json::json!({
        "scenario": scenario.name,
        "command": command_line(args),
        "seeds_tried": outcome.tried,
        "passed": outcome.passed,
        "failed": failed,
        "inconclusive": outcome.inconclusive.len(),
        "inconclusive_seeds": outcome.inconclusive.iter()
            .map(|(seed, why)| serde_json::json!({ "seed": seed, "why": why }))
            .collect::<Vec<_>>(),
        "checks": outcome.checks.iter()
            .map(|t| serde_json::json!({
                "name": t.name,
                "pass": t.pass,
                "fail": t.fail,
                "unknown": t.unknown,
                "not_applicable": t.not_applicable,
            }))
            .collect::<Vec<_>>(),
    });
    if let Some((seed, why)) = outcome.inconclusive.first() {
        summary["lowest_inconclusive_seed"] = (*seed).into();
        summary["inconclusive_why"] = why.clone().into();
    }
    let Some(failure) = outcome.failure else {
        println!("{tally} ({:.1} s)", outcome.seconds);
        print_checks(&outcome.checks, outcome.tried);
        // No repro: a repro.toml left by an earlier hunt would read as this one's.
        write_files(&out, &summary, None)?;
        if outcome.tried == 0 {
            println!("no seed ran (the shard holds none of them): nothing was judged");
            return Ok(Status::Inconclusive);
        }
        return Ok(match outcome.inconclusive.first() {
            Some((seed, why)) => {
                // Nothing failed, but not every seed was judged: never a pass.
                println!("lowest inconclusive seed {seed}: {why}");
                Status::Inconclusive
            }
            None => Status::Pass,
        });
    };
    println!(
        "seed {} fails {} ({tally}; {:.1} s): {}",
        failure.seed, failure.check, outcome.seconds, failure.detail
    );
    let clock = scenario::run::Stopwatch::start();
    let shrunk = shrink(&failure, jobs, &|step: &ShrinkStep| {
        eprintln!("  shrink: {} ({} faults left)", step.what, step.faults);
    })?;
    let mut repro = shrunk.scenario.clone();
    repro.name = format!("{}-repro", scenario.name);
    repro.description = Some(format!(
        "Found by `{}` at seed {} and shrunk: fails {}.",
        command_line(args),
        failure.seed,
        failure.check
    ));
    let text = format!(
        "# Written by faultline hunt: seed {} of {} fails `{}`; shrunk in {} steps ({} candidate runs).\n# Reproduce: faultline run {}\n{}",
        failure.seed,
        args.file.display(),
        failure.check,
        shrunk.steps.len(),
        shrunk.attempts,
        out.join("repro.toml").display(),
        normalized(&repro)
    );
    summary["seed"] = failure.seed.into();
    summary["check"] = failure.check.clone().into();
    summary["detail"] = shrunk.detail.clone().into();
    summary["faults_before"] = shrunk.faults_before.into();
    summary["faults_after"] = repro.faults.len().into();
    summary["shrink_steps"] = shrunk.steps.iter().map(|s| s.what.clone()).collect();
    summary["candidate_runs"] = shrunk.attempts.into();
    write_files(&out, &summary, Some(&text))?;
    // The repro's own cluster, as its protocol builds it, and the trace hash it runs to.
    let prepared = scenario::registry::prepare(&repro)
        .map_err(|e| CliError::BadInput(format!("the repro does not prepare: {e}")))?;
    let topology = prepared.sim_config().topology.clone();
    let hash = prepared.execute_quietly().summary.trace_hash;
    println!(
        "shrunk in {:.1} s from {} faults to {} faults, {} servers, {} clients, {} ({} steps kept of {} candidate runs)",
        clock.seconds(),
        shrunk.faults_before,
        repro.faults.len(),
        topology.servers,
        topology.clients,
        repro.duration,
        shrunk.steps.len(),
        shrunk.attempts
    );
    println!("trace hash {}", scenario::summary::hex(hash));
    println!("violation: {}: {}", failure.check, shrunk.detail);
    println!("repro      {}", out.join("repro.toml").display());
    println!("reproduce with: faultline run {}", out.join("repro.toml").display());
    Ok(Status::Fail)
}

/// How each check came out over the `tried` seeds: a hunt whose seeds all passed means little
/// if a check was never judged. A check a seed's configuration does not promise (Raft's
/// linearizability without clients) is "not run" there.
fn print_checks(checks: &[CheckTally], tried: u64) {
    let width = checks.iter().map(|t| t.name.chars().count()).max().unwrap_or(0).max(5);
    let row = |name: &str, cells: [String; 5]| {
        let [a, b, c, d, e] = cells;
        println!("  {name:<width$}  {a:>7} {b:>7} {c:>7} {d:>7} {e:>7}");
    };
    row("check", ["pass", "fail", "unknown", "n/a", "not run"].map(String::from));
    for t in checks {
        let ran = t.pass + t.fail + t.unknown + t.not_applicable;
        let cells = [t.pass, t.fail, t.unknown, t.not_applicable, tried - ran];
        row(&t.name, cells.map(|n| n.to_string()));
    }
}

/// The hunt as a command line (the file, seeds, swarm and overrides), for the repro's
/// description and hunt.json.
fn command_line(args: &HuntArgs) -> String {
    let mut words = vec![
        "faultline hunt".to_string(),
        shell_word(&args.file.display().to_string()),
        format!("--seeds {}", shell_word(&args.seeds)),
    ];
    if args.swarm {
        words.push("--swarm".into());
    }
    for s in &args.overrides.sets {
        words.push(format!("--set {}", shell_word(s)));
    }
    words.join(" ")
}

/// Writes hunt.json and, for a failure, repro.toml (each atomically); without one, removes the
/// repro.toml of an earlier hunt. An error names the folder.
fn write_files(
    out: &Path,
    summary: &serde_json::Value,
    repro: Option<&str>,
) -> Result<(), CliError> {
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(out)?;
        let repro_path = out.join("repro.toml");
        match repro {
            Some(text) => sweep::folder::write_atomic(&repro_path, text.as_bytes())
                .map_err(std::io::Error::other)?,
            None => match std::fs::remove_file(&repro_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
        }
        let json = serde_json::to_string_pretty(summary).expect("json") + "\n";
        sweep::folder::write_atomic(&out.join("hunt.json"), json.as_bytes())
            .map_err(std::io::Error::other)
    };
    write().map_err(|e| CliError::Io(format!("{}: {e}", out.display())))
}
