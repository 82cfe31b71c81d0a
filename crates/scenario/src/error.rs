//! One clear error for a bad scenario: where, which key, what is allowed.

use std::fmt;
use std::path::PathBuf;

/// A scenario that cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// The dotted key, when known.
    pub key: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col =
        before.rfind('\n').map_or(before.chars().count(), |nl| before[nl + 1..].chars().count())
            + 1;
    (line, col)
}

/// Best-effort position of a dotted key (`network.loss`, `fault[2].at`, `raft.bug`) in `text`:
/// the line that sets it, found by walking the table headers.
pub fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let leaf = parts.pop()?;
    let (table, index) = match parts.first() {
        Some(t) => match t.split_once('[') {
            Some((name, rest)) => (Some(name), rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (Some(*t), None),
        },
        None => (None, None),
    };
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    let mut current: Option<String> = None;
    let mut seen = 0usize;
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some(h) =
            t.strip_prefix("[[").and_then(|r| r.split_once("]]")).map(|(h, _)| h.trim())
        {
            if Some(h) == table {
                seen += 1;
            }
            current = Some(format!("{h}#{}", seen.saturating_sub(1)));
        } else if let Some(h) =
            t.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(h, _)| h.trim())
        {
            current = Some(h.to_string());
        } else if let Some((k, _)) = t.split_once('=') {
            let k = k.trim().trim_matches('"');
            let here = match (&current, table, index) {
                (None, None, _) => true,
                (Some(c), Some(tb), Some(i)) => *c == format!("{tb}#{i}"),
                (Some(c), Some(tb), None) => c == tb,
                _ => false,
            };
            if here && k == leaf {
                let col = line.len() - line.trim_start().len();
                return Some(line_col(text, offset + col));
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_under_their_headers() {
        let text = "name = \"x\"\nduration = \"1s\"\n[network]\nloss = 2\n[[fault]]\nat = \"1s\"\n[[fault]]\n  at = \"9s\"\n";
        assert_eq!(locate(text, "duration"), Some((2, 1)));
        assert_eq!(locate(text, "network.loss"), Some((4, 1)));
        assert_eq!(locate(text, "fault[1].at"), Some((8, 3)));
        assert_eq!(locate(text, "raft.bug"), None);
    }
}
