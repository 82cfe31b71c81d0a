//! The conformance test every protocol crate runs in one line:
//!
//! ```ignore
//! #[test]
//! fn conformance() {
//!     scenario::conformance::check(&raft::Raft, env!("CARGO_MANIFEST_DIR"));
//! }
//! ```
//!
//! It finds the protocol's scenario files (`scenarios/<name>-*.toml`) and its golden hashes
//! (`tests/golden-hashes.tsv` in the protocol's crate) and asserts:
//! - every known bug has a `<name>-bug-<bug>*.toml` file, and each such file fails the check its
//!   bug names (fail, not unknown) and passes with its `bug = …` line removed;
//! - every other file passes;
//! - a seed gives the same trace hash twice, and under several threads at once;
//! - every file, at its seed and the next two, gives the trace hash recorded in the golden file.
//!   A change that moves one fails; an intended move is blessed with `FAULTLINE_BLESS=1 cargo
//!   test`, which rewrites the file (say why in the commit).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use check::outcome::CheckStatus;
use platform::{Protocol, Verdict};

use crate::Scenario;
use crate::registry::{builtin, install, registry};

/// Seeds past each file's own seed whose hashes are pinned too.
const EXTRA_SEEDS: u64 = 2;

/// Runs the conformance test of `protocol`, whose crate is at `crate_dir` (the workspace's
/// `scenarios/` is two folders up). Panics with what failed.
pub fn check(protocol: &'static dyn Protocol, crate_dir: &str) {
    let crate_dir = Path::new(crate_dir);
    check_files(
        protocol,
        &crate_dir.join("../../scenarios"),
        &crate_dir.join("tests/golden-hashes.tsv"),
    );
}

/// [`check`] with the folders given: the scenario files and the golden-hash file.
pub fn check_files(protocol: &'static dyn Protocol, scenarios: &Path, golden: &Path) {
    // A protocol outside the built-in list is registered for this test process.
    let _ = install(builtin().with(protocol));
    assert!(
        registry().get(protocol.name()).is_some(),
        "another registry without {} was installed first",
        protocol.name()
    );
    let files = scenario_files(protocol.name(), scenarios);
    assert!(!files.is_empty(), "no {}-*.toml in {}", protocol.name(), scenarios.display());
    let loaded: Vec<(String, Scenario)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, crate::load(p, &[]).unwrap_or_else(|e| panic!("{e}")))
        })
        .collect();
    every_bug_has_a_file(protocol, &loaded);
    for (file, s) in &loaded {
        runs_to_its_status(protocol, file, s);
    }
    deterministic(&loaded);
    golden_hashes(&loaded, golden);
}

fn scenario_files(name: &str, dir: &Path) -> Vec<PathBuf> {
    let prefix = format!("{name}-");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            f.starts_with(&prefix) && f.ends_with(".toml")
        })
        .collect();
    files.sort();
    files
}

/// The `bug = …` a scenario switches on, if any.
fn bug_of(s: &Scenario) -> Option<String> {
    s.protocol_table()?.get("bug")?.as_str().map(str::to_string)
}

fn every_bug_has_a_file(protocol: &dyn Protocol, loaded: &[(String, Scenario)]) {
    for bug in protocol.bugs() {
        let file = format!("{}-bug-{}", protocol.name(), bug.name);
        assert!(
            loaded
                .iter()
                .any(|(f, s)| f.starts_with(&file) && bug_of(s).as_deref() == Some(bug.name)),
            "known bug {} has no {file}*.toml switching it on",
            bug.name
        );
    }
}

fn runs_to_its_status(protocol: &dyn Protocol, file: &str, s: &Scenario) {
    let result = crate::registry::prepare(s).unwrap().execute_quietly();
    let bug = bug_of(s);
    let is_bug_file = file.starts_with(&format!("{}-bug-", protocol.name()));
    assert_eq!(is_bug_file, bug.is_some(), "{file}: a -bug- file, and only one, switches a bug on");
    let Some(bug) = bug else {
        assert_eq!(result.verdict(), Verdict::Pass, "{file} must pass: {:#?}", result.checks);
        return;
    };
    let known =
        protocol.bugs().iter().find(|b| b.name == bug).unwrap_or_else(|| {
            panic!("{file}: bug `{bug}` is not among the protocol's known bugs")
        });
    // Failed, not merely unknown: an undecided check has caught nothing.
    assert!(
        result.checks.iter().any(|c| c.name == known.check && c.status == CheckStatus::Fail),
        "{file}: `{bug}` must fail {}, got {:#?}",
        known.check,
        result.checks
    );
    let mut fixed = s.clone();
    let table = fixed.tables.get_mut(&s.protocol).and_then(toml::Value::as_table_mut).unwrap();
    table.remove("bug");
    fixed.check().unwrap();
    let result = crate::registry::prepare(&fixed).unwrap().execute_quietly();
    assert_eq!(
        result.verdict(),
        Verdict::Pass,
        "{file} without its bug line must pass: {:#?}",
        result.checks
    );
}

fn hash(s: &Scenario, seed: u64) -> u64 {
    let mut s = s.clone();
    s.seed = seed;
    crate::registry::prepare(&s).unwrap().execute_quietly().summary.trace_hash
}

fn deterministic(loaded: &[(String, Scenario)]) {
    let once: Vec<u64> = loaded.iter().map(|(_, s)| hash(s, s.seed)).collect();
    let again: Vec<u64> = loaded.iter().map(|(_, s)| hash(s, s.seed)).collect();
    assert_eq!(once, again, "the same seed gave different trace hashes");
    let threads = std::thread::scope(|scope| {
        let handles: Vec<_> =
            loaded.iter().map(|(_, s)| scope.spawn(move || hash(s, s.seed))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<u64>>()
    });
    assert_eq!(once, threads, "runs on several threads at once gave different trace hashes");
}

fn golden_hashes(loaded: &[(String, Scenario)], golden: &Path) {
    let mut table = String::from("# file\tseed\ttrace_hash\n");
    for (file, s) in loaded {
        for seed in s.seed..=s.seed + EXTRA_SEEDS {
            writeln!(table, "{file}\t{seed}\t{:016x}", hash(s, seed)).unwrap();
        }
    }
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(golden, &table).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(golden)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with FAULTLINE_BLESS=1)", golden.display()));
    if expected != table {
        let diff: Vec<String> = expected
            .lines()
            .zip(table.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("  golden {a}\n  now    {b}"))
            .collect();
        panic!(
            "trace hashes moved ({} lines differ; {} golden lines, {} now):\n{}\n\
             bless with FAULTLINE_BLESS=1 only if the change is meant to move them",
            diff.len(),
            expected.lines().count(),
            table.lines().count(),
            diff.join("\n")
        );
    }
}
