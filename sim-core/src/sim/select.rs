//! Selectors resolved to nodes at the moment a fault happens (`leader` is whoever leads now).

use super::Simulation;
use crate::config::Selector;
use crate::faults::NodeSet;
use crate::node::Node;
use crate::topology::NodeId;

/// Which nodes a fault takes.
impl<N: Node> Simulation<N> {
    /// Resolves a selector among the servers now (`minority` gives several nodes; an empty
    /// result means none matched, e.g. no leader).
    pub fn select(&mut self, sel: &Selector) -> Vec<NodeId> {
        let topo = &self.world.topology;
        // The servers a selector ranges over: one group's, or every server.
        let range = match sel.group() {
            Some(g) => topo.group_range(g).unwrap_or(0..0),
            None => 0..topo.servers,
        };
        match sel {
            Selector::Named(name) => topo.lookup(name).into_iter().collect(),
            Selector::Trigger => self.world.trigger.map(|(id, _)| id).into_iter().collect(),
            Selector::Leader => {
                let mut best: Option<(u64, NodeId)> = None;
                for id in topo.servers() {
                    if let Some(n) = self.nodes[id.index()].as_ref() {
                        let s = n.status();
                        if s.leading && best.is_none_or(|(term, _)| s.term > term) {
                            best = Some((s.term, id));
                        }
                    }
                }
                best.map(|(_, id)| id).into_iter().collect()
            }
            Selector::Random(_) | Selector::Absent(_) => {
                // `random`: a server that is up; `absent`: one that is not a member.
                let absent = matches!(sel, Selector::Absent(_));
                let pool: Vec<NodeId> = range
                    .map(NodeId)
                    .filter(|id| {
                        let st = &self.world.states[id.index()];
                        if absent { st.absent } else { st.up }
                    })
                    .collect();
                if pool.is_empty() {
                    return Vec::new();
                }
                vec![pool[self.world.fault_rng.below(pool.len() as u64) as usize]]
            }
            Selector::Minority(_) => {
                let n = range.len();
                let k = n.saturating_sub(1) / 2;
                self.world
                    .fault_rng
                    .choose_indices(n, k)
                    .into_iter()
                    .map(|i| NodeId(range.start + i as u32))
                    .collect()
            }
        }
    }

    pub(crate) fn select_set(&mut self, set: &NodeSet) -> Vec<NodeId> {
        match set {
            NodeSet::One(Selector::Named(n)) if n == "servers" => {
                self.world.topology.servers().collect()
            }
            NodeSet::One(sel) => self.select(sel),
            NodeSet::List(names) => {
                names.iter().filter_map(|n| self.world.topology.lookup(n)).collect()
            }
        }
    }

    pub(crate) fn mask(&self, nodes: &[NodeId]) -> Vec<bool> {
        let mut m = vec![false; self.world.topology.len() as usize];
        nodes.iter().for_each(|id| m[id.index()] = true);
        m
    }
}
