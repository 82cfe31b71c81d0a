//! Read access to a simulation: for harnesses, checkers and reports.

use super::{SimConfig, Simulation};
use crate::clock::Clock;
use crate::faults::{FaultRecord, FaultSpec};
use crate::history::HistoryEntry;
use crate::metrics::Metrics;
use crate::node::Node;
use crate::storage::Storage;
use crate::time::SimTime;
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trace::Trace;

/// Read access for harnesses, checkers and reports.
impl<N: Node> Simulation<N> {
    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// The config the run was built from.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The cluster's shape.
    pub fn topology(&self) -> &Topology {
        &self.world.topology
    }

    /// A node's state machine, `None` while it is crashed.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes[id.index()].as_ref()
    }

    /// Mutable access to a node (harnesses that inject requests).
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut N> {
        self.nodes[id.index()].as_mut()
    }

    /// Whether the node is up.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.world.states[id.index()].up
    }

    /// Whether a server is a member now: joined and not leaving (up or crashed).
    pub fn is_member(&self, id: NodeId) -> bool {
        let st = &self.world.states[id.index()];
        !st.absent && !st.leaving
    }

    /// The members after each membership change, by epoch (see `Context::members_at`).
    pub fn membership_history(&self) -> &[Vec<NodeId>] {
        &self.world.membership_log
    }

    /// Servers that departed (their storage gone with them), and when, in order.
    pub fn departures(&self) -> &[(NodeId, SimTime)] {
        &self.world.departures
    }

    /// A node's durable storage.
    pub fn storage(&self, id: NodeId) -> &Storage {
        &self.world.resources[id.index()].storage
    }

    /// A node's clock.
    pub fn clock(&self, id: NodeId) -> &Clock {
        &self.world.resources[id.index()].clock
    }

    /// The run's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.world.metrics
    }

    /// The client history so far.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.world.history
    }

    /// Takes the client history out (for checkers that consume it).
    pub fn take_history(&mut self) -> Vec<HistoryEntry> {
        std::mem::take(&mut self.world.history)
    }

    /// The faults that happened so far, with the nodes they resolved to.
    pub fn fault_records(&self) -> &[FaultRecord] {
        &self.records
    }

    /// The expanded fault list (schedule and nemesis, before resolution).
    pub fn planned_faults(&self) -> &[FaultSpec] {
        &self.faults
    }

    /// The trace (hash, captured records, checkpoints).
    pub fn trace(&self) -> &Trace {
        &self.world.trace
    }

    /// Flushes the JSON-lines trace, if one is being written.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        self.world.trace.finish()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Messages sent so far by servers (`NodeKind::Server`) or clients.
    pub fn messages_sent(&self, kind: NodeKind) -> u64 {
        self.world.sent[usize::from(kind == NodeKind::Client)]
    }

    /// Events pending in the queue.
    pub fn pending_events(&self) -> usize {
        self.world.queue.len()
    }

    /// Servers or clients.
    pub fn kind(&self, id: NodeId) -> NodeKind {
        self.world.topology.kind(id)
    }
}
