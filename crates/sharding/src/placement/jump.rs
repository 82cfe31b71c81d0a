//! Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash
//! Algorithm", 2014), extended to replicas and to members leaving from anywhere.
//!
//! **The published algorithm** ([`jump_hash`]) maps a 64-bit key to one bucket in
//! `0..buckets`; growing `buckets` to `buckets + 1` moves exactly the keys that now land in the
//! new last bucket (1/(buckets + 1) of them) and no others. It picks one bucket only, and the
//! only removal it supports is of the last bucket (shrinking the count): removing bucket 3 of
//! 10 would renumber buckets 4..9 and move most keys. Both limits are the paper's own.
//!
//! **Slots.** Members are the buckets in join order: [`Jump::new`] gives the members given to
//! it slots `0..n` in order. A member that leaves from the last slot pops it (the paper's own
//! removal). A member that leaves from any other slot leaves it *vacant*: the bucket count
//! stays, and a key whose bucket is vacant is remapped as below. A joining member takes the
//! lowest vacant slot if there is one, else a new slot at the end. Vacant slots left at the end
//! after a pop are kept, not popped: popping one would change the bucket count and move keys
//! between members that stayed. The slot count is thus the most members ever present at once.
//!
//! **A key's candidates, replicas and remapping (our extension).** Let `h = key_hash(key)`.
//! The key's candidate slots are `c₀ = jump_hash(h, slots)` and, for `i ≥ 1`,
//! `cᵢ = jump_hash(hash_pair(h, i), slots)`: independent, each uniform over the slots. The
//! replicas are the members in the candidate slots, in order, skipping vacant slots and
//! members already chosen; the owner is the first member met. Every candidate is a jump hash
//! of a fixed input, so:
//! - a join into a new last slot changes a candidate only to that slot, and a join into a
//!   vacant slot only fills a skipped candidate: keys move only to the newcomer, 1/(n + 1) of
//!   them with `n` members before;
//! - a leave (pop or vacate) changes only candidates that named the leaver's slot: only the
//!   leaver's keys move, each to its next candidate, which is uniform over the members left.
//!
//! **Bound.** A walk draws at most `8 × slots + 64` candidates; if it has not found `n`
//! members by then, the rest are taken in slot order. Listing every one of `s` members takes
//! `s × H(s)` draws on average (the coupon collector: 7,485 for 1,000 members, under the bound
//! of 8,064), a few replicas take a few draws, so only a request for nearly every member
//! reaches the bound, and the answer stays deterministic either way.
//!
//! **No floating point.** The paper computes the next jump as `(b + 1) × (2^31 / ((k >> 33) +
//! 1))` in double precision. [`jump_hash`] computes the exact value `floor((b + 1) × 2^31 /
//! ((k >> 33) + 1))` in 64-bit integers instead. The two can differ only where the exact value
//! is within a double's rounding error of an integer, which needs a small divisor, about one
//! step in 2^31; the integer form is exact on every platform. The tests check the published
//! vectors and agreement with a transcription of the paper's code on a million (key, bucket
//! count) pairs.

use sim_core::config::ConfigError;

use super::{Distinct, MembershipError, Placement, check_members};
use crate::hash::{hash_pair, key_hash};

/// Jump consistent hash: the bucket in `0..buckets` for `key` (Lamping and Veach's `ch`, with
/// its jump computed exactly in integers; see the module doc). `buckets` must be at least 1.
///
/// The key should be well mixed already (the paper's generator is a 64-bit linear
/// congruential step); placement passes [`key_hash`] of the key.
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    assert!(buckets > 0, "jump_hash needs at least one bucket");
    let buckets = u64::from(buckets);
    let mut b = 0u64;
    let mut j = 0u64;
    while j < buckets {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // b + 1 ≤ 2^32, so (b + 1) << 31 ≤ 2^63 fits; the divisor is at least 1.
        j = ((b + 1) << 31) / ((key >> 33) + 1);
    }
    b as u32
}

/// Jump consistent hash over slots that members fill in join order (see the module doc).
#[derive(Clone, Debug)]
pub struct Jump {
    /// Bucket `i` is slot `i`: its member, or `None` while vacant.
    slots: Vec<Option<u32>>,
    members: Vec<u32>,
}

impl Jump {
    /// Builds the scheme over `members` (none twice): member `i` of the list is bucket `i`.
    pub fn new(members: &[u32]) -> Result<Jump, ConfigError> {
        check_members(members)?;
        Ok(Jump { slots: members.iter().map(|&m| Some(m)).collect(), members: members.to_vec() })
    }

    /// The slots, bucket `i` at index `i`: a member, or `None` while vacant.
    pub fn slots(&self) -> &[Option<u32>] {
        &self.slots
    }

    /// The key's `i`-th candidate slot.
    fn candidate(&self, h: u64, i: u64) -> usize {
        let input = if i == 0 { h } else { hash_pair(h, i) };
        // `slots` never exceeds u32::MAX entries: `join` refuses a member past that.
        jump_hash(input, self.slots.len() as u32) as usize
    }

    /// How many candidates a walk draws before it falls back to slot order.
    fn probe_bound(&self) -> u64 {
        8 * self.slots.len() as u64 + 64
    }
}

impl Placement for Jump {
    fn name(&self) -> &'static str {
        "jump"
    }

    fn replicas(&self, key: u64, n: usize, out: &mut Vec<u32>) {
        out.clear();
        let want = n.min(self.members.len());
        if want == 0 {
            return;
        }
        let h = key_hash(key);
        let mut distinct = Distinct::new(want);
        for i in 0..self.probe_bound() {
            if let Some(m) = self.slots[self.candidate(h, i)] {
                distinct.push(out, m);
                if out.len() == want {
                    return;
                }
            }
        }
        for m in self.slots.iter().flatten() {
            distinct.push(out, *m);
            if out.len() == want {
                return;
            }
        }
    }

    fn owner(&self, key: u64) -> u32 {
        let h = key_hash(key);
        (0..self.probe_bound())
            .find_map(|i| self.slots[self.candidate(h, i)])
            .or_else(|| self.slots.iter().flatten().next().copied())
            .expect("a placement has at least one member")
    }

    fn members(&self) -> &[u32] {
        &self.members
    }

    fn join(&mut self, member: u32) -> Result<(), MembershipError> {
        if self.members.contains(&member) {
            return Err(MembershipError::AlreadyMember(member));
        }
        match self.slots.iter().position(Option::is_none) {
            Some(vacant) => self.slots[vacant] = Some(member),
            None if self.slots.len() >= u32::MAX as usize => {
                return Err(MembershipError::Full {
                    member,
                    limit: "jump hash has 2^32 − 1 slots",
                });
            }
            None => self.slots.push(Some(member)),
        }
        self.members.push(member);
        Ok(())
    }

    fn boxed(&self) -> Box<dyn Placement> {
        Box::new(self.clone())
    }

    fn leave(&mut self, member: u32) -> Result<(), MembershipError> {
        super::remove_member(&mut self.members, member)?;
        let slot = self.slots.iter().position(|&s| s == Some(member)).expect("a member has a slot");
        if slot + 1 == self.slots.len() {
            self.slots.pop();
        } else {
            self.slots[slot] = None;
        }
        Ok(())
    }
}
