//! One mutation per finding kind: each must be caught, with the right kind and place.

use serde_json::json;

use super::*;
use crate::FindingKind as K;

const SESSION: &str = "/components/schemas/Session";
const SESSIONS_GET: &str = "/paths/~1sessions/get";
const TRUST_POST: &str = "/paths/~1devices~1trust/post";

#[test]
fn operation_missing() {
    let report = drift_in_implementation(|i| remove(i, "/paths/~1health"));
    let finding = assert_single(&report, K::OperationMissing, "GET /health");
    assert_eq!(finding.spec_pointer.as_deref(), Some("/paths/~1health/get"));
    assert_eq!(finding.implementation_pointer, None);
}

#[test]
fn operation_missing_when_only_the_method_differs() {
    let report = drift_in_implementation(|i| {
        let op = i.pointer("/paths/~1health/get").unwrap().clone();
        remove(i, "/paths/~1health/get");
        set(i, "/paths/~1health/head", op);
    });
    assert_has(&report, K::OperationMissing, "GET /health");
    assert_has(&report, K::OperationExtra, "HEAD /health");
    // The new operation answers text/plain, which a progenitor client cannot type.
    assert_has(&report, K::ProgenitorUnsupported, "HEAD /health → 200");
    assert_eq!(report.findings.len(), 3, "{report}");
}

#[test]
fn operation_extra() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/paths/~1metrics",
            json!({"get": {"operationId": "metrics", "responses": {"200": {"description": ""}}}}),
        );
    });
    let finding = assert_single(&report, K::OperationExtra, "GET /metrics");
    assert_eq!(
        finding.implementation_pointer.as_deref(),
        Some("/paths/~1metrics/get")
    );
}

#[test]
fn operation_id_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/paths/~1sessions/get/operationId",
            json!("get_sessions"),
        )
    });
    let finding = assert_single(&report, K::OperationIdChanged, "GET /sessions");
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("getSessions", "get_sessions")
    );
}

#[test]
fn parameter_missing() {
    let report = drift_in_implementation(|i| remove(i, &format!("{SESSIONS_GET}/parameters/0")));
    let finding = assert_single(
        &report,
        K::ParameterMissing,
        "GET /sessions → parameter query.limit",
    );
    assert_eq!(
        finding.spec_pointer.as_deref(),
        Some("/paths/~1sessions/get/parameters/0")
    );
}

#[test]
fn parameter_extra() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/parameters/1"),
            json!({"name": "X-Trace", "in": "header", "schema": {"type": "string"}}),
        );
    });
    assert_single(
        &report,
        K::ParameterExtra,
        "GET /sessions → parameter header.X-Trace",
    );
}

#[test]
fn parameter_required_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/parameters/0/required"),
            json!(true),
        )
    });
    let finding = assert_single(
        &report,
        K::ParameterChanged,
        "GET /sessions → parameter query.limit",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("optional", "required")
    );
}

#[test]
fn parameter_location_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/parameters/0/in"),
            json!("header"),
        )
    });
    let finding = assert_single(
        &report,
        K::ParameterChanged,
        "GET /sessions → parameter query.limit",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("in query", "in header")
    );
}

#[test]
fn parameter_schema_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/parameters/0/schema/maximum"),
            json!(500),
        );
    });
    assert_single(
        &report,
        K::ConstraintChanged,
        "GET /sessions → parameter query.limit",
    );
}

#[test]
fn path_parameter_renamed_still_matches_the_operation() {
    let report = drift_in_implementation(|i| {
        let item = i.pointer("/paths/~1sessions~1{id}").unwrap().clone();
        remove(i, "/paths/~1sessions~1{id}");
        set(i, "/paths/~1sessions~1{sessionId}", item);
        set(
            i,
            "/paths/~1sessions~1{sessionId}/delete/parameters/0/name",
            json!("sessionId"),
        );
    });
    let finding = assert_single(
        &report,
        K::PathParameterRenamed,
        "DELETE /sessions/{id} → parameter path.id",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("id", "sessionId")
    );
    assert_eq!(finding.severity, crate::Severity::ClientSurface);
    // The path-level parameter of the spec is where the name is declared.
    assert_eq!(
        finding.spec_pointer.as_deref(),
        Some("/paths/~1sessions~1{id}/parameters/0")
    );
}

#[test]
fn request_body_missing() {
    let report = drift_in_implementation(|i| remove(i, &format!("{TRUST_POST}/requestBody")));
    assert_single(
        &report,
        K::RequestBodyMissing,
        "POST /devices/trust → request body",
    );
}

#[test]
fn request_body_extra() {
    let report = drift(|s| remove(s, &format!("{TRUST_POST}/requestBody")), |_| {});
    assert_single(
        &report,
        K::RequestBodyExtra,
        "POST /devices/trust → request body",
    );
}

#[test]
fn request_body_required_changed() {
    let report =
        drift_in_implementation(|i| remove(i, &format!("{TRUST_POST}/requestBody/required")));
    let finding = assert_single(
        &report,
        K::RequestBodyChanged,
        "POST /devices/trust → request body",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("required", "optional")
    );
}

#[test]
fn request_body_property_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/components/schemas/TrustRequest/properties/fingerprint/type",
            json!("integer"),
        );
    });
    assert_single(
        &report,
        K::TypeChanged,
        "POST /devices/trust → request body → fingerprint",
    );
}

#[test]
fn status_missing() {
    let report = drift_in_implementation(|i| remove(i, &format!("{SESSIONS_GET}/responses/401")));
    let finding = assert_single(&report, K::StatusMissing, "GET /sessions → 401");
    // The spec's response is a $ref; the pointer names where its content lives.
    assert_eq!(
        finding.spec_pointer.as_deref(),
        Some("/components/responses/Unauthorized")
    );
}

#[test]
fn status_extra() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/responses/5XX"),
            json!({"description": "oops", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorResponse"}
            }}}),
        );
    });
    assert_single(&report, K::StatusExtra, "GET /sessions → 5XX");
}

#[test]
fn status_ranges_match_case_insensitively() {
    let report = drift(
        |s| {
            set(
                s,
                &format!("{SESSIONS_GET}/responses/5xx"),
                json!({"description": "x"}),
            )
        },
        |i| {
            set(
                i,
                &format!("{SESSIONS_GET}/responses/5XX"),
                json!({"description": "y"}),
            )
        },
    );
    assert_consistent(&report);
}

#[test]
fn content_type_changed() {
    let report = drift_in_implementation(|i| {
        let media = format!("{SESSIONS_GET}/responses/200/content");
        let json = i
            .pointer(&format!("{media}/application~1json"))
            .unwrap()
            .clone();
        remove(i, &format!("{media}/application~1json"));
        set(i, &format!("{media}/application~1xml"), json);
    });
    // Two media type changes, and XML is a body a progenitor client cannot type.
    assert_eq!(report.findings.len(), 3, "{report}");
    assert_eq!(report.of_kind(K::ContentTypeChanged).count(), 2);
    assert_has(&report, K::ProgenitorUnsupported, "GET /sessions → 200");
    assert!(
        report
            .of_kind(K::ContentTypeChanged)
            .all(|f| f.place == "GET /sessions → 200")
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.spec == "application/json" && f.implementation == "absent")
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.spec == "absent" && f.implementation == "application/xml")
    );
}

#[test]
fn content_where_the_spec_has_none() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/paths/~1sessions~1{id}/delete/responses/204/content",
            json!({"application/json": {"schema": {"type": "object"}}}),
        );
    });
    let finding = assert_single(
        &report,
        K::ContentTypeChanged,
        "DELETE /sessions/{id} → 204",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("no content", "application/json")
    );
}

#[test]
fn non_json_media_type_is_named_in_the_place() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/paths/~1health/get/responses/200/content/text~1plain/schema/type",
            json!("integer"),
        );
    });
    assert_single(&report, K::TypeChanged, "GET /health → 200 → text/plain");
}

#[test]
fn header_missing_and_extra() {
    let report = drift_in_implementation(|i| {
        let headers = "/paths/~1sessions~1{id}/delete/responses/401/headers";
        remove(i, &format!("{headers}/www-authenticate"));
        set(
            i,
            &format!("{headers}/Retry-After"),
            json!({"schema": {"type": "integer"}}),
        );
    });
    assert_has(
        &report,
        K::HeaderMissing,
        "DELETE /sessions/{id} → 401 → header WWW-Authenticate",
    );
    assert_has(
        &report,
        K::HeaderExtra,
        "DELETE /sessions/{id} → 401 → header Retry-After",
    );
    assert_eq!(report.findings.len(), 2, "{report}");
}

#[test]
fn header_type_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/responses/401/headers/WWW-Authenticate/schema/type"),
            json!("integer"),
        );
    });
    assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 401 → header WWW-Authenticate",
    );
}

/// Takes `name` out of the schema's `required` list.
fn unrequire(doc: &mut Value, schema: &str, name: &str) {
    let required = doc
        .pointer_mut(&format!("{schema}/required"))
        .and_then(Value::as_array_mut)
        .expect("the schema has a required list");
    let before = required.len();
    required.retain(|member| member != name);
    assert_eq!(required.len(), before - 1, "{name} was required");
}

/// A required name without a schema of its own is a property of any value (JSON Schema's
/// reading): still there, no longer a string.
#[test]
fn a_required_property_without_a_schema_is_present_with_any_value() {
    let report =
        drift_in_implementation(|i| remove(i, &format!("{SESSION}/properties/deviceName")));
    let finding = assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 200 → sessions[].deviceName",
    );
    assert_eq!(finding.spec, "string");
    assert_eq!(finding.implementation, "any");
}

#[test]
fn property_missing() {
    let report = drift_in_implementation(|i| {
        remove(i, &format!("{SESSION}/properties/deviceName"));
        unrequire(i, SESSION, "deviceName");
    });
    let finding = assert_single(
        &report,
        K::PropertyMissing,
        "GET /sessions → 200 → sessions[].deviceName",
    );
    assert_eq!(
        finding.spec_pointer.as_deref(),
        Some("/components/schemas/Session/properties/deviceName")
    );
    assert_eq!(finding.implementation_pointer.as_deref(), Some(SESSION));
}

#[test]
fn property_extra() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/userAgent"),
            json!({"type": "string"}),
        );
    });
    assert_single(
        &report,
        K::PropertyExtra,
        "GET /sessions → 200 → sessions[].userAgent",
    );
}

#[test]
fn type_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/deviceName/type"),
            json!("integer"),
        )
    });
    let finding = assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 200 → sessions[].deviceName",
    );
    assert_eq!(
        finding.to_string(),
        "GET /sessions → 200 → sessions[].deviceName: type: spec string, implementation integer"
    );
    assert_eq!(
        finding.implementation_pointer.as_deref(),
        Some("/components/schemas/Session/properties/deviceName")
    );
}

#[test]
fn integer_and_number_differ() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/failedLogins/type"),
            json!("number"),
        )
    });
    assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 200 → sessions[].failedLogins",
    );
}

#[test]
fn format_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/startedAt/format"),
            json!("date"),
        )
    });
    let finding = assert_single(
        &report,
        K::FormatChanged,
        "GET /sessions → 200 → sessions[].startedAt",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("date-time", "date")
    );
}

#[test]
fn required_changed() {
    let report = drift_in_implementation(|i| remove(i, &format!("{SESSION}/required/0")));
    let finding = assert_single(
        &report,
        K::RequiredChanged,
        "GET /sessions → 200 → sessions[].id",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("required", "optional")
    );
}

#[test]
fn nullable_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/deviceName/type"),
            json!(["string", "null"]),
        );
    });
    assert_single(
        &report,
        K::NullableChanged,
        "GET /sessions → 200 → sessions[].deviceName",
    );
}

#[test]
fn nullable_ref_changed() {
    // utoipa's Option<Struct> dropped to a plain $ref: no longer nullable.
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/components/schemas/Device/properties/owner",
            json!({"$ref": "#/components/schemas/Owner"}),
        );
    });
    assert_single(
        &report,
        K::NullableChanged,
        "POST /devices/trust → 200 → owner",
    );
}

#[test]
fn enum_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/status/enum"),
            json!(["active", "idle", "revoked"]),
        );
    });
    let finding = assert_single(
        &report,
        K::EnumChanged,
        "GET /sessions → 200 → sessions[].status",
    );
    assert_eq!(finding.implementation, r#"["active", "idle", "revoked"]"#);
}

#[test]
fn items_changed() {
    let report =
        drift_in_implementation(|i| remove(i, &format!("{SESSION}/properties/tags/items")));
    assert_single(
        &report,
        K::ItemsChanged,
        "GET /sessions → 200 → sessions[].tags[]",
    );
}

#[test]
fn item_type_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/tags/items/type"),
            json!("integer"),
        );
    });
    assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 200 → sessions[].tags[]",
    );
}

#[test]
fn additional_properties_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/metadata/additionalProperties"),
            json!(false),
        );
    });
    let finding = assert_single(
        &report,
        K::AdditionalPropertiesChanged,
        "GET /sessions → 200 → sessions[].metadata",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("schema string", "false")
    );
}

#[test]
fn additional_properties_schema_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/metadata/additionalProperties/type"),
            json!("integer"),
        );
    });
    assert_single(
        &report,
        K::TypeChanged,
        "GET /sessions → 200 → sessions[].metadata{}",
    );
}

#[test]
fn constraint_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSION}/properties/deviceName/maxLength"),
            json!(128),
        )
    });
    let finding = assert_single(
        &report,
        K::ConstraintChanged,
        "GET /sessions → 200 → sessions[].deviceName",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("maxLength 64", "maxLength 128")
    );
}

#[test]
fn constraint_removed() {
    let report = drift_in_implementation(|i| {
        remove(
            i,
            "/components/schemas/TrustRequest/properties/fingerprint/pattern",
        );
    });
    let finding = assert_single(
        &report,
        K::ConstraintChanged,
        "POST /devices/trust → request body → fingerprint",
    );
    assert_eq!(finding.implementation, "no pattern");
}

#[test]
fn unsigned_minimum_missing_from_the_spec_is_a_constraint_change() {
    let report = drift(
        |s| remove(s, &format!("{SESSION}/properties/failedLogins/minimum")),
        |_| {},
    );
    assert_single(
        &report,
        K::ConstraintChanged,
        "GET /sessions → 200 → sessions[].failedLogins",
    );
}

#[test]
fn exclusive_bound_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            &format!("{SESSIONS_GET}/parameters/0/schema/exclusiveMinimum"),
            json!(1),
        );
        remove(i, &format!("{SESSIONS_GET}/parameters/0/schema/minimum"));
    });
    // On an integer, `exclusiveMinimum: 1` is `minimum: 2`: one narrowing, said once.
    assert_single(
        &report,
        K::ConstraintChanged,
        "GET /sessions → parameter query.limit",
    );
    let finding = &report.findings[0];
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("minimum 1", "minimum 2")
    );
}

#[test]
fn security_removed_from_an_operation() {
    let report =
        drift_in_implementation(|i| set(i, &format!("{SESSIONS_GET}/security"), json!([])));
    let finding = assert_single(&report, K::SecurityChanged, "GET /sessions → security");
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("BearerAuth", "none")
    );
}

#[test]
fn security_inherited_from_the_root() {
    // Without its own `security`, /health inherits the implementation's root BearerAuth.
    let report = drift_in_implementation(|i| remove(i, "/paths/~1health/get/security"));
    let finding = assert_single(&report, K::SecurityChanged, "GET /health → security");
    assert_eq!(finding.implementation_pointer.as_deref(), Some("/security"));
}

#[test]
fn security_scheme_undefined_in_the_implementation() {
    let report = drift_in_implementation(|i| remove(i, "/components/securitySchemes/BearerAuth"));
    let finding = assert_single(
        &report,
        K::SecurityChanged,
        "components.securitySchemes.BearerAuth",
    );
    assert_eq!(
        (finding.spec.as_str(), finding.implementation.as_str()),
        ("http bearer", "undefined")
    );
}

#[test]
fn security_scheme_kind_changed() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/components/securitySchemes/BearerAuth",
            json!({"type": "http", "scheme": "basic"}),
        );
    });
    assert_single(
        &report,
        K::SecurityChanged,
        "components.securitySchemes.BearerAuth",
    );
}

#[test]
fn security_scheme_name_is_case_insensitive_for_http() {
    let report = drift_in_implementation(|i| {
        set(
            i,
            "/components/securitySchemes/BearerAuth/scheme",
            json!("Bearer"),
        )
    });
    assert_consistent(&report);
}

#[test]
fn component_missing() {
    let report = drift(
        |s| set(s, "/components/schemas/Unused", json!({"type": "string"})),
        |_| {},
    );
    let finding = assert_single(&report, K::ComponentMissing, "components.schemas.Unused");
    assert_eq!(
        finding.spec_pointer.as_deref(),
        Some("/components/schemas/Unused")
    );
}

#[test]
fn component_extra() {
    let report = drift_in_implementation(|i| {
        set(i, "/components/schemas/Internal", json!({"type": "string"}))
    });
    assert_single(&report, K::ComponentExtra, "components.schemas.Internal");
}

#[test]
fn every_finding_pointer_is_real() {
    let (mut s, mut i) = (spec(), implementation());
    set(
        &mut i,
        &format!("{SESSION}/properties/deviceName/type"),
        json!("integer"),
    );
    remove(&mut i, &format!("{SESSION}/properties/tags"));
    remove(&mut i, &format!("{SESSIONS_GET}/parameters/0"));
    remove(&mut i, &format!("{TRUST_POST}/requestBody"));
    set(
        &mut s,
        "/components/schemas/Owner/properties/email",
        json!({"type": "string"}),
    );
    remove(&mut s, "/paths/~1health");
    let report = compare(&s, &i).unwrap();
    assert!(report.findings.len() >= 6, "{report}");
    assert_pointers_resolve(&report, &s, &i);
}
