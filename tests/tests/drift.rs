//! The drift check as a plain test: the spec agrees with the document utoipa derives from the
//! server, and each kind of in-memory edit of the spec is caught, naming its place.

use contract_tests::spec;
use openapi_drift::{FindingKind, Report, compare};
use serde_json::Value;

fn implementation() -> Value {
    serde_json::to_value(sessions_server::startup::implementation_openapi())
        .expect("the document serializes")
}

fn drift_after(edit: impl FnOnce(&mut Value)) -> Report {
    let mut spec = spec();
    edit(&mut spec);
    compare(&spec, &implementation()).expect("both documents load")
}

/// The one finding of `kind` at `place`, or a failure listing what was found instead.
fn assert_finding(report: &Report, kind: FindingKind, place: &str) {
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.kind == kind && finding.place == place),
        "expected {kind:?} at {place:?}; found:\n{report}"
    );
}

#[test]
fn the_spec_and_the_implementation_agree() {
    let report = compare(&spec(), &implementation()).unwrap();
    assert!(
        report.is_consistent(),
        "drift between spec and implementation:\n{report}"
    );
}

#[test]
fn a_renamed_property_is_caught() {
    let report = drift_after(|spec| {
        let session = spec.pointer_mut("/components/schemas/Session").unwrap();
        let properties = session["properties"].as_object_mut().unwrap();
        let device_name = properties.remove("deviceName").unwrap();
        properties.insert("device".to_owned(), device_name);
        let required = session["required"].as_array_mut().unwrap();
        required.retain(|name| name != "deviceName");
        required.push("device".into());
    });
    assert_finding(
        &report,
        FindingKind::PropertyMissing,
        "GET /sessions → 200 → sessions[].device",
    );
    assert_finding(
        &report,
        FindingKind::PropertyExtra,
        "GET /sessions → 200 → sessions[].deviceName",
    );
}

#[test]
fn a_changed_type_is_caught_with_both_sides() {
    let report = drift_after(|spec| {
        *spec
            .pointer_mut("/components/schemas/Session/properties/deviceName/type")
            .unwrap() = "integer".into();
    });
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.kind == FindingKind::TypeChanged)
        .unwrap_or_else(|| panic!("no type change found:\n{report}"));
    assert_eq!(finding.place, "GET /sessions → 200 → sessions[].deviceName");
    assert_eq!(finding.spec, "integer");
    assert_eq!(finding.implementation, "string");
}

#[test]
fn a_changed_format_and_a_flipped_required_are_caught() {
    let report = drift_after(|spec| {
        spec.pointer_mut("/components/schemas/Session/properties/startedAt")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("format");
        spec.pointer_mut("/components/schemas/Session/required")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .retain(|name| name != "loginMethod");
    });
    assert_finding(
        &report,
        FindingKind::FormatChanged,
        "GET /sessions → 200 → sessions[].startedAt",
    );
    assert_finding(
        &report,
        FindingKind::RequiredChanged,
        "GET /sessions → 200 → sessions[].loginMethod",
    );
}

#[test]
fn a_removed_status_code_is_caught() {
    let report = drift_after(|spec| {
        spec.pointer_mut("/paths/~1sessions/get/responses")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("500");
    });
    assert_finding(&report, FindingKind::StatusExtra, "GET /sessions → 500");
}

#[test]
fn a_removed_operation_is_caught() {
    let report = drift_after(|spec| {
        spec["paths"].as_object_mut().unwrap().remove("/sessions");
    });
    assert_finding(&report, FindingKind::OperationExtra, "GET /sessions");
}

#[test]
fn a_changed_operation_id_and_security_are_caught() {
    let report = drift_after(|spec| {
        let operation = spec.pointer_mut("/paths/~1sessions/get").unwrap();
        operation["operationId"] = "listSessions".into();
        operation["security"] = serde_json::json!([]);
    });
    assert_finding(&report, FindingKind::OperationIdChanged, "GET /sessions");
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.kind == FindingKind::SecurityChanged),
        "no security finding:\n{report}"
    );
}
