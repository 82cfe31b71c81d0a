//! A check with nothing to judge says so: a run in which no order is placed moves no money
//! and no stock, so Money Conserved and Stock Conserved are unknown, not passed.

use std::path::Path;

use check::outcome::CheckStatus;

#[test]
fn saga_checks_without_orders_are_unknown_not_passed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/saga-baseline.toml");
    let sets = vec!["saga.rate=0.0".to_string()];
    let s = scenario::load(&path, &sets).unwrap();
    let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
    for c in &result.checks {
        assert_ne!(
            c.status,
            CheckStatus::Pass,
            "{} passed having judged nothing: {}",
            c.name,
            c.detail
        );
    }
}
