//! The scenario files users run: every one loads. What each protocol's files must do (bug files
//! fail their check and pass without the bug, the rest pass, golden trace hashes) is the
//! conformance test each protocol crate runs (crates/raft/tests/conformance.rs).

use std::path::PathBuf;

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

#[test]
fn every_scenario_file_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 8);
}

#[test]
fn the_closed_loop_bug_file_runs_closed_loop() {
    let path = scenarios_dir().join("raft-bug-stale-read-closed-loop.toml");
    let s = scenario::load(&path, &[]).unwrap();
    let workload = s.workload.as_ref().unwrap();
    assert_eq!(workload.get("concurrency").and_then(|v| v.as_integer()), Some(2));
    assert!(workload.get("rate").is_none());
}

/// scenarios/README.md documents every parameter, event and known bug each protocol declares
/// (the same declarations `faultline list` prints), so the reference cannot fall behind.
#[test]
fn the_key_reference_documents_every_declared_parameter() {
    let text = std::fs::read_to_string(scenarios_dir().join("README.md")).unwrap();
    for p in scenario::registry::registry().protocols() {
        let heading = format!("## `[{}]`", p.name());
        let start = text.find(&heading).unwrap_or_else(|| panic!("no {heading} section"));
        let section = &text[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        for param in p.parameters() {
            assert!(
                section.contains(&format!("`{}`", param.key)),
                "{heading} does not document `{}`",
                param.key
            );
        }
        for bug in p.bugs() {
            assert!(text.contains(&format!("\"{}\"", bug.name)), "bug {} undocumented", bug.name);
        }
    }
}
