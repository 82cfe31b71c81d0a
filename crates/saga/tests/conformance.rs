//! The saga scenario files against the platform's conformance test: each bug file fails the
//! check its bug names and passes without its bug line, the others pass, runs are
//! deterministic and keep their golden trace hashes.

#[test]
fn conformance() {
    scenario::conformance::check(&saga::Saga, env!("CARGO_MANIFEST_DIR"));
}
