//! Reading documents: JSON or YAML text into one `serde_json::Value` shape.

use std::path::Path;

use serde_json::{Map, Number, Value};

use crate::error::{DriftError, Side};

/// Parse a document from JSON or YAML text (JSON is tried first, then YAML).
///
/// The result must be an OpenAPI 3.0.x or 3.1.x document. A `null` where structure belongs
/// (a YAML key left empty) is read as nothing there, as other OpenAPI tools read it.
pub fn load_str(text: &str) -> Result<Value, DriftError> {
    let mut doc = parse(text).map_err(|message| DriftError::Parse {
        origin: None,
        message,
    })?;
    crate::tolerate::tolerate(&mut doc);
    check_version(&doc, None)?;
    Ok(doc)
}

/// Read and parse a document file (JSON or YAML, whatever its extension), with the files its
/// `$ref`s name beside it brought in ([`crate::bundle`]: only files in its folder, or the
/// folders under it).
pub fn load_path(path: &Path) -> Result<Value, DriftError> {
    load_path_with(path, crate::BundleOptions::default())
}

/// As [`load_path`], bringing in files as `options` allow ([`crate::BundleOptions`]).
pub fn load_path_with(path: &Path, options: crate::BundleOptions) -> Result<Value, DriftError> {
    let text = std::fs::read_to_string(path).map_err(|source| DriftError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_error = |message| DriftError::Parse {
        origin: Some(path.to_path_buf()),
        message,
    };
    let mut ordered = parse_ordered(&text).map_err(parse_error)?;
    crate::bundle::bundle_with(&mut ordered, Some(path), options)?;
    let mut doc = yaml_to_json(ordered).map_err(parse_error)?;
    crate::tolerate::tolerate(&mut doc);
    check_version(&doc, None)?;
    Ok(doc)
}

pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let json_error = match serde_json::from_str::<Value>(text) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(mut yaml) => {
            yaml.apply_merge()
                .map_err(|e| format!("YAML merge keys: {e}"))?;
            yaml_to_json(yaml)
        }
        // Text that looks like JSON is better explained by the JSON error.
        Err(_) if text.trim_start().starts_with(['{', '[']) => Err(format!("JSON: {json_error}")),
        Err(yaml_error) => Err(format!("YAML: {yaml_error}")),
    }
}

/// Parses JSON or YAML text into YAML's value, which keeps the order of keys (JSON is read as
/// JSON, so its escapes mean what JSON says).
pub fn parse_ordered(text: &str) -> Result<serde_yaml::Value, String> {
    let text = text.trim_start_matches('\u{feff}');
    let json_error = match serde_json::from_str::<serde_yaml::Value>(text) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(mut yaml) => {
            yaml.apply_merge()
                .map_err(|e| format!("YAML merge keys: {e}"))?;
            Ok(yaml)
        }
        Err(_) if text.trim_start().starts_with(['{', '[']) => Err(format!("JSON: {json_error}")),
        Err(yaml_error) => Err(format!("YAML: {yaml_error}")),
    }
}

/// YAML allows non-string keys (`200:` is an integer); OpenAPI means them as strings,
/// so convert by hand instead of deserializing straight into `serde_json::Value`.
fn yaml_to_json(value: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => yaml_number(&n)?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_owned(),
                    other => return Err(format!("unsupported YAML mapping key {other:?}")),
                };
                object.insert(key, yaml_to_json(value)?);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn yaml_number(n: &serde_yaml::Number) -> Result<Value, String> {
    if let Some(i) = n.as_i64() {
        Ok(Value::Number(i.into()))
    } else if let Some(u) = n.as_u64() {
        Ok(Value::Number(u.into()))
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("YAML number {n} has no JSON equivalent"))
    }
}

/// Reject anything that is not OpenAPI 3.0.x / 3.1.x: comparing a Swagger 2.0 or
/// arbitrary document would silently report nonsense.
pub(crate) fn check_version(doc: &Value, side: Option<Side>) -> Result<(), DriftError> {
    let not_openapi = |found: String| DriftError::NotOpenApi { side, found };
    let Some(object) = doc.as_object() else {
        return Err(not_openapi(format!("top level is {}", kind_of(doc))));
    };
    match object.get("openapi") {
        Some(Value::String(v)) if is_supported_version(v) => Ok(()),
        Some(Value::String(v)) => Err(not_openapi(format!("unsupported `openapi: {v}`"))),
        // Unquoted in YAML, `openapi: 3.0` is a number; other tools read it as the version.
        Some(Value::Number(v)) if is_supported_version(&v.to_string()) => Ok(()),
        Some(other) => Err(not_openapi(format!("`openapi` is {}", kind_of(other)))),
        None if object.contains_key("swagger") => Err(not_openapi("Swagger 2.0 document".into())),
        None => Err(not_openapi("no `openapi` field".into())),
    }
}

fn is_supported_version(v: &str) -> bool {
    let v = v.trim();
    ["3.0", "3.1"]
        .iter()
        .any(|major_minor| v == *major_minor || v.starts_with(&format!("{major_minor}.")))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
