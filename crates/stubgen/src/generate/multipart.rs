//! `multipart/form-data` request bodies: a form type whose fields are the object's properties,
//! files (`type: string, format: binary`) as `FilePart`s and the others read from their part's
//! text as their schema says, with the schema's constraints checked.

use super::*;
use openapiv3::{ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// How a property of a form is sent.
enum PartKind {
    /// One file.
    File,
    /// Files, one part each.
    Files,
    /// A value of a string type, read from its text.
    Text,
    /// Values of a string type, one part each.
    Texts,
    /// A value of another type (number, boolean, object), read from its text as JSON.
    Value,
    /// Values of another type, one part each.
    Values,
}

/// The form type of a `multipart/form-data` body of `schema` (an object), hoisted into the
/// models under a name from `hint`.
pub(super) fn multipart_form(
    schema: &ReferenceOr<Schema>,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<Ident, GenerateError> {
    let (schema, pointer) = resolved(schema, pointer, hoisted)?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Err(unsupported(
            &pointer,
            "a multipart/form-data body that is not an object",
        ));
    };
    let ident = hoisted.name(hint);
    let mut names = FieldNames::default();
    let (mut fields, mut reads, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for (property, property_schema) in &object.properties {
        let property_pointer = pointer.join("properties").join(property);
        let field = rust_ident(&names.claim(&snake_name(property)));
        let required = object.required.contains(property);
        let property_schema = property_schema.clone().unbox();
        let (resolved_schema, _) = resolved(&property_schema, &property_pointer, hoisted)?;
        let kind = part_kind(&resolved_schema, hoisted);
        let rename = (field != property.as_str()).then(|| quote! { #[schema(rename = #property)] });
        let description = doc_attrs(resolved_schema.schema_data.description.as_deref());
        let missing = format!("`{property}` is required");
        match kind {
            PartKind::File | PartKind::Files => {
                // How many files an array of them takes, checked and documented.
                let bounds = match &resolved_schema.schema_kind {
                    SchemaKind::Type(Type::Array(array)) => types::Constraints {
                        min_items: array.min_items,
                        max_items: array.max_items,
                        ..Default::default()
                    },
                    _ => types::Constraints::default(),
                };
                if !bounds.is_empty() {
                    let member = format!("/{}", property.replace('~', "~0").replace('/', "~1"));
                    let field_checks = bounds.checks(&member, false);
                    checks.push(quote! { { let value = &self.#field; #field_checks } });
                }
                let bounds = bounds.schema_attrs();
                // A `value_type` hides the `Option` of an optional file from utoipa (a list says
                // it is optional by itself).
                let optional = (matches!(kind, PartKind::File) && !required)
                    .then(|| quote! { , required = false });
                let (ty, read, documented) = if matches!(kind, PartKind::File) {
                    (
                        quote! { ::stubgen_runtime::FilePart },
                        quote! { parts.file(#property)? },
                        quote! { String },
                    )
                } else {
                    (
                        quote! { Vec<::stubgen_runtime::FilePart> },
                        quote! { parts.files(#property)? },
                        quote! { Vec<String> },
                    )
                };
                push_field(
                    &mut fields,
                    &mut reads,
                    FieldParts {
                        attrs: quote! { #description #rename #[schema(value_type = #documented, format = Binary #optional)] #bounds },
                        field: &field,
                        ty,
                        read,
                        list: matches!(kind, PartKind::Files),
                        required,
                        missing,
                    },
                );
            }
            PartKind::Text | PartKind::Texts | PartKind::Value | PartKind::Values => {
                let inline = match &property_schema {
                    ReferenceOr::Reference { reference } => InlineType {
                        ty: {
                            let ty = schema_ref_type(reference, &property_pointer)?;
                            quote! { crate::models::#ty }
                        },
                        format: None,
                        constraints: Default::default(),
                        validates_nested: true,
                    },
                    ReferenceOr::Item(schema) => inline_type(
                        schema,
                        &property_pointer,
                        &format!("{ident}{}", property.to_pascal_case()),
                        hoisted,
                    )?,
                };
                let list = matches!(kind, PartKind::Texts | PartKind::Values);
                let ty = &inline.ty;
                // An object's part must hold a JSON object (serde would also take an array).
                let object = is_object(&resolved_schema);
                let read = match kind {
                    PartKind::Text => quote! { parts.text(#property)? },
                    PartKind::Texts => quote! { parts.texts(#property)? },
                    PartKind::Value if object => quote! { parts.object(#property)? },
                    PartKind::Value => quote! { parts.value(#property)? },
                    _ if items_are_objects(&resolved_schema, hoisted) => {
                        quote! { parts.objects(#property)? }
                    }
                    _ => quote! { parts.values(#property)? },
                };
                // An optional part with a default: absent means the default, which the
                // service always sees (Telnyx's fax `quality`).
                let default = match &property_schema {
                    ReferenceOr::Item(schema) if !required && !list => schema
                        .schema_data
                        .default
                        .as_ref()
                        .map(|value| (schema, value)),
                    _ => None,
                };
                let member = format!("/{}", property.replace('~', "~0").replace('/', "~1"));
                let field_checks = inline.constraints.checks(&member, inline.validates_nested);
                if !field_checks.is_empty() {
                    checks.push(if required || list || default.is_some() {
                        quote! { { let value = &self.#field; #field_checks } }
                    } else {
                        quote! { if let Some(value) = &self.#field { #field_checks } }
                    });
                }
                let constraints = inline.constraints.schema_attrs();
                if let Some((schema, value)) = default {
                    types::check_default(value, schema, &property_pointer, hoisted)?;
                    let function: syn::Path = syn::parse_str(&types::default_fn(
                        &format!("{ident}{}", property.to_pascal_case()),
                        &quote! { #ty },
                        value,
                        hoisted,
                    ))
                    .map_err(|_| unsupported(&property_pointer, "a default of this part"))?;
                    let documented = types::default_attr(value);
                    fields.push(quote! {
                        #description #rename #constraints #documented
                        #[schema(required = false)]
                        pub #field: #ty,
                    });
                    reads.push(quote! { #field: #read.unwrap_or_else(#function), });
                    continue;
                }
                push_field(
                    &mut fields,
                    &mut reads,
                    FieldParts {
                        attrs: quote! { #description #rename #constraints },
                        field: &field,
                        ty: quote! { #ty },
                        read,
                        list,
                        required,
                        missing,
                    },
                );
            }
        }
    }
    let doc = doc_attrs(schema.schema_data.description.as_deref());
    // `additionalProperties: false`: a part the form does not declare is refused.
    let closed = matches!(
        object.additional_properties,
        Some(openapiv3::AdditionalProperties::Any(false))
    );
    // utoipa reads serde's attribute (its derive declares it) to document it.
    let closed_attr = closed.then(|| quote! { #[serde(deny_unknown_fields)] });
    let closed = closed.then(|| quote! { parts.none_unread()?; });
    hoisted.items.push(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, utoipa::ToSchema)]
        #closed_attr
        pub struct #ident {
            #(#fields)*
        }

        impl ::stubgen_runtime::FromMultipart for #ident {
            fn from_parts(mut parts: ::stubgen_runtime::MultipartParts) -> Result<Self, String> {
                let form = Self {
                    #(#reads)*
                };
                #closed
                Ok(form)
            }
        }

        impl ::stubgen_runtime::Validate for #ident {
            fn validate(&self) -> Result<(), ::stubgen_runtime::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }
    });
    Ok(ident)
}

struct FieldParts<'a> {
    attrs: TokenStream,
    field: &'a Ident,
    ty: TokenStream,
    read: TokenStream,
    list: bool,
    required: bool,
    missing: String,
}

/// A field of the form, and how it is read: a list is never optional (no part is an empty
/// list), though a required one must have a part.
fn push_field(fields: &mut Vec<TokenStream>, reads: &mut Vec<TokenStream>, parts: FieldParts) {
    let FieldParts {
        attrs,
        field,
        ty,
        read,
        list,
        required,
        missing,
    } = parts;
    if list && required {
        fields.push(quote! { #attrs pub #field: #ty, });
        reads.push(quote! {
            #field: Some(#read).filter(|values| !values.is_empty()).ok_or_else(|| #missing.to_owned())?,
        });
    } else if list {
        fields.push(quote! { #attrs #[schema(required = false)] pub #field: #ty, });
        reads.push(quote! { #field: #read, });
    } else if required {
        fields.push(quote! { #attrs pub #field: #ty, });
        reads.push(quote! { #field: #read.ok_or_else(|| #missing.to_owned())?, });
    } else {
        // Optional, never null: a part is sent or not.
        fields.push(quote! { #attrs #[schema(nullable = false)] pub #field: Option<#ty>, });
        reads.push(quote! { #field: #read, });
    }
}

/// `schema` itself, or the component it refers to.
pub(super) fn resolved(
    schema: &ReferenceOr<Schema>,
    pointer: &Pointer,
    hoisted: &Hoisted,
) -> Result<(Schema, Pointer), GenerateError> {
    match schema {
        ReferenceOr::Item(schema) => Ok((schema.clone(), pointer.clone())),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .ok_or_else(|| unsupported(pointer, format!("$ref `{reference}`")))?;
            match hoisted.schema(name) {
                Some(ReferenceOr::Item(schema)) => Ok((
                    schema.clone(),
                    Pointer::default()
                        .join("components")
                        .join("schemas")
                        .join(name),
                )),
                _ => Err(unsupported(
                    pointer,
                    format!("unresolvable $ref `{reference}`"),
                )),
            }
        }
    }
}

/// How a property of this schema is sent.
fn part_kind(schema: &Schema, hoisted: &Hoisted) -> PartKind {
    let binary = |schema: &Schema| {
        matches!(
            &schema.schema_kind,
            SchemaKind::Type(Type::String(string))
                if matches!(string.format, VariantOrUnknownOrEmpty::Item(StringFormat::Binary))
        )
    };
    let string = |schema: &Schema| matches!(&schema.schema_kind, SchemaKind::Type(Type::String(_)));
    if binary(schema) {
        return PartKind::File;
    }
    if let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind {
        let items = array
            .items
            .as_ref()
            .map(|items| items.clone().unbox())
            .and_then(|items| resolved(&items, &Pointer::default(), hoisted).ok())
            .map(|(items, _)| items);
        return match items {
            Some(items) if binary(&items) => PartKind::Files,
            Some(items) if string(&items) => PartKind::Texts,
            _ => PartKind::Values,
        };
    }
    if string(schema) {
        PartKind::Text
    } else {
        PartKind::Value
    }
}

/// Whether a value of this schema is a JSON object (a struct, which serde would also build from
/// an array).
pub(super) fn is_object(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(_)) | SchemaKind::AllOf { .. } => true,
        SchemaKind::Any(any) => !any.properties.is_empty() || !any.all_of.is_empty(),
        _ => false,
    }
}

/// Whether this schema is an array of JSON objects.
pub(super) fn items_are_objects(schema: &Schema, hoisted: &Hoisted) -> bool {
    let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind else {
        return false;
    };
    array
        .items
        .as_ref()
        .map(|items| items.clone().unbox())
        .and_then(|items| resolved(&items, &Pointer::default(), hoisted).ok())
        .is_some_and(|(items, _)| is_object(&items))
}
