//! Component schemas → model structs and enums, each with its `Validate` implementation.

use super::*;
use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{Components, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

pub(super) fn generate_models(
    components: &Components,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    let base = Pointer::default().join("components").join("schemas");
    let mut items = Vec::new();
    let mut types = std::collections::BTreeMap::new();
    for (name, schema) in &components.schemas {
        let pointer = base.join(name);
        let before = hoisted.items.len();
        let item = match types.insert(component_type(name).to_string(), name) {
            Some(other) => Err(invalid(
                &pointer,
                format!(
                    "`{name}` and `{other}` both become the Rust type `{}`",
                    component_type(name)
                ),
            )),
            None => generate_model(name, schema, &pointer, hoisted),
        };
        match item {
            Ok(item) => items.push(item),
            Err(error) => {
                // What the failed component hoisted goes with it.
                hoisted.items.truncate(before);
                hoisted.fail(Item::Schema(name.clone()), error)?;
            }
        }
    }
    Ok(quote! { #(#items)* })
}

/// The model of the component `name`.
fn generate_model(
    name: &str,
    schema: &ReferenceOr<Schema>,
    pointer: &Pointer,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    hoisted.current = Some(name.to_owned());
    let model = component_model(name, schema, pointer, hoisted);
    hoisted.current = None;
    model
}

fn component_model(
    name: &str,
    schema: &ReferenceOr<Schema>,
    pointer: &Pointer,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    let pointer = pointer.clone();
    let ident = component_type(name);
    // A component that only names another: read as an `allOf` of that one (a newtype, or a
    // struct that flattens it), which utoipa documents under its own name.
    let alias;
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        reference @ ReferenceOr::Reference { .. } => {
            alias = Schema {
                schema_data: Default::default(),
                schema_kind: SchemaKind::AllOf {
                    all_of: vec![reference.clone()],
                },
            };
            &alias
        }
    };
    // `nullable: true` on a component: its type is the value's, and each member that refers to
    // it is an `Option` of it. Without `type`, the type its keywords describe.
    let non_null;
    let schema = if schema.schema_data.nullable || super::types::typed(schema).is_some() {
        let mut copy = super::types::typed(schema).unwrap_or_else(|| schema.clone());
        copy.schema_data.nullable = false;
        non_null = copy;
        &non_null
    } else {
        schema
    };
    reject_schema_extras(schema, &pointer, false)?;
    let doc = doc_attrs(schema.schema_data.description.as_deref());
    // After the derive, which introduces `schema`.
    let schema_as = schema_as(name);
    // A base that subtypes extend: an enum of them, chosen by its discriminator.
    if let Some(subtypes) = hoisted.discriminators.bases.get(name).cloned() {
        let branches: Vec<ReferenceOr<Schema>> = subtypes
            .iter()
            .map(|subtype| ReferenceOr::Reference {
                reference: format!("{SCHEMA_REF_PREFIX}{subtype}"),
            })
            .collect();
        return one_of_enum(
            &doc,
            &schema_as,
            &ident,
            &branches,
            schema.schema_data.discriminator.as_ref(),
            &pointer,
            hoisted,
        );
    }
    // A variant of a discriminator: one struct of all its properties, its tag fixed.
    if let Some(tag) = hoisted.discriminators.tags.get(name).cloned() {
        return tagged_struct(&doc, &schema_as, &ident, schema, &pointer, &tag, hoisted);
    }
    Ok(match &schema.schema_kind {
        // Only `additionalProperties`: a map, as a newtype.
        SchemaKind::Type(Type::Object(object))
            if object.properties.is_empty() && object.additional_properties.is_some() =>
        {
            let inline = inline_type(schema, &pointer, &ident.to_string(), hoisted)?;
            newtype(&doc, &schema_as, &ident, &inline)
        }
        SchemaKind::Type(Type::Object(object)) => {
            let mut fields = Vec::new();
            let mut checks = Vec::new();
            object_fields(
                object,
                &pointer,
                &ident,
                hoisted,
                &mut FieldNames::default(),
                &mut fields,
                &mut checks,
            )?;
            let closed = closed_attr(object);
            model_struct(
                &doc,
                &quote! { #schema_as #closed },
                &ident,
                &fields,
                &checks,
            )
        }
        // A component that only renames another (`allOf` of one `$ref`) that is no object.
        SchemaKind::AllOf { all_of }
            if all_of.len() == 1
                && matches!(&all_of[0], ReferenceOr::Reference { reference }
                    if !hoisted.is_object(&schema_ref_type(reference, &pointer)?)) =>
        {
            let inline = inline_type(schema, &pointer, &ident.to_string(), hoisted)?;
            newtype(&doc, &schema_as, &ident, &inline)
        }
        SchemaKind::AllOf { all_of } => {
            all_of_struct(&doc, &schema_as, &ident, all_of, &pointer, hoisted)?
        }
        SchemaKind::OneOf { one_of } => {
            let discriminator = schema.schema_data.discriminator.as_ref();
            if discriminator.is_none() && one_of.iter().any(branch_loses_keywords) {
                hoisted.own_schema = documented_schema(name, &ident, schema);
            }
            one_of_enum(
                &doc,
                &schema_as,
                &ident,
                one_of,
                discriminator,
                &pointer.join("oneOf"),
                hoisted,
            )?
        }
        SchemaKind::AnyOf { any_of } => {
            let discriminator = schema.schema_data.discriminator.as_ref();
            // utoipa says `anyOf` as `oneOf`: the document's own schema says it right.
            if discriminator.is_none() {
                hoisted.own_schema = documented_schema(name, &ident, schema);
            }
            one_of_enum(
                &doc,
                &schema_as,
                &ident,
                any_of,
                discriminator,
                &pointer.join("anyOf"),
                hoisted,
            )?
        }
        SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => string_enum(
            &doc,
            &schema_as,
            &ident,
            string,
            &schema.schema_data,
            &pointer,
        )?,
        // Arrays, maps and primitives: a newtype, which serde reads and writes as the
        // value itself and utoipa documents under the component's name.
        _ => {
            let inline = inline_type(schema, &pointer, &ident.to_string(), hoisted)?;
            let loses_keywords = !inline.constraints.is_empty()
                || inline.format.is_some()
                || schema.schema_data.default.is_some();
            match documented_schema(name, &ident, schema).filter(|_| loses_keywords) {
                Some(documented) => newtype_documented_by(&doc, &ident, &inline, documented),
                None => newtype(&doc, &schema_as, &ident, &inline),
            }
        }
    })
}

/// `allOf`, merged into one struct: a `$ref` branch becomes a flattened field, which utoipa
/// documents as the same `allOf`; an inline object branch adds its properties.
pub(super) fn all_of_struct(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    all_of: &[ReferenceOr<Schema>],
    pointer: &Pointer,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    let mut fields = Vec::new();
    let mut checks = Vec::new();
    let mut names = FieldNames::default();
    for (index, branch) in all_of.iter().enumerate() {
        let branch_pointer = pointer.join("allOf").join(index.to_string());
        match branch {
            ReferenceOr::Reference { reference } => {
                let ty = schema_ref_type(reference, &branch_pointer)?;
                if !hoisted.is_object(&ty) {
                    return Err(unsupported(
                        &branch_pointer,
                        "an allOf branch that is not an object",
                    ));
                }
                let field = rust_ident(&names.claim(&ty.to_string().to_snake_case()));
                fields.push(quote! { #[serde(flatten)] pub #field: #ty, });
                checks.push(quote! { ::stubgen_runtime::Validate::validate(&self.#field)?; });
            }
            ReferenceOr::Item(Schema {
                schema_kind: SchemaKind::Type(Type::Object(object)),
                schema_data,
            }) if !schema_data.nullable => {
                object_fields(
                    object,
                    &branch_pointer,
                    ident,
                    hoisted,
                    &mut names,
                    &mut fields,
                    &mut checks,
                )?;
            }
            ReferenceOr::Item(_) => {
                return Err(unsupported(
                    &branch_pointer,
                    "an allOf branch that is not an object",
                ));
            }
        }
    }
    Ok(model_struct(doc, schema_as, ident, &fields, &checks))
}

/// `oneOf` or `anyOf`: an enum with a variant per branch, written as the branch itself. With a
/// `discriminator`, reading picks the branch its property names (through `mapping`, or the
/// component's name); without, the first branch that reads wins, as serde's untagged enums do.
pub(super) fn one_of_enum(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    branches: &[ReferenceOr<Schema>],
    discriminator: Option<&openapiv3::Discriminator>,
    pointer: &Pointer,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    // Taken first: the branches may hoist enums of their own.
    let own_schema = hoisted.own_schema.take();
    let mut variants = Vec::new();
    // Without utoipa's attributes, for an enum documented by hand.
    let mut plain_variants = Vec::new();
    let mut validations = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    // (discriminator values, variant) for the branches that are components.
    let mut tagged: Vec<(Vec<String>, Ident)> = Vec::new();
    // The tag values of the inline branch being read, which its own enum declares.
    let mut inline_tags: Vec<Vec<String>> = Vec::new();
    for (index, branch) in branches.iter().enumerate() {
        let branch_pointer = pointer.join(index.to_string());
        let mut variant_attrs = TokenStream::new();
        let (ty, name, component, checks) = match branch {
            ReferenceOr::Reference { reference } => {
                let ty = schema_ref_type(reference, &branch_pointer)?;
                let component = reference
                    .trim_start_matches("#/components/schemas/")
                    .to_owned();
                // A branch that holds the enum's own component back is boxed; one that refers
                // back to it at all is not followed by utoipa.
                if hoisted.recurs(std::slice::from_ref(&component)) {
                    variant_attrs = quote! { #[schema(no_recursion)] };
                }
                let held = if hoisted.boxes(&component) {
                    quote! { Box<crate::models::#ty> }
                } else {
                    quote! { crate::models::#ty }
                };
                (
                    held,
                    ty.to_string(),
                    Some(component),
                    quote! { ::stubgen_runtime::Validate::validate(value)?; },
                )
            }
            ReferenceOr::Item(schema) => {
                if let Some(discriminator) = discriminator {
                    let values = inline_branch_tag(schema, &discriminator.property_name)
                        .ok_or_else(|| {
                            unsupported(
                                &branch_pointer,
                                format!(
                                    "an inline branch of a discriminated oneOf/anyOf without `{}` as a required string enum",
                                    discriminator.property_name
                                ),
                            )
                        })?;
                    inline_tags.push(values);
                }
                // A discriminated branch is named after the first value of its tag.
                let tag_name = inline_tags
                    .last()
                    .and_then(|values| values.first())
                    .map(|value| pascal_name(&value.to_lowercase(), "Variant"));
                let hint = match &tag_name {
                    Some(name) => format!("{ident}{name}"),
                    None => format!("{ident}Variant{index}"),
                };
                let inline = inline_type(schema, &branch_pointer, &hint, hoisted)?;
                let name = match &schema.schema_kind {
                    _ if tag_name.is_some() => tag_name.unwrap_or_default(),
                    SchemaKind::Type(Type::String(_)) => "String".to_owned(),
                    SchemaKind::Type(Type::Integer(_)) => "Integer".to_owned(),
                    SchemaKind::Type(Type::Number(_)) => "Number".to_owned(),
                    SchemaKind::Type(Type::Boolean(_)) => "Boolean".to_owned(),
                    SchemaKind::Type(Type::Array(_)) => "Array".to_owned(),
                    _ => format!("Variant{index}"),
                };
                let checks = inline.constraints.checks("", inline.validates_nested);
                (inline.ty, name, None, checks)
            }
        };
        let mut unique = name.clone();
        let mut counter = 2;
        while !names.insert(unique.clone()) {
            unique = format!("{name}{counter}");
            counter += 1;
        }
        let variant = rust_ident(&unique);
        variants.push(quote! { #variant_attrs #variant(#ty), });
        plain_variants.push(quote! { #variant(#ty), });
        validations.push(if checks.is_empty() {
            quote! { Self::#variant(_) => {} }
        } else {
            quote! { Self::#variant(value) => { #checks } }
        });
        if let Some(values) = inline_tags.pop() {
            tagged.push((values, variant));
        } else if let Some(component) = component {
            let mut values: Vec<String> = discriminator
                .map(|discriminator| {
                    discriminator
                        .mapping
                        .iter()
                        .filter(|(_, target)| mapped_component(target) == Some(&component))
                        .map(|(value, _)| value.clone())
                        .collect()
                })
                .unwrap_or_default();
            if values.is_empty() {
                values.push(component);
            }
            tagged.push((values, variant));
        }
    }
    let validate = quote! {
        impl ::stubgen_runtime::Validate for #ident {
            fn validate(&self) -> Result<(), ::stubgen_runtime::ValidationError> {
                match self {
                    #(#validations)*
                }
                Ok(())
            }
        }
    };
    let Some(discriminator) = discriminator else {
        // Documented by its document's own schema, or derived.
        if let Some(documented) = own_schema {
            return Ok(quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
                #[serde(untagged)]
                pub enum #ident {
                    #(#plain_variants)*
                }

                #documented

                #validate
            });
        }
        return Ok(quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
            #schema_as
            #[serde(untagged)]
            pub enum #ident {
                #(#variants)*
            }

            #validate
        });
    };
    let mut seen = std::collections::BTreeSet::new();
    for (values, _) in &tagged {
        for value in values {
            if !seen.insert(value) {
                return Err(invalid(
                    pointer,
                    format!("the discriminator value `{value}` names two branches"),
                ));
            }
        }
    }
    let property = &discriminator.property_name;
    let arms = tagged.iter().map(|(values, variant)| {
        quote! {
            #(Some(#values))|* => ::stubgen_runtime::extract::strict::from_value(value).map(Self::#variant).map_err(serde::de::Error::custom),
        }
    });
    let expected = tagged
        .iter()
        .flat_map(|(values, _)| values.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    // Documented as the document declares it, mapping and all.
    let documented = if discriminator.mapping.is_empty() {
        quote! { #[schema(discriminator = #property)] }
    } else {
        let pairs = discriminator
            .mapping
            .iter()
            .map(|(value, target)| quote! { (#value = #target) });
        quote! { #[schema(discriminator(property_name = #property, mapping(#(#pairs),*)))] }
    };
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
        #schema_as
        #documented
        #[serde(untagged)]
        pub enum #ident {
            #(#variants)*
        }

        /// Reads the branch the discriminator names; the branch sees the whole object.
        impl<'de> serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(serde_json::Value::as_str).map(str::to_owned);
                match tag.as_deref() {
                    #(#arms)*
                    Some(other) => Err(serde::de::Error::custom(format!(
                        "unknown {} {other:?}; expected one of: {}", #property, #expected
                    ))),
                    None => Err(serde::de::Error::missing_field(#property)),
                }
            }
        }

        #validate
    })
}

/// A newtype around an inline type, which serde reads and writes as the value itself and utoipa
/// documents under the newtype's name.
pub(super) fn newtype(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    inline: &InlineType,
) -> TokenStream {
    let derive = quote! {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #schema_as
    };
    newtype_with(doc, derive, ident, inline)
}

/// A newtype documented by `documented`, its own `utoipa::ToSchema` impls.
fn newtype_documented_by(
    doc: &TokenStream,
    ident: &Ident,
    inline: &InlineType,
    documented: TokenStream,
) -> TokenStream {
    let derive = quote! {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    };
    let item = newtype_with(doc, derive, ident, inline);
    quote! { #item #documented }
}

fn newtype_with(
    doc: &TokenStream,
    derive: TokenStream,
    ident: &Ident,
    inline: &InlineType,
) -> TokenStream {
    // utoipa takes no schema attributes on a tuple field: formats and constraints are checked
    // but not documented there.
    let ty = &inline.ty;
    let checks = inline.constraints.checks("", inline.validates_nested);
    let checks = if checks.is_empty() {
        checks
    } else {
        quote! { let value = &self.0; #checks }
    };
    quote! {
        #doc
        #derive
        #[serde(transparent)]
        pub struct #ident(pub #ty);

        impl ::stubgen_runtime::Validate for #ident {
            fn validate(&self) -> Result<(), ::stubgen_runtime::ValidationError> {
                #checks
                Ok(())
            }
        }
    }
}

/// A generated type for an inline schema that has to be named (a request or response body):
/// the type it hoists itself (an object, an enum), or a newtype around what it is.
pub(super) fn named_inline_type(
    schema: &Schema,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<Ident, GenerateError> {
    let before = hoisted.items.len();
    let inline = inline_type(schema, pointer, hint, hoisted)?;
    if hoisted.items.len() > before
        && let Ok(path) = syn::parse2::<syn::Path>(inline.ty.clone())
        && let Some(last) = path.segments.last()
        && last.arguments.is_empty()
    {
        return Ok(last.ident.clone());
    }
    let ident = hoisted.name(hint);
    let doc = doc_attrs(schema.schema_data.description.as_deref());
    let item = newtype(&doc, &TokenStream::new(), &ident, &inline);
    hoisted.items.push(item);
    Ok(ident)
}

/// A string enum: one variant per value, each renamed to its value, so unknown values are
/// refused when read.
pub(super) fn string_enum(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    string: &openapiv3::StringType,
    data: &openapiv3::SchemaData,
    pointer: &Pointer,
) -> Result<TokenStream, GenerateError> {
    let default = data.default.as_ref();
    // The enum is stricter than any constraint beside it (and a format only annotates its
    // values), unless a value breaks one: a value that can never be sent is a contradiction.
    let pattern = string
        .pattern
        .as_deref()
        .and_then(|pattern| regex::Regex::new(pattern).ok());
    for (index, value) in string.enumeration.iter().enumerate() {
        let Some(value) = value else { continue };
        let length = value.chars().count();
        let breaks = string.min_length.is_some_and(|min| length < min)
            || string.max_length.is_some_and(|max| length > max)
            || pattern
                .as_ref()
                .is_some_and(|pattern| !pattern.is_match(value));
        if breaks {
            return Err(invalid(
                &pointer.join("enum").join(index.to_string()),
                format!("the value `{value}` breaks its own schema's constraints"),
            ));
        }
    }
    // `null` and nothing else (dropshot's "no content"): a unit struct, which serde reads and
    // writes as `null` only, documented as the document says it.
    if string.enumeration.iter().all(Option::is_none) {
        let listed = listed_name(schema_as, ident, pointer);
        return Ok(quote! {
            #doc
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
            pub struct #ident;

            impl utoipa::PartialSchema for #ident {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    serde_json::from_str(r#"{"type": "string", "enum": [null]}"#)
                        .unwrap_or_else(|_| utoipa::openapi::RefOr::T(Default::default()))
                }
            }

            impl utoipa::ToSchema for #ident {
                fn name() -> std::borrow::Cow<'static, str> {
                    std::borrow::Cow::Borrowed(#listed)
                }
            }

            /// Only `null` reads as one, and serde enforces it.
            impl ::stubgen_runtime::Validate for #ident {}
        });
    }
    let mut variants = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for value in &string.enumeration {
        // `null` beside values: a value of its own only where the schema is `nullable`, which
        // the `Option` that holds the enum says.
        let Some(value) = value else { continue };
        // A value listed twice is one value.
        if !seen.insert(value) {
            continue;
        }
        let name = pascal_name(&value.to_lowercase(), "Value");
        // Values that differ only in case or punctuation still get variants of their own.
        let mut unique = name.clone();
        let mut counter = 2;
        while !names.insert(unique.clone()) {
            unique = format!("{name}{counter}");
            counter += 1;
        }
        let variant = rust_ident(&unique);
        variants.push(quote! { #[serde(rename = #value)] #variant, });
    }
    // utoipa's derive documents an empty value under its variant's name, drops the quotes and
    // backslashes in a value (serde keeps them) and takes no format (Twilio's `http-method`),
    // default (Telnyx's `AnchorsiteOverride`) or length and pattern (Stripe's `maxLength: 5000`
    // beside its enums): such an enum is documented by hand.
    let mangled = string
        .enumeration
        .iter()
        .flatten()
        .any(|value| value.is_empty() || value.contains(['"', '\\']));
    let format = match &string.format {
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
        format => serde_json::to_value(format).ok(),
    };
    let constrained =
        string.min_length.is_some() || string.max_length.is_some() || string.pattern.is_some();
    if mangled || constrained || format.is_some() || default.is_some() {
        let listed = listed_name(schema_as, ident, pointer);
        let mut documented = serde_json::json!({
            "type": "string",
            "enum": string.enumeration.iter().flatten().collect::<Vec<_>>(),
        });
        if let Some(format) = format {
            documented["format"] = format;
        }
        if let Some(default) = default {
            documented["default"] = default.clone();
        }
        if let Some(min_length) = string.min_length {
            documented["minLength"] = min_length.into();
        }
        if let Some(max_length) = string.max_length {
            documented["maxLength"] = max_length.into();
        }
        if let Some(pattern) = &string.pattern {
            documented["pattern"] = pattern.as_str().into();
        }
        if let Some(description) = data.description.as_deref() {
            documented["description"] = description.into();
        }
        let documented = documented.to_string();
        return Ok(quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
            pub enum #ident {
                #(#variants)*
            }

            impl utoipa::PartialSchema for #ident {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    serde_json::from_str(#documented)
                        .unwrap_or_else(|_| utoipa::openapi::RefOr::T(Default::default()))
                }
            }

            impl utoipa::ToSchema for #ident {
                fn name() -> std::borrow::Cow<'static, str> {
                    std::borrow::Cow::Borrowed(#listed)
                }
            }

            /// The enum itself is the only constraint, and serde enforces it.
            impl ::stubgen_runtime::Validate for #ident {}
        });
    }
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #schema_as
        pub enum #ident {
            #(#variants)*
        }

        /// The enum itself is the only constraint, and serde enforces it.
        impl ::stubgen_runtime::Validate for #ident {}
    })
}

/// The name utoipa lists a hand-documented type under: the component's own (the last step of
/// its pointer) where `schema_as` keeps it, the Rust type's otherwise.
fn listed_name(schema_as: &TokenStream, ident: &Ident, pointer: &Pointer) -> String {
    if schema_as.is_empty() {
        ident.to_string()
    } else {
        pointer
            .to_string()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~")
    }
}

/// The Rust field names a struct has handed out, so two never collide.
#[derive(Default)]
pub(super) struct FieldNames(std::collections::BTreeSet<String>);

impl FieldNames {
    /// `name`, or `name_2`, `name_3`… when an earlier member took it (`fooBar` and `foo_bar`
    /// are two fields; serde and utoipa keep each member's own name).
    pub(super) fn claim(&mut self, name: &str) -> String {
        let mut unique = name.to_owned();
        let mut suffix = 1;
        while !self.0.insert(unique.clone()) {
            suffix += 1;
            unique = format!("{name}_{suffix}");
        }
        unique
    }
}

/// The fields and checks of an object schema's properties.
pub(super) fn object_fields(
    object: &openapiv3::ObjectType,
    pointer: &Pointer,
    owner: &Ident,
    hoisted: &mut Hoisted,
    names: &mut FieldNames,
    fields: &mut Vec<TokenStream>,
    checks: &mut Vec<TokenStream>,
) -> Result<(), GenerateError> {
    // A member required but not described (Asana's `SectionRequest` requires `project`): it
    // must be there, with any value, as JSON Schema reads `required` alone.
    let described;
    let object = if object
        .required
        .iter()
        .all(|name| object.properties.contains_key(name))
    {
        object
    } else {
        let mut copy = object.clone();
        for name in &object.required {
            copy.properties.entry(name.clone()).or_insert_with(|| {
                ReferenceOr::boxed_item(Schema {
                    schema_data: Default::default(),
                    schema_kind: SchemaKind::Any(Default::default()),
                })
            });
        }
        described = copy;
        &described
    };
    let merge = &mut Merge {
        required: object.required.iter().cloned().collect(),
        ..Merge::default()
    };
    merged_object_fields(
        object, pointer, owner, hoisted, names, fields, checks, merge,
    )
}

/// How the parts of one struct merged from several object schemas (a variant's own properties
/// and those of the schemas it extends) read together.
#[derive(Debug, Default)]
pub(super) struct Merge {
    /// The properties required in any part.
    pub(super) required: std::collections::BTreeSet<String>,
    /// The discriminator property and the type that fixes it.
    pub(super) tag: Option<(String, Ident)>,
    /// The properties already taken from an earlier part (a subtype may restate a base's).
    pub(super) taken: std::collections::BTreeSet<String>,
}

/// [`object_fields`] of one part of a merged struct.
#[allow(clippy::too_many_arguments)]
pub(super) fn merged_object_fields(
    object: &openapiv3::ObjectType,
    pointer: &Pointer,
    owner: &Ident,
    hoisted: &mut Hoisted,
    names: &mut FieldNames,
    fields: &mut Vec<TokenStream>,
    checks: &mut Vec<TokenStream>,
    merge: &mut Merge,
) -> Result<(), GenerateError> {
    if object.min_properties.is_some() || object.max_properties.is_some() {
        return Err(unsupported(pointer, "minProperties/maxProperties"));
    }
    // Members beyond the properties, when the schema allows them (`true` or a schema), are kept
    // in a map flattened into the struct. (Absent: unknown members are ignored; `false`: see
    // `closed_attr`.)
    let any_value = || {
        Box::new(ReferenceOr::Item(Schema {
            schema_data: Default::default(),
            schema_kind: SchemaKind::Any(Default::default()),
        }))
    };
    let extra = match &object.additional_properties {
        Some(openapiv3::AdditionalProperties::Schema(extra)) => Some(extra.clone()),
        Some(openapiv3::AdditionalProperties::Any(true)) => Some(any_value()),
        _ => None,
    };
    if let Some(extra) = extra {
        let extra = &extra;
        let extra_pointer = pointer.join("additionalProperties");
        let map = Schema {
            schema_data: Default::default(),
            schema_kind: SchemaKind::Type(Type::Object(openapiv3::ObjectType {
                additional_properties: Some(openapiv3::AdditionalProperties::Schema(extra.clone())),
                ..Default::default()
            })),
        };
        let inline = inline_type(&map, &extra_pointer, &format!("{owner}Extra"), hoisted)?;
        let field = rust_ident(&names.claim("additional_properties"));
        let ty = &inline.ty;
        fields.push(quote! { #[serde(flatten)] pub #field: #ty, });
        if inline.validates_nested {
            checks.push(quote! { ::stubgen_runtime::Validate::validate(&self.#field)?; });
        }
    }
    for (property, property_schema) in &object.properties {
        if !merge.taken.insert(property.clone()) {
            continue;
        }
        let property_pointer = pointer.join("properties").join(property);
        let field_name = names.claim(&snake_name(property));
        let field = rust_ident(&field_name);
        if let Some((_, tag)) = merge.tag.as_ref().filter(|(name, _)| name == property) {
            let rename =
                (wire_name(&field) != *property).then(|| quote! { #[serde(rename = #property)] });
            fields.push(quote! {
                /// The discriminator: fixed by the variant.
                #rename
                pub #field: crate::models::#tag,
            });
            continue;
        }
        let field = generate_field(
            property,
            &field_name,
            property_schema,
            merge.required.contains(property),
            &property_pointer,
            &format!("{owner}{}", property.to_pascal_case()),
            hoisted,
        )?;
        fields.push(field.tokens);
        checks.push(field.checks);
    }
    Ok(())
}

/// A model struct with its `Validate` implementation.
/// `additionalProperties: false` beside properties: a member the object does not declare is
/// refused (and utoipa documents it so).
pub(super) fn closed_attr(object: &openapiv3::ObjectType) -> TokenStream {
    if matches!(
        object.additional_properties,
        Some(openapiv3::AdditionalProperties::Any(false))
    ) {
        quote! { #[serde(deny_unknown_fields)] }
    } else {
        TokenStream::new()
    }
}

pub(super) fn model_struct(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    fields: &[TokenStream],
    checks: &[TokenStream],
) -> TokenStream {
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #schema_as
        pub struct #ident {
            #(#fields)*
        }

        impl ::stubgen_runtime::Validate for #ident {
            const JSON_OBJECT: bool = true;

            fn validate(&self) -> Result<(), ::stubgen_runtime::ValidationError> {
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
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<Field, GenerateError> {
    let field = rust_ident(field_name);
    let member = format!("/{}", property.replace('~', "~0").replace('/', "~1"));
    // A component held by value that holds the current one back is boxed.
    let held = match schema {
        ReferenceOr::Reference { reference } => reference.strip_prefix(SCHEMA_REF_PREFIX),
        ReferenceOr::Item(schema) => match &schema.schema_kind {
            SchemaKind::AllOf { all_of } if all_of.len() == 1 => match &all_of[0] {
                ReferenceOr::Reference { reference } => reference.strip_prefix(SCHEMA_REF_PREFIX),
                ReferenceOr::Item(_) => None,
            },
            _ => None,
        },
    };
    let boxed = held.is_some_and(|held| hoisted.boxes(held));
    let no_recursion = hoisted
        .recurs(&named_in_place(schema))
        .then(|| quote! { #[schema(no_recursion)] });
    let mut documented = None;
    let (ty, nullable, description, format, checks, constraints) = match schema {
        ReferenceOr::Reference { reference } => {
            let ty = schema_ref_type(reference, pointer)?;
            let checks = quote! { ::stubgen_runtime::Validate::validate(value).map_err(|err| err.within(#member))?; };
            (
                quote! { #ty },
                // A component that says `nullable: true` may be `null` wherever it is held.
                hoisted.names_nullable(reference),
                None,
                None,
                checks,
                TokenStream::new(),
            )
        }
        ReferenceOr::Item(schema) => {
            let inline = inline_type(schema, pointer, hint, hoisted)?;
            documented = documented_field(schema, hint, hoisted);
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
    let ty = if boxed {
        quote! { Box<#ty> }
    } else {
        ty
    };
    let doc = doc_attrs(description);
    let rename = (wire_name(&field) != property).then(|| quote! { #[serde(rename = #property)] });
    let format = format.map(|format| quote! { #[schema(format = #format)] });
    let data = match schema {
        ReferenceOr::Item(schema) => Some(&schema.schema_data),
        ReferenceOr::Reference { .. } => None,
    };
    let access = match data {
        Some(data) if data.read_only => quote! { #[schema(read_only)] },
        Some(data) if data.write_only => quote! { #[schema(write_only)] },
        _ => TokenStream::new(),
    };
    let default = data.and_then(|data| data.default.as_ref());
    // A field documented by its own schema says no more in attributes utoipa would ignore.
    let attrs = match documented {
        Some(documented) => quote! { #doc #rename #no_recursion #documented },
        None => quote! { #doc #rename #format #constraints #access #no_recursion },
    };
    // Whether the field is an `Option` the checks must look into.
    let mut optional = !required || nullable;
    // A required `readOnly` property is absent from requests, a required `writeOnly` one from
    // responses: the type lets it be absent, and the service fills it where it belongs.
    let one_sided = data.is_some_and(|data| data.read_only || data.write_only);
    let tokens = match (required, nullable, default) {
        (true, false, _) if one_sided => {
            optional = true;
            quote! {
                #attrs
                #[serde(default, skip_serializing_if = "Option::is_none")]
                #[schema(required = true, nullable = false)]
                pub #field: Option<#ty>,
            }
        }
        (true, false, _) => quote! { #attrs pub #field: #ty, },
        (true, true, _) => quote! {
            #attrs
            #[schema(required = true)]
            pub #field: Option<#ty>,
        },
        // Absent means the default: the service always sees a value.
        (false, false, Some(value)) => {
            optional = false;
            if let ReferenceOr::Item(schema) = schema {
                check_default(value, schema, pointer, hoisted)?;
            }
            let function = default_fn(hint, &ty, value, hoisted);
            let documented = default_attr(value);
            quote! {
                #attrs #documented
                #[serde(default = #function)]
                pub #field: #ty,
            }
        }
        (false, false, None) => quote! {
            #attrs
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schema(nullable = false)]
            pub #field: Option<#ty>,
        },
        // Absent means the default, so only null is `None` (Telnyx's nullable URLs whose
        // default is "").
        (false, true, Some(value)) => {
            if let ReferenceOr::Item(schema) = schema {
                check_default(value, schema, pointer, hoisted)?;
            }
            let function = default_fn(hint, &quote! { Option<#ty> }, value, hoisted);
            let documented = default_attr(value);
            quote! {
                #attrs #documented
                #[serde(default = #function)]
                #[schema(required = false)]
                pub #field: Option<#ty>,
            }
        }
        // Absent (`None`) and null (`Some(None)`) stay apart.
        (false, true, None) => {
            let checks = if checks.is_empty() {
                checks
            } else {
                quote! { if let Some(Some(value)) = &self.#field { #checks } }
            };
            let tokens = quote! {
                #attrs
                #[serde(default, skip_serializing_if = "Option::is_none", with = "::stubgen_runtime::double_option")]
                #[schema(value_type = Option<#ty>, required = false)]
                pub #field: Option<Option<#ty>>,
            };
            return Ok(Field { tokens, checks });
        }
    };
    let checks = if checks.is_empty() {
        checks
    } else if optional {
        quote! { if let Some(value) = &self.#field { #checks } }
    } else {
        quote! { { let value = &self.#field; #checks } }
    };
    Ok(Field { tokens, checks })
}

/// A variant of a discriminator: every property of the component and of the schemas it extends
/// through `allOf`, in one struct (so `required` may name a property of any part), with the tag
/// property a type that only admits the variant's values.
pub(super) fn tagged_struct(
    doc: &TokenStream,
    schema_as: &TokenStream,
    ident: &Ident,
    schema: &Schema,
    pointer: &Pointer,
    tag: &Tag,
    hoisted: &mut Hoisted,
) -> Result<TokenStream, GenerateError> {
    let mut parts = Vec::new();
    object_parts(schema, pointer, hoisted, &mut parts, 0)?;
    let mut merge = Merge::default();
    let mut properties = std::collections::BTreeSet::new();
    for (object, _) in &parts {
        merge.required.extend(object.required.iter().cloned());
        properties.extend(object.properties.keys().cloned());
    }
    for (object, part_pointer) in &parts {
        if let Some(missing) = object
            .required
            .iter()
            .find(|name| !properties.contains(*name))
        {
            return Err(invalid(
                &part_pointer.join("required"),
                format!("`{missing}` is required but not a property"),
            ));
        }
    }
    let tag_type = hoisted.name(&format!("{ident}{}", tag.property.to_pascal_case()));
    let variants = enum_variants(&tag.values);
    let property = &tag.property;
    let tag_doc = format!(
        " The `{property}` that names a `{ident}`: the only values its discriminator admits."
    );
    hoisted.items.push(quote! {
        #[doc = #tag_doc]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum #tag_type {
            #(#variants)*
        }

        /// The enum itself is the only constraint, and serde enforces it.
        impl ::stubgen_runtime::Validate for #tag_type {}
    });
    merge.tag = Some((tag.property.clone(), tag_type));
    // The tag is always written.
    merge.required.insert(tag.property.clone());
    let mut fields = Vec::new();
    let mut checks = Vec::new();
    let mut names = FieldNames::default();
    for (object, part_pointer) in &parts {
        merged_object_fields(
            object,
            part_pointer,
            ident,
            hoisted,
            &mut names,
            &mut fields,
            &mut checks,
            &mut merge,
        )?;
    }
    Ok(model_struct(doc, schema_as, ident, &fields, &checks))
}

/// The object schemas a component is made of: itself, or each branch of its `allOf`, following
/// `$ref`s to the components it extends.
fn object_parts(
    schema: &Schema,
    pointer: &Pointer,
    hoisted: &Hoisted,
    parts: &mut Vec<(openapiv3::ObjectType, Pointer)>,
    depth: usize,
) -> Result<(), GenerateError> {
    if depth > 32 {
        return Err(unsupported(pointer, "a cycle of allOf"));
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            parts.push((object.clone(), pointer.clone()));
            Ok(())
        }
        SchemaKind::AllOf { all_of } => {
            for (index, branch) in all_of.iter().enumerate() {
                let branch_pointer = pointer.join("allOf").join(index.to_string());
                match branch {
                    ReferenceOr::Reference { reference } => {
                        let name = reference.strip_prefix(SCHEMA_REF_PREFIX).ok_or_else(|| {
                            unsupported(&branch_pointer, format!("$ref `{reference}`"))
                        })?;
                        let Some(ReferenceOr::Item(parent)) = hoisted.schema(name) else {
                            return Err(invalid(
                                &branch_pointer,
                                format!("unresolvable $ref `{reference}`"),
                            ));
                        };
                        let parent_pointer = Pointer::default()
                            .join("components")
                            .join("schemas")
                            .join(name);
                        object_parts(parent, &parent_pointer, hoisted, parts, depth + 1)?;
                    }
                    ReferenceOr::Item(branch) => {
                        object_parts(branch, &branch_pointer, hoisted, parts, depth + 1)?;
                    }
                }
            }
            Ok(())
        }
        _ => Err(unsupported(
            pointer,
            "a part of a discriminated variant that is not an object",
        )),
    }
}

/// The values an inline branch's own discriminator property admits: a required string enum.
fn inline_branch_tag(schema: &Schema, property: &str) -> Option<Vec<String>> {
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    if !object.required.iter().any(|name| name == property) {
        return None;
    }
    let ReferenceOr::Item(tag) = object.properties.get(property)? else {
        return None;
    };
    let SchemaKind::Type(Type::String(string)) = &tag.schema_kind else {
        return None;
    };
    let values: Option<Vec<String>> = string.enumeration.iter().cloned().collect();
    values.filter(|values| !values.is_empty())
}

/// One variant per string value, named after it (numbered when two names meet), renamed to it
/// for serde; the first is the default.
fn enum_variants(values: &[String]) -> Vec<TokenStream> {
    let mut names = std::collections::BTreeSet::new();
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let name = pascal_name(&value.to_lowercase(), "Value");
            let mut unique = name.clone();
            let mut counter = 2;
            while !names.insert(unique.clone()) {
                unique = format!("{name}{counter}");
                counter += 1;
            }
            let variant = rust_ident(&unique);
            let default = (index == 0).then(|| quote! { #[default] });
            quote! { #default #[serde(rename = #value)] #variant, }
        })
        .collect()
}

/// The components a field's type names in place: through a `$ref`, an `allOf` of one, array
/// items or map values. (An inline object or combinator is a type of its own, whose fields
/// answer for themselves.)
fn named_in_place<T: serde::Serialize>(schema: &T) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = vec![serde_json::to_value(schema).unwrap_or_default()];
    while let Some(schema) = pending.pop() {
        if let Some(name) = schema
            .get("$ref")
            .and_then(serde_json::Value::as_str)
            .and_then(|reference| reference.strip_prefix(SCHEMA_REF_PREFIX))
        {
            names.push(name.to_owned());
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(|all| all.as_array())
            .map(Vec::as_slice)
        {
            pending.push(only.clone());
        } else if let Some(items) = schema.get("items") {
            pending.push(items.clone());
        } else if schema.get("properties").is_none()
            && let Some(values) = schema
                .get("additionalProperties")
                .filter(|values| values.is_object())
        {
            pending.push(values.clone());
        }
    }
    names
}

/// The name serde gives a field by default: its identifier, without `r#` (`super` is emitted
/// as `super_`, which needs a rename to stay `super` on the wire).
fn wire_name(field: &Ident) -> String {
    let name = field.to_string();
    name.strip_prefix("r#").unwrap_or(&name).to_owned()
}
