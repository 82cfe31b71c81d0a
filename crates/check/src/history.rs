//! Operations, and how a stream of invoke / ok / fail / info events becomes them.
//!
//! Jepsen's rules, which every reader here follows: an `invoke` opens a call for its process;
//! the next `ok` or `fail` of that process returns it (`fail`: definitely did not happen — a
//! failed compare-and-set is kept, as an observation that the value differed; other failed
//! operations are dropped); an `info` leaves the call open until the end of the history (it may
//! take effect at any point after its invocation, or never), and the process carries on under a
//! new id. Times are whatever orders the events: nanoseconds in faultline's `history.jsonl`, the
//! line number in Jepsen's logs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sim_core::{HistoryEntry, OpType};

use crate::model::{KvInput, KvOutput, RegisterInput, RegisterOutput};

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op<I, O> {
    /// The process that ran it.
    pub process: u64,
    /// When it was invoked.
    pub call: u64,
    /// When it returned; `None`: it never did (open until the end).
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
}

impl<I, O> Parsed<I, O> {
    /// Number of operations (invocations).
    pub fn ops(&self) -> usize {
        self.invoked.values().sum()
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
    /// An invocation of `f` with `input` on `key` by `process` at `time`.
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

/// Reads faultline's `history.jsonl` for the compare-and-set register, one register per key.
pub fn register_from_faultline(
    entries: &[HistoryEntry],
) -> Result<Parsed<RegisterInput, RegisterOutput>, String> {
    let mut p = Pairer::default();
    let mut key = String::new();
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| format!("entry {}: {m}", i + 1);
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
                p.invoke(e.process, e.time_ns, &e.f, key_of(e, &mut key), input).map_err(at)?;
            }
            OpType::Ok => {
                let output = match &*e.f {
                    "read" if e.value.is_null() => RegisterOutput::Read(None),
                    "read" => RegisterOutput::Read(Some(int(&e.value, "read").map_err(at)?)),
                    "write" => RegisterOutput::Written,
                    "cas" => RegisterOutput::Swapped,
                    other => return Err(at(format!("unknown f `{other}`"))),
                };
                p.complete(e.process, e.time_ns, Completion::Returned(Some(output))).map_err(at)?;
            }
            OpType::Fail if e.f == "cas" => p
                .complete(
                    e.process,
                    e.time_ns,
                    Completion::Returned(Some(RegisterOutput::CasFailed)),
                )
                .map_err(at)?,
            OpType::Fail => {
                p.complete(e.process, e.time_ns, Completion::DidNotHappen).map_err(at)?
            }
            OpType::Info => p.complete(e.process, e.time_ns, Completion::Open).map_err(at)?,
        }
    }
    Ok(p.finish())
}

/// Reads faultline's `history.jsonl` for the string key-value model (`get`, `put`, `append`).
pub fn kv_from_faultline(entries: &[HistoryEntry]) -> Result<Parsed<KvInput, KvOutput>, String> {
    let mut p = Pairer::default();
    let mut key = String::new();
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| format!("entry {}: {m}", i + 1);
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
                p.invoke(e.process, e.time_ns, &e.f, key_of(e, &mut key), input).map_err(at)?;
            }
            OpType::Ok => {
                let output = if e.f == "get" { KvOutput::Value(text()) } else { KvOutput::Done };
                p.complete(e.process, e.time_ns, Completion::Returned(Some(output))).map_err(at)?;
            }
            OpType::Fail => {
                p.complete(e.process, e.time_ns, Completion::DidNotHappen).map_err(at)?
            }
            OpType::Info => p.complete(e.process, e.time_ns, Completion::Open).map_err(at)?,
        }
    }
    Ok(p.finish())
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
        assert!(
            ops.iter().any(|o| o.output == Some(RegisterOutput::CasFailed) && o.ret == Some(6))
        );
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
