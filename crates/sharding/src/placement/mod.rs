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

    /// A copy, to change without touching this one.
    fn boxed(&self) -> Box<dyn Placement>;
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

/// The placement at every membership epoch of one run, shared by its servers: the
/// configuration history a real store keeps beside its membership service.
///
/// Epoch 0 is built by [`build`] from the members present at the start; each later epoch is
/// the one before it with the change applied ([`Placement::join`] or [`Placement::leave`]), so
/// jump hash and fixed ranges move only the keys they must (building afresh from the new list
/// would renumber jump's slots). Every server places keys over the same epochs, so one copy
/// serves them all: a ring of 1,000 servers × 100 vnodes is 100,000 points (about 2 MiB),
/// which each server building its own would make 2 GiB. It belongs to one run (created where
/// the run builds its nodes, like the observer), never to the process.
#[derive(Debug)]
pub struct PlacementHistory {
    scheme: Scheme,
    /// By epoch; `None` while no server is a member (there is nothing to place keys on).
    epochs: Vec<Option<Arc<dyn Placement>>>,
}

/// The history as a run's nodes share it.
pub type SharedPlacements = Arc<Mutex<PlacementHistory>>;

impl PlacementHistory {
    /// An empty history for one run of `scheme`.
    pub fn new(scheme: Scheme) -> Self {
        PlacementHistory { scheme, epochs: Vec::new() }
    }

    /// A fresh history, shared.
    pub fn shared(scheme: Scheme) -> SharedPlacements {
        Arc::new(Mutex::new(PlacementHistory::new(scheme)))
    }

    /// The placement at `epoch`; `members_at(e)` lists the members at each epoch `e` up to it
    /// (the membership service's history). `None` while nobody is a member. A change that
    /// would leave no member keeps the placement before it.
    pub fn at(
        &mut self,
        epoch: u64,
        members_at: impl Fn(u64) -> Vec<u32>,
    ) -> Option<Arc<dyn Placement>> {
        while self.epochs.len() as u64 <= epoch {
            let e = self.epochs.len() as u64;
            let members = members_at(e);
            let next = match self.epochs.last().cloned().flatten() {
                _ if members.is_empty() => self.epochs.last().cloned().flatten(),
                None => Some(Arc::from(build(&self.scheme, &members).expect("distinct members"))),
                Some(before) => Some(Self::apply(&*before, &members)),
            };
            self.epochs.push(next);
        }
        self.epochs[epoch as usize].clone()
    }

    /// `before` changed to `members`: joins first, then leaves.
    fn apply(before: &dyn Placement, members: &[u32]) -> Arc<dyn Placement> {
        let mut after = before.boxed();
        for &m in members {
            if !after.members().contains(&m) {
                after.join(m).expect("a newcomer joins");
            }
        }
        let leavers: Vec<u32> =
            after.members().iter().copied().filter(|m| !members.contains(m)).collect();
        for m in leavers {
            after.leave(m).expect("a member leaves, others remain");
        }
        Arc::from(after)
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
    fn the_history_applies_each_change_to_the_epoch_before_it() {
        let lists = [vec![1, 2, 3], vec![1, 2, 3, 4], vec![2, 3, 4]];
        for scheme in [Scheme::Jump, Scheme::default(), Scheme::Ranges { ranges: None }] {
            let mut history = PlacementHistory::new(scheme.clone());
            let members_at = |e: u64| lists[e as usize].clone();
            let first = history.at(0, members_at).unwrap();
            let last = history.at(2, members_at).unwrap();
            assert!(Arc::ptr_eq(&first, &history.at(0, members_at).unwrap()), "built once");
            // Built change by change, as the scheme's own join and leave would.
            let mut by_hand = build(&scheme, &[1, 2, 3]).unwrap();
            by_hand.join(4).unwrap();
            by_hand.leave(1).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for key in 0..1000 {
                last.replicas(key, 3, &mut a);
                by_hand.replicas(key, 3, &mut b);
                assert_eq!(a, b, "{} key {key}", scheme.name());
            }
        }
        let mut empty = PlacementHistory::new(Scheme::Jump);
        assert!(empty.at(0, |_| Vec::new()).is_none(), "nobody to place keys on");
    }
}
