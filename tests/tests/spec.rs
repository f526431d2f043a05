//! The spec itself: its examples validate against their schemas, and the validator the contract
//! tests rely on does reject what the spec forbids.

use contract_tests::{SpecValidator, spec};
use serde_json::{Value, json};

/// Every `example` under a schema or a media type, with the schema it illustrates.
fn examples(spec: &Value) -> Vec<(String, Value, Value)> {
    let mut found = Vec::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            if let Some(example) = schema.get("example") {
                found.push((
                    format!("/components/schemas/{name}"),
                    schema.clone(),
                    example.clone(),
                ));
            }
        }
    }
    let mut responses = Vec::new();
    if let Some(shared) = spec
        .pointer("/components/responses")
        .and_then(Value::as_object)
    {
        responses.extend(
            shared
                .iter()
                .map(|(name, response)| (format!("/components/responses/{name}"), response)),
        );
    }
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                responses.push((
                    format!("/paths/{path}/{method}/responses/{status}"),
                    response,
                ));
            }
        }
    }
    for (place, response) in responses {
        for (media_type, media) in response
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let (Some(schema), Some(example)) = (media.get("schema"), media.get("example")) {
                found.push((
                    format!("{place}/content/{media_type}"),
                    schema.clone(),
                    example.clone(),
                ));
            }
        }
    }
    found
}

#[test]
fn every_example_in_the_spec_validates() {
    let spec = spec();
    let validator = SpecValidator::new();
    let examples = examples(&spec);
    assert!(
        examples.len() >= 5,
        "the spec should illustrate its models, found {}",
        examples.len()
    );
    for (place, schema, example) in examples {
        validator
            .validate_against(&schema, &example)
            .unwrap_or_else(|err| panic!("example at {place}: {err}"));
    }
}

#[test]
fn the_validator_rejects_what_the_spec_forbids() {
    let validator = SpecValidator::new();
    let schema = validator.response_schema("GET", "/sessions", 200).unwrap();
    let valid = json!({ "success": true, "sessions": [{
        "id": "1", "deviceName": "d", "ipAddress": "i", "location": "l",
        "startedAt": "2026-11-20T09:12:44Z", "lastActivity": "2026-11-25T18:03:10.123Z",
        "expiresAt": "2026-12-20T09:12:44Z", "loginMethod": "password"
    }]});
    validator.validate_against(&schema, &valid).unwrap();

    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 5] = [
        ("a wrong type", |body| {
            body["sessions"][0]["deviceName"] = json!(7)
        }),
        ("a missing required field", |body| {
            body["sessions"][0]
                .as_object_mut()
                .unwrap()
                .remove("expiresAt");
        }),
        ("a bad date-time", |body| {
            body["sessions"][0]["startedAt"] = json!("yesterday")
        }),
        ("an undocumented field", |body| {
            body["sessions"][0]["tokenHash"] = json!("leak")
        }),
        ("null where not nullable", |body| {
            body["sessions"] = Value::Null
        }),
    ];
    for (what, mutate) in mutations {
        let mut body = valid.clone();
        mutate(&mut body);
        assert!(
            validator.validate_against(&schema, &body).is_err(),
            "{what} was accepted: {body}"
        );
    }
}

#[test]
fn error_responses_share_one_schema() {
    let validator = SpecValidator::new();
    for status in [401, 429, 500] {
        let schema = validator
            .response_schema("GET", "/sessions", status)
            .unwrap();
        assert_eq!(
            schema,
            json!({ "$ref": "#/components/schemas/ErrorResponse" }),
            "{status}"
        );
    }
}

#[test]
fn responses_with_undocumented_statuses_or_other_media_types_are_rejected() {
    let validator = SpecValidator::new();
    let error = r#"{"success":false,"error":"x"}"#;
    let json = Some("application/json");
    validator
        .validate_response("GET", "/sessions", 401, json, error)
        .unwrap();
    assert!(
        validator
            .validate_response("GET", "/sessions", 404, json, error)
            .is_err()
    );
    assert!(
        validator
            .validate_response("GET", "/sessions", 401, Some("text/plain"), error)
            .is_err()
    );
    assert!(
        validator
            .validate_response("GET", "/sessions", 401, json, "not json")
            .is_err()
    );
}

#[test]
fn concrete_paths_find_their_templates_literal_segments_first() {
    let validator = SpecValidator::new();
    assert_eq!(
        validator.path_template("/sessions").as_deref(),
        Some("/sessions")
    );
    assert_eq!(
        validator.path_template("/sessions/revoke-all").as_deref(),
        Some("/sessions/revoke-all")
    );
    assert_eq!(
        validator.path_template("/sessions/abc/revoke").as_deref(),
        Some("/sessions/{id}/revoke")
    );
    assert_eq!(
        validator.path_template("/devices/trust").as_deref(),
        Some("/devices/trust")
    );
    assert_eq!(
        validator.path_template("/devices/abc").as_deref(),
        Some("/devices/{id}")
    );
    assert_eq!(validator.path_template("/healthz"), None);
}

#[test]
fn documented_response_headers_are_known_to_the_validator() {
    let validator = SpecValidator::new();
    assert_eq!(
        validator.response_headers("GET", "/sessions", 401).unwrap(),
        vec!["WWW-Authenticate".to_owned()]
    );
    assert_eq!(
        validator
            .response_headers("POST", "/devices/trust", 429)
            .unwrap(),
        vec!["Retry-After".to_owned()]
    );
    assert!(
        validator
            .response_headers("GET", "/sessions", 200)
            .unwrap()
            .is_empty()
    );
}
