//! Versions and the values they stamp: what replicas store, compare and merge.
//!
//! Every write carries a [`Version`], unique to it, and (under vector clocks) a [`Clock`]. Under
//! last-writer-wins and linearizable quorums versions are totally ordered and a replica keeps
//! the highest. Under vector clocks two writes neither of which descends from the other are
//! concurrent: a replica keeps both, as siblings ([`Siblings`]), until a client reads them,
//! resolves them and writes back a version that descends from both (DeCandia et al., "Dynamo",
//! 2007, section 4.4).

/// A write's identity and, outside vector clocks, its rank: the higher wins. `stamp` is the
/// coordinator's clock reading (last writer wins, vector clocks) or a counter one past the
/// highest a quorum held (linearizable mode); `node` and `op`, the coordinator and its
/// operation, break ties, so that no two writes ever carry the same version (two writes one
/// coordinator runs at once read the same highest stamp: with the node alone they made one
/// version with two values, and replicas disagreed on which it was).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Clock reading or counter.
    pub stamp: u64,
    /// The coordinator that made it.
    pub node: u32,
    /// The coordinator's operation that made it (unique across its restarts).
    pub op: u64,
}

/// A vector clock: for each actor, the highest of its writes a version descends from, sorted
/// by actor. Empty outside vector-clock mode. The actors are the writers: a client's write
/// carries its client's entry alone (it is blind: the client read nothing first), numbered by
/// the client's request id, so it descends from that client's earlier writes and is concurrent
/// with every other client's; a client that read siblings writes its resolution back with
/// their clocks merged plus an entry of the coordinator that writes it. Coordinators are not
/// the actors of clients' writes: two clients' blind writes through one coordinator would then
/// look ordered, and the later would silently replace the earlier (the anomaly Preguiça et
/// al.'s dotted version vectors were made to avoid).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clock(Vec<(u32, u64)>);

impl Clock {
    /// Whether this clock descends from (or equals) `other`: at least its every entry.
    pub fn descends(&self, other: &Clock) -> bool {
        let mut mine = self.0.iter().peekable();
        other.0.iter().all(|&(node, op)| {
            while mine.peek().is_some_and(|&&(n, _)| n < node) {
                mine.next();
            }
            mine.peek().is_some_and(|&&(n, o)| n == node && o >= op)
        })
    }

    /// The least clock that descends from both.
    pub fn merge(&mut self, other: &Clock) {
        for &(node, op) in &other.0 {
            match self.0.binary_search_by_key(&node, |&(n, _)| n) {
                Ok(i) => self.0[i].1 = self.0[i].1.max(op),
                Err(i) => self.0.insert(i, (node, op)),
            }
        }
    }

    /// This clock with `node`'s entry raised to `op` (a new write by actor `node`).
    pub fn tick(mut self, node: u32, op: u64) -> Clock {
        self.merge(&Clock(vec![(node, op)]));
        self
    }

    /// Whether the clock has no entry (every version outside vector-clock mode).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn encode(&self, b: &mut Vec<u8>) {
        b.extend_from_slice(&(self.0.len() as u32).to_le_bytes());
        for &(node, op) in &self.0 {
            b.extend_from_slice(&node.to_le_bytes());
            b.extend_from_slice(&op.to_le_bytes());
        }
    }

    fn decode(r: &mut Reader) -> Option<Clock> {
        let n = r.u32()?;
        let entries = (0..n).map(|_| Some((r.u32()?, r.u64()?))).collect::<Option<Vec<_>>>()?;
        entries.windows(2).all(|w| w[0].0 < w[1].0).then_some(Clock(entries))
    }
}

/// A value with its version, as a replica stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stored {
    /// The value.
    pub value: i64,
    /// Its version.
    pub version: Version,
    /// Its vector clock (empty outside vector-clock mode).
    pub clock: Clock,
}

impl Stored {
    /// A version outside vector-clock mode.
    pub fn ranked(value: i64, version: Version) -> Stored {
        Stored { value, version, clock: Clock::default() }
    }

    /// Whether this version makes `other` obsolete: it is `other` or newer. Under vector
    /// clocks, newer means descended from; otherwise, a higher version.
    pub fn covers(&self, version: Version, clock: &Clock) -> bool {
        if self.clock.is_empty() && clock.is_empty() {
            self.version >= version
        } else {
            self.clock.descends(clock)
        }
    }
}

/// What a replica holds for a key: every version no other it holds covers, ordered by
/// version. Empty: nothing. Outside vector-clock mode there is at most one (the highest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Siblings(Vec<Stored>);

impl Siblings {
    /// One version.
    pub fn one(stored: Stored) -> Siblings {
        Siblings(vec![stored])
    }

    /// Whether there is no version.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The versions, ordered by version.
    pub fn versions(&self) -> &[Stored] {
        &self.0
    }

    /// The highest version (the value a last-writer-wins or linearizable read returns).
    pub fn newest(&self) -> Option<&Stored> {
        self.0.last()
    }

    /// Whether some version here is the given one or newer.
    pub fn covers(&self, version: Version, clock: &Clock) -> bool {
        self.0.iter().any(|s| s.covers(version, clock))
    }

    /// The clocks of every version here, merged: the context a client writes back with.
    pub fn context(&self) -> Clock {
        let mut c = Clock::default();
        for s in &self.0 {
            c.merge(&s.clock);
        }
        c
    }

    /// Adds `incoming`'s versions and keeps those nothing else here covers; true if anything
    /// changed. `keep_one` is the `sibling-dropped` bug: of several concurrent versions, only
    /// the highest is kept.
    pub fn merge(&mut self, incoming: &Siblings, keep_one: bool) -> bool {
        // A version nothing here covers is new; anything it covers goes.
        let mut changed = false;
        for s in &incoming.0 {
            if !self.0.iter().any(|t| t.covers(s.version, &s.clock)) {
                self.0.retain(|t| !s.covers(t.version, &t.clock));
                self.0.push(s.clone());
                changed = true;
            }
        }
        if changed {
            self.0.sort_by_key(|s| s.version);
        }
        if keep_one && self.0.len() > 1 {
            self.0.drain(..self.0.len() - 1);
        }
        changed
    }

    /// What a replica's disk keeps: a count, then each version's value, stamp, node, op and
    /// clock, little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(4 + 32 * self.0.len());
        b.extend_from_slice(&(self.0.len() as u32).to_le_bytes());
        for s in &self.0 {
            b.extend_from_slice(&s.value.to_le_bytes());
            b.extend_from_slice(&s.version.stamp.to_le_bytes());
            b.extend_from_slice(&s.version.node.to_le_bytes());
            b.extend_from_slice(&s.version.op.to_le_bytes());
            s.clock.encode(&mut b);
        }
        b
    }

    /// Reads what [`Siblings::encode`] wrote; `None` for anything else.
    pub fn decode(b: &[u8]) -> Option<Siblings> {
        let mut r = Reader(b);
        let n = r.u32()?;
        let mut out = Vec::new();
        for _ in 0..n {
            let value = r.u64()? as i64;
            let version = Version { stamp: r.u64()?, node: r.u32()?, op: r.u64()? };
            out.push(Stored { value, version, clock: Clock::decode(&mut r)? });
        }
        r.0.is_empty().then_some(Siblings(out))
    }
}

/// Little-endian fields off the front of a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(stamp: u64, node: u32, op: u64) -> Version {
        Version { stamp, node, op }
    }

    fn clock(entries: &[(u32, u64)]) -> Clock {
        Clock(entries.to_vec())
    }

    #[test]
    fn siblings_read_back_and_ranked_versions_order_by_stamp_then_node() {
        let s = Stored { value: -7, version: v(99, 3, 5), clock: clock(&[(1, 4), (3, 5)]) };
        let two = Siblings(vec![Stored::ranked(1, v(1, 0, 0)), s.clone()]);
        assert_eq!(Siblings::decode(&two.encode()), Some(two));
        assert_eq!(Siblings::decode(&[1, 2, 3]), None);
        assert!(v(2, 0, 0) > v(1, 9, 9));
        assert!(v(2, 1, 0) > v(2, 0, 9));
        assert!(v(2, 1, 2) > v(2, 1, 1), "two writes of one coordinator differ");
        let mut held = Siblings::one(Stored::ranked(1, v(1, 0, 0)));
        assert!(held.merge(&Siblings::one(Stored::ranked(2, v(3, 0, 0))), false));
        assert!(!held.merge(&Siblings::one(Stored::ranked(3, v(2, 0, 0))), false));
        assert_eq!(held.newest().map(|s| s.value), Some(2));
    }

    #[test]
    fn concurrent_versions_are_kept_as_siblings_until_one_descends_from_both() {
        let a = Stored { value: 1, version: v(5, 1, 10), clock: clock(&[(1, 10)]) };
        let b = Stored { value: 2, version: v(6, 2, 20), clock: clock(&[(2, 20)]) };
        let mut held = Siblings::one(a.clone());
        assert!(held.merge(&Siblings::one(b.clone()), false));
        assert_eq!(held.versions().len(), 2, "neither descends from the other");
        assert_eq!(held.context(), clock(&[(1, 10), (2, 20)]));
        // A client read both and wrote back through node 1: its clock descends from both.
        let resolved = Stored { value: 2, version: v(7, 1, 11), clock: held.context().tick(1, 11) };
        assert!(held.merge(&Siblings::one(resolved.clone()), false));
        assert_eq!(held, Siblings::one(resolved.clone()));
        assert!(held.covers(a.version, &a.clock) && held.covers(b.version, &b.clock));
        // The bug keeps one of two concurrent versions: the other is gone.
        let mut buggy = Siblings::one(a.clone());
        buggy.merge(&Siblings::one(b.clone()), true);
        assert!(!buggy.covers(a.version, &a.clock));
    }

    #[test]
    fn a_clock_descends_from_the_clocks_it_has_every_entry_of() {
        assert!(clock(&[(1, 3), (2, 1)]).descends(&clock(&[(1, 2)])));
        assert!(clock(&[(1, 3)]).descends(&Clock::default()));
        assert!(!clock(&[(1, 3)]).descends(&clock(&[(2, 1)])));
        assert!(!clock(&[(1, 2), (2, 1)]).descends(&clock(&[(1, 3)])));
        assert_eq!(clock(&[(2, 1)]).tick(1, 4), clock(&[(1, 4), (2, 1)]));
    }
}
