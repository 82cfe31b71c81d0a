//! Versions and the values they stamp: what replicas store and compare.

/// A write's version: the higher wins. `stamp` is the coordinator's clock reading (last writer
/// wins) or a counter one past the highest a quorum held (linearizable mode); `node` and `op`,
/// the coordinator and its operation, break ties, so that no two writes ever carry the same
/// version (two writes one coordinator runs at once read the same highest stamp: with the node
/// alone they made one version with two values, and replicas disagreed on which it was).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Clock reading or counter.
    pub stamp: u64,
    /// The coordinator that made it.
    pub node: u32,
    /// The coordinator's operation that made it (unique across its restarts).
    pub op: u64,
}

/// A value with its version, as a replica stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stored {
    /// The value.
    pub value: i64,
    /// Its version.
    pub version: Version,
}

impl Stored {
    /// The 28 bytes a replica's disk keeps: value, stamp, node, op, little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(28);
        b.extend_from_slice(&self.value.to_le_bytes());
        b.extend_from_slice(&self.version.stamp.to_le_bytes());
        b.extend_from_slice(&self.version.node.to_le_bytes());
        b.extend_from_slice(&self.version.op.to_le_bytes());
        b
    }

    /// Reads what [`Stored::encode`] wrote; `None` for anything else.
    pub fn decode(b: &[u8]) -> Option<Stored> {
        let value = i64::from_le_bytes(b.get(0..8)?.try_into().ok()?);
        let stamp = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
        let node = u32::from_le_bytes(b.get(16..20)?.try_into().ok()?);
        let op = u64::from_le_bytes(b.get(20..28)?.try_into().ok()?);
        (b.len() == 28).then_some(Stored { value, version: Version { stamp, node, op } })
    }
}

/// The newest of several answers (`None`: the replica holds nothing for the key).
pub fn newest<'a>(answers: impl IntoIterator<Item = &'a Option<Stored>>) -> Option<Stored> {
    answers.into_iter().flatten().copied().max_by_key(|s| s.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_value_reads_back_and_versions_order_by_stamp_then_node() {
        let s = Stored { value: -7, version: Version { stamp: 99, node: 3, op: 5 } };
        assert_eq!(Stored::decode(&s.encode()), Some(s));
        assert_eq!(Stored::decode(&[1, 2, 3]), None);
        let v = |stamp, node, op| Version { stamp, node, op };
        assert!(v(2, 0, 0) > v(1, 9, 9));
        assert!(v(2, 1, 0) > v(2, 0, 9));
        assert!(v(2, 1, 2) > v(2, 1, 1), "two writes of one coordinator differ");
        let older = Some(Stored { value: 1, version: v(1, 0, 0) });
        assert_eq!(newest([&None, &older, &Some(s)]), Some(s));
    }
}
