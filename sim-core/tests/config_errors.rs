//! Bad configuration is a typed error naming the key and what is allowed, never a panic.

use sim_core::{
    ConfigError, Distribution, DurationRange, FaultKind, FaultSpec, Selector, SimConfig,
    SimDuration, Simulation, Topology, TraceOptions,
};

mod common;

fn try_build(c: SimConfig) -> Result<(), ConfigError> {
    Simulation::new(c, TraceOptions::default(), |_, _| {
        common::Chatter::new(SimDuration::from_millis(1), None)
    })
    .map(|_| ())
}

fn base() -> SimConfig {
    SimConfig::new(1, Topology::new(3, 1).unwrap(), SimDuration::from_secs(10))
}

#[test]
fn a_loss_rate_of_1_5_is_out_of_range() {
    let mut c = base();
    c.network.loss = 1.5;
    let e = try_build(c).unwrap_err();
    assert_eq!(e.key(), "network.loss");
    assert!(e.to_string().contains("[0, 1)"), "{e}");
}

#[test]
fn a_zero_duration_is_rejected_where_one_is_needed() {
    let mut c = base();
    c.duration = SimDuration::ZERO;
    assert_eq!(try_build(c).unwrap_err().key(), "duration");
    let mut c = base();
    c.faults.push(FaultSpec {
        on: None,
        delay: None,
        at: SimDuration::from_secs(1),
        kind: FaultKind::Pause { node: Selector::Named("n1".into()) },
        duration: Some(SimDuration::ZERO),
    });
    assert_eq!(try_build(c).unwrap_err().key(), "fault[0].duration");
}

#[test]
fn a_partition_naming_an_unknown_node_is_rejected() {
    let mut c = base();
    c.faults.push(FaultSpec {
        on: None,
        delay: None,
        at: SimDuration::from_secs(1),
        kind: FaultKind::Partition {
            groups: Some(vec![vec!["n1".into()], vec!["n7".into()]]),
            isolate: None,
        },
        duration: None,
    });
    match try_build(c).unwrap_err() {
        ConfigError::UnknownNode { key, name, allowed } => {
            assert_eq!((key.as_str(), name.as_str()), ("fault[0].groups", "n7"));
            assert_eq!(allowed, "n1..n3, c1..c1");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_pareto_shape_at_or_below_zero_is_rejected() {
    for shape in [0.0, -1.0] {
        let mut c = base();
        c.network.latency = Distribution::Pareto { scale: SimDuration::from_millis(1), shape };
        assert_eq!(try_build(c).unwrap_err().key(), "network.latency.shape");
    }
}

#[test]
fn an_inverted_range_is_rejected() {
    let e = DurationRange::parse("300ms..150ms").unwrap_err();
    assert!(e.contains("inverted"), "{e}");
    let mut c = base();
    c.network.latency = Distribution::Uniform {
        min: SimDuration::from_millis(5),
        max: SimDuration::from_millis(1),
    };
    assert!(try_build(c).unwrap_err().to_string().contains("min ≤ max"));
}

#[test]
fn a_fault_after_the_end_and_too_many_nodes_are_rejected() {
    let mut c = base();
    c.faults.push(FaultSpec {
        on: None,
        delay: None,
        at: SimDuration::from_secs(10),
        kind: FaultKind::Crash { node: Selector::Leader, restart_after: None },
        duration: None,
    });
    assert_eq!(try_build(c).unwrap_err().key(), "fault[0].at");
    assert_eq!(Topology::new(10_001, 0).unwrap_err().key(), "nodes");
    assert_eq!(Topology::new(0, 0).unwrap_err().key(), "nodes");
}
