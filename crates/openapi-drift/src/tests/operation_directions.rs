//! Direction rules on operations: statuses, media types, parameters, bodies, headers,
//! security and the client surface. Each test compares the `POST /things` document
//! ([`super::things`]) with an edited copy.

use serde_json::json;

use super::things::{OP, base, check, only, only_reversed};
use super::*;
use crate::FindingKind as K;
use crate::{Direction, Severity};

use Direction::{Request, Response};
use Severity::{Breaking, ClientSurface, Compatible};

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
