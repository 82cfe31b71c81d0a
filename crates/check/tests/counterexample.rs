//! The checker's verdicts and counterexamples against a brute-force oracle, on thousands of
//! small random register histories: every order of every subset of the operations is tried.
//!
//! What a counterexample claims, checked here: some legal order, consistent with real time,
//! includes every operation that returned before the culprit; none includes the culprit and
//! every operation that returned before it too.

use std::collections::BTreeSet;

use check::history::Op;
use check::linearizability::{Verdict, check};
use check::model::{CasRegister, Model, RegisterInput as I, RegisterOutput as O};

/// SplitMix64, so the histories are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random history of `n` operations on values 0..3, every event at a distinct time.
fn history(rng: &mut Rng, n: usize) -> Vec<Op<I, O>> {
    let mut times: Vec<u64> = (0..2 * n as u64).collect();
    for k in (1..times.len()).rev() {
        times.swap(k, rng.below(k as u64 + 1) as usize);
    }
    let value = |rng: &mut Rng| rng.below(3) as i64;
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
    go(ops, 0, None, &mut BTreeSet::new(), &mut out);
    out
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
    let mut rng = Rng(7);
    let (mut legal, mut illegal) = (0, 0);
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
            }
            Verdict::Unknown { .. } => panic!("budget ran out on {n} operations"),
        }
    }
    // Both verdicts are well represented.
    assert!(legal > 1000 && illegal > 1000, "{legal} legal, {illegal} illegal");
}
