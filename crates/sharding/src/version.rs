//! Versions and the values they stamp: what replicas store and compare.

/// A write's version: the higher wins. `stamp` is the coordinator's clock reading (last writer
/// wins) or a counter one past the highest a quorum held (linearizable mode); `node`, the
/// coordinator's index, breaks ties so that two coordinators never make the same version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Clock reading or counter.
    pub stamp: u64,
    /// The coordinator that made it.
    pub node: u32,
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
    /// The 20 bytes a replica's disk keeps: value, stamp, node, little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(20);
        b.extend_from_slice(&self.value.to_le_bytes());
        b.extend_from_slice(&self.version.stamp.to_le_bytes());
        b.extend_from_slice(&self.version.node.to_le_bytes());
        b
    }

    /// Reads what [`Stored::encode`] wrote; `None` for anything else.
    pub fn decode(b: &[u8]) -> Option<Stored> {
        let value = i64::from_le_bytes(b.get(0..8)?.try_into().ok()?);
        let stamp = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
        let node = u32::from_le_bytes(b.get(16..20)?.try_into().ok()?);
        (b.len() == 20).then_some(Stored { value, version: Version { stamp, node } })
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
        let s = Stored { value: -7, version: Version { stamp: 99, node: 3 } };
        assert_eq!(Stored::decode(&s.encode()), Some(s));
        assert_eq!(Stored::decode(&[1, 2, 3]), None);
        assert!(Version { stamp: 2, node: 0 } > Version { stamp: 1, node: 9 });
        assert!(Version { stamp: 2, node: 1 } > Version { stamp: 2, node: 0 });
        let older = Some(Stored { value: 1, version: Version { stamp: 1, node: 0 } });
        assert_eq!(newest([&None, &older, &Some(s)]), Some(s));
    }
}
