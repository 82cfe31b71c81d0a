//! Exactly once is promised for a delivery while its idempotency key is kept. A key that
//! expired lets a late duplicate be processed again by design, and the checks must neither
//! fail a correct run for it nor excuse a real bug with it.

use std::path::Path;

use check::outcome::{CheckResult, CheckStatus};
use saga::checks::{ONCE, REVERSE, SETTLE};

fn run(file: &str, sets: &[&str]) -> Vec<CheckResult> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&path, &sets).unwrap();
    scenario::registry::prepare(&s).unwrap().execute_quietly().checks
}

/// Orders through slow links that lose a tenth and duplicate a fifth of all messages, then a
/// quiet period; `extra` is appended (saga keys, faults).
fn duplicating(extra: &str, seed: u32) -> Vec<CheckResult> {
    let text = format!(
        r#"name = "duplicating"
protocol = "saga"
seed = {seed}
duration = "5s"

[network]
latency = {{ dist = "lognormal", p50 = "1ms", p99 = "200ms" }}
loss = 0.1
duplicate = 0.2

[check]
liveness = "5s"

{extra}
"#
    );
    let s = scenario::load_str(Path::new("duplicating.toml"), &text, &[]).unwrap();
    scenario::registry::prepare(&s).unwrap().execute_quietly().checks
}

fn status<'a>(checks: &'a [CheckResult], name: &str) -> &'a CheckResult {
    checks.iter().find(|c| c.name == name).unwrap()
}

/// Keys kept 20 ms under heavy duplication and slow links: late duplicates are applied again
/// (approve among them, which must not turn an ended order back), and no check fails a
/// correct run for it.
#[test]
fn a_short_retention_never_fails_a_correct_run() {
    for seed in 1..=3 {
        let checks = duplicating("[saga]\ndedup_retention = \"20ms\"", seed);
        // Late duplicates did charge twice, and that is not held against the service.
        assert_eq!(status(&checks, ONCE).status, CheckStatus::NotApplicable, "seed {seed}");
        for c in &checks {
            assert_ne!(c.status, CheckStatus::Fail, "seed {seed}: {}: {}", c.name, c.detail);
        }
    }
}

/// A clock stepped two hours forward ages a service's keys past the default hour: the
/// duplicates that follow are processed again, and fail nothing.
#[test]
fn a_clock_stepped_past_the_retention_takes_back_the_promise() {
    for seed in [1, 3] {
        let clock = "[[fault]]\nat = \"3s\"\nkind = \"clock\"\nnode = \"payments\"\nstep = \"2h\"";
        let checks = duplicating(clock, seed);
        for c in &checks {
            assert_ne!(c.status, CheckStatus::Fail, "seed {seed}: {}: {}", c.name, c.detail);
        }
    }
}

/// Expired keys excuse only deliveries processed again after their own key expired:
/// compensating earliest first and leaking locks still fail under a 20 ms retention; a
/// charge applied twice because keys were never checked, or were lost from memory, still
/// fails No Order Charged Twice when other keys expired (a shorter retention, a clock step on
/// another service).
#[test]
fn a_short_retention_does_not_excuse_a_bug() {
    let checks = run("saga-bug-no-idempotency.toml", &["saga.dedup_retention=\"2s\""]);
    let c = status(&checks, ONCE);
    assert_eq!(c.status, CheckStatus::Fail, "{}", c.detail);
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/saga-bug-volatile-dedup.toml");
    let text = std::fs::read_to_string(&path).unwrap()
        + "\n[[fault]]\nat = \"9s\"\nkind = \"clock\"\nnode = \"shipping\"\nstep = \"2h\"\n";
    let s = scenario::load_str(&path, &text, &[]).unwrap();
    let checks = scenario::registry::prepare(&s).unwrap().execute_quietly().checks;
    let c = status(&checks, ONCE);
    assert_eq!(c.status, CheckStatus::Fail, "{}", c.detail);
    let checks = run("saga-bug-compensate-forward.toml", &["saga.dedup_retention=\"20ms\""]);
    let c = status(&checks, REVERSE);
    assert_eq!(c.status, CheckStatus::Fail, "{}", c.detail);
    let checks = run("saga-bug-leaky-locks.toml", &["saga.dedup_retention=\"20ms\""]);
    let c = status(&checks, SETTLE);
    assert_eq!(c.status, CheckStatus::Fail, "{}", c.detail);
}

/// Without a quiet period the locks cannot be judged, and Settle's pass says so.
#[test]
fn settle_says_when_it_did_not_judge_the_locks() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/saga-bug-leaky-locks.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("[check]\nliveness = \"5s\"", "");
    let s = scenario::load_str(&path, &text, &[]).unwrap();
    assert!(s.check.liveness.is_none(), "the file's quiet period is gone");
    let checks = scenario::registry::prepare(&s).unwrap().execute_quietly().checks;
    let c = status(&checks, SETTLE);
    assert_eq!(c.status, CheckStatus::Pass, "{}", c.detail);
    assert!(c.detail.contains("semantic locks not judged"), "{}", c.detail);
}
