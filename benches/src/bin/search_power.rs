//! Search power: how many `hunt --swarm` seeds it takes to find each known bug of each
//! protocol from its one generic nemesis file (`scenarios/<protocol>-nemesis.toml`), over
//! several disjoint seed ranges, with the wall time of the search and of the shrink; and, for
//! the correct protocol, how many swarm seeds pass (and why the inconclusive ones were).
//!
//!     cargo run --release -p faultline-benches --bin search_power -- --ranges 2 --limit 2000
//!     cargo run --release -p faultline-benches --bin search_power -- --correct 10000

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use sweep::hunt::{HuntOptions, hunt, shrink};

#[derive(Parser)]
struct Args {
    /// Only this protocol (default: every registered one with a nemesis file).
    #[arg(long)]
    protocol: Option<String>,
    /// Disjoint seed ranges per bug, each `limit` seeds long, starting at 1, 100001, 200001…
    #[arg(long, default_value_t = 2)]
    ranges: u64,
    /// Seeds per range.
    #[arg(long, default_value_t = 2000)]
    limit: u64,
    /// Also run this many swarm seeds of the correct protocol.
    #[arg(long, default_value_t = 0)]
    correct: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
}

fn main() {
    let args = Args::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    println!(
        "protocol\tbug\tcheck expected\tseeds\tfirst failure\tcheck found\tsearch s\tshrink s\tfaults left"
    );
    for p in scenario::registry::registry().protocols() {
        if args.protocol.as_deref().is_some_and(|n| n != p.name()) {
            continue;
        }
        let file = root.join(format!("{}-nemesis.toml", p.name()));
        let Ok(base) = scenario::load(&file, &[]) else { continue };
        for bug in p.bugs() {
            for r in 0..args.ranges {
                let start = 1 + r * 100_000;
                let set = format!("{}.bug=\"{}\"", p.name(), bug.name);
                let s = scenario::load(&file, &[set]).expect("the bug switch loads");
                let options = HuntOptions {
                    seeds: start..start + args.limit,
                    jobs: args.jobs,
                    swarm: true,
                    shard: None,
                };
                let outcome = hunt(&s, &options, &|_, _, _| {}).expect("the hunt runs");
                let seeds = format!("{start}..{}", start + args.limit);
                match &outcome.failure {
                    Some(f) => {
                        let clock = scenario::run::Stopwatch::start();
                        let shrunk = shrink(f, args.jobs, &|_| {}).expect("the shrink runs");
                        println!(
                            "{}\t{}\t{}\t{seeds}\t{} ({} tried)\t{}\t{:.1}\t{:.1}\t{}",
                            p.name(),
                            bug.name,
                            bug.check,
                            f.seed,
                            outcome.tried,
                            f.check,
                            outcome.seconds,
                            clock.seconds(),
                            shrunk.scenario.faults.len()
                        );
                    }
                    None => println!(
                        "{}\t{}\t{}\t{seeds}\tnone ({} passed, {} inconclusive)\t-\t{:.1}\t-\t-",
                        p.name(),
                        bug.name,
                        bug.check,
                        outcome.passed,
                        outcome.inconclusive.len(),
                        outcome.seconds
                    ),
                }
            }
        }
        if args.correct > 0 {
            let options = HuntOptions {
                seeds: 1..1 + args.correct,
                jobs: args.jobs,
                swarm: true,
                shard: None,
            };
            let outcome = hunt(&base, &options, &|_, _, _| {}).expect("the hunt runs");
            println!(
                "{} correct: {} swarm seeds, {} passed, {} failed, {} inconclusive ({:.0} s){}",
                p.name(),
                outcome.tried,
                outcome.passed,
                u64::from(outcome.failure.is_some()),
                outcome.inconclusive.len(),
                outcome.seconds,
                match &outcome.failure {
                    Some(f) => format!("; seed {} fails {}: {}", f.seed, f.check, f.detail),
                    None => String::new(),
                }
            );
            // Every inconclusive seed, grouped by why, so that each is explained.
            let mut why: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            for (seed, reason) in &outcome.inconclusive {
                why.entry(reason_class(reason)).or_default().push(*seed);
            }
            for (reason, seeds) in why {
                println!("  {} inconclusive: {reason} (seeds {seeds:?})", seeds.len());
            }
        }
    }
}

/// What an inconclusive seed's reason says without its particulars (the keys, the counts):
/// the part before the first list or number in parentheses.
fn reason_class(why: &str) -> String {
    let cut = [" on keys", " (", " ["].iter().filter_map(|m| why.find(m)).min();
    why[..cut.unwrap_or(why.len())].to_string()
}
