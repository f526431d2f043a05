//! Turns an OpenAPI 3.0 document into the token streams of the server stubs: the models, one
//! trait method per operation with a typed response enum, and the axum routing, annotated for
//! utoipa.
//!
//! Laid out as progenitor and rust-analyzer lay out their generators: `ir` (with `bodies`) reads the operations
//! into an intermediate representation, `types` and `models` turn schemas into Rust types, and
//! the emitters `operations` and `router` write the two modules that use them.
//!
//! Anything the generator cannot translate faithfully is an [`GenerateError::Unsupported`]
//! naming the construct and its JSON pointer: wrong code must never be emitted silently.

use heck::ToPascalCase;
use openapiv3::{Components, OpenAPI};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

mod bodies;
mod discriminators;
mod documented;
mod ir;
mod models;
mod multipart;
mod names;
mod operations;
mod router;
mod skip;
#[cfg(test)]
mod tests;
mod types;

use bodies::*;
use discriminators::*;
use documented::*;
use ir::*;
use models::*;
use multipart::*;
pub(crate) use names::unusable_crate_name;
use names::*;
use operations::*;
use router::*;
pub use skip::LeftOut;
use skip::*;
use types::*;

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
#[derive(Debug, Default)]
pub(crate) struct Stubs {
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

/// How demanding the generator is of the spec, and what it adds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Requirements {
    /// Refuse an operation that does not document a status its generated extractors answer
    /// (404 for an unreadable path parameter; 400, 413 and 415 for a body; 400 for a query).
    /// On for this workspace's own spec, whose every answer must be documented; off for any
    /// other document, which rarely documents them.
    pub require_extractor_statuses: bool,
    /// Derive `schemars::JsonSchema` on every model too, and emit `wire_schemas()`: the schemas
    /// schemars reads from the serde attributes, which `cargo xtask check` compares with the
    /// spec (what serde really puts on the wire, beside what utoipa's annotations claim). On for
    /// this workspace's stubs.
    pub derive_json_schema: bool,
    /// Leave out a component or operation the generator refuses, and what refers to it,
    /// instead of refusing the document.
    pub skip_unsupported: bool,
}

/// Generates the stubs with every requirement on; `api_trait` names the trait the service
/// implements.
#[cfg(test)]
pub(crate) fn generate(spec: &OpenAPI, api_trait: &str) -> Result<Stubs, GenerateError> {
    generate_with(
        spec,
        api_trait,
        Requirements {
            require_extractor_statuses: true,
            derive_json_schema: false,
            skip_unsupported: false,
        },
    )
    .map(|(stubs, _)| stubs)
}

/// Generates the stubs under `options`; with `skip_unsupported`, what was left out too.
pub(crate) fn generate_with(
    spec: &OpenAPI,
    api_trait: &str,
    options: Requirements,
) -> Result<(Stubs, Vec<LeftOut>), GenerateError> {
    let addressable = addressable(spec)?;
    let spec = addressable.as_ref().unwrap_or(spec);
    if !options.skip_unsupported {
        return generate_once(spec, api_trait, options, Refusals::default())
            .map(|(stubs, _)| (stubs, Vec::new()));
    }
    // Leaving an item out may leave out what refers to it, and a base loses a subtype: run
    // again on what is left until nothing more is refused.
    let mut spec = spec.clone();
    let mut left_out = Vec::new();
    for _ in 0..32 {
        let (stubs, refused) = generate_once(&spec, api_trait, options, Refusals::skipping())?;
        if refused.is_empty() {
            return Ok((stubs, left_out));
        }
        leave_out(&mut spec, refused, &mut left_out)?;
    }
    Err(invalid(
        &Pointer::default(),
        "leaving out what is refused did not settle",
    ))
}

/// `spec` with every `$ref` to a component (and every discriminator mapping value that is one)
/// spelled one way, and the component schemas renamed that the generator could not tell apart.
///
/// A `$ref` is a URI fragment holding a JSON pointer: `#/components/schemas/A%20B` and
/// `#/components/schemas/A B` name one component, as `…/a~1b` and `…/a%7E1b` do. Each is read
/// as RFC 3986 and RFC 6901 say (percent-escapes decoded, then `~1` and `~0` in each token) and, when it names a component, written back as
/// `#/components/{section}/{name}` with only `/` and `~` escaped, so every place that reads a
/// component's name from a `$ref` (`strip_prefix`, then a lookup) meets the name itself.
///
/// Then the schemas renamed: a name holding `/` or `~` (those characters made `_`; a `$ref`
/// escapes them, `~1` and `~0`, so the generator would meet one component under two names), and
/// a name whose Rust type an earlier component's already is (`error` after `Error`, suffixed:
/// `error2`, type `Error2`). `None` when nothing needs it.
fn addressable(spec: &OpenAPI) -> Result<Option<OpenAPI>, GenerateError> {
    let Some(components) = &spec.components else {
        return Ok(None);
    };
    let escaped = |name: &str| name.replace('~', "~0").replace('/', "~1");
    let mut taken: std::collections::BTreeSet<String> =
        components.schemas.keys().cloned().collect();
    let type_of = |name: &str| component_type(name).to_string();
    // Every name's own type, so a renamed one never takes a later component's.
    let own_types: std::collections::BTreeSet<String> = components
        .schemas
        .keys()
        .map(|name| type_of(name))
        .collect();
    let mut types = std::collections::BTreeSet::new();
    let mut renames = std::collections::BTreeMap::new();
    for name in components.schemas.keys() {
        if !name.contains(['/', '~']) && types.insert(type_of(name)) {
            continue;
        }
        let base = name.replace(['/', '~'], "_");
        let mut renamed = base.clone();
        let mut counter = 2;
        while taken.contains(&renamed)
            || types.contains(&type_of(&renamed))
            || (type_of(&renamed) != type_of(name) && own_types.contains(&type_of(&renamed)))
        {
            renamed = format!("{base}{counter}");
            counter += 1;
        }
        taken.insert(renamed.clone());
        types.insert(type_of(&renamed));
        renames.insert(
            format!("{SCHEMA_REF_PREFIX}{}", escaped(name)),
            (name.clone(), renamed),
        );
    }
    // Through YAML's value, whose maps keep their order: the document's order is the code's.
    let mut document =
        serde_yaml::to_value(spec).map_err(|err| invalid(&Pointer::default(), err.to_string()))?;
    let canonical = canonical_refs(&mut document);
    if renames.is_empty() && !canonical {
        return Ok(None);
    }
    fn rewrite(
        value: &mut serde_yaml::Value,
        renames: &std::collections::BTreeMap<String, (String, String)>,
    ) {
        match value {
            serde_yaml::Value::Mapping(object) => {
                for member in object.values_mut() {
                    match member {
                        // A `$ref`, or a discriminator's mapping value.
                        serde_yaml::Value::String(target) => {
                            if let Some((_, renamed)) = renames.get(target.as_str()) {
                                *target = format!("{SCHEMA_REF_PREFIX}{renamed}");
                            }
                        }
                        member => rewrite(member, renames),
                    }
                }
            }
            serde_yaml::Value::Sequence(items) => {
                items.iter_mut().for_each(|item| rewrite(item, renames))
            }
            _ => {}
        }
    }
    rewrite(&mut document, &renames);
    if let Some(serde_yaml::Value::Mapping(schemas)) = document
        .get_mut("components")
        .and_then(|components| components.get_mut("schemas"))
    {
        // Each renamed where it stands.
        let new_name: std::collections::BTreeMap<&str, &str> = renames
            .values()
            .map(|(old, renamed)| (old.as_str(), renamed.as_str()))
            .collect();
        *schemas = std::mem::take(schemas)
            .into_iter()
            .map(|(name, schema)| {
                let renamed = name
                    .as_str()
                    .and_then(|name| new_name.get(name))
                    .map_or(name, |renamed| serde_yaml::Value::from(*renamed));
                (renamed, schema)
            })
            .collect();
    }
    serde_yaml::from_value(document)
        .map(Some)
        .map_err(|err| invalid(&Pointer::default(), err.to_string()))
}

/// The component `#/components/{section}/{name}` a `$ref` (or a discriminator mapping value
/// written as one) names, as (section, name): the fragment's percent-escapes decoded first, then
/// `~1` and `~0` in each token (RFC 3986, RFC 6901). `None` for any other `$ref`.
pub(crate) fn component_of(reference: &str) -> Option<(String, String)> {
    let pointer = openapi_drift::pointer::percent_decode(reference.strip_prefix('#')?)?;
    let mut tokens = pointer.strip_prefix("/components/")?.split('/');
    let (section, name) = (tokens.next()?, tokens.next()?);
    if tokens.next().is_some() {
        return None;
    }
    let unescape = |token: &str| token.replace("~1", "/").replace("~0", "~");
    Some((unescape(section), unescape(name)))
}

/// Rewrites each `$ref` that names a component of `document`, however escaped, and each
/// discriminator mapping value that does, as `#/components/{section}/{name}` with only `/` and
/// `~` escaped; whether any changed. A `$ref` to no component is left as written (and refused
/// where it is read).
fn canonical_refs(document: &mut serde_yaml::Value) -> bool {
    use serde_yaml::Value;
    let Some(Value::Mapping(components)) = document.get("components") else {
        return false;
    };
    let exists = |section: &str, name: &str| {
        components
            .get(section)
            .and_then(Value::as_mapping)
            .is_some_and(|entries| entries.contains_key(name))
    };
    let mut spelled = std::collections::BTreeMap::new();
    let mut found = Vec::new();
    collect_refs(document, &mut found);
    for reference in found {
        if let Some((section, name)) = component_of(&reference)
            && exists(&section, &name)
        {
            let canonical = format!(
                "#/components/{section}/{}",
                name.replace('~', "~0").replace('/', "~1")
            );
            if canonical != reference {
                spelled.insert(reference, canonical);
            }
        }
    }
    if spelled.is_empty() {
        return false;
    }
    respell_refs(document, &spelled);
    true
}

/// Every `$ref` string, and every discriminator mapping value, in `value`.
fn collect_refs(value: &serde_yaml::Value, found: &mut Vec<String>) {
    use serde_yaml::Value;
    match value {
        Value::Mapping(object) => {
            for (key, member) in object {
                match (key.as_str(), member) {
                    (Some("$ref"), Value::String(reference)) => found.push(reference.clone()),
                    (Some("discriminator"), _) => {
                        if let Some(Value::Mapping(mapping)) = member.get("mapping") {
                            let values = mapping.values().filter_map(Value::as_str);
                            found.extend(values.map(str::to_owned));
                        }
                        // A property may be named `discriminator` too.
                        collect_refs(member, found);
                    }
                    _ => collect_refs(member, found),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect_refs(item, found)),
        _ => {}
    }
}

/// `value` with each `$ref` and discriminator mapping value in `spelled` respelled.
fn respell_refs(
    value: &mut serde_yaml::Value,
    spelled: &std::collections::BTreeMap<String, String>,
) {
    use serde_yaml::Value;
    let respell = |target: &mut Value| {
        if let Value::String(text) = target
            && let Some(canonical) = spelled.get(text.as_str())
        {
            *text = canonical.clone();
        }
    };
    match value {
        Value::Mapping(object) => {
            for (key, member) in object.iter_mut() {
                match key.as_str() {
                    Some("$ref") => respell(member),
                    Some("discriminator") => {
                        if let Some(Value::Mapping(mapping)) = member.get_mut("mapping") {
                            mapping.values_mut().for_each(respell);
                        }
                        // A property may be named `discriminator` too.
                        respell_refs(member, spelled);
                    }
                    _ => respell_refs(member, spelled),
                }
            }
        }
        Value::Sequence(items) => items
            .iter_mut()
            .for_each(|item| respell_refs(item, spelled)),
        _ => {}
    }
}

/// One pass of the generator: the stubs, and the items refused (when `refusals` skips them).
fn generate_once(
    spec: &OpenAPI,
    api_trait: &str,
    options: Requirements,
    mut refusals: Refusals,
) -> Result<(Stubs, Vec<(Item, GenerateError)>), GenerateError> {
    let root = Pointer::default();
    if !spec.openapi.starts_with("3.0.") {
        return Err(unsupported(
            &root.join("openapi"),
            format!("OpenAPI version {}; only 3.0.x is read", spec.openapi),
        ));
    }
    let empty = Components::default();
    let components = spec.components.as_ref().unwrap_or(&empty);
    let discriminators = match Discriminators::read(spec) {
        Ok(discriminators) => discriminators,
        Err(error) => {
            let item = match &error {
                GenerateError::Unsupported { pointer, .. }
                | GenerateError::Invalid { pointer, .. } => Item::at(pointer),
            };
            match item {
                Some(item) => refusals.refuse(item, error)?,
                None => return Err(error),
            }
            // The document is read again without the item.
            return Ok((Stubs::default(), refusals.take()));
        }
    };
    let mut hoisted = Hoisted::new(components, discriminators);
    hoisted.refusals = refusals;
    let models = generate_models(components, &mut hoisted)?;
    let operations = collect_operations(spec, components, options, &mut hoisted)?;
    let refused = hoisted.refusals.take();
    if !refused.is_empty() {
        return Ok((Stubs::default(), refused));
    }
    let hoisted = &hoisted.items;
    let mut models = quote! { #models #(#hoisted)* };
    // The components, and the hoisted types parameters name: utoipa collects what bodies
    // name itself, and a list of every type makes one method chain too long for rustc on
    // documents of thousands of schemas.
    let component_types: std::collections::BTreeSet<String> = components
        .schemas
        .keys()
        .map(|name| component_type(name).to_string())
        .collect();
    let mut parameter_types = String::new();
    for operation in &operations {
        for ty in operation.path_params.iter().map(|param| &param.ty).chain(
            operation
                .query_params
                .iter()
                .chain(&operation.header_params)
                .chain(&operation.cookie_params)
                .map(|param| &param.ty),
        ) {
            parameter_types.push_str(&ty.to_string());
            parameter_types.push(' ');
        }
    }
    let named_by_parameters: std::collections::BTreeSet<&str> =
        parameter_types.split_whitespace().collect();
    let documented: Vec<Ident> = documented_types(&models)?
        .into_iter()
        .filter(|ident| {
            let name = ident.to_string();
            component_types.contains(&name) || named_by_parameters.contains(name.as_str())
        })
        .collect();
    if options.derive_json_schema {
        models = json_schema::derive(models)?;
    }
    let api_trait = pascal_ident(api_trait, "Api");
    Ok((
        Stubs {
            models,
            operations: generate_operations(&operations, &api_trait),
            router: generate_router(&operations, components, &documented, &api_trait)?,
        },
        Vec::new(),
    ))
}

/// Every model that is `utoipa::ToSchema`, in the order of the models module.
fn documented_types(models: &TokenStream) -> Result<Vec<Ident>, GenerateError> {
    let file: syn::File = syn::parse2(models.clone())
        .map_err(|err| invalid(&Pointer::default(), format!("generated models: {err}")))?;
    let schema_types = schema_types(&file);
    Ok(file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(&item.ident),
            syn::Item::Enum(item) => Some(&item.ident),
            _ => None,
        })
        .filter(|ident| schema_types.contains(*ident))
        .cloned()
        .collect())
}

/// The types of `file` that are `utoipa::ToSchema`: derived, or implemented by hand (a newtype
/// documented with its document's own schema).
fn schema_types(file: &syn::File) -> std::collections::BTreeSet<Ident> {
    let derives_to_schema = |attrs: &[syn::Attribute]| {
        attrs.iter().any(|attr| {
            attr.path().is_ident("derive")
                && matches!(&attr.meta, syn::Meta::List(list) if list.tokens.to_string().contains("ToSchema"))
        })
    };
    let mut types = std::collections::BTreeSet::new();
    for item in &file.items {
        match item {
            syn::Item::Struct(item) if derives_to_schema(&item.attrs) => {
                types.insert(item.ident.clone());
            }
            syn::Item::Enum(item) if derives_to_schema(&item.attrs) => {
                types.insert(item.ident.clone());
            }
            syn::Item::Impl(item)
                if item.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|last| last.ident == "ToSchema")
                }) =>
            {
                if let syn::Type::Path(ty) = item.self_ty.as_ref()
                    && let Some(last) = ty.path.segments.last()
                {
                    types.insert(last.ident.clone());
                }
            }
            _ => {}
        }
    }
    types
}

mod json_schema {
    //! `schemars::JsonSchema` beside `utoipa::ToSchema` on every model, and `wire_schemas()`.

    use proc_macro2::TokenStream;
    use quote::quote;

    use super::{GenerateError, Pointer, invalid};

    /// Adds the derive to every item that derives `utoipa::ToSchema`, and lists them all in
    /// `wire_schemas()`.
    pub(super) fn derive(models: TokenStream) -> Result<TokenStream, GenerateError> {
        let mut file: syn::File = syn::parse2(models)
            .map_err(|err| invalid(&Pointer::default(), format!("generated models: {err}")))?;
        let schema_types = super::schema_types(&file);
        let mut idents = Vec::new();
        for item in &mut file.items {
            let (attrs, ident) = match item {
                syn::Item::Struct(item) => (&mut item.attrs, item.ident.clone()),
                syn::Item::Enum(item) => (&mut item.attrs, item.ident.clone()),
                _ => continue,
            };
            if !schema_types.contains(&ident) {
                continue;
            }
            for attr in attrs.iter_mut() {
                if !attr.path().is_ident("derive") {
                    continue;
                }
                let syn::Meta::List(list) = &mut attr.meta else {
                    continue;
                };
                if list.tokens.to_string().contains("serde :: Serialize") {
                    let tokens = &list.tokens;
                    list.tokens = quote! { #tokens, schemars::JsonSchema };
                    idents.push(ident.clone());
                }
            }
        }
        let names = idents.iter().map(ToString::to_string);
        Ok(quote! {
            #file

            /// Every model's JSON Schema (OpenAPI 3.0 flavour) as schemars derives it from the
            /// serde attributes, by type name: what serde really puts on the wire. `cargo xtask
            /// check` compares them with the spec's components.
            pub fn wire_schemas() -> serde_json::Map<String, serde_json::Value> {
                let mut generator = schemars::r#gen::SchemaSettings::openapi3().into_generator();
                let roots = [
                    #((#names, generator.subschema_for::<#idents>()),)*
                ];
                let mut schemas = serde_json::Map::new();
                for (name, schema) in roots {
                    schemas.insert(name.to_owned(), serde_json::to_value(schema).expect("a schema serializes"));
                }
                // A type schemars names is a definition; the entry above is only its `$ref`.
                for (name, schema) in generator.take_definitions() {
                    schemas.insert(name, serde_json::to_value(schema).expect("a schema serializes"));
                }
                schemas
            }
        })
    }
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

/// The Rust type named after a component: its name in PascalCase (`user` → `User`,
/// `dataSetList` → `DataSetList`, `error-model` → `ErrorModel`), with `Schema` in front when it
/// would not start with a letter and behind a prelude name (`Result` → `ResultSchema`).
/// Deterministic, so a `$ref` finds the same type.
fn component_type(name: &str) -> Ident {
    pascal_ident(name, "Schema")
}

/// utoipa names a component after its Rust type; where the spec's name differs, `as` keeps the
/// spec's name (when it is one utoipa can take: a plain identifier).
fn schema_as(name: &str) -> TokenStream {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain || component_type(name) == name {
        return TokenStream::new();
    }
    let name = rust_ident(name);
    quote! { #[schema(as = #name)] }
}

fn schema_ref_type(reference: &str, pointer: &Pointer) -> Result<Ident, GenerateError> {
    let name = reference.strip_prefix(SCHEMA_REF_PREFIX).ok_or_else(|| {
        unsupported(
            pointer,
            format!("$ref `{reference}`; only local `{SCHEMA_REF_PREFIX}*` references are read"),
        )
    })?;
    Ok(component_type(name))
}
