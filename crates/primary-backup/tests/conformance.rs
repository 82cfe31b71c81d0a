//! The template's scenario files against the platform's conformance test: the bug file fails
//! "Acknowledged Writes Survive" and passes without its bug line, the others pass, runs are
//! deterministic and keep their golden trace hashes.

#[test]
fn conformance() {
    scenario::conformance::check(&primary_backup::PrimaryBackup, env!("CARGO_MANIFEST_DIR"));
}
