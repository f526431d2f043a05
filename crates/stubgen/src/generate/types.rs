//! Inline schemas → Rust types, with the constraints the generated code checks and documents.

use super::*;
use openapiv3::{ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty};
use proc_macro2::TokenStream;
use quote::quote;

/// Keywords that would change the wire contract but that the generated types cannot carry.
/// (`x-` extensions are vendor metadata; `readOnly`, `writeOnly` and `default` are carried where
/// a property or parameter declares them.)
pub(super) fn reject_schema_extras(
    schema: &Schema,
    pointer: &Pointer,
    allow_nullable: bool,
) -> Result<(), GenerateError> {
    let data = &schema.schema_data;
    let rejected = [
        (data.nullable && !allow_nullable, "nullable"),
        // On an object or `allOf`, a discriminator names the subtypes that extend it.
        (
            data.discriminator.is_some()
                && !matches!(
                    schema.schema_kind,
                    SchemaKind::OneOf { .. }
                        | SchemaKind::AnyOf { .. }
                        | SchemaKind::AllOf { .. }
                        | SchemaKind::Type(Type::Object(_))
                ),
            "discriminator outside oneOf, anyOf, allOf or an object",
        ),
    ];
    match rejected.iter().find(|(present, _)| *present) {
        Some((_, keyword)) => Err(unsupported(pointer, format!("`{keyword}` on this schema"))),
        None => Ok(()),
    }
}

/// A function that returns the spec's `default` for a value of type `ty`, hoisted into the
/// models module; returns its path, for `#[serde(default = "...")]`.
pub(super) fn default_fn(
    hint: &str,
    ty: &TokenStream,
    value: &serde_json::Value,
    hoisted: &mut Hoisted,
) -> String {
    let name = snake_name(&format!("default_{hint}"));
    let function = rust_ident(&name);
    let json = json_tokens(value);
    hoisted.items.push(quote! {
        /// The spec's default, for serde.
        #[doc(hidden)]
        pub fn #function() -> #ty {
            serde_json::from_value(serde_json::json!(#json))
                .expect("the spec's default is a value of its schema")
        }
    });
    format!("crate::models::{name}")
}

/// Whether the document's `default` is a value of its own `schema`: one that is not would fail
/// where serde applies it (on a request that leaves the value out), so it is refused here.
pub(super) fn check_default(
    value: &serde_json::Value,
    schema: &Schema,
    pointer: &Pointer,
    hoisted: &Hoisted,
) -> Result<(), GenerateError> {
    fits(value, schema, hoisted, 0).map_err(|why| {
        invalid(
            &pointer.join("default"),
            format!("a default that is not a value of its schema: {why}"),
        )
    })
}

/// Whether `value` is one of `schema`'s, as far as the generated types will read it.
fn fits(
    value: &serde_json::Value,
    schema: &Schema,
    hoisted: &Hoisted,
    depth: usize,
) -> Result<(), String> {
    use serde_json::Value;
    if depth > 16 || (value.is_null() && schema.schema_data.nullable) {
        return Ok(());
    }
    let of = |item: &ReferenceOr<Schema>, value: &Value| -> Result<(), String> {
        match item {
            ReferenceOr::Item(schema) => fits(value, schema, hoisted, depth + 1),
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix(SCHEMA_REF_PREFIX)
                    .unwrap_or_default();
                match hoisted.schema(name) {
                    Some(ReferenceOr::Item(schema)) => fits(value, schema, hoisted, depth + 1),
                    _ => Ok(()),
                }
            }
        }
    };
    let boxed = |item: &ReferenceOr<Box<Schema>>| item.clone().unbox();
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            let Value::String(text) = value else {
                return Err(format!("{value} is not a string"));
            };
            if !string.enumeration.is_empty() && !string.enumeration.contains(&Some(text.clone())) {
                return Err(format!("{value} is not one of the enum's values"));
            }
            let shape = match &string.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Date) => {
                    Some(r"^\d{4}-\d{2}-\d{2}$")
                }
                VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime) => {
                    Some(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
                }
                VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => {
                    Some(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
                }
                _ => None,
            };
            match shape.and_then(|shape| regex::Regex::new(shape).ok()) {
                Some(shape) if !shape.is_match(text) => {
                    Err(format!("{value} is not of its format"))
                }
                _ => Ok(()),
            }
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            let Some(number) = value
                .as_i64()
                .map(i128::from)
                .or(value.as_u64().map(i128::from))
            else {
                return Err(format!("{value} is not an integer"));
            };
            let (min, max): (i128, i128) = match &integer.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    (i32::MIN.into(), i32::MAX.into())
                }
                VariantOrUnknownOrEmpty::Unknown(format) => match format.as_str() {
                    "int8" => (i8::MIN.into(), i8::MAX.into()),
                    "int16" => (i16::MIN.into(), i16::MAX.into()),
                    "uint8" => (0, u8::MAX.into()),
                    "uint16" => (0, u16::MAX.into()),
                    "uint32" => (0, u32::MAX.into()),
                    "uint64" => (0, u64::MAX.into()),
                    _ => (i64::MIN.into(), i64::MAX.into()),
                },
                _ => (i64::MIN.into(), i64::MAX.into()),
            };
            if number < min || number > max {
                return Err(format!("{value} does not fit its format"));
            }
            if !integer.enumeration.is_empty()
                && !integer
                    .enumeration
                    .iter()
                    .any(|allowed| allowed.map(i128::from) == Some(number))
            {
                return Err(format!("{value} is not one of the enum's values"));
            }
            Ok(())
        }
        SchemaKind::Type(Type::Number(_)) if !value.is_number() => {
            Err(format!("{value} is not a number"))
        }
        SchemaKind::Type(Type::Boolean(_)) if !value.is_boolean() => {
            Err(format!("{value} is not a boolean"))
        }
        SchemaKind::Type(Type::Array(array)) => {
            let Value::Array(items) = value else {
                return Err(format!("{value} is not an array"));
            };
            match &array.items {
                Some(schema) => items.iter().try_for_each(|item| of(&boxed(schema), item)),
                None => Ok(()),
            }
        }
        SchemaKind::Type(Type::Object(object)) => {
            let Value::Object(members) = value else {
                return Err(format!("{value} is not an object"));
            };
            if let Some(missing) = object
                .required
                .iter()
                .find(|name| !members.contains_key(*name))
            {
                return Err(format!("it has no `{missing}`"));
            }
            members
                .iter()
                .try_for_each(|(name, member)| match object.properties.get(name) {
                    Some(schema) => {
                        of(&boxed(schema), member).map_err(|why| format!("`{name}`: {why}"))
                    }
                    None => Ok(()),
                })
        }
        SchemaKind::AllOf { all_of } => all_of.iter().try_for_each(|branch| match branch {
            // A branch's own required members may come from another branch.
            ReferenceOr::Item(Schema {
                schema_kind: SchemaKind::Type(Type::Object(_)),
                ..
            }) => Ok(()),
            branch => of(branch, value),
        }),
        SchemaKind::OneOf { one_of: branches } | SchemaKind::AnyOf { any_of: branches } => {
            if branches.iter().any(|branch| of(branch, value).is_ok()) {
                Ok(())
            } else {
                Err(format!("{value} is none of its branches"))
            }
        }
        _ => Ok(()),
    }
}

/// The utoipa attribute that documents a default.
pub(super) fn default_attr(value: &serde_json::Value) -> TokenStream {
    let json = json_tokens(value);
    quote! { #[schema(default = json!(#json))] }
}

/// `value` as the tokens `serde_json::json!` (and utoipa's `json!`) reads: strings as Rust
/// string literals, so any JSON text is taken, control characters and all.
fn json_tokens(value: &serde_json::Value) -> TokenStream {
    use serde_json::Value;
    match value {
        Value::Null => quote! { null },
        Value::Bool(flag) => quote! { #flag },
        Value::Number(number) => {
            // Suffixed: `json!` would read an unsuffixed literal as i32 (an error past it).
            if let Some(integer) = number.as_i64() {
                let literal = proc_macro2::Literal::i64_suffixed(integer);
                quote! { #literal }
            } else if let Some(integer) = number.as_u64() {
                let literal = proc_macro2::Literal::u64_suffixed(integer);
                quote! { #literal }
            } else {
                // JSON has no infinity nor NaN, which `f64_unsuffixed` refuses.
                let float = number
                    .as_f64()
                    .filter(|float| float.is_finite())
                    .unwrap_or_default();
                let literal = proc_macro2::Literal::f64_unsuffixed(float.abs());
                if float < 0.0 {
                    quote! { -#literal }
                } else {
                    quote! { #literal }
                }
            }
        }
        Value::String(text) => quote! { #text },
        Value::Array(items) => {
            let items = items.iter().map(json_tokens);
            quote! { [#(#items),*] }
        }
        Value::Object(members) => {
            let members = members.iter().map(|(key, member)| {
                let member = json_tokens(member);
                quote! { #key: #member }
            });
            quote! { { #(#members),* } }
        }
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
    pub(super) min_items: Option<usize>,
    pub(super) max_items: Option<usize>,
    pub(super) unique_items: bool,
    /// A map's `minProperties`/`maxProperties`.
    pub(super) min_properties: Option<usize>,
    pub(super) max_properties: Option<usize>,
    /// An integer `enum`: the values allowed.
    pub(super) allowed: Vec<i64>,
    /// A number `enum`: the values allowed (as the field's own type holds them).
    pub(super) allowed_numbers: Vec<f64>,
    /// A boolean `enum`: the values allowed.
    pub(super) allowed_booleans: Vec<bool>,
    /// The array's items may be `null` (`Option`s): their checks apply to the others.
    pub(super) nullable_items: bool,
    /// A number's bounds: the bound, and whether it is exclusive.
    pub(super) number_minimum: Option<(f64, bool)>,
    pub(super) number_maximum: Option<(f64, bool)>,
    /// `multipleOf`, of a number or an integer.
    pub(super) multiple_of: Option<f64>,
    /// The constraints of each item of an array.
    pub(super) items: Option<Box<Constraints>>,
    /// The constraints of each value of a map.
    pub(super) values: Option<Box<Constraints>>,
}

impl Constraints {
    pub(super) fn is_empty(&self) -> bool {
        self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && !self.unique_items
            && self.min_properties.is_none()
            && self.max_properties.is_none()
            && self.allowed.is_empty()
            && self.allowed_numbers.is_empty()
            && self.allowed_booleans.is_empty()
            && self.number_minimum.is_none()
            && self.number_maximum.is_none()
            && self.multiple_of.is_none()
            && self.items.is_none()
            && self.values.is_none()
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
        match self.number_minimum {
            Some((min, false)) => attrs.push(quote! { minimum = #min }),
            Some((min, true)) => attrs.push(quote! { exclusive_minimum = #min }),
            None => {}
        }
        match self.number_maximum {
            Some((max, false)) => attrs.push(quote! { maximum = #max }),
            Some((max, true)) => attrs.push(quote! { exclusive_maximum = #max }),
            None => {}
        }
        if let Some(factor) = self.multiple_of {
            attrs.push(quote! { multiple_of = #factor });
        }
        // utoipa has no `uniqueItems`; it is checked all the same.
        if let Some(min) = self.min_items {
            attrs.push(quote! { min_items = #min });
        }
        if let Some(max) = self.max_items {
            attrs.push(quote! { max_items = #max });
        }
        // utoipa takes `minProperties`/`maxProperties` on a struct only, not on a map field:
        // they are checked all the same.
        attrs
    }

    /// Statements that check `value` (a reference to the Rust value) at `pointer`.
    pub(super) fn checks(&self, pointer: &str, validates_nested: bool) -> TokenStream {
        self.checks_at(&quote! { #pointer }, validates_nested)
    }

    /// [`Self::checks`] with the pointer an expression (a `&str`) evaluated where it stands.
    fn checks_at(&self, pointer: &TokenStream, validates_nested: bool) -> TokenStream {
        let mut checks = Vec::new();
        let option = |bound: Option<usize>| match bound {
            Some(bound) => quote! { Some(#bound) },
            None => quote! { None },
        };
        if self.min_length.is_some() || self.max_length.is_some() {
            let (min, max) = (option(self.min_length), option(self.max_length));
            checks.push(
                quote! { ::stubgen_runtime::validate::length(#pointer, value, #min, #max)?; },
            );
        }
        if let Some(pattern) = &self.pattern {
            // The regex crate matches in linear time whatever the input; only a pattern it
            // cannot take (look-around, back-references) runs on regress, ECMA 262's engine.
            checks.push(if regex::Regex::new(pattern).is_ok() {
                quote! {
                    {
                        static PATTERN: std::sync::LazyLock<Result<regex::Regex, regex::Error>> =
                            std::sync::LazyLock::new(|| regex::Regex::new(#pattern));
                        ::stubgen_runtime::validate::pattern(#pointer, value, &PATTERN)?;
                    }
                }
            } else {
                quote! {
                    {
                        static PATTERN: std::sync::LazyLock<Result<regress::Regex, regress::Error>> =
                            std::sync::LazyLock::new(|| regress::Regex::new(#pattern));
                        ::stubgen_runtime::validate::ecma_pattern(#pointer, value, &PATTERN, #pattern)?;
                    }
                }
            });
        }
        if self.minimum.is_some() || self.maximum.is_some() {
            // i128 holds every integer type the generator emits, u64 included.
            let bound = |bound: Option<i64>| match bound {
                Some(bound) => {
                    let bound = proc_macro2::Literal::i128_suffixed(i128::from(bound));
                    quote! { Some(#bound) }
                }
                None => quote! { None },
            };
            let (min, max) = (bound(self.minimum), bound(self.maximum));
            checks.push(
                quote! { ::stubgen_runtime::validate::range(#pointer, i128::from(*value), #min, #max)?; },
            );
        }
        if self.number_minimum.is_some() || self.number_maximum.is_some() {
            let bound = |bound: Option<(f64, bool)>| match bound {
                Some((bound, exclusive)) => quote! { Some((#bound, #exclusive)) },
                None => quote! { None },
            };
            let (min, max) = (bound(self.number_minimum), bound(self.number_maximum));
            checks.push(quote! {
                ::stubgen_runtime::validate::number_range(#pointer, f64::from(*value), #min, #max)?;
            });
        }
        if let Some(factor) = self.multiple_of {
            // `as`: an integer of any width, or a number; f64 holds what a bound can tell apart.
            checks.push(quote! {
                ::stubgen_runtime::validate::multiple_of(#pointer, *value as f64, #factor)?;
            });
        }
        if self.min_items.is_some() || self.max_items.is_some() {
            let (min, max) = (option(self.min_items), option(self.max_items));
            checks.push(
                quote! { ::stubgen_runtime::validate::items(#pointer, value.len(), #min, #max)?; },
            );
        }
        if self.unique_items {
            checks.push(quote! { ::stubgen_runtime::validate::unique(#pointer, value)?; });
        }
        if self.min_properties.is_some() || self.max_properties.is_some() {
            let (min, max) = (option(self.min_properties), option(self.max_properties));
            checks.push(quote! {
                ::stubgen_runtime::validate::properties(#pointer, value.len(), #min, #max)?;
            });
        }
        if let Some(items) = &self.items {
            let item_checks = items.checks_at(&quote! { &pointer }, false);
            let present = self
                .nullable_items
                .then(|| quote! { let Some(value) = value else { continue }; });
            checks.push(quote! {
                for (index, value) in value.iter().enumerate() {
                    #present
                    let pointer = format!("{}/{index}", #pointer);
                    #item_checks
                }
            });
        }
        if let Some(values) = &self.values {
            let value_checks = values.checks_at(&quote! { &pointer }, false);
            checks.push(quote! {
                for (key, value) in value.iter() {
                    let pointer = format!("{}/{}", #pointer, key.replace('~', "~0").replace('/', "~1"));
                    #value_checks
                }
            });
        }
        if !self.allowed_booleans.is_empty() {
            let allowed = &self.allowed_booleans;
            checks.push(quote! {
                ::stubgen_runtime::validate::boolean_one_of(#pointer, *value, &[#(#allowed),*])?;
            });
        }
        if !self.allowed_numbers.is_empty() {
            let allowed = self
                .allowed_numbers
                .iter()
                .map(|value| proc_macro2::Literal::f64_suffixed(*value));
            checks.push(quote! {
                ::stubgen_runtime::validate::number_one_of(#pointer, f64::from(*value), &[#(#allowed),*])?;
            });
        }
        if !self.allowed.is_empty() {
            let allowed = self
                .allowed
                .iter()
                .map(|value| proc_macro2::Literal::i128_suffixed(i128::from(*value)));
            checks.push(quote! {
                ::stubgen_runtime::validate::one_of(#pointer, i128::from(*value), &[#(#allowed),*])?;
            });
        }
        if validates_nested {
            checks.push(
                quote! { ::stubgen_runtime::Validate::validate(value).map_err(|err| err.within(#pointer))?; },
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

/// Types that inline schemas need and the spec does not name (inline objects and enums): they
/// go into the models module under deterministic names built from where they stand.
#[derive(Debug, Default)]
pub(super) struct Hoisted {
    pub(super) items: Vec<TokenStream>,
    taken: std::collections::BTreeSet<String>,
    /// The Rust types of components that are objects (or `allOf`s of objects).
    objects: std::collections::BTreeSet<String>,
    pub(super) discriminators: Discriminators,
    /// Whether a refused component or operation ends the generation or is left out.
    pub(super) refusals: Refusals,
    /// The document's component schemas, for the parts a merged struct takes from them.
    schemas: std::collections::BTreeMap<String, ReferenceOr<Schema>>,
    /// The components each component refers to, anywhere inside it.
    references: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    /// The components each component refers to anywhere, lists and maps included: what
    /// utoipa follows when it collects a type's schemas.
    all_references: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    /// The component whose model is being generated.
    pub(super) current: Option<String>,
    /// The `utoipa::ToSchema` impls of the untagged enum about to be generated, when it is
    /// documented by its document's own schema rather than derived.
    pub(super) own_schema: Option<TokenStream>,
}

impl Hoisted {
    /// Reserves the Rust type names the components take.
    pub(super) fn new(components: &openapiv3::Components, discriminators: Discriminators) -> Self {
        let objects = components
            .schemas
            .iter()
            // A base with subtypes is an enum of them.
            .filter(|(name, _)| !discriminators.is_base(name))
            .filter(|(_, schema)| {
                matches!(
                    schema,
                    ReferenceOr::Item(Schema {
                        schema_kind: SchemaKind::Type(Type::Object(_)) | SchemaKind::AllOf { .. },
                        ..
                    })
                )
            })
            .map(|(name, _)| component_type(name).to_string())
            .collect();
        Self {
            items: Vec::new(),
            taken: components
                .schemas
                .keys()
                .map(|name| component_type(name).to_string())
                .collect(),
            objects,
            discriminators,
            refusals: Refusals::default(),
            schemas: components
                .schemas
                .iter()
                .map(|(name, schema)| (name.clone(), schema.clone()))
                .collect(),
            all_references: components
                .schemas
                .iter()
                .map(|(name, schema)| (name.clone(), refs_in(schema)))
                .collect(),
            references: {
                let documents: std::collections::BTreeMap<String, serde_json::Value> = components
                    .schemas
                    .iter()
                    .filter_map(|(name, schema)| {
                        Some((name.clone(), serde_json::to_value(schema).ok()?))
                    })
                    .collect();
                documents
                    .iter()
                    .map(|(name, value)| {
                        let mut found = std::collections::BTreeSet::new();
                        let mut parents = std::collections::BTreeSet::from([name.clone()]);
                        held_by_value(value, &documents, &mut found, &mut parents);
                        (name.clone(), found)
                    })
                    .collect()
            },
            current: None,
            own_schema: None,
        }
    }

    /// Whether a field of the current component that holds `target` by value must box it:
    /// `target` is the component itself, or contains it (a recursive type has no size).
    pub(super) fn boxes(&self, target: &str) -> bool {
        self.reaches_current(&self.references, [target])
    }

    /// Whether a field or branch of the current component whose schema refers to `targets`
    /// closes a cycle of references: utoipa must not follow it (`no_recursion`), or collecting
    /// the schemas never ends. The components are all listed in the document anyway.
    pub(super) fn recurs(&self, targets: &[String]) -> bool {
        self.reaches_current(&self.all_references, targets.iter().map(String::as_str))
    }

    fn reaches_current<'a>(
        &'a self,
        graph: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        targets: impl IntoIterator<Item = &'a str>,
    ) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut pending: Vec<&str> = targets.into_iter().collect();
        while let Some(name) = pending.pop() {
            if name == current {
                return true;
            }
            if seen.insert(name)
                && let Some(next) = graph.get(name)
            {
                pending.extend(next.iter().map(String::as_str));
            }
        }
        false
    }

    /// The component schema `name`.
    pub(super) fn schema(&self, name: &str) -> Option<&ReferenceOr<Schema>> {
        self.schemas.get(name)
    }

    /// Whether `reference` names a component that says `nullable: true`: its type is the
    /// value's, and whoever holds it holds an `Option` of it.
    pub(super) fn names_nullable(&self, reference: &str) -> bool {
        reference
            .strip_prefix(SCHEMA_REF_PREFIX)
            .and_then(|name| self.schema(name))
            .is_some_and(
                |schema| matches!(schema, ReferenceOr::Item(schema) if schema.schema_data.nullable),
            )
    }

    /// Whether the component of Rust type `ty` is an object.
    pub(super) fn is_object(&self, ty: &Ident) -> bool {
        self.objects.contains(&ty.to_string())
    }

    /// A type name from `hint` (PascalCase), numbered when already taken.
    pub(super) fn name(&mut self, hint: &str) -> Ident {
        let base = component_type(hint).to_string();
        let mut name = base.clone();
        let mut counter = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}{counter}");
            counter += 1;
        }
        rust_ident(&name)
    }
}

/// Every component `schema` refers to, anywhere inside it.
pub(super) fn refs_in<T: serde::Serialize>(schema: &T) -> std::collections::BTreeSet<String> {
    fn walk(value: &serde_json::Value, found: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(name) = object
                    .get("$ref")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|reference| reference.strip_prefix(SCHEMA_REF_PREFIX))
                {
                    found.insert(name.to_owned());
                }
                object.values().for_each(|member| walk(member, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    if let Ok(value) = serde_json::to_value(schema) {
        walk(&value, &mut found);
    }
    found
}

/// The components a model of `value` holds by value: through properties, `oneOf`/`anyOf`
/// branches and the properties an `allOf` parent lends, but not through arrays or maps (their
/// heap already breaks a cycle) nor the parent itself (only its properties are copied).
fn held_by_value(
    value: &serde_json::Value,
    documents: &std::collections::BTreeMap<String, serde_json::Value>,
    found: &mut std::collections::BTreeSet<String>,
    parents: &mut std::collections::BTreeSet<String>,
) {
    let serde_json::Value::Object(object) = value else {
        return;
    };
    if let Some(name) = object
        .get("$ref")
        .and_then(serde_json::Value::as_str)
        .and_then(|reference| reference.strip_prefix(SCHEMA_REF_PREFIX))
    {
        found.insert(name.to_owned());
        return;
    }
    if let Some(properties) = object.get("properties").and_then(|p| p.as_object()) {
        for property in properties.values() {
            held_by_value(property, documents, found, parents);
        }
    }
    for branches in ["oneOf", "anyOf"] {
        for branch in object
            .get(branches)
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            held_by_value(branch, documents, found, parents);
        }
    }
    for entry in object
        .get("allOf")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
    {
        let parent = entry
            .get("$ref")
            .and_then(serde_json::Value::as_str)
            .and_then(|reference| reference.strip_prefix(SCHEMA_REF_PREFIX));
        match parent.and_then(|name| Some((name, documents.get(name)?))) {
            // A lone `allOf` entry wraps a field's type: that is holding it.
            Some((name, _))
                if object.get("allOf").and_then(|b| b.as_array()).map(Vec::len) == Some(1)
                    && object.get("properties").is_none() =>
            {
                found.insert(name.to_owned());
            }
            Some((name, parent)) => {
                if parents.insert(name.to_owned()) {
                    held_by_value(parent, documents, found, parents);
                }
            }
            None => held_by_value(entry, documents, found, parents),
        }
    }
}

/// The Rust type of an inline (non-$ref) schema; `hint` names a type it has to hoist.
pub(super) fn inline_type(
    schema: &Schema,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<InlineType, GenerateError> {
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
                // An inline enum: an enum of its own, named after where it stands.
                let ident = hoisted.name(hint);
                let doc = doc_attrs(schema.schema_data.description.as_deref());
                // A default is the member's, documented on it.
                let data = openapiv3::SchemaData {
                    default: None,
                    ..schema.schema_data.clone()
                };
                let item = string_enum(&doc, &TokenStream::new(), &ident, string, &data, pointer)?;
                hoisted.items.push(item);
                return Ok(InlineType {
                    ty: quote! { crate::models::#ident },
                    format: None,
                    constraints: Constraints::default(),
                    validates_nested: false,
                });
            }
            if let Some(pattern) = &string.pattern
                && regex::Regex::new(pattern).is_err()
                && let Err(err) = regress::Regex::new(pattern)
            {
                return Err(unsupported(
                    &pointer.join("pattern"),
                    format!("a pattern neither regex nor regress (ECMA 262) can compile: {err}"),
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
                // Text all the same; the format is documented.
                VariantOrUnknownOrEmpty::Item(StringFormat::Byte) => {
                    (quote! { String }, Some("byte".to_owned()))
                }
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => {
                    (quote! { String }, Some("binary".to_owned()))
                }
                VariantOrUnknownOrEmpty::Item(StringFormat::Password) => {
                    (quote! { String }, Some("password".to_owned()))
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
            if integer.multiple_of.is_some_and(|factor| factor <= 0) {
                return Err(invalid(
                    &pointer.join("multipleOf"),
                    "a multipleOf that is not positive",
                ));
            }
            let allowed = integer
                .enumeration
                .iter()
                .map(|value| value.ok_or_else(|| unsupported(pointer, "null in an integer enum")))
                .collect::<Result<Vec<i64>, _>>()?;
            // Formats as dropshot and others emit them; anything else is JSON Schema's integer.
            let ty = match &integer.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => quote! { i32 },
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64) => quote! { i64 },
                VariantOrUnknownOrEmpty::Unknown(format) => match format.as_str() {
                    "int8" => quote! { i8 },
                    "int16" => quote! { i16 },
                    "uint8" => quote! { u8 },
                    "uint16" => quote! { u16 },
                    "uint32" => quote! { u32 },
                    "uint64" => quote! { u64 },
                    _ => quote! { i64 },
                },
                VariantOrUnknownOrEmpty::Empty => quote! { i64 },
            };
            // Exclusive integer bounds are the inclusive ones next to them.
            let constraints = Constraints {
                minimum: integer.minimum.map(|min| {
                    if integer.exclusive_minimum {
                        min.saturating_add(1)
                    } else {
                        min
                    }
                }),
                maximum: integer.maximum.map(|max| {
                    if integer.exclusive_maximum {
                        max.saturating_sub(1)
                    } else {
                        max
                    }
                }),
                multiple_of: integer.multiple_of.map(|factor| factor as f64),
                allowed,
                ..Constraints::default()
            };
            // utoipa names a format from the Rust type (`int32` for a `u16`): another one is
            // said as the document says it.
            let format = match &integer.format {
                VariantOrUnknownOrEmpty::Unknown(format) => Some(format.clone()),
                _ => None,
            };
            Ok(InlineType {
                ty,
                format,
                constraints,
                validates_nested: false,
            })
        }
        SchemaKind::Type(Type::Number(number)) => {
            let single = matches!(
                &number.format,
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float)
            );
            let allowed_numbers = number
                .enumeration
                .iter()
                .map(|value| {
                    let value = value
                        .filter(|value| value.is_finite())
                        .ok_or_else(|| unsupported(pointer, "null in a number enum"))?;
                    // An `f32` holds the nearest `f32`: compared as the field holds it.
                    Ok(if single {
                        f64::from(value as f32)
                    } else {
                        value
                    })
                })
                .collect::<Result<Vec<f64>, GenerateError>>()?;
            if number
                .multiple_of
                .is_some_and(|factor| factor.is_nan() || factor <= 0.0)
            {
                return Err(invalid(
                    &pointer.join("multipleOf"),
                    "a multipleOf that is not positive",
                ));
            }
            let finite = |bound: Option<f64>| bound.filter(|bound| bound.is_finite());
            let constraints = Constraints {
                number_minimum: finite(number.minimum).map(|min| (min, number.exclusive_minimum)),
                number_maximum: finite(number.maximum).map(|max| (max, number.exclusive_maximum)),
                multiple_of: number.multiple_of,
                allowed_numbers,
                ..Constraints::default()
            };
            let ty = match &number.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float) => quote! { f32 },
                _ => quote! { f64 },
            };
            Ok(InlineType {
                ty,
                format: None,
                constraints,
                validates_nested: false,
            })
        }
        SchemaKind::Type(Type::Boolean(boolean)) => {
            let allowed: Option<Vec<bool>> = boolean.enumeration.iter().copied().collect();
            let Some(allowed) = allowed else {
                return Err(unsupported(pointer, "null in a boolean enum"));
            };
            Ok(InlineType {
                ty: quote! { bool },
                format: None,
                constraints: Constraints {
                    allowed_booleans: allowed,
                    ..Constraints::default()
                },
                validates_nested: false,
            })
        }
        SchemaKind::Type(Type::Array(array)) => {
            let items_pointer = pointer.join("items");
            let mut item_constraints = None;
            let mut nullable_items = false;
            let (item, validates_nested) = match &array.items {
                None => return Err(unsupported(pointer, "an array without items")),
                Some(ReferenceOr::Reference { reference }) => {
                    let ty = schema_ref_type(reference, &items_pointer)?;
                    if hoisted.names_nullable(reference) {
                        nullable_items = true;
                        (quote! { Option<crate::models::#ty> }, true)
                    } else {
                        (quote! { crate::models::#ty }, true)
                    }
                }
                Some(ReferenceOr::Item(item)) => {
                    let inline =
                        inline_type(item, &items_pointer, &format!("{hint}Item"), hoisted)?;
                    // An item's format only documents it; its constraints are checked per item.
                    if !inline.constraints.is_empty() {
                        item_constraints = Some(Box::new(inline.constraints.clone()));
                    }
                    let ty = inline.ty;
                    // Nullable items (dropshot's `Vec<Option<T>>`): `null` or a value.
                    if item.schema_data.nullable {
                        nullable_items = true;
                        (quote! { Option<#ty> }, inline.validates_nested)
                    } else {
                        (ty, inline.validates_nested)
                    }
                }
            };
            Ok(InlineType {
                ty: quote! { Vec<#item> },
                format: None,
                constraints: Constraints {
                    min_items: array.min_items,
                    max_items: array.max_items,
                    unique_items: array.unique_items,
                    items: item_constraints,
                    nullable_items,
                    ..Constraints::default()
                },
                validates_nested,
            })
        }
        SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => {
            // A map: `additionalProperties` gives its values (any value when absent or `true`).
            let values_pointer = pointer.join("additionalProperties");
            let mut value_constraints = None;
            let (value, validates_nested) = match &object.additional_properties {
                None | Some(openapiv3::AdditionalProperties::Any(true)) => {
                    (quote! { serde_json::Value }, false)
                }
                // `{}` and nothing else: a struct without fields that refuses any member.
                Some(openapiv3::AdditionalProperties::Any(false)) => {
                    let ident = hoisted.name(hint);
                    let doc = doc_attrs(schema.schema_data.description.as_deref());
                    hoisted.items.push(quote! {
                        #doc
                        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
                        #[serde(deny_unknown_fields)]
                        pub struct #ident {}

                        impl ::stubgen_runtime::Validate for #ident {
                            const JSON_OBJECT: bool = true;
                        }
                    });
                    return Ok(InlineType {
                        ty: quote! { crate::models::#ident },
                        format: None,
                        constraints: Constraints::default(),
                        validates_nested: true,
                    });
                }
                Some(openapiv3::AdditionalProperties::Schema(schema)) => match schema.as_ref() {
                    ReferenceOr::Reference { reference } => {
                        let ty = schema_ref_type(reference, &values_pointer)?;
                        (quote! { crate::models::#ty }, true)
                    }
                    ReferenceOr::Item(item) => {
                        let inline =
                            inline_type(item, &values_pointer, &format!("{hint}Value"), hoisted)?;
                        // Each value is checked as its schema says (its type carries a format).
                        if !inline.constraints.is_empty() {
                            value_constraints = Some(Box::new(inline.constraints));
                        }
                        (inline.ty, inline.validates_nested)
                    }
                },
            };
            Ok(InlineType {
                ty: quote! { std::collections::BTreeMap<String, #value> },
                format: None,
                constraints: Constraints {
                    values: value_constraints,
                    min_properties: object.min_properties,
                    max_properties: object.max_properties,
                    ..Constraints::default()
                },
                validates_nested,
            })
        }
        SchemaKind::Type(Type::Object(object)) => {
            // An inline object: a struct of its own, named after where it stands.
            let ident = hoisted.name(hint);
            let mut fields = Vec::new();
            let mut checks = Vec::new();
            object_fields(
                object,
                pointer,
                &ident,
                hoisted,
                &mut FieldNames::default(),
                &mut fields,
                &mut checks,
            )?;
            let doc = doc_attrs(schema.schema_data.description.as_deref());
            let closed = super::models::closed_attr(object);
            let item = model_struct(&doc, &closed, &ident, &fields, &checks);
            hoisted.items.push(item);
            Ok(InlineType {
                ty: quote! { crate::models::#ident },
                format: None,
                constraints: Constraints::default(),
                validates_nested: true,
            })
        }
        // `allOf` of one schema (a title, description or `nullable` beside it): that schema.
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => match &all_of[0] {
            ReferenceOr::Reference { reference } => {
                let ty = schema_ref_type(reference, &pointer.join("allOf").join("0"))?;
                Ok(InlineType {
                    ty: quote! { crate::models::#ty },
                    format: None,
                    constraints: Constraints::default(),
                    validates_nested: true,
                })
            }
            ReferenceOr::Item(branch) => {
                inline_type(branch, &pointer.join("allOf").join("0"), hint, hoisted)
            }
        },
        // Combinators in place: types of their own, named after where they stand.
        SchemaKind::AllOf { all_of } => {
            let ident = hoisted.name(hint);
            let doc = doc_attrs(schema.schema_data.description.as_deref());
            let item = all_of_struct(&doc, &TokenStream::new(), &ident, all_of, pointer, hoisted)?;
            hoisted.items.push(item);
            Ok(InlineType {
                ty: quote! { crate::models::#ident },
                format: None,
                constraints: Constraints::default(),
                validates_nested: true,
            })
        }
        SchemaKind::OneOf { one_of: branches } | SchemaKind::AnyOf { any_of: branches } => {
            let ident = hoisted.name(hint);
            let doc = doc_attrs(schema.schema_data.description.as_deref());
            let keyword = if matches!(schema_kind, SchemaKind::OneOf { .. }) {
                "oneOf"
            } else {
                "anyOf"
            };
            let item = one_of_enum(
                &doc,
                &TokenStream::new(),
                &ident,
                branches,
                schema.schema_data.discriminator.as_ref(),
                &pointer.join(keyword),
                hoisted,
            )?;
            hoisted.items.push(item);
            Ok(InlineType {
                ty: quote! { crate::models::#ident },
                format: None,
                constraints: Constraints::default(),
                validates_nested: true,
            })
        }
        SchemaKind::Not { .. } => Err(unsupported(pointer, "not")),
        // `{}`: any JSON value.
        SchemaKind::Any(any) if *any == openapiv3::AnySchema::default() => {
            plain(quote! { serde_json::Value })
        }
        SchemaKind::Any(_) => match typed(schema) {
            Some(typed) => inline_type(&typed, pointer, hint, hoisted),
            None => Err(unsupported(
                pointer,
                "a schema without a type but with other keywords",
            )),
        },
    }
}

/// A schema without `type` whose keywords are one type's only, as that type: object keywords
/// (`properties`, `additionalProperties`) an object, `items` an array, an `enum` of strings a
/// string enum (Telnyx's, Asana's). Their authors mean the type, and a value of another type
/// would meet none of the keywords.
pub(super) fn typed(schema: &Schema) -> Option<Schema> {
    let SchemaKind::Any(any) = &schema.schema_kind else {
        return None;
    };
    let untouched = any.typ.is_none()
        && any.one_of.is_empty()
        && any.all_of.is_empty()
        && any.any_of.is_empty()
        && any.not.is_none();
    let object = !any.properties.is_empty() || any.additional_properties.is_some();
    let array = any.items.is_some();
    let strings =
        !any.enumeration.is_empty() && any.enumeration.iter().all(|value| value.is_string());
    let schema_kind = match (object, array, !any.enumeration.is_empty()) {
        _ if !untouched => return None,
        (true, false, false) => SchemaKind::Type(Type::Object(openapiv3::ObjectType {
            properties: any.properties.clone(),
            required: any.required.clone(),
            additional_properties: any.additional_properties.clone(),
            min_properties: any.min_properties,
            max_properties: any.max_properties,
        })),
        (false, true, false) => SchemaKind::Type(Type::Array(openapiv3::ArrayType {
            items: any.items.clone(),
            min_items: any.min_items,
            max_items: any.max_items,
            unique_items: any.unique_items.unwrap_or(false),
        })),
        (false, false, true) if strings => SchemaKind::Type(Type::String(openapiv3::StringType {
            format: any.format.clone().map_or(
                VariantOrUnknownOrEmpty::Empty,
                VariantOrUnknownOrEmpty::Unknown,
            ),
            pattern: any.pattern.clone(),
            enumeration: any
                .enumeration
                .iter()
                .map(|value| value.as_str().map(str::to_owned))
                .collect(),
            min_length: any.min_length,
            max_length: any.max_length,
        })),
        _ => return None,
    };
    Some(Schema {
        schema_data: schema.schema_data.clone(),
        schema_kind,
    })
}
