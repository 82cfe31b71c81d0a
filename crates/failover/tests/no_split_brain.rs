//! No Split Brain says pass only when it compared the acknowledgements of two nodes or more:
//! a run in which one node alone acknowledged writes had nothing to overlap, and is not
//! applicable.

use std::path::Path;

use check::outcome::CheckStatus;
use failover::protocol::NO_SPLIT_BRAIN;

fn status(file: &str) -> (CheckStatus, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(file);
    let s = scenario::load(&path, &[]).unwrap();
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    let c = result.checks.iter().find(|c| c.name == NO_SPLIT_BRAIN).expect("the check");
    (c.status, c.detail.clone())
}

#[test]
fn one_primary_alone_is_not_a_pass() {
    // No fault, no failover: db1 alone acknowledged writes.
    let (status, detail) = status("failover-baseline.toml");
    assert_eq!(status, CheckStatus::NotApplicable, "{detail}");
    assert!(detail.contains("only db1"), "{detail}");
}

#[test]
fn two_primaries_in_turn_are_judged() {
    // Two failovers: the acknowledgements of two nodes were compared.
    let (status, detail) = status("failover-primary-crash.toml");
    assert_eq!(status, CheckStatus::Pass, "{detail}");
}
