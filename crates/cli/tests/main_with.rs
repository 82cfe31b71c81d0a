//! `faultline_cli::main_with` as a user's crate calls it: a binary of its own with its protocol
//! registered gets the whole command, and the stock `faultline` does not know that protocol.
//!
//! This test is its own binary (`harness = false`): run with `FAULTLINE_TEST_AS_CLI` set, it is
//! the user's `faultline` (its `main` is the one line a user writes); run by `cargo test`, it
//! starts itself that way and checks what the commands print.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use platform::{Declaration, Group, Parameter, Protocol, Run, Setup};
use sim_core::config::ConfigError;

/// Set in the environment of the copy of this binary that acts as the user's `faultline`.
const AS_CLI: &str = "FAULTLINE_TEST_AS_CLI";

/// A protocol of the user's own: it declares itself, and refuses to prepare a run with an error
/// only it gives, so a scenario naming it shows whose `prepare` was called.
struct Toy;

/// What the protocol declares: its name, parameters, groups, bugs, knobs and charts.
static DECLARATION: Declaration = Declaration {
    name: "toy",
    about: "a protocol registered by the user's own binary",
    parameters: &[Parameter { key: "rounds", about: "rounds to play, 1..=9 (default 1)" }],
    groups: &[Group {
        name: "player",
        prefix: "p",
        singleton: false,
        about: "plays the toy's rounds",
    }],
    headline: "availability",
    ..Declaration::NONE
};

impl Protocol for Toy {
    fn declaration(&self) -> &'static Declaration {
        &DECLARATION
    }

    fn prepare(&self, _: &Setup) -> Result<Box<dyn Run>, ConfigError> {
        Err(ConfigError::invalid("toy.rounds", "the toy protocol declares itself but never runs"))
    }
}

/// Runs `exe` with `args`: (exit status, stdout, stderr).
fn run(exe: &str, as_cli: bool, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(exe);
    command.args(args);
    if as_cli {
        command.env(AS_CLI, "1");
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn main() -> ExitCode {
    if std::env::var_os(AS_CLI).is_some() {
        return faultline_cli::main_with(scenario::registry::builtin().with(&Toy));
    }
    let me = std::env::current_exe().unwrap();
    let users = |args: &[&str]| run(me.to_str().unwrap(), true, args);
    let stock = |args: &[&str]| run(env!("CARGO_BIN_EXE_faultline"), false, args);

    // `list` shows the user's protocol beside the built-in ones.
    let (code, out, err) = users(&["list"]);
    assert_eq!(code, 0, "{out}{err}");
    for word in
        ["raft", "toy", "a protocol registered by the user's own binary", "rounds", "player"]
    {
        assert!(out.contains(word), "{word} missing from {out}");
    }

    // A scenario naming it is checked by its own `prepare`, and the error reads as any other:
    // once, after `error: `, with exit status 2.
    let dir = std::env::temp_dir().join(format!("faultline-main-with-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("toy.toml");
    std::fs::write(
        &file,
        "name = \"toy\"\nprotocol = \"toy\"\nduration = \"1s\"\n[toy]\nrounds = 3\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = users(&["validate", file]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.starts_with("error: ") && err.matches("error: ").count() == 1, "{err}");
    assert!(err.contains("toy.rounds") && err.contains("declares itself but never runs"), "{err}");
    assert!(err.contains("1 of 1 files have errors"), "{err}");

    // The stock binary runs the built-in registry only.
    let (code, out, err) = stock(&["validate", file]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("toy") && !err.contains("declares itself"), "{err}");
    let (_, out, _) = stock(&["list"]);
    assert!(!out.contains("protocol toy"), "{out}");

    // Usage errors are clap's, exit 2, as the stock binary's are.
    assert_eq!(users(&["no-such-command"]).0, 2);

    std::fs::remove_dir_all(&dir).unwrap();
    println!("main_with: a user's binary runs its own protocol ... ok");
    ExitCode::SUCCESS
}
