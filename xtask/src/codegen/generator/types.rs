//! Inline schemas → Rust types, with the constraints the generated code checks and documents.

use super::*;
use openapiv3::{ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty};
use proc_macro2::TokenStream;
use quote::quote;

/// Keywords that would change the wire contract but that the generated types cannot carry.
pub(super) fn reject_schema_extras(
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

/// The constraints of an inline schema the generated code enforces and documents.
#[derive(Debug, Default, Clone)]
pub(super) struct Constraints {
    pub(super) min_length: Option<usize>,
    pub(super) max_length: Option<usize>,
    pub(super) pattern: Option<String>,
    pub(super) minimum: Option<i64>,
    pub(super) maximum: Option<i64>,
}

impl Constraints {
    pub(super) fn is_empty(&self) -> bool {
        self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
    }

    /// The utoipa attribute that documents them, so the implementation's document shows them.
    pub(super) fn schema_attrs(&self) -> TokenStream {
        let attrs = self.attrs();
        if attrs.is_empty() {
            TokenStream::new()
        } else {
            quote! { #[schema(#(#attrs),*)] }
        }
    }

    /// `name = value` for each constraint, as utoipa's attributes spell them.
    pub(super) fn attrs(&self) -> Vec<TokenStream> {
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
    pub(super) fn checks(&self, pointer: &str, validates_nested: bool) -> TokenStream {
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
pub(super) struct InlineType {
    pub(super) ty: TokenStream,
    /// A format utoipa must be told explicitly.
    pub(super) format: Option<String>,
    pub(super) constraints: Constraints,
    /// The value is (a list of) generated types with `Validate` of their own.
    pub(super) validates_nested: bool,
}

/// The Rust type of an inline (non-$ref) schema.
pub(super) fn inline_type(schema: &Schema, pointer: &Pointer) -> Result<InlineType, GenerateError> {
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
