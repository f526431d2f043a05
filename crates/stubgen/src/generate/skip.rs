//! `--skip-unsupported`: a component or operation the generator refuses is left out, with
//! everything that refers to it, and the rest is generated. A large API with one odd operation
//! is not all-or-nothing; what was left out is listed, each with why.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};

use super::*;

/// A part of the document that is generated, or left out, as a whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Item {
    /// `#/components/schemas/{name}`.
    Schema(String),
    /// An operation, by path and method.
    Operation { path: String, method: String },
}

impl Item {
    fn pointer(&self) -> Pointer {
        match self {
            Self::Schema(name) => Pointer::default()
                .join("components")
                .join("schemas")
                .join(name),
            Self::Operation { path, method } => {
                Pointer::default().join("paths").join(path).join(method)
            }
        }
    }

    /// The item a refusal at `pointer` belongs to, when it lies inside one.
    pub(super) fn at(pointer: &str) -> Option<Self> {
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        match segments.as_slice() {
            [components, schemas, name, ..]
                if components == "components" && schemas == "schemas" =>
            {
                Some(Self::Schema(name.clone()))
            }
            [paths, path, method, ..] if paths == "paths" => Some(Self::Operation {
                path: path.clone(),
                method: method.clone(),
            }),
            _ => None,
        }
    }
}

/// Something the generator left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// The JSON pointer of the component or operation left out.
    pub pointer: String,
    /// The refusal, or the left-out item it refers to.
    pub reason: String,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.reason)
    }
}

/// Whether refusals end the generation, or leave their item out.
#[derive(Debug, Default)]
pub(super) struct Refusals {
    /// `Some` when skipping: the items refused so far.
    skipped: Option<Vec<(Item, GenerateError)>>,
}

impl Refusals {
    pub(super) fn skipping() -> Self {
        Self {
            skipped: Some(Vec::new()),
        }
    }

    /// Records that `item` is refused: the error back when refusals end the generation.
    pub(super) fn refuse(&mut self, item: Item, error: GenerateError) -> Result<(), GenerateError> {
        match &mut self.skipped {
            Some(skipped) => {
                skipped.push((item, error));
                Ok(())
            }
            None => Err(error),
        }
    }

    pub(super) fn take(&mut self) -> Vec<(Item, GenerateError)> {
        self.skipped
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

impl Hoisted {
    /// A component or operation could not be generated: see [`Refusals::refuse`].
    pub(super) fn fail(&mut self, item: Item, error: GenerateError) -> Result<(), GenerateError> {
        self.refusals.refuse(item, error)
    }
}

/// Removes the refused items from `spec`, and every component or operation that refers to one
/// of them (transitively), recording each in `left_out`.
pub(super) fn leave_out(
    spec: &mut OpenAPI,
    refused: Vec<(Item, GenerateError)>,
    left_out: &mut Vec<LeftOut>,
) -> Result<(), GenerateError> {
    let mut removed_schemas = BTreeSet::new();
    let mut removed_operations = BTreeSet::new();
    for (item, error) in refused {
        left_out.push(LeftOut {
            pointer: item.pointer().to_string(),
            reason: error.to_string(),
        });
        match item {
            Item::Schema(name) => removed_schemas.insert(name),
            Item::Operation { path, method } => removed_operations.insert((path, method)),
        };
    }
    let document = serde_json::to_value(&*spec)
        .map_err(|err| invalid(&Pointer::default(), format!("unreadable: {err}")))?;
    let empty = serde_json::Map::new();
    let sections = document
        .pointer("/components")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&empty);
    let schemas = sections
        .get("schemas")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&empty);
    // Components that refer to a removed one, until none is left.
    loop {
        let grown: Vec<(String, String)> = schemas
            .iter()
            .filter(|(name, _)| !removed_schemas.contains(*name))
            .filter_map(|(name, schema)| {
                let refers = first_removed(schema, sections, &removed_schemas)?;
                Some((name.clone(), refers))
            })
            .collect();
        if grown.is_empty() {
            break;
        }
        for (name, refers) in grown {
            left_out.push(LeftOut {
                pointer: Item::Schema(name.clone()).pointer().to_string(),
                reason: format!("refers to `{refers}`, which is left out"),
            });
            removed_schemas.insert(name);
        }
    }
    if let Some(paths) = document.get("paths").and_then(serde_json::Value::as_object) {
        for (path, item) in paths {
            let shared = item.get("parameters");
            for method in METHODS {
                let Some(operation) = item.get(*method) else {
                    continue;
                };
                let key = (path.clone(), (*method).to_owned());
                if removed_operations.contains(&key) {
                    continue;
                }
                let refers = first_removed(operation, sections, &removed_schemas).or_else(|| {
                    shared.and_then(|shared| first_removed(shared, sections, &removed_schemas))
                });
                if let Some(refers) = refers {
                    left_out.push(LeftOut {
                        pointer: Item::Operation {
                            path: path.clone(),
                            method: (*method).to_owned(),
                        }
                        .pointer()
                        .to_string(),
                        reason: format!("refers to `{refers}`, which is left out"),
                    });
                    removed_operations.insert(key);
                }
            }
        }
    }
    if let Some(components) = &mut spec.components {
        for name in &removed_schemas {
            components.schemas.shift_remove(name);
        }
    }
    for (path, method) in removed_operations {
        if let Some(ReferenceOr::Item(item)) = spec.paths.paths.get_mut(&path) {
            let slot = match method.as_str() {
                "get" => &mut item.get,
                "put" => &mut item.put,
                "post" => &mut item.post,
                "delete" => &mut item.delete,
                "options" => &mut item.options,
                "head" => &mut item.head,
                "patch" => &mut item.patch,
                "trace" => &mut item.trace,
                _ => continue,
            };
            *slot = None;
        }
    }
    Ok(())
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The first removed schema `value` refers to, following `$ref`s into the other component
/// sections (parameters, request bodies, responses, headers).
fn first_removed(
    value: &serde_json::Value,
    sections: &serde_json::Map<String, serde_json::Value>,
    removed: &BTreeSet<String>,
) -> Option<String> {
    let mut visited = BTreeSet::new();
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(reference) = object.get("$ref").and_then(serde_json::Value::as_str) {
                    if let Some(name) = reference.strip_prefix(SCHEMA_REF_PREFIX) {
                        if removed.contains(name) {
                            return Some(name.to_owned());
                        }
                    } else if let Some(target) = component_of(reference)
                        .and_then(|(section, name)| sections.get(&section)?.get(&name))
                        && visited.insert(reference.to_owned())
                    {
                        pending.push(target);
                    }
                }
                // A discriminator's mapping names schemas too.
                if let Some(mapping) = object
                    .get("discriminator")
                    .and_then(|discriminator| discriminator.get("mapping"))
                    .and_then(serde_json::Value::as_object)
                {
                    for target in mapping.values().filter_map(serde_json::Value::as_str) {
                        if let Some(name) = mapped_component(target)
                            && removed.contains(name)
                        {
                            return Some(name.to_owned());
                        }
                    }
                }
                pending.extend(object.values());
            }
            serde_json::Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    None
}
