//! The scenario reader as the fuzzer drives it: text → load and validate → a very short run.
//!
//! `fuzz/fuzz_targets/scenario.rs` calls [`scenario_input`] with every input libFuzzer makes,
//! and `tests/fuzz_regressions.rs` replays every input saved in `fuzz/regressions/scenario/`
//! through the same function, so a crash found once stays fixed. The function panics exactly
//! when faultline would: a bad file must come back as a [`crate::ScenarioError`], a good one
//! must run, and what a run writes back as `scenario.toml` must load again as the same scenario.

use std::path::Path;

use crate::registry;
use crate::summary;

/// Events a fuzzed run may process: enough to elect a leader and serve some operations, few
/// enough for thousands of inputs a second.
pub const EVENTS_MAX: u64 = 20_000;

/// Linearizability search steps a fuzzed run's check may take.
const CHECK_BUDGET: u64 = 10_000;

/// Loads `data` as a scenario file; if it is valid, runs it briefly and checks that its
/// normalized form (what `run` writes as `scenario.toml`) loads back to the same scenario.
/// Panics on any bug: a panic while loading, an error whose rendering panics, a run that
/// panics, or a round trip that fails.
pub fn scenario_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.toml");
    let scenario = match crate::load_str(path, text, &[]) {
        Ok(s) => s,
        Err(e) => {
            // Rendering draws the offending line: it must not panic on any position either.
            let _ = e.to_string();
            let _ = e.render_snippet(true);
            return;
        }
    };
    let normalized = summary::normalized(&scenario);
    let reloaded = crate::load_str(path, &normalized, &[]).unwrap_or_else(|e| {
        panic!("the normalized scenario does not load: {e}\n--- normalized:\n{normalized}")
    });
    assert_eq!(reloaded, scenario, "the normalized scenario loads differently:\n{normalized}");
    let Ok(mut prepared) = registry::prepare(&scenario) else {
        panic!("a scenario that loaded does not prepare")
    };
    prepared.bound(EVENTS_MAX, CHECK_BUDGET);
    let result = prepared.execute_quietly();
    let summary = summary::Summary::new(&scenario, &result, None);
    serde_json::to_string(&summary).expect("a summary serializes");
}
