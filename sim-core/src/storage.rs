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
//! The keyed records are ordered maps, so a range scan ([`Storage::scan`]) or a prefix scan
//! walks only the keys it returns, in key order, without sorting, and the `corrupt` fault
//! counts keys in that same order. A corrupt mark belongs to the key, not to one version of
//! its value: it outlives a crash that drops the write it was put on, and [`Storage::get`]
//! reports it until the key is written or deleted again; a scan reports exactly what `get`
//! does. The log is in `record_log.rs`.

use std::collections::{BTreeMap, BTreeSet, btree_map, btree_set};
use std::iter::{FusedIterator, Peekable};
use std::ops::Bound;
use std::sync::Arc;

use crate::record_log::RecordLog;

/// A record map, in key order.
type Records = BTreeMap<Key, Value>;

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
        // One allocation per write; rewriting a key keeps the map's own copy.
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

    /// Keys in order, with a prefix (e.g. every `log/` record): the keys [`Storage::scan`]
    /// returns from `prefix` on, while they start with it. Lazy: it walks only those keys.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        // Every key with the prefix sorts at or after the prefix itself, and they are
        // contiguous, so the first key without it ends the scan.
        self.scan(Bound::Included(prefix), Bound::Unbounded)
            .map(|(key, _)| key)
            .take_while(move |key| key.starts_with(prefix))
    }

    /// The keyed records between two bounds, in key order, each read as [`Storage::get`]
    /// reads it: present records (unsynced writes included, until a crash or a
    /// `lose-unsynced` fault drops them) as `Ok`, and a key marked corrupt as `Err`, whether or
    /// not it still holds a value. Absent keys are skipped; the log is not included.
    ///
    /// Lazy: each step walks one key, so `.take(n)` reads a batch of `n` without touching the
    /// rest, and the next batch starts at `Bound::Excluded(last_key)`. Bounds that enclose
    /// nothing (`from` after `to`) give an empty scan.
    ///
    /// ```
    /// use std::ops::Bound::{Excluded, Included, Unbounded};
    /// let mut s = sim_core::Storage::default();
    /// for k in ["k3", "k1", "k2", "z"] {
    ///     s.put(k, k.as_bytes().to_vec());
    /// }
    /// let batch: Vec<&str> = s.scan(Included("k"), Excluded("l")).take(2).map(|(k, _)| k).collect();
    /// assert_eq!(batch, ["k1", "k2"]);
    /// let rest: Vec<&str> = s.scan(Excluded("k2"), Unbounded).map(|(k, _)| k).collect();
    /// assert_eq!(rest, ["k3", "z"]);
    /// ```
    pub fn scan(&self, from: Bound<&str>, to: Bound<&str>) -> Scan<'_> {
        // `BTreeMap::range` panics on bounds that cross; a scan over them is simply empty.
        let crossed = match (from, to) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a >= b
            }
            _ => false,
        };
        if crossed {
            let records = btree_map::Range::default().peekable();
            return Scan { records, corrupt: btree_set::Range::default().peekable() };
        }
        Scan {
            records: self.current.range::<str, _>((from, to)).peekable(),
            corrupt: self.corrupt.range::<str, _>((from, to)).peekable(),
        }
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
        let key = self.current.keys().nth(position)?.to_string();
        self.corrupt.insert(key.clone());
        Some(key)
    }
}

/// The records of a [`Storage::scan`], in key order: each key with what [`Storage::get`] would
/// return for it.
#[derive(Debug)]
pub struct Scan<'a> {
    /// The records the node sees in the range.
    records: Peekable<btree_map::Range<'a, Key, Value>>,
    /// The keys marked corrupt in the range (almost always none), merged in key order: a
    /// marked key reads as corrupt whether or not the node still holds a value for it.
    corrupt: Peekable<btree_set::Range<'a, String>>,
}

impl<'a> Iterator for Scan<'a> {
    type Item = (&'a str, Result<&'a [u8], StorageError>);

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.peek().map(|&(key, _)| &**key);
        let marked = self.corrupt.peek().map(|key| key.as_str());
        match marked {
            // A marked key reads as corrupt, and hides the record it may still hold.
            Some(m) if record.is_none_or(|r| m <= r) => {
                if record == Some(m) {
                    self.records.next();
                }
                self.corrupt.next();
                Some((m, Err(StorageError::Corrupt(m.to_string()))))
            }
            _ => self.next_record(),
        }
    }
}

impl<'a> Scan<'a> {
    /// Yields the next record, which is not marked corrupt.
    fn next_record(&mut self) -> Option<(&'a str, Result<&'a [u8], StorageError>)> {
        self.records.next().map(|(key, value)| (&**key, Ok(&**value)))
    }
}

impl FusedIterator for Scan<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ops::Bound::{Excluded, Included, Unbounded};

    /// A scan's keys and values, with corrupt records as `None`.
    fn scanned<'a>(
        s: &'a Storage,
        from: Bound<&str>,
        to: Bound<&str>,
    ) -> Vec<(&'a str, Option<u8>)> {
        s.scan(from, to).map(|(k, v)| (k, v.ok().map(|v| v[0]))).collect()
    }

    /// A store holding `keys`, each valued by its position, synced.
    fn synced(keys: &[&str]) -> Storage {
        let mut s = Storage::default();
        for (i, k) in keys.iter().enumerate() {
            s.put(k, vec![i as u8]);
        }
        s.sync();
        s
    }

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

    #[test]
    fn prefix_scan_stops_at_the_first_key_without_the_prefix() {
        let s = synced(&["a", "log", "log/", "log/1", "log0", "lof", "m"]);
        assert_eq!(s.keys_with_prefix("log").collect::<Vec<_>>(), ["log", "log/", "log/1", "log0"]);
        assert_eq!(s.keys_with_prefix("").count(), 7);
        assert_eq!(s.keys_with_prefix("zz").count(), 0);
    }

    #[test]
    fn scan_is_in_key_order_within_its_bounds() {
        let s = synced(&["k3", "k1", "k10", "k2", "a", "z"]);
        let keys = |from, to| s.scan(from, to).map(|(k, _)| k).collect::<Vec<_>>();
        // Byte order, not numeric: `k10` sorts before `k2`.
        assert_eq!(keys(Included("k"), Excluded("l")), ["k1", "k10", "k2", "k3"]);
        assert_eq!(keys(Included("k1"), Excluded("k3")), ["k1", "k10", "k2"]);
        assert_eq!(keys(Excluded("k1"), Included("k3")), ["k10", "k2", "k3"]);
        assert_eq!(keys(Unbounded, Excluded("k1")), ["a"]);
        assert_eq!(keys(Included("k3"), Unbounded), ["k3", "z"]);
        assert_eq!(keys(Unbounded, Unbounded).len(), 6);
        // Values come with their keys.
        assert_eq!(scanned(&s, Included("k2"), Included("k2")), [("k2", Some(3))]);
        // Empty and crossed bounds are empty scans, not panics.
        assert!(keys(Included("k2"), Excluded("k2")).is_empty());
        assert!(keys(Excluded("k2"), Excluded("k2")).is_empty());
        assert!(keys(Excluded("k2"), Included("k2")).is_empty());
        assert!(keys(Included("z"), Included("a")).is_empty());
    }

    #[test]
    fn a_range_streams_in_batches() {
        let keys: Vec<String> = (0..10).map(|i| format!("key/{i:02}")).collect();
        let s = synced(&keys.iter().map(String::as_str).collect::<Vec<_>>());
        let mut streamed = Vec::new();
        let mut from = Included("key/");
        loop {
            let batch: Vec<&str> = s.scan(from, Excluded("key0")).take(3).map(|(k, _)| k).collect();
            let Some(&last) = batch.last() else { break };
            streamed.extend(batch);
            from = Excluded(last);
        }
        assert_eq!(streamed, keys);
    }

    #[test]
    fn scan_sees_unsynced_writes_until_a_crash_drops_them() {
        let mut s = synced(&["a", "b", "c"]);
        s.put("b", vec![20]);
        s.put("bb", vec![21]);
        s.delete("c");
        let before = [("a", Some(0)), ("b", Some(20)), ("bb", Some(21))];
        assert_eq!(scanned(&s, Unbounded, Unbounded), before);
        s.crash();
        assert_eq!(
            scanned(&s, Unbounded, Unbounded),
            [("a", Some(0)), ("b", Some(1)), ("c", Some(2))]
        );
        // The `lose-unsynced` fault does the same while the node runs; a synced write stays.
        s.put("d", vec![3]);
        s.sync();
        s.put("e", vec![4]);
        s.drop_unsynced();
        assert_eq!(s.keys_with_prefix("").collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn scan_skips_deleted_keys() {
        let mut s = synced(&["a", "b", "c"]);
        s.delete("b");
        s.delete("never-written");
        assert_eq!(scanned(&s, Unbounded, Unbounded), [("a", Some(0)), ("c", Some(2))]);
        s.sync();
        s.crash();
        assert_eq!(scanned(&s, Unbounded, Unbounded), [("a", Some(0)), ("c", Some(2))]);
    }

    #[test]
    fn scan_reports_a_corrupt_record_as_get_does() {
        let mut s = synced(&["a", "b", "c"]);
        // Position 1 in key order.
        assert_eq!(s.corrupt_one(4), Some("b".into()));
        let all: Vec<_> = s.scan(Unbounded, Unbounded).collect();
        assert_eq!(all[1], ("b", Err(StorageError::Corrupt("b".into()))));
        assert_eq!(all[1].1, s.get("b").map(|v| v.unwrap()));
        assert_eq!(
            scanned(&s, Unbounded, Unbounded),
            [("a", Some(0)), ("b", None), ("c", Some(2))]
        );
        // Out of range, the mark does not show.
        assert_eq!(scanned(&s, Included("c"), Unbounded), [("c", Some(2))]);
        s.put("b", vec![10]);
        assert_eq!(
            scanned(&s, Unbounded, Unbounded),
            [("a", Some(0)), ("b", Some(10)), ("c", Some(2))]
        );

        // A mark outlives the crash that drops the unsynced write it was put on: `get` still
        // reports the key corrupt, so the scan lists it too.
        let mut s = synced(&["a"]);
        s.put("b", vec![1]);
        assert_eq!(s.corrupt_one(1), Some("b".into()));
        s.crash();
        assert_eq!(s.get("b"), Err(StorageError::Corrupt("b".into())));
        assert_eq!(scanned(&s, Unbounded, Unbounded), [("a", Some(0)), ("b", None)]);
        s.delete("b");
        assert_eq!(scanned(&s, Unbounded, Unbounded), [("a", Some(0))]);
    }

    /// One step of a storage's life, for the property test.
    #[derive(Clone, Debug)]
    enum Op {
        Put(usize, u8),
        Delete(usize),
        Sync,
        Crash,
        LoseUnsynced,
        Corrupt(u64),
    }

    /// Keys that share prefixes and sort around one another.
    const KEYS: [&str; 9] = ["", "a", "a/", "a/1", "a/2", "ab", "b", "b\u{0}", "é"];

    fn op() -> impl Strategy<Value = Op> {
        let key = 0..KEYS.len();
        prop_oneof![
            4 => (key.clone(), any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
            2 => key.prop_map(Op::Delete),
            1 => Just(Op::Sync),
            1 => Just(Op::Crash),
            1 => Just(Op::LoseUnsynced),
            1 => any::<u64>().prop_map(Op::Corrupt),
        ]
    }

    fn bound() -> impl Strategy<Value = Bound<&'static str>> {
        let key = proptest::sample::select(&["", "a", "a/", "a/0", "a/1", "aa", "b", "c", "é"][..]);
        prop_oneof![key.clone().prop_map(Included), key.prop_map(Excluded), Just(Unbounded),]
    }

    /// The naive reading of a scan's bounds.
    fn within(from: Bound<&str>, to: Bound<&str>, key: &str) -> bool {
        let above = match from {
            Included(f) => key >= f,
            Excluded(f) => key > f,
            Unbounded => true,
        };
        let below = match to {
            Included(t) => key <= t,
            Excluded(t) => key < t,
            Unbounded => true,
        };
        above && below
    }

    proptest! {
        /// Whatever was written, synced, crashed or corrupted, a scan is the keys in its
        /// bounds, sorted, each read with `get`, absent ones left out; a prefix scan likewise.
        #[test]
        fn scan_is_a_sorted_filter_of_get(
            ops in proptest::collection::vec(op(), 0..40),
            from in bound(),
            to in bound(),
        ) {
            let mut s = Storage::default();
            for op in ops {
                match op {
                    Op::Put(k, v) => s.put(KEYS[k], vec![v]),
                    Op::Delete(k) => s.delete(KEYS[k]),
                    Op::Sync => s.sync(),
                    Op::Crash => s.crash(),
                    Op::LoseUnsynced => {
                        s.drop_unsynced();
                    }
                    Op::Corrupt(pick) => {
                        s.corrupt_one(pick);
                    }
                }
            }
            let mut keys = KEYS.to_vec();
            keys.sort_unstable();
            let expected: Vec<_> = keys
                .iter()
                .filter(|&&k| within(from, to, k))
                .filter_map(|&k| match s.get(k) {
                    Ok(None) => None,
                    read => Some((k, read.map(|v| v.unwrap()))),
                })
                .collect();
            prop_assert_eq!(s.scan(from, to).collect::<Vec<_>>(), expected);
            for prefix in ["", "a", "a/", "b"] {
                let expected: Vec<&str> = keys
                    .iter()
                    .copied()
                    .filter(|k| k.starts_with(prefix) && s.get(k) != Ok(None))
                    .collect();
                prop_assert_eq!(s.keys_with_prefix(prefix).collect::<Vec<_>>(), expected);
            }
        }
    }
}
