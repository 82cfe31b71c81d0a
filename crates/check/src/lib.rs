//! Client histories and the checkers that judge them.
//!
//! A history is a list of operations, each with its invocation, its completion (or none: it
//! stayed open, Jepsen's `info`), its input and its output (or none: unknown). The
//! linearizability checker ([`linearizability`]) decides whether some total order of the
//! operations, consistent with real time, is legal for a sequential [`model`]: the search of
//! Wing and Gong with Lowe's memoization of (linearized set, state), as the Porcupine checker
//! does it, split per key (P-compositionality) and bounded by a step budget, so a search that
//! runs out says "unknown", never "pass". [`jepsen`] and [`history`] read Jepsen's logs and
//! faultline's own `history.jsonl`.
//!
//! ```
//! use check::history::Op;
//! use check::linearizability::{check, Verdict};
//! use check::model::{CasRegister, RegisterInput, RegisterOutput};
//!
//! // Two writes, then a read that sees the first: not linearizable.
//! let ops = vec![
//!     Op::completed(0, 0, 1, RegisterInput::Write(1), RegisterOutput::Written),
//!     Op::completed(1, 2, 3, RegisterInput::Write(2), RegisterOutput::Written),
//!     Op::completed(0, 4, 5, RegisterInput::Read, RegisterOutput::Read(Some(1))),
//! ];
//! let report = check(&CasRegister, vec![("x".to_string(), ops)], 10_000);
//! assert!(matches!(report.verdict, Verdict::NotLinearizable(_)));
//! ```

#![deny(missing_docs)]

mod explain;
pub mod fuzzing;
pub mod history;
pub mod jepsen;
pub mod linearizability;
mod memo;
pub mod model;
pub mod outcome;
pub mod spans;
