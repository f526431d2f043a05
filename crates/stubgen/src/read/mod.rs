//! Reading a document: JSON as JSON and YAML as YAML, then the shapes `openapiv3` cannot take as
//! they are made readable first (the drift engine's `tolerate` step, shared, and the steps
//! below), and a document that still does not read is refused with the JSON pointer of what
//! failed.

use serde_json::{Map, Value};

use crate::Error;

/// How deep `$ref`s to places other than components are followed into each other.
const MAX_INLINED_DEPTH: usize = 16;

/// Reads an OpenAPI 3.0 document: as JSON when it is JSON (so JSON's own escapes, such as
/// surrogate pairs, read as JSON says), as YAML otherwise, as the drift engine reads it
/// ([`openapi_drift::parse_ordered`]). A `$ref` to another file is
/// refused: read such a document with [`read_document_at`].
pub fn read_document(text: &str) -> Result<openapiv3::OpenAPI, Error> {
    read(text, None, false)
}

/// Reads the OpenAPI 3.0 document in `file`, as [`read_document`] does, with the files its
/// `$ref`s name beside it (`pet.yaml`, `common.yaml#/components/schemas/Error`) brought in:
/// only files in its folder or the folders under it (see [`read_document_at_with`]).
pub fn read_document_at(file: &std::path::Path) -> Result<openapiv3::OpenAPI, Error> {
    read_document_at_with(file, false)
}

/// As [`read_document_at`]; with `allow_refs_outside`, `$ref`s to files outside the document's
/// folder are followed too (an absolute path, `../common.yaml`): see
/// [`crate::Options::allow_refs_outside`].
pub fn read_document_at_with(
    file: &std::path::Path,
    allow_refs_outside: bool,
) -> Result<openapiv3::OpenAPI, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|err| Error::Read(format!("cannot read {}: {err}", file.display())))?;
    read(&text, Some(file), allow_refs_outside)
}

fn read(
    text: &str,
    file: Option<&std::path::Path>,
    allow_refs_outside: bool,
) -> Result<openapiv3::OpenAPI, Error> {
    // Read in order (serde_yaml's maps keep it; JSON through serde_json, which reads its
    // escapes as JSON says), since the document's order is the generated code's.
    let mut ordered = openapi_drift::parse_ordered(text).map_err(Error::Read)?;
    // Named by its sort, never shown: a file that is no document may be anything.
    let sort = match &ordered {
        serde_yaml::Value::Mapping(_) => None,
        serde_yaml::Value::Null => Some("nothing (the text is empty)"),
        serde_yaml::Value::Sequence(_) => Some("an array"),
        _ => Some("a single value (a string, a number or a boolean)"),
    };
    if let Some(sort) = sort {
        return Err(Error::Read(format!(
            "its top level is {sort}, not an object{}",
            file.map(|file| format!(" ({})", file.display()))
                .unwrap_or_default()
        )));
    }
    let options = openapi_drift::BundleOptions { allow_refs_outside };
    openapi_drift::bundle_with(&mut ordered, file, options)
        .map_err(|err| Error::Read(err.to_string()))?;
    let mut document = json_of_yaml(ordered.clone());
    openapi_drift::tolerate(&mut document);
    inline_pointer_refs(&mut document)?;
    refuse_dangling_refs(&document, &document, &mut String::new())?;
    if let Some(top) = document.as_object_mut() {
        top.remove(openapi_drift::BUNDLED);
    }
    drop_inapplicable_keywords(&mut document);
    wrap_annotated_refs(&mut document);
    fold_annotation_branches(&mut document);
    clamp_integer_bounds(&mut document);
    let document = in_order(document, Some(&ordered));
    serde_path_to_error::deserialize(document.clone()).map_err(|err| {
        // `paths` and the component maps read through flattened maps, where the path ends:
        // read each entry on its own to find the one that fails.
        let (pointer, cause) = first_failing_entry(&json_of_yaml(document))
            .unwrap_or_else(|| (pointer_of(err.path()), err.into_inner().to_string()));
        Error::Read(format!("at {pointer}: {cause}"))
    })
}

/// `value` with each object's keys in the order the original document has them (keys it does
/// not have, such as an inlined `$ref`'s, after them).
fn in_order(value: Value, original: Option<&serde_yaml::Value>) -> serde_yaml::Value {
    match value {
        Value::Object(mut object) => {
            let original = original.and_then(serde_yaml::Value::as_mapping);
            let mut mapping = serde_yaml::Mapping::new();
            let keys: Vec<String> = original
                .into_iter()
                .flat_map(|original| original.keys())
                .filter_map(|key| yaml_key(key.clone()))
                .collect();
            for key in keys {
                if let Some(member) = object.remove(&key) {
                    let before = original.and_then(|original| original.get(key.as_str()));
                    mapping.insert(serde_yaml::Value::String(key), in_order(member, before));
                }
            }
            for (key, member) in object {
                mapping.insert(serde_yaml::Value::String(key), in_order(member, None));
            }
            serde_yaml::Value::Mapping(mapping)
        }
        Value::Array(items) => {
            let originals = original.and_then(serde_yaml::Value::as_sequence);
            serde_yaml::Value::Sequence(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| {
                        in_order(item, originals.and_then(|originals| originals.get(index)))
                    })
                    .collect(),
            )
        }
        other => serde_yaml::to_value(other).unwrap_or(serde_yaml::Value::Null),
    }
}

/// A mapping key as JSON's string key.
fn yaml_key(key: serde_yaml::Value) -> Option<String> {
    match key {
        serde_yaml::Value::String(key) => Some(key),
        serde_yaml::Value::Number(number) => Some(number.to_string()),
        serde_yaml::Value::Bool(value) => Some(value.to_string()),
        serde_yaml::Value::Null => Some("null".to_owned()),
        _ => None,
    }
}

/// The first path item or component that does not read on its own: its pointer, and why.
fn first_failing_entry(document: &Value) -> Option<(String, String)> {
    fn entries<T: serde::de::DeserializeOwned>(
        map: Option<&Value>,
        base: &str,
    ) -> Option<(String, String)> {
        map?.as_object()?.iter().find_map(|(name, entry)| {
            let err = serde_path_to_error::deserialize::<_, T>(entry).err()?;
            let name = name.replace('~', "~0").replace('/', "~1");
            let inner = pointer_of(err.path());
            let inner = if inner == "/" { String::new() } else { inner };
            Some((
                format!("{base}/{name}{inner}"),
                err.into_inner().to_string(),
            ))
        })
    }
    use openapiv3::ReferenceOr;
    let components = document.get("components");
    let section = |name: &str| components.and_then(|components| components.get(name));
    entries::<ReferenceOr<openapiv3::PathItem>>(document.get("paths"), "/paths")
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::Schema>>(section("schemas"), "/components/schemas")
        })
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::Parameter>>(
                section("parameters"),
                "/components/parameters",
            )
        })
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::Response>>(
                section("responses"),
                "/components/responses",
            )
        })
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::RequestBody>>(
                section("requestBodies"),
                "/components/requestBodies",
            )
        })
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::Header>>(section("headers"), "/components/headers")
        })
        .or_else(|| {
            entries::<ReferenceOr<openapiv3::SecurityScheme>>(
                section("securitySchemes"),
                "/components/securitySchemes",
            )
        })
}

/// YAML's value as JSON's: keys that are numbers or booleans (a status `200:`) become strings.
fn json_of_yaml(yaml: serde_yaml::Value) -> Value {
    match yaml {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(value) => Value::Bool(value),
        serde_yaml::Value::Number(number) => serde_json::to_value(number).unwrap_or(Value::Null),
        serde_yaml::Value::String(value) => Value::String(value),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(json_of_yaml).collect())
        }
        serde_yaml::Value::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        serde_yaml::Value::Mapping(_)
                        | serde_yaml::Value::Sequence(_)
                        | serde_yaml::Value::Tagged(_) => {
                            serde_yaml::to_string(&key).unwrap_or_default()
                        }
                        scalar => yaml_key(scalar).unwrap_or_default(),
                    };
                    (key, json_of_yaml(value))
                })
                .collect(),
        ),
        serde_yaml::Value::Tagged(tagged) => json_of_yaml(tagged.value),
    }
}

/// Replaces each `$ref` to a place in the document other than a component (say
/// `#/paths/~1a/get/parameters/0`, or `#/components/schemas/A/properties/b`) with what it
/// points to, as JSON Schema and OpenAPI say it means; the generator reads components by name.
fn inline_pointer_refs(document: &mut Value) -> Result<(), Error> {
    // What inlining may add in all, in JSON values: `$ref`s that point into each other level by
    // level would otherwise grow the document exponentially (a 2.6 KB document asked for GBs).
    let mut budget = MAX_INLINED_VALUES;
    for _ in 0..MAX_INLINED_DEPTH {
        let snapshot = document.clone();
        if !inline_once(document, &snapshot, &mut String::new(), &mut budget)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Refuses a `$ref` within the document that names nothing there (`#/components/schemas/Missing`):
/// generated, it named a type that does not exist, and the crate did not compile.
fn refuse_dangling_refs(value: &Value, document: &Value, at: &mut String) -> Result<(), Error> {
    match value {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str)
                && let Some(fragment) = reference.strip_prefix('#')
                && openapi_drift::pointer::percent_decode(fragment)
                    .is_none_or(|pointer| document.pointer(&pointer).is_none())
            {
                return Err(Error::Read(format!(
                    "at {at}: `$ref: {reference}` names nothing in the document"
                )));
            }
            for (key, member) in object {
                if !is_data(key) {
                    let length = at.len();
                    at.push('/');
                    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    refuse_dangling_refs(member, document, at)?;
                    at.truncate(length);
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = at.len();
                at.push('/');
                at.push_str(&index.to_string());
                refuse_dangling_refs(item, document, at)?;
                at.truncate(length);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// How many JSON values inlining `$ref`s may add to a document.
const MAX_INLINED_VALUES: usize = 1_000_000;

fn inline_once(
    value: &mut Value,
    document: &Value,
    at: &mut String,
    budget: &mut usize,
) -> Result<bool, Error> {
    match value {
        Value::Object(object) => {
            let reference = object
                .get("$ref")
                .and_then(Value::as_str)
                .filter(|reference| !is_component(reference))
                .and_then(|reference| reference.strip_prefix('#'))
                .and_then(openapi_drift::pointer::percent_decode);
            if let Some(pointer) = reference
                && let Some(target) = document.pointer(&pointer)
            {
                // A `$ref` to a place that holds it (`#`, its own parent) never ends.
                if (at.starts_with(&pointer) && at[pointer.len()..].starts_with('/'))
                    || *at == pointer
                {
                    return Err(Error::Read(format!(
                        "at {at}: `$ref: #{pointer}` names a place that holds the `$ref` itself"
                    )));
                }
                let size = values_in(target);
                *budget = budget.checked_sub(size).ok_or_else(|| {
                    Error::Read(format!(
                        "at {at}: `$ref`s to places other than components expand past {MAX_INLINED_VALUES} values"
                    ))
                })?;
                *value = target.clone();
                return Ok(true);
            }
            let mut changed = false;
            for (key, member) in object.iter_mut() {
                if !is_data(key) {
                    let length = at.len();
                    at.push('/');
                    at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    changed |= inline_once(member, document, at, budget)?;
                    at.truncate(length);
                }
            }
            Ok(changed)
        }
        Value::Array(items) => {
            let mut changed = false;
            for (index, item) in items.iter_mut().enumerate() {
                let length = at.len();
                at.push('/');
                at.push_str(&index.to_string());
                changed |= inline_once(item, document, at, budget)?;
                at.truncate(length);
            }
            Ok(changed)
        }
        _ => Ok(false),
    }
}

/// How many JSON values `value` holds, itself included.
fn values_in(value: &Value) -> usize {
    1 + match value {
        Value::Object(object) => object.values().map(values_in).sum(),
        Value::Array(items) => items.iter().map(values_in).sum(),
        _ => 0,
    }
}

/// `#/components/{section}/{name}`: what the generator reads by name. Read as the pointer the
/// fragment holds (percent-escapes decoded), as the generator reads it: `…/A%2Fb` is `…/A/b`.
fn is_component(reference: &str) -> bool {
    reference
        .strip_prefix('#')
        .and_then(openapi_drift::pointer::percent_decode)
        .is_some_and(|pointer| {
            pointer
                .strip_prefix("/components/")
                .is_some_and(|rest| rest.split('/').count() == 2)
        })
}

/// Keys whose values are data (examples), never rewritten. (`default` is no such key: it is
/// also the default response.)
fn is_data(key: &str) -> bool {
    matches!(key, "example" | "examples") || key.starts_with("x-")
}

/// The keywords of each type: JSON Schema applies a keyword only to values of its type, so on a
/// schema of another `type` it says nothing.
const KEYWORDS_OF: &[(&str, &[&str])] = &[
    ("string", &["minLength", "maxLength", "pattern"]),
    (
        "number",
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
    ),
    ("array", &["items", "minItems", "maxItems", "uniqueItems"]),
    (
        "object",
        &[
            "properties",
            "required",
            "additionalProperties",
            "minProperties",
            "maxProperties",
        ],
    ),
];

/// Removes, from each schema with a `type`, the keywords that cannot apply to it (a `format` on
/// an object, `uniqueItems` on a string, `properties` on an array), which `openapiv3` cannot
/// hold beside the type; and a `type: object` beside `allOf`, `oneOf` or `anyOf`, whose
/// branches say what they are.
fn drop_inapplicable_keywords(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(kind) = object
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned)
            {
                let applies = |keyword: &str, kind: &str| {
                    KEYWORDS_OF.iter().all(|(owner, keywords)| {
                        !keywords.contains(&keyword)
                            || *owner == kind
                            || (*owner == "number" && kind == "integer")
                    })
                };
                object.retain(|keyword, _| applies(keyword, &kind));
                if !matches!(kind.as_str(), "string" | "number" | "integer") {
                    object.remove("format");
                }
                let combined = ["allOf", "oneOf", "anyOf"]
                    .iter()
                    .any(|keyword| object.contains_key(*keyword));
                if kind == "object" && combined {
                    object.remove("type");
                }
            }
            for (key, member) in object.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default")
                    && !key.starts_with("x-")
                {
                    drop_inapplicable_keywords(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_inapplicable_keywords),
        _ => {}
    }
}

/// Keywords that annotate a schema without constraining its values.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "example",
    "externalDocs",
    "default",
];

/// Annotations beside a `$ref` that change what the value may be (`nullable`, `readOnly`,
/// `writeOnly`, `default`): OpenAPI 3.0 says a `$ref`'s siblings are ignored, but documents
/// mean them (Asana's `{$ref: UserCompact, nullable: true}` is "or null"), as the drift engine
/// and most tools read them. Written as `allOf: [{$ref}]` with the annotations beside, they
/// are read; other siblings are dropped, as 3.0 says.
fn wrap_annotated_refs(value: &mut Value) {
    const MEANT: [&str; 4] = ["nullable", "readOnly", "writeOnly", "default"];
    match value {
        Value::Object(object) => {
            if object.get("$ref").is_some_and(Value::is_string)
                && MEANT.iter().any(|keyword| object.contains_key(*keyword))
                && let Some(reference) = object.remove("$ref")
            {
                // Beside the annotations, what else a `$ref` has (Twilio's `type: string`) is
                // what the target says: the target decides.
                object.retain(|keyword, _| {
                    ANNOTATIONS.contains(&keyword.as_str()) || keyword.starts_with("x-")
                });
                object.insert(
                    "allOf".to_owned(),
                    Value::Array(vec![serde_json::json!({"$ref": reference})]),
                );
            }
            for (key, member) in object.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default")
                    && !key.starts_with("x-")
                {
                    wrap_annotated_refs(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_annotated_refs),
        _ => {}
    }
}

/// An `allOf` branch that only annotates the whole, as in `allOf: [{$ref: User}, {nullable:
/// true}]` or `[{$ref: Named}, {description: …}]` (an empty `type: object` beside annotations
/// says no more than the other branch): its annotations move up to the schema (where it does
/// not say them itself) and the branch goes, so the schema reads as the branches that remain.
fn fold_annotation_branches(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let annotates = |branch: &Value| {
                branch.as_object().is_some_and(|branch| {
                    branch.iter().all(|(keyword, member)| {
                        ANNOTATIONS.contains(&keyword.as_str())
                            || keyword.starts_with("x-")
                            || (keyword == "type" && member == "object")
                    })
                })
            };
            let mut moved = Map::new();
            if let Some(Value::Array(branches)) = object.get_mut("allOf")
                && branches.len() > 1
                && branches.iter().any(|branch| !annotates(branch))
            {
                branches.retain(|branch| {
                    if !annotates(branch) {
                        return true;
                    }
                    for (keyword, member) in branch.as_object().into_iter().flatten() {
                        if keyword != "type" && !keyword.starts_with("x-") {
                            moved
                                .entry(keyword.clone())
                                .or_insert_with(|| member.clone());
                        }
                    }
                    false
                });
            }
            for (keyword, member) in moved {
                object.entry(keyword).or_insert(member);
            }
            for (key, member) in object.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default")
                    && !key.starts_with("x-")
                {
                    fold_annotation_branches(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fold_annotation_branches),
        _ => {}
    }
}

/// An integer schema's bound that no `i64` holds (`minimum: -9223372036854776000`, a float in
/// JSON) says no more than the bound of `i64` itself.
fn clamp_integer_bounds(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("type").and_then(Value::as_str) == Some("integer") {
                clamp(object, "minimum");
                clamp(object, "maximum");
            }
            for (key, member) in object.iter_mut() {
                if !is_data(key) {
                    clamp_integer_bounds(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clamp_integer_bounds),
        _ => {}
    }
}

fn clamp(object: &mut Map<String, Value>, keyword: &str) {
    let Some(bound) = object.get(keyword) else {
        return;
    };
    if bound.is_i64() {
        return;
    }
    let clamped = match bound.as_f64() {
        Some(bound) if bound <= i64::MIN as f64 => Some(i64::MIN),
        Some(bound) if bound >= i64::MAX as f64 => Some(i64::MAX),
        // A fraction: the integer bound it implies.
        Some(bound) if keyword == "minimum" => Some(bound.ceil() as i64),
        Some(bound) => Some(bound.floor() as i64),
        None => None,
    };
    if let Some(clamped) = clamped {
        object.insert(keyword.to_owned(), Value::from(clamped));
    }
}

/// The JSON pointer of a serde path (`paths./a.get.responses` → `/paths/~1a/get/responses`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        let segment = match segment {
            serde_path_to_error::Segment::Seq { index } => index.to_string(),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => continue,
        };
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    if pointer.is_empty() {
        "/".to_owned()
    } else {
        pointer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_that_never_end_or_explode_are_refused() {
        // A `$ref` to the whole document, or to a place that holds it, never ends. (One to
        // `#/components/schemas/A/properties`, a map of schemas, is no schema: the bundler
        // refuses it first.)
        for reference in ["#", "#/components/schemas/A/properties/a"] {
            let text = format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        a: {{ $ref: '{reference}' }}\n"
            );
            let err = read_document(&text).unwrap_err().to_string();
            assert!(
                err.contains("holds the `$ref` itself"),
                "{reference}: {err}"
            );
        }
        // Levels that each hold the one below eight times: 8^8 values once inlined.
        let mut text = String::from(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-defs:\n  L0: {type: string}\n",
        );
        for level in 1..=8 {
            let members: String = (0..8)
                .map(|member| format!("m{member}: {{$ref: '#/x-defs/L{}'}}, ", level - 1))
                .collect();
            text.push_str(&format!(
                "  L{level}: {{type: object, properties: {{{members}}}}}\n"
            ));
        }
        text.push_str("components:\n  schemas:\n    Top: {$ref: '#/x-defs/L8'}\n");
        let err = read_document(&text).unwrap_err().to_string();
        assert!(err.contains("expand past"), "{err}");
    }

    /// A `$ref` to nothing in the document generated a type that does not exist.
    #[test]
    fn refs_to_nothing_are_refused_where_they_stand() {
        for (reference, at) in [
            (
                "#/components/schemas/Missing",
                "/components/schemas/A/properties/a",
            ),
            (
                "#/components/schemas/A%20B",
                "/components/schemas/A/properties/a",
            ),
            (
                "#/components/responses/Gone",
                "/components/schemas/A/properties/a",
            ),
        ] {
            let text = format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        a: {{ $ref: '{reference}' }}\n"
            );
            let err = read_document(&text).unwrap_err().to_string();
            assert!(
                err.contains(at) && err.contains("names nothing"),
                "{reference}: {err}"
            );
        }
        // One that names something reads.
        let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    B: {type: string}\n    A:\n      type: object\n      properties:\n        a: { $ref: '#/components/schemas/B' }\n";
        read_document(text).unwrap();
    }

    /// A `$ref` to a file outside the document's folder is refused unless allowed; allowed, a
    /// file that is no document is named, never shown (`/etc/passwd`'s lines were in the error).
    #[test]
    fn files_outside_the_documents_folder_are_read_only_when_allowed() {
        let dir = std::env::temp_dir().join(format!("stubgen-read-outside-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("spec")).unwrap();
        std::fs::write(
            dir.join("passwd"),
            "root:x:0:0:root:/root:/bin/bash\nSECRET-hunter2:x:1:1::/:/bin/sh\n",
        )
        .unwrap();
        let file = dir.join("spec/api.yaml");
        std::fs::write(
            &file,
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '../passwd'}\n",
        )
        .unwrap();
        let err = read_document_at(&file).unwrap_err().to_string();
        assert!(
            err.contains("`$ref: ../passwd` at /components/schemas/A")
                && err.contains("outside the document's folder"),
            "{err}"
        );
        // Nor is a document that is no object shown.
        let err = read_document_at(&dir.join("passwd"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("its top level is a single value"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("/bin/"), "{err}");
        let err = read_document_at_with(&file, true).unwrap_err().to_string();
        assert!(
            err.contains("passwd is not a JSON or YAML document of objects"),
            "{err}"
        );
        assert!(!err.contains("hunter2") && !err.contains("/bin/"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A schema's `$ref` to a place of the document that holds no schema is refused, not read
    /// as a schema of no keywords (any value).
    #[test]
    fn a_schema_ref_to_what_is_no_schema_is_refused() {
        let err = read_document(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/info'}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`$ref: #/info` at /components/schemas/A") && err.contains("no schema"),
            "{err}"
        );
    }

    #[test]
    fn a_ref_to_any_place_in_the_document_reads_as_what_it_points_to() {
        let document = read_document(
            r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /a/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: ok }
  /b/{id}:
    get:
      parameters:
        - $ref: "#/paths/~1a~1%7Bid%7D/get/parameters/0"
      responses:
        "200": { description: ok }
"##,
        )
        .unwrap();
        let b = document.paths.paths["/b/{id}"].as_item().unwrap();
        let parameter = b.get.as_ref().unwrap().parameters[0].as_item().unwrap();
        assert_eq!(parameter.parameter_data_ref().name, "id");
    }

    #[test]
    fn integer_bounds_beyond_i64_and_status_keys_read() {
        let document = read_document(
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
              "components": {"schemas": {"Big": {"type": "integer",
              "minimum": -9223372036854776000, "maximum": 1e30}}}}"#,
        )
        .unwrap();
        let big = document.components.unwrap().schemas["Big"]
            .as_item()
            .unwrap()
            .clone();
        let openapiv3::SchemaKind::Type(openapiv3::Type::Integer(integer)) = big.schema_kind else {
            panic!("an integer");
        };
        assert_eq!(
            (integer.minimum, integer.maximum),
            (Some(i64::MIN), Some(i64::MAX))
        );
    }

    #[test]
    fn keywords_of_another_type_say_nothing() {
        let document = read_document(
            r##"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
              "components": {"schemas": {
                "Uris": {"type": "object", "format": "uri-map", "nullable": true},
                "Name": {"type": "string", "uniqueItems": true, "maxLength": 5},
                "Both": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Uris"}]},
                "properties": {"type": "array", "items": {"type": "string"},
                  "properties": {"empty": {"type": "boolean"}}}}}}"##,
        )
        .unwrap();
        let schemas = document.components.unwrap().schemas;
        let kind = |name: &str| schemas[name].as_item().unwrap().schema_kind.clone();
        assert!(matches!(
            kind("Uris"),
            openapiv3::SchemaKind::Type(openapiv3::Type::Object(_))
        ));
        let openapiv3::SchemaKind::Type(openapiv3::Type::String(name)) = kind("Name") else {
            panic!("a string");
        };
        assert_eq!(name.max_length, Some(5));
        assert!(matches!(kind("Both"), openapiv3::SchemaKind::AllOf { .. }));
        // A component named like a keyword is still a component.
        assert!(matches!(
            kind("properties"),
            openapiv3::SchemaKind::Type(openapiv3::Type::Array(_))
        ));
    }

    #[test]
    fn json_reads_as_json_and_what_does_not_parse_says_where() {
        // JSON's surrogate pairs (YAML would refuse them), after a byte order mark.
        let document = read_document(
            "\u{feff}{\"openapi\": \"3.0.3\", \"paths\": {},
              \"info\": {\"title\": \"\\ud83d\\ude00\", \"version\": \"1\"}}",
        )
        .unwrap();
        assert_eq!(document.info.title, "\u{1f600}");
        // Text that neither JSON nor YAML reads is explained by JSON's error when it looks like
        // JSON. (JSON that is not, such as with a trailing comma, may still read as YAML.)
        for text in [
            "{\"openapi\": \"3.0.3\",\n  \"info\": ]}",
            "openapi: 3.0.3\ninfo: a: b\n",
        ] {
            let Err(Error::Read(message)) = read_document(text) else {
                panic!("a read error: {text}");
            };
            assert!(message.contains("line 2"), "{message}");
        }
    }

    #[test]
    fn what_does_not_read_is_named_by_its_pointer() {
        let refused = read_document(
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
              "paths": {"/a": {"get": {"responses": {"200": {"description": 7}}}}}}"#,
        )
        .unwrap_err();
        let Error::Read(message) = refused else {
            panic!("a read error");
        };
        assert!(message.starts_with("at /paths/~1a"), "{message}");
    }
}
