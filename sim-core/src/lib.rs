//! faultline's deterministic discrete-event kernel.
//!
//! sim-core knows no protocol. It runs nodes — sans-IO state machines, servers and clients
//! alike — on one event queue ordered by (time, sequence), through a network model with
//! latency distributions, loss, duplication, reordering and partitions; gives each node a
//! drifting local clock, a random stream and durable storage with explicit sync; injects
//! faults from a schedule or a seeded nemesis; and folds every decision into a 64-bit trace
//! hash, so one seed fixes a run exactly.
//!
//! ```
//! use sim_core::{Context, Message, Node, NodeId, SimConfig, SimDuration, Simulation, Topology, TimerId, TraceOptions};
//!
//! #[derive(Clone, Debug, Hash)]
//! struct Ping(u32);
//! impl Message for Ping {}
//!
//! /// Each server pings the next one every 10 ms of its local clock.
//! struct Pinger { sent: u32 }
//! impl Node for Pinger {
//!     type Msg = Ping;
//!     type Timer = ();
//!     fn on_start(&mut self, ctx: &mut Context<'_, Self>) {
//!         ctx.set_timer(SimDuration::from_millis(10), ());
//!     }
//!     fn on_message(&mut self, ctx: &mut Context<'_, Self>, _from: NodeId, _msg: Ping) {
//!         ctx.metrics().count("pings", 1);
//!     }
//!     fn on_timer(&mut self, ctx: &mut Context<'_, Self>, _id: TimerId, _t: ()) {
//!         let next = NodeId((ctx.id().0 + 1) % ctx.topology().servers);
//!         self.sent += 1;
//!         ctx.send(next, Ping(self.sent));
//!         ctx.set_timer(SimDuration::from_millis(10), ());
//!     }
//! }
//!
//! let topo = Topology::new(3, 0).unwrap();
//! let config = SimConfig::new(42, topo, SimDuration::from_secs(1));
//! let mut sim = Simulation::new(config, TraceOptions::default(), |_, _| Pinger { sent: 0 }).unwrap();
//! let summary = sim.run();
//! assert_eq!(sim.metrics().counter("pings"), 3 * 99);
//! println!("trace hash {:016x}", summary.trace_hash);
//! ```

#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod determinism;
pub mod distribution;
pub mod faults;
pub mod history;
pub mod jsonl;
pub mod metrics;
pub mod network;
pub mod node;
pub mod rng;
pub mod sim;
pub mod storage;
pub mod time;
pub mod topology;
pub mod trace;

// Kernel internals: the event queue, the storage log's representation, normal draws.
mod queue;
mod record_log;
mod ziggurat;

// What a protocol author needs: the node trait and its context, and the values a node handles.
pub use clock::Clock;
pub use history::{HistoryEntry, OpType};
pub use metrics::Metrics;
pub use node::{Context, MembershipChange, Message, Node, NodeStatus, TimerId};
pub use rng::{Probability, SimRng};
pub use storage::{Storage, StorageError};
pub use time::{LocalTime, SimDuration, SimTime};
pub use topology::{NodeId, NodeKind, Topology};

// What a harness needs to configure a run, run it and read what happened. Config value types
// used only inside these (bandwidth, signed durations, disk modes) stay in their modules.
pub use clock::ClockConfig;
pub use config::{ConfigError, DurationRange, Selector};
pub use distribution::Distribution;
pub use faults::{FaultKind, FaultName, FaultRecord, FaultSpec, NemesisConfig, NodeSet};
pub use metrics::{DistributionSummary, MetricValue};
pub use network::NetworkConfig;
pub use rng::{RngRoot, Stream};
pub use sim::{Outcome, RunSummary, SimConfig, Simulation};
pub use trace::{Divergence, TraceOptions, TraceRecord};
