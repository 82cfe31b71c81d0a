//! The protocol platform: what a protocol declares to faultline, and the one driver that runs
//! any protocol.
//!
//! A protocol crate implements [`Protocol`] (its parameters, node groups, known bugs, headline
//! figure, message classes, how the shrinker may reduce it, and how to prepare a run from a
//! scenario's [`Setup`]) and, for the run itself, [`Model`] (build the simulation; judge and measure it
//! when it ends). [`Driver`] turns any model into a [`Run`]: it runs the simulation, keeps the
//! trace, checks the client history for linearizability when the configuration promises it,
//! guards liveness against a run cut short by `events_max`, and returns one [`RunResult`]
//! shape that summaries, reports, sweeps and hunts read without knowing the protocol.
//!
//! Dependencies point one way: protocol crates → platform → workload / check → sim-core.

#![deny(missing_docs)]

pub mod checks;
pub mod driver;
pub mod protocol;
pub mod result;
pub mod series;

pub use driver::{Driver, Judgement, Model, Run};
pub use protocol::{
    Declaration, Group, Knob, KnownBug, MessageClass, Parameter, Protocol, ProtocolEvent, Setup,
    Shrinkable,
};
pub use result::{RunResult, Stopwatch, Verdict};
pub use series::{SeriesChart, SeriesLine, Show};
