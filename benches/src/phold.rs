//! PHOLD-v1 (`../shared/bench/PHOLD.md`) as sim-core nodes.
//!
//! Each logical process is a server node holding its own PHOLD-v1 ChaCha8 stream; each event
//! is one message, to itself or another node, sent with `send_after` (the delay PHOLD draws)
//! over a zero-latency network, so the kernel's event loop, trace hash and dispatch are all on
//! the measured path. The delay uses `f64::ln` exactly as PHOLD-v1 and the bare-loop peer do,
//! so both handle the same events in the same order and print the same checksum.

use clap::Parser;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sim_core::{
    Context, Distribution, Message, Node, NodeId, SimConfig, SimDuration, SimTime, Simulation,
    TimerId, Topology, TraceOptions,
};

/// Model ticks per PHOLD time unit (ticks are read as nanoseconds).
const UNIT: f64 = 1_000_000.0;

/// PHOLD-v1 parameters.
#[derive(Parser, Debug, Clone, Copy)]
#[command(about = "PHOLD-v1 on faultline's kernel")]
pub struct Args {
    /// Logical processes (nodes).
    #[arg(long, default_value_t = 1024)]
    pub lps: u32,
    /// Initial events per LP.
    #[arg(long, default_value_t = 16)]
    pub init: u32,
    /// Events to handle.
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Probability that an event goes to a uniformly chosen LP.
    #[arg(long, default_value_t = 0.9)]
    pub remote: f64,
    /// Fixed part of every delay, in model units.
    #[arg(long, default_value_t = 1.0)]
    pub lookahead: f64,
    /// Mean of the exponential part of every delay, in model units.
    #[arg(long, default_value_t = 1.0)]
    pub mean: f64,
    /// Seed of the LP streams.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// A PHOLD event: carries nothing; who receives it is all that matters.
#[derive(Clone, Debug, Hash)]
pub struct Ev;

impl Message for Ev {}

/// One LP: its PHOLD-v1 stream and how many events it handled.
pub struct Lp {
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

/// A PHOLD model built and started (initial events scheduled), ready to run.
pub struct Model {
    /// The simulation.
    pub sim: Simulation<Lp>,
    args: Args,
}

/// What a PHOLD run reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Events handled.
    pub events: u64,
    /// `Σ count_i · (i+1) mod 2⁶⁴`.
    pub checksum: u64,
    /// Time of the last event, in model units.
    pub sim_end_units: f64,
    /// The kernel's trace hash.
    pub trace_hash: u64,
}

impl Model {
    /// Builds the LPs and schedules the initial events (PHOLD-v1's setup).
    pub fn new(args: Args) -> Result<Model, sim_core::ConfigError> {
        let topo = Topology::new(args.lps, 0)?;
        // Runs end at an event count, not a time: the longest duration a config may have.
        let mut config = SimConfig::new(args.seed, topo, sim_core::config::MAX_DURATION);
        config.network.latency = Distribution::Constant(SimDuration::ZERO);
        // The start events (one per LP) are kernel events too; PHOLD counts only its own.
        config.events_max = args.events + args.lps as u64;
        let mut sim = Simulation::new(config, TraceOptions::default(), move |id, _| {
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            rng.set_stream(id.0 as u64);
            Lp { rng, count: 0, args }
        })?;
        sim.run_until(SimTime::ZERO);
        Ok(Model { sim, args })
    }

    /// Handles `events` events and reports.
    pub fn run(&mut self) -> Outcome {
        let summary = self.sim.run();
        let topo = self.sim.topology().clone();
        let counts: Vec<u64> =
            topo.servers().map(|id| self.sim.node(id).map_or(0, |lp| lp.count)).collect();
        let checksum = counts
            .iter()
            .enumerate()
            .fold(0u64, |acc, (i, c)| acc.wrapping_add(c.wrapping_mul(i as u64 + 1)));
        debug_assert_eq!(self.args.lps as usize, counts.len());
        Outcome {
            events: counts.iter().sum(),
            checksum,
            sim_end_units: summary.end.as_nanos() as f64 / UNIT,
            trace_hash: summary.trace_hash,
        }
    }
}
