//! A server's disk: its replica copies (`kv/<key>`) and the hints it keeps for other servers
//! (`hint/<intended>/<key>`). Keys are zero-padded so that a range scan returns them in
//! numeric order. Readers outside the server (the checks, after a run) use the same functions.

use sim_core::{NodeId, Storage};

use crate::version::Siblings;

const COPIES: &str = "kv/";
const HINTS: &str = "hint/";

fn copy_key(key: u64) -> String {
    format!("{COPIES}{key:020}")
}

fn hint_key(intended: NodeId, key: u64) -> String {
    format!("{HINTS}{:010}/{key:020}", intended.0)
}

/// What the disk holds for `key` (empty: nothing).
pub fn held(storage: &Storage, key: u64) -> Siblings {
    storage.get(&copy_key(key)).ok().flatten().and_then(Siblings::decode).unwrap_or_default()
}

/// The keys the disk holds a copy of, in order.
pub fn keys_on(storage: &Storage) -> Vec<u64> {
    storage.keys_with_prefix(COPIES).filter_map(|k| k[COPIES.len()..].parse().ok()).collect()
}

/// Every copy on the disk, in key order (one scan: for the checks, over a million keys).
pub fn copies_on(storage: &Storage) -> impl Iterator<Item = (u64, Siblings)> + '_ {
    let from = std::ops::Bound::Included(COPIES);
    storage.scan(from, std::ops::Bound::Unbounded).map_while(|(name, bytes)| {
        let key = name.strip_prefix(COPIES)?.parse().ok()?;
        Some((key, bytes.ok().and_then(Siblings::decode).unwrap_or_default()))
    })
}

/// Replaces the copy of `key`, durably (the caller merged it).
pub fn put(storage: &mut Storage, key: u64, versions: &Siblings) {
    storage.put(&copy_key(key), versions.encode());
    storage.sync();
}

/// Drops the copy of `key` (not synced: the caller syncs once after many).
pub fn remove(storage: &mut Storage, key: u64) {
    storage.delete(&copy_key(key));
}

/// Every hint on the disk: (the replica it is meant for, key, versions), in order.
pub fn hints_on(storage: &Storage) -> Vec<(NodeId, u64, Siblings)> {
    let names: Vec<String> = storage.keys_with_prefix(HINTS).map(str::to_string).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (node, key) = name[HINTS.len()..].split_once('/')?;
            let versions = storage.get(&name).ok().flatten().and_then(Siblings::decode)?;
            Some((NodeId(node.parse().ok()?), key.parse().ok()?, versions))
        })
        .collect()
}

/// Adds `versions` to the hint for (`intended`, `key`), durably.
pub fn keep_hint(storage: &mut Storage, intended: NodeId, key: u64, versions: &Siblings) {
    let name = hint_key(intended, key);
    let mut hint = storage.get(&name).ok().flatten().and_then(Siblings::decode).unwrap_or_default();
    if hint.merge(versions, false) {
        storage.put(&name, hint.encode());
        storage.sync();
    }
}

/// Drops the hint for (`intended`, `key`) if it is still exactly `delivered`.
pub fn drop_hint(storage: &mut Storage, intended: NodeId, key: u64, delivered: &Siblings) {
    let name = hint_key(intended, key);
    let hint = storage.get(&name).ok().flatten().and_then(Siblings::decode);
    if hint.as_ref() == Some(delivered) {
        storage.delete(&name);
        storage.sync();
    }
}
