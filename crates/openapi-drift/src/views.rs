//! Views of an implementation built from its types rather than from a document: the spec's own
//! operations over JSON Schemas derived from code (schemars reads serde's attributes, so its
//! schemas say what really goes over the wire). Comparing the spec with such a view finds where
//! the types' wire format departs from the spec, whatever any annotation claims.

use serde_json::{Map, Value};

use crate::{FindingKind, Report};

/// `spec` with its `components.schemas` replaced by `schemas`: JSON Schemas by type name
/// (OpenAPI 3.0 flavour, `$ref`s into `#/components/schemas/`), as
/// `schemars::gen::SchemaSettings::openapi3()` writes them. Every operation still refers to the
/// spec's component names, so a type must be named like the component it implements.
pub fn with_schemas(spec: &Value, schemas: &Map<String, Value>) -> Value {
    let mut view = spec.clone();
    if !view.get("components").is_some_and(Value::is_object) {
        view["components"] = Value::Object(Map::new());
    }
    view["components"]["schemas"] = Value::Object(schemas.clone());
    view
}

/// Whether a finding is about the wire's shape (which members, their types, nullability and
/// values, which are required, the branches): what a type's serde attributes decide. Formats,
/// constraints, defaults and component names are left out: schemars reads them from no serde
/// attribute, so a view of derived schemas cannot speak for them.
pub fn is_wire_shape(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::PropertyMissing
            | FindingKind::PropertyExtra
            | FindingKind::RequiredChanged
            | FindingKind::TypeChanged
            | FindingKind::NullableChanged
            | FindingKind::EnumChanged
            | FindingKind::ItemsChanged
            | FindingKind::AdditionalPropertiesChanged
            | FindingKind::AlternativesChanged
            | FindingKind::KeywordUnhandled
            | FindingKind::ContentTypeChanged
    )
}

/// `report` without the findings a view of derived schemas cannot speak for.
pub fn wire_shape(report: Report) -> Report {
    Report::new(
        report
            .findings
            .into_iter()
            .filter(|finding| is_wire_shape(finding.kind))
            .collect(),
    )
}

/// Which side of the wire the derived types are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The server's types: they read requests and send responses. The spec is the reference,
    /// the view the candidate: the server must accept at least, and send at most, what the
    /// spec allows.
    Server,
    /// A client's types: they send requests and read responses. The view is the reference and
    /// the spec the candidate: whatever the spec lets the server send, the client must read,
    /// and what the client sends, the spec must allow.
    Client,
}

/// The wire-shape findings that break the other side, between the spec and its operations
/// over `schemas` (derived by schemars 0.8 from the `role`'s types). Compatible findings are
/// dropped: a client that reads more than the spec sends, or a server that reads more than it
/// must, breaks nobody.
///
/// schemars 0.8 describes an `Option` field as optional and nullable, as serde reads it; it
/// cannot tell whether the field is always written (`null` when empty) or left out
/// (`skip_serializing_if`). So on the server's responses, a property that is nullable in the
/// view is not judged for being optional or nullable where the spec says required or not
/// nullable; everything else about it is.
pub fn judge(
    spec: &Value,
    schemas: &Map<String, Value>,
    role: Role,
) -> Result<Report, crate::DriftError> {
    let view = with_schemas(spec, schemas);
    let report = match role {
        Role::Server => crate::compare(spec, &view)?,
        Role::Client => crate::compare(&view, spec)?,
    };
    let option_field = |finding: &crate::Finding| {
        role == Role::Server
            && finding.direction == Some(crate::Direction::Response)
            && match finding.kind {
                FindingKind::NullableChanged => finding.implementation == "nullable",
                FindingKind::RequiredChanged => finding
                    .implementation_pointer
                    .as_deref()
                    .and_then(|pointer| view.pointer(pointer))
                    .is_some_and(|schema| schema.get("nullable") == Some(&Value::Bool(true))),
                _ => false,
            }
    };
    Ok(Report::new(
        report
            .findings
            .into_iter()
            .filter(|finding| is_wire_shape(finding.kind))
            .filter(|finding| finding.severity != crate::Severity::Compatible)
            .filter(|finding| !option_field(finding))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/thing": {"get": {"operationId": "getThing", "responses": {"200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
            }}}}},
            "components": {"schemas": {"Thing": {
                "type": "object", "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "maxLength": 36},
                    "name": {"type": "string"}
                }
            }}}
        })
    }

    #[test]
    fn a_view_replaces_the_components_and_keeps_the_operations() {
        let derived = json!({"Thing": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}}}});
        let view = with_schemas(&spec(), derived.as_object().unwrap());
        assert_eq!(view["paths"], spec()["paths"]);
        assert_eq!(view["components"]["schemas"], derived);
        // The constraint the type cannot express is no wire-shape finding.
        let report = crate::compare(&spec(), &view).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        assert!(wire_shape(report).is_consistent());
    }

    #[test]
    fn each_role_is_judged_from_its_side_of_the_wire() {
        // `name` as an Option: serde reads it absent or null, and writes it always.
        let optional_name = json!({"Thing": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string", "nullable": true}}}});
        let schemas = optional_name.as_object().unwrap();
        // A client that reads more than the server sends breaks nobody.
        assert!(
            judge(&spec(), schemas, Role::Client)
                .unwrap()
                .is_consistent()
        );
        // Nor does a server `Option`, which schemars cannot tell from one written always.
        assert!(
            judge(&spec(), schemas, Role::Server)
                .unwrap()
                .is_consistent()
        );
        // A client that insists on a member the server may leave out does break.
        let strict = json!({"Thing": {"type": "object", "required": ["id", "name", "extra"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
            "extra": {"type": "string"}}}});
        let report = judge(&spec(), strict.as_object().unwrap(), Role::Client).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        assert_eq!(report.findings[0].place, "GET /thing → 200 → extra");
    }

    #[test]
    fn a_member_serde_skips_is_a_wire_shape_finding() {
        let derived = json!({"Thing": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"}}}});
        let report = wire_shape(
            crate::compare(
                &spec(),
                &with_schemas(&spec(), derived.as_object().unwrap()),
            )
            .unwrap(),
        );
        assert_eq!(report.findings.len(), 1, "{report}");
        assert_eq!(report.findings[0].kind, FindingKind::PropertyMissing);
        assert_eq!(report.findings[0].place, "GET /thing → 200 → name");
    }
}
