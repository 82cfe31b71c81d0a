//! Clocks, crashes, storage, pauses and slow nodes, through the kernel.

use sim_core::{
    Context, FaultName, FaultSpec, Message, Node, NodeId, SimConfig, SimDuration, Simulation,
    TimerId, Topology, TraceOptions,
};

#[derive(Clone, Debug, Hash)]
struct Ping;
impl Message for Ping {}

type Seen = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Records what happens to it; the factory builds a fresh one on every restart.
#[derive(Default)]
struct Probe {
    restarted: bool,
    timer_fired_at_ns: Vec<u64>,
    received_at_ns: Vec<u64>,
    /// What the restarted node read: (synced record, unsynced record).
    seen_on_restart: Option<Seen>,
    /// Ping n2 every this many ms (0: never).
    ping_every_ms: u64,
    busy_ms: u64,
}

impl Probe {
    /// n1 pings n2 every 10 ms; n2 spends `busy_ms` on each ping.
    fn pinging(id: NodeId, busy_ms: u64) -> Probe {
        Probe { ping_every_ms: if id.0 == 0 { 10 } else { 0 }, busy_ms, ..Default::default() }
    }
}

impl Node for Probe {
    type Msg = Ping;
    type Timer = &'static str;

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        ctx.storage().put("synced", vec![1]);
        ctx.storage().sync();
        ctx.storage().put("unsynced", vec![2]);
        ctx.set_timer(SimDuration::from_secs(1), "one-second");
        if self.ping_every_ms > 0 {
            ctx.set_timer(SimDuration::from_millis(self.ping_every_ms), "ping");
        }
    }

    fn on_restart(&mut self, ctx: &mut Context<'_, Self>) {
        self.restarted = true;
        let read =
            |ctx: &mut Context<'_, Self>, k| ctx.storage().get(k).unwrap().map(<[u8]>::to_vec);
        self.seen_on_restart = Some((read(ctx, "synced"), read(ctx, "unsynced")));
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _: NodeId, _: Ping) {
        self.received_at_ns.push(ctx.sim_time().as_nanos());
        if self.busy_ms > 0 {
            ctx.busy(SimDuration::from_millis(self.busy_ms));
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _: TimerId, t: &'static str) {
        match t {
            "ping" => {
                ctx.send(NodeId(1), Ping);
                ctx.set_timer(SimDuration::from_millis(self.ping_every_ms), "ping");
            }
            _ => self.timer_fired_at_ns.push(ctx.sim_time().as_nanos()),
        }
    }
}

fn run(
    faults: &str,
    duration_s: u64,
    probe: impl Fn(NodeId) -> Probe + Send + 'static,
) -> Simulation<Probe> {
    #[derive(serde::Deserialize)]
    struct F {
        fault: Vec<FaultSpec>,
    }
    let mut c = SimConfig::new(1, Topology::new(2, 0).unwrap(), SimDuration::from_secs(duration_s));
    c.faults = toml::from_str::<F>(faults).unwrap().fault;
    let mut sim = Simulation::new(c, TraceOptions::default(), move |id, _| probe(id)).unwrap();
    sim.run();
    sim
}

#[test]
fn a_fast_clock_fires_a_one_second_timer_at_999_001_000_ns() {
    let sim =
        run("[[fault]]\nat = \"0s\"\nkind = \"clock\"\nnode = \"n1\"\ndrift_ppm = 1000", 2, |_| {
            Probe::default()
        });
    assert_eq!(sim.node(NodeId(0)).unwrap().timer_fired_at_ns, [999_001_000]);
    assert_eq!(sim.node(NodeId(1)).unwrap().timer_fired_at_ns, [1_000_000_000]);
}

#[test]
fn a_clock_step_forward_fires_timers_early() {
    let sim = run(
        "[[fault]]\nat = \"100ms\"\nkind = \"clock\"\nnode = \"n1\"\nstep = \"400ms\"",
        2,
        |_| Probe::default(),
    );
    assert_eq!(sim.node(NodeId(0)).unwrap().timer_fired_at_ns, [600_000_000]);
}

#[test]
fn a_crash_loses_unsynced_writes_timers_and_volatile_state() {
    let sim = run(
        "[[fault]]\nat = \"100ms\"\nkind = \"crash\"\nnode = \"n1\"\nrestart_after = \"50ms\"",
        2,
        |_| Probe::default(),
    );
    let n1 = sim.node(NodeId(0)).unwrap();
    assert!(n1.restarted, "rebuilt by the factory and told it restarted");
    assert_eq!(
        n1.seen_on_restart,
        Some((Some(vec![1]), None)),
        "synced survives, unsynced is lost"
    );
    assert!(n1.timer_fired_at_ns.is_empty(), "the one-second timer died with the crash");
    assert_eq!(sim.node(NodeId(1)).unwrap().timer_fired_at_ns.len(), 1);
}

#[test]
fn messages_to_a_crashed_node_are_dropped() {
    let sim = run(
        "[[fault]]\nat = \"500ms\"\nkind = \"crash\"\nnode = \"n2\"\nduration = \"500ms\"",
        2,
        |id| Probe::pinging(id, 0),
    );
    let got = &sim.node(NodeId(1)).unwrap().received_at_ns;
    assert!(got.iter().all(|&t| !(500_000_000..1_000_000_000).contains(&t)));
    assert!(got.iter().any(|&t| t > 1_000_000_000), "after the restart pings arrive again");
}

#[test]
fn a_paused_node_gets_its_inputs_late_but_all_of_them() {
    let sim = run(
        "[[fault]]\nat = \"500ms\"\nkind = \"pause\"\nnode = \"n2\"\nduration = \"300ms\"",
        2,
        |id| Probe::pinging(id, 0),
    );
    let got = &sim.node(NodeId(1)).unwrap().received_at_ns;
    assert!(
        got.iter().all(|&t| !(500_000_000..800_000_000).contains(&t)),
        "nothing handled while paused"
    );
    assert_eq!(
        got.iter().filter(|&&t| t == 800_000_000).count(),
        30,
        "the queued pings, at resume"
    );
    assert_eq!(sim.node(NodeId(0)).map(|n| n.ping_every_ms), Some(10));
}

#[test]
fn a_slow_node_processes_proportionally_slower() {
    // n2 takes 2 ms per ping, 20 ms when 10× slow; pings come every 10 ms, so it falls behind.
    let sim = run("[[fault]]\nat = \"0s\"\nkind = \"slow\"\nnode = \"n2\"\nfactor = 10", 1, |id| {
        Probe::pinging(id, 2)
    });
    let got = &sim.node(NodeId(1)).unwrap().received_at_ns;
    let gaps: Vec<u64> = got.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().skip(2).all(|&g| g == 20_000_000), "{gaps:?}");
}

#[test]
fn a_disk_fault_corrupts_a_record() {
    let sim = run(
        "[[fault]]\nat = \"10ms\"\nkind = \"disk\"\nnode = \"n1\"\nmode = \"corrupt\"",
        1,
        |_| Probe::default(),
    );
    let s = sim.storage(NodeId(0));
    let corrupt = ["synced", "unsynced"].iter().filter(|k| s.get(k).is_err()).count();
    assert_eq!(corrupt, 1);
}

#[test]
fn verbs_inject_recorded_faults_between_steps() {
    let c = SimConfig::new(1, Topology::new(2, 0).unwrap(), SimDuration::from_secs(1));
    let mut sim =
        Simulation::new(c, TraceOptions::default(), |id, _| Probe::pinging(id, 0)).unwrap();
    sim.run_until(sim_core::SimTime(100_000_000));
    let cut = sim.partition(&[vec![NodeId(0)], vec![NodeId(1)]]);
    let before = sim.node(NodeId(1)).unwrap().received_at_ns.len();
    sim.run_until(sim_core::SimTime(300_000_000));
    assert_eq!(sim.node(NodeId(1)).unwrap().received_at_ns.len(), before, "the cut holds");
    sim.heal(cut);
    let paused = sim.pause(NodeId(1));
    sim.run_until(sim_core::SimTime(400_000_000));
    sim.heal(paused);
    sim.run();
    let got = &sim.node(NodeId(1)).unwrap().received_at_ns;
    // Pings sent at 310..390 ms (the one at 300 ms met the cut) waited for the resume.
    assert_eq!(got.iter().filter(|&&t| t == 400_000_000).count(), 9, "queued while paused");
    let kinds: Vec<FaultName> = sim.fault_records().iter().map(|r| r.spec.kind.name()).collect();
    assert_eq!(kinds, [FaultName::Partition, FaultName::Pause]);
    assert!(sim.fault_records().iter().all(|r| r.healed_at_ns.is_some()));
    assert!(sim.slow(NodeId(0), 0.5).is_err(), "a factor below 1 is refused");
}
