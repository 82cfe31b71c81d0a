//! What faults do to the world: the effect of each kind when it begins, and its undoing when it
//! heals. Kept beside the fault model so that a new kind's fields, validation and effect are
//! read together.

use crate::config::{Selector, probability};
use crate::faults::model::bridge_halves;
use crate::faults::{DiskMode, FaultKind, FaultName, FaultRecord};
use crate::network::{NetworkFault, PartitionRule};
use crate::node::Node;
use crate::sim::{Event, Simulation};
use crate::topology::NodeId;
use crate::trace::{NO_NODE, TraceKind};

/// What faults do to nodes (called when a fault begins and when it heals).
impl<N: Node> Simulation<N> {
    pub(crate) fn crash_node(&mut self, node: NodeId) {
        let now = self.world.now;
        let st = &mut self.world.states[node.index()];
        if !st.up {
            return;
        }
        st.up = false;
        st.incarnation += 1;
        st.paused = false;
        st.wake_pending = false;
        st.busy_until = now;
        st.inbox.clear();
        let incarnation = st.incarnation as u64;
        let res = &mut self.world.resources[node.index()];
        res.crash_times.push(now);
        let lost = res.storage.unsynced_len() as u64;
        res.storage.crash();
        for slot in 0..self.world.timers.len() {
            let t = &self.world.timers[slot];
            if t.node == node && t.timer.is_some() {
                self.world.free_timer(slot as u32);
            }
        }
        self.nodes[node.index()] = None;
        self.world.log(TraceKind::Crash, node.0, NO_NODE, incarnation, lost);
    }

    fn pause_node(&mut self, node: NodeId) {
        let st = &mut self.world.states[node.index()];
        if st.up && !st.paused {
            st.paused = true;
            self.world.log(TraceKind::Pause, node.0, NO_NODE, 0, 0);
        }
    }

    fn set_slowness(&mut self, node: NodeId, factor: f64) {
        self.world.states[node.index()].slow_milli = (factor * 1000.0).round().max(1000.0) as u64;
    }

    fn step_clock(&mut self, node: NodeId, step_ns: i64) {
        let now = self.world.now;
        self.world.resources[node.index()].clock.step(now, step_ns);
        self.world.reschedule_timers(node);
    }

    fn set_drift(&mut self, node: NodeId, drift_ppm: f64) {
        let now = self.world.now;
        self.world.resources[node.index()].clock.set_drift(now, drift_ppm);
        self.world.reschedule_timers(node);
    }

    pub(crate) fn begin_fault(&mut self, index: u32) {
        let spec = self.faults[index as usize].clone();
        let now = self.world.now;
        let n = self.world.topology.len() as usize;
        let mut from_count = None;
        let resolved: Vec<NodeId> = match &spec.kind {
            FaultKind::Partition { groups: Some(groups), .. } => {
                let groups: Vec<Vec<NodeId>> = groups
                    .iter()
                    .map(|g| g.iter().filter_map(|name| self.world.topology.lookup(name)).collect())
                    .collect();
                let rule = PartitionRule::groups(n, &groups);
                self.world.network.add_fault(index, NetworkFault::Partition(rule));
                groups.concat()
            }
            FaultKind::Partition { isolate, .. } => {
                let sel = isolate.clone().unwrap_or(Selector::Minority(None));
                let cut = self.select(&sel);
                if !cut.is_empty() {
                    // Cut off from the rest of its own group; other groups and the clients
                    // keep their links.
                    let topo = &self.world.topology;
                    let mut rest: Vec<NodeId> =
                        cut.iter().flat_map(|&id| topo.group_peers(id)).collect();
                    rest.sort();
                    rest.dedup();
                    rest.retain(|id| !cut.contains(id));
                    let rule = PartitionRule::groups(n, &[cut.clone(), rest]);
                    self.world.network.add_fault(index, NetworkFault::Partition(rule));
                }
                cut
            }
            FaultKind::PartitionOneway { from, to } => {
                let from = self.select_set(from);
                let to = self.select_set(to);
                from_count = Some(from.len());
                if !from.is_empty() && !to.is_empty() {
                    let rule = PartitionRule::one_way(n, &from, &to);
                    self.world.network.add_fault(index, NetworkFault::Partition(rule));
                    [from, to].concat()
                } else {
                    Vec::new()
                }
            }
            FaultKind::Bridge { node } => match self.select(node).first() {
                // Recorded as the partition it makes: its two halves, one after the other.
                Some(&b) => {
                    let halves = bridge_halves(&self.world.topology, b);
                    let rule = PartitionRule::groups(n, &halves);
                    self.world.network.add_fault(index, NetworkFault::Partition(rule));
                    halves.concat()
                }
                None => Vec::new(),
            },
            FaultKind::Crash { node, restart_after } => {
                let target = self.select(node);
                for &id in &target {
                    self.crash_node(id);
                    if let Some(after) = restart_after {
                        self.world.queue.push(now + *after, Event::Restart(id));
                    }
                }
                target
            }
            FaultKind::Pause { node } => {
                let target = self.select(node);
                target.iter().for_each(|&id| self.pause_node(id));
                target
            }
            FaultKind::Slow { node, factor } => {
                let target = self.select(node);
                target.iter().for_each(|&id| self.set_slowness(id, *factor));
                target
            }
            FaultKind::Clock { node, step, drift_ppm } => {
                let target = self.select(node);
                for &id in &target {
                    match (step, drift_ppm) {
                        (Some(s), _) => self.step_clock(id, s.0),
                        (None, Some(d)) => self.set_drift(id, *d),
                        (None, None) => {}
                    }
                }
                target
            }
            FaultKind::Loss { rate, nodes, classes } => {
                let target = nodes.as_ref().map(|s| self.select_set(s));
                let p = probability("loss.rate", *rate).unwrap_or_default();
                let mask = target.as_ref().map(|t| self.mask(t));
                let fault = NetworkFault::Loss(p, mask, classes.clone());
                self.world.network.add_fault(index, fault);
                target.unwrap_or_default()
            }
            FaultKind::Latency { extra, nodes } => {
                let target = nodes.as_ref().map(|s| self.select_set(s));
                let mask = target.as_ref().map(|t| self.mask(t));
                self.world.network.add_fault(index, NetworkFault::Latency(extra.clone(), mask));
                target.unwrap_or_default()
            }
            FaultKind::Duplicate { rate } => {
                let p = probability("duplicate.rate", *rate).unwrap_or_default();
                self.world.network.add_fault(index, NetworkFault::Duplicate(p));
                Vec::new()
            }
            FaultKind::Join { node } => {
                let target = self.select(node);
                target.into_iter().filter(|&id| self.join(id)).collect()
            }
            FaultKind::Leave { node, drain } => {
                // A leave that picks its server (the nemesis's, `random`) never takes the last
                // member: a cluster with no server left has nothing to test.
                let last = self.world.current_members().len() <= 1;
                let target = if last && !matches!(node, Selector::Named(_)) {
                    Vec::new()
                } else {
                    self.select(node)
                };
                let drain = drain.unwrap_or_default();
                target.into_iter().filter(|&id| self.leave(id, drain)).collect()
            }
            FaultKind::Disk { node, mode } => {
                let target = self.select(node);
                for &id in &target {
                    let pick = self.world.disk_rng.next_u64();
                    let storage = &mut self.world.resources[id.index()].storage;
                    match mode {
                        DiskMode::LoseUnsynced => {
                            storage.drop_unsynced();
                        }
                        DiskMode::Corrupt => {
                            storage.corrupt_one(pick);
                        }
                    }
                }
                target
            }
        };
        let needs_target = !matches!(
            spec.kind,
            FaultKind::Loss { .. } | FaultKind::Latency { .. } | FaultKind::Duplicate { .. }
        );
        let skipped =
            (needs_target && resolved.is_empty()).then(|| "a selector matched no node".to_string());
        let names: Vec<String> = resolved.iter().map(|&id| self.world.topology.name(id)).collect();
        let triggered_by = self.world.trigger.map(|(id, _)| self.world.topology.name(id));
        let record = FaultRecord {
            index,
            began_at_ns: triggered_by.is_some().then_some(now.0),
            event_at_ns: self.world.trigger.map(|(_, t)| t.0),
            triggered_by,
            spec,
            resolved: names,
            from_count,
            skipped,
            healed_at_ns: None,
        };
        // The trace shows the fault in its replayable form (selectors replaced by the nodes
        // they chose), so replaying a run's fault records reproduces its trace hash. A skipped
        // fault changes nothing and is left out of the trace; faults.json keeps it.
        if let Some(concrete) = record.replayable(&self.world.topology) {
            let text = serde_json::to_string(&concrete).unwrap_or_default();
            let first = resolved.first().map_or(NO_NODE, |id| id.0);
            self.world.trace.record_text(now, TraceKind::Fault, first, NO_NODE, 0, &text);
            if let Some(d) = record.spec.duration {
                self.world.queue.push(now + d, Event::Heal(index));
            }
        }
        self.targets[index as usize] = resolved;
        self.records.push(record);
    }

    pub(crate) fn heal_fault(&mut self, index: u32) {
        let Some(pos) = self.records.iter().position(|r| r.index == index) else {
            return;
        };
        // A membership change is not undone: it has no heal, not even in the quiet period.
        let membership =
            matches!(self.records[pos].spec.kind, FaultKind::Join { .. } | FaultKind::Leave { .. });
        if self.records[pos].healed_at_ns.is_some() || membership {
            return;
        }
        let now = self.world.now;
        self.records[pos].healed_at_ns = Some(now.0);
        let targets = self.targets[index as usize].clone();
        match self.records[pos].spec.kind.clone() {
            FaultKind::Crash { restart_after, .. } => {
                if restart_after.is_none() {
                    targets.iter().for_each(|&id| {
                        self.restart(id);
                    });
                }
            }
            FaultKind::Pause { .. } => targets.iter().for_each(|&id| self.resume(id)),
            FaultKind::Slow { .. } => targets.iter().for_each(|&id| self.set_slowness(id, 1.0)),
            FaultKind::Clock { drift_ppm: Some(_), .. } => {
                for &id in &targets {
                    let own = self.world.resources[id.index()].own_drift_ppm;
                    self.set_drift(id, own);
                }
            }
            FaultKind::Clock { .. }
            | FaultKind::Disk { .. }
            | FaultKind::Join { .. }
            | FaultKind::Leave { .. } => {}
            _ => {
                self.world.network.heal(index);
            }
        }
        let first = targets.first().map_or(NO_NODE, |id| id.0);
        // Named as its replayable form is: a bridge replays as the partition it made.
        let text = match self.records[pos].spec.kind.name() {
            FaultName::Bridge => FaultName::Partition,
            name => name,
        }
        .as_str();
        self.world.trace.record_text(now, TraceKind::Heal, first, NO_NODE, 0, text);
    }

    /// The quiet period begins: every fault heals, crashed nodes restart, paused ones resume,
    /// slow ones recover, drifts return to each node's own.
    pub fn heal_all(&mut self) {
        let open: Vec<u32> =
            self.records.iter().filter(|r| r.healed_at_ns.is_none()).map(|r| r.index).collect();
        for index in open {
            self.heal_fault(index);
        }
        self.world.network.heal_all();
        for id in self.world.topology.nodes() {
            self.restart(id);
            self.resume(id);
            self.set_slowness(id, 1.0);
        }
    }
}
