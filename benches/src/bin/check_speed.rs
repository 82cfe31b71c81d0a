//! Linearizability checker speed, file by file, beside Porcupine: on Porcupine's own corpus
//! (`../shared/oracles/porcupine`) and on long generated histories (thousands of operations on
//! one compare-and-set register, many processes, timeouts, one anomaly late in some).
//!
//! For each file it times what `faultline check-history` times (parse excluded, as in
//! Porcupine's figures): the verdict alone, and the verdict with its counterexample (what
//! check-history prints), as medians over `--repeats` runs, and prints the ratio of
//! Porcupine's time to ours (above 1: faultline is faster). Porcupine's times come from TSV
//! files in the format of `../shared/peers/porcupine-times.tsv` (file, verdict, ops,
//! median_ms, min_ms); for the generated set, produce one with a Porcupine driver (see
//! benches/README.md) after `--write-only` has written the files.
//!
//! ```text
//! cargo run --release -p faultline-benches --bin check_speed -- [--set corpus|generated|both]
//!     [--out target/check-speed] [--repeats 5] [--porcupine-generated FILE] [--write-only]
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use check::jepsen::{read_etcd_log, read_kv_edn};
use check::linearizability::{DEFAULT_BUDGET, Verdict, check, verdict_only};
use check::model::{CasRegister, Model, StringKv};
use clap::Parser;

/// What to measure.
#[derive(Parser, Debug)]
struct Args {
    /// Which files: Porcupine's corpus, the generated histories, or both.
    #[arg(long, default_value = "both")]
    set: String,
    /// Porcupine's corpus.
    #[arg(long, default_value = "../shared/oracles/porcupine")]
    corpus: PathBuf,
    /// Porcupine's times on its corpus.
    #[arg(long, default_value = "../shared/peers/porcupine-times.tsv")]
    porcupine_corpus: PathBuf,
    /// Porcupine's times on the generated files (same format), if measured.
    #[arg(long)]
    porcupine_generated: Option<PathBuf>,
    /// Where the generated histories are written.
    #[arg(long, default_value = "target/check-speed")]
    out: PathBuf,
    /// Runs per file and measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Only write the generated histories.
    #[arg(long)]
    write_only: bool,
}

/// SplitMix64: the generator's only source of randomness, so a seed fixes every file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The shape of one generated history.
struct Shape {
    ops: usize,
    processes: u64,
    /// Values are drawn from `0..values` (Jepsen's etcd test: 5).
    values: i64,
    /// Share of operations that time out (reads fail unknown, writes and cas stay open).
    timeouts: f64,
    /// Where the anomaly is, as a share of the history (`None`: a linearizable history).
    anomaly: Option<f64>,
    seed: u64,
}

impl Shape {
    fn name(&self) -> String {
        let kind = match self.anomaly {
            None => "ok".to_string(),
            Some(at) => format!("bad{}", (at * 100.0) as u32),
        };
        format!(
            "gen-{}ops-{}p-v{}-t{}-{kind}-s{}.log",
            self.ops,
            self.processes,
            self.values,
            (self.timeouts * 100.0) as u32,
            self.seed
        )
    }
}

/// One operation of a generated history, in ticks.
struct GenOp {
    process: u64,
    call: u64,
    ret: u64,
    /// When it takes effect (strictly between call and return), if it does.
    at: Option<u64>,
    kind: u8,
    a: i64,
    b: i64,
    timed_out: bool,
}

/// A history of a correct register, as a Jepsen etcd log; with an anomaly, one read late in
/// it returns a value nothing ever wrote (so no order is legal past it, but every order must
/// be tried up to there).
fn generate(s: &Shape) -> String {
    let mut rng = Rng(s.seed);
    let mut ops: Vec<GenOp> = Vec::with_capacity(s.ops);
    // Each process runs one operation at a time: think, call, wait, return.
    let mut free_at: Vec<u64> = (0..s.processes).map(|_| rng.below(1000)).collect();
    let mut ids: Vec<u64> = (0..s.processes).collect();
    while ops.len() < s.ops {
        let p = (0..s.processes as usize).min_by_key(|&p| (free_at[p], p)).expect("processes");
        let call = free_at[p];
        let latency = 200 + rng.below(2000) + if rng.chance(0.05) { rng.below(20_000) } else { 0 };
        let ret = call + latency;
        let kind = match rng.below(10) {
            0..=3 => 0,
            4..=6 => 1,
            _ => 2,
        };
        let timed_out = rng.chance(s.timeouts);
        // A timed-out write or cas may or may not have taken effect; a read changes nothing.
        let takes_effect = !timed_out || kind == 0 || rng.chance(0.5);
        let at = takes_effect.then(|| call + 1 + rng.below(latency - 1));
        ops.push(GenOp {
            process: ids[p],
            call,
            ret,
            at,
            kind,
            a: rng.below(s.values as u64) as i64,
            b: rng.below(s.values as u64) as i64,
            timed_out,
        });
        free_at[p] = ret + rng.below(500);
        if timed_out && kind != 0 {
            // Jepsen gives a process whose call is indeterminate a new id.
            ids[p] += s.processes;
        }
    }
    // Apply the operations that took effect in the order they did: the outputs.
    let mut order: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].at.is_some()).collect();
    order.sort_by_key(|&i| (ops[i].at, i));
    let mut value: Option<i64> = None;
    let mut outputs: Vec<(Option<i64>, bool)> = vec![(None, false); ops.len()];
    for i in order {
        let o = &ops[i];
        outputs[i] = match o.kind {
            0 => (value, true),
            1 => {
                value = Some(o.a);
                (None, true)
            }
            _ if value == Some(o.a) => {
                value = Some(o.b);
                (None, true)
            }
            _ => (None, false),
        };
    }
    let anomaly = s.anomaly.and_then(|at| {
        let from = (at * s.ops as f64) as usize;
        (from..ops.len()).find(|&i| ops[i].kind == 0 && !ops[i].timed_out)
    });
    // Events in time order (a return before a call at the same tick: it happened first).
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        events.push((o.call, true, i));
        if !(o.timed_out && o.kind != 0) || rng.chance(0.5) {
            events.push((o.ret, false, i));
        }
    }
    events.sort_unstable();
    let mut text = String::new();
    for (_, is_call, i) in events {
        let o = &ops[i];
        let pid = o.process;
        let line = match (is_call, o.kind) {
            (true, 0) => format!("{pid}\t:invoke\t:read\tnil"),
            (true, 1) => format!("{pid}\t:invoke\t:write\t{}", o.a),
            (true, _) => format!("{pid}\t:invoke\t:cas\t[{} {}]", o.a, o.b),
            (false, 0) if o.timed_out => format!("{pid}\t:fail\t:read\t:timed-out"),
            (false, 1) if o.timed_out => format!("{pid}\t:info\t:write\t:timed-out"),
            (false, _) if o.timed_out => format!("{pid}\t:info\t:cas\t:timed-out"),
            (false, 0) => {
                let v = if Some(i) == anomaly { Some(s.values) } else { outputs[i].0 };
                let v = v.map_or("nil".to_string(), |v| v.to_string());
                format!("{pid}\t:ok\t:read\t{v}")
            }
            (false, 1) => format!("{pid}\t:ok\t:write\t{}", o.a),
            (false, _) => {
                let how = if outputs[i].1 { "ok" } else { "fail" };
                format!("{pid}\t:{how}\t:cas\t[{} {}]", o.a, o.b)
            }
        };
        writeln!(text, "INFO  jepsen.util - {line}").expect("writing to a String");
    }
    text
}

/// The generated set: long single-register histories, linearizable and not.
fn shapes() -> Vec<Shape> {
    let mut v = Vec::new();
    let mut seed = 1;
    for (ops, processes, values, timeouts) in
        [(1000, 8, 5, 0.01), (2400, 6, 5, 0.005), (2400, 8, 5, 0.0), (5000, 6, 5, 0.002)]
    {
        for anomaly in [None, Some(0.9)] {
            v.push(Shape { ops, processes, values, timeouts, anomaly, seed });
            seed += 1;
        }
    }
    // Linearizable with many timeouts: open writes and cas may take effect anywhere.
    for (ops, processes, timeouts) in [(2400, 10, 0.05), (5000, 10, 0.03)] {
        v.push(Shape { ops, processes, values: 5, timeouts, anomaly: None, seed });
        seed += 1;
    }
    // Many distinct values: fewer states coincide, so the memo table holds more.
    v.push(Shape {
        ops: 2400,
        processes: 8,
        values: 50,
        timeouts: 0.005,
        anomaly: Some(0.8),
        seed,
    });
    v
}

/// Porcupine's times: file → (verdict, median ms).
fn porcupine_times(path: &Path) -> BTreeMap<String, (String, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t") && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f.first()?.to_string(), (f.get(1)?.to_string(), f.get(3)?.parse().ok()?)))
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

/// One file's figures.
struct Row {
    file: String,
    ops: usize,
    verdict: &'static str,
    steps: u64,
    verdict_ms: f64,
    full_ms: f64,
}

// A benchmark measures wall time around the checks, never inside them.
#[allow(clippy::disallowed_methods)]
fn measure<M: Model>(
    model: &M,
    file: String,
    ops: usize,
    keys: check::history::Keyed<M::Input, M::Output>,
    repeats: usize,
) -> Row {
    let mut verdict_times = Vec::new();
    let mut full_times = Vec::new();
    let mut found = (None, 0);
    let mut verdict = "unknown";
    for _ in 0..repeats {
        let started = Instant::now();
        found = verdict_only(model, &keys, DEFAULT_BUDGET);
        verdict_times.push(started.elapsed());
        let input = keys.clone();
        let started = Instant::now();
        let report = check(model, input, DEFAULT_BUDGET);
        full_times.push(started.elapsed());
        verdict = match report.verdict {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable(_) => "not",
            Verdict::Unknown { .. } => "unknown",
        };
    }
    let agrees = matches!(
        (found.0, verdict),
        (Some(true), "linearizable") | (Some(false), "not") | (None, "unknown")
    );
    assert!(agrees, "{file}: verdict-only and full check disagree");
    Row {
        file,
        ops,
        verdict,
        steps: found.1,
        verdict_ms: median(verdict_times),
        full_ms: median(full_times),
    }
}

fn measure_file(path: &Path, name: String, repeats: usize) -> Option<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.starts_with("kv/") {
        let p = read_kv_edn(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ops = p.ops();
        Some(measure(&StringKv, name, ops, p.keys, repeats))
    } else {
        let p = read_etcd_log(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ops = p.ops();
        (ops > 0).then(|| measure(&CasRegister, name, ops, p.keys, repeats))
    }
}

/// Prints the rows beside Porcupine's times, the slowest (by Porcupine's time or ours) last,
/// and the sums; returns nothing, the table is the result.
fn table(title: &str, rows: &[Row], porcupine: &BTreeMap<String, (String, f64)>) {
    println!("\n== {title}: {} files ==", rows.len());
    println!(
        "{:<44} {:>6} {:>13} {:>10} {:>11} {:>11} {:>12} {:>7}",
        "file", "ops", "verdict", "steps", "verdict ms", "with cx ms", "porcupine ms", "ratio"
    );
    let (mut sum_v, mut sum_f, mut sum_p) = (0.0, 0.0, 0.0);
    let mut paired = 0;
    let mut sorted: Vec<&Row> = rows.iter().collect();
    let key = |r: &Row| r.full_ms.max(porcupine.get(&r.file).map_or(0.0, |p| p.1));
    sorted.sort_by(|a, b| key(a).total_cmp(&key(b)));
    for r in &sorted {
        sum_v += r.verdict_ms;
        sum_f += r.full_ms;
        let (p_ms, ratio, mark) = match porcupine.get(&r.file) {
            Some((pv, p)) => {
                sum_p += p;
                paired += 1;
                let same = if pv == r.verdict { "" } else { "  VERDICT DIFFERS" };
                (format!("{p:.3}"), format!("{:.2}", p / r.full_ms), same)
            }
            None => ("-".into(), "-".into(), ""),
        };
        println!(
            "{:<44} {:>6} {:>13} {:>10} {:>11.3} {:>11.3} {:>12} {:>7}{mark}",
            r.file, r.ops, r.verdict, r.steps, r.verdict_ms, r.full_ms, p_ms, ratio
        );
    }
    println!(
        "sum: verdict {sum_v:.1} ms, with counterexample {sum_f:.1} ms, porcupine {sum_p:.1} ms \
         ({paired} files timed by both), ratio {:.2}",
        if sum_f > 0.0 { sum_p / sum_f } else { 0.0 }
    );
}

fn main() {
    let args = Args::parse();
    let corpus = args.set == "corpus" || args.set == "both";
    let generated = args.set == "generated" || args.set == "both";
    if generated || args.write_only {
        std::fs::create_dir_all(&args.out).expect("creating --out");
        for s in shapes() {
            std::fs::write(args.out.join(s.name()), generate(&s)).expect("writing a history");
        }
        println!("generated histories in {}", args.out.display());
        if args.write_only {
            return;
        }
    }
    if corpus {
        let mut files: Vec<String> = Vec::new();
        for dir in ["jepsen", "kv"] {
            let mut names: Vec<String> = std::fs::read_dir(args.corpus.join(dir))
                .unwrap_or_else(|e| panic!("{}: {e}", args.corpus.display()))
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".log") || n.ends_with(".txt"))
                .map(|n| format!("{dir}/{n}"))
                .collect();
            names.sort();
            files.extend(names);
        }
        let rows: Vec<Row> = files
            .into_iter()
            .filter_map(|f| measure_file(&args.corpus.join(&f), f, args.repeats))
            .collect();
        table("Porcupine's corpus", &rows, &porcupine_times(&args.porcupine_corpus));
    }
    if generated {
        let rows: Vec<Row> = shapes()
            .iter()
            .filter_map(|s| measure_file(&args.out.join(s.name()), s.name(), args.repeats))
            .collect();
        let porcupine =
            args.porcupine_generated.as_deref().map(porcupine_times).unwrap_or_default();
        table("generated histories", &rows, &porcupine);
    }
}
