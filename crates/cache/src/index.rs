//! The map from a cached object's key to where a policy keeps it.
//!
//! A hash map, for O(1) lookups, with FxHash (a fixed function: the same on every run and
//! platform). It offers no iteration at all, so the map's order can never leak into an eviction
//! decision: every order a policy acts on lives in its own list, heap or tree.

// clippy.toml forbids std's HashMap because iterating it varies between runs (its lint does not
// look through rustc-hash's alias). This wrapper is the one place the cache crate uses a hash
// map, and it exposes lookups only, so the rule's point holds.
type Map<V> = rustc_hash::FxHashMap<u64, V>;

/// Key → `V` (a slot, or a policy's record of the object), without iteration.
#[derive(Clone, Debug)]
pub(crate) struct KeyIndex<V> {
    map: Map<V>,
}

impl<V> KeyIndex<V> {
    /// An empty index.
    pub(crate) fn new() -> Self {
        Self { map: Map::default() }
    }

    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// What `key` maps to, if it is present.
    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        self.map.get(&key)
    }

    /// What `key` maps to, to change in place.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        self.map.get_mut(&key)
    }

    /// Whether `key` is present.
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }

    /// Maps `key` to `value`; the key must be absent (a policy inserts only on a miss).
    pub(crate) fn insert(&mut self, key: u64, value: V) {
        let old = self.map.insert(key, value);
        assert!(old.is_none(), "key {key} inserted twice");
    }

    /// Maps `key` to `value`, present or not, and returns what it mapped to before.
    pub(crate) fn replace(&mut self, key: u64, value: V) -> Option<V> {
        self.map.insert(key, value)
    }

    /// Removes `key` and returns what it mapped to.
    pub(crate) fn remove(&mut self, key: u64) -> Option<V> {
        self.map.remove(&key)
    }
}
