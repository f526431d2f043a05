//! Schemas documented as the document says them, where utoipa's derive cannot: the generated
//! code implements `utoipa::PartialSchema` (a component) or names a `schema_with` function (a
//! field) that returns the document's own schema. The types still read, write and check the
//! values; only what utoipa would have written about them is replaced.

use super::*;
use openapiv3::{ReferenceOr, Schema};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// An inline `oneOf`/`anyOf` branch with a format or constraints of its own, which utoipa cannot
/// say on an enum variant's field.
pub(super) fn branch_loses_keywords(branch: &ReferenceOr<Schema>) -> bool {
    let ReferenceOr::Item(schema) = branch else {
        return false;
    };
    let Ok(serde_json::Value::Object(mut object)) = serde_json::to_value(schema) else {
        return false;
    };
    // dropshot wraps a branch in an `allOf` of one, beside its title.
    while let Some([serde_json::Value::Object(only)]) = object
        .get("allOf")
        .and_then(|all| all.as_array())
        .map(Vec::as_slice)
    {
        object = only.clone();
    }
    let primitive = matches!(
        object.get("type").and_then(serde_json::Value::as_str),
        Some("string" | "integer" | "number")
    );
    primitive
        && [
            "format",
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "multipleOf",
        ]
        .iter()
        .any(|keyword| object.contains_key(*keyword))
}

/// The impls that document a component with its document's own schema, where utoipa's derive
/// cannot say it (a newtype whose value has a format or constraints: utoipa takes no attribute
/// on a tuple field; a branch of an untagged enum likewise; `anyOf`, which it says as `oneOf`).
/// Only for a schema whose `$ref`s name components utoipa lists under the same name.
pub(super) fn documented_schema(name: &str, ident: &Ident, schema: &Schema) -> Option<TokenStream> {
    // A name utoipa would not keep as it is (`schema_as` takes plain identifiers only).
    let kept = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !super::types::refs_in(schema).iter().all(|name| kept(name)) {
        return None;
    }
    let json = utoipa_json(schema)?.to_string();
    // The name utoipa lists it under: the document's, as `schema_as` keeps it.
    let listed = if schema_as(name).is_empty() {
        ident.to_string()
    } else {
        name.to_owned()
    };
    Some(quote! {
        impl utoipa::PartialSchema for #ident {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                serde_json::from_str(#json)
                    .unwrap_or_else(|_| utoipa::openapi::RefOr::T(Default::default()))
            }
        }

        impl utoipa::ToSchema for #ident {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(#listed)
            }
        }
    })
}

/// `schema` as utoipa's model reads it (OpenAPI 3.1's), at every level: `nullable: true` is a
/// `null` among the types, and a schema of any type says `type: null` (utoipa reads no schema
/// without a `type`, and writes that one without it).
fn utoipa_json(schema: &Schema) -> Option<serde_json::Value> {
    use serde_json::Value;
    fn as_utoipa_reads(value: &mut Value) {
        let Value::Object(object) = value else {
            return;
        };
        if object.get("nullable") == Some(&Value::Bool(true))
            && let Some(kind) = object.get("type").cloned()
        {
            object.remove("nullable");
            object.insert("type".to_owned(), serde_json::json!([kind, "null"]));
        }
        let combined = ["$ref", "allOf", "oneOf", "anyOf", "not"]
            .iter()
            .any(|keyword| object.contains_key(*keyword));
        if !combined && !object.contains_key("type") {
            object.insert("type".to_owned(), Value::Null);
        }
        for keyword in ["items", "additionalProperties", "not"] {
            if let Some(inner) = object.get_mut(keyword) {
                as_utoipa_reads(inner);
            }
        }
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.values_mut().for_each(as_utoipa_reads);
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = object.get_mut(keyword) {
                branches.iter_mut().for_each(as_utoipa_reads);
            }
        }
    }
    let mut json = serde_json::to_value(schema).ok()?;
    as_utoipa_reads(&mut json);
    Some(json)
}

/// A `schema_with` attribute documenting a struct field as its own schema says, where utoipa
/// would say it wrongly: an array or a map whose scalar items or values have a format,
/// constraints, an enum or a default (utoipa has no attribute for them), `uniqueItems`, bounds
/// on a map's size, or a `readOnly`/`writeOnly` array or map (utoipa writes it on the items).
/// `None` where the derive says it right, or where the schema names components (a function
/// would not make utoipa list them).
pub(super) fn documented_field(
    schema: &Schema,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Option<TokenStream> {
    use serde_json::Value;
    if !super::types::refs_in(schema).is_empty() {
        return None;
    }
    let json = utoipa_json(schema)?;
    let object = json.as_object()?;
    let first_type = |schema: &Value| match schema.get("type") {
        Some(Value::String(kind)) => Some(kind.clone()),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .map(str::to_owned),
        _ => None,
    };
    let (inner, size_bounds) = match first_type(&json).as_deref() {
        Some("array") => (object.get("items"), ["uniqueItems"].as_slice()),
        Some("object") if !object.contains_key("properties") => (
            object
                .get("additionalProperties")
                .filter(|values| values.is_object()),
            ["minProperties", "maxProperties"].as_slice(),
        ),
        _ => return None,
    };
    const LOST_ON_ITEMS: [&str; 11] = [
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "enum",
        "default",
    ];
    let scalar = |schema: &Value| {
        matches!(
            first_type(schema).as_deref(),
            Some("string" | "integer" | "number" | "boolean")
        )
    };
    let inner_says_more = inner.is_some_and(|inner| {
        scalar(inner)
            && LOST_ON_ITEMS
                .iter()
                .any(|keyword| inner.get(*keyword).is_some())
    });
    let whole_says_more = size_bounds
        .iter()
        .chain(&["readOnly", "writeOnly"])
        .any(|keyword| object.get(*keyword).is_some_and(|value| value != false));
    if !inner_says_more && !whole_says_more {
        return None;
    }
    let function = rust_ident(&snake_name(
        &hoisted.name(&format!("SchemaOf{hint}")).to_string(),
    ));
    let json = json.to_string();
    hoisted.items.push(quote! {
        /// The document's own schema of a field, which utoipa's derive would say otherwise.
        #[doc(hidden)]
        pub fn #function() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            serde_json::from_str(#json)
                .unwrap_or_else(|_| utoipa::openapi::RefOr::T(Default::default()))
        }
    });
    let path: syn::Path = syn::parse_str(&format!("crate::models::{function}")).ok()?;
    Some(quote! { #[schema(schema_with = #path)] })
}
