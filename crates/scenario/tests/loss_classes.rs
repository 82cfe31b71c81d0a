//! A loss fault's `classes` names message classes the protocol sends, at least one; a loss
//! without it is written back exactly as before.

use std::path::Path;

const BASE: &str = "name = \"s\"\nprotocol = \"raft\"\nduration = \"2s\"\nnodes = 3\n";

fn load(text: &str) -> Result<scenario::Scenario, scenario::ScenarioError> {
    scenario::load_str(Path::new("s.toml"), text, &[])
}

fn loss(classes: &str) -> String {
    format!("{BASE}[[fault]]\nat = \"1s\"\nkind = \"loss\"\nrate = 0.5\n{classes}")
}

#[test]
fn a_class_the_protocol_does_not_send_is_refused_naming_the_key() {
    let e = load(&loss("classes = [\"append\", \"invalidate\"]\n")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("fault[0].classes"), "{e}");
    assert!(
        e.message.contains("`invalidate` is not a message class raft sends: allowed [\"vote\""),
        "{e}"
    );
    assert_eq!(e.position.map(|p| p.0), Some(9), "points at the `classes` line: {e}");
    assert!(e.to_string().contains("9 | classes = [\"append\", \"invalidate\"]"), "{e}");
}

#[test]
fn an_empty_or_malformed_class_list_is_refused() {
    let e = load(&loss("classes = []\n")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("fault[0].classes"), "{e}");
    assert!(e.message.contains("an empty class list"), "{e}");
    let e = load(&loss("classes = [\"a.b\"]\n")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("fault[0].classes"), "{e}");
    assert!(e.message.contains("not a message class name"), "{e}");
}

#[test]
fn classes_round_trip_and_their_absence_writes_nothing() {
    let with = load(&loss("classes = [\"append\", \"vote\"]\nnodes = [\"n1\"]\n")).unwrap();
    let table = with.to_table();
    let fault = &table["fault"].as_array().unwrap()[0];
    let classes: Vec<&str> =
        fault["classes"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(classes, ["append", "vote"]);
    let again = scenario::Scenario::from_table(table).unwrap();
    assert_eq!(again.faults, with.faults);

    let without = load(&loss("")).unwrap();
    let fault = without.to_table()["fault"].as_array().unwrap()[0].clone();
    assert!(fault.get("classes").is_none(), "{fault:?}");
    let json = serde_json::to_string(&without.faults[0]).unwrap();
    assert_eq!(json, r#"{"at":"1s","kind":"loss","rate":0.5}"#);
}
