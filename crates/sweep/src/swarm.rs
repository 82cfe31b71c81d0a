//! Swarm testing (as TigerBeetle's VOPR and FoundationDB's BUGGIFY do it): each seed of a
//! `hunt --swarm` runs its own variant of the scenario, drawn from streams of that seed.
//!
//! From the `swarm` stream: which of the nemesis's fault kinds are on (each with probability
//! 1/2, at least one) and how often they strike (¼× to 4×); then, for one seed in three, short
//! faults (1 ms to 300 ms: restarts and partitions inside one election); then, for a protocol
//! that reports events and a nemesis not aimed at any, for one seed in two, a nonempty subset
//! of those events for the nemesis to aim at, how long after its event an aimed fault begins
//! (0 up to 1 µs–5 ms) and, unless the scenario says, how long it lasts (1 ms up to a bound
//! drawn log-uniformly in 1–100 ms). From the `knobs` stream: each knob — the
//! protocol's own (`Protocol::knobs`) and the scenario's `[swarm]` table — is drawn with
//! probability 1/2, else left as the scenario has it. A drawn value the protocol rejects in
//! combination with those drawn before it is not taken. The drawn values are written into the
//! scenario itself, so a repro records them and runs exactly.

use scenario::Scenario;
use sim_core::{DurationRange, RngRoot, SimDuration, SimRng, Stream};

/// A seed's scenario and the knobs it drew: (dotted key, the base scenario's value, if it set
/// one), so the shrinker can move each back.
#[derive(Clone, Debug)]
pub struct Drawn {
    /// The scenario the seed runs.
    pub scenario: Scenario,
    /// The knobs drawn, in key order.
    pub knobs: Vec<(String, Option<toml::Value>)>,
}

/// The knobs of a scenario: the protocol's defaults (unless `[swarm] defaults = false`),
/// overlaid by the scenario's `[swarm]` table, in key order; empty lists dropped.
pub fn knobs(s: &Scenario) -> Vec<(String, toml::Value)> {
    let mut all: std::collections::BTreeMap<String, toml::Value> = Default::default();
    let table = s.swarm.clone().unwrap_or_default();
    let defaults = table.get("defaults").and_then(toml::Value::as_bool).unwrap_or(true);
    if defaults && let Some(p) = scenario::registry::protocol(&s.protocol) {
        for k in p.knobs() {
            let v: toml::Table = toml::from_str(&format!("v = {}", k.values))
                .unwrap_or_else(|e| panic!("{} knob {}: {e}", p.name(), k.key));
            all.insert(k.key.to_string(), v["v"].clone());
        }
    }
    for (k, v) in table {
        if k != "defaults" {
            all.insert(k, v);
        }
    }
    all.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    all.into_iter().collect()
}

/// The value at a dotted key of a scenario, if it sets one.
pub fn value_at(s: &Scenario, key: &str) -> Option<toml::Value> {
    let mut v = Some(toml::Value::Table(s.to_table()));
    for part in key.split('.') {
        v = v.and_then(|v| v.get(part).cloned());
    }
    v
}

/// The scenario with `key` set back to `base` (or removed, when the base did not set it).
pub fn reset(s: &Scenario, key: &str, base: Option<&toml::Value>) -> Option<Scenario> {
    let mut table = s.to_table();
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop()?;
    let mut t = &mut table;
    for p in parts {
        t = t.get_mut(p)?.as_table_mut()?;
    }
    match base {
        Some(v) => t.insert(last.to_string(), v.clone()),
        None => t.remove(last),
    };
    let c = Scenario::from_table(table).ok()?;
    c.check().ok().map(|_| c)
}

/// Draws one value of a knob.
fn draw(values: &toml::Value, rng: &mut SimRng) -> Option<toml::Value> {
    match values {
        toml::Value::Array(a) => a.get(rng.below(a.len() as u64) as usize).cloned(),
        toml::Value::Table(t) => {
            let (lo, hi) = (t.get("min")?, t.get("max")?);
            match (lo.as_integer(), hi.as_integer()) {
                (Some(lo), Some(hi)) => {
                    let span = (hi - lo) as u64;
                    Some(toml::Value::Integer(lo + rng.range_inclusive(0, span) as i64))
                }
                _ => {
                    let f = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64));
                    let (lo, hi) = (f(lo)?, f(hi)?);
                    // Four decimals: a repro reads as written, and the value is exact in TOML.
                    let x = lo + rng.unit_f64() * (hi - lo);
                    Some(toml::Value::Float((x * 1e4).round() / 1e4))
                }
            }
        }
        _ => None,
    }
}

/// The scenario seed `seed` of a swarm hunt runs, and the knobs it drew.
pub fn swarm_scenario(base: &Scenario, seed: u64) -> Drawn {
    let mut s = base.clone();
    s.seed = seed;
    s.sweep = None;
    let root = RngRoot::new(seed);
    let mut rng = root.stream(Stream::Swarm);
    let events = scenario::registry::protocol(&s.protocol).map_or(&[][..], |p| p.events());
    if let Some(n) = s.nemesis.as_mut() {
        // Each kind on with probability 1/2, at least one; faults 4× rarer to 4× more often.
        let mut kinds: Vec<String> =
            n.kinds.iter().filter(|_| rng.below(2) == 1).cloned().collect();
        if kinds.is_empty() {
            kinds.push(n.kinds[rng.below(n.kinds.len() as u64) as usize].clone());
        }
        n.kinds = kinds;
        let scale = 0.25 + rng.unit_f64() * 3.75;
        let stretch = |d: SimDuration| SimDuration(((d.as_nanos() as f64) * scale).max(1e6) as u64);
        n.interval = n.interval.map(stretch);
        if let Some(g) = n.gap.as_mut() {
            (g.lo, g.hi) = (stretch(g.lo), stretch(g.hi));
        }
        // Short faults: a crash that restarts, or a partition that heals, inside one election.
        if rng.below(3) == 0 {
            n.duration = DurationRange {
                lo: SimDuration::from_millis(1),
                hi: SimDuration::from_millis(1 + rng.below(300)),
            };
        }
        // Faults aimed at what the cluster is doing: crashes among them, since a restart
        // inside one moment of the protocol is what forgets state at the worst time.
        if n.events.is_none() && !events.is_empty() && rng.below(2) == 0 {
            if base.nemesis.as_ref().is_some_and(|b| b.kinds.iter().any(|k| k == "crash"))
                && !n.kinds.iter().any(|k| k == "crash")
            {
                n.kinds.push("crash".into());
            }
            let mut on: Vec<String> =
                events.iter().filter(|_| rng.below(2) == 1).map(|e| e.name.to_string()).collect();
            if on.is_empty() {
                on.push(events[rng.below(events.len() as u64) as usize].name.to_string());
            }
            n.events = Some(on);
            n.delay = Some(DurationRange {
                lo: SimDuration::ZERO,
                hi: SimDuration::from_micros(rng.range_inclusive(1, 5000)),
            });
            // How long an aimed fault lasts: up to 1 ms to 100 ms, log-uniformly, so that one
            // seed in two restarts a crashed node within 10 ms, before the other candidates'
            // RequestVotes or the next AppendEntries reach it.
            if n.aimed_duration.is_none() {
                let hi = 1e6 * libm::pow(10.0, 2.0 * rng.unit_f64());
                n.aimed_duration = Some(DurationRange {
                    lo: SimDuration::from_millis(1),
                    hi: SimDuration(hi as u64),
                });
            }
        }
    }
    let mut rng = root.stream(Stream::Knobs);
    let mut drawn = Vec::new();
    for (key, values) in knobs(base) {
        // Both draws happen for every knob, so one knob's values never shift another's.
        let take = rng.below(2) == 0;
        let value = draw(&values, &mut rng);
        let Some(value) = value.filter(|_| take) else { continue };
        if let Ok(c) = s.with_overrides(&[(key.clone(), value)]) {
            drawn.push((key.clone(), value_at(base, &key)));
            s = c;
        }
    }
    Drawn { scenario: s, knobs: drawn }
}
