//! Readers for Jepsen's history formats.
//!
//! - The etcd logs of the Porcupine corpus: `INFO  jepsen.util - PID :type :f value`, fields
//!   separated by any whitespace (tabs in most files, spaces in some). A compare-and-set
//!   register. `:fail :read :timed-out` returns the read with an unknown result; `:info` lines
//!   leave the call open until the end. Lines without `jepsen.util -` are not events.
//! - EDN maps, one per line: `{:process P, :type :invoke, :f :get, :key "K", :value nil}`, for
//!   the string key-value model (`get`, `put`, `append`).

use crate::history::{Completion, Pairer, Parsed};
use crate::model::{KvInput, KvOutput, RegisterInput, RegisterOutput};

const MARK: &str = "jepsen.util - ";

/// True when `text` looks like a Jepsen etcd log: some line has `jepsen.util - `, a process
/// number and a `:type`.
pub fn is_etcd_log(text: &str) -> bool {
    text.lines().filter_map(|l| l.split_once(MARK)).any(|(_, event)| {
        let mut f = event.split_whitespace();
        f.next().is_some_and(|pid| pid.parse::<u64>().is_ok())
            && f.next().is_some_and(|t| t.starts_with(':'))
    })
}

/// True when `text` looks like EDN maps, one per line.
pub fn is_edn_lines(text: &str) -> bool {
    text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with("{:"))
}

fn parse_value(s: &str) -> Result<Option<i64>, String> {
    match s {
        "nil" => Ok(None),
        _ => s.parse().map(Some).map_err(|_| format!("expected an integer or nil, found `{s}`")),
    }
}

fn parse_pair(s: &str) -> Result<(i64, i64), String> {
    let inner = s
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| format!("expected [A B], found `{s}`"))?;
    let mut it = inner.split_whitespace();
    match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), None) => Ok((
            a.parse().map_err(|_| format!("bad integer `{a}`"))?,
            b.parse().map_err(|_| format!("bad integer `{b}`"))?,
        )),
        _ => Err(format!("expected [A B], found `{s}`")),
    }
}

/// Reads a Jepsen etcd log (a single compare-and-set register, key `""`).
pub fn read_etcd_log(text: &str) -> Result<Parsed<RegisterInput, RegisterOutput>, String> {
    let mut p = Pairer::default();
    for (i, line) in text.lines().enumerate() {
        let Some((_, event)) = line.split_once(MARK) else { continue };
        let at = |m: String| format!("line {}: {m}", i + 1);
        let mut fields = event.split_whitespace();
        let (Some(pid), Some(kind), Some(f)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(at(format!("expected `PID :type :f value`, found `{event}`")));
        };
        let value = fields.collect::<Vec<_>>().join(" ");
        let process: u64 = pid.parse().map_err(|_| at(format!("bad process id `{pid}`")))?;
        let time = i as u64;
        let f = f.trim_start_matches(':');
        match kind {
            ":invoke" => {
                let input = match f {
                    "read" => RegisterInput::Read,
                    "write" => RegisterInput::Write(
                        parse_value(&value)
                            .map_err(at)?
                            .ok_or_else(|| at("write of nil".into()))?,
                    ),
                    "cas" => {
                        let (expected, new) = parse_pair(&value).map_err(at)?;
                        RegisterInput::Cas { expected, new }
                    }
                    other => return Err(at(format!("unknown function `{other}`"))),
                };
                p.invoke(process, time, f, "", input).map_err(at)?;
            }
            ":ok" => {
                let output = match f {
                    "read" => RegisterOutput::Read(parse_value(&value).map_err(at)?),
                    "write" => RegisterOutput::Written,
                    "cas" => RegisterOutput::Swapped,
                    other => return Err(at(format!("unknown function `{other}`"))),
                };
                p.complete(process, time, Completion::Returned(Some(output))).map_err(at)?;
            }
            ":fail" if f == "read" && value == ":timed-out" => {
                p.complete(process, time, Completion::Returned(None)).map_err(at)?
            }
            ":fail" if f == "cas" => p
                .complete(process, time, Completion::Returned(Some(RegisterOutput::CasFailed)))
                .map_err(at)?,
            ":fail" => p.complete(process, time, Completion::DidNotHappen).map_err(at)?,
            // The call stays open until the end of the history.
            ":info" => {}
            other => return Err(at(format!("unknown type `{other}`"))),
        }
    }
    Ok(p.finish())
}

/// Splits one EDN map line into `(key, value)` pairs (`:process 3`, `:key "K"`, …).
fn edn_fields(line: &str) -> Result<Vec<(String, String)>, String> {
    let inner =
        line.trim().strip_prefix('{').and_then(|r| r.strip_suffix('}')).ok_or("expected {…}")?;
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (key, tail) = rest.split_once(char::is_whitespace).ok_or("expected `:key value`")?;
        let tail = tail.trim_start();
        let (value, after) = if let Some(quoted) = tail.strip_prefix('"') {
            let end = quoted.find('"').ok_or("unterminated string")?;
            (quoted[..end].to_string(), &quoted[end + 1..])
        } else {
            let end = tail.find(',').unwrap_or(tail.len());
            (tail[..end].trim().to_string(), &tail[end..])
        };
        out.push((key.trim_start_matches(':').to_string(), value));
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

/// Reads EDN-lines key-value histories (`get`, `put`, `append` on string keys).
pub fn read_kv_edn(text: &str) -> Result<Parsed<KvInput, KvOutput>, String> {
    let mut p = Pairer::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |m: String| format!("line {}: {m}", i + 1);
        let fields = edn_fields(line).map_err(|e| at(e.to_string()))?;
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| at(format!("missing :{k}")))
        };
        let process: u64 = get("process")?.parse().map_err(|_| at("bad :process".into()))?;
        let f = get("f")?.trim_start_matches(':').to_string();
        let key = get("key")?.to_string();
        let value = get("value")?.to_string();
        let time = i as u64;
        match get("type")? {
            ":invoke" => {
                let input = match f.as_str() {
                    "get" => KvInput::Get,
                    "put" => KvInput::Put(value),
                    "append" => KvInput::Append(value),
                    other => return Err(at(format!("unknown function `{other}`"))),
                };
                p.invoke(process, time, &f, &key, input).map_err(at)?;
            }
            ":ok" => {
                let output = if f == "get" { KvOutput::Value(value) } else { KvOutput::Done };
                p.complete(process, time, Completion::Returned(Some(output))).map_err(at)?;
            }
            ":fail" => p.complete(process, time, Completion::DidNotHappen).map_err(at)?,
            ":info" => p.complete(process, time, Completion::Open).map_err(at)?,
            other => return Err(at(format!("unknown type `{other}`"))),
        }
    }
    Ok(p.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_lines_with_tabs_or_spaces() {
        let text = "setup\nINFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 1   :invoke :read   nil\nINFO  jepsen.util - 1   :fail   :read   :timed-out\nINFO  jepsen.util - 0 :info :cas :timed-out\n";
        let p = read_etcd_log(text).unwrap();
        assert_eq!(p.ops(), 2);
        assert_eq!((p.open, p.unknown), (1, 1));
    }

    #[test]
    fn edn_maps() {
        let text = "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n{:process 9, :type :ok, :f :append, :key \"0\", :value \"x 9 0 y\"}\n";
        let p = read_kv_edn(text).unwrap();
        assert_eq!(p.keys[0].1[0].input, KvInput::Append("x 9 0 y".into()));
    }
}
