//! Running a prepared scenario: the platform's result types, re-exported where the summary,
//! report and sweeps have always found them.

pub use platform::result::{RunResult, Stopwatch, Verdict};
