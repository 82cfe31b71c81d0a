//! The linearizability checker.
//!
//! Per key (P-compositionality: a history is linearizable iff each key's sub-history is), the
//! search of Wing and Gong as Lowe improved it and Porcupine implements it: the history's call
//! and return events in one list ordered by time (a call before a return at the same instant,
//! so touching operations count as concurrent); walking it, a call whose operation is legal in
//! the current state is linearized (lifted out of the list, with its return) and the walk
//! restarts; reaching a return whose operation is not yet linearized backtracks. Each
//! (linearized set, state) pair is explored once (memoized). Operations that never returned sit
//! at the end of the list, so they may take effect at any point after their call, or never
//! (linearized after everything, they change nothing anyone saw).
//!
//! Two reductions keep histories with many indeterminate operations tractable: an operation
//! that cannot change the state and whose answer is unknown (a timed-out read) constrains
//! nothing and is dropped; and among open operations with the same input (two timed-out
//! writes of the same value), only the earliest called is tried at each point, since
//! linearizing either leads to the same futures (symmetry reduction).
//!
//! Keys are searched round-robin in slices of [`QUANTUM`] steps, so one hard key cannot
//! starve the others, and the first key found illegal ends the check. The whole check has a
//! step budget; running out gives [`Verdict::Unknown`], never a pass. For an illegal key, the
//! search itself names the culprit (as Porcupine keeps its longest partial linearizations):
//! the latest return it was ever stopped at, which every partial linearization that gets that
//! far fails to pass; the report gives it with the window of operations overlapping it. The
//! search also keeps the partial linearization it held when it first got stuck there (copied
//! only when it gets stuck later than ever, and then only what changed since the last copy),
//! and [`crate::explain`] turns it into the reason: the order of what returned before the
//! culprit was invoked, the state it leaves, and why the culprit's answer cannot follow it. No
//! second search, so the counterexample costs nothing beyond the verdict.
//!
//! The memo table ([`crate::memo`]) is built for long histories: an incrementally updated
//! hash of the linearized set, only the words around the search's frontier stored per entry,
//! and one flat open-addressing table.

use std::fmt;

use crate::explain::{self, Clock};
use crate::history::{Keyed, Op};
use crate::memo::{Linearized, Memo};
use crate::model::Model;

/// Steps a key runs before the next key gets its turn.
pub const QUANTUM: u64 = 10_000;

/// The default budget: enough for every history of the Porcupine corpus.
pub const DEFAULT_BUDGET: u64 = 50_000_000;

const NIL: usize = usize::MAX;

/// The checker's answer.
// One verdict per check: its size does not matter, and a box would only change the patterns
// every caller writes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some legal order exists for every key.
    Linearizable,
    /// A key has no legal order.
    NotLinearizable(Counterexample),
    /// The budget ran out before a verdict (never a pass).
    Unknown {
        /// Keys whose search did not finish.
        unfinished: Vec<String>,
    },
}

/// Why a history is not linearizable: where every attempt to order it gets stuck.
///
/// The search finds it as it goes, at no extra cost: the culprit is the latest return the
/// search was ever stopped at. Some legal order of the operations includes every one that
/// returned before the culprit, but none of those orders can also include the culprit (each
/// operation counted with the answer it got, even one still running when the culprit
/// returned). So the history is illegal from the culprit's return on, and the operations
/// overlapping the culprit are where to look; with them, the legal order the search had
/// reached before it (its last operations, and the state it leaves) and a sentence saying why
/// the culprit cannot follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The key whose sub-history is illegal.
    pub key: String,
    /// Operations of the key's history (reads with unknown answers left out: they constrain
    /// nothing).
    pub key_ops: usize,
    /// Operations called before the culprit returned.
    pub prefix_ops: usize,
    /// The operation whose return no legal order gets past, described.
    pub culprit: String,
    /// The window: operations overlapping the culprit, described, in call order.
    pub window: Vec<String>,
    /// Start and end of the window (the history's time: nanoseconds for faultline's
    /// histories, line numbers for Jepsen's); the end is the culprit's return.
    pub window_span: (u64, u64),
    /// Where the culprit is in `window`.
    pub culprit_at: usize,
    /// Places in `window` of the operations concurrent with the culprit that `order` leaves
    /// out: those that could still come between `order` and the culprit.
    pub left: Vec<usize>,
    /// The legal order the search had reached when it got stuck at the culprit, up to its
    /// last operation that returned before the culprit was invoked: indices into the key's
    /// operations as given to the checker, in order. It holds every operation that returned
    /// before the culprit was invoked, and may hold some of the window's.
    pub order: Vec<usize>,
    /// The last few operations of `order` that returned before the culprit was invoked
    /// (with the one that last set the state, if it is one of those), described, in order.
    pub preceding: Vec<String>,
    /// The model's state after `order` (`Debug`): the state the culprit had to act on, but
    /// for what the operations concurrent with it do.
    pub state: String,
    /// Why the culprit's answer is impossible there, in a sentence: the operation that set
    /// the state, and either that no order of the concurrent operations leads to a state
    /// where the culprit's answer is legal, or (when some does) that none fits the culprit and
    /// every operation that returned by its return.
    pub why: String,
}

/// Window operations printed at most (the culprit, then those `order` leaves out).
const WINDOW_SHOWN: usize = 4;

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {:?}: no legal order of its {} operations", self.key, self.key_ops)?;
        writeln!(
            f,
            "; the first {} already have none, once {} returns",
            self.prefix_ops, self.culprit
        )?;
        write!(
            f,
            "a legal order of {} operations before its call ({} shown) leaves {}:",
            self.order.len(),
            self.preceding.len(),
            self.state
        )?;
        for p in &self.preceding {
            write!(f, "\n  {p}")?;
        }
        let (a, b) = self.window_span;
        let n = self.window.len();
        write!(f, "\nillegal window [{a}, {b}], {n} operations")?;
        // A long window shows the culprit and what could come before it, in call order.
        let shown: Vec<usize> = if n <= WINDOW_SHOWN {
            (0..n).collect()
        } else {
            let mut shown: Vec<usize> = std::iter::once(self.culprit_at)
                .chain(self.left.iter().copied())
                .chain(0..n)
                .fold(Vec::new(), |mut v, p| {
                    if v.len() < WINDOW_SHOWN && !v.contains(&p) {
                        v.push(p);
                    }
                    v
                });
            shown.sort_unstable();
            write!(f, " ({} shown)", shown.len())?;
            shown
        };
        write!(f, ":")?;
        for p in shown {
            write!(f, "\n  {}", self.window[p])?;
        }
        write!(f, "\nwhy: {}", self.why)
    }
}

/// Per-key outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOutcome {
    /// The key.
    pub key: String,
    /// Its operations.
    pub ops: usize,
    /// `Some(true)` linearizable, `Some(false)` not, `None` unfinished.
    pub linearizable: Option<bool>,
    /// Search steps spent on it.
    pub steps: u64,
}

/// The checker's full report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Per key, in input order.
    pub keys: Vec<KeyOutcome>,
    /// Steps spent in all.
    pub steps: u64,
}

/// A resumable search over one key's operations.
struct Search<'m, M: Model> {
    model: &'m M,
    ops: &'m [Op<M::Input, M::Output>],
    next: Vec<usize>,
    prev: Vec<usize>,
    /// Per entry: its operation, and whether it is the call (else the return).
    entry_op: Vec<usize>,
    is_call: Vec<bool>,
    /// Per operation: the index of its return entry.
    return_entry: Vec<usize>,
    /// Per open operation: the open operations with the same input called before it.
    twins_before: Vec<Vec<usize>>,
    linearized: Linearized,
    /// (Linearized set, state) pairs already explored.
    seen: Memo<M::State>,
    calls: Vec<(usize, M::State)>,
    state: M::State,
    cursor: usize,
    steps: u64,
    result: Option<bool>,
    /// The latest return entry the search was stopped at (0: none yet). Every partial
    /// linearization that includes all operations returned before it is stuck there, and
    /// some reaches it: it is where the history stops being linearizable (the counterexample).
    deepest: usize,
    /// The partial linearization (call entries, in order) the search held when it first
    /// stopped at `deepest`: a legal order of every operation that returned before it.
    best: Vec<usize>,
    /// How many leading entries `best` still shares with `calls` (pushes keep them; a pop
    /// may cut them), so a new `best` copies only what changed since the last one.
    shared: usize,
}

impl<'m, M: Model> Search<'m, M> {
    fn new(model: &'m M, ops: &'m [Op<M::Input, M::Output>]) -> Self {
        let n = ops.len();
        // Entry 0 is the head; entries 1.. are events sorted by (time, return after call, op).
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, false, i));
            events.push((op.ret.unwrap_or(u64::MAX), true, i));
        }
        events.sort_unstable();
        let len = events.len() + 1;
        let mut entry_op = vec![NIL; len];
        let mut is_call = vec![false; len];
        let mut return_entry = vec![NIL; n];
        for (k, &(_, is_return, op)) in events.iter().enumerate() {
            entry_op[k + 1] = op;
            is_call[k + 1] = !is_return;
            if is_return {
                return_entry[op] = k + 1;
            }
        }
        let next = (0..len).map(|k| if k + 1 < len { k + 1 } else { NIL }).collect();
        let mut twins_before = vec![Vec::new(); n];
        let mut open_by_call: Vec<usize> = (0..n).filter(|&i| ops[i].ret.is_none()).collect();
        open_by_call.sort_by_key(|&i| (ops[i].call, i));
        for (k, &i) in open_by_call.iter().enumerate() {
            twins_before[i] = open_by_call[..k]
                .iter()
                .copied()
                .filter(|&j| ops[j].input == ops[i].input)
                .collect();
        }
        let prev = (0..len).map(|k| if k == 0 { NIL } else { k - 1 }).collect();
        let calls: Vec<u64> = ops.iter().map(|o| o.call).collect();
        let rets: Vec<Option<u64>> = ops.iter().map(|o| o.ret).collect();
        Search {
            model,
            ops,
            next,
            prev,
            entry_op,
            is_call,
            return_entry,
            twins_before,
            linearized: Linearized::new(&calls, &rets),
            seen: Memo::new(),
            calls: Vec::new(),
            state: model.init(),
            cursor: if len > 1 { 1 } else { NIL },
            steps: 0,
            result: if n == 0 { Some(true) } else { None },
            deepest: 0,
            best: Vec::new(),
            shared: 0,
        }
    }

    fn unlink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p] = n;
        if n != NIL {
            self.prev[n] = p;
        }
    }

    fn relink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p] = e;
        if n != NIL {
            self.prev[n] = e;
        }
    }

    /// Takes a call and its return out of the list.
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.return_entry[self.entry_op[call]]);
    }

    /// Puts them back (the reverse order of [`Search::lift`]).
    fn unlift(&mut self, call: usize) {
        self.relink(self.return_entry[self.entry_op[call]]);
        self.relink(call);
    }

    /// Runs at most `budget` steps; returns the result once known.
    fn run(&mut self, budget: u64) -> Option<bool> {
        let stop = self.steps + budget;
        while self.result.is_none() {
            if self.next[0] == NIL {
                self.result = Some(true);
                break;
            }
            if self.steps >= stop {
                return None;
            }
            self.steps += 1;
            let e = self.cursor;
            if self.is_call[e] {
                let i = self.entry_op[e];
                let op = &self.ops[i];
                let linearized = &self.linearized;
                if self.twins_before[i].iter().any(|&j| !linearized.contains(j)) {
                    // An earlier identical open operation is still available: try that one.
                    self.cursor = self.next[e];
                    continue;
                }
                if let Some(next_state) =
                    self.model.step(&self.state, &op.input, op.output.as_ref())
                {
                    self.linearized.toggle(i);
                    if self.seen.insert(&self.linearized, &next_state) {
                        let before = std::mem::replace(&mut self.state, next_state);
                        self.calls.push((e, before));
                        self.lift(e);
                        self.cursor = self.next[0];
                        continue;
                    }
                    self.linearized.toggle(i);
                }
                self.cursor = self.next[e];
            } else {
                // The operation returning here could not be linearized before its return.
                if e > self.deepest {
                    // Stuck later than ever: keep the order that got this far. The copy is at
                    // most what was pushed since the last one, so it costs O(1) a step
                    // amortized, and the vector only grows.
                    self.deepest = e;
                    self.best.truncate(self.shared);
                    self.best.extend(self.calls[self.shared..].iter().map(|&(c, _)| c));
                    self.shared = self.calls.len();
                }
                match self.calls.pop() {
                    None => self.result = Some(false),
                    Some((call, before)) => {
                        self.shared = self.shared.min(self.calls.len());
                        self.linearized.toggle(self.entry_op[call]);
                        self.state = before;
                        self.unlift(call);
                        self.cursor = self.next[call];
                    }
                }
            }
        }
        self.result
    }
}

/// Checks one key's operations alone with a budget: `Some(verdict)` or `None` if it ran out.
pub fn check_ops<M: Model>(
    model: &M,
    ops: &[Op<M::Input, M::Output>],
    budget: u64,
) -> (Option<bool>, u64) {
    let mut s = Search::new(model, ops);
    let r = s.run(budget);
    (r, s.steps)
}

/// Checks a history split per key, within `budget` search steps in all. Operations' `call`
/// and `ret` are their times, and the counterexample is reported in them.
pub fn check<M: Model>(model: &M, keys: Keyed<M::Input, M::Output>, budget: u64) -> Report {
    check_timed(model, keys, &[], budget)
}

/// [`check`] for operations whose `call` and `ret` are places in the history's order
/// ([`crate::history`]): `times[p]` is the time of place `p`, and the counterexample is
/// reported in those times (`times` empty: the places are the times).
pub fn check_timed<M: Model>(
    model: &M,
    keys: Keyed<M::Input, M::Output>,
    times: &[u64],
    budget: u64,
) -> Report {
    // Per key, the places of the operations kept among those given, for the counterexample.
    let mut kept: Vec<Vec<usize>> = Vec::with_capacity(keys.len());
    let keys: Keyed<M::Input, M::Output> = keys
        .into_iter()
        .map(|(k, ops)| {
            kept.push((0..ops.len()).filter(|&i| constrains(model, &ops[i])).collect());
            (k, relevant(model, &ops))
        })
        .collect();
    let (outcomes, failed, steps) = search_keys(model, &keys, budget);
    let verdict = match failed {
        Some(Failure { key: k, culprit, order }) => {
            let (key, ops) = &keys[k];
            Verdict::NotLinearizable(explain::counterexample(
                model,
                key,
                ops,
                &kept[k],
                culprit,
                &order,
                &Clock(times),
            ))
        }
        None if outcomes.iter().all(|o| o.linearizable == Some(true)) => Verdict::Linearizable,
        None => Verdict::Unknown {
            unfinished: outcomes
                .iter()
                .filter(|o| o.linearizable.is_none())
                .map(|o| o.key.clone())
                .collect(),
        },
    };
    Report { verdict, keys: outcomes, steps }
}

/// The verdict alone, as [`check`] reaches it, without describing a counterexample:
/// `Some(true)` linearizable, `Some(false)` not, `None` unknown within `budget`; and the steps
/// spent. For callers that need only pass or fail, and to measure what a counterexample adds.
pub fn verdict_only<M: Model>(
    model: &M,
    keys: &Keyed<M::Input, M::Output>,
    budget: u64,
) -> (Option<bool>, u64) {
    let keys: Keyed<M::Input, M::Output> =
        keys.iter().map(|(k, ops)| (k.clone(), relevant(model, ops))).collect();
    let (outcomes, failed, steps) = search_keys(model, &keys, budget);
    let verdict = match failed {
        Some(_) => Some(false),
        None => outcomes.iter().all(|o| o.linearizable == Some(true)).then_some(true),
    };
    (verdict, steps)
}

/// A key found illegal, as its search left it.
struct Failure {
    /// The key's index.
    key: usize,
    /// The operation at whose return the search got stuck at the latest.
    culprit: usize,
    /// The partial linearization it held when it first got stuck there (operations, in order).
    order: Vec<usize>,
}

/// Searches every key round-robin within `budget` steps: the per-key outcomes, the first key
/// found illegal with its culprit operation, and the steps spent.
fn search_keys<M: Model>(
    model: &M,
    keys: &Keyed<M::Input, M::Output>,
    budget: u64,
) -> (Vec<KeyOutcome>, Option<Failure>, u64) {
    let mut searches: Vec<Search<'_, M>> =
        keys.iter().map(|(_, ops)| Search::new(model, ops)).collect();
    let mut spent = 0u64;
    let mut failed = None;
    'rounds: loop {
        let mut pending = false;
        for (k, s) in searches.iter_mut().enumerate() {
            if s.result.is_some() {
                continue;
            }
            let slice = QUANTUM.min(budget - spent);
            let before = s.steps;
            let r = s.run(slice);
            spent += s.steps - before;
            match r {
                Some(false) => {
                    // The search's deepest return names the culprit.
                    failed = Some(Failure {
                        key: k,
                        culprit: s.entry_op[s.deepest],
                        order: s.best.iter().map(|&c| s.entry_op[c]).collect(),
                    });
                    break 'rounds;
                }
                Some(true) => {}
                None => pending = true,
            }
            if spent >= budget {
                break 'rounds;
            }
        }
        if !pending {
            break;
        }
    }
    let outcomes = keys
        .iter()
        .zip(&searches)
        .map(|((key, ops), s)| KeyOutcome {
            key: key.clone(),
            ops: ops.len(),
            linearizable: s.result,
            steps: s.steps,
        })
        .collect();
    (outcomes, failed, spent)
}

/// The operations that constrain the order: all but read-only ones with unknown answers.
fn relevant<M: Model>(model: &M, ops: &[Op<M::Input, M::Output>]) -> Vec<Op<M::Input, M::Output>> {
    ops.iter().filter(|o| constrains(model, o)).cloned().collect()
}

fn constrains<M: Model>(model: &M, o: &Op<M::Input, M::Output>) -> bool {
    o.output.is_some() || !model.is_read_only(&o.input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CasRegister, RegisterInput as I, RegisterOutput as O};

    fn w(p: u64, c: u64, r: u64, v: i64) -> Op<I, O> {
        Op::completed(p, c, r, I::Write(v), O::Written)
    }
    fn rd(p: u64, c: u64, r: u64, v: Option<i64>) -> Op<I, O> {
        Op::completed(p, c, r, I::Read, O::Read(v))
    }

    fn verdict(ops: Vec<Op<I, O>>) -> Verdict {
        check(&CasRegister, vec![("k".into(), ops)], 100_000).verdict
    }

    #[test]
    fn concurrent_operations_may_order_either_way() {
        // The write and the read overlap: the read may see either value.
        assert_eq!(verdict(vec![w(0, 0, 10, 1), rd(1, 5, 6, Some(1))]), Verdict::Linearizable);
        assert_eq!(verdict(vec![w(0, 0, 10, 1), rd(1, 5, 6, None)]), Verdict::Linearizable);
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_caught() {
        let v = verdict(vec![w(0, 0, 1, 1), w(1, 2, 3, 2), rd(0, 4, 5, Some(1))]);
        let Verdict::NotLinearizable(c) = v else { panic!("{v:?}") };
        assert_eq!(c.prefix_ops, 3);
        assert!(c.culprit.contains("Read"));
        assert_eq!(c.window_span, (4, 5));
    }

    #[test]
    fn a_read_of_nothing_after_a_completed_write_names_the_write() {
        // Key 42 of `faultline run scenarios/raft-bug-stale-read-closed-loop.toml` (seed 31),
        // in nanoseconds: process 2's write of 4 returned before process 7 read None.
        let ops = vec![
            rd(1, 5_000_538_329, 5_001_241_564, None),
            rd(0, 5_003_037_029, 5_005_124_219, None),
            w(2, 5_004_105_713, 5_007_815_892, 4),
            w(4, 5_004_534_367, 5_222_056_607, 0),
            rd(2, 5_007_815_893, 5_219_282_598, Some(0)),
            rd(7, 5_008_251_579, 5_210_598_847, None),
            w(7, 5_212_190_837, 5_218_631_606, 0),
            rd(7, 5_220_104_493, 5_223_514_278, Some(0)),
        ];
        let v = verdict(ops);
        let Verdict::NotLinearizable(c) = v else { panic!("{v:?}") };
        let text = c.to_string();
        assert!(c.culprit.starts_with("process 7 Read -> Read(None)"), "{text}");
        assert_eq!(c.window_span.1, 5_210_598_847, "{text}");
        // The window leaves the write of 4 out; the explanation names it.
        assert!(!c.window.iter().any(|w| w.contains("Write(4)")), "{text}");
        assert_eq!(c.order, vec![0, 1, 2], "{text}");
        assert_eq!(c.state, "Some(4)", "{text}");
        assert!(c.preceding.last().unwrap().starts_with("process 2 Write(4)"), "{text}");
        assert_eq!(
            c.why,
            "after process 2's Write(4) [5004105713, 5007815892] the state is Some(4); process \
             7's Read returned Read(None), which no order of the 2 operations concurrent with it \
             produces",
            "{text}"
        );
        assert!(text.lines().count() <= 10, "{text}");
        println!("{text}");
    }

    #[test]
    fn an_open_write_may_happen_late_or_never() {
        let open = Op::open(2, 1, I::Write(7));
        assert_eq!(
            verdict(vec![w(0, 0, 1, 1), open.clone(), rd(1, 5, 6, Some(7))]),
            Verdict::Linearizable
        );
        assert_eq!(
            verdict(vec![w(0, 0, 1, 1), open.clone(), rd(1, 5, 6, Some(1))]),
            Verdict::Linearizable
        );
        // But not before it was invoked.
        let early = rd(1, 0, 1, Some(7));
        assert!(matches!(
            verdict(vec![Op::open(2, 3, I::Write(7)), early]),
            Verdict::NotLinearizable(_)
        ));
    }

    #[test]
    fn running_out_of_budget_is_unknown_not_a_pass() {
        let ops: Vec<Op<I, O>> =
            (0..12).map(|p| w(p, 0, 100, p as i64)).chain([rd(99, 200, 201, Some(-1))]).collect();
        let r = check(&CasRegister, vec![("k".into(), ops)], 50);
        assert_eq!(r.verdict, Verdict::Unknown { unfinished: vec!["k".into()] });
    }

    #[test]
    fn keys_are_independent_and_a_failing_key_is_named() {
        let good = vec![w(0, 0, 1, 1), rd(0, 2, 3, Some(1))];
        let bad = vec![w(1, 0, 1, 1), rd(1, 2, 3, Some(2))];
        let r = check(&CasRegister, vec![("a".into(), good), ("b".into(), bad)], 10_000);
        let Verdict::NotLinearizable(c) = r.verdict else { panic!() };
        assert_eq!(c.key, "b");
    }
}
