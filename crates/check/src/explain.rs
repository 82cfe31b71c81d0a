//! The counterexample: where the search got stuck, and why.
//!
//! The search hands over the culprit (the latest return it was ever stopped at) and the
//! partial linearization it held the first time it stopped there: a legal order, consistent
//! with real time, of every operation that returned before the culprit (Porcupine's longest
//! partial linearization). Everything here runs once, after the verdict, on that order.
//!
//! The order is cut after its last operation that returned before the culprit was invoked:
//! what comes later in it is concurrent with the culprit, and belongs to the window. Replaying
//! the cut order through the model gives the state the culprit had to act on. Then, from that
//! state, the concurrent operations the order left out are applied in every order (reads
//! skipped: they change nothing; real-time order among them ignored; first each any number of
//! times, which for a register reaches few states, then each at most once), within a small
//! bound: if the culprit's answer is illegal in every state reached, that is the reason, in one
//! sentence. Both reach at least every state a real order could, so the claim is never too
//! strong. Otherwise the reason is the one the search proved: no order from there fits the
//! culprit and every operation that returned by its return.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use crate::history::Op;
use crate::linearizability::Counterexample;
use crate::model::Model;

/// Operations of the order listed before the window (the reason names the one that set
/// the state).
const PRECEDING_SHOWN: usize = 3;

/// Nodes (subset of the concurrent operations, state) explored to tell whether the culprit's
/// answer is illegal in every state they reach; beyond it, the reason stays the general one.
const REACH_NODES_MAX: usize = 4096;

/// States explored when each operation may apply any number of times: a register reaches
/// few, an appended string never stops growing.
const REPEAT_NODES_MAX: usize = 64;

/// Translates places of a history's order into its time (no table: the places are the time).
pub(crate) struct Clock<'a>(pub(crate) &'a [u64]);

impl Clock<'_> {
    fn time(&self, place: u64) -> u64 {
        if self.0.is_empty() { place } else { self.0[place as usize] }
    }
}

/// The counterexample for `ops` (the key's operations the search saw; `index[i]` is the
/// place of `ops[i]` among the key's operations as given to the checker), whose search got
/// stuck at the latest at `culprit`'s return holding the partial linearization `order`.
pub(crate) fn counterexample<M: Model>(
    model: &M,
    key: &str,
    ops: &[Op<M::Input, M::Output>],
    index: &[usize],
    culprit: usize,
    order: &[usize],
    clock: &Clock<'_>,
) -> Counterexample {
    let c = &ops[culprit];
    // A culprit that never returned (a model that refuses unknown answers) is stuck at the
    // end of the history.
    let end = c
        .ret
        .unwrap_or_else(|| ops.iter().map(|o| o.ret.unwrap_or(o.call)).max().unwrap_or(c.call));
    let overlaps = |o: &Op<M::Input, M::Output>| o.call <= end && o.ret.is_none_or(|r| r >= c.call);
    let mut window: Vec<usize> = (0..ops.len()).filter(|&i| overlaps(&ops[i])).collect();
    window.sort_by_key(|&i| (ops[i].call, ops[i].process));
    let start = window.iter().map(|&i| ops[i].call).min().unwrap_or(c.call);

    // The order up to its last operation that returned before the culprit was invoked.
    let returned_before = |i: usize| ops[i].ret.is_some_and(|r| r < c.call);
    let settled = order.iter().rposition(|&i| returned_before(i)).map_or(0, |p| p + 1);
    let order = &order[..settled];
    let mut state = model.init();
    let mut setter = None;
    for (p, &i) in order.iter().enumerate() {
        let o = &ops[i];
        let next = model
            .step(&state, &o.input, o.output.as_ref())
            .expect("the search's partial linearization is legal");
        if next != state {
            setter = Some(p);
        }
        state = next;
    }

    // The last few that returned before the call, and the one that set the state among them.
    let before: Vec<usize> = (0..order.len()).filter(|&p| returned_before(order[p])).collect();
    let mut shown: Vec<usize> = before[before.len().saturating_sub(PRECEDING_SHOWN)..].to_vec();
    if let Some(s) = setter.filter(|&s| returned_before(order[s]) && !shown.contains(&s)) {
        shown[0] = s;
    }

    let mut in_order = vec![false; ops.len()];
    for &i in order {
        in_order[i] = true;
    }
    // The concurrent operations the order leaves out (places in the window, and operations).
    let left: Vec<usize> =
        (0..window.len()).filter(|&p| window[p] != culprit && !in_order[window[p]]).collect();
    let rest: Vec<usize> = left.iter().map(|&p| window[p]).collect();
    let concurrent = window.len() - 1;
    let after = match setter {
        Some(p) => format!("after {} the state is {state:?}", name(&ops[order[p]], clock)),
        None => format!("the state is still the initial {state:?}"),
    };
    let what = match (rest.len(), rest.len() == concurrent) {
        (1, true) => "the operation concurrent with it".to_string(),
        (n, true) => format!("the {n} operations concurrent with it"),
        (1, false) => "the concurrent operation not in that order".to_string(),
        (n, false) => format!("the {n} concurrent operations not in that order"),
    };
    let answer = format!("{} returned {}", name_short(c), output(c));
    let why = match illegal_everywhere(model, &state, &rest, ops, c) {
        Some(true) if concurrent == 0 => {
            format!("{after}; {answer}, impossible there, and nothing ran concurrently with it")
        }
        Some(true) if rest.is_empty() && concurrent == 1 => format!(
            "{after}; {answer}, impossible there, and the operation concurrent with it is in \
             that order already"
        ),
        Some(true) if rest.is_empty() => format!(
            "{after}; {answer}, impossible there, and the {concurrent} operations concurrent \
             with it are all in that order already"
        ),
        Some(true) if rest.len() == 1 => {
            format!("{after}; {answer}, which neither that state nor {what} produces")
        }
        Some(true) => format!("{after}; {answer}, which no order of {what} produces"),
        _ => format!(
            "{after}; from there no order of {} and {what} fits every operation that returned \
             by {}",
            name_short(c),
            clock.time(end)
        ),
    };

    Counterexample {
        key: key.to_string(),
        key_ops: ops.len(),
        prefix_ops: ops.iter().filter(|o| o.call <= end).count(),
        culprit: describe(c, clock),
        window: window.iter().map(|&i| describe(&ops[i], clock)).collect(),
        culprit_at: window.iter().position(|&i| i == culprit).expect("the culprit overlaps itself"),
        left,
        window_span: (clock.time(start), clock.time(end)),
        order: order.iter().map(|&i| index[i]).collect(),
        preceding: shown.iter().map(|&p| describe(&ops[order[p]], clock)).collect(),
        state: format!("{state:?}"),
        why,
    }
}

/// Whether `culprit`'s answer is illegal in every state that the operations `rest` reach
/// from `start` (each at most once, in any order; reads skipped); `None` when there are too
/// many to tell.
fn illegal_everywhere<M: Model>(
    model: &M,
    start: &M::State,
    rest: &[usize],
    ops: &[Op<M::Input, M::Output>],
    culprit: &Op<M::Input, M::Output>,
) -> Option<bool> {
    let writers: Vec<&Op<M::Input, M::Output>> =
        rest.iter().map(|&i| &ops[i]).filter(|o| !model.is_read_only(&o.input)).collect();
    let legal = |s: &M::State| model.step(s, &culprit.input, culprit.output.as_ref()).is_some();
    // First the states reached when each operation may apply any number of times: more than
    // the real ones, and few for a register. If the answer is illegal in all, it is in the
    // real ones.
    if reaches(model, start, &writers, REPEAT_NODES_MAX, false, &legal) == Some(false) {
        return Some(true);
    }
    if writers.len() > 64 {
        return None;
    }
    reaches(model, start, &writers, REACH_NODES_MAX, true, &legal).map(|found| !found)
}

/// Whether `writers`, applied from `start` (each at most `once`, or any number of times),
/// reach a state where `wanted` holds; `None` past `nodes_max` nodes explored.
fn reaches<M: Model>(
    model: &M,
    start: &M::State,
    writers: &[&Op<M::Input, M::Output>],
    nodes_max: usize,
    once: bool,
    wanted: &impl Fn(&M::State) -> bool,
) -> Option<bool> {
    let hash = |s: &M::State| {
        let mut h = FxHasher::default();
        s.hash(&mut h);
        h.finish()
    };
    if wanted(start) {
        return Some(true);
    }
    // Explored nodes: (operations used, when `once`; the state's hash) → states.
    let mut seen: BTreeMap<(u64, u64), Vec<M::State>> = BTreeMap::new();
    let mut stack = vec![(0u64, start.clone())];
    seen.entry((0, hash(start))).or_default().push(start.clone());
    let mut nodes = 1;
    while let Some((used, state)) = stack.pop() {
        for (b, o) in writers.iter().enumerate() {
            if once && used & (1 << b) != 0 {
                continue;
            }
            let Some(next) = model.step(&state, &o.input, o.output.as_ref()) else { continue };
            let mask = if once { used | 1 << b } else { 0 };
            let same = seen.entry((mask, hash(&next))).or_default();
            if same.contains(&next) {
                continue;
            }
            if wanted(&next) {
                return Some(true);
            }
            nodes += 1;
            if nodes > nodes_max {
                return None;
            }
            same.push(next.clone());
            stack.push((mask, next));
        }
    }
    Some(false)
}

/// An operation in full: process, input, output, call and return times.
pub(crate) fn describe<I: fmt::Debug, O: fmt::Debug>(o: &Op<I, O>, clock: &Clock<'_>) -> String {
    let ret = o.ret.map_or("never".to_string(), |r| clock.time(r).to_string());
    format!(
        "process {} {:?} -> {} [{}, {}]",
        o.process,
        o.input,
        output(o),
        clock.time(o.call),
        ret
    )
}

/// An operation named in a sentence: "process 2's Write(4) [5, 9]".
fn name<I: fmt::Debug, O: fmt::Debug>(o: &Op<I, O>, clock: &Clock<'_>) -> String {
    let ret = o.ret.map_or("never".to_string(), |r| clock.time(r).to_string());
    format!("{} [{}, {}]", name_short(o), clock.time(o.call), ret)
}

fn name_short<I: fmt::Debug, O>(o: &Op<I, O>) -> String {
    format!("process {}'s {:?}", o.process, o.input)
}

fn output<I, O: fmt::Debug>(o: &Op<I, O>) -> String {
    o.output.as_ref().map_or("unknown".to_string(), |x| format!("{x:?}"))
}
