//! Raft's scenario files against the platform's conformance test: bug files fail their named
//! check and pass without the bug, the others pass, runs are deterministic and keep their
//! golden trace hashes.

#[test]
fn conformance() {
    scenario::conformance::check(&raft::Raft, env!("CARGO_MANIFEST_DIR"));
}
