//! Failover for faultline: the building blocks of primary-standby failover (issue 15).
//!
//! This crate will hold the failover protocol (a primary with standbys, monitors, a failover
//! controller, a registry and resilient clients). It holds today the two self-contained parts
//! that protocol is built from, each tested against its definition:
//!
//! - [`detector`]: what a monitor concludes from heartbeats. [`HeartbeatDetector`] suspects
//!   after a fixed number of missed intervals; [`PhiAccrual`] is the phi accrual detector
//!   (Hayashibara et al., 2004), whose suspicion level `phi` means that a live node with normal,
//!   stationary heartbeats is wrongly suspected during a fraction `10^-phi` of its intervals.
//!   `tests/phi_statistics.rs` measures that fraction for phi = 1, 2 and 3.
//! - [`backoff`]: a client's retry sleeps, [`Backoff`], with the four [`Jitter`] strategies of
//!   the AWS Architecture Blog's "Exponential Backoff And Jitter" (2015).
//!
//! Both are deterministic. Detectors read only the local-clock readings they are given, and
//! their floating point (`erfc`, `log10`) comes from `libm`, so every platform makes the same
//! decision; backoff draws only from the [`SimRng`](sim_core::SimRng) stream passed in, once
//! per jittered sleep, in integer nanoseconds.
//!
//! ```
//! use failover::{Backoff, Jitter, PhiAccrual, PhiConfig};
//! use sim_core::rng::{RngRoot, Stream};
//! use sim_core::{LocalTime, SimDuration};
//!
//! // A monitor fed a heartbeat every 100 ± 5 ms.
//! let config = PhiConfig { min_std_deviation: SimDuration::from_millis(1), ..PhiConfig::default() };
//! let mut monitor = PhiAccrual::new(config).unwrap();
//! for i in 0..50 {
//!     monitor.heartbeat(LocalTime(i * 100_000_000 + (i % 2) * 5_000_000));
//! }
//! // Then silence: the check timer goes off when phi passes 8.
//! let check = monitor.suspect_at(8.0).unwrap();
//! assert!(monitor.suspects(check, 8.0));
//! assert!(monitor.phi(LocalTime(check.0 - 1)) <= 8.0);
//!
//! // A client retrying against the new primary with full jitter.
//! let mut rng = RngRoot::new(7).stream(Stream::Node(3));
//! let mut retry = Backoff::new(SimDuration::from_millis(5), SimDuration::from_secs(2), Jitter::Full)
//!     .unwrap();
//! let first = retry.next_sleep(&mut rng);
//! assert!(first <= SimDuration::from_millis(5));
//! ```

#![deny(missing_docs)]

pub mod backoff;
pub mod breaker;
pub mod client;
pub mod config;
pub mod controller;
pub mod db;
pub mod detector;
pub mod message;
pub mod monitor;
pub mod node;
pub mod observer;
pub mod protocol;
pub mod registry;

pub use backoff::{Backoff, BackoffError, Jitter};
pub use config::{Bug, FailoverConfig};
pub use detector::{
    DetectorError, HeartbeatDetector, MAX_INTERVAL, MAX_WINDOW, PHI_MAX, PhiAccrual, PhiConfig,
    normal_quantile, normal_upper_tail,
};
pub use protocol::{Failover, FailoverRun};
