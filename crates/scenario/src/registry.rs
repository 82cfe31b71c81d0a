//! The protocols this binary runs: a list, so adding one touches no match statement.
//!
//! The stock `faultline` binary runs the built-in protocols ([`builtin`]); a user's own binary
//! can [`install`] a registry with its protocol added before it loads any scenario (the CLI's
//! `main_with` does this).

use std::sync::OnceLock;

use platform::{Protocol, Run};
use sim_core::config::ConfigError;

use crate::file::Scenario;

/// Protocol names faultline plans to build in; a scenario naming one is told it is not built.
pub const PLANNED: &[&str] = &[];

/// The protocols a binary runs.
pub struct Registry {
    protocols: Vec<&'static dyn Protocol>,
}

impl Registry {
    /// No protocol yet.
    pub fn empty() -> Self {
        Registry { protocols: Vec::new() }
    }

    /// This registry with `p` added (replacing a protocol of the same name).
    ///
    /// # Panics
    ///
    /// If `p`'s declaration leaves out what every protocol must declare (a name, what it is, a
    /// node group, a headline figure): a mistake in the protocol's code, caught the first time
    /// it is registered.
    pub fn with(mut self, p: &'static dyn Protocol) -> Self {
        let d = p.declaration();
        assert!(
            !d.name.is_empty()
                && !d.about.is_empty()
                && !d.groups.is_empty()
                && !d.headline.is_empty(),
            "protocol {:?} must declare a name, what it is, a node group and a headline figure",
            d.name
        );
        self.protocols.retain(|q| q.name() != p.name());
        self.protocols.push(p);
        self
    }

    /// The protocol named `name`.
    pub fn get(&self, name: &str) -> Option<&'static dyn Protocol> {
        self.protocols.iter().copied().find(|p| p.name() == name)
    }

    /// Every protocol, in the order they were added.
    pub fn protocols(&self) -> &[&'static dyn Protocol] {
        &self.protocols
    }

    /// Every name a scenario's table may carry: the protocols run here and the planned ones.
    pub fn table_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.protocols.iter().map(|p| p.name()).collect();
        for planned in PLANNED {
            if !names.contains(planned) {
                names.push(planned);
            }
        }
        names
    }
}

/// The protocols built into faultline.
pub fn builtin() -> Registry {
    Registry::empty()
        .with(&raft::Raft)
        .with(&primary_backup::PrimaryBackup)
        .with(&sharding::Sharding)
        .with(&cache::tier::Cache)
        .with(&failover::Failover)
        .with(&saga::Saga)
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Makes `registry` the one every scenario is checked and run against. Call it once, before
/// loading a scenario; it returns the registry back if one is in force already.
pub fn install(registry: Registry) -> Result<(), Registry> {
    REGISTRY.set(registry)
}

/// The registry in force: the installed one, else the built-in protocols.
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(builtin)
}

/// The protocol named `name`, if this binary runs it.
pub fn protocol(name: &str) -> Option<&'static dyn Protocol> {
    registry().get(name)
}

/// Builds the protocol's run from a scenario, checking its table and `[workload]`.
pub fn prepare(s: &Scenario) -> Result<Box<dyn Run>, ConfigError> {
    let registry = registry();
    match registry.get(&s.protocol) {
        Some(p) => p.prepare(&s.setup()),
        None if PLANNED.contains(&s.protocol.as_str()) => {
            let built: Vec<&str> = registry.protocols().iter().map(|p| p.name()).collect();
            Err(ConfigError::invalid(
                "protocol",
                format!("`{}` is not built yet: this build runs {}", s.protocol, built.join(", ")),
            ))
        }
        None => {
            let built: Vec<&str> = registry.protocols().iter().map(|p| p.name()).collect();
            Err(ConfigError::invalid(
                "protocol",
                format!("unknown protocol `{}`: allowed {built:?}", s.protocol),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in protocol declares itself fully: the registry accepts each (it refuses a
    /// declaration without a name, about, group or headline), names are unique, and each known
    /// bug names a check.
    #[test]
    fn every_builtin_protocol_declares_itself() {
        let r = builtin();
        let mut names: Vec<&str> = r.protocols().iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), r.protocols().len(), "one name each");
        for p in r.protocols() {
            for bug in p.bugs() {
                assert!(!bug.name.is_empty() && !bug.check.is_empty(), "{}: {bug:?}", p.name());
            }
        }
    }
}
