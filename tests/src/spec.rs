//! The spec, and validation of JSON against its schemas.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Map, Value};

/// The workspace root, where `openapi/` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The spec, parsed.
pub fn spec() -> Value {
    openapi_drift::load_path(&workspace_root().join("openapi/sessions.yaml"))
        .expect("the spec loads")
}

/// Validates bodies against the spec's response schemas, converted from OpenAPI 3.0 to JSON
/// Schema (draft 4, whose `exclusiveMinimum: true` matches 3.0's). Objects are closed
/// (`additionalProperties: false` unless the spec says otherwise), so a response that sends a
/// field the spec does not document fails too.
#[derive(Debug)]
pub struct SpecValidator {
    spec: Value,
    schemas: Value,
}

impl SpecValidator {
    pub fn new() -> Self {
        let spec = spec();
        let raw = spec
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let schemas = to_json_schema(&merge_all_of(&raw, &raw), true);
        Self { spec, schemas }
    }

    /// The spec's schema for `status` of `method path`, after following a response `$ref`.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> anyhow::Result<Value> {
        let response = self.response(method, path, status)?;
        response
            .pointer("/content/application~1json/schema")
            .cloned()
            .ok_or_else(|| anyhow!("{method} {path} → {status} has no application/json schema"))
    }

    /// The names of the headers the spec documents for `status` of `method path`.
    pub fn response_headers(
        &self,
        method: &str,
        path: &str,
        status: u16,
    ) -> anyhow::Result<Vec<String>> {
        let response = self.response(method, path, status)?;
        Ok(response
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| headers.keys().cloned().collect())
            .unwrap_or_default())
    }

    /// The spec's response object for `status` of `method path`, after following a `$ref`.
    fn response(&self, method: &str, path: &str, status: u16) -> anyhow::Result<&Value> {
        let operation = self
            .spec
            .get("paths")
            .and_then(|paths| paths.get(path))
            .and_then(|item| item.get(method.to_lowercase()))
            .ok_or_else(|| anyhow!("the spec has no operation {method} {path}"))?;
        let mut response = operation
            .get("responses")
            .and_then(|responses| responses.get(status.to_string()))
            .ok_or_else(|| anyhow!("{method} {path} documents no {status} response"))?;
        if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').context("only local $refs")?;
            response = self
                .spec
                .pointer(pointer)
                .ok_or_else(|| anyhow!("unresolvable {reference}"))?;
        }
        Ok(response)
    }

    /// Validates `instance` against a schema of the spec (which may `$ref` its components).
    pub fn validate_against(&self, schema: &Value, instance: &Value) -> anyhow::Result<()> {
        let raw = self
            .spec
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_default();
        let root = serde_json::json!({
            "allOf": [to_json_schema(&merge_all_of(schema, &raw), true)],
            "components": { "schemas": self.schemas },
        });
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|err| anyhow!("the spec's schema does not compile: {err}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            bail!("{instance} violates the spec: {}", errors.join("; "))
        }
    }

    /// The spec's path template that `path` (a concrete request path) is routed to, if any.
    /// Literal segments win over `{parameters}`, as in the router.
    pub fn path_template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.spec
            .get("paths")?
            .as_object()?
            .keys()
            .filter_map(|template| {
                let template_segments: Vec<&str> =
                    template.trim_start_matches('/').split('/').collect();
                if template_segments.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (expected, actual) in template_segments.iter().zip(&segments) {
                    if expected.starts_with('{') && expected.ends_with('}') {
                        if actual.is_empty() {
                            return None;
                        }
                    } else if expected == actual {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template.clone())
    }

    /// Whether the spec has an operation for `method` at `template`.
    pub fn has_operation(&self, method: &str, template: &str) -> bool {
        self.spec
            .get("paths")
            .and_then(|paths| paths.get(template))
            .and_then(|item| item.get(method.to_lowercase()))
            .is_some()
    }

    /// Validates one response of `method template`: its status is documented, it is JSON, and
    /// its body is valid against the schema documented for that status.
    pub fn validate_response(
        &self,
        method: &str,
        template: &str,
        status: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> anyhow::Result<()> {
        let schema = self.response_schema(method, template, status)?;
        let content_type = content_type.unwrap_or_default();
        if !content_type.starts_with("application/json") {
            bail!(
                "{method} {template} → {status}: content type {content_type:?}, spec application/json"
            );
        }
        let instance: Value = serde_json::from_str(body)
            .with_context(|| format!("{method} {template} → {status}: body is not JSON: {body}"))?;
        self.validate_against(&schema, &instance)
            .with_context(|| format!("{method} {template} → {status}"))
    }
}

impl Default for SpecValidator {
    fn default() -> Self {
        Self::new()
    }
}

/// `allOf` branches that are all objects merged into one object (properties and `required`
/// united), following `$ref`s into `components`. Draft 4 closes an object only against its own
/// `properties`, so closed branches would each refuse the members the other branches define.
pub fn merge_all_of(schema: &Value, components: &Value) -> Value {
    let Value::Object(object) = schema else {
        return match schema {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| merge_all_of(item, components))
                    .collect(),
            ),
            other => other.clone(),
        };
    };
    let mut merged: Map<String, Value> = object
        .iter()
        .map(|(key, value)| (key.clone(), merge_all_of(value, components)))
        .collect();
    let Some(Value::Array(branches)) = merged.get("allOf").cloned() else {
        return Value::Object(merged);
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for branch in &branches {
        let branch = match branch.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                merge_all_of(&components[name], components)
            }
            None => branch.clone(),
        };
        if branch.get("type").and_then(Value::as_str) != Some("object") {
            return Value::Object(merged);
        }
        if let Some(Value::Object(members)) = branch.get("properties") {
            properties.extend(members.clone());
        }
        if let Some(Value::Array(names)) = branch.get("required") {
            required.extend(names.iter().cloned());
        }
    }
    merged.remove("allOf");
    merged.insert("type".to_owned(), Value::from("object"));
    merged.insert("properties".to_owned(), Value::Object(properties));
    merged.insert("required".to_owned(), Value::Array(required));
    Value::Object(merged)
}

/// OpenAPI 3.0 schema → JSON Schema draft 4: `nullable` becomes a `null` type, keywords JSON
/// Schema does not know are dropped, and objects are closed when `close_objects` is set.
pub fn to_json_schema(schema: &Value, close_objects: bool) -> Value {
    match schema {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| to_json_schema(item, close_objects))
                .collect(),
        ),
        Value::Object(object) => {
            let mut converted = Map::new();
            for (key, value) in object {
                match key.as_str() {
                    "nullable" | "example" | "examples" | "discriminator" | "xml"
                    | "externalDocs" | "deprecated" | "readOnly" | "writeOnly" => {}
                    // `properties` and `components.schemas` map names to schemas: convert each value.
                    "properties" | "schemas" => {
                        let members = value
                            .as_object()
                            .map(|members| {
                                members
                                    .iter()
                                    .map(|(name, member)| {
                                        (name.clone(), to_json_schema(member, close_objects))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        converted.insert(key.clone(), Value::Object(members));
                    }
                    "enum" => {
                        converted.insert(key.clone(), value.clone());
                    }
                    _ => {
                        converted.insert(key.clone(), to_json_schema(value, close_objects));
                    }
                }
            }
            if close_objects
                && converted.get("type").and_then(Value::as_str) == Some("object")
                && !converted.contains_key("additionalProperties")
            {
                converted.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            if object.get("nullable") == Some(&Value::Bool(true)) {
                return make_nullable(converted);
            }
            Value::Object(converted)
        }
        other => other.clone(),
    }
}

fn make_nullable(mut schema: Map<String, Value>) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(single)) => {
            schema.insert("type".to_owned(), serde_json::json!([single, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(schema)
        }
        _ => serde_json::json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}

/// The operationId of every operation in the spec. Tests that claim to cover every operation
/// iterate over these, so a new operation fails them until they know how to call it.
pub fn operation_ids() -> std::collections::BTreeSet<String> {
    let spec = spec();
    spec["paths"]
        .as_object()
        .expect("the spec has paths")
        .values()
        .flat_map(|item| item.as_object().into_iter().flatten())
        .filter_map(|(_, operation)| operation.get("operationId")?.as_str())
        .map(str::to_owned)
        .collect()
}

/// The `error` of the example the spec documents for `status` of the operation `operation_id`:
/// the exact text the service must answer (e.g. each operation's 500 message).
pub fn documented_error(operation_id: &str, status: u16) -> Option<String> {
    let spec = spec();
    let operation = spec["paths"]
        .as_object()?
        .values()
        .flat_map(|item| item.as_object().into_iter().flatten())
        .map(|(_, operation)| operation)
        .find(|operation| operation["operationId"] == operation_id)?;
    let mut response = &operation["responses"][status.to_string()];
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/responses/");
        response = &spec["components"]["responses"][name];
    }
    response["content"]["application/json"]["example"]["error"]
        .as_str()
        .map(str::to_owned)
}
