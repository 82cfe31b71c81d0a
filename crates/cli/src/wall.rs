//! Wall-clock time, read only around runs (never inside one) to report their speed.

use std::time::Instant;

/// Time elapsed since it was started.
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts now.
    #[allow(clippy::disallowed_methods, reason = "wall time is measured around runs, not in them")]
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}
