//! Every input the history fuzzer found crashing `check-history`'s readers or the checker,
//! replayed through the function the fuzz target calls (`check::fuzzing::history_input`). The
//! inputs live in `fuzz/regressions/history/`.

use std::path::PathBuf;

#[test]
fn every_saved_crashing_history_input_is_handled() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/history");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| check::fuzzing::history_input(&data));
        assert!(outcome.is_ok(), "{} panicked", file.display());
    }
}
