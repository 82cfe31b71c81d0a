//! The nemesis: random faults drawn before the run from the `faults` stream.

use serde::{Deserialize, Serialize};

use super::model::{DiskMode, FaultKind, FaultName, FaultSpec, NodeSet, check_selector};
use crate::config::{
    ConfigError, DurationRange, Selector, SignedDuration, require_bounded, require_positive,
};
use crate::distribution::Distribution;
use crate::rng::SimRng;
use crate::time::SimDuration;
use crate::topology::Topology;

/// Most faults a nemesis may draw on average over its window (its `interval` or the low end of
/// its `gap` must be at least the window divided by this).
pub const MAX_NEMESIS_FAULTS: u64 = 100_000;

/// `[nemesis]`: random faults drawn from the `faults` stream.
///
/// The faults are drawn before the run. Per fault, in this order: the gap (exponential with
/// mean `interval`, or uniform in `gap`), the kind, the duration, then the kind's own draws
/// (below).
///
/// What each kind does under the nemesis: partition isolates the leader or a random minority
/// (one draw picks which); partition-oneway cuts a random server's messages to every server;
/// bridge makes a random server the bridge between the two halves of the others; crash and pause take a random server for the duration; slow makes a random server 10×
/// slower; clock steps a random server's clock by ± the duration (one draw for the sign); loss
/// drops 30% of all messages; latency adds exponential(mean 50ms); duplicate doubles 20% of
/// messages; disk drops a random server's unsynced writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NemesisConfig {
    /// Fault kinds to draw from (uniformly), by their [`FaultName`]s (`validate` checks them).
    pub kinds: Vec<String>,
    /// Mean time between faults (exponential gaps), > 0; or give `gap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<SimDuration>,
    /// Time between faults drawn uniformly from this range (regular trials); instead of
    /// `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<DurationRange>,
    /// The node that crash, pause, slow, clock and disk faults take (a selector, e.g.
    /// `"leader"`); default `"random"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Selector>,
    /// What a partition isolates, drawn uniformly from these selectors (e.g. `["minority:cache",
    /// "random:db"]` for a protocol without a leader); default `leader` or `minority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<Vec<Selector>>,
    /// Protocol events faults may be aimed at: each crash, pause, slow, clock, disk or
    /// isolating partition is, with probability 1/2, armed at its time for one of these
    /// (drawn uniformly) and injected at the node whose event it is, `delay` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// The chance each single-node fault is aimed at one of `events`; default 1/2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aim: Option<f64>,
    /// How long after its event an aimed fault begins; default `"0ms..1ms"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DurationRange>,
    /// How long an aimed fault lasts (a crashed node restarts, a partition heals); default
    /// `"1ms..100ms"`: inside one election, where a restart that forgets state does harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aimed_duration: Option<DurationRange>,
    /// How long each fault lasts, drawn uniformly from this range.
    pub duration: DurationRange,
    /// No fault before this time (default: the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<SimDuration>,
    /// No fault at or after this time (default: the run's duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<SimDuration>,
}

impl NemesisConfig {
    /// Checks kinds, interval and window against the run's end.
    pub fn validate(&self, end: SimDuration) -> Result<(), ConfigError> {
        let allowed = FaultName::ALL.map(FaultName::as_str);
        if self.kinds.is_empty() {
            return Err(ConfigError::invalid(
                "nemesis.kinds",
                format!("no kinds: allowed {allowed:?}"),
            ));
        }
        for kind in &self.kinds {
            if FaultName::parse(kind).is_none() {
                return Err(ConfigError::invalid(
                    "nemesis.kinds",
                    format!("unknown fault kind `{kind}`: allowed {allowed:?}"),
                ));
            }
        }
        let (start, stop) = (self.start.unwrap_or_default(), self.end.unwrap_or(end));
        // The nemesis draws its faults before the run: a gap so short that the window holds
        // more than MAX_NEMESIS_FAULTS of them would take memory without bound.
        let window = SimDuration(stop.0.saturating_sub(start.0));
        let least_gap = SimDuration(window.0 / MAX_NEMESIS_FAULTS).max(SimDuration(1));
        let check_gap = |key: &str, g: SimDuration| {
            if g < least_gap {
                let allowed = format!(
                    "at least {least_gap}: the nemesis window ({window}) holds at most {MAX_NEMESIS_FAULTS} faults on average"
                );
                return Err(ConfigError::out_of_range(key, g, &allowed));
            }
            require_bounded(key, g)
        };
        match (self.interval, &self.gap) {
            (Some(i), None) => check_gap("nemesis.interval", i)?,
            (None, Some(g)) => {
                check_gap("nemesis.gap", g.lo)?;
                require_bounded("nemesis.gap", g.hi)?;
            }
            _ => {
                return Err(ConfigError::invalid(
                    "nemesis",
                    "give `interval` (exponential gaps) or `gap` (a range), exactly one",
                ));
            }
        }
        if let Some(Selector::Minority(_)) = self.node {
            return Err(ConfigError::invalid(
                "nemesis.node",
                "`minority` only isolates; give a node, `leader` or `random`",
            ));
        }
        require_positive("nemesis.duration", self.duration.hi)?;
        require_bounded("nemesis.duration", self.duration.hi)?;
        if stop > end {
            return Err(ConfigError::out_of_range(
                "nemesis.end",
                stop,
                &format!("at most the run's duration ({end})"),
            ));
        }
        if start >= stop {
            return Err(ConfigError::invalid(
                "nemesis.start",
                format!("start {start} is not before end {stop}"),
            ));
        }
        Ok(())
    }

    /// Checks the selectors against the cluster: the nodes and groups they name exist.
    pub fn validate_selectors(&self, topo: &Topology) -> Result<(), ConfigError> {
        if let Some(node) = &self.node {
            check_selector(topo, "nemesis.node", node, false)?;
        }
        if let Some(d) = self.delay {
            require_bounded("nemesis.delay", d.hi)?;
        }
        if let Some(p) = self.aim
            && !(0.0..=1.0).contains(&p)
        {
            return Err(ConfigError::out_of_range("nemesis.aim", p, "a probability in [0, 1]"));
        }
        if let Some(d) = self.aimed_duration {
            require_positive("nemesis.aimed_duration", d.lo)?;
            require_bounded("nemesis.aimed_duration", d.hi)?;
        }
        if let Some(choices) = &self.isolate {
            if choices.is_empty() {
                return Err(ConfigError::invalid(
                    "nemesis.isolate",
                    "an empty list: give at least one selector",
                ));
            }
            for c in choices {
                check_selector(topo, "nemesis.isolate", c, true)?;
            }
        }
        Ok(())
    }

    /// Draws the nemesis's faults, in the order the type's docs give.
    pub(crate) fn expand(&self, end: SimDuration, rng: &mut SimRng) -> Vec<FaultSpec> {
        let (start, stop) = (self.start.unwrap_or_default(), self.end.unwrap_or(end));
        let mut t = start.0 as f64;
        let mut out = Vec::new();
        loop {
            t += match (&self.gap, self.interval) {
                (Some(g), _) => rng.range_inclusive(g.lo.0, g.hi.0) as f64,
                (None, Some(i)) => -(i.0 as f64) * libm::log(1.0 - rng.unit_f64()),
                (None, None) => return out,
            };
            // The second bound is a backstop: validation keeps the mean count far below it.
            if t >= stop.0 as f64 || out.len() as u64 >= 10 * MAX_NEMESIS_FAULTS {
                return out;
            }
            let name = &self.kinds[rng.below(self.kinds.len() as u64) as usize];
            let name = FaultName::parse(name)
                .unwrap_or_else(|| unreachable!("nemesis kind `{name}` passed validation"));
            let duration = SimDuration(rng.range_inclusive(self.duration.lo.0, self.duration.hi.0));
            let random = self.node.clone().unwrap_or(Selector::Random(None));
            let kind = match name {
                FaultName::Partition => FaultKind::Partition {
                    groups: None,
                    isolate: Some(match &self.isolate {
                        Some(choices) => choices[rng.below(choices.len() as u64) as usize].clone(),
                        None if rng.below(2) == 0 => Selector::Leader,
                        None => Selector::Minority(None),
                    }),
                },
                FaultName::PartitionOneway => FaultKind::PartitionOneway {
                    from: NodeSet::One(random.clone()),
                    to: NodeSet::One(Selector::Named("servers".into())),
                },
                FaultName::Bridge => FaultKind::Bridge { node: random.clone() },
                FaultName::Crash => FaultKind::Crash { node: random.clone(), restart_after: None },
                FaultName::Pause => FaultKind::Pause { node: random.clone() },
                FaultName::Slow => FaultKind::Slow { node: random.clone(), factor: 10.0 },
                FaultName::Clock => {
                    let magnitude = duration.0.min(i64::MAX as u64) as i64;
                    let step = if rng.below(2) == 0 { magnitude } else { -magnitude };
                    FaultKind::Clock {
                        node: random.clone(),
                        step: Some(SignedDuration(step)),
                        drift_ppm: None,
                    }
                }
                FaultName::Loss => FaultKind::Loss { rate: 0.3, nodes: None, classes: None },
                FaultName::Latency => FaultKind::Latency {
                    extra: Distribution::Exponential { mean: SimDuration::from_millis(50) },
                    nodes: None,
                },
                FaultName::Duplicate => FaultKind::Duplicate { rate: 0.2 },
                FaultName::Disk => {
                    FaultKind::Disk { node: random.clone(), mode: DiskMode::LoseUnsynced }
                }
                FaultName::Join => FaultKind::Join { node: Selector::Absent(None) },
                FaultName::Leave => FaultKind::Leave { node: random, drain: Some(duration) },
            };
            let heals = !matches!(
                kind,
                FaultKind::Clock { .. }
                    | FaultKind::Disk { .. }
                    | FaultKind::Join { .. }
                    | FaultKind::Leave { .. }
            );
            let mut spec = FaultSpec {
                at: SimDuration(t as u64),
                on: None,
                delay: None,
                kind,
                duration: heals.then_some(duration),
            };
            // Only a nemesis given events draws for them, so other runs keep their draws.
            if let Some(events) = self.events.as_ref().filter(|e| !e.is_empty())
                && aimable(&spec.kind)
                && match self.aim {
                    Some(p) => rng.unit_f64() < p,
                    None => rng.below(2) == 0,
                }
            {
                aim_at_trigger(&mut spec.kind);
                spec.on = Some(events[rng.below(events.len() as u64) as usize].clone());
                let d = self.aimed_duration.unwrap_or(DurationRange {
                    lo: SimDuration::from_millis(1),
                    hi: SimDuration::from_millis(100),
                });
                if spec.duration.is_some() {
                    spec.duration = Some(SimDuration(rng.range_inclusive(d.lo.0, d.hi.0)));
                }
                spec.delay = Some(self.delay.unwrap_or(DurationRange {
                    lo: SimDuration::ZERO,
                    hi: SimDuration::from_millis(1),
                }));
            }
            out.push(spec);
        }
    }
}

/// Whether a fault targets one node, so that it can be aimed at the node of an event.
fn aimable(kind: &FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::Crash { .. }
            | FaultKind::Bridge { .. }
            | FaultKind::Pause { .. }
            | FaultKind::Slow { .. }
            | FaultKind::Clock { .. }
            | FaultKind::Disk { .. }
            | FaultKind::Leave { .. }
            | FaultKind::Partition { isolate: Some(_), .. }
    )
}

/// Points a single-node fault at the node whose event triggers it.
fn aim_at_trigger(kind: &mut FaultKind) {
    match kind {
        FaultKind::Crash { node, .. }
        | FaultKind::Bridge { node }
        | FaultKind::Pause { node }
        | FaultKind::Slow { node, .. }
        | FaultKind::Clock { node, .. }
        | FaultKind::Disk { node, .. }
        | FaultKind::Leave { node, .. } => *node = Selector::Trigger,
        FaultKind::Partition { isolate: Some(sel), .. } => *sel = Selector::Trigger,
        _ => {}
    }
}

/// Merges the scheduled faults and the nemesis's into one list sorted by time (stable: at the
/// same instant, scheduled faults first, each list in its own order).
pub(crate) fn expand(
    schedule: &[FaultSpec],
    nemesis: Option<&NemesisConfig>,
    end: SimDuration,
    rng: &mut SimRng,
) -> Vec<FaultSpec> {
    let mut all: Vec<FaultSpec> = schedule.to_vec();
    if let Some(n) = nemesis {
        all.extend(n.expand(end, rng));
    }
    all.sort_by_key(|f| f.at);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{RngRoot, Stream};
    use crate::topology::Topology;

    #[test]
    fn nemesis_is_seeded_sorted_and_inside_its_window() {
        let n = NemesisConfig {
            kinds: FaultName::ALL.iter().map(|k| k.to_string()).collect(),
            interval: Some(SimDuration::from_secs(2)),
            gap: None,
            node: None,
            isolate: None,
            events: None,
            aim: None,
            delay: None,
            aimed_duration: None,
            duration: DurationRange::parse("1s..3s").unwrap(),
            start: Some(SimDuration::from_secs(5)),
            end: Some(SimDuration::from_secs(50)),
        };
        let end = SimDuration::from_secs(60);
        n.validate(end).unwrap();
        let draw =
            |seed| expand(&[], Some(&n), end, &mut RngRoot::new(seed).stream(Stream::Faults));
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        assert!(a.len() > 10);
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(
            a.iter()
                .all(|f| f.at >= SimDuration::from_secs(5) && f.at < SimDuration::from_secs(50))
        );
        let topo = Topology::new(5, 2).unwrap();
        for (i, f) in a.iter().enumerate() {
            f.validate(&format!("nemesis[{i}]"), &topo, end).unwrap();
        }
    }
}
