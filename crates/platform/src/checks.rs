//! Checks every protocol with a key-value client history shares.

use check::history::register_from_faultline;
use check::linearizability::Verdict;
use check::model::{CasRegister, RegisterInput};
use check::outcome::CheckResult;
use sim_core::HistoryEntry;

/// The linearizability check of a history (cas-register per key). Only an operation whose
/// answer depends on the state it met (a read or a compare-and-set, answered) constrains the
/// order: writes alone can be ordered any way, and an unanswered operation may have happened or
/// not, at any time. A history without one is unknown, never a pass.
pub fn linearizable(history: &[HistoryEntry], budget: u64) -> CheckResult {
    const NAME: &str = "linearizable";
    let parsed = match register_from_faultline(history) {
        Ok(p) => p,
        Err(e) => return CheckResult::fail(NAME, format!("the history is malformed: {e}")),
    };
    let ops = parsed.ops();
    let observed = parsed
        .keys
        .iter()
        .flat_map(|(_, k)| k)
        .filter(|o| o.output.is_some() && !matches!(o.input, RegisterInput::Write(_)))
        .count();
    if observed == 0 {
        return CheckResult::unknown(
            NAME,
            format!(
                "{ops} operations, no read or compare-and-set answered: nothing constrains the order"
            ),
        );
    }
    let report = parsed.check(&CasRegister, budget);
    match report.verdict {
        Verdict::Linearizable => CheckResult::pass(
            NAME,
            format!("{ops} operations, {} keys, {} search steps", report.keys.len(), report.steps),
        ),
        Verdict::NotLinearizable(c) => CheckResult::fail(NAME, c.to_string()).at(c.window_span.1),
        Verdict::Unknown { unfinished } => CheckResult::unknown(
            NAME,
            format!("search budget of {budget} steps ran out on keys {unfinished:?}"),
        ),
    }
}
