//! Golden trace hashes: every scenario file in scenarios/, at its own seed and the next two,
//! gives the trace hash recorded in `tests/golden/trace-hashes.tsv`. A change that moves a
//! hash fails here; when the move is intended, rewrite the file with
//! `FAULTLINE_BLESS=1 cargo test -p faultline-scenario --test golden_hashes` and say why in
//! the commit.

use std::fmt::Write as _;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Seeds past each file's own seed that are pinned too.
const EXTRA_SEEDS: u64 = 2;

#[test]
fn every_scenario_file_keeps_its_trace_hashes() {
    let dir = root().join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut table = String::from("# file\tseed\ttrace_hash\n");
    for path in &files {
        let s = scenario::load(path, &[]).unwrap_or_else(|e| panic!("{e}"));
        for seed in s.seed..=s.seed + EXTRA_SEEDS {
            let mut s = s.clone();
            s.seed = seed;
            let run = scenario::registry::prepare(&s).unwrap();
            let hash = run.execute_quietly().summary.trace_hash;
            let name = path.file_name().unwrap().to_string_lossy();
            writeln!(table, "{name}\t{seed}\t{hash:016x}").unwrap();
        }
    }
    let golden = root().join("tests/golden/trace-hashes.tsv");
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(&golden, &table).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden)
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
