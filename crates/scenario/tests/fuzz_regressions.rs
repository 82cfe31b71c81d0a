//! Every input the scenario fuzzer (or a bug report) found crashing faultline, replayed through
//! the function the fuzz target calls (`scenario::fuzzing::scenario_input`): each must now load
//! cleanly or fail with an error, never panic. The inputs live in `fuzz/regressions/scenario/`.

use std::path::PathBuf;

#[test]
fn every_saved_crashing_scenario_input_is_handled() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/scenario");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {}", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| scenario::fuzzing::scenario_input(&data));
        assert!(outcome.is_ok(), "{} panicked", file.display());
    }
}
