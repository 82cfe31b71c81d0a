//! Servers join and leave while the cluster runs: an absent server hears nothing until it
//! joins; a leave is announced at once and the server departs after its drain, for good (the
//! quiet period does not bring it back); every node that is up hears each change.

mod common;

use common::Chatter;
use sim_core::{
    MembershipChange, NemesisConfig, NodeId, SimConfig, SimDuration, Simulation, Topology,
    TraceOptions,
};

const MS: u64 = 1_000_000;

fn config(faults: &str) -> SimConfig {
    let mut c = SimConfig::new(7, Topology::new(4, 0).unwrap(), SimDuration::from_secs(2));
    c.network = toml::from_str(r#"latency = "1ms""#).unwrap();
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        fault: Vec<sim_core::FaultSpec>,
    }
    c.faults = toml::from_str::<F>(faults).unwrap().fault;
    c.quiet = Some(SimDuration::from_secs(1));
    c
}

fn sim(c: SimConfig) -> Simulation<Chatter> {
    Simulation::new(c, TraceOptions::default(), |_, _| {
        Chatter::new(SimDuration::from_millis(5), None)
    })
    .unwrap()
}

const JOIN_AND_LEAVE: &str = r#"
    [[fault]]
    at = "1s"
    kind = "join"
    node = "n4"
    [[fault]]
    at = "1500ms"
    kind = "leave"
    node = "n2"
    drain = "200ms"
"#;

#[test]
fn a_server_joins_fresh_and_a_leaver_departs_after_its_drain_for_good() {
    let mut s = sim(config(JOIN_AND_LEAVE));
    s.run();
    let (n1, n2, n4) = (NodeId(0), NodeId(1), NodeId(3));
    // n4 was absent until 1 s: it sent nothing and received nothing before.
    let joiner = s.node(n4).unwrap();
    assert!(joiner.sent_at_ns.iter().all(|&t| t >= 1000 * MS));
    assert!(joiner.received.iter().all(|d| d.received_at_ns >= 1000 * MS));
    assert!(!joiner.received.is_empty());
    assert_eq!(joiner.members_at_start, vec![NodeId(0), n2, NodeId(2), n4]);
    // n2 ran through its drain, then departed; nothing brought it back, not even the quiet
    // period that restarts every crashed node.
    assert!(s.node(n2).is_none());
    // n1 heard every change, with the membership after it.
    let heard: Vec<(u64, MembershipChange, Vec<NodeId>)> = s.node(n1).unwrap().changes.clone();
    assert_eq!(
        heard,
        vec![
            (1000 * MS, MembershipChange::Joined(n4), vec![n1, n2, NodeId(2), n4]),
            (1500 * MS, MembershipChange::Leaving(n2), vec![n1, NodeId(2), n4]),
            (1700 * MS, MembershipChange::Left(n2), vec![n1, NodeId(2), n4]),
        ]
    );
    // The membership service's history, by epoch: the start, the join, the leave (a departure
    // changes no member list, so it is no epoch of its own).
    assert_eq!(
        s.membership_history(),
        &[vec![n1, n2, NodeId(2)], vec![n1, n2, NodeId(2), n4], vec![n1, NodeId(2), n4]]
    );
    let records = s.fault_records();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.skipped.is_none()));
}

#[test]
fn the_leaver_keeps_running_through_its_drain() {
    let mut s = sim(config(JOIN_AND_LEAVE));
    s.run();
    // n2 is gone, so look at what the others received from it.
    let from_n2: Vec<u64> = s
        .topology()
        .nodes()
        .filter_map(|id| s.node(id))
        .flat_map(|n| n.received.iter().filter(|d| d.from == NodeId(1)).map(|d| d.sent_at_ns))
        .collect();
    assert!(from_n2.iter().any(|&t| (1500 * MS..1700 * MS).contains(&t)), "sends while draining");
    assert!(from_n2.iter().all(|&t| t < 1700 * MS), "nothing after it departed");
}

#[test]
fn membership_runs_are_deterministic_and_the_nemesis_draws_joins_and_leaves() {
    let nemesis = |c: &mut SimConfig| {
        c.nemesis = Some(
            toml::from_str::<NemesisConfig>(
                r#"kinds = ["join", "leave"]
                interval = "100ms"
                duration = "1s..1s""#,
            )
            .unwrap(),
        );
    };
    let run = || {
        let mut c = config(JOIN_AND_LEAVE);
        nemesis(&mut c);
        let mut s = sim(c);
        let summary = s.run();
        let done: Vec<(String, Vec<String>)> = s
            .fault_records()
            .iter()
            .filter(|r| r.skipped.is_none())
            .map(|r| (r.spec.kind.name().to_string(), r.resolved.clone()))
            .collect();
        (summary.trace_hash, done)
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let kinds: Vec<&str> = a.1.iter().map(|(k, _)| k.as_str()).collect();
    assert!(kinds.iter().filter(|k| **k == "join").count() >= 2, "{kinds:?}");
    assert!(kinds.iter().filter(|k| **k == "leave").count() >= 2, "{kinds:?}");
}

#[test]
fn joins_and_leaves_are_validated() {
    let bad = [
        (
            r#"[[fault]]
            at = "1s"
            kind = "join"
            node = "n4"
            duration = "1s""#,
            "duration",
        ),
        (
            r#"[[fault]]
            at = "1s"
            kind = "crash"
            node = "absent""#,
            "absent",
        ),
    ];
    for (faults, word) in bad {
        let err = Simulation::new(config(faults), TraceOptions::default(), |_, _| {
            Chatter::new(SimDuration::from_millis(5), None)
        })
        .err()
        .unwrap_or_else(|| panic!("accepted {faults}"));
        assert!(err.to_string().contains(word), "{err}");
    }
}
