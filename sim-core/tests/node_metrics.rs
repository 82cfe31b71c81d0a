//! Per-node counters and levels, recorded through a node's context.

use sim_core::{
    Context, Message, Node, NodeId, SimConfig, SimDuration, Simulation, TimerId, Topology,
    TraceOptions,
};

#[derive(Clone, Debug, Hash)]
struct Request;
impl Message for Request {}

/// Clients send a request every 10 ms, to server n1 twice as often as to n2 and never to n3;
/// servers count what they serve and keep a level of requests held (reset every 5th).
struct Server {
    record: bool,
    held: u64,
}

impl Node for Server {
    type Msg = Request;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        if ctx.id().0 >= ctx.topology().servers {
            ctx.set_timer(SimDuration::from_millis(10), ());
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, _: NodeId, _: Request) {
        self.held = (self.held + 1) % 5;
        if self.record {
            ctx.count_here("served", 1);
            ctx.set_here("held", self.held);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _: TimerId, _: ()) {
        let to = NodeId(u32::from(ctx.rng().below(3) == 2));
        ctx.send(to, Request);
        ctx.set_timer(SimDuration::from_millis(10), ());
    }
}

fn run(record: bool) -> (Simulation<Server>, u64) {
    let config = SimConfig::new(7, Topology::new(3, 2).unwrap(), SimDuration::from_secs(2));
    let mut sim =
        Simulation::new(config, TraceOptions::default(), move |_, _| Server { record, held: 0 })
            .unwrap();
    let hash = sim.run().trace_hash;
    (sim, hash)
}

#[test]
fn servers_count_their_own_load_and_the_trace_hash_ignores_it() {
    let (sim, hash) = run(true);
    let m = sim.metrics();
    let served = m.node_counters("served").unwrap();
    assert_eq!(served.len(), 3, "one entry per server; clients recorded nothing");
    assert_eq!(served[2], 0);
    assert_eq!(served[0] + served[1], 2 * 199, "two clients, a request every 10 ms for 2 s");
    assert!(served[0] > served[1], "n1 is picked two times in three: {served:?}");
    // The busiest over the mean of all three servers, the idle n3 included.
    let expected = (served[0] * 3) as f64 / (served[0] + served[1]) as f64;
    assert_eq!(m.node_imbalance("served"), expected);
    let held = m.node_counters("held").unwrap();
    assert_eq!(held[..2], [served[0] % 5, served[1] % 5], "a level is the last value set");
    assert_eq!(m.counter("served"), 0, "global counters are apart");
    // Metrics are observations, not events: recording them leaves the run's fingerprint alone.
    assert_eq!(run(false).1, hash);
}
