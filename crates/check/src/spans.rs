//! Operations as spans of time, for latency, throughput and availability figures.
//!
//! Unlike the checker's pairing ([`crate::history`]), this keeps every operation, whatever its
//! kind or result, with when it began, when its client learned the outcome, and what that
//! outcome was: the figures `summary.json` and the charts report.

use std::borrow::Cow;
use std::collections::BTreeMap;

use sim_core::{HistoryEntry, OpType};

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpanEnd {
    /// It succeeded.
    Ok,
    /// The system answered that it did not take effect (a compare-and-set whose comparison
    /// failed): a definite answer, so it counts as available.
    Failed,
    /// Its outcome is unknown (`info`, e.g. a timeout).
    Indeterminate,
    /// The run ended before the client heard anything.
    Open,
}

impl SpanEnd {
    /// Whether the system answered: ok, or a definite answer such as a failed comparison.
    /// Availability is the share of invoked operations answered.
    pub fn answered(self) -> bool {
        matches!(self, SpanEnd::Ok | SpanEnd::Failed)
    }
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The process that invoked it.
    pub process: u64,
    /// The function (`read`, `write`, `cas`, …).
    pub f: Cow<'static, str>,
    /// Invocation time, nanoseconds.
    pub start_ns: u64,
    /// When its client learned the outcome (`None` while open).
    pub end_ns: Option<u64>,
    /// How it ended.
    pub end: SpanEnd,
}

impl Span {
    /// Nanoseconds from invocation to outcome, for operations that have one.
    pub fn latency_ns(&self) -> Option<u64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns))
    }
}

/// Every operation of a faultline history, in invocation order. A completion without an
/// invocation is an error naming the process.
pub fn spans(history: &[HistoryEntry]) -> Result<Vec<Span>, String> {
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    let mut out: Vec<Span> = Vec::new();
    for e in history {
        match e.kind {
            OpType::Invoke => {
                if open.insert(e.process, out.len()).is_some() {
                    return Err(format!(
                        "process {} invoked again while its previous call was open",
                        e.process
                    ));
                }
                out.push(Span {
                    process: e.process,
                    f: e.f.clone(),
                    start_ns: e.time_ns,
                    end_ns: None,
                    end: SpanEnd::Open,
                });
            }
            OpType::Ok | OpType::Fail | OpType::Info => {
                let i = open.remove(&e.process).ok_or_else(|| {
                    format!("process {} completed a call it never invoked", e.process)
                })?;
                out[i].end_ns = Some(e.time_ns);
                out[i].end = match e.kind {
                    OpType::Ok => SpanEnd::Ok,
                    OpType::Fail => SpanEnd::Failed,
                    _ => SpanEnd::Indeterminate,
                };
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(process: u64, kind: OpType, time_ns: u64) -> HistoryEntry {
        HistoryEntry {
            process,
            kind,
            f: "write".into(),
            key: Some(1),
            value: serde_json::Value::Null,
            time_ns,
        }
    }

    #[test]
    fn every_outcome_is_kept_in_invocation_order() {
        let h = vec![
            entry(0, OpType::Invoke, 10),
            entry(1, OpType::Invoke, 20),
            entry(1, OpType::Fail, 25),
            entry(0, OpType::Ok, 40),
            entry(2, OpType::Invoke, 50),
            entry(2, OpType::Info, 90),
            entry(3, OpType::Invoke, 95),
        ];
        let s = spans(&h).unwrap();
        let ends: Vec<_> = s.iter().map(|s| (s.start_ns, s.end, s.latency_ns())).collect();
        assert_eq!(
            ends,
            vec![
                (10, SpanEnd::Ok, Some(30)),
                (20, SpanEnd::Failed, Some(5)),
                (50, SpanEnd::Indeterminate, Some(40)),
                (95, SpanEnd::Open, None),
            ]
        );
    }

    #[test]
    fn a_completion_without_an_invocation_is_an_error() {
        let h = vec![entry(7, OpType::Ok, 1)];
        assert!(spans(&h).unwrap_err().contains("process 7"));
    }
}
