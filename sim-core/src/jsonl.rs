//! JSON lines: one JSON value per line, as faultline writes traces and histories.

use serde::de::DeserializeOwned;

/// Parses every non-blank line of `text` as a `T`; an error names the line.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}
