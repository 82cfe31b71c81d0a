//! One clear error for a bad scenario: where, which key, what is allowed, and the line itself.
//!
//! An error prints as one summary line (`file:line:column: `key`: message`, what scripts and
//! editors parse) followed, when the position is known, by the offending line with a caret
//! under the place, drawn by `annotate-snippets` as rustc and cargo draw theirs. It is plain
//! text unless the binary turned colour on with [`set_color`] (it does so only when stderr is
//! a terminal).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// Whether [`ScenarioError`]'s `Display` draws its snippet in colour; off unless the binary
/// says otherwise.
static COLOR: AtomicBool = AtomicBool::new(false);

/// Turns colour on or off for every [`ScenarioError`] printed from now on. The `faultline`
/// binary turns it on when stderr is a terminal (and `NO_COLOR` is unset); libraries never do.
pub fn set_color(on: bool) {
    COLOR.store(on, Ordering::Relaxed);
}

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
    /// The offending line and the part of it to underline, when the position is known.
    /// (Boxed: it is rarely read, and it keeps `Result<_, ScenarioError>` small.)
    pub snippet: Option<Box<SourceLine>>,
}

/// One line of a scenario file and the bytes of it an error points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The line, without its line break.
    pub text: String,
    /// Its 1-based number.
    pub line: usize,
    /// The bytes of `text` to underline; an empty range draws one caret at its start.
    pub span: Range<usize>,
}

impl ScenarioError {
    /// An error about `file` with no position yet.
    pub fn new(file: &Path, key: Option<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            position: None,
            key,
            message: message.into(),
            snippet: None,
        }
    }

    /// Points the error at bytes `span` of `text` (the whole file): sets the line and column
    /// of its start and keeps that line, underlining the part of `span` on it.
    pub fn at(mut self, text: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        self.position = Some(line_col(text, start));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[line_start..line_end].trim_end_matches('\r');
        // The underline stays within the visible line (a span may start at its `\r`).
        let visible_end = line_start + line.len();
        let from = start.min(visible_end);
        let to = floor_char_boundary(text, span.end.clamp(from, visible_end));
        self.snippet = Some(Box::new(SourceLine {
            text: line.to_string(),
            line: self.position.map_or(1, |(l, _)| l),
            span: from - line_start..to - line_start,
        }));
        self
    }

    /// Points the error at byte `offset` of `text`, underlining the rest of its line.
    pub fn at_line(self, text: &str, offset: usize) -> Self {
        let end = rest_of_line(text, offset.min(text.len()));
        self.at(text, offset..end)
    }

    /// Points the error at the line that sets `key` (see [`locate_offset`]), underlining the
    /// rest of that line; a key inside an inline table or under a dotted header
    /// (`network.class_latency.write.p`) is underlined as `key = value` (see [`locate_span`]).
    /// Leaves it without a position if the key is not written in `text`.
    pub fn at_key(self, text: &str, key: &str) -> Self {
        match locate_offset(text, key) {
            Some(offset) => self.at_line(text, offset),
            None => match locate_span(text, key) {
                Some(span) => self.at(text, span),
                None => self,
            },
        }
    }

    /// The one-line summary: `file:line:column: `key`: message`.
    pub fn summary(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some((line, col)) = self.position {
            s.push_str(&format!(":{line}:{col}"));
        }
        s.push_str(": ");
        if let Some(key) = &self.key {
            s.push_str(&format!("`{key}`: "));
        }
        s.push_str(&self.message);
        s
    }

    /// The offending line with a caret under the place, as rustc draws it, or `None` when the
    /// position is unknown. ANSI colours only with `color`.
    pub fn render_snippet(&self, color: bool) -> Option<String> {
        let snippet = self.snippet.as_ref()?;
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let source = Snippet::source(snippet.text.as_str())
            .line_start(snippet.line)
            .annotation(AnnotationKind::Primary.span(snippet.span.clone()));
        // The title is in the summary line above; the group is drawn without a title line.
        let group = Group::with_level(Level::ERROR).element(source);
        Some(renderer.render(&[group]))
    }
}

impl fmt::Display for ScenarioError {
    /// The summary line, then the snippet (if any) on the lines below.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        if let Some(snippet) = self.render_snippet(COLOR.load(Ordering::Relaxed)) {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

/// The largest char boundary at or before `i`.
fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the visible text of the line holding `offset` ends (before trailing blanks).
fn rest_of_line(text: &str, offset: usize) -> usize {
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    offset + text[offset..end].trim_end().len()
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

/// Best-effort line and column of a dotted key (`network.loss`, `fault[2].at`, `raft.bug`) in
/// `text`: the line that sets it, found by walking the table headers.
pub fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    locate_offset(text, key).map(|offset| line_col(text, offset))
}

/// The byte offset where the line setting a dotted key begins (after its indentation).
pub fn locate_offset(text: &str, key: &str) -> Option<usize> {
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
                return Some(offset + line.len() - line.trim_start().len());
            }
        }
        offset += line.len();
    }
    None
}

/// The bytes of `key = value` for a dotted key (`network.class_latency.write.p`,
/// `fault[0].extra.shape`, `network.link[1].latency.scale`, `network.class_latency."a.b"`),
/// however the file writes it: under a table header, inside inline tables, or as a dotted key.
/// Found by walking the parsed document, which keeps every key's position; `None` when the text
/// does not parse or the key is not written.
pub fn locate_span(text: &str, key: &str) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let parts = split_key(key);
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = match part.strip_suffix(']').and_then(|p| p.split_once('[')) {
            Some((name, i)) if !part.starts_with('"') => (name, Some(i.parse::<usize>().ok()?)),
            _ => (part.trim_matches('"'), None),
        };
        let (k, mut value) = table.iter().find(|(k, _)| k.get_ref() == name)?;
        let mut start = k.span().start;
        if let Some(i) = index {
            let DeValue::Array(items) = value.get_ref() else { return None };
            value = items.get(i)?;
            start = value.span().start;
        }
        if i + 1 == parts.len() {
            return Some(start..value.span().end.max(start));
        }
        let DeValue::Table(inner) = value.get_ref() else { return None };
        table = inner;
    }
    None
}

/// A dotted key's parts, a quoted part (`"a.b"`) kept whole with its quotes.
fn split_key(key: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in key.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => {
                parts.push(&key[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&key[start..]);
    parts
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

    #[test]
    fn nested_keys_are_found_in_inline_and_dotted_tables() {
        let text = "[network]\nlatency = { dist = \"mixture\", p = 1.5, first = \"1ms\", second = { dist = \"pareto\", scale = \"1ms\", shape = 0.0 } }\n[network.class_latency]\nwrite = \"1ms\"\n[network.class_latency.read-reply]\ndist = \"pareto\"\nshape = 0.0\n[[fault]]\nat = \"1s\"\nextra.p = 2.0\n";
        let at = |key: &str| locate_span(text, key).map(|r| &text[r]);
        assert_eq!(at("network.latency.p"), Some("p = 1.5"));
        assert_eq!(at("network.latency.second.shape"), Some("shape = 0.0"));
        assert_eq!(at("network.class_latency.write"), Some("write = \"1ms\""));
        assert_eq!(at("network.class_latency.read-reply.shape"), Some("shape = 0.0"));
        assert_eq!(at("fault[0].extra.p"), Some("p = 2.0"));
        assert_eq!(at("network.latency.third"), None);
        let quoted = "[network.class_latency]\n\"a.b\" = \"1ms\"\n";
        let span = locate_span(quoted, "network.class_latency.\"a.b\"").map(|r| &quoted[r]);
        assert_eq!(span, Some("\"a.b\" = \"1ms\""));
        assert_eq!(at("fault[1].at"), None);
    }
}
