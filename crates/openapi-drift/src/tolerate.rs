//! Documents as the rest of the toolchain reads them. In YAML, a key left empty (`responses:`,
//! `content:`) is `null`; parsers such as kin-openapi and openapiv3 read a `null` where an
//! object or a list belongs as "nothing there", so this checker does too instead of refusing the
//! whole document.

use serde_json::{Map, Value};

/// How the values under a key are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// An object whose keys are keywords (`paths`, `get`, `schema` ...).
    Keywords,
    /// An object whose keys are names chosen by the author (paths, statuses, media types,
    /// property names): no name is a keyword there, not even `default` (the default response).
    Names { null_is_empty: bool },
}

/// Keys whose values are data, not structure: never rewritten (`default: null` means null).
fn is_data(key: &str) -> bool {
    matches!(
        key,
        "default" | "const" | "enum" | "example" | "examples" | "value"
    ) || key.starts_with("x-")
}

/// The context of the values of `key`, an object under a keyword.
fn context_of(key: &str) -> Context {
    match key {
        // A `null` schema or response still declares the name: it is the empty one.
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas"
        | "schemas" | "responses" => Context::Names {
            null_is_empty: true,
        },
        "paths" | "headers" | "content" | "parameters" | "securitySchemes" | "requestBodies"
        | "links" | "callbacks" | "webhooks" | "encoding" | "mapping" | "variables"
        | "pathItems" | "scopes" => Context::Names {
            null_is_empty: false,
        },
        _ => Context::Keywords,
    }
}

/// Whether `doc` holds a `null` that [`tolerate`] would rewrite.
pub(crate) fn needed(doc: &Value) -> bool {
    fn object(map: &Map<String, Value>, context: Context) -> bool {
        map.iter().any(|(key, value)| match context {
            Context::Keywords if is_data(key) => false,
            Context::Keywords => value.is_null() || nested(value, context_of(key), key == "type"),
            Context::Names { .. } => value.is_null() || nested(value, Context::Keywords, false),
        })
    }
    fn nested(value: &Value, context: Context, is_type: bool) -> bool {
        match value {
            Value::Object(map) => object(map, context),
            Value::Array(items) => items
                .iter()
                .any(|item| item.is_null() || (!is_type && nested(item, Context::Keywords, false))),
            _ => false,
        }
    }
    nested(doc, Context::Keywords, false)
}

/// Rewrites, in place, every `null` where structure belongs: an entry of a keyword object is
/// dropped, a named schema or response becomes the empty one, a `null` list item is dropped,
/// and a `null` in a `type` list (unquoted YAML) is the type `"null"`.
pub fn tolerate(doc: &mut Value) {
    fn object(map: &mut Map<String, Value>, context: Context) {
        match context {
            Context::Keywords => {
                map.retain(|key, value| is_data(key) || !value.is_null());
                for (key, value) in map.iter_mut() {
                    if !is_data(key) {
                        nested(value, context_of(key), key == "type");
                    }
                }
            }
            Context::Names { null_is_empty } => {
                if null_is_empty {
                    for value in map.values_mut().filter(|value| value.is_null()) {
                        *value = Value::Object(Map::new());
                    }
                } else {
                    map.retain(|_, value| !value.is_null());
                }
                for value in map.values_mut() {
                    nested(value, Context::Keywords, false);
                }
            }
        }
    }
    fn nested(value: &mut Value, context: Context, is_type: bool) {
        match value {
            Value::Object(map) => object(map, context),
            Value::Array(items) if is_type => {
                for item in items.iter_mut().filter(|item| item.is_null()) {
                    *item = Value::String("null".to_owned());
                }
            }
            Value::Array(items) => {
                items.retain(|item| !item.is_null());
                for item in items {
                    nested(item, Context::Keywords, false);
                }
            }
            _ => {}
        }
    }
    nested(doc, Context::Keywords, false);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nulls_where_structure_belongs_mean_nothing_there() {
        let mut doc = json!({
            "openapi": "3.0.3",
            "paths": {"/a": {"get": {"parameters": null, "responses": {"200": null, "default": {
                "content": null, "description": "x"}}}}, "/b": null},
            "components": {"schemas": {"Empty": null, "S": {"type": ["string", null],
                "default": null, "enum": ["a", null], "properties": {"p": null},
                "required": ["p", null]}}}
        });
        assert!(needed(&doc));
        tolerate(&mut doc);
        assert!(!needed(&doc));
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.3",
                "paths": {"/a": {"get": {"responses": {"200": {}, "default": {
                    "description": "x"}}}}},
                "components": {"schemas": {"Empty": {}, "S": {"type": ["string", "null"],
                    "default": null, "enum": ["a", null], "properties": {"p": {}},
                    "required": ["p"]}}}
            })
        );
    }

    #[test]
    fn data_is_left_as_written() {
        let doc = json!({"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"S": {
            "const": null, "example": {"a": null}, "x-note": null}}}});
        assert!(!needed(&doc));
    }
}
