//! Values that would overflow simulated time or TOML's integers are refused when the scenario
//! loads, naming the key and the allowed range, and the error shows the offending line with a
//! caret under the place.

use std::path::Path;

const BASE: &str = "name = \"s\"\nprotocol = \"raft\"\nduration = \"2s\"\nnodes = 3\n";
/// A duration just below `u64::MAX` nanoseconds: it parses, and any sum with it overflows.
const HUGE: &str = "5124095h 34m 33s";

fn load(text: &str) -> Result<scenario::Scenario, scenario::ScenarioError> {
    scenario::load_str(Path::new("s.toml"), text, &[])
}

#[test]
fn every_duration_key_stops_at_one_year() {
    let cases = [
        ("duration", format!("name = \"s\"\nprotocol = \"raft\"\nduration = \"{HUGE}\"\n")),
        (
            "fault[0].duration",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"partition\"\nisolate = \"leader\"\nduration = \"{HUGE}\"\n"
            ),
        ),
        (
            "fault[0].restart_after",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n1\"\nrestart_after = \"{HUGE}\"\n"
            ),
        ),
        (
            "fault[0].step",
            format!(
                "{BASE}[[fault]]\nat = \"1s\"\nkind = \"clock\"\nnode = \"n1\"\nstep = \"-{HUGE}\"\n"
            ),
        ),
        (
            "fault[0].extra",
            format!("{BASE}[[fault]]\nat = \"1s\"\nkind = \"latency\"\nextra = \"{HUGE}\"\n"),
        ),
        ("network.latency", format!("{BASE}[network]\nlatency = \"{HUGE}\"\n")),
        (
            "network.latency",
            format!(
                "{BASE}[network]\nlatency = {{ dist = \"uniform\", min = \"1ms\", max = \"{HUGE}\" }}\n"
            ),
        ),
        ("raft.sync_latency", format!("{BASE}[raft]\nsync_latency = \"{HUGE}\"\n")),
        ("raft.election_timeout", format!("{BASE}[raft]\nelection_timeout = \"150ms..{HUGE}\"\n")),
        ("raft.heartbeat_interval", format!("{BASE}[raft]\nheartbeat_interval = \"{HUGE}\"\n")),
        ("raft.downtime_cap", format!("{BASE}[raft]\ndowntime_cap = \"{HUGE}\"\n")),
        ("workload.timeout", format!("{BASE}[workload]\ntimeout = \"{HUGE}\"\n")),
        ("clock.offset", format!("{BASE}[clock]\noffset = \"{HUGE}\"\n")),
        ("check.liveness", format!("{BASE}[check]\nliveness = \"{HUGE}\"\n")),
        (
            "nemesis.interval",
            format!(
                "{BASE}[nemesis]\nkinds = [\"crash\"]\ninterval = \"{HUGE}\"\nduration = \"1s\"\n"
            ),
        ),
        (
            "nemesis.duration",
            format!(
                "{BASE}[nemesis]\nkinds = [\"crash\"]\ninterval = \"1s\"\nduration = \"1s..{HUGE}\"\n"
            ),
        ),
    ];
    for (key, text) in cases {
        let e = load(&text).expect_err(key);
        assert_eq!(e.key.as_deref(), Some(key), "{e}");
        assert!(e.message.contains("at most 1year (8766h)"), "{key}: {e}");
        assert!(e.position.is_some(), "{key}: {e}");
    }
    // One year exactly is allowed.
    let year = format!("{BASE}[raft]\nsync_latency = \"1year\"\n");
    load(&year).unwrap();
}

#[test]
fn a_seed_and_its_sweep_stay_within_tomls_integers() {
    let at =
        |seed: &str, seeds: u64| load(&format!("seed = {seed}\n{BASE}[sweep]\nseeds = {seeds}\n"));
    at("9223372036854775805", 3).unwrap();
    let e = at("9223372036854775806", 3).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("sweep.seeds"));
    assert!(e.message.contains("allowed 1..=2"), "{e}");
    assert_eq!(e.position, Some((7, 1)));
    // --seed arrives as `--set seed=N`: beyond i64 it is refused with the range.
    let e = scenario::load_str(Path::new("s.toml"), BASE, &["seed=9223372036854775808".into()])
        .unwrap_err();
    assert!(e.message.contains("9223372036854775807"), "{e}");
}

#[test]
fn a_nemesis_that_would_draw_without_bound_is_refused() {
    let e = load(&format!(
        "{BASE}[nemesis]\nkinds = [\"crash\"]\ninterval = \"1ns\"\nduration = \"1s\"\n"
    ))
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("nemesis.interval"));
    assert!(e.message.contains("at least 20us"), "{e}");
}

#[test]
fn the_error_shows_the_line_with_a_caret_under_the_value() {
    let e = load(&format!("{BASE}[network]\nloss = 1.5\n")).unwrap_err();
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].starts_with("s.toml:6:8: `network.loss`: "), "{shown}");
    assert!(lines.iter().any(|l| l.trim_end() == "6 | loss = 1.5"), "{shown}");
    let caret = lines.iter().find(|l| l.contains('^')).expect(&shown);
    assert_eq!(caret.find('^'), lines.iter().find(|l| l.contains("loss =")).unwrap().find("1.5"));
    assert!(!shown.contains('\u{1b}'), "no colour unless asked: {shown:?}");
    // A semantic error found after parsing points at its key's line.
    let e = load(&format!("{BASE}[[fault]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"n9\"\n"))
        .unwrap_err();
    assert!(e.to_string().contains("8 | node = \"n9\""), "{e}");
    // A syntax error, at the end of a line.
    let e = load("name = \"s\nprotocol = \"raft\"\n").unwrap_err();
    assert!(e.to_string().contains("1 | name = \"s"), "{e}");
    assert!(e.to_string().contains('^'), "{e}");
}
