//! Hunting: run seeds in parallel until a check fails, then shrink the failing run to a small
//! scenario that still fails the same check.
//!
//! Seeds are tried in order, a batch at a time across the threads; a batch that holds a failure
//! finishes, and the lowest failing seed is the answer, so it does not depend on the thread
//! count. Every seed up to it is counted as passed or inconclusive (a check that could not
//! decide, or `events_max` reached): an inconclusive seed is never counted as a pass. With
//! swarm testing (as TigerBeetle's VOPR does), each seed also draws which of the nemesis's fault
//! kinds are on and how often they strike, from its own `swarm` stream.
//!
//! Shrinking first replaces the nemesis with the faults it actually injected (selectors
//! resolved to the nodes they chose: the same run, the same trace hash), then greedily tries,
//! keeping each change only if the same check still fails: halving the run (dropping the faults
//! after its new end), dropping faults in chunks that halve down to one (delta debugging),
//! halving each fault's length, and the protocol's own steps (Raft: halving the clients,
//! removing two servers while at least three remain); until nothing more can go.

use check::outcome::CheckStatus;
use rayon::prelude::*;
use scenario::Scenario;
use scenario::run::{RunResult, Stopwatch, Verdict};
use sim_core::{FaultRecord, FaultSpec, SimDuration};

use crate::SweepError;
use crate::plan::Shard;
use crate::swarm::{Drawn, reset, swarm_scenario, value_at};

/// How to hunt.
#[derive(Clone, Debug)]
pub struct HuntOptions {
    /// The seeds to try, in order (half-open range).
    pub seeds: std::ops::Range<u64>,
    /// Worker threads.
    pub jobs: usize,
    /// Draw fault kinds and their strength per seed.
    pub swarm: bool,
    /// Try only this shard's seeds (by position in the range).
    pub shard: Option<Shard>,
}

/// A failing run.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// The scenario that failed (swarm choices applied).
    pub scenario: Scenario,
    /// The first failed check's name.
    pub check: String,
    /// What it found.
    pub detail: String,
    /// The faults the failing run injected, with the nodes they resolved to.
    pub faults: Vec<FaultRecord>,
    /// The knobs swarm testing drew for it, with the base scenario's values.
    pub knobs: Vec<(String, Option<toml::Value>)>,
}

/// What a hunt found.
#[derive(Clone, Debug)]
pub struct HuntOutcome {
    /// Seeds counted: all of them, or those up to and including the lowest failing one.
    pub tried: u64,
    /// Of those, seeds whose every check passed.
    pub passed: u64,
    /// Of those, seeds where nothing failed but something could not be decided, in seed
    /// order, each with why (its first undecided check, or `events_max`).
    pub inconclusive: Vec<(u64, String)>,
    /// The lowest failing seed, if any.
    pub failure: Option<Failure>,
    /// How each check came out over the seeds counted, in the order the checks first ran: a
    /// seed "passed" means more when its checks judged something.
    pub checks: Vec<CheckTally>,
    /// Wall seconds.
    pub seconds: f64,
}

/// One check's verdicts over a hunt's seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckTally {
    /// The check's name.
    pub name: String,
    /// Seeds where it judged something and it held.
    pub pass: u64,
    /// Seeds where it failed.
    pub fail: u64,
    /// Seeds where it could not decide.
    pub unknown: u64,
    /// Seeds where it had nothing to judge.
    pub not_applicable: u64,
}

impl HuntOutcome {
    fn count(&mut self, checks: &[(String, CheckStatus)]) {
        for (name, status) in checks {
            let at = match self.checks.iter().position(|t| &t.name == name) {
                Some(i) => i,
                None => {
                    self.checks.push(CheckTally { name: name.clone(), ..CheckTally::default() });
                    self.checks.len() - 1
                }
            };
            let t = &mut self.checks[at];
            *match status {
                CheckStatus::Pass => &mut t.pass,
                CheckStatus::Fail => &mut t.fail,
                CheckStatus::Unknown => &mut t.unknown,
                CheckStatus::NotApplicable => &mut t.not_applicable,
            } += 1;
        }
    }
}

/// What one seed's run came to.
enum SeedResult {
    Pass,
    Inconclusive(String),
    Fail(Box<Failure>),
}

/// The checks' names and verdicts in one run.
type Verdicts = Vec<(String, CheckStatus)>;

/// Runs one seed of a hunt.
fn run_seed(base: &Scenario, seed: u64, swarm: bool) -> Result<(SeedResult, Verdicts), SweepError> {
    let Drawn { scenario: s, knobs } = seed_scenario(base, seed, swarm);
    let result = execute(&s)?;
    let verdicts = result.checks.iter().map(|c| (c.name.clone(), c.status)).collect();
    let seed_result = match result.verdict() {
        Verdict::Pass => SeedResult::Pass,
        Verdict::Inconclusive => SeedResult::Inconclusive(why_inconclusive(&result)),
        Verdict::Fail => {
            let c = result.failures().next().expect("a failed run has a failed check");
            let (check, detail) = (c.name.clone(), c.detail.clone());
            SeedResult::Fail(Box::new(Failure {
                seed,
                scenario: s,
                check,
                detail,
                faults: result.faults,
                knobs,
            }))
        }
    };
    Ok((seed_result, verdicts))
}

/// Why a run was inconclusive: its first undecided check, the event limit, or no check that
/// judged anything.
fn why_inconclusive(result: &RunResult) -> String {
    match result.checks.iter().find(|c| c.status == CheckStatus::Unknown) {
        Some(c) => format!("{} unknown: {}", c.name, c.detail),
        None if result.summary.outcome == sim_core::Outcome::EventsMax => {
            format!("the run stopped at events_max ({} events)", result.summary.events)
        }
        None => "no check had anything to judge".to_string(),
    }
}

/// The scenario a seed runs: the seed set and, with swarm testing, its variant drawn
/// ([`crate::swarm`]), with the knobs it drew.
pub fn seed_scenario(base: &Scenario, seed: u64, swarm: bool) -> Drawn {
    if swarm {
        return swarm_scenario(base, seed);
    }
    let mut s = base.clone();
    s.seed = seed;
    s.sweep = None;
    Drawn { scenario: s, knobs: Vec::new() }
}

/// Runs a scenario and its checks.
fn execute(s: &Scenario) -> Result<RunResult, SweepError> {
    let prepared = scenario::registry::prepare(s)
        .map_err(|e| SweepError::BadInput(format!("seed {}: {e}", s.seed)))?;
    Ok(prepared.execute_quietly())
}

/// Tries seeds until one fails a check; after each batch `progress` hears (seeds run, seeds in
/// all, the tally so far).
pub fn hunt(
    base: &Scenario,
    options: &HuntOptions,
    progress: &(dyn Fn(u64, u64, &HuntOutcome) + Sync),
) -> Result<HuntOutcome, SweepError> {
    let clock = Stopwatch::start();
    let seeds: Vec<u64> = options
        .seeds
        .clone()
        .enumerate()
        .filter(|(i, _)| options.shard.is_none_or(|s| i % s.n == s.k))
        .map(|(_, seed)| seed)
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| SweepError::Io(format!("cannot start threads: {e}")))?;
    let batch = options.jobs.max(1) * 4;
    let mut outcome = HuntOutcome {
        tried: 0,
        passed: 0,
        inconclusive: Vec::new(),
        failure: None,
        checks: Vec::new(),
        seconds: 0.0,
    };
    let mut ran = 0u64;
    for chunk in seeds.chunks(batch) {
        let results: Vec<Result<(SeedResult, Verdicts), SweepError>> = pool.install(|| {
            chunk.par_iter().map(|&seed| run_seed(base, seed, options.swarm)).collect()
        });
        ran += chunk.len() as u64;
        // In seed order, up to the first failure: seeds after it in this batch ran too, but
        // are not counted, so the tally does not depend on the batch size (`jobs`).
        for (&seed, r) in chunk.iter().zip(results) {
            outcome.tried += 1;
            let (r, verdicts) = r?;
            outcome.count(&verdicts);
            match r {
                SeedResult::Pass => outcome.passed += 1,
                SeedResult::Inconclusive(why) => outcome.inconclusive.push((seed, why)),
                SeedResult::Fail(f) => {
                    outcome.failure = Some(*f);
                    break;
                }
            }
        }
        progress(ran, seeds.len() as u64, &outcome);
        if outcome.failure.is_some() {
            break;
        }
    }
    outcome.seconds = clock.seconds();
    Ok(outcome)
}

/// One accepted shrink step, for the report.
#[derive(Clone, Debug)]
pub struct ShrinkStep {
    /// What changed.
    pub what: String,
    /// Faults left after it.
    pub faults: usize,
}

/// The shrunk failure.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest scenario found that still fails the check.
    pub scenario: Scenario,
    /// What it found.
    pub detail: String,
    /// The steps that were kept.
    pub steps: Vec<ShrinkStep>,
    /// Candidate runs tried.
    pub attempts: u64,
    /// Faults the failing run injected, before shrinking.
    pub faults_before: usize,
}

/// What `check` found if the scenario still fails it (whatever else fails too).
fn fails_same(s: &Scenario, check: &str) -> Option<String> {
    let result = execute(s).ok()?;
    result.failures().find(|c| c.name == check).map(|c| c.detail.clone())
}

/// The failing scenario with its nemesis replaced by the faults it injected, selectors resolved.
pub fn explicit_faults(f: &Failure) -> Result<Scenario, SweepError> {
    let prepared = scenario::registry::prepare(&f.scenario)
        .map_err(|e| SweepError::BadInput(e.to_string()))?;
    let topology = &prepared.sim_config().topology;
    let mut s = f.scenario.clone();
    s.nemesis = None;
    s.faults = f.faults.iter().filter_map(|r| r.replayable(topology)).collect();
    Ok(s)
}

/// Shrinks a failure, keeping only changes after which the same check still fails. Candidates
/// of one kind are run `jobs` at a time and the first that still fails, in their order, is
/// kept, so the result does not depend on `jobs`.
pub fn shrink(
    f: &Failure,
    jobs: usize,
    progress: &(dyn Fn(&ShrinkStep) + Sync),
) -> Result<Shrunk, SweepError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| SweepError::Io(format!("cannot start threads: {e}")))?;
    let mut best = explicit_faults(f)?;
    let faults_before = best.faults.len();
    let mut attempts = 1u64;
    let mut detail = match fails_same(&best, &f.check) {
        Some(d) => d,
        // The explicit faults do not reproduce it (they should): keep the nemesis form.
        None => {
            best = f.scenario.clone();
            f.detail.clone()
        }
    };
    let mut steps = Vec::new();
    // Tries candidates in order, `jobs` at a time; keeps the first that still fails.
    let mut try_all = |candidates: Vec<(Scenario, String)>, best: &mut Scenario| -> bool {
        let candidates: Vec<(Scenario, String)> =
            candidates.into_iter().filter(|(c, _)| c.check().is_ok()).collect();
        for chunk in candidates.chunks(jobs.max(1)) {
            let results: Vec<Option<String>> =
                pool.install(|| chunk.par_iter().map(|(c, _)| fails_same(c, &f.check)).collect());
            let kept = results.into_iter().enumerate().find_map(|(i, r)| r.map(|d| (i, d)));
            // Count candidates as a one-at-a-time search would reach them (up to the one kept),
            // so the count does not depend on `jobs`.
            attempts += kept.as_ref().map_or(chunk.len(), |(i, _)| i + 1) as u64;
            if let Some((i, d)) = kept {
                *best = chunk[i].0.clone();
                detail = d;
                let step = ShrinkStep { what: chunk[i].1.clone(), faults: best.faults.len() };
                progress(&step);
                steps.push(step);
                return true;
            }
        }
        false
    };
    loop {
        let mut changed = false;
        // A shorter run first: it drops every fault after the new end in one step.
        let half = SimDuration(best.duration.as_nanos() / 2);
        if half.as_nanos() >= 1_000_000 {
            let mut c = best.clone();
            c.duration = half;
            c.faults.retain(|f| f.at < half);
            changed |= try_all(vec![(c, format!("a {half} run"))], &mut best);
        }
        // Drop faults in chunks, halving the chunk when no chunk can go (delta debugging).
        let mut size = best.faults.len().div_ceil(2).max(1);
        while !best.faults.is_empty() {
            let n = best.faults.len();
            let candidates: Vec<(Scenario, String)> = (0..n.div_ceil(size))
                .map(|k| {
                    let (lo, hi) = (k * size, ((k + 1) * size).min(n));
                    let mut c = best.clone();
                    c.faults.drain(lo..hi);
                    let what = if hi - lo == 1 {
                        format!(
                            "dropped the {} at {}",
                            best.faults[lo].kind.name(),
                            best.faults[lo].at
                        )
                    } else {
                        format!(
                            "dropped {} faults ({} to {})",
                            hi - lo,
                            best.faults[lo].at,
                            best.faults[hi - 1].at
                        )
                    };
                    (c, what)
                })
                .collect();
            if try_all(candidates, &mut best) {
                changed = true;
                size = size.min(best.faults.len().div_ceil(2).max(1));
            } else if size == 1 {
                break;
            } else {
                size = size.div_ceil(2);
            }
        }
        // Halve each fault's length.
        let candidates: Vec<(Scenario, String)> = (0..best.faults.len())
            .filter_map(|i| {
                let what =
                    format!("halved the {} at {}", best.faults[i].kind.name(), best.faults[i].at);
                halve_fault(&best, i).map(|c| (c, what))
            })
            .collect();
        changed |= try_all(candidates, &mut best);
        // Each drawn knob back to the scenario's own value.
        // Only a knob still at its drawn value: one another step moved on (the clients
        // halved) stays where that step left it, or the two would undo each other forever.
        let candidates: Vec<(Scenario, String)> = (f.knobs.iter())
            .filter(|(key, base)| {
                let now = value_at(&best, key);
                now != *base && now == value_at(&f.scenario, key)
            })
            .filter_map(|(key, base)| {
                let c = reset(&best, key, base.as_ref())?;
                Some((c, format!("{key} back to its default")))
            })
            .collect();
        changed |= try_all(candidates, &mut best);
        // Smaller groups, as the protocol allows (fewer clients, fewer servers).
        for step in protocol_steps(&best) {
            if let Some(c) = smaller(&best, step) {
                changed |= try_all(vec![c], &mut best);
            }
        }
        if !changed {
            break;
        }
    }
    Ok(Shrunk { scenario: best, detail, steps, attempts, faults_before })
}

fn halve_fault(s: &Scenario, i: usize) -> Option<Scenario> {
    let f: &FaultSpec = &s.faults[i];
    let mut c = s.clone();
    let g = &mut c.faults[i];
    let mut changed = false;
    if let Some(d) = f.duration.filter(|d| d.as_nanos() >= 2_000_000) {
        g.duration = Some(SimDuration(d.as_nanos() / 2));
        changed = true;
    }
    if let sim_core::FaultKind::Crash { restart_after: Some(d), .. } = &mut g.kind
        && d.as_nanos() >= 2_000_000
    {
        *d = SimDuration(d.as_nanos() / 2);
        changed = true;
    }
    changed.then_some(c)
}

/// The protocol's shrink steps for a scenario (none for a protocol this binary does not run).
fn protocol_steps(s: &Scenario) -> &'static [platform::Shrinkable] {
    scenario::registry::protocol(&s.protocol).map_or(&[], |p| p.shrink_steps())
}

/// The scenario one shrink step smaller, described, if the step allows it.
fn smaller(s: &Scenario, step: &platform::Shrinkable) -> Option<(Scenario, String)> {
    let table = s.to_table();
    let mut value = Some(&toml::Value::Table(table));
    for part in step.key.split('.') {
        value = value.and_then(|v| v.get(part));
    }
    let now = value.and_then(toml::Value::as_integer).unwrap_or(step.default);
    let next = step.next(now)?;
    let c = s.with_overrides(&[(step.key.to_string(), toml::Value::Integer(next))]).ok()?;
    Some((c, format!("{} = {next} instead of {now}", step.key)))
}
