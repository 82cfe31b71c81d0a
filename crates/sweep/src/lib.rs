//! Sweeps: every point of a scenario's `[sweep]` × its seeds, run in parallel with rayon, each
//! finished run saved at once (so an interrupted sweep resumes where it stopped), sliced into
//! shards for a cluster and merged back, and aggregated into tables and comparison charts that
//! are byte-identical whatever the thread count or the shard split.

#![deny(missing_docs)]

pub mod aggregate;
pub mod charts;
pub mod folder;
pub mod hunt;
pub mod plan;
pub mod swarm;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use scenario::Summary;
use scenario::summary::{normalized, scenario_hash};

use crate::folder::{RunRecord, SweepDir, SweepInfo, read_info, write_atomic};
use crate::plan::{Plan, RunSpec, Shard};

/// Why a sweep could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Bad input: a folder of another sweep, a bad shard, a scenario that cannot run.
    #[error("{0}")]
    BadInput(String),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

/// How to run a sweep.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    /// Worker threads (≥ 1).
    pub jobs: usize,
    /// Run only this shard's runs.
    pub shard: Option<Shard>,
    /// Replace a folder holding another sweep.
    pub force: bool,
    /// Also write PNG copies of the charts (as the scenario's `[report] png` does).
    pub png: bool,
}

/// Where a sweep stands, for progress reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Runs finished, including those found already done.
    pub done: usize,
    /// Runs this invocation owns (the shard's, or all).
    pub total: usize,
    /// Finished runs that failed a check.
    pub failed: usize,
    /// Finished runs that were inconclusive (nothing failed, something undecided).
    pub inconclusive: usize,
    /// Runs found already finished when the sweep started.
    pub resumed: usize,
}

/// What a sweep did.
#[derive(Clone, Debug)]
pub struct SweepOutcome {
    /// The final tally.
    pub progress: Progress,
    /// The records of the runs in the folder, in (point, seed) order.
    pub records: Vec<RunRecord>,
}

fn info(plan: &Plan) -> SweepInfo {
    SweepInfo {
        scenario: plan.scenario.name.clone(),
        scenario_hash: scenario_hash(&plan.scenario),
        runs: plan.runs().len(),
    }
}

/// Runs a sweep into `dir`: the runs not already there, in parallel, then the tables and charts.
pub fn run(
    plan: &Plan,
    dir: &Path,
    options: SweepOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<SweepOutcome, SweepError> {
    let folder = SweepDir::open(dir, &info(plan), &normalized(&plan.scenario), options.force)?;
    let mine = plan.shard(options.shard);
    let pending: Vec<RunSpec> = mine.iter().copied().filter(|r| !folder.has(r)).collect();
    let resumed = mine.len() - pending.len();
    let done = AtomicUsize::new(resumed);
    let already: Vec<RunRecord> = mine.iter().filter_map(|r| folder.read(r)).collect();
    let failed = AtomicUsize::new(already.iter().filter(|r| aggregate::failed(r)).count());
    let inconclusive =
        AtomicUsize::new(already.iter().filter(|r| aggregate::inconclusive(r)).count());
    let tally = |record: &RunRecord| {
        let f = usize::from(aggregate::failed(record));
        let i = usize::from(aggregate::inconclusive(record));
        Progress {
            done: done.fetch_add(1, Ordering::SeqCst) + 1,
            total: mine.len(),
            failed: failed.fetch_add(f, Ordering::SeqCst) + f,
            inconclusive: inconclusive.fetch_add(i, Ordering::SeqCst) + i,
            resumed,
        }
    };
    progress(&Progress {
        done: resumed,
        total: mine.len(),
        failed: failed.load(Ordering::SeqCst),
        inconclusive: inconclusive.load(Ordering::SeqCst),
        resumed,
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| SweepError::Io(format!("cannot start {} threads: {e}", options.jobs)))?;
    pool.install(|| {
        pending.par_iter().try_for_each(|spec| {
            let (record, wall) = run_one(plan, spec)?;
            folder.save(spec, &record, wall)?;
            progress(&tally(&record));
            Ok::<(), SweepError>(())
        })
    })?;
    let records = rebuild(dir, options.png)?;
    Ok(SweepOutcome {
        progress: Progress {
            done: done.load(Ordering::SeqCst),
            total: mine.len(),
            failed: failed.load(Ordering::SeqCst),
            inconclusive: inconclusive.load(Ordering::SeqCst),
            resumed,
        },
        records,
    })
}

/// Runs one point at one seed.
pub fn run_one(plan: &Plan, spec: &RunSpec) -> Result<(RunRecord, f64), SweepError> {
    let scenario = plan.scenario_for(spec).map_err(|e| {
        SweepError::BadInput(format!("point {} seed {}: {e}", spec.point, spec.seed))
    })?;
    let prepared = scenario::registry::prepare(&scenario)
        .map_err(|e| SweepError::BadInput(format!("point {}: {e}", spec.point)))?;
    let result = prepared.execute_quietly();
    let summary = Summary::new(&scenario, &result, None);
    Ok((
        RunRecord { index: spec.index, point: spec.point, seed: spec.seed, summary },
        result.wall_seconds,
    ))
}

/// Reads the plan a sweep folder was made for (its `scenario.toml`).
pub fn plan_of(dir: &Path) -> Result<Plan, SweepError> {
    let path = dir.join("scenario.toml");
    let text = fs::read_to_string(&path).map_err(|e| {
        SweepError::BadInput(format!("{}: not a sweep folder: {e}", path.display()))
    })?;
    let scenario =
        scenario::load_str(&path, &text, &[]).map_err(|e| SweepError::BadInput(e.to_string()))?;
    Ok(Plan::new(&scenario))
}

/// Rebuilds a sweep folder's tables, charts and index.html from its `runs/`; with `png` (or the
/// scenario's `[report] png`), PNG copies of the charts too.
pub fn rebuild(dir: &Path, png: bool) -> Result<Vec<RunRecord>, SweepError> {
    let plan = plan_of(dir)?;
    let folder = SweepDir { path: dir.to_path_buf() };
    let runs: Vec<RunSpec> = plan.runs().into_iter().filter(|r| folder.has(r)).collect();
    let records: Vec<RunRecord> = runs.iter().filter_map(|r| folder.read(r)).collect();
    let wall: Vec<Option<f64>> = runs.iter().map(|r| folder.wall_seconds(r)).collect();
    write_atomic(&dir.join("results.csv"), &aggregate::results_csv(&plan, &records))?;
    write_atomic(&dir.join("points.csv"), &aggregate::points_csv(&plan, &records))?;
    write_atomic(&dir.join("timings.csv"), &aggregate::timings_csv(&plan, &records, &wall))?;
    charts::write(dir, &plan, &records, png || plan.scenario.report.png)?;
    Ok(records)
}

/// Merges shard folders of one sweep into `out`: every run file copied, then the tables and
/// charts rebuilt, giving exactly what one unsharded sweep writes.
pub fn merge(
    dirs: &[&Path],
    out: &Path,
    force: bool,
    png: bool,
) -> Result<Vec<RunRecord>, SweepError> {
    let first =
        dirs.first().ok_or_else(|| SweepError::BadInput("give at least one folder".into()))?;
    let info = read_info(first)?.ok_or_else(|| {
        SweepError::BadInput(format!("{}: not a sweep folder (no sweep.json)", first.display()))
    })?;
    for d in dirs {
        let other = read_info(d)?.ok_or_else(|| {
            SweepError::BadInput(format!("{}: not a sweep folder (no sweep.json)", d.display()))
        })?;
        if other.scenario_hash != info.scenario_hash {
            return Err(SweepError::BadInput(format!(
                "{}: a sweep of another scenario (hash {}, {} has {})",
                d.display(),
                other.scenario_hash,
                first.display(),
                info.scenario_hash
            )));
        }
    }
    let scenario_toml = fs::read_to_string(first.join("scenario.toml"))
        .map_err(|e| SweepError::Io(format!("{}: {e}", first.join("scenario.toml").display())))?;
    SweepDir::open(out, &info, &scenario_toml, force)?;
    for d in dirs {
        for sub in ["runs", "timings"] {
            let from = d.join(sub);
            let entries = fs::read_dir(&from)
                .map_err(|e| SweepError::Io(format!("{}: {e}", from.display())))?;
            for e in entries {
                let e = e.map_err(|e| SweepError::Io(e.to_string()))?;
                let name = e.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let bytes = fs::read(e.path())
                    .map_err(|err| SweepError::Io(format!("{}: {err}", e.path().display())))?;
                write_atomic(&out.join(sub).join(name), &bytes)?;
            }
        }
    }
    rebuild(out, png)
}
