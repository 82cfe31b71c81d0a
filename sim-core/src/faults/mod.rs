//! Faults: the timed schedule, the seeded random nemesis, and the record of what happened.
//!
//! A scenario's `[[fault]]` entries and its `[nemesis]` are expanded before the run into one list
//! of [`FaultSpec`]s sorted by time
//! ([`Simulation::planned_faults`](crate::Simulation::planned_faults)); selectors in them
//! (`leader`, `random`, `minority`) are resolved only when each fault happens, and the run records
//! every fault with the nodes it resolved to ([`FaultRecord`]). [`FaultRecord::replayable`] turns a
//! record back into a spec that names those nodes, so a run's faults can be written out and
//! replayed exactly. A selector that finds no node (no leader yet) skips its fault, and the record
//! says so.
//!
//! Kinds and their fields:
//! `partition` (`groups` = lists of node names, or `isolate` = a selector: the selected
//! servers against the other servers; nodes in no group, clients included, keep all their
//! links), `partition-oneway` (`from`, `to`: node lists or selectors; messages from → to are
//! dropped), `bridge` (`node`: the other servers of its group split in two halves that cannot
//! talk, the node talks to both), `crash` (`node`, optional `restart_after`), `pause` (`node`), `slow` (`node`,
//! `factor` ≥ 1: the node's processing takes that many times longer), `clock` (`node`, `step`
//! (signed) or `drift_ppm`), `loss` (`rate`, optional `nodes`, optional `classes`: only
//! messages whose [`Message::class`](crate::Message::class) is one of them), `latency`
//! (`extra`, a distribution, optional `nodes`), `duplicate` (`rate`), `disk` (`node`, `mode` =
//! `lose-unsynced` | `corrupt`). Any fault may have a `duration`, after which it heals: the
//! partition or network fault is lifted, a crashed node restarts (unless `restart_after` says
//! when), a paused node resumes, a slow node runs at full speed, a clock drift returns to the
//! node's own (a clock step and a disk fault are not undone).

// The model (kinds, specs, records) in `model`; the random nemesis in `nemesis`; what each
// kind does to a running simulation in `effects`.
mod effects;
mod membership;
mod model;
mod nemesis;

pub(crate) use membership::absent_at_start;
pub use model::{DiskMode, FaultKind, FaultName, FaultRecord, FaultSpec, NodeSet, SELECTORS};
pub(crate) use nemesis::expand;
pub use nemesis::{MAX_NEMESIS_FAULTS, NemesisConfig};
