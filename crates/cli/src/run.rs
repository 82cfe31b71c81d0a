//! `faultline run FILE`: one run of a scenario, its summary on the terminal and its report
//! folder on disk.

use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Duration;

use check::outcome::{CheckResult, CheckStatus};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use report::{RunReport, Staging};
use scenario::summary::{self, hex};
use scenario::{RunResult, Summary};
use sim_core::{MetricValue, SimTime, TraceOptions};

use crate::Status;
use crate::error::CliError;

/// `faultline run`'s options.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder itself (default: reports/NAME/seed-N).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: crate::overrides::Overrides,
    /// Also write the event trace as JSON lines (trace.jsonl).
    #[arg(long)]
    pub trace: bool,
    /// Also write PNG charts.
    #[arg(long)]
    pub png: bool,
    /// Run twice and report the first diverging event if the trace hashes differ.
    #[arg(long)]
    pub check_determinism: bool,
    /// Replace an output folder holding a run of another scenario.
    #[arg(long)]
    pub force: bool,
}

/// Quotes a shell word when it needs it.
pub fn shell_word(s: &str) -> String {
    let plain =
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { s.to_string() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// The command that reproduces a run exactly.
pub fn reproduce_command(file: &Path, seed: u64, sets: &[String]) -> String {
    let mut words = vec![
        "faultline".to_string(),
        "run".into(),
        shell_word(&file.display().to_string()),
        "--seed".into(),
        seed.to_string(),
    ];
    for s in sets {
        words.push("--set".into());
        words.push(shell_word(s));
    }
    words.join(" ")
}

/// A progress bar of simulated time, drawn on a terminal only once the run has taken longer
/// than a second (a short run prints nothing but its summary).
struct SimProgress {
    bar: ProgressBar,
    shown: bool,
    end_s: f64,
}

impl SimProgress {
    fn new(end: SimTime) -> Self {
        let bar =
            ProgressBar::with_draw_target(Some(end.0 / 1_000_000), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {msg} simulated, eta {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        SimProgress { bar, shown: false, end_s: end.0 as f64 / 1e9 }
    }

    fn update(&mut self, t: SimTime) {
        if !self.shown
            && self.bar.elapsed() > Duration::from_secs(1)
            && std::io::stderr().is_terminal()
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
            self.shown = true;
        }
        self.bar.set_position(t.0 / 1_000_000);
        self.bar.set_message(format!("{:.1}/{:.1} s", t.0 as f64 / 1e9, self.end_s));
    }

    fn finish(self) {
        self.bar.finish_and_clear();
    }
}

pub fn run(args: &RunArgs) -> Result<Status, CliError> {
    let mut sets = args.overrides.sets.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("seed={seed}"));
    }
    let scenario = scenario::load(&args.file, &sets)?;
    let prepared = scenario::registry::prepare(&scenario)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(&scenario.name).join(format!("seed-{}", scenario.seed))
    });
    let scenario_hash = summary::scenario_hash(&scenario);
    // A folder holding another scenario's run, or something faultline did not write, is
    // refused: bad input (as is one that cannot be created; the error does not tell them apart).
    let staging = Staging::begin(&out, &scenario_hash, args.force)
        .map_err(|e| CliError::BadInput(e.to_string()))?;
    println!("faultline run {}: seed {}", scenario.name, scenario.seed);

    let mut trace = TraceOptions::default();
    if args.trace {
        let path = staging.path().join("trace.jsonl");
        let f = std::fs::File::create(&path)
            .map_err(|e| CliError::Io(format!("{}: {e}", path.display())))?;
        trace.jsonl = Some(Box::new(BufWriter::with_capacity(1 << 20, f)));
    }
    let mut progress = SimProgress::new(prepared.sim_config().end());
    let result = prepared.execute(trace, &mut |t| progress.update(t));
    progress.finish();
    let mut result = result.map_err(|e| CliError::Io(format!("writing the trace: {e}")))?;
    if args.check_determinism {
        result.checks.push(determinism(&*prepared, result.summary.trace_hash));
    }
    let summary = Summary::new(&scenario, &result, Some(result.wall_seconds));
    let reproduce_sets: Vec<String> = args
        .overrides
        .sets
        .iter()
        .filter(|s| !s.trim_start().starts_with("seed="))
        .cloned()
        .collect();
    let reproduce = reproduce_command(&args.file, scenario.seed, &reproduce_sets);
    let scenario_toml = summary::normalized(&scenario);
    let spacetime = around_first_violation(&*prepared, &result);
    let written = report::write_run(
        staging.path(),
        &RunReport {
            result: &result,
            summary: &summary,
            description: scenario.description.as_deref(),
            scenario_toml: &scenario_toml,
            reproduce: &reproduce,
            png: args.png || scenario.report.png,
            spacetime: spacetime.as_deref(),
        },
    )
    .and_then(|()| staging.commit());
    written.map_err(|e| CliError::Io(format!("cannot write the report: {e}")))?;
    print_summary(&summary, &result, &out, &reproduce);
    Ok(Status::of(result.verdict()))
}

/// Milliseconds of the run the space-time diagram shows before and after the violation.
const BEFORE_MS: u64 = 20;
const AFTER_MS: u64 = 2;

/// For a failed run whose violation has a time: the run again (it is deterministic), keeping the
/// records of the moments around it, drawn as a space-time diagram.
fn around_first_violation(prepared: &dyn platform::Run, result: &RunResult) -> Option<String> {
    let (check, at) = result.failures().find_map(|c| c.at_ns.map(|t| (c, t)))?;
    let from = at.saturating_sub(BEFORE_MS * 1_000_000);
    let to = at + AFTER_MS * 1_000_000;
    let rerun = prepared
        .execute_with(TraceOptions { capture_time: Some(from..to), ..TraceOptions::default() });
    let topology = &prepared.sim_config().topology;
    // Servers always; clients only where they appear.
    let lanes: Vec<String> = topology
        .nodes()
        .map(|id| topology.name(id))
        .filter(|n| {
            n.starts_with('n') || rerun.captured.iter().any(|r| &r.node == n || &r.peer == n)
        })
        .collect();
    let title = format!(
        "{}: {:.3} s to {:.3} s (violation at {:.6} s)",
        check.name,
        from as f64 / 1e9,
        to as f64 / 1e9,
        at as f64 / 1e9
    );
    let in_effect =
        report::bands::in_effect_at(&rerun.faults, from as f64 / 1e9, rerun.end.as_secs_f64());
    Some(report::sequence::svg(&rerun.captured, &lanes, &title, Some(at), &in_effect))
}

/// Runs the scenario twice more and compares trace hashes with the first run's.
fn determinism(prepared: &dyn platform::Run, first: u64) -> CheckResult {
    const NAME: &str = "determinism";
    eprintln!("checking determinism: running the scenario twice more");
    match prepared.check_determinism() {
        Ok(h) if h == first => {
            CheckResult::pass(NAME, format!("three runs gave trace hash {}", hex(h)))
        }
        Ok(h) => CheckResult::fail(
            NAME,
            format!("the reruns agree ({}) but the first run gave {}", hex(h), hex(first)),
        ),
        Err(d) => CheckResult::fail(NAME, format!("the trace hashes differ: {d}")),
    }
}

/// The protocol's headline figure (the one sweeps chart), as `name` and its value in a line.
fn headline(s: &Summary) -> Option<(&str, String)> {
    let path = scenario::registry::protocol(&s.protocol)?.headline();
    let name = path.strip_prefix("metrics.")?;
    let value = match s.metrics.get(name)? {
        MetricValue::Count(n) => n.to_string(),
        MetricValue::Number(x) => format!("{x:.4}"),
        MetricValue::Distribution(d) if d.count == 0 => "none measured".into(),
        MetricValue::Distribution(d) => {
            format!("p50 {:.2}, p99 {:.2}, max {:.2} ({} measured)", d.p50, d.p99, d.max, d.count)
        }
        MetricValue::Table(_) => return None,
    };
    Some((name, value))
}

fn print_summary(s: &Summary, result: &RunResult, out: &Path, reproduce: &str) {
    let o = &s.ops;
    match s.availability {
        // No figures to give: a 100% availability or a 0 ms latency would mean nothing.
        None => println!("operations    none invoked: no availability or latency to report"),
        Some(a) => {
            println!(
                "operations    {} invoked: {} ok, {} failed, {} indeterminate",
                o.invoked, o.ok, o.failed, o.indeterminate
            );
            println!(
                "availability  {:.3}% of operations answered (ok, or a definite answer)",
                a * 100.0
            );
        }
    }
    match &s.latency_ms {
        Some(l) => println!(
            "latency       p50 {:.2} ms, p99 {:.2} ms, p999 {:.2} ms, max {:.2} ms",
            l.p50, l.p99, l.p999, l.max
        ),
        None if o.invoked > 0 => println!("latency       none: no operation succeeded"),
        None => {}
    }
    if let Some((name, value)) = headline(s) {
        println!("{name:<13} {value}");
    }
    println!("checks");
    // A protocol's check names can be long ("Acknowledged Writes Survive"): widen the column.
    let width = s.checks.iter().map(|c| c.name.chars().count() + 1).max().unwrap_or(0).max(22);
    for c in &s.checks {
        let status = match c.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Unknown => "unknown",
            CheckStatus::NotApplicable => "n/a",
        };
        println!("  {status:<8}{:<width$}{}", c.name, c.detail);
    }
    if s.outcome == "events-max" {
        println!("  the run stopped at [check] events_max ({} events): inconclusive", s.events);
    }
    println!("trace hash    {}", s.trace_hash);
    let wall = s.wall_seconds.unwrap_or(0.0);
    println!(
        "speed         {:.1} simulated s in {:.2} s = {:.0}x real time",
        s.sim_seconds,
        wall,
        if wall > 0.0 { s.sim_seconds / wall } else { 0.0 }
    );
    println!("report        {}", out.join("index.html").display());
    let failures: Vec<&CheckResult> = result.failures().collect();
    if !failures.is_empty() {
        for f in failures {
            println!("violation: {}: {}", f.name, f.detail);
        }
        println!("reproduce with: {reproduce}");
    }
}
