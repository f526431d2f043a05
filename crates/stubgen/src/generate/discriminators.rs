//! Discriminators, read once for the whole document: which components are the variants of a
//! discriminated `oneOf`/`anyOf` or extend a base with `allOf` (OpenAPI 3.0 §4.8.25), and the tag
//! each such variant carries. A variant's tag property becomes a type of its own that only
//! admits the variant's values, so the discriminator decides the variant in both directions:
//! reading picks the variant the tag names, and a variant cannot be built or written with
//! another's tag.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use openapiv3::{Discriminator, ReferenceOr, Schema, SchemaKind};

/// The discriminators of a document.
#[derive(Debug, Default)]
pub(super) struct Discriminators {
    /// Bases (components with a discriminator that others extend through `allOf`), by
    /// component name: their subtypes, in document order, direct and transitive.
    pub(super) bases: BTreeMap<String, Vec<String>>,
    /// Components that are variants, by name: the tag they carry.
    pub(super) tags: BTreeMap<String, Tag>,
}

/// The tag a variant carries: its discriminator property, and the values naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag {
    pub(super) property: String,
    pub(super) values: Vec<String>,
}

/// The component a mapping value or `$ref` names: `#/components/schemas/Cat` or plain `Cat`.
pub(super) fn mapped_component(target: &str) -> Option<&str> {
    match target.strip_prefix(SCHEMA_REF_PREFIX) {
        Some(name) => Some(name),
        None if !target.contains('/') && !target.contains('#') => Some(target),
        None => None,
    }
}

impl Discriminators {
    /// Reads every discriminator of `spec`; refuses one that contradicts itself.
    pub(super) fn read(spec: &openapiv3::OpenAPI) -> Result<Self, GenerateError> {
        let empty = openapiv3::Components::default();
        let components = spec.components.as_ref().unwrap_or(&empty);
        let mut found = Self::default();
        let schemas = Pointer::default().join("components").join("schemas");
        // Inheritance: a base and the components that extend it.
        for (name, schema) in &components.schemas {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            let Some(discriminator) = &schema.schema_data.discriminator else {
                continue;
            };
            if matches!(
                schema.schema_kind,
                SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. }
            ) {
                continue;
            }
            let subtypes = subtypes_of(name, components);
            if subtypes.is_empty() {
                continue;
            }
            let pointer = schemas.join(name).join("discriminator");
            let branches: Vec<&str> = subtypes.iter().map(String::as_str).collect();
            if discriminator
                .mapping
                .values()
                .any(|target| mapped_component(target) == Some(name))
            {
                return Err(unsupported(
                    &pointer.join("mapping"),
                    "a discriminator mapping that names its own base schema",
                ));
            }
            for (component, values) in variant_values(discriminator, &branches, &pointer)? {
                found.add_tag(component, &discriminator.property_name, values, &pointer)?;
            }
            found.bases.insert(name.clone(), subtypes);
        }
        // Discriminated `oneOf`/`anyOf`, wherever they stand: their `$ref` branches.
        let document = serde_json::to_value(spec)
            .map_err(|err| invalid(&Pointer::default(), format!("unreadable: {err}")))?;
        let mut combinators = Vec::new();
        discriminated_combinators(&document, Pointer::default(), &mut combinators);
        for (pointer, discriminator, branches) in combinators {
            let names: Vec<&str> = branches
                .iter()
                .filter_map(|reference| reference.strip_prefix(SCHEMA_REF_PREFIX))
                .collect();
            let pointer = pointer.join("discriminator");
            for (component, values) in variant_values(&discriminator, &names, &pointer)? {
                found.add_tag(component, &discriminator.property_name, values, &pointer)?;
            }
        }
        for (component, tag) in &found.tags {
            check_tag(component, tag, components, &schemas.join(component))?;
        }
        Ok(found)
    }

    fn add_tag(
        &mut self,
        component: String,
        property: &str,
        values: Vec<String>,
        pointer: &Pointer,
    ) -> Result<(), GenerateError> {
        let tag = self.tags.entry(component.clone()).or_insert_with(|| Tag {
            property: property.to_owned(),
            values: Vec::new(),
        });
        if tag.property != property {
            return Err(unsupported(
                pointer,
                format!(
                    "`{component}` is a variant of two discriminators with different properties (`{}` and `{property}`)",
                    tag.property
                ),
            ));
        }
        for value in values {
            if !tag.values.contains(&value) {
                tag.values.push(value);
            }
        }
        Ok(())
    }

    /// Whether the component `name` is a base that subtypes extend (and so an enum of them).
    pub(super) fn is_base(&self, name: &str) -> bool {
        self.bases.contains_key(name)
    }
}

/// The values that name each branch: its `mapping` entries, or else its component name.
/// A mapping entry naming no branch, or a value naming two, is a contradiction.
pub(super) fn variant_values(
    discriminator: &Discriminator,
    branches: &[&str],
    pointer: &Pointer,
) -> Result<Vec<(String, Vec<String>)>, GenerateError> {
    for (value, target) in &discriminator.mapping {
        let named = mapped_component(target);
        if !named.is_some_and(|name| branches.contains(&name)) {
            return Err(invalid(
                &pointer.join("mapping").join(value),
                format!("`{target}` is not one of the schemas this discriminator chooses from"),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    let mut variants = Vec::new();
    for branch in branches {
        let mut values: Vec<String> = discriminator
            .mapping
            .iter()
            .filter(|(_, target)| mapped_component(target) == Some(branch))
            .map(|(value, _)| value.clone())
            .collect();
        if values.is_empty() {
            values.push((*branch).to_owned());
        }
        for value in &values {
            if !seen.insert(value.clone()) {
                return Err(invalid(
                    pointer,
                    format!("the value `{value}` names two branches"),
                ));
            }
        }
        variants.push(((*branch).to_owned(), values));
    }
    Ok(variants)
}

/// The components that extend `base` through `allOf`, directly or through another subtype.
fn subtypes_of(base: &str, components: &openapiv3::Components) -> Vec<String> {
    let extends = |name: &str, parents: &BTreeSet<String>| match components.schemas.get(name) {
        Some(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::AllOf { all_of },
            ..
        })) => all_of.iter().any(|branch| match branch {
            ReferenceOr::Reference { reference } => reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .is_some_and(|parent| parents.contains(parent)),
            ReferenceOr::Item(_) => false,
        }),
        _ => false,
    };
    let mut family = BTreeSet::from([base.to_owned()]);
    loop {
        let grown: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !family.contains(*name) && extends(name, &family))
            .cloned()
            .collect();
        if grown.is_empty() {
            break;
        }
        family.extend(grown);
    }
    components
        .schemas
        .keys()
        .filter(|name| *name != base && family.contains(*name))
        .cloned()
        .collect()
}

/// Every schema object of the document with a `discriminator` beside `oneOf`/`anyOf`: where it
/// stands, the discriminator, and its branches' `$ref`s.
fn discriminated_combinators(
    value: &serde_json::Value,
    pointer: Pointer,
    found: &mut Vec<(Pointer, Discriminator, Vec<String>)>,
) {
    match value {
        serde_json::Value::Object(object) => {
            let branches = object.get("oneOf").or_else(|| object.get("anyOf"));
            if let (Some(discriminator), Some(serde_json::Value::Array(branches))) =
                (object.get("discriminator"), branches)
                && let Ok(discriminator) =
                    serde_json::from_value::<Discriminator>(discriminator.clone())
            {
                let references = branches
                    .iter()
                    .filter_map(|branch| branch.get("$ref")?.as_str().map(str::to_owned))
                    .collect();
                found.push((pointer.clone(), discriminator, references));
            }
            for (key, member) in object {
                // Examples are data, not schemas.
                if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    discriminated_combinators(member, pointer.join(key), found);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                discriminated_combinators(item, pointer.join(index.to_string()), found);
            }
        }
        _ => {}
    }
}

/// The tag property must be a string property of the variant, and every value naming the
/// variant one its own schema admits (a mapping its own enum refuses would reject every payload).
fn check_tag(
    component: &str,
    tag: &Tag,
    components: &openapiv3::Components,
    pointer: &Pointer,
) -> Result<(), GenerateError> {
    let Some((schema, property_pointer)) =
        find_property(component, &tag.property, components, pointer.clone(), 0)
    else {
        return Err(invalid(
            pointer,
            format!(
                "the discriminator property `{}` is not a property of `{component}`",
                tag.property
            ),
        ));
    };
    let ReferenceOr::Item(schema) = schema else {
        return Err(unsupported(
            &property_pointer,
            "a discriminator property that is a $ref",
        ));
    };
    let SchemaKind::Type(openapiv3::Type::String(string)) = &schema.schema_kind else {
        return Err(invalid(
            &property_pointer,
            "a discriminator property that is not a string",
        ));
    };
    if !string.enumeration.is_empty() {
        for value in &tag.values {
            if !string.enumeration.contains(&Some(value.clone())) {
                return Err(invalid(
                    &property_pointer.join("enum"),
                    format!(
                        "the discriminator value `{value}` of `{component}` is not in the property's own enum"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The schema of `property` in the component `name`, through its `allOf` branches.
pub(super) fn find_property<'a>(
    name: &str,
    property: &str,
    components: &'a openapiv3::Components,
    pointer: Pointer,
    depth: usize,
) -> Option<(&'a ReferenceOr<Box<Schema>>, Pointer)> {
    // A cycle of `allOf`s is refused elsewhere; here it only must not loop.
    if depth > 32 {
        return None;
    }
    let ReferenceOr::Item(schema) = components.schemas.get(name)? else {
        return None;
    };
    in_schema(schema, property, components, pointer, depth)
}

fn in_schema<'a>(
    schema: &'a Schema,
    property: &str,
    components: &'a openapiv3::Components,
    pointer: Pointer,
    depth: usize,
) -> Option<(&'a ReferenceOr<Box<Schema>>, Pointer)> {
    match &schema.schema_kind {
        SchemaKind::Type(openapiv3::Type::Object(object)) => object
            .properties
            .get(property)
            .map(|schema| (schema, pointer.join("properties").join(property))),
        SchemaKind::AllOf { all_of } => all_of.iter().enumerate().find_map(|(index, branch)| {
            let branch_pointer = pointer.join("allOf").join(index.to_string());
            match branch {
                ReferenceOr::Reference { reference } => {
                    let parent = reference.strip_prefix(SCHEMA_REF_PREFIX)?;
                    let parent_pointer = Pointer::default()
                        .join("components")
                        .join("schemas")
                        .join(parent);
                    find_property(parent, property, components, parent_pointer, depth + 1)
                }
                ReferenceOr::Item(branch) => {
                    in_schema(branch, property, components, branch_pointer, depth + 1)
                }
            }
        }),
        _ => None,
    }
}
