//! The trace: every decision the simulation makes, folded into one 64-bit fingerprint.
//!
//! Every send, delivery, drop, duplicate, timer (set, fire, cancel), fault, heal, crash,
//! restart, pause, resume and annotation is one [`TraceRecord`]. The running hash
//! (`trace_hash`) is always on; records can also be written as JSON lines or captured in
//! memory for a window of event indices (how the first divergence between two runs is found).
//!
//! **The hash.** `fold64`: FNV-1a's 64-bit offset basis and prime applied to 64-bit words
//! instead of bytes, with an xor-shift after each word so high bits reach low bits:
//! `h₀ = 0xcbf29ce484222325`; for each word `w`: `h = (h ⊕ w) · 0x100000001b3 mod 2⁶⁴;
//! h = h ⊕ (h >> 29)`. Each step is a bijection of `h`, so two traces that differ in exactly one
//! word always hash differently.
//!
//! **The encoding.** Each record is four little-endian `u64` words:
//! 1. `time`: simulated nanoseconds;
//! 2. `kind | node << 8 | peer << 36`: the [`TraceKind`] code (below), the acting node's index
//!    and the other node's index (each < 2²⁸; [`NO_NODE`] when there is none);
//! 3. `a` and 4. `b`: the kind's two values (table below).
//!
//! Records with text (annotations, faults) then fold the text's UTF-8 bytes as words
//! (8 bytes little-endian per word, the last one zero-padded) followed by the byte length.
//! Message digests are `fold64` over the message's `std::hash::Hash` writes, where every
//! integer is widened to a `u64` word and byte strings are folded as above.
//!
//! | code | kind | node → peer | a | b |
//! |---|---|---|---|---|
//! | 1 | send | sender → receiver | message id | message digest |
//! | 2 | deliver | receiver ← sender | message id | 0 (the send record has the digest) |
//! | 3 | drop | sender → receiver | message id | [`DropReason`] code |
//! | 4 | duplicate | sender → receiver | new message id | original message id |
//! | 5 | timer-set | node | timer id | deadline (local ns, as u64 bits) |
//! | 6 | timer-fire | node | timer id | local clock reading |
//! | 7 | timer-cancel | node | timer id | 0 |
//! | 8 | fault | target (first) | 0 | 0, text = the fault with its nodes resolved (JSON) |
//! | 9 | heal | target (first) | 0 | 0, text = the fault kind |
//! | 10 | crash | node | incarnation | unsynced writes lost |
//! | 11 | restart | node | incarnation | 0 |
//! | 12 | annotate | node | 0 | 0, text = the annotation |
//! | 13 | start | node | 0 | 0 |
//! | 14 | pause | node | 0 | 0 |
//! | 15 | resume | node | 0 | inputs queued while paused |
//! | 16 | wake | node | 0 | inputs still queued |

use std::hash::Hasher;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// The `node`/`peer` value for records that have none.
pub const NO_NODE: u32 = (1 << 28) - 1;

const FOLD_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FOLD_PRIME: u64 = 0x0000_0100_0000_01b3;

/// One step of `fold64`.
#[inline(always)]
pub(crate) fn fold_word(h: u64, w: u64) -> u64 {
    let h = (h ^ w).wrapping_mul(FOLD_PRIME);
    h ^ (h >> 29)
}

/// `fold64` as a `std::hash::Hasher`, for message digests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fold64(u64);

impl Default for Fold64 {
    fn default() -> Self {
        Fold64(FOLD_BASIS)
    }
}

impl Hasher for Fold64 {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold_bytes(self.0, bytes);
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = fold_word(self.0, i as u64);
    }
    fn write_u16(&mut self, i: u16) {
        self.0 = fold_word(self.0, i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = fold_word(self.0, i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = fold_word(self.0, i);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = fold_word(self.0, i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.0 = fold_word(self.0, i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.0 = fold_word(self.0, i as i64 as u64);
    }
}

fn fold_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = fold_word(h, u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = fold_word(h, u64::from_le_bytes(last));
    }
    fold_word(h, bytes.len() as u64)
}

/// The digest of any hashable value under `fold64`.
pub fn digest<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    let mut h = Fold64::default();
    value.hash(&mut h);
    h.finish()
}

/// What a record is about. The numeric codes are part of the hash encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum TraceKind {
    /// A node sent a message.
    Send = 1,
    /// A message reached its receiver's handler.
    Deliver = 2,
    /// A message was lost.
    Drop = 3,
    /// The network duplicated a message.
    Duplicate = 4,
    /// A node set a timer.
    TimerSet = 5,
    /// A timer fired.
    TimerFire = 6,
    /// A node cancelled a timer.
    TimerCancel = 7,
    /// A fault began.
    Fault = 8,
    /// A fault was healed.
    Heal = 9,
    /// A node crashed.
    Crash = 10,
    /// A node restarted.
    Restart = 11,
    /// A node annotated the trace.
    Annotate = 12,
    /// A node started.
    Start = 13,
    /// A node was paused.
    Pause = 14,
    /// A node was resumed.
    Resume = 15,
    /// A busy or resumed node took the next queued input.
    Wake = 16,
    /// A server that left the cluster departed for good.
    Depart = 17,
}

/// Why a message was dropped (the `b` value of a drop record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum DropReason {
    /// The network lost it (loss rate or a loss fault).
    Loss = 1,
    /// A partition cut the link when it was sent.
    Partition = 2,
    /// The receiver was down when it arrived.
    ReceiverDown = 3,
    /// The sender crashed before its delayed send left.
    SenderCrashed = 4,
}

/// One trace record, as captured or exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// Position in the trace, from 0.
    pub index: u64,
    /// Simulated time, nanoseconds.
    pub time_ns: u64,
    /// What happened.
    pub kind: TraceKind,
    /// The acting node's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The other node's name (receiver or sender).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub peer: String,
    /// First value (see the module table).
    pub a: u64,
    /// Second value (see the module table).
    pub b: u64,
    /// Human-readable detail: the message, the fault, the annotation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Which records to keep besides the hash.
#[derive(Default)]
pub struct TraceOptions {
    /// Write every record as one JSON line here (buffer it: one write per record).
    pub jsonl: Option<Box<dyn Write + Send>>,
    /// Keep records whose index is in this range (half-open) in memory.
    pub capture: Option<std::ops::Range<u64>>,
    /// Keep records whose simulated time (ns) is in this range (half-open) in memory.
    pub capture_time: Option<std::ops::Range<u64>>,
    /// Every this many records, remember the running hash (0: never).
    pub checkpoint_every: u64,
}

/// The running trace of one run.
pub struct Trace {
    hash: u64,
    count: u64,
    names: Vec<String>,
    options: TraceOptions,
    captured: Vec<TraceRecord>,
    checkpoints: Vec<u64>,
    io_error: Option<io::Error>,
}

impl Trace {
    /// A trace for nodes with these names (indexed by node index).
    pub(crate) fn new(names: Vec<String>, options: TraceOptions) -> Self {
        Trace {
            hash: FOLD_BASIS,
            count: 0,
            names,
            options,
            captured: Vec::new(),
            checkpoints: Vec::new(),
            io_error: None,
        }
    }

    /// The running hash.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Records so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True before the first record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when a record at `time` needs its detail text (export or a capture covers it).
    #[inline]
    pub(crate) fn wants_detail(&self, time: SimTime) -> bool {
        self.options.jsonl.is_some()
            || self.options.capture.is_some()
            || self.options.capture_time.as_ref().is_some_and(|r| r.contains(&time.0))
    }

    /// Appends a record. `detail` is only called when records are kept.
    // Plain arguments rather than a struct: this is on every event's path.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn record(
        &mut self,
        time: SimTime,
        kind: TraceKind,
        node: u32,
        peer: u32,
        a: u64,
        b: u64,
        detail: impl FnOnce() -> String,
    ) {
        let mut h = fold_word(self.hash, time.0);
        h = fold_word(h, kind as u64 | (node as u64) << 8 | (peer as u64) << 36);
        h = fold_word(h, a);
        self.hash = fold_word(h, b);
        self.finish_record(time, kind, node, peer, a, b, detail);
    }

    /// Appends a record whose text is part of its content (annotations, faults).
    pub(crate) fn record_text(
        &mut self,
        time: SimTime,
        kind: TraceKind,
        node: u32,
        peer: u32,
        a: u64,
        text: &str,
    ) {
        let mut h = fold_word(self.hash, time.0);
        h = fold_word(h, kind as u64 | (node as u64) << 8 | (peer as u64) << 36);
        h = fold_word(h, a);
        h = fold_word(h, 0);
        self.hash = fold_bytes(h, text.as_bytes());
        self.finish_record(time, kind, node, peer, a, 0, || text.to_string());
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn finish_record(
        &mut self,
        time: SimTime,
        kind: TraceKind,
        node: u32,
        peer: u32,
        a: u64,
        b: u64,
        detail: impl FnOnce() -> String,
    ) {
        let index = self.count;
        self.count += 1;
        if self.options.checkpoint_every != 0 && self.count % self.options.checkpoint_every == 0 {
            self.checkpoints.push(self.hash);
        }
        if self.wants_detail(time) {
            self.keep(TraceRecord {
                index,
                time_ns: time.0,
                kind,
                node: self.name(node),
                peer: self.name(peer),
                a,
                b,
                detail: detail(),
            });
        }
    }

    #[cold]
    fn keep(&mut self, record: TraceRecord) {
        if let Some(w) = self.options.jsonl.as_mut() {
            if self.io_error.is_none() {
                let line = serde_json::to_string(&record).expect("trace record serializes");
                if let Err(e) = writeln!(w, "{line}") {
                    self.io_error = Some(e);
                }
            }
        }
        let by_index = self.options.capture.as_ref().is_some_and(|r| r.contains(&record.index));
        let by_time =
            self.options.capture_time.as_ref().is_some_and(|r| r.contains(&record.time_ns));
        if by_index || by_time {
            self.captured.push(record);
        }
    }

    fn name(&self, node: u32) -> String {
        self.names.get(node as usize).cloned().unwrap_or_default()
    }

    /// Flushes the JSON-lines writer and reports the first write error, if any.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.io_error.take() {
            return Err(e);
        }
        if let Some(w) = self.options.jsonl.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    /// The records captured in the requested window.
    pub fn captured(&self) -> &[TraceRecord] {
        &self.captured
    }

    /// The running hash after every `checkpoint_every` records.
    pub fn checkpoints(&self) -> &[u64] {
        &self.checkpoints
    }
}

/// Where two traces first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The index of the first differing record.
    pub index: u64,
    /// The first trace's record there (`None`: that trace ended).
    pub left: Option<TraceRecord>,
    /// The second trace's record there.
    pub right: Option<TraceRecord>,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |r: &Option<TraceRecord>| match r {
            Some(r) => serde_json::to_string(r).unwrap_or_default(),
            None => "(the trace had ended)".to_string(),
        };
        write!(
            f,
            "first diverging event #{}: first run {}, second run {}",
            self.index,
            show(&self.left),
            show(&self.right)
        )
    }
}

/// Finds the first record at which two record sequences differ, or `None` if they are equal.
pub fn first_divergence<A, B>(left: A, right: B) -> Option<Divergence>
where
    A: IntoIterator<Item = TraceRecord>,
    B: IntoIterator<Item = TraceRecord>,
{
    let (mut l, mut r) = (left.into_iter(), right.into_iter());
    let mut index = 0;
    loop {
        match (l.next(), r.next()) {
            (None, None) => return None,
            (a, b) if a == b => index += 1,
            (a, b) => {
                let at = a.as_ref().or(b.as_ref()).map_or(index, |rec| rec.index);
                return Some(Divergence { index: at, left: a, right: b });
            }
        }
    }
}

/// Reads a JSON-lines trace written by [`TraceOptions::jsonl`] back into records.
pub fn read_jsonl(text: &str) -> Result<Vec<TraceRecord>, String> {
    crate::jsonl::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_differing_word_changes_the_hash() {
        let mut a = Trace::new(vec!["n1".into()], TraceOptions::default());
        let mut b = Trace::new(vec!["n1".into()], TraceOptions::default());
        a.record(SimTime(1), TraceKind::Send, 0, 0, 7, 1 << 63, String::new);
        b.record(SimTime(1), TraceKind::Send, 0, 0, 7, 0, String::new);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn jsonl_round_trips_and_divergence_is_found() {
        let buf = SharedBuf::default();
        let mut t = Trace::new(
            vec!["n1".into(), "n2".into()],
            TraceOptions { jsonl: Some(Box::new(buf.clone())), ..Default::default() },
        );
        t.record(SimTime(5), TraceKind::Send, 0, 1, 0, 42, || "Ping".into());
        t.record_text(SimTime(6), TraceKind::Annotate, 1, NO_NODE, 0, "hello");
        t.finish().unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let recs = read_jsonl(&text).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].peer, "n2");
        assert_eq!(recs[1].detail, "hello");
        let mut other = recs.clone();
        other[1].detail = "bye".into();
        let d = first_divergence(recs.clone(), other).unwrap();
        assert_eq!(d.index, 1);
        assert_eq!(first_divergence(recs.clone(), recs), None);
    }

    #[derive(Clone, Default)]
    pub(crate) struct SharedBuf(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for SharedBuf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
