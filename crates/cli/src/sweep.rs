//! `faultline sweep FILE` and `faultline merge DIR... --out DIR`.

use std::path::{Path, PathBuf};

use sweep::plan::{Plan, Shard};
use sweep::{Progress, SweepOptions};

use crate::Status;
use crate::error::CliError;
use crate::progress::Reporter;

/// `faultline sweep`'s options.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The scenario file, with a `[sweep]` table.
    pub file: PathBuf,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// The output folder itself (default: reports/NAME/sweep).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (K from 0): the runs whose index is K modulo N.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Replace a folder holding a sweep of another scenario.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub overrides: crate::overrides::Overrides,
    /// Also write PNG copies of the charts.
    #[arg(long)]
    pub png: bool,
}

/// `faultline merge`'s options.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard folders of one sweep.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a folder holding a sweep of another scenario.
    #[arg(long)]
    pub force: bool,
    /// Also write PNG copies of the charts.
    #[arg(long)]
    pub png: bool,
}

fn print_done(dir: &Path, p: &Progress, runs: usize) {
    println!(
        "{} of the sweep's runs are in {} ({} run now, {} resumed); {} failed a check, {} inconclusive",
        runs,
        dir.display(),
        p.done - p.resumed,
        p.resumed,
        p.failed,
        p.inconclusive
    );
    println!(
        "tables   {0}/results.csv, {0}/points.csv, {0}/timings.csv\nreport   {0}/index.html",
        dir.display()
    );
}

pub fn sweep(args: &SweepArgs) -> Result<Status, CliError> {
    let scenario = scenario::load(&args.file, &args.overrides.sets)?;
    let plan = Plan::new(&scenario);
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match args.shard {
            None => "sweep".to_string(),
            Some(s) => format!("sweep-shard-{}-of-{}", s.k, s.n),
        };
        PathBuf::from("reports").join(&scenario.name).join(name)
    });
    let jobs =
        args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(CliError::BadInput("--jobs 0: give 1 or more".into()));
    }
    let total = plan.shard(args.shard).len();
    println!(
        "faultline sweep {}: {} points × {} seeds = {} runs{}, {} jobs",
        scenario.name,
        plan.points.len(),
        plan.seeds,
        plan.runs().len(),
        args.shard.map(|s| format!(" (shard {s}: {total} of them)")).unwrap_or_default(),
        jobs
    );
    let reporter = Reporter::new("runs");
    let options = SweepOptions { jobs, shard: args.shard, force: args.force, png: args.png };
    let outcome = sweep::run(&plan, &out, options, &|p: &Progress| {
        let tally = format!("{} failed a check, {} inconclusive", p.failed, p.inconclusive);
        reporter.update(p.done as u64, p.total as u64, &tally)
    });
    reporter.finish();
    let outcome = outcome?;
    print_done(&out, &outcome.progress, outcome.records.len());
    Ok(Status::Pass)
}

pub fn merge(args: &MergeArgs) -> Result<Status, CliError> {
    let dirs: Vec<&Path> = args.dirs.iter().map(PathBuf::as_path).collect();
    let records = sweep::merge(&dirs, &args.out, args.force, args.png)?;
    let failed = records.iter().filter(|r| sweep::aggregate::failed(r)).count();
    let inconclusive = records.iter().filter(|r| sweep::aggregate::inconclusive(r)).count();
    println!(
        "merged {} folders: {} runs, {} failed a check, {} inconclusive\nreport   {}/index.html",
        dirs.len(),
        records.len(),
        failed,
        inconclusive,
        args.out.display()
    );
    Ok(Status::Pass)
}
