//! Repair: the mechanisms that bring a key's replicas back together after faults kept some of
//! them from a write (read repair, the third, is part of a read: see [`crate::server`]).
//!
//! **Hinted handoff.** Under a sloppy quorum a coordinator whose write replicas stay silent
//! asks the next servers of the key's preference list to stand in (DeCandia et al., "Dynamo",
//! 2007, section 4.6). A stand-in keeps the write as a hint for the replica it was meant for,
//! durably and apart from its own copies (readers never see it), acknowledges it toward W, and
//! every `request_timeout / 5` hands its hints back: to the intended replica, or to the key's
//! current replicas if that one is no longer one. A hint is dropped only when a replica says it
//! kept exactly it.
//!
//! **Anti-entropy.** Every `anti_entropy` interval a server sends one other present server
//! (each in turn) its copies of the keys that server is also a replica of; the receiver keeps
//! what is newer and answers with its own copies of the keys the sender replicates. Dynamo
//! compares Merkle trees to send only what differs; sending the copies themselves costs more
//! bytes and the same number of messages, and a simulation does not pay for bytes.

use sim_core::NodeId;

use crate::config::Bug;
use crate::message::Msg;
use crate::node::Timer;
use crate::server::{Ctx, Server};
use crate::store::{self, keys_on};
use crate::version::Siblings;

impl Server {
    /// Arms the repair timers a (re)started server needs: the handoff if its disk holds hints,
    /// anti-entropy if it is on.
    pub(crate) fn start_repairs(&mut self, ctx: Ctx) {
        if !store::hints_on(ctx.storage()).is_empty() {
            self.arm_handoff(ctx);
        }
        if let Some(every) = self.config.anti_entropy {
            ctx.set_timer(every, Timer::AntiEntropy);
        }
    }

    fn arm_handoff(&mut self, ctx: Ctx) {
        if !self.handing_off {
            self.handing_off = true;
            ctx.set_timer(self.config.hint_interval(), Timer::Handoff);
        }
    }

    /// A coordinator asks this server to stand in for `intended`: keep the write as a hint
    /// and acknowledge it.
    pub(crate) fn on_hint(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        op: u64,
        key: u64,
        intended: NodeId,
        versions: &Siblings,
    ) {
        store::keep_hint(ctx.storage(), intended, key, versions);
        ctx.metrics().count("sharding.hints_stored", 1);
        ctx.send(from, Msg::PutAck { op });
        self.arm_handoff(ctx);
    }

    /// The handoff timer: every hint goes to its replica again, until a replica has kept it.
    /// (`hint-never-delivered` keeps them all.)
    pub fn hand_off(&mut self, ctx: Ctx) {
        self.handing_off = false;
        if self.config.bug == Some(Bug::HintNeverDelivered) {
            return;
        }
        let hints = store::hints_on(ctx.storage());
        if hints.is_empty() {
            return;
        }
        let Some(newest) = self.epochs.as_ref().and_then(|e| e.newest().cloned()) else { return };
        let mut replicas = Vec::new();
        for (intended, key, versions) in hints {
            newest.replicas(key, self.config.replicas as usize, &mut replicas);
            let to: Vec<NodeId> = if replicas.contains(&intended.0) && ctx.is_present(intended) {
                vec![intended]
            } else {
                replicas.iter().map(|&r| NodeId(r)).filter(|&r| r != self.id).collect()
            };
            for r in to {
                ctx.send(r, Msg::Handoff { key, intended, versions: versions.clone() });
            }
        }
        self.arm_handoff(ctx);
    }

    /// A hint handed back: a replica keeps it and says so; another server ignores it.
    pub(crate) fn on_handoff(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        key: u64,
        intended: NodeId,
        versions: Siblings,
    ) {
        if self.replica_of(key) {
            self.write_local(ctx, key, &versions);
            ctx.metrics().count("sharding.hints_handed_back", 1);
            ctx.send(from, Msg::HandoffAck { key, intended, versions });
        }
    }

    /// The anti-entropy timer: one exchange with the next present server.
    pub fn exchange(&mut self, ctx: Ctx) {
        let Some(every) = self.config.anti_entropy else { return };
        ctx.set_timer(every, Timer::AntiEntropy);
        let peers: Vec<NodeId> =
            ctx.topology().servers().filter(|&s| s != self.id && ctx.is_present(s)).collect();
        if peers.is_empty() || !ctx.is_present(self.id) {
            return;
        }
        let peer = peers[(self.exchanges % peers.len() as u64) as usize];
        self.exchanges += 1;
        let entries = self.shared_with(ctx, peer);
        ctx.send(peer, Msg::Sync { entries, reply: false });
    }

    /// This server's copies of the keys `peer` is also a replica of, by the newest placement.
    fn shared_with(&self, ctx: Ctx, peer: NodeId) -> Vec<(u64, Siblings)> {
        let Some(newest) = self.epochs.as_ref().and_then(|e| e.newest()) else { return vec![] };
        let mut replicas = Vec::new();
        keys_on(ctx.storage())
            .into_iter()
            .filter(|&key| {
                newest.replicas(key, self.config.replicas as usize, &mut replicas);
                replicas.contains(&peer.0)
            })
            .map(|key| (key, store::held(ctx.storage(), key)))
            .collect()
    }

    /// Another server's copies: keep what is newer, and answer with this server's own.
    pub(crate) fn on_sync(
        &mut self,
        ctx: Ctx,
        from: NodeId,
        entries: Vec<(u64, Siblings)>,
        reply: bool,
    ) {
        for (key, versions) in &entries {
            if self.replica_of(*key) {
                self.write_local(ctx, *key, versions);
            }
        }
        if !reply {
            let entries = self.shared_with(ctx, from);
            ctx.send(from, Msg::Sync { entries, reply: true });
        }
    }
}
