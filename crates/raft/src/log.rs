//! The replicated log in memory, after a snapshot, and its byte encoding on disk.
//!
//! Indices start at 1; everything up to `snapshot_index` lives only in the snapshot. On disk,
//! entry `i` is record `i` of the node's log (`Storage::log_append`: truncated where a leader
//! overwrites a suffix, compacted when a snapshot is taken), the term and vote are the keyed
//! record `meta`, and the snapshot is the keyed record `snap`. The encoding is little-endian
//! integers with one-byte tags; a record that does not decode is reported as corrupt, never
//! guessed at.

use std::collections::BTreeMap;

use sim_core::NodeId;
use workload::{KvOp, KvResult};

use crate::message::{Command, Entry};
use crate::state_machine::{Session, Snapshot};

/// The log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Last index covered by the snapshot (0: none).
    pub snapshot_index: u64,
    /// Its term.
    pub snapshot_term: u64,
    entries: Vec<Entry>,
}

impl Log {
    /// A log that starts after a snapshot.
    pub fn after(snapshot_index: u64, snapshot_term: u64) -> Self {
        Log { snapshot_index, snapshot_term, entries: Vec::new() }
    }

    /// Index of the last entry (the snapshot's if the log is empty).
    pub fn last_index(&self) -> u64 {
        self.snapshot_index + self.entries.len() as u64
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    /// Term of entry `i`, if known (the snapshot's last entry included).
    pub fn term_at(&self, i: u64) -> Option<u64> {
        if i == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.get(i).map(|e| e.term)
    }

    /// Entry `i`, if in memory.
    pub fn get(&self, i: u64) -> Option<&Entry> {
        if i <= self.snapshot_index {
            return None;
        }
        self.entries.get((i - self.snapshot_index - 1) as usize)
    }

    /// Up to `max` entries from `from`.
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        let start = (from.max(self.snapshot_index + 1) - self.snapshot_index - 1) as usize;
        self.entries.iter().skip(start).take(max).cloned().collect()
    }

    /// Appends an entry; returns its index.
    pub fn push(&mut self, e: Entry) -> u64 {
        self.entries.push(e);
        self.last_index()
    }

    /// Drops entries from `i` on.
    pub fn truncate_from(&mut self, i: u64) {
        self.entries.truncate((i.max(self.snapshot_index + 1) - self.snapshot_index - 1) as usize);
    }

    /// Forgets entries up to `index` (now covered by a snapshot with `term` there).
    pub fn compact_to(&mut self, index: u64, term: u64) {
        let drop = (index.saturating_sub(self.snapshot_index) as usize).min(self.entries.len());
        self.entries.drain(..drop);
        self.snapshot_index = index;
        self.snapshot_term = term;
    }

    /// First index of the run of entries with the same term as entry `i`.
    pub fn first_index_of_term_at(&self, i: u64) -> u64 {
        let Some(t) = self.term_at(i) else { return i };
        let mut j = i;
        while j > self.snapshot_index + 1 && self.term_at(j - 1) == Some(t) {
            j -= 1;
        }
        j
    }

    /// Last index holding an entry of term `t`, if any.
    pub fn last_index_of_term(&self, t: u64) -> Option<u64> {
        (self.snapshot_index + 1..=self.last_index()).rev().find(|&i| self.term_at(i) == Some(t))
    }

    /// `(index, term)` of every entry in memory.
    pub fn terms(&self) -> Vec<(u64, u64)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(k, e)| (self.snapshot_index + 1 + k as u64, e.term))
            .collect()
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.u64(v as u64);
    }
    fn tag(&mut self, t: u8) {
        self.0.push(t);
    }
    fn op(&mut self, op: &KvOp) {
        match *op {
            KvOp::Read { key } => {
                self.tag(0);
                self.u64(key);
            }
            KvOp::Write { key, value } => {
                self.tag(1);
                self.u64(key);
                self.i64(value);
            }
            KvOp::Cas { key, expected, new } => {
                self.tag(2);
                self.u64(key);
                self.i64(expected);
                self.i64(new);
            }
        }
    }
    fn result(&mut self, r: &KvResult) {
        match r {
            KvResult::Ok(None) => self.tag(0),
            KvResult::Ok(Some(v)) => {
                self.tag(1);
                self.i64(*v);
            }
            KvResult::CasFailed => self.tag(2),
            KvResult::NotLeader { .. } => self.tag(3),
            KvResult::Busy => self.tag(4),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_at_checked(8)?;
        self.0 = rest;
        Some(u64::from_le_bytes(head.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }
    fn tag(&mut self) -> Option<u8> {
        let (&t, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(t)
    }
    fn op(&mut self) -> Option<KvOp> {
        Some(match self.tag()? {
            0 => KvOp::Read { key: self.u64()? },
            1 => KvOp::Write { key: self.u64()?, value: self.i64()? },
            2 => KvOp::Cas { key: self.u64()?, expected: self.i64()?, new: self.i64()? },
            _ => return None,
        })
    }
    fn result(&mut self) -> Option<KvResult> {
        Some(match self.tag()? {
            0 => KvResult::Ok(None),
            1 => KvResult::Ok(Some(self.i64()?)),
            2 => KvResult::CasFailed,
            3 => KvResult::NotLeader { leader: None },
            4 => KvResult::Busy,
            _ => return None,
        })
    }
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

/// Encodes an entry.
pub fn encode_entry(e: &Entry) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(48));
    w.u64(e.term);
    match &e.command {
        Command::Noop => w.tag(0),
        Command::Op { client, request_id, acked_below, op } => {
            w.tag(1);
            w.u64(client.0 as u64);
            w.u64(*request_id);
            w.u64(*acked_below);
            w.op(op);
        }
    }
    w.0
}

/// Decodes an entry (`None`: corrupt).
pub fn decode_entry(bytes: &[u8]) -> Option<Entry> {
    let mut r = Reader(bytes);
    let term = r.u64()?;
    let command = match r.tag()? {
        0 => Command::Noop,
        1 => Command::Op {
            client: NodeId(u32::try_from(r.u64()?).ok()?),
            request_id: r.u64()?,
            acked_below: r.u64()?,
            op: r.op()?,
        },
        _ => return None,
    };
    r.end()?;
    Some(Entry { term, command })
}

/// Encodes the term and vote.
pub fn encode_meta(term: u64, vote: Option<NodeId>) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(16));
    w.u64(term);
    w.u64(vote.map_or(u64::MAX, |v| v.0 as u64));
    w.0
}

/// Decodes the term and vote.
pub fn decode_meta(bytes: &[u8]) -> Option<(u64, Option<NodeId>)> {
    let mut r = Reader(bytes);
    let term = r.u64()?;
    let vote = r.u64()?;
    r.end()?;
    Some((term, (vote != u64::MAX).then_some(NodeId(vote as u32))))
}

/// Encodes a snapshot.
pub fn encode_snapshot(s: &Snapshot) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.u64(s.index);
    w.u64(s.term);
    w.u64(s.kv.len() as u64);
    for (k, v) in &s.kv {
        w.u64(*k);
        w.i64(*v);
    }
    w.u64(s.sessions.len() as u64);
    for (client, session) in &s.sessions {
        w.u64(client.0 as u64);
        w.u64(session.low_water);
        w.u64(session.results.len() as u64);
        for (id, r) in &session.results {
            w.u64(*id);
            w.result(r);
        }
    }
    w.0
}

/// Decodes a snapshot (`None`: corrupt).
pub fn decode_snapshot(bytes: &[u8]) -> Option<Snapshot> {
    let mut r = Reader(bytes);
    let index = r.u64()?;
    let term = r.u64()?;
    let mut kv = BTreeMap::new();
    for _ in 0..r.u64()? {
        let k = r.u64()?;
        kv.insert(k, r.i64()?);
    }
    let mut sessions = BTreeMap::new();
    for _ in 0..r.u64()? {
        let client = NodeId(u32::try_from(r.u64()?).ok()?);
        let low_water = r.u64()?;
        let mut results = BTreeMap::new();
        for _ in 0..r.u64()? {
            let id = r.u64()?;
            results.insert(id, r.result()?);
        }
        sessions.insert(client, Session { low_water, results });
    }
    r.end()?;
    Some(Snapshot { index, term, kv, sessions })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        let e = Entry {
            term: 7,
            command: Command::Op {
                client: NodeId(6),
                request_id: 42,
                acked_below: 40,
                op: KvOp::Cas { key: 3, expected: -1, new: 4 },
            },
        };
        assert_eq!(decode_entry(&encode_entry(&e)), Some(e));
        assert_eq!(decode_meta(&encode_meta(3, Some(NodeId(2)))), Some((3, Some(NodeId(2)))));
        let mut s = Snapshot { index: 10, term: 2, ..Default::default() };
        s.kv.insert(1, 5);
        s.sessions.entry(NodeId(5)).or_default().results.insert(9, KvResult::CasFailed);
        assert_eq!(decode_snapshot(&encode_snapshot(&s)), Some(s));
        assert_eq!(decode_entry(&[1, 2, 3]), None);
    }

    #[test]
    fn log_indices_after_compaction() {
        let mut log = Log::default();
        for t in [1, 1, 2, 2, 2, 3] {
            log.push(Entry { term: t, command: Command::Noop });
        }
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.last_index_of_term(2), Some(5));
        log.compact_to(4, 2);
        assert_eq!((log.last_index(), log.term_at(4), log.term_at(3)), (6, Some(2), None));
        assert_eq!(log.slice(1, 10).len(), 2);
        log.truncate_from(6);
        assert_eq!(log.last_term(), 2);
    }
}
