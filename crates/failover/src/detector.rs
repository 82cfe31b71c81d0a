//! Failure detectors: what a monitor concludes from the heartbeats it has (or has not) received.
//!
//! A detector is fed the local-clock readings ([`LocalTime`]) at which a node's heartbeats
//! arrived, and asked, at a later reading, whether it suspects the node. It never sees global
//! time: a monitor whose clock runs fast suspects early, as a real one would. Both detectors
//! also say when they will start suspecting if nothing more arrives, so the protocol can set one
//! check timer instead of polling.
//!
//! - [`HeartbeatDetector`]: a fixed timeout of `interval · misses`.
//! - [`PhiAccrual`]: the phi accrual detector of Hayashibara et al. (2004), as Akka implements
//!   it: a suspicion level `phi` that grows with the silence, relative to how regular the recent
//!   heartbeats were.
//!
//! Both are plain state machines with no randomness; phi's floating point goes through `libm`
//! (see [`normal_quantile`]) so a seed gives the same suspicions on every platform.

mod heartbeat;
mod normal;
mod phi;

pub use heartbeat::HeartbeatDetector;
pub use normal::{normal_quantile, normal_upper_tail};
pub use phi::{MAX_INTERVAL, MAX_WINDOW, PHI_MAX, PhiAccrual, PhiConfig};

use sim_core::LocalTime;

/// Why a detector's configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectorError {
    /// A duration that must be positive was zero.
    #[error("{field} must be a duration > 0")]
    ZeroDuration {
        /// The configuration field.
        field: &'static str,
    },
    /// The heartbeat detector's miss count was zero.
    #[error("misses must be at least 1")]
    ZeroMisses,
    /// The phi detector's window size was out of range.
    #[error("window must be 1..={max} intervals, found {found}")]
    Window {
        /// The size asked for.
        found: usize,
        /// The largest allowed ([`MAX_WINDOW`]).
        max: usize,
    },
    /// The phi detector's minimum sample count was out of range.
    #[error("min_samples must be 1..=window ({window}), found {found}")]
    MinSamples {
        /// The count asked for.
        found: usize,
        /// The window size, its upper bound.
        window: usize,
    },
}

/// Nanoseconds from `last` to `now` on one local clock, 0 if the clock now reads earlier (a
/// step backwards is not evidence of silence). Exact for any pair of readings.
fn elapsed_since(last: LocalTime, now: LocalTime) -> u64 {
    // The difference of two i64 fits in i128 and, clamped at 0, in u64.
    (i128::from(now.0) - i128::from(last.0)).max(0) as u64
}
