//! The placement hash: XXH3-64 (Yann Collet's xxHash family, the 64-bit XXH3 variant, seed 0),
//! through the `xxhash-rust` crate.
//!
//! Every placement decision (a key's position, a ring point, a rendezvous weight, a key's hash
//! range, jump hash's input) goes through [`key_hash`] or [`hash_pair`], so the whole layer
//! rests on one function whose output is fixed by a published specification, not by a
//! library's choice: std's `DefaultHasher` is SipHash-1-3 today but its algorithm is explicitly
//! unspecified and may change between Rust releases, and `RandomState` is seeded per process.
//!
//! Why XXH3: its output has been frozen since xxHash 0.8.0 (2020) and is the same on every
//! platform (inputs are read as little-endian words whatever the host); it passes SMHasher, so
//! consecutive keys (0, 1, 2, …, which simulated workloads use) land at independent-looking
//! positions; and inputs of 8 and 16 bytes, the only ones used here, take its dedicated short
//! paths, so hashing a million keys costs a few milliseconds. No key is secret in a simulation,
//! so a keyed hash (SipHash) buys nothing here.
//!
//! **Encoding.** A `u64` is hashed as its 8 little-endian bytes; a pair `(a, b)` as the 16 bytes
//! `a` then `b`, each little-endian. The unit tests pin outputs computed by the reference C
//! implementation (`xxhsum -H3`, xxHash 0.8.1), so a dependency upgrade that changed a single
//! bit of placement fails a test instead of silently moving every key.

use xxhash_rust::xxh3::xxh3_64;

/// The hash's name, for reports and docs.
pub const HASH_NAME: &str = "XXH3-64, seed 0";

/// The position of `key` in the 64-bit hash space: XXH3-64 of its 8 little-endian bytes.
///
/// Every scheme starts from this value, so keys that are small consecutive integers are spread
/// over the whole space before any scheme looks at them.
pub fn key_hash(key: u64) -> u64 {
    xxh3_64(&key.to_le_bytes())
}

/// XXH3-64 of the 16 bytes `a` then `b`, each little-endian: one hash value for an ordered
/// pair. The ring places virtual node `i` of member `m` at `hash_pair(m, i)`; rendezvous
/// hashing weighs member `m` for a key by `hash_pair(key_hash(key), m)`; jump hash draws a
/// key's later candidates from `hash_pair(key_hash(key), i)`.
///
/// Order matters: `hash_pair(a, b)` and `hash_pair(b, a)` are unrelated values.
pub fn hash_pair(a: u64, b: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    xxh3_64(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from the reference implementation, not from this crate: the bytes were
    // written to a file and hashed with `xxhsum -H3` (xxHash 0.8.1, Debian's `xxhash`), which
    // prints XXH3_64bits with seed 0 as big-endian hex, i.e. the u64 value itself.

    #[test]
    fn empty_input_matches_the_published_xxh3_vector() {
        // XXH3_64bits("") with seed 0, from xxHash's own documentation and test suite.
        assert_eq!(xxh3_64(&[]), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn key_hash_matches_the_reference_implementation() {
        for (key, expected) in [
            (0u64, 0xc77b_3abb_6f87_acd9u64),
            (1, 0x2fbc_5935_64db_792e),
            (42, 0xd5a6_f8c8_38df_27c8),
            (0xdead_beef, 0x4e95_c26e_2ea6_7401),
            (u64::MAX, 0x5111_c7e4_7d78_4413),
        ] {
            assert_eq!(key_hash(key), expected, "key_hash({key})");
        }
    }

    #[test]
    fn hash_pair_matches_the_reference_implementation() {
        for (a, b, expected) in [
            (0u64, 0u64, 0xd0a6_6a65_c752_8968u64),
            (1, 2, 0x07ee_86c2_8144_6bef),
            (2, 1, 0xfb54_cb63_22be_3888),
            (7, 99, 0x8114_418a_5255_a062),
        ] {
            assert_eq!(hash_pair(a, b), expected, "hash_pair({a}, {b})");
        }
    }
}
