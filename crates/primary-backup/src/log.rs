//! The log: entries, their disk records, and reading a log back from a node's disk.
//!
//! Entry `s` (its sequence number, from 1) is the disk's log record `s` (sim-core's
//! [`Storage::log_append`]). A record reaches the disk only at the next
//! [`Storage::sync`]; a crash loses everything appended since: that is the whole point of
//! the model, and what the known bug gets wrong.

use sim_core::{NodeId, Storage};

/// One write or compare-and-set in the log: what it did and who asked for it. Its sequence number is its index in
/// the log (from 1), so it is not stored in the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The client that asked (its session).
    pub client: NodeId,
    /// The request, unique per client: a retry carries the same id, so it is applied once.
    pub request_id: u64,
    /// The client's low-water mark when it asked: requests below it will never be retried,
    /// so their results may be forgotten.
    pub acked_below: u64,
    /// The key.
    pub key: u64,
    /// The value written (a compare-and-set that matched logs its new value); `None` for a
    /// compare-and-set that did not match. That one changes nothing, but it is logged all the
    /// same: its answer is then remembered across a crash, and a retry of it — still in the
    /// network after the client heard "failed" — is answered from the log, never run again
    /// against a state that might now match.
    pub value: Option<i64>,
}

/// Bytes of an encoded entry.
pub(crate) const ENTRY_BYTES: usize = 37;

impl Entry {
    /// The entry as a disk record: fixed-width little-endian fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(ENTRY_BYTES);
        b.extend_from_slice(&self.client.0.to_le_bytes());
        b.extend_from_slice(&self.request_id.to_le_bytes());
        b.extend_from_slice(&self.acked_below.to_le_bytes());
        b.extend_from_slice(&self.key.to_le_bytes());
        b.push(u8::from(self.value.is_some()));
        b.extend_from_slice(&self.value.unwrap_or(0).to_le_bytes());
        b
    }

    /// Reads a disk record back; `None` if it is not one.
    pub fn decode(b: &[u8]) -> Option<Entry> {
        if b.len() != ENTRY_BYTES {
            return None;
        }
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Some(Entry {
            client: NodeId(u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"))),
            request_id: u64_at(4),
            acked_below: u64_at(12),
            key: u64_at(20),
            value: match b[28] {
                0 => None,
                1 => Some(u64_at(29) as i64),
                _ => return None,
            },
        })
    }
}

/// A log read back from a disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskLog {
    /// Entries `1..=len`, up to the first record that is missing or damaged.
    pub entries: Vec<Entry>,
    /// The first record that could not be read (a `disk` fault corrupted it or left a gap),
    /// if the log went on past it.
    pub damaged_at: Option<u64>,
}

/// Reads a node's log from its disk, stopping at the first damaged record: what follows a hole
/// cannot be trusted to continue what precedes it.
pub fn read(storage: &Storage) -> DiskLog {
    let (_, last) = storage.log_bounds();
    let mut log = DiskLog::default();
    for seq in 1..=last {
        match storage.log_get(seq).ok().flatten().and_then(Entry::decode) {
            Some(e) => log.entries.push(e),
            None => {
                log.damaged_at = Some(seq);
                break;
            }
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_their_disk_records() {
        let e = Entry {
            client: NodeId(7),
            request_id: 1 << 40,
            acked_below: 3,
            key: 9,
            value: Some(-4),
        };
        assert_eq!(Entry::decode(&e.encode()), Some(e));
        let failed_cas = Entry { value: None, ..e };
        assert_eq!(Entry::decode(&failed_cas.encode()), Some(failed_cas));
        assert_eq!(Entry::decode(&[0; 5]), None);
    }

    #[test]
    fn reading_stops_at_a_hole() {
        let e = Entry { client: NodeId(3), request_id: 1, acked_below: 0, key: 1, value: Some(2) };
        let mut disk = Storage::default();
        disk.log_append(1, e.encode());
        // Record 2 was lost (a disk fault dropped it): record 3 lands after a hole.
        disk.log_append(3, e.encode());
        assert_eq!(read(&disk), DiskLog { entries: vec![e], damaged_at: Some(2) });
    }
}
