//! Membership changes: servers that join the cluster and leave it while it runs. They share
//! the fault list (`kind = "join"`, `kind = "leave"`), so they are traced, hashed, drawn by the
//! nemesis and swarm, shown on the fault timeline and dropped by the shrinker as faults are; but
//! they never heal, and the quiet period does not undo them.
//!
//! A server is *absent* before it joins and after it departs: down, its storage empty, and not
//! restarted by anything but a join. A server whose first membership change in the scenario is
//! a join starts absent. A leave is announced at once (the server is no longer a member) and
//! the server runs on for its `drain`, to hand over what it holds, then departs.

use std::collections::BTreeSet;

use crate::config::Selector;
use crate::faults::{FaultKind, FaultSpec};
use crate::node::{MembershipChange, Node};
use crate::sim::{Event, Simulation};
use crate::storage::Storage;
use crate::topology::{NodeId, Topology};
use crate::trace::{NO_NODE, TraceKind};

/// The servers a run starts without: those whose first membership change, in the order the
/// faults happen, is a join by name.
pub(crate) fn absent_at_start(faults: &[FaultSpec], topo: &Topology) -> BTreeSet<NodeId> {
    let mut seen = BTreeSet::new();
    let mut absent = BTreeSet::new();
    for f in faults {
        let (node, joins) = match &f.kind {
            FaultKind::Join { node: Selector::Named(n) } => (n, true),
            FaultKind::Leave { node: Selector::Named(n), .. } => (n, false),
            _ => continue,
        };
        if let Some(id) = topo.lookup(node)
            && seen.insert(id)
            && joins
        {
            absent.insert(id);
        }
    }
    absent
}

impl<N: Node> Simulation<N> {
    /// A join: an absent server starts, fresh, with empty storage; every other node that is up
    /// hears of it. Returns whether it joined (a server that is already a member does not).
    pub(crate) fn join(&mut self, id: NodeId) -> bool {
        let st = &mut self.world.states[id.index()];
        if !st.absent {
            return false;
        }
        st.absent = false;
        st.leaving = false;
        st.up = true;
        let incarnation = st.incarnation as u64;
        self.world.resources[id.index()].storage = Storage::default();
        self.nodes[id.index()] = Some((self.factory)(id, &self.world.topology));
        self.world.log(TraceKind::Start, id.0, NO_NODE, incarnation, 0);
        let members = self.world.current_members();
        self.world.membership_log.push(members);
        self.with_node(id, |n, ctx| n.on_start(ctx));
        self.tell_members(id, MembershipChange::Joined(id));
        true
    }

    /// A leave: the server is no longer a member; every node that is up hears of it (the
    /// server too); it departs after `drain`. Returns whether it was a member.
    pub(crate) fn leave(&mut self, id: NodeId, drain: crate::time::SimDuration) -> bool {
        let st = &mut self.world.states[id.index()];
        if st.absent || st.leaving {
            return false;
        }
        st.leaving = true;
        let members = self.world.current_members();
        self.world.membership_log.push(members);
        self.tell_members(NodeId(u32::MAX), MembershipChange::Leaving(id));
        if drain.is_zero() {
            self.depart(id);
        } else {
            let at = self.world.now + drain;
            self.world.queue.push(at, Event::Depart(id));
        }
        true
    }

    /// A leaving server departs: down for good, its storage gone; every node that is up hears
    /// it has left.
    pub(crate) fn depart(&mut self, id: NodeId) {
        let st = &self.world.states[id.index()];
        if st.absent || !st.leaving {
            return;
        }
        self.crash_node(id);
        let st = &mut self.world.states[id.index()];
        st.absent = true;
        st.leaving = false;
        self.world.resources[id.index()].storage = Storage::default();
        self.world.log(TraceKind::Depart, id.0, NO_NODE, 0, 0);
        let now = self.world.now;
        self.world.departures.push((id, now));
        self.tell_members(id, MembershipChange::Left(id));
    }

    /// Delivers a membership change to every node that is up, but `except`, in id order.
    fn tell_members(&mut self, except: NodeId, change: MembershipChange) {
        for id in self.world.topology.nodes() {
            if id != except && self.world.states[id.index()].up {
                self.with_node(id, |n, ctx| n.on_membership(ctx, change));
            }
        }
    }
}
