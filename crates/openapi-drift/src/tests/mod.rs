//! Unit tests: a 3.0 YAML spec and the same API as utoipa-style 3.1 JSON, mutated in memory.

mod client_surface;
mod equivalence;
mod errors;
mod kinds;
mod operation_directions;
mod output;
mod rule_sets;
mod schema_directions;
mod things;

use serde_json::Value;

use crate::{Finding, FindingKind, Report, compare, load_str};

const SPEC: &str = include_str!("fixture_spec.yaml");
const IMPLEMENTATION: &str = include_str!("fixture_implementation.json");

fn spec() -> Value {
    load_str(SPEC).expect("spec fixture loads")
}

fn implementation() -> Value {
    load_str(IMPLEMENTATION).expect("implementation fixture loads")
}

/// Set (insert or replace) the value at a JSON pointer whose parent exists.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, token) = pointer.rsplit_once('/').expect("pointer has a parent");
    let token = token.replace("~1", "/").replace("~0", "~");
    match doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent {parent}"))
    {
        Value::Object(object) => {
            object.insert(token, value);
        }
        Value::Array(items) => {
            let index: usize = token.parse().expect("array index");
            if index == items.len() {
                items.push(value);
            } else {
                items[index] = value;
            }
        }
        other => panic!("parent {parent} is {other}"),
    }
}

/// Remove the value at a JSON pointer, which must exist.
fn remove(doc: &mut Value, pointer: &str) {
    let (parent, token) = pointer.rsplit_once('/').expect("pointer has a parent");
    let token = token.replace("~1", "/").replace("~0", "~");
    let removed = match doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent {parent}"))
    {
        Value::Object(object) => object.remove(&token),
        Value::Array(items) => Some(items.remove(token.parse().expect("array index"))),
        other => panic!("parent {parent} is {other}"),
    };
    assert!(removed.is_some(), "nothing at {pointer}");
}

/// Compare the fixtures after mutating either side.
fn drift(
    mutate_spec: impl FnOnce(&mut Value),
    mutate_implementation: impl FnOnce(&mut Value),
) -> Report {
    let (mut s, mut i) = (spec(), implementation());
    mutate_spec(&mut s);
    mutate_implementation(&mut i);
    compare(&s, &i).expect("comparison runs")
}

fn drift_in_implementation(mutate: impl FnOnce(&mut Value)) -> Report {
    drift(|_| {}, mutate)
}

/// The report holds exactly one finding, of this kind at this place.
#[track_caller]
fn assert_single(report: &Report, kind: FindingKind, place: &str) -> Finding {
    assert_eq!(
        report.findings.len(),
        1,
        "expected one finding, got:\n{report}"
    );
    assert_has(report, kind, place)
}

/// The report holds a finding of this kind at this place (maybe among others).
#[track_caller]
fn assert_has(report: &Report, kind: FindingKind, place: &str) -> Finding {
    report
        .findings
        .iter()
        .find(|f| f.kind == kind && f.place == place)
        .unwrap_or_else(|| panic!("no {kind} at `{place}` in:\n{report}"))
        .clone()
}

#[track_caller]
fn assert_consistent(report: &Report) {
    assert!(report.is_consistent(), "expected no drift, got:\n{report}");
}

/// Every pointer in a finding must designate something in its document.
#[track_caller]
fn assert_pointers_resolve(report: &Report, spec: &Value, implementation: &Value) {
    for finding in &report.findings {
        if let Some(p) = &finding.spec_pointer {
            assert!(
                spec.pointer(p).is_some(),
                "bad spec pointer {p} in {finding}"
            );
        }
        if let Some(p) = &finding.implementation_pointer {
            assert!(
                implementation.pointer(p).is_some(),
                "bad implementation pointer {p} in {finding}"
            );
        }
    }
}

#[test]
fn fixtures_3_0_yaml_and_3_1_json_agree() {
    assert_consistent(&compare(&spec(), &implementation()).unwrap());
}

#[test]
fn a_document_agrees_with_itself() {
    assert_consistent(&compare(&spec(), &spec()).unwrap());
    assert_consistent(&compare(&implementation(), &implementation()).unwrap());
}
