//! Component schemas → model structs and enums, each with its `Validate` implementation.

use super::*;
use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{Components, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub(super) fn generate_models(components: &Components) -> Result<TokenStream, GenerateError> {
    let base = Pointer::default().join("components").join("schemas");
    let mut items = Vec::new();
    for (name, schema) in &components.schemas {
        let pointer = base.join(name);
        let ident = component_type(name, &pointer)?;
        let ReferenceOr::Item(schema) = schema else {
            return Err(unsupported(
                &pointer,
                "a component that is only a $ref (type alias)",
            ));
        };
        reject_schema_extras(schema, &pointer, false)?;
        let doc = doc_attrs(schema.schema_data.description.as_deref());
        items.push(match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                let mut fields = Vec::new();
                let mut checks = Vec::new();
                object_fields(object, &pointer, &mut FieldNames::default(), &mut fields, &mut checks)?;
                model_struct(&doc, &ident, &fields, &checks)
            }
            SchemaKind::AllOf { all_of } => {
                // Merged into one struct: a `$ref` branch becomes a flattened field, which utoipa
                // documents as the same `allOf`; an inline object branch adds its properties.
                let mut fields = Vec::new();
                let mut checks = Vec::new();
                let mut names = FieldNames::default();
                for (index, branch) in all_of.iter().enumerate() {
                    let branch_pointer = pointer.join("allOf").join(index.to_string());
                    match branch {
                        ReferenceOr::Reference { reference } => {
                            let ty = schema_ref_type(reference, &branch_pointer)?;
                            let is_object = matches!(
                                components.schemas.get(&ty.to_string()),
                                Some(ReferenceOr::Item(Schema {
                                    schema_kind: SchemaKind::Type(Type::Object(_)) | SchemaKind::AllOf { .. },
                                    ..
                                }))
                            );
                            if !is_object {
                                return Err(unsupported(&branch_pointer, "an allOf branch that is not an object"));
                            }
                            let field = names.claim(&ty.to_string().to_snake_case(), &branch_pointer)?;
                            fields.push(quote! { #[serde(flatten)] pub #field: #ty, });
                            checks.push(quote! { crate::Validate::validate(&self.#field)?; });
                        }
                        ReferenceOr::Item(Schema {
                            schema_kind: SchemaKind::Type(Type::Object(object)),
                            schema_data,
                        }) if !schema_data.nullable => {
                            object_fields(object, &branch_pointer, &mut names, &mut fields, &mut checks)?;
                        }
                        ReferenceOr::Item(_) => {
                            return Err(unsupported(&branch_pointer, "an allOf branch that is not an object"));
                        }
                    }
                }
                model_struct(&doc, &ident, &fields, &checks)
            }
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                if string.pattern.is_some()
                    || string.min_length.is_some()
                    || string.max_length.is_some()
                    || !matches!(string.format, VariantOrUnknownOrEmpty::Empty)
                {
                    return Err(unsupported(&pointer, "a string enum with format or constraints"));
                }
                let mut variants = Vec::new();
                for (index, value) in string.enumeration.iter().enumerate() {
                    let Some(value) = value else {
                        return Err(unsupported(&pointer.join("enum").join(index.to_string()), "null in an enum"));
                    };
                    let variant = format_ident!("{}", value.to_lowercase().to_pascal_case());
                    variants.push(quote! { #[serde(rename = #value)] #variant, });
                }
                quote! {
                    #doc
                    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
                    pub enum #ident {
                        #(#variants)*
                    }

                    /// The enum itself is the only constraint, and serde enforces it.
                    impl crate::Validate for #ident {}
                }
            }
            _ => {
                return Err(unsupported(
                    &pointer,
                    "a component that is neither an object nor a string enum",
                ));
            }
        });
    }
    Ok(quote! { #(#items)* })
}

/// The Rust field names a struct has handed out, so two never collide.
#[derive(Default)]
pub(super) struct FieldNames(std::collections::BTreeSet<String>);

impl FieldNames {
    pub(super) fn claim(&mut self, name: &str, pointer: &Pointer) -> Result<Ident, GenerateError> {
        if !self.0.insert(name.to_owned()) {
            return Err(invalid(
                pointer,
                format!("two members map to the Rust field `{name}`"),
            ));
        }
        Ok(rust_ident(name))
    }
}

/// The fields and checks of an object schema's properties.
pub(super) fn object_fields(
    object: &openapiv3::ObjectType,
    pointer: &Pointer,
    names: &mut FieldNames,
    fields: &mut Vec<TokenStream>,
    checks: &mut Vec<TokenStream>,
) -> Result<(), GenerateError> {
    if object.additional_properties.is_some() {
        return Err(unsupported(
            &pointer.join("additionalProperties"),
            "additionalProperties",
        ));
    }
    if object.min_properties.is_some() || object.max_properties.is_some() {
        return Err(unsupported(pointer, "minProperties/maxProperties"));
    }
    for required in &object.required {
        if !object.properties.contains_key(required) {
            return Err(invalid(
                &pointer.join("required"),
                format!("`{required}` is required but not a property"),
            ));
        }
    }
    for (property, property_schema) in &object.properties {
        let property_pointer = pointer.join("properties").join(property);
        let field_name = property.to_snake_case();
        names.claim(&field_name, &property_pointer)?;
        let field = generate_field(
            property,
            &field_name,
            property_schema,
            object.required.contains(property),
            &property_pointer,
        )?;
        fields.push(field.tokens);
        checks.push(field.checks);
    }
    Ok(())
}

/// A model struct with its `Validate` implementation.
pub(super) fn model_struct(
    doc: &TokenStream,
    ident: &Ident,
    fields: &[TokenStream],
    checks: &[TokenStream],
) -> TokenStream {
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct #ident {
            #(#fields)*
        }

        impl crate::Validate for #ident {
            fn validate(&self) -> Result<(), crate::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }
    }
}

/// A struct field of a model, and the statements that validate it.
pub(super) struct Field {
    pub(super) tokens: TokenStream,
    pub(super) checks: TokenStream,
}

pub(super) fn generate_field(
    property: &str,
    field_name: &str,
    schema: &ReferenceOr<Box<Schema>>,
    required: bool,
    pointer: &Pointer,
) -> Result<Field, GenerateError> {
    let field = rust_ident(field_name);
    let member = format!("/{}", property.replace('~', "~0").replace('/', "~1"));
    let (ty, nullable, description, format, checks, constraints) = match schema {
        ReferenceOr::Reference { reference } => {
            let ty = schema_ref_type(reference, pointer)?;
            let checks =
                quote! { crate::Validate::validate(value).map_err(|err| err.within(#member))?; };
            (
                quote! { #ty },
                false,
                None,
                None,
                checks,
                TokenStream::new(),
            )
        }
        ReferenceOr::Item(schema) => {
            let inline = inline_type(schema, pointer)?;
            (
                inline.ty,
                schema.schema_data.nullable,
                schema.schema_data.description.as_deref(),
                inline.format,
                inline.constraints.checks(&member, inline.validates_nested),
                inline.constraints.schema_attrs(),
            )
        }
    };
    let doc = doc_attrs(description);
    let rename = (field_name != property).then(|| quote! { #[serde(rename = #property)] });
    let format = format.map(|format| quote! { #[schema(format = #format)] });
    let tokens = match (required, nullable) {
        (true, false) => quote! { #doc #rename #format #constraints pub #field: #ty, },
        (true, true) => quote! {
            #doc #rename #format #constraints
            #[schema(required = true)]
            pub #field: Option<#ty>,
        },
        (false, false) => quote! {
            #doc #rename #format #constraints
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schema(nullable = false)]
            pub #field: Option<#ty>,
        },
        (false, true) => {
            return Err(unsupported(
                pointer,
                "a property both optional and nullable (absent and null would be indistinguishable)",
            ));
        }
    };
    let checks = if checks.is_empty() {
        checks
    } else if required && !nullable {
        quote! { { let value = &self.#field; #checks } }
    } else {
        quote! { if let Some(value) = &self.#field { #checks } }
    };
    Ok(Field { tokens, checks })
}
