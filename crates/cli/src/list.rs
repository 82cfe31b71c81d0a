//! `faultline list`: what scenario files may name.

use scenario::registry::PROTOCOLS;
use sim_core::faults::{FaultName, SELECTORS};

use crate::Status;

pub fn run() -> Status {
    println!("protocols:");
    for p in PROTOCOLS {
        println!("  {}{}", p.name, if p.parameters.is_some() { "" } else { " (not built yet)" });
    }
    println!("fault kinds:\n  {}", FaultName::ALL.map(FaultName::as_str).join(", "));
    println!("selectors:\n  a node name (n1.., c1..), {}", SELECTORS.join(", "));
    for p in PROTOCOLS {
        if let Some(parameters) = p.parameters {
            println!("[{}] parameters:", p.name);
            for (key, default) in parameters {
                println!("  {key} = {default}");
            }
        }
    }
    Status::Pass
}
