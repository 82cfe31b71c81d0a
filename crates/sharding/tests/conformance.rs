//! The sharding scenario files against the platform's conformance test: each bug file fails its
//! named check and passes without its bug line, the others pass, runs are deterministic and keep
//! their golden trace hashes.

#[test]
fn conformance() {
    scenario::conformance::check(&sharding::Sharding, env!("CARGO_MANIFEST_DIR"));
}
