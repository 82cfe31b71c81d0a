//! Queueing theory: the kernel's CPU model (`Context::busy`), timers and message delivery
//! reproduce textbook results. Arrivals are Poisson (exponential gaps drawn by a source node),
//! the network has zero latency, and a request's response time is measured from its creation
//! to the response's arrival back at the source.
//!
//! - M/M/1: mean response time `1/(μ-λ)`;
//! - M/D/1: Pollaczek–Khinchine, `1/μ + ρ/(2μ(1-ρ))` (its queue wait is half of M/M/1's);
//! - M/M/c: Erlang C, `C(c, λ/μ)/(cμ-λ) + 1/μ`.
//!
//! Each case pins a seed and allows 3% (the runs are long enough that the statistical error
//! is well inside that).

use std::collections::VecDeque;

use sim_core::{
    Context, Distribution, Message, Node, NodeId, SimConfig, SimDuration, SimRng, Simulation,
    TimerId, Topology, TraceOptions,
};

/// Service time per request: 1 ms mean (μ = 1 per ms).
const SERVICE_MEAN_NS: f64 = 1_000_000.0;

#[derive(Clone, Debug, Hash)]
enum Msg {
    Request { created_ns: u64 },
    Response { created_ns: u64 },
}

impl Message for Msg {}

#[derive(Clone, Copy)]
enum Service {
    Exponential,
    Deterministic,
}

fn exp_ns(rng: &mut SimRng, mean: f64) -> u64 {
    (-mean * libm::log(1.0 - rng.unit_f64())) as u64
}

enum Station {
    /// Poisson source (node 0): sends requests to node 1, records response times.
    Source { gap_mean_ns: f64, customers: u64, sent: u64, sum_ns: f64, done: u64, warmup: u64 },
    /// Single server (M/M/1, M/D/1): the kernel queues requests while it is busy.
    Server { service: Service },
    /// M/M/c front end: a central FIFO queue and `c` workers (nodes 2..2+c).
    Dispatcher { idle: Vec<NodeId>, queue: VecDeque<u64> },
    /// M/M/c worker: serves one request at a time for the dispatcher.
    Worker,
}

impl Node for Station {
    type Msg = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
        if let Station::Source { gap_mean_ns, .. } = self {
            let gap = exp_ns(ctx.rng(), *gap_mean_ns);
            ctx.set_timer(SimDuration(gap), ());
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _: TimerId, _: ()) {
        if let Station::Source { gap_mean_ns, customers, sent, .. } = self {
            let created_ns = ctx.sim_time().as_nanos();
            ctx.send(NodeId(1), Msg::Request { created_ns });
            *sent += 1;
            if *sent < *customers {
                let gap = exp_ns(ctx.rng(), *gap_mean_ns);
                ctx.set_timer(SimDuration(gap), ());
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Self>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Station::Source { sum_ns, done, warmup, .. }, Msg::Response { created_ns }) => {
                *done += 1;
                if *done > *warmup {
                    *sum_ns += (ctx.sim_time().as_nanos() - created_ns) as f64;
                }
            }
            (Station::Server { service }, Msg::Request { created_ns }) => {
                let s = match service {
                    Service::Exponential => exp_ns(ctx.rng(), SERVICE_MEAN_NS),
                    Service::Deterministic => SERVICE_MEAN_NS as u64,
                };
                ctx.busy(SimDuration(s));
                ctx.send_after(from, Msg::Response { created_ns }, SimDuration(s));
            }
            (Station::Dispatcher { idle, queue }, Msg::Request { created_ns }) => {
                match idle.pop() {
                    Some(w) => ctx.send(w, Msg::Request { created_ns }),
                    None => queue.push_back(created_ns),
                }
            }
            (Station::Dispatcher { idle, queue }, Msg::Response { created_ns }) => {
                ctx.send(NodeId(0), Msg::Response { created_ns });
                match queue.pop_front() {
                    Some(next) => ctx.send(from, Msg::Request { created_ns: next }),
                    None => idle.push(from),
                }
            }
            (Station::Worker, Msg::Request { created_ns }) => {
                let s = exp_ns(ctx.rng(), SERVICE_MEAN_NS);
                ctx.busy(SimDuration(s));
                ctx.send_after(from, Msg::Response { created_ns }, SimDuration(s));
            }
            _ => panic!("unexpected message"),
        }
    }
}

/// Runs `customers` through the stations and returns the mean response time in ms (the first
/// 1% are a warm-up and not counted).
fn mean_response_ms(
    seed: u64,
    lambda_per_ms: f64,
    customers: u64,
    make: impl Fn(NodeId) -> Station + Send + 'static,
) -> f64 {
    let workers = 8;
    let topo = Topology::new(2 + workers, 0).unwrap();
    let mut c = SimConfig::new(seed, topo, SimDuration::from_secs(100_000));
    c.network.latency = Distribution::Constant(SimDuration::ZERO);
    let gap_mean_ns = SERVICE_MEAN_NS / lambda_per_ms;
    let mut sim = Simulation::new(c, TraceOptions::default(), move |id, _| {
        if id.0 == 0 {
            Station::Source {
                gap_mean_ns,
                customers,
                sent: 0,
                sum_ns: 0.0,
                done: 0,
                warmup: customers / 100,
            }
        } else {
            make(id)
        }
    })
    .unwrap();
    sim.run();
    match sim.node(NodeId(0)) {
        Some(Station::Source { sum_ns, done, warmup, .. }) => {
            assert_eq!(*done, customers, "every customer was served");
            sum_ns / (done - warmup) as f64 / 1e6
        }
        _ => unreachable!(),
    }
}

fn assert_within_3_percent(name: &str, got: f64, want: f64) {
    let err = (got - want).abs() / want;
    println!("{name}: mean response {got:.4} ms, theory {want:.4} ms, error {:.2}%", err * 100.0);
    assert!(err < 0.03, "{name}: {got:.4} ms vs {want:.4} ms ({:.2}% off)", err * 100.0);
}

#[test]
fn mm1_at_utilisation_half() {
    let got =
        mean_response_ms(1, 0.5, 200_000, |_| Station::Server { service: Service::Exponential });
    assert_within_3_percent("M/M/1 rho=0.5", got, 1.0 / (1.0 - 0.5));
}

#[test]
fn mm1_at_utilisation_0_8() {
    let got =
        mean_response_ms(2, 0.8, 1_000_000, |_| Station::Server { service: Service::Exponential });
    assert_within_3_percent("M/M/1 rho=0.8", got, 1.0 / (1.0 - 0.8));
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let rho = 0.8;
    let got =
        mean_response_ms(3, rho, 500_000, |_| Station::Server { service: Service::Deterministic });
    let want = 1.0 + rho / (2.0 * (1.0 - rho));
    assert_within_3_percent("M/D/1 rho=0.8", got, want);
    // Its queue wait is half of M/M/1's at the same load.
    let mm1_wait = rho / (1.0 - rho);
    let ratio = (got - 1.0) / mm1_wait;
    assert!((ratio / 0.5 - 1.0).abs() < 0.03, "M/D/1 wait is {ratio:.3} of M/M/1's");
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load `a`.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let top = term * a / c as f64 * (c as f64 / (c as f64 - a));
    top / (sum + top)
}

#[test]
fn mmc_matches_erlang_c() {
    let c = 3u32;
    let lambda = 2.4; // per ms, so rho = 0.8
    let got = mean_response_ms(4, lambda, 600_000, move |id| {
        if id.0 == 1 {
            Station::Dispatcher {
                idle: (2..2 + c).rev().map(NodeId).collect(),
                queue: VecDeque::new(),
            }
        } else {
            Station::Worker
        }
    });
    let want = erlang_c(c, lambda) / (c as f64 - lambda) + 1.0;
    assert_within_3_percent("M/M/3 rho=0.8", got, want);
}
