//! Durable storage: a node's disk, with explicit sync.
//!
//! A key-value store of byte strings, and a log of numbered records (appended at the end,
//! truncated from an index, compacted up to one: [`Storage::log_append`] and its siblings) for
//! protocols that keep a write-ahead log. Writes land in the node's view at once but reach the
//! disk only at [`Storage::sync`]; a crash throws away every write since the last sync, so a
//! protocol that replies before syncing can be caught. Faults injected: a crash loses unsynced
//! writes; the `disk` fault in mode `lose-unsynced` drops them while the node runs (a lost
//! write-back cache), and in mode `corrupt` marks one stored record (keyed or logged) corrupt,
//! so reading it returns [`StorageError::Corrupt`] (a checksum mismatch) until it is
//! rewritten. Never modelled: torn writes within a record, a full disk, sync latency.
//!
//! The keyed records live in hash maps with a fixed hasher, for lookups on every write; nothing
//! ever depends on their iteration order: a prefix scan and the `corrupt` fault's pick sort the
//! keys first, and a sync copies each written key's final value, in whatever order. The log is
//! in `record_log.rs`.

// Lookups only; every scan sorts (see above), so hashed order never reaches behaviour.
#![allow(clippy::disallowed_types)]

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use rustc_hash::FxHasher;

use crate::record_log::RecordLog;

/// A record map: fixed hasher, lookups only.
type Records = HashMap<Key, Value, BuildHasherDefault<FxHasher>>;

/// A key, shared between the node's view, the disk image and the unsynced list.
type Key = Arc<str>;
/// A value, shared likewise: a sync copies no bytes.
pub(crate) type Value = Arc<[u8]>;

/// A failed read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The record exists but its checksum does not match (a `disk` fault in mode `corrupt`).
    #[error("record `{0}` is corrupt")]
    Corrupt(String),
}

/// One node's durable storage.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    /// What the node reads: the disk plus unsynced writes.
    current: Records,
    /// What survives a crash.
    durable: Records,
    /// Keys written or deleted since the last sync (a key may appear more than once).
    unsynced: Vec<Key>,
    /// Records whose bytes no longer match their checksum.
    corrupt: BTreeSet<String>,
    /// The numbered records.
    log: RecordLog,
    syncs: u64,
}

impl Storage {
    /// Reads a record: `Ok(None)` if absent, an error if corrupt.
    pub fn get(&self, key: &str) -> Result<Option<&[u8]>, StorageError> {
        if self.corrupt.contains(key) {
            return Err(StorageError::Corrupt(key.to_string()));
        }
        Ok(self.current.get(key).map(|v| &v[..]))
    }

    /// Writes a record (not durable until [`Storage::sync`]).
    pub fn put(&mut self, key: &str, value: Vec<u8>) {
        // One allocation and one hash per write; rewriting a key keeps the map's own copy.
        let key: Key = Arc::from(key);
        if !self.corrupt.is_empty() {
            self.corrupt.remove(&*key);
        }
        self.unsynced.push(key.clone());
        self.current.insert(key, value.into());
    }

    /// Deletes a record (not durable until [`Storage::sync`]).
    pub fn delete(&mut self, key: &str) {
        if !self.corrupt.is_empty() {
            self.corrupt.remove(key);
        }
        // A key the node does not see is absent from the disk too, or its deletion is already
        // waiting for a sync.
        if let Some((key, _)) = self.current.remove_entry(key) {
            self.unsynced.push(key);
        }
    }

    /// Appends log record `index`, normally the next one, [`Storage::log_bounds`]`.1 + 1` (not
    /// durable until [`Storage::sync`]). Written anywhere else, it becomes the last record:
    /// records after it are dropped, and a gap before it reads as missing (`Ok(None)`), as a
    /// log does after a fault lost writes its node still believed in.
    pub fn log_append(&mut self, index: u64, value: Vec<u8>) {
        self.log.append(index, value.into());
    }

    /// Removes log records `index` and after (not durable until [`Storage::sync`]).
    pub fn log_truncate_from(&mut self, index: u64) {
        self.log.truncate_from(index);
    }

    /// Removes log records up to and including `index` (not durable until [`Storage::sync`]);
    /// an emptied log goes on at `index + 1`.
    pub fn log_compact_to(&mut self, index: u64) {
        self.log.compact_to(index);
    }

    /// Reads log record `index`: `Ok(None)` outside the log, an error if corrupt.
    pub fn log_get(&self, index: u64) -> Result<Option<&[u8]>, StorageError> {
        self.log.get(index).map_err(|()| StorageError::Corrupt(format!("log record {index}")))
    }

    /// `(first, last)` index of the log records held; `last = first - 1` when there are none.
    pub fn log_bounds(&self) -> (u64, u64) {
        self.log.bounds()
    }

    /// Keys in order, with a prefix (e.g. every `log/` record).
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut keys: Vec<&str> =
            self.current.keys().map(|k| &**k).filter(|k| k.starts_with(prefix)).collect();
        keys.sort_unstable();
        keys.into_iter()
    }

    /// Makes every write so far durable.
    pub fn sync(&mut self) {
        // Each key takes its final value, so order and repeats do not matter.
        let mut keys = std::mem::take(&mut self.unsynced);
        for key in keys.drain(..) {
            match self.current.get(&key) {
                Some(v) => self.durable.insert(key, v.clone()),
                None => self.durable.remove(&key),
            };
        }
        // Keep the list's allocation for the next writes.
        self.unsynced = keys;
        self.log.sync();
        self.syncs += 1;
    }

    /// How many writes are not yet durable: keyed records written or deleted, log records
    /// appended or truncated away.
    pub fn unsynced_len(&self) -> usize {
        let mut keys: Vec<&Key> = self.unsynced.iter().collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() + self.log.unsynced_len()
    }

    /// How many times the node synced.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    /// Number of records the node sees, keyed and logged.
    pub fn len(&self) -> usize {
        self.current.len() + self.log.len()
    }

    /// True when the node sees no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A crash: unsynced writes are lost; the node will read what was durable.
    pub(crate) fn crash(&mut self) {
        self.drop_unsynced();
    }

    /// The `lose-unsynced` disk fault: unsynced writes vanish while the node runs.
    pub(crate) fn drop_unsynced(&mut self) -> usize {
        let lost = self.unsynced_len();
        for key in std::mem::take(&mut self.unsynced) {
            match self.durable.get(&key) {
                Some(v) => self.current.insert(key, v.clone()),
                None => self.current.remove(&key),
            };
        }
        self.log.drop_unsynced();
        lost
    }

    /// The `corrupt` disk fault: marks the record at position `pick % len` corrupt, counting
    /// the keyed records in key order and then the log records in index order. Returns what it
    /// marked (the key, or `log record N`), or `None` when the node stores nothing.
    pub(crate) fn corrupt_one(&mut self, pick: u64) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let position = (pick % self.len() as u64) as usize;
        if position >= self.current.len() {
            let index = self.log.bounds().0 + (position - self.current.len()) as u64;
            self.log.mark_corrupt(index);
            return Some(format!("log record {index}"));
        }
        let mut keys: Vec<&Key> = self.current.keys().collect();
        keys.sort_unstable();
        let key = keys.get(position)?.to_string();
        self.corrupt.insert(key.clone());
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_synced_and_loses_unsynced() {
        let mut s = Storage::default();
        s.put("term", b"3".to_vec());
        s.sync();
        s.put("term", b"4".to_vec());
        s.put("vote", b"n2".to_vec());
        s.delete("term");
        assert_eq!(s.get("term"), Ok(None));
        s.crash();
        assert_eq!(s.get("term"), Ok(Some(&b"3"[..])));
        assert_eq!(s.get("vote"), Ok(None));
    }

    #[test]
    fn corruption_is_reported_until_rewritten() {
        let mut s = Storage::default();
        s.put("a", vec![1]);
        s.sync();
        assert_eq!(s.corrupt_one(7), Some("a".into()));
        assert_eq!(s.get("a"), Err(StorageError::Corrupt("a".into())));
        s.put("a", vec![2]);
        assert_eq!(s.get("a"), Ok(Some(&[2u8][..])));
    }

    #[test]
    fn log_records_share_the_crash_model_and_the_corrupt_fault() {
        let mut s = Storage::default();
        s.put("meta", vec![9]);
        s.log_append(1, vec![1]);
        s.sync();
        s.log_append(2, vec![2]);
        assert_eq!(s.unsynced_len(), 1);
        s.crash();
        assert_eq!(s.log_bounds(), (1, 1));
        // Two records: position 1 is the log's first.
        assert_eq!(s.corrupt_one(3), Some("log record 1".into()));
        assert_eq!(s.log_get(1), Err(StorageError::Corrupt("log record 1".into())));
        assert_eq!(s.get("meta"), Ok(Some(&[9u8][..])));
    }

    #[test]
    fn prefix_scan() {
        let mut s = Storage::default();
        for k in ["log/2", "log/1", "meta", "loh"] {
            s.put(k, vec![]);
        }
        assert_eq!(s.keys_with_prefix("log/").collect::<Vec<_>>(), ["log/1", "log/2"]);
    }
}
