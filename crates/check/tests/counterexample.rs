//! The checker's verdicts and counterexamples against a brute-force oracle, on thousands of
//! small random register histories: every order of every subset of the operations is tried.
//!
//! What a counterexample claims, checked here: some legal order, consistent with real time,
//! includes every operation that returned before the culprit; none includes the culprit and
//! every operation that returned before it too. And its explanation: the order it reports is
//! legal, consistent with real time, holds every operation that returned before the culprit
//! was invoked and ends in the state it reports; no continuation of it gets past the culprit's
//! return; and when it says no order of the concurrent operations produces the culprit's
//! answer, none does.

use std::collections::BTreeSet;

use check::history::Op;
use check::linearizability::{Counterexample, Verdict, check};
use check::model::{CasRegister, Model, RegisterInput as I, RegisterOutput as O};
use sim_core::{RngRoot, SimRng, Stream};

/// The kernel's own seeded stream, so the histories are the same on every run.
fn rng(seed: u64) -> SimRng {
    RngRoot::new(seed).stream(Stream::Workload)
}

/// A random history of `n` operations on values 0..3, every event at a distinct time.
fn history(rng: &mut SimRng, n: usize) -> Vec<Op<I, O>> {
    let mut times: Vec<u64> = (0..2 * n as u64).collect();
    for k in (1..times.len()).rev() {
        times.swap(k, rng.below(k as u64 + 1) as usize);
    }
    let value = |rng: &mut SimRng| rng.below(3) as i64;
    (0..n)
        .map(|p| {
            let (a, b) = (times[2 * p], times[2 * p + 1]);
            let (call, ret) = (a.min(b), a.max(b));
            let input = match rng.below(3) {
                0 => I::Read,
                1 => I::Write(value(rng)),
                _ => I::Cas { expected: value(rng), new: value(rng) },
            };
            if rng.below(8) == 0 {
                return Op::open(p as u64, call, input);
            }
            let output = match &input {
                I::Read if rng.below(8) == 0 => None,
                I::Read => Some(O::Read((rng.below(4) > 0).then(|| value(rng)))),
                I::Write(_) => Some(O::Written),
                I::Cas { .. } if rng.below(2) == 0 => Some(O::Swapped),
                I::Cas { .. } => Some(O::CasFailed),
            };
            Op { process: p as u64, call, ret: Some(ret), input, output }
        })
        .collect()
}

/// Every set of operations that some legal order, consistent with real time, linearizes.
fn reachable(ops: &[Op<I, O>]) -> BTreeSet<u32> {
    reachable_from(ops, 0, None)
}

/// Every set that continuations of a legal order of `used`, ending in `state`, linearize.
fn reachable_from(ops: &[Op<I, O>], used: u32, state: Option<i64>) -> BTreeSet<u32> {
    fn go(
        ops: &[Op<I, O>],
        used: u32,
        state: Option<i64>,
        seen: &mut BTreeSet<(u32, Option<i64>)>,
        out: &mut BTreeSet<u32>,
    ) {
        if !seen.insert((used, state)) {
            return;
        }
        out.insert(used);
        for (i, o) in ops.iter().enumerate() {
            if used & (1 << i) != 0 {
                continue;
            }
            // Every operation that returned before this one was called goes first.
            let before = ops
                .iter()
                .enumerate()
                .all(|(j, q)| used & (1 << j) != 0 || q.ret.is_none_or(|r| r >= o.call) || j == i);
            if !before {
                continue;
            }
            if let Some(next) = CasRegister.step(&state, &o.input, o.output.as_ref()) {
                go(ops, used | 1 << i, next, seen, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    go(ops, used, state, &mut BTreeSet::new(), &mut out);
    out
}

/// Whether some order of some of `ops` (real time ignored), from `state`, leads to a state in
/// which `culprit` is legal.
fn some_order_allows(ops: &[&Op<I, O>], used: u32, state: Option<i64>, culprit: &Op<I, O>) -> bool {
    CasRegister.step(&state, &culprit.input, culprit.output.as_ref()).is_some()
        || ops.iter().enumerate().any(|(i, o)| {
            used & (1 << i) == 0
                && CasRegister
                    .step(&state, &o.input, o.output.as_ref())
                    .is_some_and(|next| some_order_allows(ops, used | 1 << i, next, culprit))
        })
}

/// Checks the counterexample's explanation against `ops` (as given) and `kept` (as searched).
fn check_explanation(ops: &[Op<I, O>], kept: &[Op<I, O>], c: &Counterexample) {
    let context = || format!("{c}\n{ops:?}");
    // The culprit: every operation has its own process here.
    let process: u64 = c.culprit.split(' ').nth(1).unwrap().parse().unwrap();
    let culprit = ops.iter().find(|o| o.process == process).unwrap();
    // The order: operations as given, each once, none a read with an unknown answer.
    let mut used = 0u32;
    let mut state = None;
    for (k, &i) in c.order.iter().enumerate() {
        let o = &ops[i];
        assert!(o.output.is_some() || o.input != I::Read, "dropped op in order: {}", context());
        assert!(o.process != process, "culprit in its own order: {}", context());
        let at = kept.iter().position(|q| q == o).unwrap();
        assert!(used & (1 << at) == 0, "repeated: {}", context());
        used |= 1 << at;
        // Consistent with real time: nothing earlier in the order was called after it returned.
        for &j in &c.order[..k] {
            assert!(o.ret.is_none_or(|r| r >= ops[j].call), "real time: {}", context());
        }
        state = CasRegister
            .step(&state, &o.input, o.output.as_ref())
            .unwrap_or_else(|| panic!("illegal order: {}", context()));
    }
    assert_eq!(format!("{state:?}"), c.state, "{}", context());
    // It holds every operation that returned before the culprit was invoked, and ends in one.
    let before = returned_by(kept, culprit.call, false);
    assert_eq!(used & before, before, "missing an earlier op: {}", context());
    if let Some(&last) = c.order.last() {
        assert!(ops[last].ret.is_some_and(|r| r < culprit.call), "{}", context());
    }
    assert!(c.preceding.len() <= 3 && c.preceding.len() <= c.order.len(), "{}", context());
    // No continuation of it gets past the culprit's return.
    let end = c.window_span.1;
    let need = returned_by(kept, end, true);
    assert!(
        !reachable_from(kept, used, state).iter().any(|&s| s & need == need),
        "passable from the order: {}",
        context()
    );
    // The concurrent operations the order leaves out, and the reason: when it says no order
    // of them produces the culprit's answer, none does.
    assert_eq!(c.window[c.culprit_at], c.culprit, "{}", context());
    let rest: Vec<&Op<I, O>> = kept
        .iter()
        .enumerate()
        .filter(|&(i, o)| {
            used & (1 << i) == 0
                && o.process != process
                && o.call <= end
                && o.ret.is_none_or(|r| r >= culprit.call)
        })
        .map(|(_, o)| o)
        .collect();
    assert_eq!(c.left.len(), rest.len(), "{}", context());
    if ["which no order of", "which neither", "impossible there"].iter().any(|w| c.why.contains(w))
    {
        assert!(!some_order_allows(&rest, 0, state, culprit), "wrong reason: {}", context());
    } else {
        assert!(c.why.contains("fits every operation that returned by"), "{}", context());
    }
}

/// The operations that returned by `end` (before it, or at it when `inclusive`).
fn returned_by(ops: &[Op<I, O>], end: u64, inclusive: bool) -> u32 {
    ops.iter()
        .enumerate()
        .filter(|(_, o)| o.ret.is_some_and(|r| r < end || (inclusive && r == end)))
        .fold(0, |m, (i, _)| m | 1 << i)
}

#[test]
fn verdicts_and_counterexamples_match_a_brute_force_search() {
    let mut rng = rng(7);
    let (mut legal, mut illegal, mut specific) = (0, 0, 0);
    for round in 0..4000 {
        let n = 2 + round % 6;
        let ops = history(&mut rng, n);
        // Reads with unknown answers are legal anywhere and change nothing.
        let kept: Vec<Op<I, O>> =
            ops.iter().filter(|o| o.output.is_some() || o.input != I::Read).cloned().collect();
        let sets = reachable(&kept);
        let covers = |need: u32| sets.iter().any(|&s| s & need == need);
        let report = check(&CasRegister, vec![("k".into(), ops.clone())], 1_000_000);
        match report.verdict {
            Verdict::Linearizable => {
                legal += 1;
                assert!(covers(returned_by(&kept, u64::MAX, true)), "false pass: {ops:?}");
            }
            Verdict::NotLinearizable(c) => {
                illegal += 1;
                assert!(!covers(returned_by(&kept, u64::MAX, true)), "false fail: {ops:?}");
                let end = c.window_span.1;
                assert!(covers(returned_by(&kept, end, false)), "stuck too early: {c}\n{ops:?}");
                assert!(!covers(returned_by(&kept, end, true)), "culprit passable: {c}\n{ops:?}");
                assert_eq!(c.prefix_ops, kept.iter().filter(|o| o.call <= end).count());
                assert!(c.window.contains(&c.culprit), "{c}");
                check_explanation(&ops, &kept, &c);
                if !c.why.contains("fits every operation") {
                    specific += 1;
                }
            }
            Verdict::Unknown { .. } => panic!("budget ran out on {n} operations"),
        }
    }
    // Both verdicts are well represented.
    assert!(legal > 1000 && illegal > 1000, "{legal} legal, {illegal} illegal");
    // Most counterexamples get the specific reason.
    println!("{specific} of {illegal} counterexamples name an impossible answer");
    assert!(specific * 2 > illegal, "{specific} of {illegal}");
}
