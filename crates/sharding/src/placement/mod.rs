//! Key placement: which members (servers, named by node number) hold a key's replicas, behind
//! one trait, [`Placement`], with four schemes chosen per scenario by name ([`Scheme`]):
//!
//! | scheme | where | cost of one lookup | a join moves | a leave moves |
//! |---|---|---|---|---|
//! | `"ring"` | [`ring`]: Karger et al. 1997, `vnodes` points per member | O(log(members × vnodes)) | keys to the newcomer only | the leaver's keys only |
//! | `"jump"` | [`jump`]: Lamping and Veach 2014 | O(log members) expected | keys to the newcomer only | the leaver's keys only (see the module for how) |
//! | `"rendezvous"` | [`rendezvous`]: Thaler and Ravishankar 1998 | O(members) | keys to the newcomer only | the leaver's keys only |
//! | `"ranges"` | [`ranges`]: fixed equal hash ranges assigned to members | O(1) | ranges to the newcomer only | the leaver's ranges only |
//!
//! **The contract every scheme keeps.** `replicas(key, n, out)` fills `out` with
//! `min(n, members)` distinct members; the first is the key's owner ([`Placement::owner`]);
//! `replicas(key, n)` is a prefix of `replicas(key, n + 1)` (a key's preference list, as Dynamo
//! calls it, only grows at its end); and the answer depends only on the scheme, the member
//! list given to [`build`] and the joins and leaves applied since, in order, never on the
//! process, the platform or the run. Every scheme hashes with [`crate::hash`] alone and
//! decides with integer arithmetic alone: no floating point is on any placement path.
//!
//! **History matters for two schemes.** The ring and rendezvous hashing depend only on the
//! current member set. Jump hash (which numbers members by slot) and fixed ranges (which hand
//! ranges over one at a time) depend on the order of joins and leaves too: that is the price
//! of moving only the keys that must move. Two placements built from the same list and given
//! the same membership events agree exactly.

pub mod jump;
pub mod ranges;
pub mod rendezvous;
pub mod ring;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sim_core::config::ConfigError;

pub use jump::Jump;
pub use ranges::Ranges;
pub use rendezvous::Rendezvous;
pub use ring::Ring;

/// Where a key's replicas live: one partitioning scheme over the current members.
///
/// Members are node numbers (`u32`). A placement never holds zero members: [`build`] refuses
/// an empty list and [`Placement::leave`] refuses to remove the last one.
pub trait Placement: Send + Sync + fmt::Debug {
    /// The scheme's name as scenario files spell it: one of [`Scheme::NAMES`].
    fn name(&self) -> &'static str;

    /// Clears `out`, then fills it with the key's first `min(n, members)` replicas, distinct
    /// members in preference order: `out[0]` is the owner, and the list for `n` is a prefix of
    /// the list for `n + 1`. With `n` at least the member count, every member is listed.
    /// `out` is the caller's so that placing many keys reuses one allocation.
    fn replicas(&self, key: u64, n: usize, out: &mut Vec<u32>);

    /// The key's owner, its first replica. Every scheme answers this without building a list.
    fn owner(&self, key: u64) -> u32 {
        let mut out = Vec::with_capacity(1);
        self.replicas(key, 1, &mut out);
        out[0]
    }

    /// The current members: those given to [`build`] in their order, then each joined member
    /// in the order it joined, less those that left.
    fn members(&self) -> &[u32];

    /// Adds `member`, moving only keys that the newcomer now holds (see each scheme's module
    /// for which, and how many).
    fn join(&mut self, member: u32) -> Result<(), MembershipError>;

    /// Removes `member`, moving only keys that it held (see each scheme's module for where
    /// they go).
    fn leave(&mut self, member: u32) -> Result<(), MembershipError>;
}

/// A membership change that cannot be applied. The placement is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// The node joining is a member already.
    #[error("node {0} is already a member")]
    AlreadyMember(u32),
    /// The node leaving is not a member.
    #[error("node {0} is not a member")]
    NotMember(u32),
    /// The node leaving is the only member left; a placement needs at least one.
    #[error("node {0} is the last member: a placement needs at least one")]
    LastMember(u32),
    /// The scheme has no room for another member.
    #[error("node {member} cannot join: {limit}")]
    Full {
        /// The node that tried to join.
        member: u32,
        /// The limit it met, in words.
        limit: &'static str,
    },
}

/// Virtual nodes per member when `[sharding]` does not say.
pub const DEFAULT_VNODES: u32 = 100;
/// The most virtual nodes per member a scenario may ask for.
pub const MAX_VNODES: u32 = 100_000;
/// Fixed ranges per member at build time when `[sharding]` does not give `ranges`.
pub const DEFAULT_RANGES_PER_MEMBER: u32 = 64;
/// The most fixed ranges a scenario may ask for (2^20: 4 MiB of range table).
pub const MAX_RANGES: u32 = 1 << 20;

/// A partitioning scheme as a scenario file names it: `scheme = "ring"` (with `vnodes`),
/// `"jump"`, `"rendezvous"` or `"ranges"` (with `ranges`). Unknown keys, and a key that belongs
/// to another scheme (`vnodes` with `"jump"`), are rejected; [`Scheme::validate`] checks the
/// numbers, and [`build`] calls it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SchemeTable", into = "SchemeTable")]
pub enum Scheme {
    /// Consistent-hash ring with virtual nodes ([`ring`]).
    Ring {
        /// Points on the ring per member; default 100, 1..=100000. A member's share of the
        /// keys varies by about 1/sqrt(vnodes) of the mean (10% at 100).
        vnodes: u32,
    },
    /// Jump consistent hash ([`jump`]).
    Jump,
    /// Rendezvous (highest-random-weight) hashing ([`rendezvous`]).
    Rendezvous,
    /// Fixed equal hash ranges assigned to members ([`ranges`]).
    Ranges {
        /// How many equal ranges split the hash space, fixed for the whole run; default (`None`)
        /// 64 per member at build time; 1..=1048576 and at least the member count at build.
        ranges: Option<u32>,
    },
}

/// A scheme's name, the `scheme` key.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SchemeName {
    Ring,
    Jump,
    Rendezvous,
    Ranges,
}

/// The table as written: flat, so that it reads `scheme = "ring"` and `vnodes = 100` side by
/// side. (Serde's internally tagged enums accept stray keys on a variant without fields, so
/// `scheme = "jump"` with `vnodes` would pass silently; this form rejects it by name.)
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeTable {
    scheme: SchemeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vnodes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ranges: Option<u32>,
}

impl TryFrom<SchemeTable> for Scheme {
    type Error = String;

    fn try_from(t: SchemeTable) -> Result<Scheme, String> {
        let only =
            |key: &str, scheme: &str| format!("`{key}` applies to scheme = \"{scheme}\" only");
        match t.scheme {
            SchemeName::Ring if t.ranges.is_some() => Err(only("ranges", "ranges")),
            SchemeName::Ring => Ok(Scheme::Ring { vnodes: t.vnodes.unwrap_or(DEFAULT_VNODES) }),
            _ if t.vnodes.is_some() => Err(only("vnodes", "ring")),
            SchemeName::Ranges => Ok(Scheme::Ranges { ranges: t.ranges }),
            _ if t.ranges.is_some() => Err(only("ranges", "ranges")),
            SchemeName::Jump => Ok(Scheme::Jump),
            SchemeName::Rendezvous => Ok(Scheme::Rendezvous),
        }
    }
}

impl From<Scheme> for SchemeTable {
    fn from(s: Scheme) -> SchemeTable {
        let (scheme, vnodes, ranges) = match s {
            Scheme::Ring { vnodes } => (SchemeName::Ring, Some(vnodes), None),
            Scheme::Jump => (SchemeName::Jump, None, None),
            Scheme::Rendezvous => (SchemeName::Rendezvous, None, None),
            Scheme::Ranges { ranges } => (SchemeName::Ranges, None, ranges),
        };
        SchemeTable { scheme, vnodes, ranges }
    }
}

impl Default for Scheme {
    /// The ring with 100 virtual nodes per member, as Dynamo started out.
    fn default() -> Self {
        Scheme::Ring { vnodes: DEFAULT_VNODES }
    }
}

impl Scheme {
    /// Every scheme, as scenario files name them (and as [`Placement::name`] reports them).
    pub const NAMES: [&'static str; 4] = ["ring", "jump", "rendezvous", "ranges"];

    /// This scheme's name: one of [`Scheme::NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Ring { .. } => Self::NAMES[0],
            Scheme::Jump => Self::NAMES[1],
            Scheme::Rendezvous => Self::NAMES[2],
            Scheme::Ranges { .. } => Self::NAMES[3],
        }
    }

    /// Checks the numbers that do not depend on the members; errors name the dotted key as a
    /// scenario file spells it (`sharding.vnodes`, `sharding.ranges`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            Scheme::Ring { vnodes } if !(1..=MAX_VNODES).contains(&vnodes) => {
                Err(ConfigError::out_of_range("sharding.vnodes", vnodes, "1..=100000"))
            }
            Scheme::Ranges { ranges: Some(r) } if !(1..=MAX_RANGES).contains(&r) => {
                Err(ConfigError::out_of_range("sharding.ranges", r, "1..=1048576"))
            }
            _ => Ok(()),
        }
    }
}

/// Builds the scheme over `members` (node numbers; the order matters for `"jump"`, whose
/// buckets are the members in this order, and for `"ranges"`, which deals ranges round-robin
/// in this order). Fails on a scheme that [`Scheme::validate`] rejects, an empty or repeated
/// member, a ring of more than [`ring::MAX_POINTS`] points, or fewer ranges than members.
pub fn build(scheme: &Scheme, members: &[u32]) -> Result<Box<dyn Placement>, ConfigError> {
    scheme.validate()?;
    Ok(match *scheme {
        Scheme::Ring { vnodes } => Box::new(Ring::new(members, vnodes)?),
        Scheme::Jump => Box::new(Jump::new(members)?),
        Scheme::Rendezvous => Box::new(Rendezvous::new(members)?),
        Scheme::Ranges { ranges } => {
            let ranges = ranges.unwrap_or_else(|| ranges::default_count(members.len()));
            Box::new(Ranges::new(members, ranges)?)
        }
    })
}

/// The placements one run's servers share, keyed by the scheme and the member list they were
/// built from. Every server places keys over the same members, and a placement is a pure
/// function of the scheme and the list ([`build`]), so one copy serves them all: a ring of
/// 1,000 servers × 100 vnodes is 100,000 points (about 2 MiB), which each server building its
/// own would make 2 GiB and 1,000 builds at every membership change. The cache keeps the last
/// list only (servers ask one after another for the same list when membership changes); a
/// miss builds afresh, so what a server gets never depends on the cache. It belongs to one
/// run (created where the run builds its nodes, like the observer), never to the process.
#[derive(Debug, Default)]
pub struct PlacementCache {
    last: Option<(Scheme, Vec<u32>, Arc<dyn Placement>)>,
}

/// The cache as a run's nodes share it.
pub type SharedPlacements = Arc<Mutex<PlacementCache>>;

impl PlacementCache {
    /// A fresh cache for one run.
    pub fn shared() -> SharedPlacements {
        Arc::new(Mutex::new(PlacementCache::default()))
    }

    /// The scheme over `members`, built by [`build`] unless the last call asked for the same.
    pub fn get(
        &mut self,
        scheme: &Scheme,
        members: &[u32],
    ) -> Result<Arc<dyn Placement>, ConfigError> {
        if let Some((s, m, p)) = &self.last
            && s == scheme
            && m == members
        {
            return Ok(p.clone());
        }
        let placement: Arc<dyn Placement> = Arc::from(build(scheme, members)?);
        self.last = Some((scheme.clone(), members.to_vec(), placement.clone()));
        Ok(placement)
    }
}

/// Checks a member list given to a constructor: at least one member, none twice. The members'
/// count comes from the scenario's `nodes`, so the error names that key.
pub(crate) fn check_members(members: &[u32]) -> Result<(), ConfigError> {
    if members.is_empty() {
        return Err(ConfigError::invalid("nodes", "key placement needs at least one member"));
    }
    let mut seen = BTreeSet::new();
    for &m in members {
        if !seen.insert(m) {
            return Err(ConfigError::invalid("nodes", format!("node {m} is listed twice")));
        }
    }
    Ok(())
}

/// How many replicas a walk collects before [`Distinct`] switches from scanning the list to a
/// set: scanning a short list is faster than any set.
const LINEAR_MAX: usize = 16;

/// Appends members to a replica list, skipping those already in it: a linear scan for the
/// usual few replicas, a `BTreeSet` when a caller asks for many (every member, say), so that a
/// walk over 1,000 members stays O(members × log members) instead of quadratic.
pub(crate) struct Distinct {
    large: Option<BTreeSet<u32>>,
}

impl Distinct {
    /// A tracker for a walk that will collect `want` members.
    pub(crate) fn new(want: usize) -> Self {
        Distinct { large: (want > LINEAR_MAX).then(BTreeSet::new) }
    }

    /// Pushes `m` onto `out` unless it is there already.
    pub(crate) fn push(&mut self, out: &mut Vec<u32>, m: u32) {
        let fresh = match &mut self.large {
            Some(set) => set.insert(m),
            None => !out.contains(&m),
        };
        if fresh {
            out.push(m);
        }
    }
}

/// Removes `member` from a member list, keeping the others' order.
pub(crate) fn remove_member(members: &mut Vec<u32>, member: u32) -> Result<(), MembershipError> {
    let Some(i) = members.iter().position(|&m| m == member) else {
        return Err(MembershipError::NotMember(member));
    };
    if members.len() == 1 {
        return Err(MembershipError::LastMember(member));
    }
    members.remove(i);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_shares_one_placement_per_member_list_and_agrees_with_build() {
        let scheme = Scheme::default();
        let mut cache = PlacementCache::default();
        let a = cache.get(&scheme, &[1, 2, 3]).unwrap();
        let b = cache.get(&scheme, &[1, 2, 3]).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the same list is built once");
        let c = cache.get(&scheme, &[1, 2, 3, 4]).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        let built = build(&scheme, &[1, 2, 3, 4]).unwrap();
        let (mut from_cache, mut fresh) = (Vec::new(), Vec::new());
        for key in 0..1000 {
            c.replicas(key, 3, &mut from_cache);
            built.replicas(key, 3, &mut fresh);
            assert_eq!(from_cache, fresh, "key {key}");
        }
        assert!(cache.get(&scheme, &[]).is_err(), "an empty list is refused as build refuses it");
    }
}
