//! Determinism: one config and seed give one trace hash, on any thread, every time.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{Chatter, Note};
use sim_core::{
    Context, FaultName, Node, NodeId, SimConfig, SimDuration, Simulation, TimerId, Topology,
    TraceOptions, determinism,
};

/// A busy scenario: lognormal latency, loss, duplication, drifting clocks, and a nemesis that
/// draws every fault kind.
fn config(seed: u64) -> SimConfig {
    let mut c = SimConfig::new(seed, Topology::new(5, 3).unwrap(), SimDuration::from_secs(10));
    c.network = toml::from_str(
        r#"
        latency = { dist = "lognormal", p50 = "1ms", p99 = "10ms" }
        loss = 0.01
        duplicate = 0.01
        "#,
    )
    .unwrap();
    c.clock = toml::from_str("offset = \"10ms\"\ndrift_ppm = 100").unwrap();
    let kinds: Vec<String> = FaultName::ALL.iter().map(|k| format!("{:?}", k.as_str())).collect();
    c.nemesis = Some(
        toml::from_str(&format!(
            r#"
            kinds = [{}]
            interval = "300ms"
            duration = "50ms..800ms"
            "#,
            kinds.join(", ")
        ))
        .unwrap(),
    );
    c.quiet = Some(SimDuration::from_secs(1));
    c
}

fn build(seed: u64, trace: TraceOptions) -> Simulation<Chatter> {
    Simulation::new(config(seed), trace, |_, _| Chatter::new(SimDuration::from_millis(2), None))
        .unwrap()
}

fn hash(seed: u64) -> u64 {
    let mut sim = build(seed, TraceOptions::default());
    let s = sim.run();
    assert!(s.events > 10_000, "the scenario does real work: {} events", s.events);
    s.trace_hash
}

#[test]
fn same_seed_same_hash_twice() {
    assert_eq!(hash(7), hash(7));
}

#[test]
fn same_seed_same_hash_on_concurrent_threads() {
    let expected = hash(11);
    let hashes: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| hash(11))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(hashes.iter().all(|&h| h == expected), "{hashes:x?} vs {expected:x}");
}

#[test]
fn running_in_slices_for_a_progress_bar_changes_nothing() {
    let mut sim = build(7, TraceOptions::default());
    let mut reached = Vec::new();
    let s = sim.run_reporting(100, |t| reached.push(t));
    assert_eq!(s.trace_hash, hash(7));
    assert_eq!(reached.len(), 100);
    assert!(reached.windows(2).all(|w| w[0] < w[1]), "progress only moves forward");
    assert_eq!(reached.last().copied(), Some(sim.config().end()));
}

#[test]
fn different_seeds_different_hashes() {
    let hashes: std::collections::BTreeSet<u64> = (1..=8).map(hash).collect();
    assert_eq!(hashes.len(), 8);
}

#[test]
fn the_nemesis_really_faults_the_run() {
    let mut sim = build(3, TraceOptions::default());
    sim.run();
    let kinds: std::collections::BTreeSet<FaultName> =
        sim.fault_records().iter().map(|r| r.spec.kind.name()).collect();
    assert!(kinds.len() >= 8, "kinds drawn: {kinds:?}");
    assert!(sim.fault_records().iter().any(|r| !r.resolved.is_empty()));
}

#[test]
fn determinism_check_passes_for_a_deterministic_run() {
    let got = determinism::check(|t| build(5, t)).unwrap();
    assert_eq!(got, hash(5));
}

/// A node that smuggles state between runs through a global: the canary the check must catch.
struct Leaky {
    inner: Chatter,
}

static RUNS: AtomicU64 = AtomicU64::new(0);

impl Node for Leaky {
    type Msg = Note;
    type Timer = ();
    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        ctx.set_timer(SimDuration::from_millis(1), ());
    }
    fn on_message(&mut self, _: &mut Context<'_, Self>, _: NodeId, _: Note) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _: TimerId, _: ()) {
        self.inner.sent += 1;
        // After a while, the message depends on how many runs this process has done.
        let leak = if self.inner.sent > 1500 { RUNS.load(Ordering::Relaxed) } else { 0 };
        ctx.send(NodeId(1 - ctx.id().0), Note { seq: self.inner.sent, sent_at_ns: leak });
        ctx.set_timer(SimDuration::from_millis(1), ());
    }
}

#[test]
fn determinism_check_finds_the_first_divergence() {
    let err = determinism::check(|t| {
        RUNS.fetch_add(1, Ordering::Relaxed);
        let c = SimConfig::new(1, Topology::new(2, 0).unwrap(), SimDuration::from_secs(3));
        Simulation::new(c, t, |_, _| Leaky {
            inner: Chatter::new(SimDuration::from_millis(1), None),
        })
        .unwrap()
    })
    .unwrap_err();
    let (l, r) = (err.left.unwrap(), err.right.unwrap());
    assert_eq!(l.index, err.index);
    assert_eq!(l.kind, sim_core::trace::TraceKind::Send);
    assert_ne!(l.b, r.b, "the message digests differ");
    assert!(l.detail.contains("sent_at_ns"), "{}", l.detail);
    // Timers and sends before the leak are identical, so the divergence is past them.
    assert!(err.index > 3 * 1500, "divergence at {}", err.index);
}

#[test]
fn replaying_the_fault_records_reproduces_the_run() {
    let mut original = build(9, TraceOptions::default());
    let h = original.run().trace_hash;
    let topo = original.topology().clone();
    let replay_faults: Vec<_> =
        original.fault_records().iter().filter_map(|r| r.replayable(&topo)).collect();
    assert!(replay_faults.len() > 10);
    let mut c = config(9);
    c.nemesis = None;
    c.faults = replay_faults;
    let mut replay = Simulation::new(c, TraceOptions::default(), |_, _| {
        Chatter::new(SimDuration::from_millis(2), None)
    })
    .unwrap();
    assert_eq!(replay.run().trace_hash, h);
    let concrete = |s: &Simulation<Chatter>| -> Vec<_> {
        s.fault_records().iter().filter_map(|r| r.replayable(&topo)).collect()
    };
    assert_eq!(concrete(&replay), concrete(&original));
}

#[test]
fn events_max_is_a_reported_outcome() {
    let mut c = config(1);
    c.events_max = 1000;
    let mut sim = Simulation::new(c, TraceOptions::default(), |_, _| {
        Chatter::new(SimDuration::from_millis(2), None)
    })
    .unwrap();
    let s = sim.run();
    assert_eq!(s.outcome, sim_core::Outcome::EventsMax);
    assert_eq!(s.events, 1000);
}

#[derive(Clone, Default)]
struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn exported(seed: u64) -> (u64, u64, Vec<sim_core::TraceRecord>) {
    let buf = SharedBuf::default();
    let options = TraceOptions { jsonl: Some(Box::new(buf.clone())), ..Default::default() };
    let mut sim = build(seed, options);
    let s = sim.run();
    sim.finish_trace().unwrap();
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (s.trace_hash, sim.trace().len(), sim_core::trace::read_jsonl(&text).unwrap())
}

#[test]
fn the_json_lines_trace_is_complete_and_reproducible() {
    let (hash, len, records) = exported(6);
    assert_eq!(hash, self::hash(6), "exporting does not change the run");
    assert_eq!(records.len() as u64, len, "one line per record");
    assert!(records.iter().enumerate().all(|(i, r)| r.index == i as u64));
    let kinds: std::collections::BTreeSet<String> =
        records.iter().map(|r| format!("{:?}", r.kind)).collect();
    for k in [
        "Send",
        "Deliver",
        "Drop",
        "Duplicate",
        "TimerSet",
        "TimerFire",
        "Fault",
        "Heal",
        "Crash",
        "Restart",
        "Start",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
    let (_, _, again) = exported(6);
    assert_eq!(sim_core::trace::first_divergence(records.clone(), again), None);
    let (_, _, other) = exported(7);
    assert!(sim_core::trace::first_divergence(records, other).is_some());
}

#[test]
fn a_simulation_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Simulation<Chatter>>();
}
