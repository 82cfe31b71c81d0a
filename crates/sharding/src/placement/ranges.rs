//! Fixed hash ranges: the 64-bit hash space split into `ranges` equal ranges, fixed for the
//! whole run, each assigned to one member (Dynamo's third strategy, "Q/S tokens per node,
//! equal-sized partitions"; Riak's ring of fixed partitions works the same way).
//!
//! **Model.** Range `r` of `R` holds the hash values `h` with `floor(h × R / 2^64) = r`, so
//! ranges differ in size by at most one value. A key's replicas are the distinct owners of its
//! range and of the ranges after it (wrapping), like Dynamo's preference list; if the walk
//! meets fewer members than asked (a member may own no range, below), the missing ones follow
//! in member order.
//!
//! **Default count.** 64 ranges per member at build time (`ranges` unset): enough that
//! handing over whole ranges keeps every member's share within one range, 1/64 ≈ 1.6% of the
//! mean, of equal, and that a cluster can grow several-fold before shares get coarse. A
//! scenario that will grow a lot should set `ranges` for its largest size.
//!
//! **Assignment rules (minimal movement).**
//! - Build: range `r` goes to member `r mod n` of the list given (round-robin), so loads differ
//!   by at most one range and consecutive ranges have different owners.
//! - Join: the newcomer takes its equal share, `floor(R / (n + 1))` ranges, one at a time, each
//!   from the member that holds the most ranges at that moment (the lowest node number among
//!   equals), which gives up its highest-numbered range. Only those ranges move, all to the
//!   newcomer: 1/(n + 1) of the space, within 1/R. Loads stay within one range of each other.
//! - Leave: the leaver's ranges, lowest-numbered first, each go to the member that holds the
//!   fewest ranges at that moment (the lowest node number among equals). Only the leaver's
//!   ranges move, spread evenly over the rest.
//!
//! A member can own no range: when it joins with fewer than `n + 1` ranges in all, its share is
//! zero. It is still a member and still appears in replica lists past the range walk.

use std::collections::BTreeMap;

use sim_core::config::ConfigError;

use super::{Distinct, MembershipError, Placement, check_members, remove_member};
use crate::hash::key_hash;

/// The range count when the scenario does not give one: 64 per member, at most
/// [`super::MAX_RANGES`].
pub fn default_count(members: usize) -> u32 {
    let want = members.saturating_mul(super::DEFAULT_RANGES_PER_MEMBER as usize);
    want.min(super::MAX_RANGES as usize) as u32
}

/// Fixed equal hash ranges, each owned by one member.
#[derive(Clone, Debug)]
pub struct Ranges {
    /// Range `r`'s owner at index `r`.
    owners: Vec<u32>,
    members: Vec<u32>,
}

impl Ranges {
    /// Builds `ranges` equal ranges (1..=1048576, at least one per member) over `members`
    /// (none twice), dealt round-robin in the order given.
    pub fn new(members: &[u32], ranges: u32) -> Result<Ranges, ConfigError> {
        check_members(members)?;
        if !(1..=super::MAX_RANGES).contains(&ranges) {
            return Err(ConfigError::out_of_range("sharding.ranges", ranges, "1..=1048576"));
        }
        if (ranges as usize) < members.len() {
            return Err(ConfigError::invalid(
                "sharding.ranges",
                format!(
                    "{ranges} ranges for {} members would leave some with none: give at least \
                     one range per member",
                    members.len()
                ),
            ));
        }
        let owners = (0..ranges as usize).map(|r| members[r % members.len()]).collect();
        Ok(Ranges { owners, members: members.to_vec() })
    }

    /// The range count, fixed for the placement's life.
    pub fn count(&self) -> u32 {
        self.owners.len() as u32
    }

    /// Each range's owner, range `r` at index `r`.
    pub fn owners(&self) -> &[u32] {
        &self.owners
    }

    /// The range holding hash value `h`: `floor(h × R / 2^64)`.
    pub fn range_of(&self, h: u64) -> usize {
        ((u128::from(h) * self.owners.len() as u128) >> 64) as usize
    }

    /// The ranges each member holds, ascending, every member listed (empty for a member with
    /// none). During a leave the leaver is no longer a member, so its ranges are left out.
    fn holdings(&self) -> BTreeMap<u32, Vec<u32>> {
        let mut held: BTreeMap<u32, Vec<u32>> =
            self.members.iter().map(|&m| (m, Vec::new())).collect();
        for (r, m) in self.owners.iter().enumerate() {
            if let Some(list) = held.get_mut(m) {
                list.push(r as u32);
            }
        }
        held
    }
}

impl Placement for Ranges {
    fn name(&self) -> &'static str {
        "ranges"
    }

    fn replicas(&self, key: u64, n: usize, out: &mut Vec<u32>) {
        out.clear();
        let want = n.min(self.members.len());
        if want == 0 {
            return;
        }
        let start = self.range_of(key_hash(key));
        let mut distinct = Distinct::new(want);
        let count = self.owners.len();
        for step in 0..count {
            distinct.push(out, self.owners[(start + step) % count]);
            if out.len() == want {
                return;
            }
        }
        // Members that own no range: only after every owner, in member order.
        for &m in &self.members {
            distinct.push(out, m);
            if out.len() == want {
                return;
            }
        }
    }

    fn owner(&self, key: u64) -> u32 {
        self.owners[self.range_of(key_hash(key))]
    }

    fn members(&self) -> &[u32] {
        &self.members
    }

    fn join(&mut self, member: u32) -> Result<(), MembershipError> {
        if self.members.contains(&member) {
            return Err(MembershipError::AlreadyMember(member));
        }
        let share = self.owners.len() / (self.members.len() + 1);
        let mut held = self.holdings();
        for _ in 0..share {
            // The most loaded member, the lowest node number among equals (`max_by_key` keeps
            // the last maximum, so the number is compared reversed).
            let (_, list) = held
                .iter_mut()
                .max_by_key(|(m, list)| (list.len(), std::cmp::Reverse(**m)))
                .expect("a placement has at least one member");
            let r = list.pop().expect("the most loaded member holds a range");
            self.owners[r as usize] = member;
        }
        self.members.push(member);
        Ok(())
    }

    fn boxed(&self) -> Box<dyn Placement> {
        Box::new(self.clone())
    }

    fn leave(&mut self, member: u32) -> Result<(), MembershipError> {
        remove_member(&mut self.members, member)?;
        let mut held = self.holdings();
        for r in 0..self.owners.len() {
            if self.owners[r] != member {
                continue;
            }
            let (&heir, list) = held
                .iter_mut()
                .min_by_key(|(m, list)| (list.len(), **m))
                .expect("a member is left after a leave");
            list.push(r as u32);
            self.owners[r] = heir;
        }
        Ok(())
    }
}
