//! Determinism checks: run twice, compare hashes, and find the first diverging event.
//!
//! Both runs keep a checkpoint of the running hash every [`CHECKPOINT_EVERY`] records. If the
//! final hashes differ, the first differing checkpoint bounds the divergence to one window;
//! both runs are repeated capturing only that window's records, and the first record that
//! differs is returned. Memory stays small however long the run: one `u64` per window.

use crate::node::Node;
use crate::sim::Simulation;
use crate::trace::{Divergence, TraceOptions, first_divergence};

/// Records per checkpoint.
pub const CHECKPOINT_EVERY: u64 = 1024;

/// Runs the simulation `build` makes twice. Returns the trace hash if both runs agree, or
/// where they first diverge. `build` must construct the same scenario each time.
pub fn check<N: Node>(
    mut build: impl FnMut(TraceOptions) -> Simulation<N>,
) -> Result<u64, Box<Divergence>> {
    let run = |build: &mut dyn FnMut(TraceOptions) -> Simulation<N>, options| {
        let mut sim = build(options);
        sim.run();
        sim
    };
    let with_checkpoints =
        || TraceOptions { checkpoint_every: CHECKPOINT_EVERY, ..Default::default() };
    let a = run(&mut build, with_checkpoints());
    let b = run(&mut build, with_checkpoints());
    if a.trace().hash() == b.trace().hash() && a.trace().len() == b.trace().len() {
        return Ok(a.trace().hash());
    }
    let (ca, cb) = (a.trace().checkpoints(), b.trace().checkpoints());
    let window =
        ca.iter().zip(cb).position(|(x, y)| x != y).unwrap_or(ca.len().min(cb.len())) as u64;
    let range = window * CHECKPOINT_EVERY..(window + 1) * CHECKPOINT_EVERY;
    let capture = || TraceOptions { capture: Some(range.clone()), ..Default::default() };
    let a = run(&mut build, capture());
    let b = run(&mut build, capture());
    let found = first_divergence(a.trace().captured().to_vec(), b.trace().captured().to_vec());
    Err(Box::new(found.unwrap_or(Divergence {
        // The windows matched when captured again: the runs are not even reproducible
        // divergently. Report the window's start.
        index: range.start,
        left: None,
        right: None,
    })))
}
