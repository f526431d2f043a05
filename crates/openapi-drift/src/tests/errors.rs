//! The tool-failure side: unreadable, unparsable, non-OpenAPI and unresolvable documents.

use serde_json::json;

use super::*;
use crate::{DriftError, Side, load_path};

#[test]
fn unresolvable_schema_ref_names_the_pointer() {
    let mut i = implementation();
    set(
        &mut i,
        "/components/schemas/Session/properties/deviceName",
        json!({"$ref": "#/components/schemas/Nope"}),
    );
    let error = compare(&spec(), &i).unwrap_err();
    match &error {
        DriftError::UnresolvableRef {
            side,
            reference,
            at,
        } => {
            assert_eq!(*side, Side::Implementation);
            assert_eq!(reference, "#/components/schemas/Nope");
            assert_eq!(at, "/components/schemas/Session/properties/deviceName");
        }
        other => panic!("unexpected error {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("#/components/schemas/Nope"), "{message}");
    assert!(
        message.contains("/components/schemas/Session/properties/deviceName"),
        "{message}"
    );
}

#[test]
fn unresolvable_response_ref() {
    let mut s = spec();
    set(
        &mut s,
        "/paths/~1sessions/get/responses/401",
        json!({"$ref": "#/components/responses/Gone"}),
    );
    let error = compare(&s, &implementation()).unwrap_err();
    assert!(
        matches!(&error, DriftError::UnresolvableRef { side: Side::Spec, reference, .. } if reference == "#/components/responses/Gone"),
        "{error:?}"
    );
}

#[test]
fn external_refs_are_reported() {
    let mut s = spec();
    set(
        &mut s,
        "/components/schemas/Owner/properties/name",
        json!({"$ref": "common.yaml#/Name"}),
    );
    let error = compare(&s, &implementation()).unwrap_err();
    assert!(matches!(error, DriftError::ExternalRef { .. }), "{error:?}");
}

#[test]
fn a_ref_cycle_without_structure_is_an_error_not_a_hang() {
    let mut s = spec();
    set(
        &mut s,
        "/components/schemas/Owner",
        json!({"allOf": [{"$ref": "#/components/schemas/Owner"}]}),
    );
    let error = compare(&s, &implementation()).unwrap_err();
    assert!(
        matches!(
            error,
            DriftError::CyclicRef {
                side: Side::Spec,
                ..
            }
        ),
        "{error:?}"
    );

    let mut i = implementation();
    set(
        &mut i,
        "/paths/~1health/get/responses/200",
        json!({"$ref": "#/paths/~1health/get/responses/200"}),
    );
    let error = compare(&spec(), &i).unwrap_err();
    assert!(
        matches!(
            error,
            DriftError::CyclicRef {
                side: Side::Implementation,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn not_openapi_documents() {
    for text in [
        "swagger: '2.0'\npaths: {}\n",
        "openapi: 2.5.0\n",
        "openapi: 3.2.0\n",
        "[1, 2]",
        "just text",
    ] {
        let error = load_str(text).unwrap_err();
        assert!(
            matches!(error, DriftError::NotOpenApi { .. }),
            "{text}: {error:?}"
        );
    }
    let error = compare(&json!({"paths": {}}), &implementation()).unwrap_err();
    assert!(
        matches!(
            error,
            DriftError::NotOpenApi {
                side: Some(Side::Spec),
                ..
            }
        ),
        "{error:?}"
    );
    // `openapi: 3.1` unquoted is a YAML number, and still a version; 2.0 is not supported.
    let error = compare(&spec(), &json!({"openapi": 2.0})).unwrap_err();
    assert!(
        matches!(
            error,
            DriftError::NotOpenApi {
                side: Some(Side::Implementation),
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn parse_errors() {
    let error = load_str("{\"openapi\": \"3.1.0\",").unwrap_err();
    assert!(
        matches!(&error, DriftError::Parse { message, .. } if message.starts_with("JSON")),
        "{error:?}"
    );
    let error = load_str("openapi: 3.0.3\npaths: [unclosed\n").unwrap_err();
    assert!(
        matches!(&error, DriftError::Parse { message, .. } if message.starts_with("YAML")),
        "{error:?}"
    );
}

#[test]
fn malformed_documents() {
    let error = compare(&json!({"openapi": "3.0.3", "paths": []}), &implementation()).unwrap_err();
    assert!(matches!(error, DriftError::Malformed { .. }), "{error:?}");
}

#[test]
fn yaml_specifics_become_json() {
    let doc = load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-defs:\n  base: &base {description: ok}\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          <<: *base\n",
    )
    .unwrap();
    assert_eq!(
        doc.pointer("/paths/~1a/get/responses/200/description"),
        Some(&json!("ok"))
    );
}

#[test]
fn load_path_reads_files_and_names_unreadable_ones() {
    let dir = std::env::temp_dir().join(format!("openapi-drift-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("spec.yaml");
    std::fs::write(&file, SPEC).unwrap();
    assert_eq!(load_path(&file).unwrap(), spec());

    let missing = dir.join("missing.json");
    let error = load_path(&missing).unwrap_err();
    assert!(matches!(error, DriftError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.json"));

    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{").unwrap();
    let error = load_path(&broken).unwrap_err();
    assert!(error.to_string().contains("broken.json"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
