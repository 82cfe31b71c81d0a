//! The consistent-hash ring with virtual nodes (Karger et al., "Consistent Hashing and Random
//! Trees", STOC 1997; with virtual nodes as Dynamo uses them).
//!
//! **Model.** The 64-bit hash space is a ring. Member `m` places `vnodes` points on it, point
//! `i` at [`hash_pair`]`(m, i)` for `i` in `0..vnodes`. A key sits at [`key_hash`]`(key)`; its
//! replicas are the distinct members met walking clockwise (towards larger values, wrapping
//! from 2^64 − 1 to 0) from the key's position, starting with the first point at or after it.
//! So a point owns the arc from the previous point (exclusive) to itself (inclusive). Two
//! points at the same value (a 64-bit collision) are ordered by member number, so the lower
//! member owns the arc; the answer never depends on insertion order.
//!
//! **Balance.** With `v` points per member, a member's share of the ring is a sum of `v` arcs:
//! its standard deviation is about 1/sqrt(v) of the mean (10% at 100 points, 3.2% at 1,000),
//! which the tests check; [`Ring::space_owned`] gives each member's exact share.
//!
//! **Membership.** A join adds the newcomer's points, so a key moves only if one of those
//! points now precedes its old owner's: keys move only to the newcomer, about 1/(n + 1) of
//! them. A leave removes the leaver's points: only the keys it held move, each to the next
//! member clockwise, so the leaver's load spreads over many members instead of one.
//!
//! **Cost.** The points are one sorted `Vec<(point, member)>`, and a lookup is a binary
//! search. A plain binary search over a million points (1,000 members × 1,000 vnodes, 16 MiB)
//! misses the cache at nearly every one of its 20 steps, about 1 µs a key; so the ring also
//! keeps an index on the top `b` bits of the hash, `b = floor(log2(points))`: the points
//! whose top bits equal the key's are found in one step, and the binary search runs over
//! those few (one to two on average). A join or leave re-sorts and rebuilds the index, O(P log P).
//! At most [`MAX_POINTS`] points, so a ring never takes more than 320 MiB with its index.

use std::fmt;

use sim_core::config::ConfigError;

use super::{Distinct, MembershipError, Placement, check_members, remove_member};
use crate::hash::{hash_pair, key_hash};

/// The most points a ring holds (members × vnodes): 2^24, 256 MiB of `(u64, u32)` pairs and
/// 64 MiB of index.
pub const MAX_POINTS: usize = 1 << 24;

/// A consistent-hash ring with `vnodes` virtual nodes per member.
#[derive(Clone)]
pub struct Ring {
    vnodes: u32,
    members: Vec<u32>,
    /// Every member's points, sorted by (point, member).
    points: Vec<(u64, u32)>,
    /// `index[j]` is the first point whose top `64 - shift` bits are at least `j`; one more
    /// entry at the end holds `points.len()`. Rebuilt whenever the points change.
    index: Vec<u32>,
    /// How far a hash shifts right to give its index bucket: 64 minus the bits indexed.
    shift: u32,
}

impl Ring {
    /// Builds the ring over `members` (none twice) with `vnodes` points each (1..=100000);
    /// members × vnodes must be at most [`MAX_POINTS`].
    pub fn new(members: &[u32], vnodes: u32) -> Result<Ring, ConfigError> {
        check_members(members)?;
        if !(1..=super::MAX_VNODES).contains(&vnodes) {
            return Err(ConfigError::out_of_range("sharding.vnodes", vnodes, "1..=100000"));
        }
        let total = members.len().saturating_mul(vnodes as usize);
        if total > MAX_POINTS {
            return Err(ConfigError::invalid(
                "sharding.vnodes",
                format!(
                    "{vnodes} points for each of {} members make {total} ring points: at most \
                     {MAX_POINTS} are allowed (fewer vnodes)",
                    members.len()
                ),
            ));
        }
        let mut ring = Ring {
            vnodes,
            members: members.to_vec(),
            points: Vec::with_capacity(total),
            index: Vec::new(),
            shift: 63,
        };
        for &m in members {
            ring.points.extend(points_of(m, vnodes));
        }
        ring.reindex();
        Ok(ring)
    }

    /// Sorts the points and rebuilds the index over the top `floor(log2(points))` bits (at
    /// least 1), so each index bucket holds about one to two points.
    fn reindex(&mut self) {
        self.points.sort_unstable();
        let bits = self.points.len().max(2).ilog2();
        self.shift = 64 - bits;
        let buckets = 1usize << bits;
        self.index.clear();
        self.index.reserve(buckets + 1);
        let mut i = 0;
        for j in 0..buckets as u64 {
            while i < self.points.len() && (self.points[i].0 >> self.shift) < j {
                i += 1;
            }
            self.index.push(i as u32);
        }
        self.index.push(self.points.len() as u32);
    }

    /// Points per member.
    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    /// Every point, sorted by (position, member).
    pub fn points(&self) -> &[(u64, u32)] {
        &self.points
    }

    /// How many hash values each member owns (the arcs ending at its points), in
    /// [`Placement::members`] order; the values add up to 2^64. This is the exact share of
    /// keys a member would get from uniformly hashed keys, so balance can be measured without
    /// sampling keys.
    pub fn space_owned(&self) -> Vec<(u32, u128)> {
        let mut owned = std::collections::BTreeMap::<u32, u128>::new();
        let last = self.points.last().map_or(0, |p| p.0);
        let mut prev: Option<u64> = None;
        for &(point, member) in &self.points {
            let arc = match prev {
                // The first point owns the wrap-around arc, from after the last point through
                // 2^64 − 1 and from 0 to itself.
                None => (1u128 << 64) - u128::from(last) + u128::from(point),
                Some(p) => u128::from(point - p),
            };
            *owned.entry(member).or_default() += arc;
            prev = Some(point);
        }
        self.members.iter().map(|m| (*m, owned.get(m).copied().unwrap_or(0))).collect()
    }

    /// The index of the first point at or after hash `h`, wrapping to 0 past the last point.
    fn successor(&self, h: u64) -> usize {
        // Points before `lo` have smaller top bits than `h`, so lie before it; points from `hi`
        // on have larger top bits, so lie after it: only `lo..hi` needs searching.
        let j = (h >> self.shift) as usize;
        let (lo, hi) = (self.index[j] as usize, self.index[j + 1] as usize);
        let i = lo + self.points[lo..hi].partition_point(|&(p, _)| p < h);
        if i == self.points.len() { 0 } else { i }
    }
}

// By hand: a derived Debug would print every point, a million lines for a large ring.
impl fmt::Debug for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("vnodes", &self.vnodes)
            .field("members", &self.members)
            .field("points", &self.points.len())
            .finish()
    }
}

/// Member `m`'s points, `hash_pair(m, i)` for `i` in `0..vnodes`.
fn points_of(m: u32, vnodes: u32) -> impl Iterator<Item = (u64, u32)> {
    (0..vnodes).map(move |i| (hash_pair(u64::from(m), u64::from(i)), m))
}

impl Placement for Ring {
    fn name(&self) -> &'static str {
        "ring"
    }

    fn replicas(&self, key: u64, n: usize, out: &mut Vec<u32>) {
        out.clear();
        let want = n.min(self.members.len());
        if want == 0 {
            return;
        }
        let start = self.successor(key_hash(key));
        let mut distinct = Distinct::new(want);
        // Every member has at least one point, so one lap of the ring meets all of them.
        for step in 0..self.points.len() {
            let i = (start + step) % self.points.len();
            distinct.push(out, self.points[i].1);
            if out.len() == want {
                break;
            }
        }
    }

    fn owner(&self, key: u64) -> u32 {
        self.points[self.successor(key_hash(key))].1
    }

    fn members(&self) -> &[u32] {
        &self.members
    }

    fn join(&mut self, member: u32) -> Result<(), MembershipError> {
        if self.members.contains(&member) {
            return Err(MembershipError::AlreadyMember(member));
        }
        if self.points.len() + self.vnodes as usize > MAX_POINTS {
            return Err(MembershipError::Full {
                member,
                limit: "the ring holds at most 2^24 points (members × vnodes)",
            });
        }
        self.members.push(member);
        self.points.extend(points_of(member, self.vnodes));
        self.reindex();
        Ok(())
    }

    fn boxed(&self) -> Box<dyn Placement> {
        Box::new(self.clone())
    }

    fn leave(&mut self, member: u32) -> Result<(), MembershipError> {
        remove_member(&mut self.members, member)?;
        self.points.retain(|&(_, m)| m != member);
        self.reindex();
        Ok(())
    }
}
