//! Rebalancing: which placements a server's operations must reach quorums in while the
//! membership changes, and when a change has been fully absorbed.
//!
//! The membership service numbers its changes (epochs; `Context::membership_epoch`). A change
//! from epoch j − 1 to j moves some keys to new replicas. Until their data has arrived, the old
//! replicas are the only ones that hold it, so every operation reaches a quorum in *every*
//! placement from the last settled epoch to the current one (the old and the new quorums
//! intersect any quorum a completed operation used, as a move needs). Each server migrates the
//! keys it holds whose replicas changed: a migration is an ABD read with write-back over those
//! placements, with the server's own copy among the answers, so the newest version a quorum of
//! the old placement held reaches a quorum of the new one. When it has migrated every such key
//! it reports the epoch to every server; epoch j is *settled* once every server that was a
//! member at j − 1 and is still present has reported it. Epochs settle in order, and a server
//! starts migrating epoch j only once j − 1 is settled (everything it must copy is then on a
//! quorum of j − 1's placement). Once the current epoch is settled, operations use its
//! placement alone and servers drop the copies it no longer gives them.
//!
//! Reports are gossiped: a server that has not settled the current epoch sends its progress to
//! every present server each `rebalance_interval`, and each answers with its own, so lost
//! messages and restarts cost time, not progress. Progress is kept on disk.

use std::collections::BTreeMap;
use std::sync::Arc;

use sim_core::{Context, NodeId, Storage};

use crate::node::ShardNode;
use crate::placement::{Placement, SharedPlacements};

/// A server's view of the membership's epochs and of how far their moves have got.
pub struct Epochs {
    /// The newest epoch this server knows of (the membership's now, unless its view lags).
    pub current: u64,
    /// Every epoch up to this one has settled: its moved keys are on its new replicas.
    pub settled: u64,
    /// This server has migrated every epoch up to this one.
    pub migrated: u64,
    /// What each other server reported it has migrated.
    reported: BTreeMap<NodeId, u64>,
    /// The placements of epochs `settled..=current`, in order (`None`: nobody was a member).
    placements: Vec<Option<Arc<dyn Placement>>>,
    /// For each of those epochs, the servers that joined after it (up to `current`): a join
    /// starts a server afresh, so such a server holds nothing its placement gave it then.
    joined_since: Vec<Vec<u32>>,
}

/// Where a server keeps its progress, so that a restart does not redo or forget it.
const SETTLED: &str = "rebalance/settled";
const MIGRATED: &str = "rebalance/migrated";

fn load(storage: &Storage, key: &str) -> u64 {
    storage.get(key).ok().flatten().and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
}

impl Epochs {
    /// A server's view as it starts: its progress from disk, the epoch from the membership.
    pub fn start(ctx: &mut Context<'_, ShardNode>, history: &SharedPlacements) -> Epochs {
        let current = ctx.membership_epoch();
        let settled = load(ctx.storage(), SETTLED).min(current);
        let migrated = load(ctx.storage(), MIGRATED).min(current);
        let mut epochs = Epochs {
            current,
            settled,
            migrated,
            reported: BTreeMap::new(),
            placements: vec![],
            joined_since: vec![],
        };
        epochs.refresh(ctx, history);
        epochs
    }

    /// This server has learned of the membership's epoch `epoch` (at once, or `view_lag`
    /// after the change: its view may be stale, never ahead).
    pub fn learn(&mut self, epoch: u64) {
        self.current = self.current.max(epoch);
    }

    /// The view changed (or progress did): the placements from the settled epoch on.
    pub fn refresh(&mut self, ctx: &mut Context<'_, ShardNode>, history: &SharedPlacements) {
        let members_at = |e: u64| -> Vec<u32> {
            ctx.members_at(e).unwrap_or_default().iter().map(|id| id.0).collect()
        };
        // A server that is a member at j but was not at j - 1 joined at j, with empty storage
        // (it can only have been absent before: a leaving server cannot rejoin).
        self.joined_since = (self.settled..=self.current)
            .map(|e| {
                let mut joined: Vec<u32> = Vec::new();
                for j in e + 1..=self.current {
                    let before = members_at(j - 1);
                    joined.extend(members_at(j).into_iter().filter(|m| !before.contains(m)));
                }
                joined
            })
            .collect();
        let mut history = history.lock().expect("placements");
        self.placements =
            (self.settled..=self.current).map(|e| history.at(e, members_at)).collect();
    }

    /// The placements an operation must reach quorums in, oldest first, each with the servers
    /// that joined since its epoch: the same ids, but new servers that lost what that
    /// placement's replicas held, so they must not count toward its quorum.
    pub fn placements_and_joined(&self) -> impl Iterator<Item = (&Arc<dyn Placement>, &[u32])> {
        (self.placements.iter().zip(&self.joined_since))
            .filter_map(|(p, j)| p.as_ref().map(|p| (p, j.as_slice())))
    }

    /// The placements an operation must reach quorums in, oldest first: one once the current
    /// epoch has settled.
    pub fn placements(&self) -> impl Iterator<Item = &Arc<dyn Placement>> {
        self.placements.iter().flatten()
    }

    /// The current epoch's placement (`None` while nobody is a member).
    pub fn newest(&self) -> Option<&Arc<dyn Placement>> {
        self.placements.last().and_then(Option::as_ref)
    }

    /// Whether every move has been absorbed: operations use the current placement alone.
    pub fn is_settled(&self) -> bool {
        self.settled == self.current
    }

    /// A server reported its progress (`migrated`; `settled`, which it has seen).
    pub fn heard(&mut self, from: NodeId, migrated: u64, settled: u64) -> bool {
        let r = self.reported.entry(from).or_insert(0);
        *r = (*r).max(migrated);
        if settled > self.settled && settled <= self.current {
            self.settled = settled;
            self.skip_settled();
            return true;
        }
        false
    }

    /// An epoch that settled without this server (it was not a member before it) needs no
    /// migration from it.
    fn skip_settled(&mut self) {
        self.migrated = self.migrated.max(self.settled);
    }

    /// Settles every epoch it can (each in order: every present member of the epoch before it
    /// has migrated it); true if `settled` moved. `me` is this server.
    pub fn settle(&mut self, ctx: &Context<'_, ShardNode>, me: NodeId) -> bool {
        let before = self.settled;
        while self.settled < self.current {
            let j = self.settled + 1;
            // The members of j - 1's placement: the membership's list, or, when the membership
            // was empty then, the last servers that held keys (the placement kept them).
            // Nobody was a member before j: nothing to move, nobody to wait for.
            let before_j = self.at(j - 1).map(|p| p.members().to_vec()).unwrap_or_default();
            let done =
                before_j.iter().map(|&m| NodeId(m)).filter(|&m| ctx.is_present(m)).all(|m| {
                    let migrated = if m == me {
                        self.migrated
                    } else {
                        self.reported.get(&m).copied().unwrap_or(0)
                    };
                    migrated >= j
                });
            if !done {
                break;
            }
            self.settled = j;
        }
        self.skip_settled();
        self.settled != before
    }

    /// Everything up to the current epoch is treated as settled at once (the
    /// `switch-before-copy` bug: ownership moves before the data arrives).
    pub fn settle_at_once(&mut self) {
        self.settled = self.current;
        self.skip_settled();
        self.placements.drain(..self.placements.len().saturating_sub(1));
        self.joined_since.drain(..self.joined_since.len().saturating_sub(1));
    }

    /// The epoch this server may migrate next: the one after its last, once the epoch before
    /// that has settled.
    pub fn next_to_migrate(&self) -> Option<u64> {
        let j = self.migrated + 1;
        (j <= self.current && self.settled + 1 >= j).then_some(j)
    }

    /// Keeps the progress on disk.
    pub fn save(&self, storage: &mut Storage) {
        storage.put(SETTLED, self.settled.to_le_bytes().to_vec());
        storage.put(MIGRATED, self.migrated.to_le_bytes().to_vec());
        storage.sync();
    }

    /// The placement at `epoch`, if it is one this view holds and somebody was a member then.
    pub fn at(&self, epoch: u64) -> Option<&Arc<dyn Placement>> {
        let i = epoch.checked_sub(self.settled)?;
        self.placements.get(usize::try_from(i).ok()?)?.as_ref()
    }
}
