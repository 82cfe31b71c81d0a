//! `faultline check-history FILE --model cas-register|kv [--budget N]`.
//!
//! Reads a Jepsen etcd log, Jepsen EDN lines, or faultline's `history.jsonl` (recognised by
//! content), checks it, prints the verdict (for an illegal history: the operation no legal
//! order gets past, the end of the legal order reached before it and the state it leaves, the
//! window of operations overlapping it, and why its answer is impossible), and exits 0
//! linearizable, 1 not, 3 unknown within the budget, 2 bad input.

use std::path::Path;

use check::history::{Parsed, kv_from_faultline, read_faultline_jsonl, register_from_faultline};
use check::jepsen::{is_edn_lines, is_etcd_log, read_etcd_log, read_kv_edn};
use check::linearizability::{Report, Verdict};
use check::model::{CasRegister, Model, StringKv};

use crate::error::CliError;
use crate::{ModelName, Status};

/// Bad input about `file`, which the message names first.
fn bad_input(file: &Path, message: impl std::fmt::Display) -> CliError {
    CliError::BadInput(format!("{}: {message}", file.display()))
}

pub fn run(file: &Path, model: ModelName, budget: u64) -> Result<Status, CliError> {
    if budget == 0 {
        return Err(bad_input(file, "--budget must be at least 1"));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| bad_input(file, format!("cannot read it: {e}")))?;
    let (format, parsed) = match (model, detect(&text)) {
        (ModelName::CasRegister, Format::EtcdLog) => {
            ("Jepsen etcd log", read_etcd_log(&text).map(Either::Register))
        }
        (ModelName::Kv, Format::EdnLines) => {
            ("Jepsen EDN lines", read_kv_edn(&text).map(Either::Kv))
        }
        (ModelName::CasRegister, Format::Faultline) => (
            "faultline history.jsonl",
            read_faultline_jsonl(&text)
                .and_then(|h| register_from_faultline(&h))
                .map(Either::Register),
        ),
        (ModelName::Kv, Format::Faultline) => (
            "faultline history.jsonl",
            read_faultline_jsonl(&text).and_then(|h| kv_from_faultline(&h)).map(Either::Kv),
        ),
        (ModelName::Kv, Format::EtcdLog) => {
            return Err(bad_input(
                file,
                "a Jepsen etcd log is a compare-and-set register history: use --model cas-register",
            ));
        }
        (ModelName::CasRegister, Format::EdnLines) => {
            return Err(bad_input(
                file,
                "these EDN lines are a key-value history (get/put/append): use --model kv",
            ));
        }
        (_, Format::Unknown) => {
            return Err(bad_input(
                file,
                "not a history: expected a Jepsen etcd log, Jepsen EDN lines ({:process …}) or faultline's history.jsonl",
            ));
        }
    };
    Ok(match parsed.map_err(|e| bad_input(file, e))? {
        Either::Register(p) => report(file, format, "cas-register", &CasRegister, p, budget),
        Either::Kv(p) => report(file, format, "kv", &StringKv, p, budget),
    })
}

enum Either<A, B> {
    Register(A),
    Kv(B),
}

enum Format {
    EtcdLog,
    EdnLines,
    Faultline,
    Unknown,
}

fn detect(text: &str) -> Format {
    if is_etcd_log(text) {
        Format::EtcdLog
    } else if is_edn_lines(text) {
        Format::EdnLines
    } else if text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'))
    {
        Format::Faultline
    } else {
        Format::Unknown
    }
}

// Wall time is measured around the check, never inside it.
#[allow(clippy::disallowed_methods)]
fn report<M: Model>(
    file: &Path,
    format: &str,
    model_name: &str,
    model: &M,
    parsed: Parsed<M::Input, M::Output>,
    budget: u64,
) -> Status {
    let ops = parsed.ops();
    let keys = parsed.keys.len();
    println!(
        "{}: {format}, model {model_name}, {ops} operations ({} open at the end), {keys} key{}",
        file.display(),
        parsed.open,
        if keys == 1 { "" } else { "s" }
    );
    let started = std::time::Instant::now();
    let Report { verdict, steps, .. } = parsed.check(model, budget);
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let status = match &verdict {
        Verdict::Linearizable => {
            println!("verdict: linearizable");
            Status::Pass
        }
        Verdict::NotLinearizable(c) => {
            println!("verdict: NOT linearizable");
            println!("{c}");
            Status::Fail
        }
        Verdict::Unknown { unfinished } => {
            println!(
                "verdict: unknown: the budget of {budget} search steps ran out on keys {unfinished:?}"
            );
            println!("(raise --budget to search further)");
            Status::Inconclusive
        }
    };
    println!("checked in {ms:.1} ms, {steps} search steps");
    status
}
