//! Rebalancing keeps its promises across seeds, not only at each file's own: servers join and
//! leave under load and every check holds. Each seed here once failed before its fix: an
//! operation that reached only the old replicas was acknowledged after a migration had copied
//! its key without it (the switch-before-copy file without its bug line, seed 4).

use std::path::Path;

use check::outcome::CheckStatus;
use sharding::protocol::CONVERGE;

/// The checks of `file` at `seed`, with the file's `bug = …` line removed if `without_bug`.
fn checks_at(file: &str, seed: u64, without_bug: bool) -> Vec<(String, CheckStatus)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !(without_bug && l.starts_with("bug = ")))
        .map(|l| format!("{l}\n"))
        .collect();
    let s = scenario::load_str(&path, &text, &[format!("seed={seed}")]).unwrap();
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    result
        .checks
        .iter()
        // Neither file runs anti-entropy: convergence is measured there, not judged.
        .filter(|c| !(c.name == CONVERGE && c.status == CheckStatus::NotApplicable))
        .map(|c| (c.name.clone(), c.status))
        .collect()
}

#[test]
fn servers_join_and_leave_under_load_and_every_check_passes() {
    for seed in 1..=6 {
        for (name, status) in checks_at("sharding-rebalance.toml", seed, false) {
            assert_eq!(status, CheckStatus::Pass, "sharding-rebalance seed {seed}: {name}");
        }
    }
}

#[test]
fn a_single_copy_moves_safely_without_the_bug() {
    // The switch-before-copy file without its bug: one copy per key, so any key read or written
    // mid-move shows whether the move waited for its data.
    for seed in 1..=10 {
        for (name, status) in checks_at("sharding-bug-switch-before-copy.toml", seed, true) {
            assert_eq!(status, CheckStatus::Pass, "seed {seed}: {name}");
        }
    }
}
