//! Fault verbs: faults injected by a harness or a test rather than by the schedule.

use super::Simulation;
use crate::config::{ConfigError, Selector};
use crate::faults::{FaultKind, FaultSpec, NodeSet};
use crate::node::Node;
use crate::time::SimDuration;
use crate::topology::NodeId;
use crate::trace::{NO_NODE, TraceKind};

/// Fault verbs, for harnesses and tests. Each injects a fault now, exactly as a scheduled one
/// would be (validated, recorded in the fault records, traced), and returns its index for
/// [`Simulation::heal`].
impl<N: Node> Simulation<N> {
    /// Injects any fault now; `duration` heals it after that long.
    pub fn inject(
        &mut self,
        kind: FaultKind,
        duration: Option<SimDuration>,
    ) -> Result<u32, ConfigError> {
        let spec =
            FaultSpec { at: SimDuration(self.world.now.0), on: None, delay: None, kind, duration };
        let index = self.faults.len();
        spec.validate(&format!("inject[{index}]"), &self.world.topology, SimDuration(u64::MAX))?;
        self.faults.push(spec);
        self.targets.push(Vec::new());
        self.begin_fault(index as u32);
        Ok(index as u32)
    }

    fn named(&self, nodes: &[NodeId]) -> Vec<String> {
        nodes.iter().map(|&id| self.world.topology.name(id)).collect()
    }

    fn inject_valid(&mut self, kind: FaultKind) -> u32 {
        self.inject(kind, None).expect("a verb builds a valid fault from existing nodes")
    }

    /// Cuts the links between nodes of different groups (nodes in no group keep every link).
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) -> u32 {
        let groups = groups.iter().map(|g| self.named(g)).collect();
        self.inject_valid(FaultKind::Partition { groups: Some(groups), isolate: None })
    }

    /// Drops messages from `from` nodes to `to` nodes.
    pub fn partition_oneway(&mut self, from: &[NodeId], to: &[NodeId]) -> u32 {
        let (from, to) = (NodeSet::List(self.named(from)), NodeSet::List(self.named(to)));
        self.inject_valid(FaultKind::PartitionOneway { from, to })
    }

    /// Crashes a node: volatile state, timers, queued inputs and unsynced writes are lost.
    pub fn crash(&mut self, node: NodeId) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject_valid(FaultKind::Crash { node, restart_after: None })
    }

    /// Pauses a node: its inputs wait until it is healed (or [`Simulation::resume`]d).
    pub fn pause(&mut self, node: NodeId) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject_valid(FaultKind::Pause { node })
    }

    /// Makes a node's processing `factor` (≥ 1) times slower.
    pub fn slow(&mut self, node: NodeId, factor: f64) -> Result<u32, ConfigError> {
        let node = Selector::Named(self.world.topology.name(node));
        self.inject(FaultKind::Slow { node, factor }, None)
    }

    /// Steps a node's clock by `step_ns` (signed); its timers are re-evaluated.
    pub fn skew_clock(&mut self, node: NodeId, step_ns: i64) -> u32 {
        let node = Selector::Named(self.world.topology.name(node));
        let step = Some(crate::config::SignedDuration(step_ns));
        self.inject_valid(FaultKind::Clock { node, step, drift_ppm: None })
    }

    /// Heals a fault by its index (scheduled or injected); healing twice does nothing.
    pub fn heal(&mut self, index: u32) {
        self.heal_fault(index);
    }

    /// Restarts a crashed node: a fresh node from the factory, then [`Node::on_restart`].
    /// Returns false if it was up.
    pub fn restart(&mut self, node: NodeId) -> bool {
        let st = &mut self.world.states[node.index()];
        if st.up || st.absent {
            return false;
        }
        st.up = true;
        let incarnation = st.incarnation as u64;
        self.nodes[node.index()] = Some((self.factory)(node, &self.world.topology));
        self.world.log(TraceKind::Restart, node.0, NO_NODE, incarnation, 0);
        self.with_node(node, |n, ctx| n.on_restart(ctx));
        true
    }

    /// Resumes a paused node; its queued inputs are handled in order.
    pub fn resume(&mut self, node: NodeId) {
        let st = &mut self.world.states[node.index()];
        if st.paused {
            st.paused = false;
            let queued = st.inbox.len() as u64;
            self.world.log(TraceKind::Resume, node.0, NO_NODE, 0, queued);
            self.world.schedule_wake(node);
        }
    }
}
