//! Human and JSON output, and deterministic ordering.

use serde_json::json;

use super::*;

fn several_findings() -> Report {
    drift(
        |s| set(s, "/components/schemas/Unused", json!({"type": "string"})),
        |i| {
            set(
                i,
                "/components/schemas/Session/properties/deviceName/type",
                json!("integer"),
            );
            remove(i, "/components/schemas/Session/properties/tags");
            remove(i, "/paths/~1health");
            set(
                i,
                "/paths/~1devices~1trust/post/operationId",
                json!("trust"),
            );
        },
    )
}

#[test]
fn consistent_report_text() {
    let report = compare(&spec(), &implementation()).unwrap();
    assert_eq!(report.to_string(), "consistent: no drift found\n");
}

#[test]
fn report_groups_findings_by_operation() {
    let report = several_findings();
    let expected = "\
GET /health
  [breaking] GET /health: operation: spec present, implementation absent
GET /sessions
  [breaking] GET /sessions → 200 → sessions[].deviceName: type: spec string, implementation integer
  [compatible] GET /sessions → 200 → sessions[].tags: property: spec present, implementation absent
POST /devices/trust
  [client] POST /devices/trust: operationId: spec trustDevice, implementation trust
components
  [client] components.schemas.Unused: component: spec present, implementation absent
5 findings: 2 breaking, 2 client-surface, 1 compatible
";
    assert_eq!(report.to_string(), expected);
}

#[test]
fn single_finding_count_is_singular() {
    let report = drift_in_implementation(|i| remove(i, "/paths/~1health"));
    assert!(
        report.to_string().ends_with("\n1 finding: 1 breaking\n"),
        "{report}"
    );
}

#[test]
fn findings_are_sorted_deterministically() {
    let first = several_findings();
    for _ in 0..3 {
        assert_eq!(several_findings(), first);
    }
    let places: Vec<&str> = first.findings.iter().map(|f| f.place.as_str()).collect();
    let mut sorted = places.clone();
    sorted.sort();
    // Operation places sort before `components`, and in place order among themselves.
    assert_eq!(places, sorted);
}

#[test]
fn report_serializes_with_snake_case_kinds() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/components/schemas/Session/properties/deviceName/type",
            json!("integer"),
        );
    });
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(
        value,
        json!({"findings": [{
            "kind": "type_changed",
            "severity": "breaking",
            "direction": "response",
            "place": "GET /sessions → 200 → sessions[].deviceName",
            "spec_pointer": "/components/schemas/Session/properties/deviceName",
            "implementation_pointer": "/components/schemas/Session/properties/deviceName",
            "spec": "string",
            "implementation": "integer"
        }]})
    );
    assert_eq!(
        FindingKind::AdditionalPropertiesChanged.to_string(),
        "additional_properties_changed"
    );
}
