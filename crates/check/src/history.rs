//! Operations, and how a stream of invoke / ok / fail / info events becomes them.
//!
//! Jepsen's rules, which every reader here follows: an `invoke` opens a call for its process;
//! the next `ok` or `fail` of that process returns it (`fail`: definitely did not happen — a
//! failed compare-and-set is kept, as an observation that the value differed; other failed
//! operations are dropped); an `info` leaves the call open until the end of the history (it may
//! take effect at any point after its invocation, or never), and the process carries on under a
//! new id.
//!
//! An operation's `call` and `ret` are places in the history's real-time order, distinct for
//! distinct events: the line number in Jepsen's logs, the entry index in faultline's
//! `history.jsonl`. Entry order, not the timestamp, because the kernel appends entries in
//! real-time order and many events share a nanosecond: a process's return and its next
//! invocation often do, and ordering by timestamp would make them concurrent (a process's own
//! operations must stay in program order). [`Parsed::times`] maps places back to the history's
//! time, for reports.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sim_core::{HistoryEntry, OpType};

use crate::linearizability::{self, Report};
use crate::model::{KvInput, KvOutput, Model, RegisterInput, RegisterOutput};

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op<I, O> {
    /// The process that ran it.
    pub process: u64,
    /// When it was invoked: its place in the history's real-time order.
    pub call: u64,
    /// When it returned (its place, as `call`); `None`: it never did (open until the end).
    pub ret: Option<u64>,
    /// What was asked.
    pub input: I,
    /// What was answered; `None`: unknown.
    pub output: Option<O>,
}

impl<I, O> Op<I, O> {
    /// An operation that returned a known output.
    pub fn completed(process: u64, call: u64, ret: u64, input: I, output: O) -> Self {
        Op { process, call, ret: Some(ret), input, output: Some(output) }
    }

    /// An operation that never returned.
    pub fn open(process: u64, call: u64, input: I) -> Self {
        Op { process, call, ret: None, input, output: None }
    }
}

/// A history split per key: each key's operations.
pub type Keyed<I, O> = Vec<(String, Vec<Op<I, O>>)>;

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion<O> {
    /// It returned this output (`None`: returned, but the result is unknown).
    Returned(Option<O>),
    /// It definitely did not happen: drop it.
    DidNotHappen,
    /// Indeterminate (`info`): it stays open until the end.
    Open,
}

/// A history read from a file: operations per key, and counts for cross-checks.
#[derive(Clone, Debug)]
pub struct Parsed<I, O> {
    /// Operations per key (one key, `""`, for a single register).
    pub keys: Keyed<I, O>,
    /// Invocations per function name (`read`, `write`, `cas`, `get`, …).
    pub invoked: BTreeMap<String, usize>,
    /// Operations left open at the end.
    pub open: usize,
    /// Operations that returned with an unknown result.
    pub unknown: usize,
    /// Process ids seen.
    pub processes: BTreeSet<u64>,
    /// The history's time at each place of its order (`times[p]` for place `p`: nanoseconds
    /// in faultline's histories); empty when the places are the time (Jepsen's line numbers).
    pub times: Vec<u64>,
}

impl<I, O> Parsed<I, O> {
    /// Number of operations (invocations).
    pub fn ops(&self) -> usize {
        self.invoked.values().sum()
    }

    /// Checks the history for linearizability within `budget` search steps; the
    /// counterexample, if any, is reported in the history's time.
    pub fn check<M: Model<Input = I, Output = O>>(self, model: &M, budget: u64) -> Report {
        linearizability::check_timed(model, self.keys, &self.times, budget)
    }
}

/// Pairs invocations with their completions.
pub struct Pairer<I, O> {
    /// Open calls per process: (invocation time, key index, input).
    calls: BTreeMap<u64, (u64, usize, I)>,
    /// Each key's operations, in order of first appearance; `key_index` finds them by name.
    keys: Vec<(String, Vec<Op<I, O>>)>,
    key_index: BTreeMap<String, usize>,
    invoked: BTreeMap<String, usize>,
    open: usize,
    unknown: usize,
    processes: BTreeSet<u64>,
}

impl<I, O> Default for Pairer<I, O> {
    fn default() -> Self {
        Pairer {
            calls: BTreeMap::new(),
            keys: Vec::new(),
            key_index: BTreeMap::new(),
            invoked: BTreeMap::new(),
            open: 0,
            unknown: 0,
            processes: BTreeSet::new(),
        }
    }
}

impl<I, O> Pairer<I, O> {
    /// An invocation of `f` with `input` on `key` by `process` at place `time` of the
    /// history's real-time order (places must increase from one event to the next).
    pub fn invoke(
        &mut self,
        process: u64,
        time: u64,
        f: &str,
        key: &str,
        input: I,
    ) -> Result<(), String> {
        if self.calls.contains_key(&process) {
            return Err(format!(
                "process {process} invoked again while its previous call was open"
            ));
        }
        self.processes.insert(process);
        // Names and keys repeat on nearly every line: look them up before allocating.
        match self.invoked.get_mut(f) {
            Some(n) => *n += 1,
            None => {
                self.invoked.insert(f.to_string(), 1);
            }
        }
        let k = match self.key_index.get(key) {
            Some(&k) => k,
            None => {
                self.keys.push((key.to_string(), Vec::new()));
                self.key_index.insert(key.to_string(), self.keys.len() - 1);
                self.keys.len() - 1
            }
        };
        self.calls.insert(process, (time, k, input));
        Ok(())
    }

    /// The completion of `process`'s open call at `time`.
    pub fn complete(&mut self, process: u64, time: u64, how: Completion<O>) -> Result<(), String> {
        let (call, k, input) = self
            .calls
            .remove(&process)
            .ok_or_else(|| format!("process {process} completed a call it never invoked"))?;
        let op = match how {
            Completion::Returned(output) => {
                self.unknown += usize::from(output.is_none());
                Op { process, call, ret: Some(time), input, output }
            }
            Completion::Open => {
                self.open += 1;
                Op::open(process, call, input)
            }
            Completion::DidNotHappen => return Ok(()),
        };
        self.keys[k].1.push(op);
        Ok(())
    }

    /// The history, keys in name order (keys whose every call failed are left out); calls
    /// still open become open operations.
    pub fn finish(mut self) -> Parsed<I, O> {
        for (process, (call, k, input)) in std::mem::take(&mut self.calls) {
            self.open += 1;
            self.keys[k].1.push(Op::open(process, call, input));
        }
        let mut keys: Keyed<I, O> =
            self.keys.into_iter().filter(|(_, ops)| !ops.is_empty()).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Parsed {
            keys,
            invoked: self.invoked,
            open: self.open,
            unknown: self.unknown,
            processes: self.processes,
            times: Vec::new(),
        }
    }
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64().ok_or_else(|| format!("{what}: expected an integer, found {v}"))
}

/// The key of an entry as text (`""` for none), written into `buf` to spare an allocation.
fn key_of<'a>(e: &HistoryEntry, buf: &'a mut String) -> &'a str {
    use std::fmt::Write;
    buf.clear();
    if let Some(k) = e.key {
        write!(buf, "{k}").expect("writing to a String");
    }
    buf
}

/// The time of each entry, checked to never go backwards: the readers order operations by
/// entry, which is real-time order only if the entries are in time order (a file edited out
/// of order could otherwise hide a real-time constraint and pass).
fn entry_times(entries: &[HistoryEntry]) -> Result<Vec<u64>, String> {
    let mut last = 0;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if e.time_ns < last {
                return Err(format!(
                    "entry {}: time_ns {} is before the previous entry's {last}: entries must be in time order",
                    i + 1,
                    e.time_ns
                ));
            }
            last = e.time_ns;
            Ok(e.time_ns)
        })
        .collect()
}

/// Reads faultline's `history.jsonl` for the compare-and-set register, one register per key.
/// Operations are ordered by entry (see the module's header), times kept in [`Parsed::times`].
pub fn register_from_faultline(
    entries: &[HistoryEntry],
) -> Result<Parsed<RegisterInput, RegisterOutput>, String> {
    let times = entry_times(entries)?;
    let mut p = Pairer::default();
    let mut key = String::new();
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| format!("entry {}: {m}", i + 1);
        let place = i as u64;
        match e.kind {
            OpType::Invoke => {
                let input = match &*e.f {
                    "read" => RegisterInput::Read,
                    "write" => RegisterInput::Write(int(&e.value, "write").map_err(at)?),
                    "cas" => {
                        let (expected, new) = pair(&e.value).map_err(at)?;
                        RegisterInput::Cas { expected, new }
                    }
                    other => {
                        return Err(at(format!("unknown f `{other}`: allowed read, write, cas")));
                    }
                };
                p.invoke(e.process, place, &e.f, key_of(e, &mut key), input).map_err(at)?;
            }
            OpType::Ok => {
                let output = match &*e.f {
                    "read" if e.value.is_null() => RegisterOutput::Read(None),
                    "read" => RegisterOutput::Read(Some(int(&e.value, "read").map_err(at)?)),
                    "write" => RegisterOutput::Written,
                    "cas" => RegisterOutput::Swapped,
                    other => return Err(at(format!("unknown f `{other}`"))),
                };
                p.complete(e.process, place, Completion::Returned(Some(output))).map_err(at)?;
            }
            OpType::Fail if e.f == "cas" => p
                .complete(e.process, place, Completion::Returned(Some(RegisterOutput::CasFailed)))
                .map_err(at)?,
            OpType::Fail => p.complete(e.process, place, Completion::DidNotHappen).map_err(at)?,
            OpType::Info => p.complete(e.process, place, Completion::Open).map_err(at)?,
        }
    }
    Ok(Parsed { times, ..p.finish() })
}

/// Reads faultline's `history.jsonl` for the string key-value model (`get`, `put`, `append`).
/// Operations are ordered by entry (see the module's header), times kept in [`Parsed::times`].
pub fn kv_from_faultline(entries: &[HistoryEntry]) -> Result<Parsed<KvInput, KvOutput>, String> {
    let times = entry_times(entries)?;
    let mut p = Pairer::default();
    let mut key = String::new();
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| format!("entry {}: {m}", i + 1);
        let place = i as u64;
        let text = || e.value.as_str().map(str::to_string).unwrap_or_else(|| e.value.to_string());
        match e.kind {
            OpType::Invoke => {
                let input = match &*e.f {
                    "get" => KvInput::Get,
                    "put" => KvInput::Put(text()),
                    "append" => KvInput::Append(text()),
                    other => {
                        return Err(at(format!("unknown f `{other}`: allowed get, put, append")));
                    }
                };
                p.invoke(e.process, place, &e.f, key_of(e, &mut key), input).map_err(at)?;
            }
            OpType::Ok => {
                let output = if e.f == "get" { KvOutput::Value(text()) } else { KvOutput::Done };
                p.complete(e.process, place, Completion::Returned(Some(output))).map_err(at)?;
            }
            OpType::Fail => p.complete(e.process, place, Completion::DidNotHappen).map_err(at)?,
            OpType::Info => p.complete(e.process, place, Completion::Open).map_err(at)?,
        }
    }
    Ok(Parsed { times, ..p.finish() })
}

fn pair(v: &Value) -> Result<(i64, i64), String> {
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok((int(a, "cas")?, int(b, "cas")?)),
        _ => Err(format!("cas: expected [expected, new], found {v}")),
    }
}

/// Reads faultline's `history.jsonl` text (one entry per line).
pub fn read_faultline_jsonl(text: &str) -> Result<Vec<HistoryEntry>, String> {
    sim_core::jsonl::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::Verdict;

    fn entry(process: u64, kind: OpType, f: &'static str, value: Value, t: u64) -> HistoryEntry {
        HistoryEntry { process, kind, f: f.into(), key: Some(1), value, time_ns: t }
    }

    #[test]
    fn info_stays_open_and_failed_writes_are_dropped() {
        let h = vec![
            entry(1, OpType::Invoke, "write", 3.into(), 0),
            entry(2, OpType::Invoke, "cas", serde_json::json!([3, 4]), 1),
            entry(1, OpType::Info, "write", 3.into(), 5),
            entry(2, OpType::Fail, "cas", serde_json::json!([3, 4]), 6),
            entry(3, OpType::Invoke, "write", 9.into(), 7),
            entry(3, OpType::Fail, "write", 9.into(), 8),
            entry(4, OpType::Invoke, "read", Value::Null, 9),
        ];
        let p = register_from_faultline(&h).unwrap();
        assert_eq!(p.ops(), 4);
        assert_eq!(p.open, 2, "the info'd write and the unfinished read");
        let ops = &p.keys[0].1;
        assert_eq!(ops.len(), 3);
        // Places are entry indexes; the entry's time is kept beside them.
        assert!(
            ops.iter().any(|o| o.output == Some(RegisterOutput::CasFailed) && o.ret == Some(3))
        );
        assert_eq!(p.times[3], 6);
    }

    /// Process 0 writes 1 (ok at 10 ns), then reads nil, invoked in the same nanosecond.
    fn write_then_stale_read() -> Vec<HistoryEntry> {
        vec![
            entry(0, OpType::Invoke, "write", 1.into(), 0),
            entry(0, OpType::Ok, "write", 1.into(), 10),
            entry(0, OpType::Invoke, "read", Value::Null, 10),
            entry(0, OpType::Ok, "read", Value::Null, 20),
        ]
    }

    #[test]
    fn a_process_return_and_next_call_in_one_nanosecond_stay_in_program_order() {
        let r = register_from_faultline(&write_then_stale_read())
            .unwrap()
            .check(&crate::model::CasRegister, 1000);
        let Verdict::NotLinearizable(c) = r.verdict else { panic!("{:?}", r.verdict) };
        // Reported in nanoseconds, not entry indexes.
        assert_eq!(c.window_span, (10, 20));
        assert_eq!(c.culprit, "process 0 Read -> Read(None) [10, 20]");
    }

    #[test]
    fn entries_in_one_nanosecond_keep_their_real_time_order_across_processes() {
        // Process 1's read is invoked after the write's ok entry (same nanosecond): it follows
        // the write and must see it; invoked before that entry, it overlaps the write.
        let mut after = write_then_stale_read();
        after[2].process = 1;
        after[3].process = 1;
        let r = register_from_faultline(&after).unwrap().check(&crate::model::CasRegister, 1000);
        assert!(matches!(r.verdict, Verdict::NotLinearizable(_)), "{:?}", r.verdict);
        let mut before = after.clone();
        before.swap(1, 2);
        let r = register_from_faultline(&before).unwrap().check(&crate::model::CasRegister, 1000);
        assert_eq!(r.verdict, Verdict::Linearizable);
    }

    #[test]
    fn the_kv_reader_orders_by_entry_too() {
        let h = vec![
            entry(0, OpType::Invoke, "put", "a".into(), 0),
            entry(0, OpType::Ok, "put", "a".into(), 10),
            entry(0, OpType::Invoke, "get", Value::Null, 10),
            entry(0, OpType::Ok, "get", "".into(), 20),
        ];
        let r = kv_from_faultline(&h).unwrap().check(&crate::model::StringKv, 1000);
        let Verdict::NotLinearizable(c) = r.verdict else { panic!("{:?}", r.verdict) };
        assert_eq!(c.window_span, (10, 20));
    }

    #[test]
    fn entries_out_of_time_order_are_refused() {
        let mut h = write_then_stale_read();
        h[1].time_ns = 30;
        assert!(register_from_faultline(&h).unwrap_err().contains("entry 3"));
        assert!(kv_from_faultline(&h).unwrap_err().contains("entry 3"));
    }

    #[test]
    fn a_process_cannot_have_two_open_calls() {
        let h = vec![
            entry(1, OpType::Invoke, "read", Value::Null, 0),
            entry(1, OpType::Invoke, "read", Value::Null, 1),
        ];
        assert!(register_from_faultline(&h).unwrap_err().contains("entry 2"));
    }
}
