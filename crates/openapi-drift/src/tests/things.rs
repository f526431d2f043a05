//! The small document the direction-rule tests edit: `POST /things`, and helpers that compare
//! it with an edited copy of itself.

use serde_json::json;

use super::*;
use crate::{Direction, Severity};

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
