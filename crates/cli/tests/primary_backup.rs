//! The template protocol through the stock `faultline` binary: a fault on a group-qualified
//! selector (`random:backup`) resolves to a node of that group and says which in faults.json,
//! and the report folder carries the template's own charts.

mod common;

use common::{faultline, scenario, scratch};

#[test]
fn primary_backup_backup_crash_names_the_backup_it_crashed_and_draws_the_template_charts() {
    let dir = scratch("backup-crash");
    let out = dir.join("run");
    let file = scenario("primary-backup-backup-crash.toml");
    let (code, stdout, stderr) = faultline(&["run", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Acknowledged Writes Survive"), "{stdout}");

    // The selector is kept as written, and the node it picked is one of the backup group.
    let faults: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("faults.json")).unwrap()).unwrap();
    let crash = faults
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["spec"]["kind"] == "crash")
        .unwrap_or_else(|| panic!("no crash in {faults}"));
    assert_eq!(crash["spec"]["node"], "random:backup");
    let resolved = crash["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1, "{crash}");
    let node = resolved[0].as_str().unwrap();
    assert!(["backup1", "backup2"].contains(&node), "resolved to {node}");
    assert!(crash["skipped"].is_null(), "{crash}");

    // The protocol's charts are written beside the report's own, and index.html shows them.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for chart in ["primary-backup-replication", "primary-backup-acks"] {
        assert!(out.join(format!("{chart}.svg")).is_file(), "{chart}.svg missing");
        assert!(index.contains(&format!("{chart}.svg")), "index.html does not link {chart}");
    }
    assert!(index.contains("Writes waiting for their batch"), "the chart's title is not shown");
    // The fault band names the node the selector picked.
    let chart = std::fs::read_to_string(out.join("primary-backup-replication.svg")).unwrap();
    assert!(chart.contains(&format!("crash {node}")), "no fault band for the crash of {node}");

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["protocol"], "primary-backup");
    assert_eq!(summary["metrics"]["writes_lost"], 0);
    assert!(summary["metrics"]["writes_acked"].as_u64().unwrap() > 100, "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_shows_the_template_groups_parameters_and_bug() {
    let (code, out, err) = faultline(&["list"]);
    assert_eq!(code, 0, "{out}{err}");
    let section = out.split("protocol primary-backup").nth(1).unwrap_or_else(|| panic!("{out}"));
    for word in [
        "primary",
        "backup",
        "backups",
        "flush_interval",
        "recovery_retry",
        "early-ack",
        "Acknowledged Writes Survive",
    ] {
        assert!(section.contains(word), "{word} missing from {section}");
    }
}
