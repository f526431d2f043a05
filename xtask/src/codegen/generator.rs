//! Turns an OpenAPI 3.0 document into server stubs: the models, one trait method per operation
//! with a typed response enum, and the utoipa-axum routing.
//!
//! Anything the generator cannot translate faithfully is an [`GenerateError::Unsupported`]
//! naming the construct and its JSON pointer: wrong code must never be emitted silently.

use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    Components, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody,
    Response, Schema, SchemaKind, SecurityRequirement, SecurityScheme, StatusCode, StringFormat,
    Type, VariantOrUnknownOrEmpty,
};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Why the spec cannot be turned into stubs.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("unsupported construct at {pointer}: {construct}")]
    Unsupported { pointer: String, construct: String },
    #[error("invalid spec at {pointer}: {problem}")]
    Invalid { pointer: String, problem: String },
}

fn unsupported(pointer: &Pointer, construct: impl Into<String>) -> GenerateError {
    GenerateError::Unsupported {
        pointer: pointer.to_string(),
        construct: construct.into(),
    }
}

fn invalid(pointer: &Pointer, problem: impl Into<String>) -> GenerateError {
    GenerateError::Invalid {
        pointer: pointer.to_string(),
        problem: problem.into(),
    }
}

/// The token streams of the three generated modules.
#[derive(Debug)]
pub struct Stubs {
    pub models: TokenStream,
    pub operations: TokenStream,
    pub router: TokenStream,
}

/// A JSON pointer (RFC 6901) into the spec, built while walking it.
#[derive(Debug, Clone, Default)]
struct Pointer(String);

impl Pointer {
    fn join(&self, segment: impl AsRef<str>) -> Self {
        let escaped = segment.as_ref().replace('~', "~0").replace('/', "~1");
        Self(format!("{}/{escaped}", self.0))
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "/" } else { &self.0 })
    }
}

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";
const JSON: &str = "application/json";

/// Generates the stubs; `api_trait` names the trait the service implements.
pub fn generate(spec: &OpenAPI, api_trait: &str) -> Result<Stubs, GenerateError> {
    let root = Pointer::default();
    if !spec.openapi.starts_with("3.0.") {
        return Err(unsupported(
            &root.join("openapi"),
            format!("OpenAPI version {}; only 3.0.x is read", spec.openapi),
        ));
    }
    let empty = Components::default();
    let components = spec.components.as_ref().unwrap_or(&empty);
    let models = generate_models(components)?;
    let operations = collect_operations(spec, components)?;
    let api_trait = Ident::new(api_trait, Span::call_site());
    Ok(Stubs {
        models,
        operations: generate_operations(&operations, &api_trait),
        router: generate_router(&operations, components, &api_trait)?,
    })
}

fn doc_attrs(text: Option<&str>) -> TokenStream {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return TokenStream::new();
    };
    text.lines()
        .map(|line| {
            let line = format!(" {}", line.trim_end());
            quote! { #[doc = #line] }
        })
        .collect()
}

fn rust_ident(name: &str) -> Ident {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
        "use", "where", "while",
    ];
    if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The Rust type named after a component; utoipa names the component after the type, so the
/// two must be identical for the implementation's document to match the spec.
fn component_type(name: &str, pointer: &Pointer) -> Result<Ident, GenerateError> {
    if name.to_pascal_case() != name {
        return Err(unsupported(
            pointer,
            format!(
                "component name `{name}` is not a Rust type name; rename it to `{}`",
                name.to_pascal_case()
            ),
        ));
    }
    Ok(rust_ident(name))
}

fn schema_ref_type(reference: &str, pointer: &Pointer) -> Result<Ident, GenerateError> {
    let name = reference.strip_prefix(SCHEMA_REF_PREFIX).ok_or_else(|| {
        unsupported(
            pointer,
            format!("$ref `{reference}`; only local `{SCHEMA_REF_PREFIX}*` references are read"),
        )
    })?;
    component_type(name, pointer)
}

// ---------------------------------------------------------------------------------------------
// Models

fn generate_models(components: &Components) -> Result<TokenStream, GenerateError> {
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
struct FieldNames(std::collections::BTreeSet<String>);

impl FieldNames {
    fn claim(&mut self, name: &str, pointer: &Pointer) -> Result<Ident, GenerateError> {
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
fn object_fields(
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
fn model_struct(
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

/// Keywords that would change the wire contract but that the generated types cannot carry.
fn reject_schema_extras(
    schema: &Schema,
    pointer: &Pointer,
    allow_nullable: bool,
) -> Result<(), GenerateError> {
    let data = &schema.schema_data;
    let rejected = [
        (data.nullable && !allow_nullable, "nullable"),
        (data.read_only, "readOnly"),
        (data.write_only, "writeOnly"),
        (data.discriminator.is_some(), "discriminator"),
        (data.default.is_some(), "default"),
        (!data.extensions.is_empty(), "x- extensions"),
    ];
    match rejected.iter().find(|(present, _)| *present) {
        Some((_, keyword)) => Err(unsupported(pointer, format!("`{keyword}` on this schema"))),
        None => Ok(()),
    }
}

/// A struct field of a model, and the statements that validate it.
struct Field {
    tokens: TokenStream,
    checks: TokenStream,
}

fn generate_field(
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

/// The constraints of an inline schema the generated code enforces and documents.
#[derive(Debug, Default, Clone)]
struct Constraints {
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<String>,
    minimum: Option<i64>,
    maximum: Option<i64>,
}

impl Constraints {
    fn is_empty(&self) -> bool {
        self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
    }

    /// The utoipa attribute that documents them, so the implementation's document shows them.
    fn schema_attrs(&self) -> TokenStream {
        let attrs = self.attrs();
        if attrs.is_empty() {
            TokenStream::new()
        } else {
            quote! { #[schema(#(#attrs),*)] }
        }
    }

    /// `name = value` for each constraint, as utoipa's attributes spell them.
    fn attrs(&self) -> Vec<TokenStream> {
        let mut attrs = Vec::new();
        if let Some(min) = self.min_length {
            attrs.push(quote! { min_length = #min });
        }
        if let Some(max) = self.max_length {
            attrs.push(quote! { max_length = #max });
        }
        if let Some(pattern) = &self.pattern {
            attrs.push(quote! { pattern = #pattern });
        }
        if let Some(min) = self.minimum {
            attrs.push(quote! { minimum = #min });
        }
        if let Some(max) = self.maximum {
            attrs.push(quote! { maximum = #max });
        }
        attrs
    }

    /// Statements that check `value` (a reference to the Rust value) at `pointer`.
    fn checks(&self, pointer: &str, validates_nested: bool) -> TokenStream {
        let mut checks = Vec::new();
        let option = |bound: Option<usize>| match bound {
            Some(bound) => quote! { Some(#bound) },
            None => quote! { None },
        };
        if self.min_length.is_some() || self.max_length.is_some() {
            let (min, max) = (option(self.min_length), option(self.max_length));
            checks.push(quote! { crate::validate::length(#pointer, value, #min, #max)?; });
        }
        if let Some(pattern) = &self.pattern {
            checks.push(quote! {
                {
                    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
                        regex::Regex::new(#pattern).expect("a pattern checked by codegen")
                    });
                    crate::validate::pattern(#pointer, value, &PATTERN)?;
                }
            });
        }
        if self.minimum.is_some() || self.maximum.is_some() {
            let bound = |bound: Option<i64>| match bound {
                Some(bound) => quote! { Some(#bound) },
                None => quote! { None },
            };
            let (min, max) = (bound(self.minimum), bound(self.maximum));
            checks
                .push(quote! { crate::validate::range(#pointer, i64::from(*value), #min, #max)?; });
        }
        if validates_nested {
            checks.push(
                quote! { crate::Validate::validate(value).map_err(|err| err.within(#pointer))?; },
            );
        }
        quote! { #(#checks)* }
    }
}

/// What an inline schema becomes in Rust.
struct InlineType {
    ty: TokenStream,
    /// A format utoipa must be told explicitly.
    format: Option<String>,
    constraints: Constraints,
    /// The value is (a list of) generated types with `Validate` of their own.
    validates_nested: bool,
}

/// The Rust type of an inline (non-$ref) schema.
fn inline_type(schema: &Schema, pointer: &Pointer) -> Result<InlineType, GenerateError> {
    reject_schema_extras(schema, pointer, true)?;
    let Schema { schema_kind, .. } = schema;
    let plain = |ty: TokenStream| {
        Ok(InlineType {
            ty,
            format: None,
            constraints: Constraints::default(),
            validates_nested: false,
        })
    };
    match schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if !string.enumeration.is_empty() {
                return Err(unsupported(
                    pointer,
                    "an inline enum; declare it in components/schemas",
                ));
            }
            if let Some(pattern) = &string.pattern
                && let Err(err) = regex::Regex::new(pattern)
            {
                return Err(unsupported(
                    &pointer.join("pattern"),
                    format!("a pattern the regex crate cannot compile: {err}"),
                ));
            }
            let constraints = Constraints {
                min_length: string.min_length,
                max_length: string.max_length,
                pattern: string.pattern.clone(),
                ..Constraints::default()
            };
            let (ty, format) = match &string.format {
                VariantOrUnknownOrEmpty::Empty => (quote! { String }, None),
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
                    (quote! { chrono::DateTime<chrono::Utc> }, None)
                }
                VariantOrUnknownOrEmpty::Item(StringFormat::Date) => {
                    (quote! { chrono::NaiveDate }, None)
                }
                VariantOrUnknownOrEmpty::Item(other) => {
                    return Err(unsupported(pointer, format!("string format `{other:?}`")));
                }
                VariantOrUnknownOrEmpty::Unknown(format) => {
                    (quote! { String }, Some(format.clone()))
                }
            };
            if !constraints.is_empty() && !matches!(string.format, VariantOrUnknownOrEmpty::Empty) {
                return Err(unsupported(
                    pointer,
                    "string constraints (pattern, minLength, maxLength) on a string with a format",
                ));
            }
            Ok(InlineType {
                ty,
                format,
                constraints,
                validates_nested: false,
            })
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            if integer.multiple_of.is_some() || !integer.enumeration.is_empty() {
                return Err(unsupported(pointer, "integer multipleOf or enum"));
            }
            let ty = match &integer.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => quote! { i32 },
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64) => quote! { i64 },
                _ => {
                    return Err(unsupported(
                        pointer,
                        "an integer without format int32 or int64",
                    ));
                }
            };
            // Exclusive integer bounds are the inclusive ones next to them.
            let constraints = Constraints {
                minimum: integer.minimum.map(|min| {
                    if integer.exclusive_minimum {
                        min + 1
                    } else {
                        min
                    }
                }),
                maximum: integer.maximum.map(|max| {
                    if integer.exclusive_maximum {
                        max - 1
                    } else {
                        max
                    }
                }),
                ..Constraints::default()
            };
            Ok(InlineType {
                ty,
                format: None,
                constraints,
                validates_nested: false,
            })
        }
        SchemaKind::Type(Type::Number(number)) => {
            if number.minimum.is_some()
                || number.maximum.is_some()
                || number.multiple_of.is_some()
                || !number.enumeration.is_empty()
            {
                return Err(unsupported(pointer, "number constraints or enum"));
            }
            match &number.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float) => {
                    plain(quote! { f32 })
                }
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Double) => {
                    plain(quote! { f64 })
                }
                _ => Err(unsupported(
                    pointer,
                    "a number without format float or double",
                )),
            }
        }
        SchemaKind::Type(Type::Boolean(boolean)) => {
            if !boolean.enumeration.is_empty() {
                return Err(unsupported(pointer, "a boolean enum"));
            }
            plain(quote! { bool })
        }
        SchemaKind::Type(Type::Array(array)) => {
            if array.min_items.is_some() || array.max_items.is_some() || array.unique_items {
                return Err(unsupported(
                    pointer,
                    "array constraints (minItems, maxItems, uniqueItems)",
                ));
            }
            let items_pointer = pointer.join("items");
            let (item, validates_nested) = match &array.items {
                None => return Err(unsupported(pointer, "an array without items")),
                Some(ReferenceOr::Reference { reference }) => {
                    let ty = schema_ref_type(reference, &items_pointer)?;
                    (quote! { #ty }, true)
                }
                Some(ReferenceOr::Item(item)) => {
                    let inline = inline_type(item, &items_pointer)?;
                    if inline.format.is_some()
                        || item.schema_data.nullable
                        || !inline.constraints.is_empty()
                        || inline.validates_nested
                    {
                        return Err(unsupported(
                            &items_pointer,
                            "array items with a format, constraints, nullable or nested arrays",
                        ));
                    }
                    (inline.ty, false)
                }
            };
            Ok(InlineType {
                ty: quote! { Vec<#item> },
                format: None,
                constraints: Constraints::default(),
                validates_nested,
            })
        }
        SchemaKind::Type(Type::Object(_)) => Err(unsupported(
            pointer,
            "an inline object; declare it in components/schemas",
        )),
        SchemaKind::OneOf { .. } => Err(unsupported(pointer, "oneOf")),
        SchemaKind::AllOf { .. } => Err(unsupported(pointer, "allOf")),
        SchemaKind::AnyOf { .. } => Err(unsupported(pointer, "anyOf")),
        SchemaKind::Not { .. } => Err(unsupported(pointer, "not")),
        SchemaKind::Any(_) => Err(unsupported(pointer, "a schema without a type")),
    }
}

// ---------------------------------------------------------------------------------------------
// Operations

/// One operation, as much of it as the trait, the response enum and the handler need.
#[derive(Debug)]
struct OperationStub {
    method: String,
    path: String,
    operation_id: String,
    summary: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
    path_params: Vec<PathParam>,
    query_params: Vec<QueryParam>,
    body: Option<JsonBody>,
    bearer_scheme: Option<String>,
    responses: Vec<ResponseStub>,
}

#[derive(Debug)]
struct PathParam {
    name: String,
    ty: TokenStream,
    description: Option<String>,
}

/// A query parameter: a field of the operation's generated query struct.
#[derive(Debug)]
struct QueryParam {
    name: String,
    ty: TokenStream,
    required: bool,
    constraints: Constraints,
    description: Option<String>,
}

impl QueryParam {
    fn field(&self) -> Ident {
        rust_ident(&self.name.to_snake_case())
    }

    /// The type the service receives: `Option` unless the parameter is required.
    fn rust_type(&self) -> TokenStream {
        let ty = &self.ty;
        if self.required {
            quote! { #ty }
        } else {
            quote! { Option<#ty> }
        }
    }
}

/// The struct the handler reads an operation's query string into, and its validation.
fn generate_query_struct(operation: &OperationStub) -> TokenStream {
    let ident = operation.query_ident();
    let doc = format!(" The query parameters of `{}`.", operation.operation_id);
    let fields = operation.query_params.iter().map(|param| {
        let field = param.field();
        let name = &param.name;
        let ty = param.rust_type();
        let doc = doc_attrs(param.description.as_deref());
        let optional = (!param.required)
            .then(|| quote! { #[serde(default, skip_serializing_if = "Option::is_none")] });
        let rename = (field != name.as_str()).then(|| quote! { #[serde(rename = #name)] });
        quote! { #doc #rename #optional pub #field: #ty, }
    });
    let checks = operation.query_params.iter().map(|param| {
        let field = param.field();
        let checks = param.constraints.checks(&param.name, false);
        if checks.is_empty() {
            checks
        } else if param.required {
            quote! { { let value = &self.#field; #checks } }
        } else {
            quote! { if let Some(value) = &self.#field { #checks } }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug)]
struct JsonBody {
    ty: Ident,
    description: Option<String>,
}

#[derive(Debug)]
struct ResponseStub {
    status: u16,
    description: String,
    body: Option<Ident>,
    headers: Vec<(String, TokenStream, Option<String>)>,
}

impl OperationStub {
    fn method_ident(&self) -> Ident {
        rust_ident(&self.operation_id.to_snake_case())
    }

    fn response_ident(&self) -> Ident {
        format_ident!("{}Response", self.operation_id.to_pascal_case())
    }

    fn query_ident(&self) -> Ident {
        format_ident!("{}Query", self.operation_id.to_pascal_case())
    }
}

fn collect_operations(
    spec: &OpenAPI,
    components: &Components,
) -> Result<Vec<OperationStub>, GenerateError> {
    let paths = Pointer::default().join("paths");
    let mut operations = Vec::new();
    let mut operation_ids = std::collections::BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let path_pointer = paths.join(path);
        let ReferenceOr::Item(item) = item else {
            return Err(unsupported(&path_pointer, "a path item $ref"));
        };
        if !item.parameters.is_empty() {
            return Err(unsupported(
                &path_pointer.join("parameters"),
                "path-level parameters; declare them on each operation",
            ));
        }
        for (method, operation) in item.iter() {
            let pointer = path_pointer.join(method);
            let stub = collect_operation(spec, components, path, method, operation, &pointer)?;
            if let Some(previous) =
                operation_ids.insert(stub.method_ident().to_string(), pointer.to_string())
            {
                return Err(invalid(
                    &pointer.join("operationId"),
                    format!(
                        "operationId `{}` collides with the one at {previous}",
                        stub.operation_id
                    ),
                ));
            }
            operations.push(stub);
        }
    }
    Ok(operations)
}

fn collect_operation(
    spec: &OpenAPI,
    components: &Components,
    path: &str,
    method: &str,
    operation: &Operation,
    pointer: &Pointer,
) -> Result<OperationStub, GenerateError> {
    let operation_id = operation
        .operation_id
        .clone()
        .ok_or_else(|| invalid(pointer, "an operation without operationId"))?;
    if operation.callbacks.iter().next().is_some() {
        return Err(unsupported(&pointer.join("callbacks"), "callbacks"));
    }

    let mut path_params = Vec::new();
    let mut query_params: Vec<QueryParam> = Vec::new();
    for (index, parameter) in operation.parameters.iter().enumerate() {
        let param_pointer = pointer.join("parameters").join(index.to_string());
        let (parameter, param_pointer) = resolve_parameter(parameter, components, param_pointer)?;
        let (parameter_data, is_path) = match parameter {
            Parameter::Path { parameter_data, .. } => (parameter_data, true),
            Parameter::Query {
                parameter_data,
                allow_reserved,
                style,
                allow_empty_value,
            } => {
                if *allow_reserved
                    || allow_empty_value.is_some()
                    || !matches!(style, openapiv3::QueryStyle::Form)
                {
                    return Err(unsupported(
                        &param_pointer,
                        "a query parameter with allowReserved, allowEmptyValue or a style other than form",
                    ));
                }
                (parameter_data, false)
            }
            Parameter::Header { .. } | Parameter::Cookie { .. } => {
                return Err(unsupported(&param_pointer, "a header or cookie parameter"));
            }
        };
        if parameter_data.deprecated.is_some() || parameter_data.explode == Some(false) {
            return Err(unsupported(
                &param_pointer,
                "a deprecated parameter, or explode: false",
            ));
        }
        let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &parameter_data.format
        else {
            return Err(unsupported(
                &param_pointer,
                "a parameter without an inline schema",
            ));
        };
        let InlineType {
            ty,
            format,
            constraints,
            validates_nested,
        } = inline_type(schema, &param_pointer.join("schema"))?;
        if is_path {
            if format.is_some() || schema.schema_data.nullable || !constraints.is_empty() {
                return Err(unsupported(
                    &param_pointer,
                    "a path parameter with a custom format, constraints or nullable",
                ));
            }
            if !path.contains(&format!("{{{}}}", parameter_data.name)) {
                return Err(invalid(
                    &param_pointer,
                    format!("`{}` is not in the path", parameter_data.name),
                ));
            }
            path_params.push(PathParam {
                name: parameter_data.name.clone(),
                ty,
                description: parameter_data.description.clone(),
            });
            continue;
        }
        let is_array = matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)));
        if format.is_some() || schema.schema_data.nullable || validates_nested || is_array {
            return Err(unsupported(
                &param_pointer,
                "a query parameter that is an array, nullable or of a custom format",
            ));
        }
        let param = QueryParam {
            name: parameter_data.name.clone(),
            ty,
            required: parameter_data.required,
            constraints,
            description: parameter_data.description.clone(),
        };
        if query_params
            .iter()
            .any(|other| other.field() == param.field())
        {
            return Err(invalid(
                &param_pointer,
                format!(
                    "two query parameters map to the Rust field `{}`",
                    param.field()
                ),
            ));
        }
        query_params.push(param);
    }
    let placeholders = path.matches('{').count();
    if placeholders != path_params.len() {
        return Err(invalid(
            pointer,
            "every path placeholder needs exactly one path parameter",
        ));
    }
    // axum fills the tuple in the order the placeholders stand in the path, not the spec's.
    path_params.sort_by_key(|param| path.find(&format!("{{{}}}", param.name)));

    let body = match &operation.request_body {
        None => None,
        Some(body) => Some(json_body(body, components, &pointer.join("requestBody"))?),
    };

    let security = operation.security.as_ref().or(spec.security.as_ref());
    let bearer_scheme = bearer_scheme(security, components, pointer)?;

    if operation.responses.default.is_some() {
        return Err(unsupported(
            &pointer.join("responses").join("default"),
            "a `default` response",
        ));
    }
    let mut responses = Vec::new();
    for (status, response) in &operation.responses.responses {
        let response_pointer = pointer.join("responses").join(status.to_string());
        let StatusCode::Code(code) = status else {
            return Err(unsupported(&response_pointer, "a status range such as 4XX"));
        };
        let (response, response_pointer) =
            resolve_response(response, components, response_pointer)?;
        responses.push(response_stub(*code, response, &response_pointer)?);
    }
    if !responses
        .iter()
        .any(|response| (200..300).contains(&response.status))
    {
        return Err(invalid(
            &pointer.join("responses"),
            "an operation without a 2XX response",
        ));
    }
    // The generated extractors answer these statuses themselves, so the spec must document them.
    let mut answered_by_extractors = Vec::new();
    if !path_params.is_empty() {
        answered_by_extractors.push((404, "a path parameter that cannot be read"));
    }
    if !query_params.is_empty() {
        answered_by_extractors.push((
            400,
            "a query parameter that cannot be read or breaks a constraint",
        ));
    }
    if body.is_some() {
        answered_by_extractors.extend([
            (400, "a body that is not the documented JSON"),
            (413, "a body over the size limit"),
            (415, "a body that is not application/json"),
        ]);
    }
    for (status, cause) in answered_by_extractors {
        if !responses.iter().any(|response| response.status == status) {
            return Err(invalid(
                &pointer.join("responses"),
                format!(
                    "{status} is not documented, but the generated handler answers it for {cause}"
                ),
            ));
        }
    }

    Ok(OperationStub {
        method: method.to_owned(),
        path: path.to_owned(),
        operation_id,
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        tags: operation.tags.clone(),
        path_params,
        query_params,
        body,
        bearer_scheme,
        responses,
    })
}

/// The parameter itself, following one `$ref` to `components/parameters`, and where it stands.
fn resolve_parameter<'a>(
    parameter: &'a ReferenceOr<Parameter>,
    components: &'a Components,
    pointer: Pointer,
) -> Result<(&'a Parameter, Pointer), GenerateError> {
    resolve_component(parameter, "parameters", pointer, |name| {
        components.parameters.get(name)
    })
}

/// The item itself, following one `$ref` to `#/components/{section}/…`, and where it stands.
fn resolve_component<'a, T>(
    item: &'a ReferenceOr<T>,
    section: &str,
    pointer: Pointer,
    lookup: impl Fn(&str) -> Option<&'a ReferenceOr<T>>,
) -> Result<(&'a T, Pointer), GenerateError> {
    let reference = match item {
        ReferenceOr::Item(item) => return Ok((item, pointer)),
        ReferenceOr::Reference { reference } => reference,
    };
    let prefix = format!("#/components/{section}/");
    let name = reference.strip_prefix(&prefix).ok_or_else(|| {
        unsupported(
            &pointer,
            format!("$ref `{reference}`; only `{prefix}*` is read"),
        )
    })?;
    let target = Pointer::default()
        .join("components")
        .join(section)
        .join(name);
    match lookup(name) {
        Some(ReferenceOr::Item(item)) => Ok((item, target)),
        Some(ReferenceOr::Reference { .. }) => Err(unsupported(&target, "a $ref to a $ref")),
        None => Err(invalid(
            &pointer,
            format!("unresolvable $ref `{reference}`"),
        )),
    }
}

fn json_body(
    body: &ReferenceOr<RequestBody>,
    components: &Components,
    pointer: &Pointer,
) -> Result<JsonBody, GenerateError> {
    let ReferenceOr::Item(body) = body else {
        return Err(unsupported(pointer, "a requestBody $ref"));
    };
    if !body.required {
        return Err(unsupported(pointer, "an optional request body"));
    }
    let ty = single_json_schema(&body.content, &pointer.join("content"))?
        .ok_or_else(|| unsupported(pointer, "a request body without content"))?;
    // The generated extractor reads a JSON object; any other body shape would be refused.
    let is_object = matches!(
        components.schemas.get(&ty.to_string()),
        Some(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Object(_)),
            ..
        }))
    );
    if !is_object {
        return Err(unsupported(
            &pointer.join("content").join(JSON).join("schema"),
            "a request body that is not an object schema",
        ));
    }
    Ok(JsonBody {
        ty,
        description: body.description.clone(),
    })
}

/// The component type of a content map that holds exactly one `application/json` `$ref` schema.
fn single_json_schema(
    content: &openapiv3::Content,
    pointer: &Pointer,
) -> Result<Option<Ident>, GenerateError> {
    let mut media_types = content.iter();
    let Some((media_type, media)) = media_types.next() else {
        return Ok(None);
    };
    if media_type != JSON || media_types.next().is_some() {
        return Err(unsupported(
            pointer,
            format!("content other than exactly `{JSON}`"),
        ));
    }
    let schema_pointer = pointer.join(media_type).join("schema");
    match &media.schema {
        Some(ReferenceOr::Reference { reference }) => {
            Ok(Some(schema_ref_type(reference, &schema_pointer)?))
        }
        Some(ReferenceOr::Item(_)) => Err(unsupported(
            &schema_pointer,
            "an inline body schema; use a $ref to components/schemas",
        )),
        None => Err(unsupported(&schema_pointer, "a media type without schema")),
    }
}

fn bearer_scheme(
    security: Option<&Vec<SecurityRequirement>>,
    components: &Components,
    pointer: &Pointer,
) -> Result<Option<String>, GenerateError> {
    let requirements = security.map(Vec::as_slice).unwrap_or_default();
    match requirements {
        [] => Ok(None),
        [requirement] if requirement.len() == 1 => {
            let (name, scopes) = requirement.iter().next().expect("one entry");
            if !scopes.is_empty() {
                return Err(unsupported(&pointer.join("security"), "security scopes"));
            }
            match components.security_schemes.get(name) {
                Some(ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. }))
                    if scheme.eq_ignore_ascii_case("bearer") =>
                {
                    Ok(Some(name.clone()))
                }
                Some(_) => Err(unsupported(
                    &Pointer::default()
                        .join("components")
                        .join("securitySchemes")
                        .join(name),
                    "a security scheme other than http bearer",
                )),
                None => Err(invalid(
                    &pointer.join("security"),
                    format!("undefined security scheme `{name}`"),
                )),
            }
        }
        _ => Err(unsupported(
            &pointer.join("security"),
            "more than one security requirement or scheme",
        )),
    }
}

fn resolve_response<'a>(
    response: &'a ReferenceOr<Response>,
    components: &'a Components,
    pointer: Pointer,
) -> Result<(&'a Response, Pointer), GenerateError> {
    resolve_component(response, "responses", pointer, |name| {
        components.responses.get(name)
    })
}

fn response_stub(
    status: u16,
    response: &Response,
    pointer: &Pointer,
) -> Result<ResponseStub, GenerateError> {
    if !response.links.is_empty() {
        return Err(unsupported(&pointer.join("links"), "response links"));
    }
    let body = single_json_schema(&response.content, &pointer.join("content"))?;
    let mut headers = Vec::new();
    for (name, header) in &response.headers {
        let header_pointer = pointer.join("headers").join(name);
        let ReferenceOr::Item(header) = header else {
            return Err(unsupported(&header_pointer, "a header $ref"));
        };
        let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &header.format else {
            return Err(unsupported(
                &header_pointer,
                "a header without an inline schema",
            ));
        };
        let InlineType {
            ty,
            format,
            constraints,
            ..
        } = inline_type(schema, &header_pointer.join("schema"))?;
        if format.is_some() || !constraints.is_empty() {
            return Err(unsupported(
                &header_pointer,
                "a header with a custom format or constraints",
            ));
        }
        headers.push((name.clone(), ty, header.description.clone()));
    }
    Ok(ResponseStub {
        status,
        description: response.description.clone(),
        body,
        headers,
    })
}

/// The variant name and `StatusCode` constant of well-known statuses.
fn status_names(status: u16) -> (Ident, TokenStream) {
    let known = match status {
        200 => Some(("Ok", "OK")),
        201 => Some(("Created", "CREATED")),
        202 => Some(("Accepted", "ACCEPTED")),
        204 => Some(("NoContent", "NO_CONTENT")),
        400 => Some(("BadRequest", "BAD_REQUEST")),
        401 => Some(("Unauthorized", "UNAUTHORIZED")),
        403 => Some(("Forbidden", "FORBIDDEN")),
        404 => Some(("NotFound", "NOT_FOUND")),
        405 => Some(("MethodNotAllowed", "METHOD_NOT_ALLOWED")),
        409 => Some(("Conflict", "CONFLICT")),
        413 => Some(("PayloadTooLarge", "PAYLOAD_TOO_LARGE")),
        415 => Some(("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE")),
        422 => Some(("UnprocessableEntity", "UNPROCESSABLE_ENTITY")),
        429 => Some(("TooManyRequests", "TOO_MANY_REQUESTS")),
        500 => Some(("InternalServerError", "INTERNAL_SERVER_ERROR")),
        503 => Some(("ServiceUnavailable", "SERVICE_UNAVAILABLE")),
        _ => None,
    };
    match known {
        Some((variant, constant)) => {
            let constant = format_ident!("{constant}");
            (
                format_ident!("{variant}"),
                quote! { axum::http::StatusCode::#constant },
            )
        }
        None => (
            format_ident!("Status{status}"),
            quote! { axum::http::StatusCode::from_u16(#status).expect("a status code from the spec") },
        ),
    }
}

fn generate_operations(operations: &[OperationStub], api_trait: &Ident) -> TokenStream {
    let mut methods = Vec::new();
    let mut enums = Vec::new();
    for operation in operations {
        let method = operation.method_ident();
        let response = operation.response_ident();
        let title = format!(" `{} {}`", operation.method.to_uppercase(), operation.path);
        let summary = doc_attrs(operation.summary.as_deref());
        let description = doc_attrs(operation.description.as_deref());
        let auth = operation
            .bearer_scheme
            .as_ref()
            .map(|_| quote! { auth: crate::BearerAuth, });
        let params = operation.path_params.iter().map(|param| {
            let name = rust_ident(&param.name.to_snake_case());
            let ty = &param.ty;
            quote! { #name: #ty, }
        });
        let query = operation.query_params.iter().map(|param| {
            let name = param.field();
            let ty = param.rust_type();
            quote! { #name: #ty, }
        });
        let body = operation.body.as_ref().map(|body| {
            let ty = &body.ty;
            quote! { body: crate::models::#ty, }
        });
        methods.push(quote! {
            #summary
            #[doc = ""]
            #description
            #[doc = ""]
            #[doc = #title]
            async fn #method(&self, #auth #(#params)* #(#query)* #body) -> #response;
        });
        if !operation.query_params.is_empty() {
            enums.push(generate_query_struct(operation));
        }

        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for stub in &operation.responses {
            let (variant, status) = status_names(stub.status);
            let doc = format!(" {}: {}", stub.status, stub.description.trim());
            match &stub.body {
                Some(body) => {
                    variants.push(quote! { #[doc = #doc] #variant(crate::models::#body), });
                    arms.push(quote! {
                        Self::#variant(body) => (#status, axum::Json(body)).into_response(),
                    });
                }
                None => {
                    variants.push(quote! { #[doc = #doc] #variant, });
                    arms.push(quote! { Self::#variant => #status.into_response(), });
                }
            }
        }
        let enum_doc = format!(
            " Every documented response of `{}`, one variant per status.",
            operation.operation_id
        );
        enums.push(quote! {
            #[doc = #enum_doc]
            // Built once per request and serialized at once: boxing would only burden implementers.
            #[allow(clippy::large_enum_variant)]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #response {
                #(#variants)*
            }

            impl axum::response::IntoResponse for #response {
                fn into_response(self) -> axum::response::Response {
                    match self {
                        #(#arms)*
                    }
                }
            }
        });
    }
    let trait_doc = " One method per operation of the spec. The service implements it; the generated router calls it.";
    quote! {
        #[doc = #trait_doc]
        #[async_trait::async_trait]
        pub trait #api_trait: Send + Sync + 'static {
            #(#methods)*
        }

        #(#enums)*
    }
}

// ---------------------------------------------------------------------------------------------
// Router

fn generate_router(
    operations: &[OperationStub],
    components: &Components,
    api_trait: &Ident,
) -> Result<TokenStream, GenerateError> {
    let schemas = components
        .schemas
        .keys()
        .map(|name| {
            let ident = rust_ident(name);
            quote! { crate::models::#ident }
        })
        .collect::<Vec<_>>();

    let schemes_pointer = Pointer::default()
        .join("components")
        .join("securitySchemes");
    let mut security_schemes = Vec::new();
    for (name, scheme) in &components.security_schemes {
        match scheme {
            ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
                if scheme.eq_ignore_ascii_case("bearer") =>
            {
                security_schemes.push(quote! {
                    components.add_security_scheme(
                        #name,
                        utoipa::openapi::security::SecurityScheme::Http(
                            utoipa::openapi::security::Http::new(utoipa::openapi::security::HttpAuthScheme::Bearer),
                        ),
                    );
                });
            }
            _ => {
                return Err(unsupported(
                    &schemes_pointer.join(name),
                    "a security scheme other than http bearer",
                ));
            }
        }
    }

    let mut handlers = Vec::new();
    let mut routes_by_path: Vec<(&str, Vec<Ident>)> = Vec::new();
    for operation in operations {
        let handler = operation.method_ident();
        match routes_by_path
            .iter_mut()
            .find(|(path, _)| *path == operation.path)
        {
            Some((_, handlers)) => handlers.push(handler.clone()),
            None => routes_by_path.push((&operation.path, vec![handler.clone()])),
        }
        handlers.push(generate_handler(operation));
    }
    let routes = routes_by_path.iter().map(|(_, handlers)| {
        quote! { .routes(utoipa_axum::routes!(#(#handlers),*)) }
    });

    Ok(quote! {
        use utoipa::OpenApi as _;

        /// The state every handler receives: the service behind the generated trait.
        pub type SharedApi = std::sync::Arc<dyn crate::operations::#api_trait>;

        /// The components and security schemes of the spec, as utoipa sees them.
        #[derive(Debug, utoipa::OpenApi)]
        #[openapi(components(schemas(#(#schemas),*)), modifiers(&SecuritySchemes))]
        pub struct ApiDoc;

        /// Adds the spec's security schemes, which utoipa cannot derive.
        #[derive(Debug)]
        pub struct SecuritySchemes;

        impl utoipa::Modify for SecuritySchemes {
            fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                let components = openapi.components.get_or_insert_with(Default::default);
                #(#security_schemes)*
            }
        }

        /// Every operation of the spec, routed to the service and documented by utoipa.
        pub fn router() -> utoipa_axum::router::OpenApiRouter<SharedApi> {
            utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
                #(#routes)*
        }

        #(#handlers)*
    })
}

fn generate_handler(operation: &OperationStub) -> TokenStream {
    let handler = operation.method_ident();
    let response = operation.response_ident();
    let http_method = format_ident!("{}", operation.method);
    let path = &operation.path;
    let operation_id = &operation.operation_id;
    let tags = &operation.tags;
    let summary = operation
        .summary
        .as_ref()
        .map(|summary| quote! { summary = #summary, });
    let description = operation.description.as_ref().map(|description| {
        let description = description.trim();
        quote! { description = #description, }
    });

    let param_docs = operation.path_params.iter().map(|param| {
        let name = &param.name;
        let ty = &param.ty;
        let description = param
            .description
            .as_ref()
            .map(|text| quote! { , description = #text });
        quote! { (#name = #ty, Path #description) }
    });
    let query_docs = operation.query_params.iter().map(|param| {
        let name = &param.name;
        let ty = param.rust_type();
        let description = param
            .description
            .as_deref()
            .map(str::trim)
            .map(|text| quote! { , description = #text });
        let constraints = param.constraints.attrs();
        quote! { (#name = #ty, Query #description #(, #constraints)*) }
    });
    let param_docs = param_docs.chain(query_docs).collect::<Vec<_>>();
    let params = (!param_docs.is_empty()).then(|| quote! { params(#(#param_docs),*), });

    let request_body = operation.body.as_ref().map(|body| {
        let ty = &body.ty;
        let description = body
            .description
            .as_ref()
            .map(|text| quote! { , description = #text });
        quote! { request_body(content = crate::models::#ty, content_type = #JSON #description), }
    });

    let responses = operation.responses.iter().map(|stub| {
        let status = proc_macro2::Literal::u16_unsuffixed(stub.status);
        let description = stub.description.trim();
        let body = stub
            .body
            .as_ref()
            .map(|body| quote! { , body = crate::models::#body, content_type = #JSON });
        let headers = (!stub.headers.is_empty()).then(|| {
            let headers = stub.headers.iter().map(|(name, ty, description)| {
                let description = description
                    .as_deref()
                    .map(str::trim)
                    .map(|text| quote! { , description = #text });
                quote! { (#name = #ty #description) }
            });
            quote! { , headers(#(#headers),*) }
        });
        quote! { (status = #status, description = #description #body #headers) }
    });

    let security = operation
        .bearer_scheme
        .as_ref()
        .map(|scheme| quote! { security((#scheme = [])), });

    let mut extractors =
        vec![quote! { axum::extract::State(api): axum::extract::State<SharedApi> }];
    let mut arguments = Vec::new();
    if operation.bearer_scheme.is_some() {
        extractors.push(quote! { headers: axum::http::HeaderMap });
        arguments.push(quote! { crate::BearerAuth::from_headers(&headers) });
    }
    if !operation.path_params.is_empty() {
        let names = operation
            .path_params
            .iter()
            .map(|param| rust_ident(&param.name.to_snake_case()))
            .collect::<Vec<_>>();
        let types = operation.path_params.iter().map(|param| &param.ty);
        extractors.push(quote! {
            crate::PathParams((#(#names,)*)): crate::PathParams<(#(#types,)*)>
        });
        arguments.extend(names.iter().map(|name| quote! { #name }));
    }
    if !operation.query_params.is_empty() {
        let ty = operation.query_ident();
        extractors
            .push(quote! { crate::QueryParams(query): crate::QueryParams<crate::operations::#ty> });
        arguments.extend(operation.query_params.iter().map(|param| {
            let field = param.field();
            quote! { query.#field }
        }));
    }
    if let Some(body) = &operation.body {
        let ty = &body.ty;
        extractors.push(quote! { crate::JsonBody(body): crate::JsonBody<crate::models::#ty> });
        arguments.push(quote! { body });
    }

    quote! {
        #[utoipa::path(
            #http_method,
            path = #path,
            operation_id = #operation_id,
            tags = [#(#tags),*],
            #summary
            #description
            #params
            #request_body
            responses(#(#responses),*),
            #security
        )]
        pub async fn #handler(#(#extractors),*) -> crate::operations::#response {
            api.#handler(#(#arguments),*).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid spec with one operation; `patch` edits its YAML before parsing.
    fn spec_with(patch: impl FnOnce(&mut serde_json::Value)) -> OpenAPI {
        let mut document: serde_json::Value = serde_yaml::from_str(
            r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /things/{id}:
    get:
      operationId: getThing
      tags: [things]
      security: [{ BearerAuth: [] }]
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
        "404":
          description: missing
          content:
            application/json:
              schema: { $ref: "#/components/schemas/ErrorResponse" }
components:
  securitySchemes:
    BearerAuth: { type: http, scheme: bearer }
  schemas:
    Thing:
      type: object
      required: [id, createdAt, count]
      properties:
        id: { type: string }
        createdAt: { type: string, format: date-time }
        note: { type: string }
        count: { type: integer, format: int64, nullable: true }
    ErrorResponse:
      type: object
      required: [success, error]
      properties:
        success: { type: boolean }
        error: { type: string }
"##,
        )
        .unwrap();
        patch(&mut document);
        serde_json::from_value(document).unwrap()
    }

    fn unsupported_at(spec: &OpenAPI) -> (String, String) {
        match generate(spec, "Api") {
            Err(GenerateError::Unsupported { pointer, construct }) => (pointer, construct),
            other => panic!("expected an unsupported construct, got {other:?}"),
        }
    }

    #[test]
    fn generates_models_trait_and_router() {
        let stubs = generate(&spec_with(|_| {}), "Api").unwrap();
        let models = stubs.models.to_string();
        assert!(models.contains("pub struct Thing"));
        assert!(models.contains("rename = \"createdAt\""));
        assert!(models.contains("chrono :: DateTime < chrono :: Utc >"));
        let operations = stubs.operations.to_string();
        assert!(
            operations.contains(
                "async fn get_thing (& self , auth : crate :: BearerAuth , id : String ,)"
            )
        );
        assert!(operations.contains("pub enum GetThingResponse"));
        assert!(operations.contains("NotFound (crate :: models :: ErrorResponse)"));
        let router = stubs.router.to_string();
        assert!(router.contains("path = \"/things/{id}\""));
        assert!(router.contains("operation_id = \"getThing\""));
        assert!(router.contains("security ((\"BearerAuth\" = [])"));
    }

    #[test]
    fn output_is_deterministic() {
        let first = generate(&spec_with(|_| {}), "Api").unwrap();
        let second = generate(&spec_with(|_| {}), "Api").unwrap();
        assert_eq!(first.models.to_string(), second.models.to_string());
        assert_eq!(first.operations.to_string(), second.operations.to_string());
        assert_eq!(first.router.to_string(), second.router.to_string());
    }

    #[test]
    fn optional_and_nullable_properties_keep_their_meaning() {
        let models = generate(&spec_with(|_| {}), "Api")
            .unwrap()
            .models
            .to_string();
        // optional, not nullable: omitted when absent, never null
        assert!(models.contains("skip_serializing_if = \"Option::is_none\""));
        assert!(models.contains("nullable = false"));
        // required and nullable: always sent, may be null
        assert!(models.contains("required = true"));
    }

    #[test]
    fn unsupported_constructs_name_themselves_and_their_pointer() {
        type Case = (&'static str, fn(&mut serde_json::Value));
        let cases: [Case; 7] = [
            ("/components/schemas/Thing/properties/note", |doc| {
                doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                    serde_json::json!({ "type": "object" });
            }),
            ("/components/schemas/Thing/properties/count", |doc| {
                doc["components"]["schemas"]["Thing"]["properties"]["count"] =
                    serde_json::json!({ "type": "integer" });
            }),
            ("/components/schemas/Thing/properties/note", |doc| {
                doc["components"]["schemas"]["Thing"]["properties"]["note"] = serde_json::json!({ "oneOf": [{ "type": "string" }, { "type": "integer", "format": "int32" }] });
            }),
            ("/paths/~1things~1{id}/get/parameters/1", |doc| {
                doc["paths"]["/things/{id}"]["get"]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({ "name": "q", "in": "cookie", "schema": { "type": "string" } }));
            }),
            ("/paths/~1things~1{id}/get/responses/default", |doc| {
                doc["paths"]["/things/{id}"]["get"]["responses"]["default"] =
                    serde_json::json!({ "description": "x" });
            }),
            ("/paths/~1things~1{id}/get/responses/200/content", |doc| {
                doc["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"] =
                    serde_json::json!({ "text/plain": { "schema": { "type": "string" } } });
            }),
            ("/components/schemas/Thing/properties/note", |doc| {
                doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                    serde_json::json!({ "type": "string", "nullable": true });
            }),
        ];
        for (expected_pointer, patch) in cases {
            let (pointer, construct) = unsupported_at(&spec_with(patch));
            assert_eq!(pointer, expected_pointer, "{construct}");
            assert!(!construct.is_empty());
        }
    }

    #[test]
    fn string_and_integer_constraints_are_documented_and_validated() {
        let spec = spec_with(|doc| {
            let properties = &mut doc["components"]["schemas"]["Thing"]["properties"];
            properties["note"] = serde_json::json!({
                "type": "string", "minLength": 1, "maxLength": 9, "pattern": "^[a-z]+$"
            });
            properties["count"] = serde_json::json!({
                "type": "integer", "format": "int64", "nullable": true,
                "minimum": 0, "maximum": 10, "exclusiveMaximum": true
            });
        });
        let models = generate(&spec, "Api").unwrap().models.to_string();
        for expected in [
            "min_length = 1usize",
            "max_length = 9usize",
            "pattern = \"^[a-z]+$\"",
            "minimum = 0i64",
            // exclusive integer bounds become the inclusive ones next to them
            "maximum = 9i64",
            "crate :: validate :: length (\"/note\" , value , Some (1usize) , Some (9usize))",
            "crate :: validate :: range (\"/count\" , i64 :: from (* value) , Some (0i64) , Some (9i64))",
            "impl crate :: Validate for Thing",
        ] {
            assert!(models.contains(expected), "{expected} in {models}");
        }
    }

    #[test]
    fn a_pattern_the_regex_crate_cannot_compile_is_unsupported() {
        let spec = spec_with(|doc| {
            doc["components"]["schemas"]["Thing"]["properties"]["note"] =
                serde_json::json!({ "type": "string", "pattern": "(?<=a)b" });
        });
        let (pointer, construct) = unsupported_at(&spec);
        assert_eq!(pointer, "/components/schemas/Thing/properties/note/pattern");
        assert!(construct.contains("regex"), "{construct}");
    }

    #[test]
    fn query_parameters_become_a_validated_struct_and_arguments() {
        let spec = spec_with(|doc| {
            doc["components"]["parameters"] = serde_json::json!({
                "Limit": { "name": "limit", "in": "query", "schema": {
                    "type": "integer", "format": "int32", "minimum": 1, "maximum": 100 } }
            });
            let operation = &mut doc["paths"]["/things/{id}"]["get"];
            let parameters = operation["parameters"].as_array_mut().unwrap();
            parameters.push(serde_json::json!({ "$ref": "#/components/parameters/Limit" }));
            parameters.push(serde_json::json!({
                "name": "sort-by", "in": "query", "required": true,
                "schema": { "type": "string", "maxLength": 10 } }));
            operation["responses"]["400"] = operation["responses"]["404"].clone();
        });
        let stubs = generate(&spec, "Api").unwrap();
        let operations = stubs.operations.to_string();
        for expected in [
            "limit : Option < i32 > , sort_by : String ,",
            "pub struct GetThingQuery",
            "# [serde (rename = \"sort-by\")]",
            "crate :: validate :: range (\"limit\"",
            "crate :: validate :: length (\"sort-by\"",
            "BadRequest (crate :: models :: ErrorResponse)",
        ] {
            assert!(operations.contains(expected), "{expected} in {operations}");
        }
        let router = stubs.router.to_string();
        assert!(
            router.contains("crate :: QueryParams (query) : crate :: QueryParams < crate :: operations :: GetThingQuery >"),
            "{router}"
        );
        assert!(
            router.contains(
                "(\"limit\" = Option < i32 > , Query , minimum = 1i64 , maximum = 100i64)"
            ),
            "{router}"
        );

        // The extractor answers 400 for a bad value, so the spec must document it.
        let undocumented = spec_with(|doc| {
            doc["paths"]["/things/{id}"]["get"]["parameters"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({ "name": "q", "in": "query", "schema": { "type": "string" } }));
        });
        assert!(matches!(
            generate(&undocumented, "Api"),
            Err(GenerateError::Invalid { problem, .. }) if problem.contains("400")
        ));
    }

    #[test]
    fn all_of_becomes_one_struct_with_flattened_references() {
        let spec = spec_with(|doc| {
            doc["components"]["schemas"]["BigThing"] = serde_json::json!({
                "allOf": [
                    { "$ref": "#/components/schemas/Thing" },
                    { "type": "object", "required": ["size"],
                      "properties": { "size": { "type": "integer", "format": "int32", "minimum": 0 } } }
                ]
            });
        });
        let models = generate(&spec, "Api").unwrap().models.to_string();
        for expected in [
            "pub struct BigThing { # [serde (flatten)] pub thing : Thing , # [schema (minimum = 0i64)] pub size : i32 , }",
            "crate :: Validate :: validate (& self . thing) ?",
        ] {
            assert!(models.contains(expected), "{expected} in {models}");
        }
        let clash = spec_with(|doc| {
            doc["components"]["schemas"]["BigThing"] = serde_json::json!({
                "allOf": [
                    { "$ref": "#/components/schemas/Thing" },
                    { "type": "object", "properties": { "thing": { "type": "string" } } }
                ]
            });
        });
        assert!(matches!(
            generate(&clash, "Api"),
            Err(GenerateError::Invalid { pointer, .. })
                if pointer == "/components/schemas/BigThing/allOf/1/properties/thing"
        ));
    }

    #[test]
    fn statuses_the_extractors_answer_must_be_documented() {
        let spec = spec_with(|doc| {
            doc["paths"]["/things/{id}"]["get"]["responses"]
                .as_object_mut()
                .unwrap()
                .remove("404");
        });
        match generate(&spec, "Api") {
            Err(GenerateError::Invalid { pointer, problem }) => {
                assert_eq!(pointer, "/paths/~1things~1{id}/get/responses");
                assert!(problem.contains("404"), "{problem}");
            }
            other => panic!("expected an invalid spec, got {other:?}"),
        }
    }

    #[test]
    fn path_parameters_bind_in_path_order_whatever_the_spec_order() {
        let spec = spec_with(|doc| {
            let operation = doc["paths"]["/things/{id}"]["get"].clone();
            let mut operation = operation;
            operation["operationId"] = "getPart".into();
            operation["parameters"] = serde_json::json!([
                { "name": "part", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }
            ]);
            doc["paths"]["/things/{id}/parts/{part}"] = serde_json::json!({ "get": operation });
        });
        let router = generate(&spec, "Api").unwrap().router.to_string();
        assert!(
            router.contains("crate :: PathParams ((id , part ,))"),
            "{router}"
        );
    }

    #[test]
    fn a_request_body_must_be_an_object_component() {
        let spec = spec_with(|doc| {
            doc["components"]["schemas"]["Color"] =
                serde_json::json!({ "type": "string", "enum": ["RED", "BLUE"] });
            doc["paths"]["/things/{id}"]["get"]["requestBody"] = serde_json::json!({
                "required": true,
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Color" } } }
            });
            for status in ["400", "413", "415"] {
                doc["paths"]["/things/{id}"]["get"]["responses"][status] =
                    doc["paths"]["/things/{id}"]["get"]["responses"]["404"].clone();
            }
        });
        let (pointer, construct) = unsupported_at(&spec);
        assert_eq!(
            pointer,
            "/paths/~1things~1{id}/get/requestBody/content/application~1json/schema"
        );
        assert!(construct.contains("not an object"), "{construct}");
    }

    #[test]
    fn an_operation_without_operation_id_is_invalid() {
        let spec = spec_with(|doc| {
            doc["paths"]["/things/{id}"]["get"]
                .as_object_mut()
                .unwrap()
                .remove("operationId");
        });
        assert!(matches!(
            generate(&spec, "Api"),
            Err(GenerateError::Invalid { pointer, .. }) if pointer == "/paths/~1things~1{id}/get"
        ));
    }
}
