//! A check's result, as every protocol reports it (`summary.json`'s `checks`).

use serde::{Deserialize, Serialize};

/// Pass, fail, unknown (the check could not decide: a budget ran out, or the run never reached
/// the state the check is about), or not applicable (the run held nothing the property speaks
/// of, such as a second leader for Leader Completeness to hold to account).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// The property held.
    Pass,
    /// The property was violated.
    Fail,
    /// Undecided.
    Unknown,
    /// Nothing in the run for the property to judge: neither a pass nor undecided.
    NotApplicable,
}

impl CheckStatus {
    /// Nothing wrong and nothing undecided: it passed, or had nothing to judge.
    pub fn passed_or_not_applicable(self) -> bool {
        matches!(self, CheckStatus::Pass | CheckStatus::NotApplicable)
    }
}

/// One named check with its status and a short detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The property's name, as in the literature ("Election Safety", "linearizable").
    pub name: String,
    /// Its status.
    pub status: CheckStatus,
    /// What was found, in a sentence.
    pub detail: String,
    /// For a failure: when the violation was observed, simulated nanoseconds, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ns: Option<u64>,
}

impl CheckResult {
    /// A passing check.
    pub fn pass(name: &str, detail: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            status: CheckStatus::Pass,
            detail: detail.into(),
            at_ns: None,
        }
    }
    /// A failing check.
    pub fn fail(name: &str, detail: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            status: CheckStatus::Fail,
            detail: detail.into(),
            at_ns: None,
        }
    }
    /// An undecided check.
    pub fn unknown(name: &str, detail: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            status: CheckStatus::Unknown,
            detail: detail.into(),
            at_ns: None,
        }
    }

    /// A check with nothing to judge in this run.
    pub fn not_applicable(name: &str, detail: impl Into<String>) -> Self {
        CheckResult {
            name: name.into(),
            status: CheckStatus::NotApplicable,
            detail: detail.into(),
            at_ns: None,
        }
    }

    /// The same result, observed at `time_ns`.
    pub fn at(mut self, time_ns: u64) -> Self {
        self.at_ns = Some(time_ns);
        self
    }
}
