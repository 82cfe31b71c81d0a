//! Runs that once failed on correct Raft, kept as scenario files in `tests/regressions/`: each
//! must now pass every check it is held to. Each file's description says what it found.

use platform::Verdict;

#[test]
fn every_regression_scenario_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario in {}", dir.display());
    for path in files {
        let s = scenario::load(&path, &[]).unwrap();
        let result = scenario::registry::prepare(&s).unwrap().execute_quietly();
        assert_eq!(result.verdict(), Verdict::Pass, "{}: {:#?}", path.display(), result.checks);
    }
}
