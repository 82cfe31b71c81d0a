//! PHOLD-v1 (`../shared/bench/PHOLD.md`) on sim-core's public node API.
//!
//! Each logical process is a server node holding its own PHOLD-v1 ChaCha8 stream; each event
//! is one message, to itself or another node, sent with `send_after` (the delay PHOLD draws)
//! over a zero-latency network, so the kernel's event loop, trace hash and dispatch are all on
//! the measured path. Prints one `key=value` line with the baseline's keys.

use std::time::Instant;

use clap::Parser;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sim_core::{
    Context, Distribution, Message, Node, NodeId, SimConfig, SimDuration, Simulation, TimerId,
    Topology, TraceOptions,
};

/// Model ticks per PHOLD time unit (ticks are read as nanoseconds).
const UNIT: f64 = 1_000_000.0;

/// PHOLD-v1 parameters.
#[derive(Parser, Debug, Clone, Copy)]
#[command(about = "PHOLD-v1 on faultline's kernel")]
struct Args {
    /// Logical processes (nodes).
    #[arg(long, default_value_t = 1024)]
    lps: u32,
    /// Initial events per LP.
    #[arg(long, default_value_t = 16)]
    init: u32,
    /// Events to handle.
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Probability that an event goes to a uniformly chosen LP.
    #[arg(long, default_value_t = 0.9)]
    remote: f64,
    /// Fixed part of every delay, in model units.
    #[arg(long, default_value_t = 1.0)]
    lookahead: f64,
    /// Mean of the exponential part of every delay, in model units.
    #[arg(long, default_value_t = 1.0)]
    mean: f64,
    /// Seed of the LP streams.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// A PHOLD event: carries nothing; who receives it is all that matters.
#[derive(Clone, Debug, Hash)]
struct Ev;

impl Message for Ev {}

/// One LP: its PHOLD-v1 stream and how many events it handled.
struct Lp {
    rng: ChaCha8Rng,
    count: u64,
    args: Args,
}

#[inline(always)]
fn u01(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Lp {
    /// `round(LOOKAHEAD·10⁶) + trunc(Exp(MEAN)·10⁶)` ticks.
    #[inline(always)]
    fn delay(&mut self) -> SimDuration {
        let exp = -self.args.mean * (1.0 - u01(self.rng.next_u64())).ln();
        SimDuration((self.args.lookahead * UNIT).round() as u64 + (exp * UNIT) as u64)
    }
}

impl Node for Lp {
    type Msg = Ev;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        for _ in 0..self.args.init {
            let d = self.delay();
            ctx.send_after(ctx.id(), Ev, d);
        }
    }

    #[inline]
    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, _msg: Ev) {
        self.count += 1;
        let me = ctx.id();
        let dest = if u01(self.rng.next_u64()) < self.args.remote {
            NodeId(((self.rng.next_u64() as u128 * self.args.lps as u128) >> 64) as u32)
        } else {
            me
        };
        let d = self.delay();
        ctx.send_after(dest, Ev, d);
    }

    fn on_timer(&mut self, _: &mut Context<'_, Self>, _: TimerId, _: ()) {}
}

// A benchmark measures wall time around the run, never inside it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let args = Args::parse();
    let setup = Instant::now();
    let topo = Topology::new(args.lps, 0).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let mut config = SimConfig::new(args.seed, topo, SimDuration(u64::MAX / 4));
    config.network.latency = Distribution::Constant(SimDuration::ZERO);
    // The start events (one per LP) are kernel events too; PHOLD counts only its own.
    config.events_max = args.events + args.lps as u64;
    let mut sim = Simulation::new(config, TraceOptions::default(), move |id, _| {
        let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
        rng.set_stream(id.0 as u64);
        Lp {
            rng,
            count: 0,
            args,
        }
    })
    .expect("PHOLD config is valid");
    // Starting the nodes schedules the initial events: part of setup, as PHOLD-v1 says.
    sim.run_until(sim_core::SimTime::ZERO);
    let setup_s = setup.elapsed().as_secs_f64();

    let run = Instant::now();
    let summary = sim.run();
    let run_s = run.elapsed().as_secs_f64();

    let counts: Vec<u64> = topo
        .servers()
        .map(|id| sim.node(id).map_or(0, |lp| lp.count))
        .collect();
    let events: u64 = counts.iter().sum();
    let checksum = counts.iter().enumerate().fold(0u64, |acc, (i, c)| {
        acc.wrapping_add(c.wrapping_mul(i as u64 + 1))
    });
    println!(
        "peer=faultline variant=sim-core n={} e0={} total={} events={} sim_end_units={:.6} \
         setup_s={:.4} run_s={:.4} events_per_s={:.0} ns_per_event={:.1} checksum={} trace_hash={:016x}",
        args.lps,
        args.init,
        args.events,
        events,
        summary.end.as_nanos() as f64 / UNIT,
        setup_s,
        run_s,
        events as f64 / run_s,
        run_s * 1e9 / events as f64,
        checksum,
        summary.trace_hash,
    );
}
