//! The network keeps its promises: partitions cut exactly what they say, loss and duplication
//! rates are met, FIFO links never reorder, a message class's latency applies to that class.

mod common;

use common::Chatter;
use sim_core::{NetworkConfig, NodeId, SimConfig, SimDuration, Simulation, Topology, TraceOptions};

const MS: u64 = 1_000_000;

fn sim(
    seed: u64,
    servers: u32,
    network: &str,
    faults: &str,
    target: Option<NodeId>,
) -> Simulation<Chatter> {
    let mut c = SimConfig::new(seed, Topology::new(servers, 0).unwrap(), SimDuration::from_secs(2));
    c.network = toml::from_str::<NetworkConfig>(network).unwrap();
    #[derive(serde::Deserialize)]
    struct F {
        #[serde(default)]
        fault: Vec<sim_core::FaultSpec>,
    }
    c.faults = toml::from_str::<F>(faults).unwrap().fault;
    Simulation::new(c, TraceOptions::default(), move |_, _| {
        Chatter::new(SimDuration::from_millis(1), target)
    })
    .unwrap()
}

fn deliveries(s: &Simulation<Chatter>) -> Vec<(NodeId, common::Delivery)> {
    s.topology()
        .nodes()
        .flat_map(|id| s.node(id).unwrap().received.iter().map(move |d| (id, d.clone())))
        .collect()
}

#[test]
fn no_message_crosses_a_symmetric_partition_in_either_direction() {
    let mut s = sim(
        1,
        5,
        r#"latency = { dist = "uniform", min = "1ms", max = "20ms" }"#,
        r#"
        [[fault]]
        at = "500ms"
        kind = "partition"
        groups = [["n1", "n2"], ["n3", "n4", "n5"]]
        duration = "1s"
        "#,
        None,
    );
    s.run();
    let side = |id: NodeId| id.0 < 2;
    let mut crossed_before = 0;
    for (to, d) in deliveries(&s) {
        let during = (500 * MS..=1500 * MS).contains(&d.received_at_ns);
        if side(to) != side(d.from) {
            assert!(
                !during,
                "{:?} → {to:?} delivered at {} during the partition",
                d.from, d.received_at_ns
            );
            crossed_before += 1;
        }
    }
    assert!(crossed_before > 1000, "cross-group traffic flows outside the partition");
}

#[test]
fn a_one_way_partition_cuts_only_its_direction() {
    let mut s = sim(
        2,
        2,
        r#"latency = "2ms""#,
        r#"
        [[fault]]
        at = "500ms"
        kind = "partition-oneway"
        from = "n1"
        to = "n2"
        duration = "1s"
        "#,
        None,
    );
    s.run();
    let during = |d: &common::Delivery| (500 * MS..=1500 * MS).contains(&d.received_at_ns);
    let n2 = &s.node(NodeId(1)).unwrap().received;
    let n1 = &s.node(NodeId(0)).unwrap().received;
    assert!(n2.iter().all(|d| !during(d)), "n1 → n2 is cut");
    assert!(n1.iter().filter(|d| during(d)).count() > 500, "n2 → n1 still flows");
}

#[test]
fn a_bridge_talks_to_both_halves_and_the_halves_do_not_talk() {
    let mut s = sim(
        3,
        5,
        r#"latency = "2ms""#,
        r#"
        [[fault]]
        at = "500ms"
        kind = "bridge"
        node = "n3"
        duration = "1s"
        "#,
        None,
    );
    s.run();
    // Around n3 the others split alternately: n1 n4 | n2 n5.
    let half = |id: NodeId| match id.0 {
        0 | 3 => Some(0),
        1 | 4 => Some(1),
        _ => None,
    };
    let (mut crossed, mut bridged) = (0, 0);
    for (to, d) in deliveries(&s).iter().filter(|(_, d)| {
        // Sent and delivered inside the bridge's window (latency 2 ms).
        (502 * MS..=1500 * MS).contains(&d.received_at_ns)
    }) {
        match (half(d.from), half(*to)) {
            (Some(a), Some(b)) if a != b => crossed += 1,
            (None, _) | (_, None) => bridged += 1,
            _ => {}
        }
    }
    assert_eq!(crossed, 0, "no message crosses between the halves");
    assert!(bridged > 1000, "the bridge talks to both halves: {bridged}");
    // Its record replays as the partition it made.
    let record = &s.fault_records()[0];
    let replay = record.replayable(s.topology()).unwrap();
    assert_eq!(
        toml::to_string(&replay.kind).unwrap().trim(),
        "kind = \"partition\"\ngroups = [[\"n1\", \"n4\"], [\"n2\", \"n5\"]]"
    );
}

/// Over `seeds` runs, counts the notes sent before the last 10 ms and the deliveries of those
/// notes (with a 10 µs latency, every one of them that was not lost has arrived).
fn sent_received(network: &str, seeds: u64) -> (u64, u64) {
    let cutoff = 2_000 * MS - 10 * MS;
    let mut sent = 0;
    let mut received = 0;
    for seed in 0..seeds {
        let mut s = sim(seed, 2, network, "", None);
        s.run();
        for id in s.topology().nodes() {
            let node = s.node(id).unwrap();
            sent += node.sent_at_ns.iter().filter(|&&t| t < cutoff).count() as u64;
            received += node.received.iter().filter(|d| d.sent_at_ns < cutoff).count() as u64;
        }
    }
    (sent, received)
}

/// |observed - n·p| ≤ 5 standard deviations of the binomial: fails by chance with
/// probability below 10⁻⁶, while a wrong rate (say 0.11 for 0.1) fails clearly.
fn assert_binomial(name: &str, n: u64, k: u64, p: f64) {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let z = (k as f64 - mean) / sd;
    println!("{name}: {k} of {n} (expected {mean:.0}, z = {z:.2})");
    assert!(z.abs() < 5.0, "{name}: {k} of {n}, expected {mean:.0} ± {sd:.0} (z = {z:.2})");
}

#[test]
fn loss_rate_is_met_over_many_seeds() {
    let (sent, received) = sent_received("latency = \"10us\"\nloss = 0.1", 40);
    assert!(sent > 100_000);
    assert_binomial("loss", sent, sent - received, 0.1);
}

#[test]
fn duplication_rate_is_met_over_many_seeds() {
    let (sent, received) = sent_received("latency = \"10us\"\nduplicate = 0.05", 40);
    assert_binomial("duplicate", sent, received - sent, 0.05);
}

#[test]
fn fifo_links_never_reorder_and_plain_links_do() {
    let per_sender_order = |fifo: bool| {
        let net = format!(
            "fifo = {fifo}\nlatency = {{ dist = \"uniform\", min = \"1ms\", max = \"30ms\" }}"
        );
        let mut s = sim(3, 3, &net, "", Some(NodeId(0)));
        s.run();
        let got = &s.node(NodeId(0)).unwrap().received;
        assert!(got.len() > 1000);
        let mut inversions = 0;
        for from in [NodeId(1), NodeId(2)] {
            let seqs: Vec<u64> = got.iter().filter(|d| d.from == from).map(|d| d.seq).collect();
            inversions += seqs.windows(2).filter(|w| w[1] < w[0]).count();
        }
        inversions
    };
    assert_eq!(per_sender_order(true), 0);
    assert!(per_sender_order(false) > 100, "without fifo the uniform latency reorders");
}

#[test]
fn messages_of_a_class_take_its_latency_and_the_others_the_default() {
    // Even notes are class `even`. n3 → n1 has a link override, which wins over the class; a
    // latency fault from 1 s to 1.5 s adds 5 ms to every message, whatever its class.
    let mut s = sim(
        4,
        3,
        r#"
        latency = "2ms"
        [class_latency]
        even = "7ms"
        [[link]]
        from = "n3"
        to = "n1"
        latency = "20ms"
        "#,
        r#"
        [[fault]]
        at = "1s"
        kind = "latency"
        extra = "5ms"
        duration = "500ms"
        "#,
        None,
    );
    s.run();
    let mut seen = [0u32; 3];
    for (to, d) in deliveries(&s) {
        let faulted = (1000 * MS..1500 * MS).contains(&d.sent_at_ns);
        let (class, base) = if d.from == NodeId(2) && to == NodeId(0) {
            (2, 20 * MS)
        } else if d.seq % 2 == 0 {
            (1, 7 * MS)
        } else {
            (0, 2 * MS)
        };
        let want = base + if faulted { 5 * MS } else { 0 };
        assert_eq!(d.received_at_ns - d.sent_at_ns, want, "{:?} → {to:?} note {}", d.from, d.seq);
        seen[class] += 1;
    }
    assert!(seen.iter().all(|&n| n > 100), "every kind of message was sent: {seen:?}");
}

#[test]
fn a_class_no_message_has_changes_nothing() {
    // With a class table the network takes its general path; with no message of the class, it
    // draws the same latencies from the same stream as without the table.
    let run = |network: &str| {
        let mut s = sim(5, 4, network, "", None);
        s.run().trace_hash
    };
    let plain = r#"latency = { dist = "uniform", min = "1ms", max = "3ms" }"#;
    let unused = format!("{plain}\n[class_latency]\nnever = \"9ms\"");
    assert_eq!(run(plain), run(&unused));
    let used = format!("{plain}\n[class_latency]\neven = \"9ms\"");
    assert_ne!(run(plain), run(&used));
}

#[test]
fn a_loss_fault_with_classes_loses_only_messages_of_those_classes() {
    // Even notes are class `even`, odd ones have none. From 500 ms to 1.5 s a loss fault drops
    // (nearly) every even note and no odd one; before and after, everything arrives.
    let loss = |classes: &str| {
        format!(
            "[[fault]]\nat = \"500ms\"\nkind = \"loss\"\nrate = 0.999999\n{classes}duration = \"1s\"\n"
        )
    };
    // Notes by (sent during the fault, odd), sent and delivered; with a 1 ms latency every
    // note sent 1 ms before the end has arrived, if it was not lost.
    let count = |s: &Simulation<Chatter>| {
        let key = |sent_at: u64, seq: u64| {
            (sent_at < 1999 * MS).then(|| {
                (usize::from((500 * MS..1500 * MS).contains(&sent_at)), (seq % 2) as usize)
            })
        };
        let (mut sent, mut got) = ([[0u32; 2]; 2], [[0u32; 2]; 2]);
        for id in s.topology().nodes() {
            for (i, &t) in s.node(id).unwrap().sent_at_ns.iter().enumerate() {
                if let Some((d, o)) = key(t, i as u64 + 1) {
                    sent[d][o] += 1;
                }
            }
        }
        for (_, d) in deliveries(s) {
            if let Some((during, odd)) = key(d.sent_at_ns, d.seq) {
                got[during][odd] += 1;
            }
        }
        (sent, got)
    };
    let mut s = sim(6, 3, "latency = \"1ms\"", &loss("classes = [\"even\"]\n"), None);
    s.run();
    let (sent, got) = count(&s);
    assert!(sent.iter().flatten().all(|&n| n > 500), "{sent:?}");
    assert_eq!(got[1][0], 0, "no even note sent during the fault arrives: {got:?}");
    assert_eq!(got[1][1], sent[1][1], "every odd note sent during it does");
    assert_eq!(got[0], sent[0], "every note sent outside it does");
    // The same fault without `classes` loses the odd notes too.
    let mut all = sim(6, 3, "latency = \"1ms\"", &loss(""), None);
    all.run();
    let (sent, got) = count(&all);
    assert_eq!(got[1], [0, 0], "{sent:?} {got:?}");
    assert_eq!(got[0], sent[0]);
}

#[test]
fn loss_classes_are_checked() {
    let bad = |classes: &str| {
        let text = format!("at = \"1s\"\nkind = \"loss\"\nrate = 0.5\nclasses = {classes}\n");
        let f: sim_core::FaultSpec = toml::from_str(&text).unwrap();
        let topo = Topology::new(3, 0).unwrap();
        f.validate("fault[0]", &topo, SimDuration::from_secs(2)).map_err(|e| e.to_string())
    };
    let e = bad("[]").unwrap_err();
    assert!(e.contains("`fault[0].classes`") && e.contains("empty class list"), "{e}");
    let e = bad("[\"a.b\"]").unwrap_err();
    assert!(e.contains("`fault[0].classes`") && e.contains("letters, digits"), "{e}");
    assert!(bad("[\"even\", \"read-reply\"]").is_ok());
}

#[test]
fn class_latency_is_checked() {
    let bad = |s: &str| {
        let cfg = toml::from_str::<NetworkConfig>(s).map_err(|e| e.to_string())?;
        cfg.validate(&Topology::new(3, 0).unwrap()).map_err(|e| e.to_string())
    };
    let e = bad("[class_latency]\n\"\" = \"1ms\"").unwrap_err();
    assert!(e.contains("`network.class_latency.\"\"`") && e.contains("letters, digits"), "{e}");
    let e = bad("[class_latency]\n\"a.b\" = \"1ms\"").unwrap_err();
    assert!(e.contains("letters, digits"), "{e}");
    let e = bad(
        "[class_latency]\nwrite = { dist = \"mixture\", p = 1.5, first = \"1ms\", second = \"2ms\" }",
    )
    .unwrap_err();
    assert!(e.contains("`network.class_latency.write.p`") && e.contains("[0, 1]"), "{e}");
    let e = bad("[class_latency]\nwrite = { dist = \"pareto\", scale = \"1ms\" }").unwrap_err();
    assert!(e.contains("shape"), "{e}");
    assert!(bad("[class_latency]\nread-reply = \"3ms\"\nwrite_ack = \"1ms\"").is_ok());
}
