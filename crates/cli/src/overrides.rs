//! `--set KEY=VALUE`, taken the same way by every command that reads a scenario.

/// Overrides of scenario keys.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Overrides {
    /// Overrides a key by its dotted path with a TOML value: network.loss=0.05 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}
