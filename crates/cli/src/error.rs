//! Why a command could not do its work: [`CliError`]. Commands return it; `main_with` prints it
//! once, after `error: `, and exits with its [`CliError::status`].

use scenario::ScenarioError;
use sim_core::config::ConfigError;
use sweep::SweepError;

use crate::Status;

/// A command that could not do its work. Its `Display` is the whole message the user reads.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A scenario file that cannot run: its summary line, then the offending line with a caret
    /// (drawn by [`ScenarioError`]'s own `Display`).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A scenario that loads but that its protocol cannot prepare.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The scenario files `validate` found wrong, each with its error, out of `files` checked.
    #[error("{}\n{} of {files} files have errors", each_after_the_first(errors), errors.len())]
    Invalid {
        /// One error per bad file, in the order given.
        errors: Vec<ScenarioError>,
        /// How many files were checked.
        files: usize,
    },
    /// Bad input or usage the command itself finds: an option's value, a history file that is
    /// missing or in no known format, a folder holding another sweep.
    #[error("{0}")]
    BadInput(String),
    /// A file that could not be written (a report folder, a trace, `hunt.json`), or a sweep
    /// folder that could not be read back.
    #[error("{0}")]
    Io(String),
}

impl CliError {
    /// The exit status: 2, "bad input or usage", for every kind (DESIGN.md's contract). An
    /// output that cannot be written has always exited 2 as well; the contract names no other
    /// status for it.
    pub fn status(&self) -> Status {
        match self {
            CliError::Scenario(_)
            | CliError::Config(_)
            | CliError::Invalid { .. }
            | CliError::BadInput(_) => Status::BadInput,
            CliError::Io(_) => Status::BadInput,
        }
    }
}

impl From<SweepError> for CliError {
    fn from(e: SweepError) -> Self {
        match e {
            SweepError::BadInput(message) => CliError::BadInput(message),
            SweepError::Io(message) => CliError::Io(message),
        }
    }
}

/// `validate`'s errors, one after another: `main_with` writes `error: ` before the first, and
/// each later one carries its own, so every file's error reads as it would alone.
fn each_after_the_first(errors: &[ScenarioError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\nerror: ")
}
