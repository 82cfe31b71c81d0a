//! faultline's benchmarks. `phold`: PHOLD-v1 (`../shared/bench/PHOLD.md`) on sim-core's
//! public node API, as a library so tests can check its checksum against the reference.

pub mod phold;
