//! The checker against a corpus nobody on this team wrote: Porcupine's Jepsen etcd histories
//! and key-value histories, with Porcupine's verdict for each (`../shared/oracles/porcupine`).
//! Every file's operation counts must match `stats.tsv` (a parser that drops lines would
//! otherwise pass empty histories), and every verdict must match `verdicts.tsv`.

use std::collections::BTreeMap;
use std::path::PathBuf;
// The test reports how long the checker took on each file; nothing is asserted on time.
#[allow(clippy::disallowed_methods)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

use check::jepsen::{read_etcd_log, read_kv_edn};
use check::linearizability::{DEFAULT_BUDGET, Verdict, check};
use check::model::{CasRegister, StringKv};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/oracles/porcupine")
}

fn tsv(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(corpus().join(name)).unwrap_or_else(|e| {
        panic!("{name}: {e} (the corpus is expected at ../shared beside the checkout)")
    });
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable(_) => "not",
        Verdict::Unknown { .. } => "unknown",
    }
}

#[test]
fn every_porcupine_verdict_is_reproduced() {
    let verdicts: BTreeMap<String, String> =
        tsv("verdicts.tsv").into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let stats = tsv("stats.tsv");
    assert_eq!(verdicts.len(), 108);
    let mut checked = 0;
    let mut timings = Vec::new();
    for row in &stats {
        let file = &row[0];
        let n =
            |i: usize| -> usize { row[i].parse().unwrap_or_else(|_| panic!("{file}: column {i}")) };
        let text = std::fs::read_to_string(corpus().join(file)).unwrap();
        let started = now();
        let (verdict, ops) = if file.starts_with("jepsen/") {
            let p = read_etcd_log(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            // ops invoke_read invoke_write invoke_cas ... fail_read_timedout info pending
            assert_eq!(p.ops(), n(3), "{file}: operations");
            let count = |f: &str| p.invoked.get(f).copied().unwrap_or(0);
            assert_eq!((count("read"), count("write"), count("cas")), (n(4), n(5), n(6)), "{file}");
            assert_eq!(p.unknown, n(11), "{file}: reads returned unknown");
            assert_eq!(p.open, n(13), "{file}: calls open at the end");
            let ops = p.ops();
            (check(&CasRegister, p.keys, DEFAULT_BUDGET).verdict, ops)
        } else {
            let p = read_kv_edn(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(p.ops(), n(3), "{file}: operations");
            let count = |f: &str| p.invoked.get(f).copied().unwrap_or(0);
            assert_eq!((count("get"), count("put"), count("append")), (n(4), n(5), n(6)), "{file}");
            assert_eq!(p.keys.len(), n(7), "{file}: keys");
            assert_eq!(p.processes.len(), n(8), "{file}: processes");
            assert_eq!(p.open, n(9), "{file}: calls open at the end");
            let ops = p.ops();
            (check(&StringKv, p.keys, DEFAULT_BUDGET).verdict, ops)
        };
        let elapsed = started.elapsed();
        match verdicts.get(file) {
            Some(want) => {
                assert_eq!(verdict_name(&verdict), want, "{file}: Porcupine says {want}");
                checked += 1;
            }
            None => assert_eq!(ops, 0, "{file}: only the empty history has no verdict"),
        }
        timings.push((elapsed, file.clone(), ops));
    }
    assert_eq!(checked, 108);
    timings.sort();
    for (t, file, ops) in timings.iter().rev().take(5) {
        println!("{file}: {ops} operations, parsed and checked in {:.1} ms", t.as_secs_f64() * 1e3);
    }
}
