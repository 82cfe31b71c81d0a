//! `check-history`'s readers as the fuzzer drives them: every reader on any text, then the
//! checker on whatever they parsed.
//!
//! `fuzz/fuzz_targets/history.rs` calls [`history_input`] with every input libFuzzer makes,
//! and `tests/fuzz_regressions.rs` replays every input saved in `fuzz/regressions/history/`
//! through the same function. A reader must answer any text with a history or an error; the
//! checker must answer any parsed history with a verdict.

use crate::history::{kv_from_faultline, read_faultline_jsonl, register_from_faultline};
use crate::jepsen::{is_edn_lines, is_etcd_log, read_etcd_log, read_kv_edn};
use crate::linearizability::check;
use crate::model::{CasRegister, StringKv};

/// Search steps per check: enough to reach verdicts on small histories, few enough for
/// thousands of inputs a second.
const BUDGET: u64 = 10_000;

/// Reads `data` with every reader `faultline check-history` has (whatever the format detection
/// would pick) and checks each history that parses. Panics on any bug.
pub fn history_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = (is_etcd_log(text), is_edn_lines(text));
    if let Ok(parsed) = read_etcd_log(text) {
        let _ = parsed.ops();
        check(&CasRegister, parsed.keys, BUDGET);
    }
    if let Ok(parsed) = read_kv_edn(text) {
        let _ = parsed.ops();
        check(&StringKv, parsed.keys, BUDGET);
    }
    if let Ok(entries) = read_faultline_jsonl(text) {
        if let Ok(parsed) = register_from_faultline(&entries) {
            check(&CasRegister, parsed.keys, BUDGET);
        }
        if let Ok(parsed) = kv_from_faultline(&entries) {
            check(&StringKv, parsed.keys, BUDGET);
        }
    }
}
