//! `faultline`: the command with the built-in protocols (see the `faultline_cli` library for a
//! binary of your own with your protocol added).

fn main() -> std::process::ExitCode {
    faultline_cli::main()
}
