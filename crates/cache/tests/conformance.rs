//! The cache scenario files against the platform's conformance test: each passes, runs are
//! deterministic and keep their golden trace hashes.

#[test]
fn conformance() {
    scenario::conformance::check(&cache::tier::Cache, env!("CARGO_MANIFEST_DIR"));
}
