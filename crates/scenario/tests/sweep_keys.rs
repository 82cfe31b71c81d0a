//! `[sweep]` keys and values are checked as `--set` would check them, by every command that
//! loads a scenario, with the position of the offending line.

use std::path::Path;

const BASE: &str = "name = \"s\"\nprotocol = \"raft\"\nduration = \"5s\"\n";

fn load(extra: &str) -> Result<scenario::Scenario, scenario::ScenarioError> {
    scenario::load_str(Path::new("s.toml"), &format!("{BASE}{extra}"), &[])
}

#[test]
fn a_valid_sweep_loads_with_its_points() {
    let s = load(
        "[sweep]\nseeds = 4\nx = \"network.loss\"\n[sweep.grid]\n\"network.loss\" = [0.0, 0.05]\n\"raft.election_timeout\" = [\"150ms..300ms\", \"50ms..100ms\"]\n[[sweep.point]]\n\"workload.read_ratio\" = 0.9\n\"workload.cas_ratio\" = 0.1\n",
    )
    .unwrap();
    let sweep = s.sweep.unwrap();
    assert_eq!(sweep.seeds, 4);
    assert_eq!(sweep.points().len(), 5);
}

#[test]
fn a_bad_grid_value_is_named_with_its_line() {
    let e = load("[sweep]\n[sweep.grid]\n\"network.loss\" = [0.0, 1.5]\n").unwrap_err();
    assert_eq!(e.position, Some((6, 1)));
    assert_eq!(e.key.as_deref(), Some("sweep.grid.\"network.loss\""));
    assert!(e.message.contains("1.5") && e.message.contains("[0, 1)"), "{e}");
}

#[test]
fn an_unknown_grid_key_is_refused() {
    let e = load("[sweep]\n[sweep.grid]\n\"network.lost\" = [0.1]\n").unwrap_err();
    assert!(e.message.contains("lost"), "{e}");
}

#[test]
fn a_point_whose_values_clash_is_refused() {
    let e = load(
        "[sweep]\n[[sweep.point]]\n\"workload.read_ratio\" = 0.8\n\"workload.cas_ratio\" = 0.5\n",
    )
    .unwrap_err();
    assert!(e.message.contains("read_ratio + cas_ratio"), "{e}");
    assert_eq!(e.position, Some((7, 1)), "the point's first key, in key order");
}

#[test]
fn the_sweep_itself_is_checked() {
    assert!(load("[sweep]\nseeds = 0\n").unwrap_err().to_string().contains("sweep.seeds"));
    let e = load("[sweep]\nx = \"nodes\"\n[sweep.grid]\n\"network.loss\" = [0.1]\n").unwrap_err();
    assert!(e.to_string().contains("neither a swept key"), "{e}");
    // One figure against another: x may name a summary figure.
    load("[sweep]\nx = \"metrics.elections\"\n[sweep.grid]\n\"network.loss\" = [0.1]\n").unwrap();
    let e = load("[sweep]\n[sweep.grid]\nseed = [1, 2]\n").unwrap_err();
    assert!(e.to_string().contains("cannot be swept"), "{e}");
    let e = load("[sweep]\nsteps = 3\n").unwrap_err();
    assert!(e.to_string().contains("steps"), "{e}");
}
