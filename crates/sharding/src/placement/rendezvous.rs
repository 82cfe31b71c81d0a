//! Rendezvous hashing, also called highest random weight (Thaler and Ravishankar, "Using
//! Name-Based Mappings to Increase Hit Rates", IEEE/ACM Transactions on Networking, 1998).
//!
//! **Model.** Each member `m` gets a weight for a key, [`hash_pair`]`(`[`key_hash`]`(key), m)`;
//! the key's replicas are the `n` members with the highest weights, highest first. Equal
//! weights (a 64-bit collision) rank the lower member number first, so the answer never
//! depends on member order.
//!
//! **Membership.** Weights do not depend on who else is a member, so a join moves exactly the
//! keys whose highest weight is the newcomer's (1/(n + 1) of them, all to the newcomer) and a
//! leave moves exactly the leaver's keys, each to its own next-highest member, which spreads
//! them evenly over the rest. No state but the member list.
//!
//! **Cost.** Every lookup hashes every member: O(members) per key, about 3 µs per key at 1,000
//! members on the machine `examples/placement_speed.rs` was first run on. That is the scheme's
//! known price for perfect balance and minimal movement with no table; a simulation that
//! places many keys over a large cluster should prefer the ring or jump hash.

use sim_core::config::ConfigError;

use super::{MembershipError, Placement, check_members, remove_member};
use crate::hash::{hash_pair, key_hash};

/// Rendezvous (highest-random-weight) hashing over the members.
#[derive(Clone, Debug)]
pub struct Rendezvous {
    members: Vec<u32>,
}

impl Rendezvous {
    /// Builds the scheme over `members` (none twice).
    pub fn new(members: &[u32]) -> Result<Rendezvous, ConfigError> {
        check_members(members)?;
        Ok(Rendezvous { members: members.to_vec() })
    }
}

/// A member's rank for a key: higher is preferred. The weight decides; on equal weights the
/// lower member number wins (so `!m`, larger for smaller `m`).
fn rank(h: u64, m: u32) -> (u64, u32) {
    (hash_pair(h, u64::from(m)), !m)
}

impl Placement for Rendezvous {
    fn name(&self) -> &'static str {
        "rendezvous"
    }

    fn replicas(&self, key: u64, n: usize, out: &mut Vec<u32>) {
        out.clear();
        let want = n.min(self.members.len());
        if want == 0 {
            return;
        }
        let h = key_hash(key);
        if want == 1 {
            out.push(self.owner(key));
            return;
        }
        // The best `want` ranks so far, best first. Inserting into a short sorted list beats a
        // heap for the usual few replicas; for every member it is one sort.
        let mut top: Vec<(u64, u32)> = Vec::with_capacity(want + 1);
        if want == self.members.len() {
            top.extend(self.members.iter().map(|&m| rank(h, m)));
            top.sort_unstable_by(|a, b| b.cmp(a));
        } else {
            for &m in &self.members {
                let r = rank(h, m);
                if top.len() == want && r <= top[want - 1] {
                    continue;
                }
                let at = top.partition_point(|&t| t > r);
                top.insert(at, r);
                top.truncate(want);
            }
        }
        out.extend(top.iter().map(|&(_, not_m)| !not_m));
    }

    fn owner(&self, key: u64) -> u32 {
        let h = key_hash(key);
        let best = self.members.iter().map(|&m| rank(h, m)).max();
        // `members` is never empty (see `check_members` and `remove_member`).
        !best.expect("a placement has at least one member").1
    }

    fn members(&self) -> &[u32] {
        &self.members
    }

    fn join(&mut self, member: u32) -> Result<(), MembershipError> {
        if self.members.contains(&member) {
            return Err(MembershipError::AlreadyMember(member));
        }
        self.members.push(member);
        Ok(())
    }

    fn boxed(&self) -> Box<dyn Placement> {
        Box::new(self.clone())
    }

    fn leave(&mut self, member: u32) -> Result<(), MembershipError> {
        remove_member(&mut self.members, member)
    }
}
