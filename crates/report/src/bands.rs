//! Fault windows as the charts draw them: when each fault began and ended, and a short label.

use sim_core::{FaultKind, FaultName, FaultRecord, NodeSet};

/// The colour a fault kind is drawn in (red, green, blue), the same in charts and the page.
pub fn fault_rgb(kind: &str) -> (u8, u8, u8) {
    match FaultName::parse(kind) {
        Some(FaultName::Partition | FaultName::PartitionOneway | FaultName::Bridge) => {
            (148, 103, 189)
        }
        Some(FaultName::Crash) => (214, 39, 40),
        Some(FaultName::Pause | FaultName::Slow) => (140, 86, 75),
        Some(FaultName::Clock) => (23, 190, 207),
        Some(FaultName::Disk) => (127, 127, 127),
        Some(FaultName::Join | FaultName::Leave) => (44, 160, 44),
        Some(FaultName::Loss | FaultName::Latency | FaultName::Duplicate) | None => (188, 189, 34),
    }
}

/// One fault's window on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (equal to the start for an instant fault: a clock step, a disk fault).
    pub end_s: f64,
    /// The fault kind (`partition`, `crash`, …): it picks the band's colour.
    pub kind: &'static str,
    /// Kind and nodes, e.g. `crash n3`, `partition n1 | n2 n3 n4 n5`.
    pub label: String,
}

fn node_set(s: &NodeSet) -> String {
    match s {
        NodeSet::List(names) => names.join(" "),
        NodeSet::One(selector) => selector.to_string(),
    }
}

/// What a fault did, in a few words: the kind and the nodes it resolved to (or its selector,
/// for a fault that was skipped).
pub fn describe(f: &FaultRecord) -> String {
    let kind = f.spec.kind.name();
    let nodes = if f.resolved.is_empty() {
        match &f.spec.kind {
            FaultKind::Crash { node, .. }
            | FaultKind::Pause { node }
            | FaultKind::Slow { node, .. }
            | FaultKind::Clock { node, .. }
            | FaultKind::Disk { node, .. }
            | FaultKind::Join { node }
            | FaultKind::Leave { node, .. } => node.to_string(),
            FaultKind::Partition { isolate: Some(s), .. } => s.to_string(),
            FaultKind::Loss { nodes: Some(n), .. } | FaultKind::Latency { nodes: Some(n), .. } => {
                node_set(n)
            }
            _ => String::new(),
        }
    } else {
        match (&f.spec.kind, f.from_count) {
            (FaultKind::Partition { groups: Some(groups), .. }, _) => {
                groups.iter().map(|g| g.join(" ")).collect::<Vec<_>>().join(" | ")
            }
            (FaultKind::Partition { .. }, _) => format!("{} | rest", f.resolved.join(" ")),
            (FaultKind::Bridge { .. }, _) => {
                let (a, b) = f.bridge_halves();
                format!("{} | {}", a.join(" "), b.join(" "))
            }
            (FaultKind::PartitionOneway { .. }, Some(k)) => {
                format!("{} -> {}", f.resolved[..k].join(" "), f.resolved[k..].join(" "))
            }
            _ => f.resolved.join(" "),
        }
    };
    let mut text = if nodes.is_empty() { kind.to_string() } else { format!("{kind} {nodes}") };
    if let FaultKind::Loss { classes: Some(classes), .. } = &f.spec.kind {
        text.push_str(&format!(" ({})", classes.join(", ")));
    }
    text
}

/// When a fault's effect ended, seconds: its heal, a crashed node's restart, or the run's end
/// (`end_s`) if neither came; an instant fault (a clock step, a disk fault, a join) ends as it
/// starts, and a leave ends when its drain does.
pub fn fault_end_s(f: &FaultRecord, end_s: f64) -> f64 {
    let start_s = f.spec.at.as_secs_f64();
    let instant = matches!(
        f.spec.kind,
        FaultKind::Disk { .. } | FaultKind::Clock { drift_ppm: None, .. } | FaultKind::Join { .. }
    );
    if instant {
        return start_s;
    }
    if let FaultKind::Leave { drain, .. } = &f.spec.kind {
        return (start_s + drain.unwrap_or_default().as_secs_f64()).min(end_s);
    }
    let restart = match &f.spec.kind {
        FaultKind::Crash { restart_after: Some(d), .. } => Some(start_s + d.as_secs_f64()),
        _ => None,
    };
    let healed = f.healed_at_ns.map(|ns| ns as f64 / 1e9);
    [restart, healed].into_iter().flatten().fold(end_s, f64::min)
}

/// The window of each fault that ran (skipped ones are left out), given the run's end.
pub fn bands(faults: &[FaultRecord], end_s: f64) -> Vec<Band> {
    faults
        .iter()
        .filter(|f| f.skipped.is_none())
        .map(|f| Band {
            start_s: f.spec.at.as_secs_f64(),
            end_s: fault_end_s(f, end_s),
            kind: f.spec.kind.name().as_str(),
            label: describe(f),
        })
        .collect()
}

/// The faults in effect at `t_s` that began before it, as [`describe`] labels them: what a view
/// of a window opening at `t_s` would otherwise not show.
pub fn in_effect_at(faults: &[FaultRecord], t_s: f64, end_s: f64) -> Vec<String> {
    bands(faults, end_s)
        .into_iter()
        .filter(|b| b.start_s < t_s && b.end_s > t_s)
        .map(|b| b.label)
        .collect()
}
