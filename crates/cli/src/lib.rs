//! The `faultline` command as a library: [`main`] is the stock binary, and [`main_with`] is the
//! same command running a registry of your choosing, so your own crate can register its
//! protocol and get every command (run, sweep, merge, hunt, replay, trace, validate, list,
//! check-history) without forking faultline.
//!
//! A protocol crate implements `platform::Protocol`; its binary adds it to the built-in ones:
//!
//! ```ignore
//! // src/main.rs of your crate, which depends on faultline-cli, faultline-scenario (as
//! // `scenario`) and your protocol's crate.
//! fn main() -> std::process::ExitCode {
//!     faultline_cli::main_with(scenario::registry::builtin().with(&my_protocol::MyProtocol))
//! }
//! ```
//!
//! The binary then takes the same arguments, prints the same output and exits with the same
//! statuses as `faultline`: 0 pass, 1 a check failed, 2 bad input or usage, 3 inconclusive.
//! Scenario files name your protocol with `protocol = "…"` and configure it in its table;
//! `list` shows its parameters, node groups and known bugs.

#![deny(missing_docs)]

mod check_history;
mod error;
mod hunt;
mod list;
mod overrides;
mod progress;
mod replay;
mod run;
mod sweep;
mod validate;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use scenario::registry::Registry;

use crate::error::CliError;

/// A deterministic simulator for distributed systems.
#[derive(Parser, Debug)]
#[command(name = "faultline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs a scenario: prints a summary and writes a report folder.
    Run(run::RunArgs),
    /// Runs every point of a scenario's [sweep] × its seeds in parallel; writes tables and charts.
    Sweep(sweep::SweepArgs),
    /// Merges the folders of a sharded sweep into what one unsharded sweep writes.
    Merge(sweep::MergeArgs),
    /// Searches seeds for a failing check, shrinks the failure and writes repro.toml.
    Hunt(hunt::HuntArgs),
    /// Re-runs a scenario at a seed exactly and prints its trace hash.
    Replay(replay::ReplayArgs),
    /// Prints a message-sequence view of a window of a run.
    Trace(replay::TraceArgs),
    /// Checks a client history for linearizability (Jepsen logs or faultline's history.jsonl).
    CheckHistory {
        /// The history file.
        file: std::path::PathBuf,
        /// The sequential model the history is checked against.
        #[arg(long, value_enum)]
        model: ModelName,
        /// Search steps allowed before the verdict is "unknown".
        #[arg(long, default_value_t = check::linearizability::DEFAULT_BUDGET)]
        budget: u64,
    },
    /// Checks scenario files and reports every error (exit 2 if any).
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        overrides: overrides::Overrides,
    },
    /// Lists protocols, fault kinds, selectors and each protocol's parameters.
    List,
}

/// Models `check-history` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModelName {
    /// A compare-and-set register per key (read, write, cas).
    CasRegister,
    /// A string per key (get, put, append).
    Kv,
}

/// How a command ended, as an exit status; a command that could not do its work returns a
/// [`CliError`] instead, which exits 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass = 0,
    Fail = 1,
    BadInput = 2,
    Inconclusive = 3,
}

impl Status {
    /// A run's verdict as an exit status.
    fn of(verdict: scenario::Verdict) -> Status {
        match verdict {
            scenario::Verdict::Pass => Status::Pass,
            scenario::Verdict::Fail => Status::Fail,
            scenario::Verdict::Inconclusive => Status::Inconclusive,
        }
    }
}

/// Ends the program quietly with exit status 0 when stdout is closed under it
/// (`faultline trace … | head`), as ripgrep does, instead of a panic and a backtrace.
///
/// The commands print with `println!`, which panics when a write to stdout fails. A reader
/// that stops reading is not an error, so the panic hook recognises exactly that failure (a
/// write to stdout that failed with a broken pipe) and exits 0 before any message is printed;
/// every other panic goes to the default hook unchanged.
fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let broken_pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe).to_string();
        if message.starts_with("failed printing to stdout")
            && message.to_lowercase().contains(&broken_pipe.to_lowercase())
        {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// The stock `faultline` command: [`main_with`] the built-in protocols.
pub fn main() -> ExitCode {
    main_with(scenario::registry::builtin())
}

/// The `faultline` command running `registry`'s protocols: installs it (see
/// [`scenario::registry::install`]), then parses the command line and runs the command exactly
/// as the stock binary does, printing any error once and returning its exit status.
///
/// Call it once, from `main`, before anything loads a scenario.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     faultline_cli::main_with(scenario::registry::builtin())
/// }
/// ```
///
/// # Panics
///
/// If a registry is in force already: another was installed, or a scenario was loaded (which
/// fixes the built-in one) before this call.
pub fn main_with(registry: Registry) -> ExitCode {
    if scenario::registry::install(registry).is_err() {
        panic!(
            "faultline_cli::main_with: a protocol registry is in force already; call main_with \
             once, before anything loads a scenario"
        );
    }
    exit_quietly_on_closed_stdout();
    // Errors in scenario files show the offending line; in colour only on a terminal.
    scenario::error::set_color(
        std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    );
    let status = dispatch(Cli::parse().command).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        e.status()
    });
    ExitCode::from(status as u8)
}

/// Runs one command. Commands print their output and return how they ended, or why they could
/// not do their work; only `main_with` prints that error.
fn dispatch(command: Command) -> Result<Status, CliError> {
    match command {
        Command::Run(args) => run::run(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Hunt(args) => hunt::run(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Trace(args) => replay::trace(&args),
        Command::CheckHistory { file, model, budget } => check_history::run(&file, model, budget),
        Command::Validate { files, overrides } => validate::run(&files, &overrides.sets),
        Command::List => Ok(list::run()),
    }
}
