//! A document split over files made one, before it is read: each external `$ref`
//! (`pet.yaml`, `common.yaml#/components/schemas/Error`, `paths/pets.yaml`) is resolved against
//! the file it is written in, as `redocly bundle` does. What it names comes home:
//! - a component of another file (`#/components/{section}/{name}`) as a component of the
//!   document, under its own name (suffixed if the document already has that name);
//! - any other schema (a whole file, or a place in one) as a component schema named after it;
//! - anything else (a path item, a parameter or response in a place of its own) where the
//!   document's own pointer `$ref`s are inlined, so it reads as what it points to.
//!
//! A discriminator's `mapping` values that are `$ref`s (`dog: pets.yaml#/Dog`) are resolved as
//! a schema's `$ref` is; a value that is a component's name (`dog: Dog`) is left as it is.
//!
//! The `$ref`s inside a file brought in, its own `#/…` ones included, are resolved against that
//! file; a `$ref` back into the document is the document's own. Files are read once each, and
//! a schema that reaches itself through other files is one component. `$ref`s to URLs are left
//! as they are (nothing is fetched). It works on YAML's values, which keep each file's order.
//!
//! Only files in the root document's folder (or the folders under it) are read unless
//! [`BundleOptions::allow_refs_outside`]: a document is input, and must not have `/etc/passwd`
//! read. No message quotes a file that is no document; it is named, with what sort it is.
//!
//! What would read as "any value" is refused instead, naming the `$ref` and where it is: a
//! fragment that is no JSON pointer (`pet.yaml#Pet`), an empty file (or one whose top level is
//! no object or array), a pointer to `null`, and a schema's `$ref` to a place of an OpenAPI
//! document that holds no schema (`#/info`, `#/paths/~1a/get`).
//! The drift engine ([`crate::load_path`]) and the generator (`stubgen`) both read through it.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
};

use serde_yaml::{Mapping, Value};

use crate::error::DriftError;

/// Where the content brought in that is no component is held, for the document's `$ref`s to
/// point into (the generator then inlines it).
pub const BUNDLED: &str = "x-bundled";

/// What a value is, by where it sits: what a `$ref` there may name, and which keys hold data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Schema,
    /// `properties`, `components/schemas`: a schema per key.
    SchemaMap,
    /// `allOf`, `oneOf`, `anyOf`: a schema per item.
    SchemaList,
    Other,
}

impl Place {
    fn of_member(self, key: &str) -> Self {
        match (self, key) {
            (
                Self::Schema,
                "properties" | "patternProperties" | "definitions" | "$defs" | "dependentSchemas",
            )
            | (Self::Other, "schemas") => Self::SchemaMap,
            (
                Self::Schema,
                "items"
                | "additionalProperties"
                | "not"
                | "if"
                | "then"
                | "else"
                | "contains"
                | "propertyNames"
                | "additionalItems"
                | "unevaluatedItems"
                | "unevaluatedProperties"
                | "contentSchema",
            ) => Self::Schema,
            (Self::Schema, "allOf" | "oneOf" | "anyOf" | "prefixItems") => Self::SchemaList,
            (Self::SchemaMap, _) | (Self::Other, "schema") => Self::Schema,
            _ => Self::Other,
        }
    }

    fn of_item(self) -> Self {
        match self {
            Self::SchemaList => Self::Schema,
            _ => Self::Other,
        }
    }

    /// What a value in this place is, for a message.
    fn holds(self) -> &'static str {
        match self {
            Self::Schema => "a schema",
            Self::SchemaMap => "a map of schemas, not a schema",
            Self::SchemaList => "a list of schemas, not a schema",
            Self::Other => "no schema",
        }
    }

    /// Keys whose values are data (examples, defaults, enums), never `$ref`s.
    fn holds_data(self, key: &str) -> bool {
        key.starts_with("x-")
            || match self {
                Self::Schema => matches!(key, "example" | "default" | "enum"),
                Self::Other => matches!(key, "example" | "value"),
                Self::SchemaMap | Self::SchemaList => false,
            }
    }
}

/// How a refusal of a file outside the document's folder says to allow it.
const HOW_TO_ALLOW: &str =
    "`--allow-refs-outside` on the command line, `allow_refs_outside` in the options";

/// How far the bundler may read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BundleOptions {
    /// Follow `$ref`s to files outside the root document's folder (the folder it is in and the
    /// folders under it): an absolute path, a `../` that climbs out of it, or a symbolic link
    /// that leads out of it. Off by default: a document is input, and one that names
    /// `/etc/passwd` or `../../.ssh/id_rsa` must not have them read (what is read is brought
    /// into the document, and so into the code and the messages made from it). Turn it on for
    /// a document of your own that shares files with others (`../common.yaml` in a monorepo).
    pub allow_refs_outside: bool,
}

/// Resolves the `$ref`s into other files of `document`, read from `file`, under the default
/// [`BundleOptions`]: no file outside the document's folder is read. With no file (a document
/// given as text), such a `$ref` is refused: there is nothing to resolve it against.
pub fn bundle(document: &mut Value, file: Option<&Path>) -> Result<(), DriftError> {
    bundle_with(document, file, BundleOptions::default())
}

/// As [`bundle`], under `options`.
pub fn bundle_with(
    document: &mut Value,
    file: Option<&Path>,
    options: BundleOptions,
) -> Result<(), DriftError> {
    let root = match file {
        Some(file) => Some(file.canonicalize().map_err(|source| DriftError::Io {
            path: file.to_owned(),
            source,
        })?),
        None => None,
    };
    let mut taken: HashMap<String, BTreeSet<String>> = HashMap::new();
    if let Some(Value::Mapping(components)) = document.get("components") {
        for (section, entries) in components {
            if let (Value::String(section), Value::Mapping(entries)) = (section, entries) {
                let names = entries.keys().filter_map(Value::as_str).map(str::to_owned);
                taken.insert(section.clone(), names.collect());
            }
        }
    }
    let mut bundler = Bundler {
        depth: 0,
        options,
        into_document: Vec::new(),
        root: root.clone(),
        files: HashMap::new(),
        homes: HashMap::new(),
        taken,
        components: Vec::new(),
        held: Vec::new(),
    };
    let here = root.unwrap_or_default();
    bundler.components_that_are_files(document, &here)?;
    bundler.walk(document, &here, Place::Other, "")?;
    let Bundler {
        components,
        held,
        into_document,
        ..
    } = bundler;
    // A schema's `$ref` to a place of the document that holds no schema (`#/info`) would read
    // as a schema of no keywords, that is any value: refused.
    for (reference, site, pointer) in into_document {
        if let Some(place) = place_at(&pointer)
            && place != Place::Schema
            && !pointer.is_empty()
            && value_at(document, &pointer).is_some()
        {
            return Err(DriftError::FileRef {
                reference,
                at: site,
                reason: format!(
                    "a schema's `$ref` to #{pointer}, which holds {} in an OpenAPI document",
                    place.holds()
                ),
            });
        }
    }
    if !components.is_empty() {
        let Value::Mapping(top) = document else {
            return Ok(());
        };
        let sections = top
            .entry(Value::from("components"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        for (section, name, content) in components {
            if let Value::Mapping(sections) = sections
                && let Value::Mapping(entries) = sections
                    .entry(Value::from(section))
                    .or_insert_with(|| Value::Mapping(Mapping::new()))
            {
                entries.insert(Value::from(name), content);
            }
        }
    }
    if !held.is_empty()
        && let Value::Mapping(top) = document
    {
        top.insert(Value::from(BUNDLED), Value::Sequence(held));
    }
    Ok(())
}

/// The members of an OpenAPI document's top level.
const DOCUMENT_MEMBERS: &[&str] = &[
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "paths",
    "webhooks",
    "components",
    "security",
    "tags",
    "externalDocs",
];

/// What the place `pointer` of an OpenAPI document holds, by where it sits (`#/info` no schema,
/// `#/components/schemas/A/properties/b` a schema): `None` where the document's structure does
/// not say (under an `x-` key, a top-level key OpenAPI does not define, a keyword of a schema
/// that holds no schema).
fn place_at(pointer: &str) -> Option<Place> {
    let mut place = Place::Other;
    for (index, segment) in pointer.split('/').skip(1).enumerate() {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.starts_with("x-") || (index == 0 && !DOCUMENT_MEMBERS.contains(&&*segment)) {
            return None;
        }
        place = match place {
            Place::SchemaList => segment.parse::<usize>().ok().map(|_| Place::Schema)?,
            Place::Schema => match place.of_member(&segment) {
                Place::Other if !place.holds_data(&segment) => return None,
                next => next,
            },
            _ => place.of_member(&segment),
        };
    }
    Some(place)
}

/// The value at `pointer` (RFC 6901) of `value`, YAML's numeric keys read as their text.
fn value_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut value = value;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        value = match value {
            Value::Mapping(members) => members
                .iter()
                .find(|(key, _)| key_text(key).as_deref() == Some(&*segment))
                .map(|(_, member)| member)?,
            Value::Sequence(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Whether `value` reads as an OpenAPI document (or a piece of one kept as one, such as a file
/// of `components`), whose places say what they hold.
fn is_document(value: &Value) -> bool {
    value.as_mapping().is_some_and(|members| {
        members.keys().filter_map(Value::as_str).any(|key| {
            matches!(
                key,
                "openapi" | "info" | "paths" | "components" | "webhooks"
            )
        })
    })
}

/// What a `$ref` names.
enum Target {
    /// The document's own `#/…`, or a URL: left as it is.
    Unchanged,
    /// A place in the document, named from another file.
    Document(String),
    /// A pointer into another file (canonical path).
    File(PathBuf, String),
}

/// How many `$ref`s from file to file a chain may hold.
const MAX_CHAIN: usize = 64;

struct Bundler {
    /// How many files deep the `$ref` being resolved is.
    depth: usize,
    options: BundleOptions,
    /// The schema `$ref`s that name a place of the document: (`$ref`, its site, the pointer).
    into_document: Vec<(String, String, String)>,
    /// The document's own file (canonical), if it was read from one.
    root: Option<PathBuf>,
    /// Each file read, by its canonical path.
    files: HashMap<PathBuf, Value>,
    /// The document's `$ref` of each (file, pointer) brought in.
    homes: HashMap<(PathBuf, String), String>,
    /// The component names of each section, the document's own and those brought in.
    taken: HashMap<String, BTreeSet<String>>,
    /// (section, name, content) of each component brought in, in the order they were met.
    components: Vec<(String, String, Value)>,
    held: Vec<Value>,
}

impl Bundler {
    fn walk(
        &mut self,
        value: &mut Value,
        file: &Path,
        place: Place,
        at: &str,
    ) -> Result<(), DriftError> {
        match value {
            Value::Mapping(members) => {
                if let Some(Value::String(reference)) = members.get("$ref") {
                    let reference = reference.clone();
                    if let Some(home) = self.home_of(&reference, file, place, at)? {
                        members.insert(Value::from("$ref"), Value::from(home));
                    }
                    return Ok(());
                }
                for (key, member) in members.iter_mut() {
                    // YAML reads `200:` as a number: a key all the same.
                    let Some(key) = key_text(key) else { continue };
                    let key = key.as_str();
                    if place.holds_data(key) {
                        continue;
                    }
                    let inner = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if place == Place::Schema && key == "discriminator" {
                        self.mapping_refs(member, file, &inner)?;
                        continue;
                    }
                    self.walk(member, file, place.of_member(key), &inner)?;
                }
                Ok(())
            }
            Value::Sequence(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.walk(item, file, place.of_item(), &format!("{at}/{index}"))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The values of a discriminator's `mapping` that are `$ref`s (`pets.yaml#/Dog`, `#/Dog` in
    /// another file) made the document's, as a schema's `$ref`s are; a value that is a
    /// component's name (`Dog`) is left as it is.
    fn mapping_refs(
        &mut self,
        discriminator: &mut Value,
        file: &Path,
        at: &str,
    ) -> Result<(), DriftError> {
        let Some(Value::Mapping(mapping)) = discriminator.get_mut("mapping") else {
            return Ok(());
        };
        for (key, target) in mapping.iter_mut() {
            let (Some(key), Value::String(reference)) = (key_text(key), &*target) else {
                continue;
            };
            let is_ref = reference.contains(['#', '/'])
                || [".yaml", ".yml", ".json"]
                    .iter()
                    .any(|extension| reference.ends_with(extension));
            if !is_ref {
                continue;
            }
            let reference = reference.clone();
            let site = format!("{at}/mapping/{}", key.replace('~', "~0").replace('/', "~1"));
            if let Some(home) = self.home_of(&reference, file, Place::Schema, &site)? {
                *target = Value::from(home);
            }
        }
        Ok(())
    }

    /// A component of the document that is only a `$ref` to another file (`Pet: {$ref:
    /// pet.yaml}`) becomes what it names, under its own name, and every other `$ref` to that
    /// place points to it.
    fn components_that_are_files(
        &mut self,
        document: &mut Value,
        here: &Path,
    ) -> Result<(), DriftError> {
        let Some(Value::Mapping(sections)) = document.get_mut("components") else {
            return Ok(());
        };
        for (section, entries) in sections.iter_mut() {
            let (Some(section), Value::Mapping(entries)) = (section.as_str(), entries) else {
                continue;
            };
            let place = if section == "schemas" {
                Place::Schema
            } else {
                Place::Other
            };
            for (name, entry) in entries.iter_mut() {
                let Some(name) = name.as_str() else { continue };
                let Value::Mapping(members) = &*entry else {
                    continue;
                };
                let Some(Value::String(reference)) = members.get("$ref") else {
                    continue;
                };
                if members.len() != 1 {
                    continue;
                }
                let reference = reference.clone();
                let at = format!(
                    "/components/{section}/{}",
                    name.replace('~', "~0").replace('/', "~1")
                );
                let Target::File(target, pointer) = self.resolve(&reference, here, &at)? else {
                    continue;
                };
                let key = (target.clone(), pointer.clone());
                if self.homes.contains_key(&key) {
                    continue;
                }
                let refused = |reason: String| DriftError::FileRef {
                    reference: reference.clone(),
                    at: at.clone(),
                    reason,
                };
                if place == Place::Schema {
                    self.schema_there(&target, &pointer).map_err(&refused)?;
                }
                self.homes.insert(key, format!("#{at}"));
                *entry = self.brought(&target, &pointer, place, refused)?;
            }
        }
        Ok(())
    }

    /// What `reference`, written in `file` at `at`, names.
    fn resolve(&self, reference: &str, file: &Path, at: &str) -> Result<Target, DriftError> {
        let in_root = self.root.as_deref() == Some(file) || self.root.is_none();
        let (location, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if (location.is_empty() && in_root) || location.contains("://") {
            return Ok(Target::Unchanged);
        }
        let refused = |reason: String| DriftError::FileRef {
            reference: reference.to_owned(),
            at: self.site(file, at),
            reason,
        };
        // A fragment names a place by its JSON pointer: `#/Pet`, not `#Pet` (a plain name is
        // an anchor, which a file of YAML does not have; it read as the whole file).
        let pointer = crate::pointer::percent_decode(fragment)
            .ok_or_else(|| refused("its fragment is not UTF-8 once decoded".to_owned()))?;
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(refused(format!(
                "the fragment `#{fragment}` is no JSON pointer (one starts with `/`: `#/{fragment}`)"
            )));
        }
        let target = if location.is_empty() {
            file.to_owned()
        } else {
            if self.root.is_none() {
                return Err(refused(
                    "the document was given as text: read it from its file, so the files beside it can be read".to_owned(),
                ));
            }
            let relative =
                PathBuf::from(crate::pointer::percent_decode(location).ok_or_else(|| {
                    refused("its file name is not UTF-8 once decoded".to_owned())
                })?);
            let path = file.parent().unwrap_or(Path::new(".")).join(&relative);
            let allowed = self.options.allow_refs_outside;
            let folder = self.root.as_deref().and_then(Path::parent);
            let outside = |path: &Path| folder.is_some_and(|folder| !path.starts_with(folder));
            // Refused before the file system is asked anything about it (whether it is there).
            if !allowed && relative.is_absolute() {
                return Err(refused(format!(
                    "an absolute path; only files in the document's folder ({}) are read, unless \
                     refs outside it are allowed ({HOW_TO_ALLOW})",
                    folder.unwrap_or(Path::new("/")).display()
                )));
            }
            if !allowed && outside(&lexically_normal(&path)) {
                return Err(refused(format!(
                    "{} is outside the document's folder ({}); refs outside it are read only \
                     when allowed ({HOW_TO_ALLOW})",
                    lexically_normal(&path).display(),
                    folder.unwrap_or(Path::new("/")).display()
                )));
            }
            let target = path
                .canonicalize()
                .map_err(|err| refused(format!("cannot read {}: {err}", path.display())))?;
            if !allowed && outside(&target) {
                return Err(refused(format!(
                    "{} leads by a symbolic link outside the document's folder ({}); refs outside \
                     it are read only when allowed ({HOW_TO_ALLOW})",
                    path.display(),
                    folder.unwrap_or(Path::new("/")).display()
                )));
            }
            target
        };
        if self.root.as_deref() == Some(&*target) {
            return Ok(Target::Document(format!("#{fragment}")));
        }
        Ok(Target::File(target, pointer))
    }

    /// What `pointer` of `target` holds, with its own `$ref`s made the document's.
    fn brought(
        &mut self,
        target: &Path,
        pointer: &str,
        place: Place,
        refused: impl Fn(String) -> DriftError,
    ) -> Result<Value, DriftError> {
        // A chain of files is followed so deep, not until the stack runs out.
        if self.depth >= MAX_CHAIN {
            return Err(refused(format!(
                "a chain of more than {MAX_CHAIN} `$ref`s from file to file"
            )));
        }
        let mut content = self.pointed(target, pointer).map_err(&refused)?.clone();
        self.depth += 1;
        let walked = self.walk(&mut content, target, place, pointer);
        self.depth -= 1;
        walked?;
        Ok(content)
    }

    /// Where `reference`, written in `file` at `at`, points in the bundled document: `None` to
    /// leave it as it is (the document's own `#/…`, a URL).
    fn home_of(
        &mut self,
        reference: &str,
        file: &Path,
        place: Place,
        at: &str,
    ) -> Result<Option<String>, DriftError> {
        let site = self.site(file, at);
        let (target, pointer) = match self.resolve(reference, file, at)? {
            Target::Unchanged => {
                // (A fragment that is not UTF-8 once decoded resolves nowhere: refused later.)
                if place == Place::Schema
                    && let Some(pointer) = reference
                        .strip_prefix('#')
                        .and_then(crate::pointer::percent_decode)
                {
                    self.into_document
                        .push((reference.to_owned(), site, pointer));
                }
                return Ok(None);
            }
            Target::Document(home) => {
                if place == Place::Schema
                    && let Some(pointer) =
                        crate::pointer::percent_decode(home.strip_prefix('#').unwrap_or_default())
                {
                    self.into_document
                        .push((reference.to_owned(), site, pointer));
                }
                return Ok(Some(home));
            }
            Target::File(target, pointer) => (target, pointer),
        };
        let key = (target.clone(), pointer.clone());
        if let Some(home) = self.homes.get(&key) {
            return Ok(Some(home.clone()));
        }
        let refused = |reason: String| DriftError::FileRef {
            reference: reference.to_owned(),
            at: site.clone(),
            reason,
        };
        // Its place must be there before it is brought in (a schema may reach itself).
        if place == Place::Schema {
            self.schema_there(&target, &pointer).map_err(&refused)?;
        } else {
            self.pointed(&target, &pointer).map_err(&refused)?;
        }
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        let stem = target.file_stem().map_or_else(
            || "Bundled".to_owned(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        let home_section = match segments.as_slice() {
            [components, section, name] if components == "components" => {
                Some((section.clone(), name.clone()))
            }
            _ if place == Place::Schema => Some((
                "schemas".to_owned(),
                segments.last().cloned().unwrap_or(stem),
            )),
            _ => None,
        };
        match home_section {
            Some((section, name)) => {
                let unique = self.unique_name(&section, &name);
                let home = format!(
                    "#/components/{section}/{}",
                    unique.replace('~', "~0").replace('/', "~1")
                );
                self.homes.insert(key, home.clone());
                let place = if section == "schemas" {
                    Place::Schema
                } else {
                    Place::Other
                };
                let content = self.brought(&target, &pointer, place, refused)?;
                self.components.push((section, unique, content));
                Ok(Some(home))
            }
            None => {
                let index = self.held.len();
                let home = format!("#/{BUNDLED}/{index}");
                self.held.push(Value::Null);
                self.homes.insert(key, home.clone());
                self.held[index] = self.brought(&target, &pointer, place, refused)?;
                Ok(Some(home))
            }
        }
    }

    /// `name`, suffixed (`_2`, …) until no name of `section` is the same but for case and
    /// punctuation (`shelf` and `Shelf` would be one type in most languages).
    fn unique_name(&mut self, section: &str, name: &str) -> String {
        let names = self.taken.entry(section.to_owned()).or_default();
        let folded = |name: &str| -> String {
            name.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let mut unique = name.to_owned();
        let mut suffix = 1;
        while names.iter().any(|taken| folded(taken) == folded(&unique)) {
            suffix += 1;
            unique = format!("{name}_{suffix}");
        }
        names.insert(unique.clone());
        unique
    }

    /// What `pointer` names in `file`, the file read (once) if it is not yet.
    fn pointed(&mut self, file: &Path, pointer: &str) -> Result<&Value, String> {
        if !self.files.contains_key(file) {
            let text = std::fs::read_to_string(file)
                .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
            let text = text.trim_start_matches('\u{feff}');
            let value = crate::load::parse_ordered(text)
                .map_err(|err| format!("cannot parse {}: {err}", file.display()))?;
            self.files.insert(file.to_owned(), value);
        }
        let whole = &self.files[file];
        match whole {
            Value::Null => {
                return Err(format!(
                    "{} is empty (or holds only comments)",
                    file.display()
                ));
            }
            Value::Mapping(_) | Value::Sequence(_) => {}
            _ => {
                return Err(format!(
                    "{} is not a JSON or YAML document of objects: its top level is {}",
                    file.display(),
                    kind_of(whole)
                ));
            }
        }
        match value_at(whole, pointer) {
            None => Err(format!("{} has nothing at #{pointer}", file.display())),
            Some(Value::Null) => Err(format!("{} holds null at #{pointer}", file.display())),
            Some(value) => Ok(value),
        }
    }

    /// Refuses a schema's `$ref` into an OpenAPI document of its own (`common.yaml#/info`) at a
    /// place that holds no schema: it would read as a schema of no keywords, any value.
    fn schema_there(&mut self, file: &Path, pointer: &str) -> Result<(), String> {
        self.pointed(file, pointer)?;
        if is_document(&self.files[file])
            && let Some(place) = place_at(pointer)
            && place != Place::Schema
        {
            return Err(format!(
                "a schema's `$ref` to #{pointer} of {}, which holds {} in an OpenAPI document",
                file.display(),
                place.holds()
            ));
        }
        Ok(())
    }

    /// A `$ref`'s place for a message: its pointer, with its file when it is not the document.
    fn site(&self, file: &Path, at: &str) -> String {
        let at = if at.is_empty() { "/" } else { at };
        if self.root.as_deref() == Some(file) || self.root.is_none() {
            at.to_owned()
        } else {
            format!("{}#{at}", file.display())
        }
    }
}

/// `path` with its `.` and `..` steps taken as written (no file system asked): `/a/b/../c` is
/// `/a/c`. `path` is absolute (it is joined to a canonical folder).
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// What sort of value `value` is, for a message (never the value itself).
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "an array",
        Value::Mapping(_) => "an object",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A mapping key as the JSON key it stands for (`200:` is `"200"`).
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(value) => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_into_other_files_point_into_copies_of_them() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      \
             responses:\n        '200':\n          description: ok\n          content:\n            \
             application/json:\n              schema: {$ref: 'schemas/pet.yaml#/Pet'}\n",
        )
        .unwrap();
        // The other file refers to itself (recursively) and to a third file.
        std::fs::write(
            dir.join("schemas/pet.yaml"),
            "Pet:\n  type: object\n  properties:\n    parent: {$ref: '#/Pet'}\n    \
             tag: {$ref: 'tag.yaml'}\n",
        )
        .unwrap();
        std::fs::write(dir.join("schemas/tag.yaml"), "type: string\nmaxLength: 5\n").unwrap();
        let doc = crate::load_path(&dir.join("api.yaml")).expect("the files load");
        let schema = &doc["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        // Schemas come home as components, named after their place or their file.
        assert_eq!(schema["$ref"], "#/components/schemas/Pet");
        let pet = &doc["components"]["schemas"]["Pet"];
        assert_eq!(
            pet["properties"]["parent"]["$ref"],
            "#/components/schemas/Pet"
        );
        assert_eq!(pet["properties"]["tag"]["$ref"], "#/components/schemas/tag");
        assert_eq!(doc["components"]["schemas"]["tag"]["maxLength"], 5);
        assert!(crate::compare(&doc, &doc).unwrap().is_consistent());
        // A change in the third file is seen through both references.
        std::fs::write(dir.join("schemas/tag.yaml"), "type: string\nmaxLength: 3\n").unwrap();
        let changed = crate::load_path(&dir.join("api.yaml")).unwrap();
        let report = crate::compare(&doc, &changed).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        assert_eq!(report.findings[0].place, "GET /pets → 200 → tag");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn path_items_components_and_refs_back_come_home() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("paths")).unwrap();
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    \
             $ref: 'paths/pets.yaml'\ncomponents:\n  schemas:\n    Error: {type: string}\n    \
             Local: {type: integer}\n",
        )
        .unwrap();
        // A path item of its own file; a component of another file whose name the document
        // already has; a $ref back into the document.
        std::fs::write(
            dir.join("paths/pets.yaml"),
            "get:\n  parameters:\n    - $ref: '../common.yaml#/components/parameters/limit'\n  \
             responses:\n    '200':\n      description: ok\n      content:\n        \
             application/json:\n          schema: {$ref: '../common.yaml#/components/schemas/Error'}\n    \
             '400':\n      description: bad\n      content:\n        application/json:\n          \
             schema: {$ref: '../api.yaml#/components/schemas/Local'}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("common.yaml"),
            "components:\n  parameters:\n    limit: {name: limit, in: query, schema: {type: integer}}\n  \
             schemas:\n    Error: {type: object, properties: {message: {type: string}}}\n",
        )
        .unwrap();
        let doc = crate::load_path(&dir.join("api.yaml")).expect("the files load");
        assert_eq!(doc["paths"]["/pets"]["$ref"], "#/x-bundled/0");
        let get = &doc[BUNDLED][0]["get"];
        assert_eq!(
            get["parameters"][0]["$ref"],
            "#/components/parameters/limit"
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error_2"
        );
        assert_eq!(
            get["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Local"
        );
        assert_eq!(doc["components"]["schemas"]["Error"]["type"], "string");
        assert_eq!(doc["components"]["schemas"]["Error_2"]["type"], "object");
        assert_eq!(doc["components"]["parameters"]["limit"]["in"], "query");
        assert!(crate::compare(&doc, &doc).unwrap().is_consistent());

        // A file that is not there is named, with where the $ref is.
        std::fs::remove_file(dir.join("common.yaml")).unwrap();
        let err = crate::load_path(&dir.join("api.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("../common.yaml#/components/parameters/limit"),
            "{err}"
        );
        assert!(err.contains("pets.yaml#/get/parameters/0"), "{err}");
        // Without a file, nothing can be resolved.
        let mut text_only: serde_yaml::Value =
            serde_yaml::from_str("paths: {/a: {$ref: 'a.yaml'}}").unwrap();
        let err = bundle(&mut text_only, None).unwrap_err().to_string();
        assert!(
            err.contains("given as text") && err.contains("/paths/~1a"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn numeric_keys_are_walked_and_chains_of_files_end() {
        let dir = tempfile_dir();
        // YAML reads `200:` as a number: the `$ref` under it is resolved all the same.
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      \
             responses:\n        200:\n          description: ok\n          content:\n            \
             application/json:\n              schema: {$ref: 's0.yaml'}\n",
        )
        .unwrap();
        std::fs::write(dir.join("s0.yaml"), "type: string\n").unwrap();
        let doc = crate::load_path(&dir.join("api.yaml")).expect("the files load");
        assert_eq!(
            doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/s0"
        );
        // A chain of files longer than the bundler follows is refused, not a stack overflow.
        for index in 0..=MAX_CHAIN + 1 {
            std::fs::write(
                dir.join(format!("s{index}.yaml")),
                format!("type: array\nitems: {{$ref: 's{}.yaml'}}\n", index + 1),
            )
            .unwrap();
        }
        let err = crate::load_path(&dir.join("api.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a chain of more than"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A discriminator's `mapping` into another file points where the `$ref`s to the same
    /// schemas do (it was left naming the other file, which the bundled document has not).
    #[test]
    fn discriminator_mappings_into_other_files_come_home() {
        let dir = tempfile_dir();
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Pet:\n      oneOf: [{$ref: 'pets.yaml#/Dog'}, {$ref: 'pets.yaml#/Cat'}]\n      \
             discriminator:\n        propertyName: kind\n        \
             mapping: {dog: 'pets.yaml#/Dog', cat: 'pets.yaml#/Cat', local: Local}\n    \
             Local: {type: object}\n    Other: {$ref: 'pets.yaml#/Other'}\n",
        )
        .unwrap();
        // The other file's own discriminator maps into itself.
        std::fs::write(
            dir.join("pets.yaml"),
            "Dog: {type: object, properties: {kind: {type: string}}}\n\
             Cat: {type: object, properties: {kind: {type: string}}}\n\
             Other:\n  oneOf: [{$ref: '#/Dog'}]\n  discriminator: {propertyName: kind, mapping: {d: '#/Dog'}}\n",
        )
        .unwrap();
        let doc = crate::load_path(&dir.join("api.yaml")).expect("the files load");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Pet"]["oneOf"][0]["$ref"],
            "#/components/schemas/Dog"
        );
        let mapping = &schemas["Pet"]["discriminator"]["mapping"];
        assert_eq!(mapping["dog"], "#/components/schemas/Dog");
        assert_eq!(mapping["cat"], "#/components/schemas/Cat");
        assert_eq!(mapping["local"], "Local");
        assert_eq!(
            schemas["Other"]["discriminator"]["mapping"]["d"],
            "#/components/schemas/Dog"
        );
        // A mapping into a file that is not there is refused like a `$ref`.
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Pet:\n      oneOf: [{$ref: '#/components/schemas/Local'}]\n      \
             discriminator: {propertyName: kind, mapping: {x: 'gone.yaml#/X'}}\n    \
             Local: {type: object}\n",
        )
        .unwrap();
        let err = crate::load_path(&dir.join("api.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`$ref: gone.yaml#/X` at /components/schemas/Pet/discriminator/mapping/x"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The error of loading `api.yaml` of `dir` whose one response's schema is `reference`.
    fn refusal_of_schema_ref(dir: &Path, reference: &str) -> String {
        std::fs::write(
            dir.join("api.yaml"),
            format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      \
                 responses:\n        '200':\n          description: ok\n          content:\n            \
                 application/json:\n              schema: {{$ref: '{reference}'}}\n"
            ),
        )
        .unwrap();
        match crate::load_path(&dir.join("api.yaml")) {
            Ok(doc) => panic!("{reference} was followed: {:?}", doc.get("components")),
            Err(err) => err.to_string(),
        }
    }

    const SCHEMA_AT: &str = "/paths/~1a/get/responses/200/content/application~1json/schema";

    /// A `$ref` that names no schema is refused, naming it and where it is; each read as any
    /// value before (`#Pet` as the whole file, an empty file as null, `#/info` as a schema
    /// of no keywords).
    #[test]
    fn refs_to_what_is_no_schema_are_refused() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("pet.yaml"), "Pet: {type: string}\n").unwrap();
        std::fs::write(dir.join("empty.yaml"), "# nothing yet\n").unwrap();
        std::fs::write(
            dir.join("common.yaml"),
            "openapi: 3.0.3\ninfo: {title: common, version: '1'}\npaths: {}\n",
        )
        .unwrap();
        std::fs::write(dir.join("other.yaml"), "Other: {$ref: 'api.yaml#/info'}\n").unwrap();
        for (reference, reason) in [
            ("pet.yaml#Pet", "the fragment `#Pet` is no JSON pointer"),
            ("empty.yaml", "empty.yaml is empty"),
            ("pet.yaml#/Dog", "pet.yaml has nothing at #/Dog"),
            (
                "#/info",
                "a schema's `$ref` to #/info, which holds no schema",
            ),
            (
                "#/paths/~1a/get",
                "to #/paths/~1a/get, which holds no schema",
            ),
            ("common.yaml#/info", "to #/info of"),
        ] {
            let err = refusal_of_schema_ref(&dir, reference);
            assert!(
                err.contains(&format!("`$ref: {reference}` at {SCHEMA_AT}"))
                    && err.contains(reason),
                "{reference}: {err}"
            );
        }
        // Into the document from another file: named with that file's place.
        let err = refusal_of_schema_ref(&dir, "other.yaml#/Other");
        assert!(
            err.contains("`$ref: api.yaml#/info` at ") && err.contains("other.yaml#/Other"),
            "{err}"
        );
        // A schema's place, and one the document's structure does not speak for, are followed.
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-defs: {A: {type: string}}\n\
             components:\n  schemas:\n    B: {$ref: '#/x-defs/A'}\n    \
             C: {type: object, properties: {c: {$ref: '#/components/schemas/B'}}}\n    \
             D: {$ref: '#/components/schemas/C/properties/c'}\n",
        )
        .unwrap();
        crate::load_path(&dir.join("api.yaml")).expect("the document loads");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A document is input: by default no file outside its folder is read (an absolute path,
    /// `../`, a symbolic link out), and no message ever holds what a file that is no document
    /// says (`/etc/passwd` was read, and its lines came back in the error).
    #[test]
    fn files_outside_the_documents_folder_are_read_only_when_allowed() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("spec/schemas")).unwrap();
        let secret = "root:x:0:0:root:/root:/bin/bash\nSECRET-hunter2:x:1:1::/:/bin/sh\n";
        std::fs::write(dir.join("passwd"), secret).unwrap();
        std::fs::write(dir.join("common.yaml"), "Error: {type: string}\n").unwrap();
        std::fs::write(dir.join("spec/schemas/pet.yaml"), "type: integer\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("common.yaml"), dir.join("spec/link.yaml")).unwrap();
        let spec = dir.join("spec");
        let absolute = dir.join("passwd").display().to_string();
        let mut cases = vec![
            (absolute.as_str(), "an absolute path"),
            ("../passwd", "is outside the document's folder"),
            (
                "schemas/../../common.yaml#/Error",
                "is outside the document's folder",
            ),
            ("../missing.yaml", "is outside the document's folder"),
        ];
        if cfg!(unix) {
            cases.push(("link.yaml#/Error", "by a symbolic link outside"));
        }
        for (reference, reason) in cases {
            let err = refusal_of_schema_ref(&spec, reference);
            assert!(
                err.contains(&format!("`$ref: {reference}` at {SCHEMA_AT}"))
                    && err.contains(reason)
                    && err.contains("allow_refs_outside"),
                "{reference}: {err}"
            );
            assert!(!err.contains("hunter2") && !err.contains("/bin/"), "{err}");
        }
        // Inside the folder, by any path, is read (and has nothing at that pointer).
        let err = refusal_of_schema_ref(&spec, "schemas/../schemas/pet.yaml#/nothing");
        assert!(err.contains("pet.yaml has nothing at #/nothing"), "{err}");
        // Allowed outside: a document's files are read, and a file that is no document is
        // named, never shown.
        let load = |reference: &str| {
            refusal_of_schema_ref(&spec, reference);
            crate::load_path_with(
                &spec.join("api.yaml"),
                BundleOptions {
                    allow_refs_outside: true,
                },
            )
        };
        let doc = load("../common.yaml#/Error").expect("the document loads");
        assert_eq!(doc["components"]["schemas"]["Error"]["type"], "string");
        for reference in [absolute.as_str(), "../passwd"] {
            let err = load(reference).unwrap_err().to_string();
            assert!(
                err.contains(
                    "passwd is not a JSON or YAML document of objects: its top level is a string"
                ),
                "{err}"
            );
            assert!(!err.contains("hunter2") && !err.contains("/bin/"), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "openapi-drift-bundle-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
