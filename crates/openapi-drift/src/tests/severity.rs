//! Direction rules: the same change is breaking on one side of the wire and compatible on
//! the other. Each test compares a small reference document with an edited candidate.

use serde_json::json;

use super::*;
use crate::FindingKind as K;
use crate::{Direction, Severity};

use Direction::{Request, Response};
use Severity::{Breaking, ClientSurface, Compatible};

/// `POST /things` (operationId `createThing`) taking `{name: string (required), note:
/// string}` and answering 200 with the same shape, plus 400 with an error object.
pub(super) fn base() -> Value {
    let thing = json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 10},
            "note": {"type": "string"},
            "size": {"type": "integer", "format": "int32"},
            "kind": {"type": "string", "enum": ["a", "b"]}
        }
    });
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": {
            "operationId": "createThing",
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}}
            ],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewThing"}}}
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "headers": {"X-Rate": {"schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                },
                "400": {
                    "description": "bad",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            },
            "security": [{"Bearer": []}]
        }}},
        "components": {
            "schemas": {
                "NewThing": thing.clone(),
                "Thing": thing,
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}}
            },
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

pub(super) const REQUEST: &str = "/components/schemas/NewThing";
pub(super) const RESPONSE: &str = "/components/schemas/Thing";
pub(super) const OP: &str = "/paths/~1things/post";

/// The one finding between `base()` and `base()` edited by `edit`.
#[track_caller]
pub(super) fn only(edit: impl FnOnce(&mut Value)) -> Finding {
    let reference = base();
    let mut candidate = base();
    edit(&mut candidate);
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 1, "expected one finding:\n{report}");
    assert_pointers_resolve(&report, &reference, &candidate);
    report.findings[0].clone()
}

/// The one finding when `edit` is applied to the reference instead: the reverse change.
#[track_caller]
pub(super) fn only_reversed(edit: impl FnOnce(&mut Value)) -> Finding {
    let mut reference = base();
    edit(&mut reference);
    let report = compare(&reference, &base()).unwrap();
    assert_eq!(report.findings.len(), 1, "expected one finding:\n{report}");
    report.findings[0].clone()
}

#[track_caller]
pub(super) fn check(
    finding: &Finding,
    kind: FindingKind,
    severity: Severity,
    direction: Option<Direction>,
) {
    assert_eq!(
        (finding.kind, finding.severity, finding.direction),
        (kind, severity, direction),
        "{finding}"
    );
}

/// Apply an edit to the request schema, or to the response schema.
pub(super) fn both(
    schema: &'static str,
    edit: impl FnOnce(&mut Value, &str),
) -> impl FnOnce(&mut Value) {
    move |doc| edit(doc, schema)
}

#[test]
fn a_document_compared_with_itself_has_no_findings() {
    assert_consistent(&compare(&base(), &base()).unwrap());
}

#[test]
fn optional_property_added() {
    let add = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/extra"),
            json!({"type": "string"}),
        );
    };
    // Reference clients never send it; they ignore it when received.
    let f = only(both(REQUEST, add));
    check(&f, K::PropertyExtra, Compatible, Some(Request));
    assert_eq!(f.place, "POST /things → request body → extra");
    check(
        &only(both(RESPONSE, add)),
        K::PropertyExtra,
        Compatible,
        Some(Response),
    );
}

#[test]
fn required_property_added_to_a_request_breaks() {
    let f = only(|doc| {
        set(
            doc,
            &format!("{REQUEST}/properties/extra"),
            json!({"type": "string"}),
        );
        set(doc, &format!("{REQUEST}/required/1"), json!("extra"));
    });
    check(&f, K::PropertyExtra, Breaking, Some(Request));
}

#[test]
fn property_added_to_a_closed_response_object_breaks() {
    let mut reference = base();
    set(
        &mut reference,
        &format!("{RESPONSE}/additionalProperties"),
        json!(false),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{RESPONSE}/properties/extra"),
        json!({"type": "string"}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::PropertyExtra, "POST /things → 200 → extra");
    check(&f, K::PropertyExtra, Breaking, Some(Response));
}

#[test]
fn property_added_to_a_response_object_open_through_an_empty_schema_is_compatible() {
    // `additionalProperties: {}` allows anything, exactly like `true`.
    let mut reference = base();
    set(
        &mut reference,
        &format!("{RESPONSE}/additionalProperties"),
        json!({}),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{RESPONSE}/properties/extra"),
        json!({"type": "string"}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(&report, K::PropertyExtra, "POST /things → 200 → extra");
    check(&f, K::PropertyExtra, Compatible, Some(Response));
}

#[test]
fn property_removed() {
    let remove_note =
        |doc: &mut Value, schema: &str| remove(doc, &format!("{schema}/properties/note"));
    // The candidate no longer reads what reference clients send.
    check(
        &only(both(REQUEST, remove_note)),
        K::PropertyMissing,
        Breaking,
        Some(Request),
    );
    // Optional in the reference: the candidate sends less.
    check(
        &only(both(RESPONSE, remove_note)),
        K::PropertyMissing,
        Compatible,
        Some(Response),
    );
}

#[test]
fn required_property_removed_from_a_response_breaks() {
    let f = only(|doc| {
        remove(doc, &format!("{RESPONSE}/properties/name"));
        set(doc, &format!("{RESPONSE}/required"), json!([]));
    });
    check(&f, K::PropertyMissing, Breaking, Some(Response));
    // And from a request: equally breaking.
    let f = only(|doc| {
        remove(doc, &format!("{REQUEST}/properties/name"));
        set(doc, &format!("{REQUEST}/required"), json!([]));
    });
    check(&f, K::PropertyMissing, Breaking, Some(Request));
}

#[test]
fn required_flips() {
    let make_required = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/required/1"), json!("note"));
    };
    let make_optional = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/required"), json!([]));
    };
    // Request: demanding what was optional breaks; relaxing is fine.
    check(
        &only(both(REQUEST, make_required)),
        K::RequiredChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(REQUEST, make_optional)),
        K::RequiredChanged,
        Compatible,
        Some(Request),
    );
    // Response: the candidate may now omit a promised property; promising more is fine.
    check(
        &only(both(RESPONSE, make_optional)),
        K::RequiredChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only(both(RESPONSE, make_required)),
        K::RequiredChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn nullable_flips() {
    let make_nullable = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/nullable"),
            json!(true),
        );
    };
    check(
        &only(both(REQUEST, make_nullable)),
        K::NullableChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, make_nullable)),
        K::NullableChanged,
        Breaking,
        Some(Response),
    );
    // The reverse: nullable in the reference, not in the candidate.
    check(
        &only_reversed(both(REQUEST, make_nullable)),
        K::NullableChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, make_nullable)),
        K::NullableChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn enum_values_added_and_removed() {
    let add = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/properties/kind/enum/2"), json!("c"));
    };
    let drop = |doc: &mut Value, schema: &str| {
        remove(doc, &format!("{schema}/properties/kind/enum/1"));
    };
    check(
        &only(both(REQUEST, add)),
        K::EnumChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, add)),
        K::EnumChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only(both(REQUEST, drop)),
        K::EnumChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, drop)),
        K::EnumChanged,
        Compatible,
        Some(Response),
    );
    // One value swapped for another is neither wider nor narrower.
    let swap = |doc: &mut Value, schema: &str| {
        set(doc, &format!("{schema}/properties/kind/enum/1"), json!("z"));
    };
    check(
        &only(both(REQUEST, swap)),
        K::EnumChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, swap)),
        K::EnumChanged,
        Breaking,
        Some(Response),
    );
}

#[test]
fn types_widen_and_narrow() {
    let to_number = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size"),
            json!({"type": "number"}),
        );
    };
    check(
        &only(both(REQUEST, to_number)),
        K::TypeChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, to_number)),
        K::TypeChanged,
        Breaking,
        Some(Response),
    );
    check(
        &only_reversed(both(REQUEST, to_number)),
        K::TypeChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(both(RESPONSE, to_number)),
        K::TypeChanged,
        Compatible,
        Some(Response),
    );
    let to_string = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size"),
            json!({"type": "string"}),
        );
    };
    check(
        &only(both(REQUEST, to_string)),
        K::TypeChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, to_string)),
        K::TypeChanged,
        Breaking,
        Some(Response),
    );
}

#[test]
fn formats_and_constraints() {
    let int64 = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/size/format"),
            json!("int64"),
        );
    };
    check(
        &only(both(REQUEST, int64)),
        K::FormatChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, int64)),
        K::FormatChanged,
        Breaking,
        Some(Response),
    );
    let longer = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/name/maxLength"),
            json!(20),
        );
    };
    check(
        &only(both(REQUEST, longer)),
        K::ConstraintChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, longer)),
        K::ConstraintChanged,
        Breaking,
        Some(Response),
    );
    let pattern = |doc: &mut Value, schema: &str| {
        set(
            doc,
            &format!("{schema}/properties/note/pattern"),
            json!("^x"),
        );
    };
    check(
        &only(both(REQUEST, pattern)),
        K::ConstraintChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only(both(RESPONSE, pattern)),
        K::ConstraintChanged,
        Compatible,
        Some(Response),
    );
}

#[test]
fn additional_properties_opened() {
    let mut closed = base();
    set(
        &mut closed,
        &format!("{REQUEST}/additionalProperties"),
        json!(false),
    );
    set(
        &mut closed,
        &format!("{RESPONSE}/additionalProperties"),
        json!(false),
    );
    let report = compare(&closed, &base()).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    let severity =
        |place: &str| assert_has(&report, K::AdditionalPropertiesChanged, place).severity;
    assert_eq!(severity("POST /things → request body"), Compatible);
    assert_eq!(severity("POST /things → 200"), Breaking);
}

#[test]
fn status_added_and_removed() {
    let f = only(|doc| {
        set(
            doc,
            &format!("{OP}/responses/409"),
            json!({"description": "conflict", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}
            }}}),
        );
    });
    // A new way to fail: every client already handles failures.
    check(&f, K::StatusExtra, Compatible, Some(Response));
    for status in ["201", "2XX"] {
        let f = only(|doc| {
            set(
                doc,
                &format!("{OP}/responses/{status}"),
                json!({"description": "also fine", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}
                }}}),
            );
        });
        // Reference clients do not expect this success.
        check(&f, K::StatusExtra, Breaking, Some(Response));
    }
    let f = only(|doc| {
        set(
            doc,
            &format!("{OP}/responses/5XX"),
            json!({"description": "failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    });
    check(&f, K::StatusExtra, Compatible, Some(Response));
    let f = only(|doc| remove(doc, &format!("{OP}/responses/400")));
    check(&f, K::StatusMissing, Compatible, Some(Response));
}

#[test]
fn operation_added_and_removed() {
    let other = |doc: &mut Value| {
        set(
            doc,
            "/paths/~1other",
            json!({"get": {"operationId": "other", "responses": {"204": {"description": "done"}}}}),
        );
    };
    check(&only(other), K::OperationExtra, Compatible, None);
    check(&only_reversed(other), K::OperationMissing, Breaking, None);
}

#[test]
fn request_media_type_added_and_removed() {
    let add = |doc: &mut Value| {
        set(
            doc,
            &format!("{OP}/requestBody/content/application~1merge-patch+json"),
            json!({"schema": {"$ref": "#/components/schemas/NewThing"}}),
        );
    };
    // The candidate accepts one more media type; dropping one refuses reference clients.
    check(&only(add), K::ContentTypeChanged, Compatible, Some(Request));
    check(
        &only_reversed(add),
        K::ContentTypeChanged,
        Breaking,
        Some(Request),
    );
}

#[test]
fn response_media_type_added_and_removed() {
    let add = |doc: &mut Value| {
        set(
            doc,
            &format!("{OP}/responses/200/content/application~1vnd.thing+json"),
            json!({"schema": {"$ref": "#/components/schemas/Thing"}}),
        );
    };
    // A new one goes only to clients that ask for it; one fewer leaves the clients that ask
    // for it (`Accept`) without an answer they can read, though another media type remains.
    check(
        &only(add),
        K::ContentTypeChanged,
        Compatible,
        Some(Response),
    );
    check(
        &only_reversed(add),
        K::ContentTypeChanged,
        Breaking,
        Some(Response),
    );
    // But a response that loses its only body breaks clients expecting one.
    let report = compare(&base(), &{
        let mut c = base();
        remove(&mut c, &format!("{OP}/responses/200/content"));
        c
    })
    .unwrap();
    let f = assert_has(&report, K::ContentTypeChanged, "POST /things → 200");
    assert_eq!(
        (f.severity, f.implementation.as_str()),
        (Breaking, "no content")
    );
}

#[test]
fn parameters_added_removed_and_flipped() {
    let add = |required: bool| {
        move |doc: &mut Value| {
            set(
                doc,
                &format!("{OP}/parameters/1"),
                json!({"name": "trace", "in": "query", "required": required, "schema": {"type": "string"}}),
            );
        }
    };
    check(
        &only(add(false)),
        K::ParameterExtra,
        Compatible,
        Some(Request),
    );
    check(&only(add(true)), K::ParameterExtra, Breaking, Some(Request));
    // Reference clients send it; the candidate no longer reads it.
    check(
        &only_reversed(add(false)),
        K::ParameterMissing,
        Breaking,
        Some(Request),
    );
    let required = |doc: &mut Value| set(doc, &format!("{OP}/parameters/0/required"), json!(true));
    check(
        &only(required),
        K::ParameterChanged,
        Breaking,
        Some(Request),
    );
    check(
        &only_reversed(required),
        K::ParameterChanged,
        Compatible,
        Some(Request),
    );
    let moved = |doc: &mut Value| set(doc, &format!("{OP}/parameters/0/in"), json!("header"));
    check(&only(moved), K::ParameterChanged, Breaking, Some(Request));
}

#[test]
fn request_body_required_flips_and_presence() {
    let optional = |doc: &mut Value| set(doc, &format!("{OP}/requestBody/required"), json!(false));
    check(
        &only(optional),
        K::RequestBodyChanged,
        Compatible,
        Some(Request),
    );
    check(
        &only_reversed(optional),
        K::RequestBodyChanged,
        Breaking,
        Some(Request),
    );
    let without = |doc: &mut Value| remove(doc, &format!("{OP}/requestBody"));
    check(
        &only(without),
        K::RequestBodyMissing,
        Breaking,
        Some(Request),
    );
    // A new required body breaks reference clients; a new optional one does not.
    check(
        &only_reversed(without),
        K::RequestBodyExtra,
        Breaking,
        Some(Request),
    );
    let mut optional_body = base();
    set(
        &mut optional_body,
        &format!("{OP}/requestBody/required"),
        json!(false),
    );
    let mut no_body = base();
    remove(&mut no_body, &format!("{OP}/requestBody"));
    let report = compare(&no_body, &optional_body).unwrap();
    let f = assert_single(&report, K::RequestBodyExtra, "POST /things → request body");
    assert_eq!(f.severity, Compatible);
}

#[test]
fn parameter_and_body_schemas_are_requests_and_headers_responses() {
    let f = only(|doc| {
        set(
            doc,
            &format!("{OP}/parameters/0/schema/type"),
            json!("string"),
        )
    });
    check(&f, K::TypeChanged, Breaking, Some(Request));
    let f = only(|doc| {
        set(
            doc,
            &format!("{OP}/responses/200/headers/X-Rate/schema/type"),
            json!("number"),
        );
    });
    check(&f, K::TypeChanged, Breaking, Some(Response));
}

#[test]
fn response_headers() {
    let drop = |doc: &mut Value| remove(doc, &format!("{OP}/responses/200/headers/X-Rate"));
    // Optional in the reference: sending less is fine; a new header is ignored.
    check(&only(drop), K::HeaderMissing, Compatible, Some(Response));
    check(
        &only_reversed(drop),
        K::HeaderExtra,
        Compatible,
        Some(Response),
    );
    let mut promised = base();
    set(
        &mut promised,
        &format!("{OP}/responses/200/headers/X-Rate/required"),
        json!(true),
    );
    let mut candidate = promised.clone();
    drop(&mut candidate);
    let report = compare(&promised, &candidate).unwrap();
    let f = assert_single(
        &report,
        K::HeaderMissing,
        "POST /things → 200 → header X-Rate",
    );
    assert_eq!(f.severity, Breaking);
}

/// The operation's security finding after `edit`, with whatever else the edit caused.
#[track_caller]
fn operation_security(edit: impl FnOnce(&mut Value)) -> Finding {
    let mut candidate = base();
    edit(&mut candidate);
    let report = compare(&base(), &candidate).unwrap();
    assert_has(&report, K::SecurityChanged, "POST /things → security")
}

fn with_key_scheme(doc: &mut Value, security: Value) {
    set(
        doc,
        "/components/securitySchemes/Key",
        json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
    );
    set(doc, &format!("{OP}/security"), security);
}

#[test]
fn security_requirements() {
    // Dropping the requirement: the candidate still accepts what reference clients send.
    let f = only(|doc| set(doc, &format!("{OP}/security"), json!([])));
    check(&f, K::SecurityChanged, Compatible, Some(Request));
    // Requiring more than the reference: reference clients are refused.
    let f = operation_security(|doc| with_key_scheme(doc, json!([{"Bearer": [], "Key": []}])));
    check(&f, K::SecurityChanged, Breaking, Some(Request));
    // An alternative added: the reference's credentials are still accepted.
    let f = operation_security(|doc| with_key_scheme(doc, json!([{"Bearer": []}, {"Key": []}])));
    check(&f, K::SecurityChanged, Compatible, Some(Request));
    // Another scheme instead: refused.
    let f = operation_security(|doc| with_key_scheme(doc, json!([{"Key": []}])));
    check(&f, K::SecurityChanged, Breaking, Some(Request));
}

#[test]
fn security_scheme_definitions() {
    // The scheme itself changed kind.
    let f = only(|doc| {
        set(
            doc,
            "/components/securitySchemes/Bearer",
            json!({"type": "http", "scheme": "basic"}),
        );
    });
    check(&f, K::SecurityChanged, Breaking, Some(Request));
    assert_eq!(f.place, "components.securitySchemes.Bearer");
    // A newly defined scheme is nothing by itself; the operations' findings judge its use.
    let mut candidate = base();
    with_key_scheme(&mut candidate, json!([{"Bearer": []}, {"Key": []}]));
    let report = compare(&base(), &candidate).unwrap();
    let f = assert_has(
        &report,
        K::SecurityChanged,
        "components.securitySchemes.Key",
    );
    assert_eq!(f.severity, Compatible);
    // An operation using a scheme its document does not define is broken.
    let f = only(|doc| remove(doc, "/components/securitySchemes/Bearer"));
    check(&f, K::SecurityChanged, Breaking, Some(Request));
}

#[test]
fn operation_id_and_path_parameter_names_are_client_surface() {
    let f = only(|doc| set(doc, &format!("{OP}/operationId"), json!("makeThing")));
    check(&f, K::OperationIdChanged, ClientSurface, None);

    let mut reference = base();
    set(
        &mut reference,
        "/paths/~1things~1{id}",
        json!({"get": {
            "operationId": "getThing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "ok"}}
        }}),
    );
    let mut candidate = base();
    set(
        &mut candidate,
        "/paths/~1things~1{thingId}",
        json!({"get": {
            "operationId": "getThing",
            "parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "ok"}}
        }}),
    );
    let report = compare(&reference, &candidate).unwrap();
    let f = assert_single(
        &report,
        K::PathParameterRenamed,
        "GET /things/{id} → parameter path.id",
    );
    check(&f, K::PathParameterRenamed, ClientSurface, Some(Request));
    assert_eq!(
        (f.spec.as_str(), f.implementation.as_str()),
        ("id", "thingId")
    );
    assert_pointers_resolve(&report, &reference, &candidate);
}

#[test]
fn a_change_in_a_shared_component_is_judged_where_it_is_used() {
    // One schema used both ways: the same edit is compatible in the request and breaking in
    // the response.
    let mut reference = base();
    set(
        &mut reference,
        RESPONSE,
        json!({"$ref": "#/components/schemas/NewThing"}),
    );
    let mut candidate = reference.clone();
    set(
        &mut candidate,
        &format!("{REQUEST}/properties/kind/enum/2"),
        json!("c"),
    );
    let report = compare(&reference, &candidate).unwrap();
    assert_eq!(report.findings.len(), 2, "{report}");
    let request = assert_has(
        &report,
        K::EnumChanged,
        "POST /things → request body → kind",
    );
    let response = assert_has(&report, K::EnumChanged, "POST /things → 200 → kind");
    assert_eq!(
        (request.severity, response.severity),
        (Compatible, Breaking)
    );
}
