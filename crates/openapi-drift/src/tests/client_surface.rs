//! Client-surface findings (renamed components, constructs progenitor cannot generate),
//! the report helpers, and the human and JSON forms of severity and direction.

use serde_json::json;

use super::*;
use crate::FindingKind as K;
use crate::{Direction, Severity};

/// One `GET /things` operation with the given responses, and the given component schemas.
fn doc(responses: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {"operationId": "getThings", "responses": responses}}},
        "components": {"schemas": schemas}
    })
}

fn json_body(schema: Value) -> Value {
    json!({"description": "", "content": {"application/json": {"schema": schema}}})
}

fn reference_to(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn owner_and_device(owner_name: &str) -> Value {
    json!({
        owner_name: {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "Device": {"type": "object", "properties": {"owner": reference_to(owner_name)}}
    })
}

#[test]
fn a_renamed_component_is_one_finding() {
    let reference = doc(
        json!({"200": json_body(reference_to("Device"))}),
        owner_and_device("Owner"),
    );
    let mut candidate = doc(
        json!({"200": json_body(reference_to("Device"))}),
        owner_and_device("Person"),
    );
    // Metadata does not count against structural identity.
    set(
        &mut candidate,
        "/components/schemas/Person/description",
        json!("Who owns it"),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::ComponentRenamed, "components.schemas.Owner");
    assert_eq!(
        (f.spec.as_str(), f.implementation.as_str()),
        ("Owner", "Person")
    );
    assert_eq!((f.severity, f.direction), (Severity::ClientSurface, None));
    assert_eq!(f.spec_pointer.as_deref(), Some("/components/schemas/Owner"));
    assert_eq!(
        f.implementation_pointer.as_deref(),
        Some("/components/schemas/Person")
    );
    assert_eq!(
        f.to_string(),
        "components.schemas.Owner: component name: spec Owner, implementation Person"
    );
}

#[test]
fn a_renamed_and_changed_component_is_missing_and_extra() {
    let reference = doc(json!({}), owner_and_device("Owner"));
    let mut candidate = doc(json!({}), owner_and_device("Person"));
    set(
        &mut candidate,
        "/components/schemas/Person/properties/name/type",
        json!("integer"),
    );
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    let missing = assert_has(&report, K::ComponentMissing, "components.schemas.Owner");
    let extra = assert_has(&report, K::ComponentExtra, "components.schemas.Person");
    assert_eq!(
        (missing.severity, extra.severity),
        (Severity::ClientSurface, Severity::Compatible)
    );
}

#[test]
fn each_renamed_component_pairs_with_one_twin() {
    let string = json!({"type": "string"});
    let reference = doc(json!({}), json!({"A": string, "B": string}));
    let candidate = doc(json!({}), json!({"C": string}));
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    assert_has(&report, K::ComponentRenamed, "components.schemas.A");
    assert_has(&report, K::ComponentMissing, "components.schemas.B");
}

#[test]
fn a_recursive_component_can_be_renamed() {
    let tree = |name: &str| {
        json!({name: {"type": "object", "properties": {
            "children": {"type": "array", "items": reference_to(name)}
        }}})
    };
    let report = compare(&doc(json!({}), tree("Tree")), &doc(json!({}), tree("Node"))).unwrap();
    assert_single(&report, K::ComponentRenamed, "components.schemas.Tree");
}

#[test]
fn several_success_response_types_are_unsupported() {
    let reference = doc(
        json!({"200": json_body(reference_to("Owner"))}),
        owner_and_device("Owner"),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1things/get/responses/204",
        json!({"description": "nothing"}),
    );
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    assert_has(&report, K::StatusExtra, "GET /things → 204");
    let f = assert_has(&report, K::ProgenitorUnsupported, "GET /things → responses");
    assert_eq!(
        (f.severity, f.direction),
        (Severity::ClientSurface, Some(Direction::Response))
    );
    assert_eq!(f.spec, "1 success response type");
    assert_eq!(f.implementation, "2 success response types (200 / 204)");
    assert_eq!(
        f.implementation_pointer.as_deref(),
        Some("/paths/~1things/get/responses")
    );
    assert_pointers_resolve(&report, &reference, &candidate);
}

#[test]
fn several_error_response_types_are_unsupported() {
    let schemas = json!({
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
        "Problem": {"type": "object", "properties": {"title": {"type": "string"}}}
    });
    let reference = doc(
        json!({"204": {"description": ""}, "400": json_body(reference_to("Error"))}),
        schemas.clone(),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1things/get/responses/500",
        json_body(reference_to("Problem")),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_has(&report, K::ProgenitorUnsupported, "GET /things → responses");
    assert_eq!(f.implementation, "2 error response types (400 / 500)");
    assert_eq!(report.findings.len(), 2, "{report}");

    // The same schema, once by $ref and once inline, is one type.
    let mut same = reference.clone();
    set(
        &mut same,
        "/paths/~1things/get/responses/500",
        json_body(schemas["Error"].clone()),
    );
    let report = compare(&reference, &same).unwrap();
    assert_single(&report, K::StatusExtra, "GET /things → 500");
}

#[test]
fn a_default_response_counts_on_both_sides_as_in_progenitor() {
    let schemas = json!({
        "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}}
    });
    let empty = doc(json!({}), schemas.clone());
    // `200` and `default` of different types: two success types for progenitor.
    let candidate = doc(
        json!({"200": json_body(reference_to("Thing")), "default": json_body(reference_to("Error"))}),
        schemas.clone(),
    );
    let report = compare(&empty, &candidate).unwrap();
    let f = assert_has(&report, K::ProgenitorUnsupported, "GET /things → responses");
    assert_eq!(f.implementation, "2 success response types (200 / default)");
    // With a `2XX` range, the default is only the error side.
    let candidate = doc(
        json!({"2XX": json_body(reference_to("Thing")), "default": json_body(reference_to("Error"))}),
        schemas,
    );
    let report = compare(&empty, &candidate).unwrap();
    assert_eq!(
        report.of_kind(K::ProgenitorUnsupported).count(),
        0,
        "{report}"
    );
}

#[test]
fn non_json_bodies_are_unsupported() {
    let reference = doc(
        json!({"200": json_body(json!({"type": "string"}))}),
        json!({}),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1things/get/responses/200/content",
        json!({"text/csv": {"schema": {"type": "string"}}}),
    );
    set(
        &mut candidate,
        "/paths/~1things/get/requestBody",
        json!({"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let response = assert_has(&report, K::ProgenitorUnsupported, "GET /things → 200");
    assert_eq!(
        (response.spec.as_str(), response.implementation.as_str()),
        ("application/json", "text/csv (not JSON)")
    );
    assert_eq!(response.direction, Some(Direction::Response));
    let request = assert_has(
        &report,
        K::ProgenitorUnsupported,
        "GET /things → request body",
    );
    assert_eq!(request.direction, Some(Direction::Request));
    assert_eq!(request.spec, "absent");
    assert_pointers_resolve(&report, &reference, &candidate);

    // `+json` media types are JSON.
    let mut problem = reference.clone();
    set(
        &mut problem,
        "/paths/~1things/get/responses/200/content/application~1problem+json",
        json!({"schema": {"type": "string"}}),
    );
    let report = compare(&reference, &problem).unwrap();
    assert_single(&report, K::ContentTypeChanged, "GET /things → 200");
}

#[test]
fn cookie_parameters_and_missing_operation_ids_are_unsupported() {
    let reference = doc(json!({"204": {"description": ""}}), json!({}));
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1things/get/parameters",
        json!([{"name": "session", "in": "cookie", "schema": {"type": "string"}}]),
    );
    remove(&mut candidate, "/paths/~1things/get/operationId");
    let report = compare(&reference, &candidate).unwrap();
    assert_has(
        &report,
        K::ProgenitorUnsupported,
        "GET /things → parameter cookie.session",
    );
    let f = assert_has(&report, K::ProgenitorUnsupported, "GET /things");
    assert_eq!(
        (f.spec.as_str(), f.implementation.as_str()),
        ("getThings", "no operationId")
    );
    assert_has(&report, K::OperationIdChanged, "GET /things");
}

#[test]
fn unsupported_constructs_already_in_the_reference_are_not_reported() {
    let awkward = doc(
        json!({
            "200": json_body(json!({"type": "string"})),
            "204": {"description": ""},
            "400": {"description": "", "content": {"text/plain": {"schema": {"type": "string"}}}},
            "500": json_body(json!({"type": "object"}))
        }),
        json!({}),
    );
    assert_consistent(&compare(&awkward, &awkward).unwrap());

    // Another success type on top of two: still "several", nothing new for progenitor.
    let mut more = awkward.clone();
    set(
        &mut more,
        "/paths/~1things/get/responses/201",
        json_body(json!({"type": "integer"})),
    );
    let report = compare(&awkward, &more).unwrap();
    assert_single(&report, K::StatusExtra, "GET /things → 201");
}

#[test]
fn a_new_operation_reports_all_its_unsupported_constructs() {
    let reference = doc(json!({"204": {"description": ""}}), json!({}));
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        "/paths/~1export",
        json!({"get": {"operationId": "export", "responses": {
            "200": {"description": "", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }}}),
    );
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    assert_has(&report, K::OperationExtra, "GET /export");
    let f = assert_has(&report, K::ProgenitorUnsupported, "GET /export → 200");
    assert_eq!(f.spec_pointer, None);
}

#[test]
fn spellings_of_3_0_and_3_1_agree_in_small_documents() {
    let v30 = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {
            "operationId": "getThing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}],
            "responses": {"200": json_body(json!({
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "enum": ["thing"]},
                    "owner": {"allOf": [reference_to("Owner")], "nullable": true},
                    "note": {"type": "string", "nullable": true}
                }
            }))}
        }}},
        "components": {"schemas": {"Owner": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    });
    let v31 = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {
            "operationId": "getThing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "exclusiveMinimum": 0}}],
            "responses": {"200": json_body(json!({
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"const": "thing"},
                    "owner": {"oneOf": [{"type": "null"}, reference_to("Owner")]},
                    "note": {"type": ["string", "null"]}
                }
            }))}
        }}},
        "components": {"schemas": {"Owner": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    });
    assert_consistent(&compare(&v30, &v31).unwrap());
    assert_consistent(&compare(&v31, &v30).unwrap());
}

fn mixed_report() -> Report {
    drift_in_implementation(|i| {
        let session = "/components/schemas/Session";
        set(
            i,
            &format!("{session}/properties/deviceName/type"),
            json!("integer"),
        );
        remove(i, &format!("{session}/properties/tags"));
        set(
            i,
            "/paths/~1devices~1trust/post/operationId",
            json!("trust"),
        );
    })
}

#[test]
fn report_helpers_filter_by_severity() {
    let report = mixed_report();
    let kinds = |findings: Vec<&Finding>| findings.iter().map(|f| f.kind).collect::<Vec<_>>();
    assert_eq!(kinds(report.breaking().collect()), [K::TypeChanged]);
    assert_eq!(
        kinds(report.client_surface().collect()),
        [K::OperationIdChanged]
    );
    assert_eq!(kinds(report.compatible().collect()), [K::PropertyMissing]);
    assert!(report.has_breaking_or_client_surface());

    let compatible_only = drift_in_implementation(|i| {
        remove(i, "/components/schemas/Session/properties/tags");
    });
    assert!(!compatible_only.is_consistent());
    assert!(!compatible_only.has_breaking_or_client_surface());
    assert!(
        !compare(&spec(), &implementation())
            .unwrap()
            .has_breaking_or_client_surface()
    );
}

#[test]
fn human_report_tags_each_line_and_counts_by_severity() {
    let text = mixed_report().to_string();
    let expected = "\
GET /sessions
  [breaking] GET /sessions → 200 → sessions[].deviceName: type: spec string, implementation integer
  [compatible] GET /sessions → 200 → sessions[].tags: property: spec present, implementation absent
POST /devices/trust
  [client] POST /devices/trust: operationId: spec trustDevice, implementation trust
3 findings: 1 breaking, 1 client-surface, 1 compatible
";
    assert_eq!(text, expected);
}

#[test]
fn json_report_has_every_field_and_reads_back() {
    let report = mixed_report();
    let text = report.to_json_pretty();
    assert_eq!(text, serde_json::to_string_pretty(&report).unwrap());
    let value: Value = serde_json::from_str(&text).unwrap();
    let first = &value["findings"][0];
    for field in [
        "kind",
        "severity",
        "direction",
        "place",
        "spec_pointer",
        "implementation_pointer",
        "spec",
        "implementation",
    ] {
        assert!(first.get(field).is_some(), "no {field} in {first}");
    }
    let operation_id = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "operation_id_changed")
        .unwrap();
    assert_eq!(operation_id["severity"], "client_surface");
    assert_eq!(operation_id["direction"], Value::Null);
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
}
