//! A node's on-disk log: numbered records appended at the end, cut off from an index
//! (truncation) and dropped up to an index (compaction), the way a write-ahead log or Raft's
//! segmented log behaves. Part of [`crate::storage::Storage`], with the same crash model: what
//! was not synced is lost in a crash.
//!
//! It exists beside the key-value records because a replicated log writes one record per entry
//! on every server and deletes it again at compaction: as keyed records that is a key to format,
//! hash and compare four times per entry (written, synced, deleted, synced); here it is a push
//! onto a deque, and a sync copies only what changed since the last one.

use std::collections::{BTreeSet, VecDeque};

use crate::storage::Value;

/// Records `first..first + len`, as the node sees them and as they survive a crash; `None` is
/// a hole (a record written after the end, when the records before it were lost).
#[derive(Clone, Debug)]
pub(crate) struct RecordLog {
    /// What the node reads.
    current: VecDeque<Option<Value>>,
    /// Index of `current[0]` (with an empty log: the index the next append takes).
    first: u64,
    /// What survives a crash.
    durable: VecDeque<Option<Value>>,
    durable_first: u64,
    /// The lowest index appended or truncated since the last sync.
    dirty_from: Option<u64>,
    /// Records appended or truncated away since the last sync.
    unsynced: usize,
    /// Records whose bytes no longer match their checksum.
    corrupt: BTreeSet<u64>,
}

impl Default for RecordLog {
    fn default() -> Self {
        RecordLog {
            current: VecDeque::new(),
            first: 1,
            durable: VecDeque::new(),
            durable_first: 1,
            dirty_from: None,
            unsynced: 0,
            corrupt: BTreeSet::new(),
        }
    }
}

impl RecordLog {
    /// The index the next append must take.
    pub(crate) fn next_index(&self) -> u64 {
        self.first + self.current.len() as u64
    }

    /// `(first, last)` index of the records held; `last = first - 1` when there are none.
    pub(crate) fn bounds(&self) -> (u64, u64) {
        (self.first, self.next_index() - 1)
    }

    /// Number of record positions held (holes included).
    pub(crate) fn len(&self) -> usize {
        self.current.len()
    }

    /// Record `index`: `Ok(None)` outside the log or in a hole, `Err(())` if corrupt.
    pub(crate) fn get(&self, index: u64) -> Result<Option<&[u8]>, ()> {
        if self.corrupt.contains(&index) {
            return Err(());
        }
        let Some(offset) = index.checked_sub(self.first) else { return Ok(None) };
        Ok(self.current.get(offset as usize).and_then(|v| v.as_deref()))
    }

    /// Writes record `index` as the last one. Normally it is [`RecordLog::next_index`]; after
    /// a fault lost writes the node still believes in, it may not be: records after `index`
    /// are dropped, and positions between the end and `index` become holes.
    pub(crate) fn append(&mut self, index: u64, value: Value) {
        if index < self.first {
            self.unsynced += self.current.len();
            self.current.clear();
            self.first = index;
        }
        self.truncate_from(index);
        let end = self.next_index();
        self.current.extend((end..index).map(|_| None));
        self.current.push_back(Some(value));
        self.corrupt.remove(&index);
        let from = end.min(index);
        self.dirty_from = Some(self.dirty_from.map_or(from, |d| d.min(from)));
        self.unsynced += 1;
    }

    /// Removes records `index` and after.
    pub(crate) fn truncate_from(&mut self, index: u64) {
        let keep = index.saturating_sub(self.first).min(self.current.len() as u64) as usize;
        let removed = self.current.len() - keep;
        if removed == 0 {
            return;
        }
        self.current.truncate(keep);
        let from = self.first + keep as u64;
        self.corrupt.retain(|&i| i < from);
        self.dirty_from = Some(self.dirty_from.map_or(from, |d| d.min(from)));
        self.unsynced += removed;
    }

    /// Removes records up to and including `index`; the next append after an emptied log takes
    /// `index + 1` at the least.
    pub(crate) fn compact_to(&mut self, index: u64) {
        if index < self.first {
            return;
        }
        let drop = (index + 1 - self.first).min(self.current.len() as u64) as usize;
        self.current.drain(..drop);
        self.first = if self.current.is_empty() { index + 1 } else { self.first + drop as u64 };
        self.corrupt.retain(|&i| i > index);
    }

    /// Makes the log as the node sees it durable: only the records changed since the last sync
    /// are copied (values are shared, not copied).
    pub(crate) fn sync(&mut self) {
        // Compaction: the durable log starts where the current one does.
        let drop = self.first.saturating_sub(self.durable_first).min(self.durable.len() as u64);
        self.durable.drain(..drop as usize);
        self.durable_first += drop;
        if let Some(from) = self.dirty_from.take() {
            let from = from.max(self.first);
            let keep = from.saturating_sub(self.durable_first).min(self.durable.len() as u64);
            self.durable.truncate(keep as usize);
            self.durable.extend(self.current.range((from - self.first) as usize..).cloned());
        }
        if self.durable.is_empty() || self.durable_first < self.first {
            // Emptied, or compacted past everything durable: both start where the node's does.
            self.durable = self.current.clone();
        }
        self.durable_first = self.first;
        self.unsynced = 0;
        debug_assert_eq!(self.durable.len(), self.current.len(), "a synced log is the node's");
    }

    /// Records written or truncated away since the last sync.
    pub(crate) fn unsynced_len(&self) -> usize {
        self.unsynced
    }

    /// A crash or a lost write-back cache: back to what was durable.
    pub(crate) fn drop_unsynced(&mut self) {
        self.current = self.durable.clone();
        self.first = self.durable_first;
        self.dirty_from = None;
        self.unsynced = 0;
    }

    /// Marks record `index` corrupt until it is written again.
    pub(crate) fn mark_corrupt(&mut self, index: u64) {
        self.corrupt.insert(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(b: u8) -> Value {
        vec![b].into()
    }

    fn records(log: &RecordLog) -> Vec<(u64, u8)> {
        let (first, last) = log.bounds();
        (first..=last).filter_map(|i| Some((i, log.get(i).unwrap()?[0]))).collect()
    }

    #[test]
    fn a_crash_keeps_what_was_synced() {
        let mut log = RecordLog::default();
        for i in 1..=3 {
            log.append(i, v(i as u8));
        }
        log.sync();
        log.truncate_from(3);
        log.append(3, v(30));
        log.append(4, v(40));
        assert_eq!(log.unsynced_len(), 3);
        log.drop_unsynced();
        assert_eq!(records(&log), [(1, 1), (2, 2), (3, 3)]);
        log.truncate_from(2);
        log.append(2, v(20));
        log.sync();
        log.drop_unsynced();
        assert_eq!(records(&log), [(1, 1), (2, 20)]);
    }

    #[test]
    fn compaction_is_durable_only_when_synced() {
        let mut log = RecordLog::default();
        for i in 1..=5 {
            log.append(i, v(i as u8));
        }
        log.sync();
        log.compact_to(3);
        assert_eq!(log.bounds(), (4, 5));
        log.drop_unsynced();
        assert_eq!(log.bounds(), (1, 5));
        log.compact_to(3);
        log.append(6, v(6));
        log.sync();
        log.drop_unsynced();
        assert_eq!(records(&log), [(4, 4), (5, 5), (6, 6)]);
        // Compacting past the end empties the log; it goes on after the compaction point.
        log.compact_to(9);
        assert_eq!(log.bounds(), (10, 9));
        log.append(10, v(10));
        log.sync();
        log.drop_unsynced();
        assert_eq!(records(&log), [(10, 10)]);
    }

    #[test]
    fn corruption_lasts_until_the_record_is_rewritten() {
        let mut log = RecordLog::default();
        log.append(1, v(1));
        log.append(2, v(2));
        log.mark_corrupt(2);
        assert_eq!(log.get(2), Err(()));
        log.truncate_from(2);
        log.append(2, v(22));
        assert_eq!(log.get(2), Ok(Some(&[22u8][..])));
        assert_eq!(log.get(7), Ok(None));
    }

    #[test]
    fn a_write_after_lost_writes_leaves_a_hole_and_one_inside_cuts_the_rest() {
        let mut log = RecordLog::default();
        log.append(1, v(1));
        log.sync();
        log.append(2, v(2));
        log.drop_unsynced();
        // The node still believes in record 2 and writes record 3.
        log.append(3, v(3));
        assert_eq!(log.get(2), Ok(None));
        assert_eq!(records(&log), [(1, 1), (3, 3)]);
        log.sync();
        log.drop_unsynced();
        assert_eq!(log.bounds(), (1, 3));
        assert_eq!(records(&log), [(1, 1), (3, 3)]);
        // Writing inside the log drops what follows.
        log.append(2, v(20));
        assert_eq!(records(&log), [(1, 1), (2, 20)]);
        // And below the compaction point, it starts the log again.
        log.compact_to(2);
        log.append(1, v(10));
        assert_eq!(log.bounds(), (1, 1));
        log.sync();
        log.drop_unsynced();
        assert_eq!(records(&log), [(1, 10)]);
    }
}
