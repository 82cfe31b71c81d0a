//! `faultline list`: what scenario files may name.

use scenario::registry::{PLANNED, registry};
use sim_core::faults::{FaultName, SELECTORS};

use crate::Status;

pub fn run() -> Status {
    let registry = registry();
    println!("protocols:");
    for p in registry.protocols() {
        println!("  {:<10} {}", p.name(), p.about());
    }
    for name in PLANNED.iter().filter(|n| registry.get(n).is_none()) {
        println!("  {name:<10} (not built yet)");
    }
    println!("fault kinds:\n  {}", FaultName::ALL.map(FaultName::as_str).join(", "));
    println!(
        "selectors:\n  a node name (n1.., c1.., or a group's: primary, backup2), {}; \
         random:<group> and minority:<group> pick within one node group",
        SELECTORS.join(", ")
    );
    for p in registry.protocols() {
        println!("\nprotocol {}", p.name());
        println!("  node groups:");
        for g in p.groups() {
            println!("    {:<10} {}", g.name, g.about);
        }
        println!("  [{}] parameters:", p.name());
        for param in p.parameters() {
            println!("    {} = {}", param.key, param.about);
        }
        if !p.knobs().is_empty() {
            println!("  knobs `hunt --swarm` draws (a scenario's [swarm] adds or replaces):");
            for k in p.knobs() {
                println!("    {} = {}", k.key, k.values);
            }
        }
        if !p.events().is_empty() {
            println!("  events (a fault's `on`, [nemesis] events):");
            for e in p.events() {
                println!("    {:<12} {}", e.name, e.about);
            }
        }
        if !p.message_classes().is_empty() {
            println!("  message classes ([network.class_latency], a loss fault's `classes`):");
            for c in p.message_classes() {
                println!("    {:<16} {}", c.name, c.about);
            }
        }
        if p.membership() {
            println!("  membership: servers may join and leave (kind = \"join\", \"leave\")");
        }
        println!("  known bugs (bug = \"…\"), each with the check it must fail:");
        let width = p.bugs().iter().map(|b| b.check.chars().count()).max().unwrap_or(0).max(22);
        for b in p.bugs() {
            println!("    {:<22} {:<width$} {}", b.name, b.check, b.about);
        }
    }
    Status::Pass
}
