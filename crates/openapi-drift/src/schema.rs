//! Schema normalization: one level of a JSON Schema, with every 3.0/3.1 spelling of the
//! same meaning folded into a single [`Node`].
//!
//! Normalization is shallow on purpose: child schemas (properties, items,
//! additionalProperties) stay as pointers ([`Sub`]) and are normalized only when the
//! comparison descends into them. That keeps recursive schemas finite without having to
//! decide up front where to cut them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Number, Value};

use crate::error::DriftError;
use crate::pointer::{Doc, join};

/// A child schema not yet normalized: pointers to raw schema objects that all apply
/// (usually one; several when `allOf` branches both define the same property).
pub(crate) type Sub = Vec<String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Absent, `true` or `{}`: any extra property allowed.
    Any,
    /// `false`.
    Forbidden,
    Schema(Sub),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combinator {
    OneOf,
    AnyOf,
}

impl Combinator {
    pub fn keyword(self) -> &'static str {
        match self {
            Combinator::OneOf => "oneOf",
            Combinator::AnyOf => "anyOf",
        }
    }
}

/// JSON Schema keywords this checker does not judge. A difference in one is reported as
/// [`crate::Severity::Unhandled`], never passed over in silence.
pub(crate) const UNHANDLED_KEYWORDS: [&str; 17] = [
    "not",
    "if",
    "then",
    "else",
    "prefixItems",
    "additionalItems",
    "contains",
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "discriminator",
    "$dynamicRef",
];

/// Patterns that match every string: dropping a pattern and loosening it to one of these
/// are the same relaxation.
const MATCH_ALL_PATTERNS: [&str; 10] = [
    "",
    ".*",
    "^.*$",
    "^.*",
    ".*$",
    "(.*)",
    "^(.*)$",
    ".*?",
    "[\\s\\S]*",
    "^[\\s\\S]*$",
];

/// One `oneOf`/`anyOf` branch: where it is written, and what it says.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pointer: String,
    pub node: Node,
}

/// One normalized schema level.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Where the content of this node lives (after following `$ref`s); `None` for a
    /// schema that is absent from the document and treated as "anything".
    pub pointer: Option<String>,
    /// The `false` schema.
    pub never: bool,
    /// Only `null` is allowed (`type: "null"`, `enum: [null]`, `const: null`).
    pub only_null: bool,
    /// Non-null types; empty means any type.
    pub types: BTreeSet<String>,
    pub nullable: bool,
    pub format: Option<String>,
    /// Canonical JSON texts of the allowed values, `null` removed.
    pub enum_values: Option<BTreeSet<String>>,
    pub properties: BTreeMap<String, Sub>,
    pub required: BTreeSet<String>,
    pub items: Option<Sub>,
    pub additional: Additional,
    /// Keyword → canonical value, 3.0 and 3.1 exclusive bounds folded together.
    pub constraints: BTreeMap<String, String>,
    /// Multi-branch `oneOf`/`anyOf` left after null branches are removed.
    pub alternatives: Option<(Combinator, Vec<Branch>)>,
    /// `default`, as canonical JSON.
    pub default: Option<String>,
    /// Properties marked `readOnly` (not part of requests) or `writeOnly` (not part of
    /// responses) where they are declared.
    pub read_only: BTreeSet<String>,
    pub write_only: BTreeSet<String>,
    /// [`UNHANDLED_KEYWORDS`] present, with their values as canonical JSON.
    pub unhandled: BTreeMap<&'static str, String>,
    /// The schema objects that contributed content (not bare `$ref` or nullable wrappers):
    /// the node's identity for the recursion guard, the same wherever the node is reached from.
    pub sources: BTreeSet<String>,
}

impl Node {
    pub fn any(pointer: Option<String>) -> Self {
        Node {
            pointer,
            never: false,
            only_null: false,
            types: BTreeSet::new(),
            nullable: false,
            format: None,
            enum_values: None,
            properties: BTreeMap::new(),
            required: BTreeSet::new(),
            items: None,
            additional: Additional::Any,
            constraints: BTreeMap::new(),
            alternatives: None,
            default: None,
            read_only: BTreeSet::new(),
            write_only: BTreeSet::new(),
            unhandled: BTreeMap::new(),
            sources: BTreeSet::new(),
        }
    }

    /// Whether the node says anything beyond nullability.
    fn has_content(&self) -> bool {
        self.never
            || !self.types.is_empty()
            || self.format.is_some()
            || self.enum_values.is_some()
            || !self.properties.is_empty()
            || !self.required.is_empty()
            || self.items.is_some()
            || self.additional != Additional::Any
            || !self.constraints.is_empty()
            || self.alternatives.is_some()
            || !self.unhandled.is_empty()
    }

    /// Accepts every value (`{}`, `true`, a schema with only metadata).
    pub fn is_any(&self) -> bool {
        !self.has_content() && !self.only_null
    }

    /// Human description of the type, for findings.
    pub fn type_label(&self) -> String {
        if self.never {
            "never".to_owned()
        } else if self.only_null {
            "null".to_owned()
        } else if let Some((combinator, branches)) = &self.alternatives {
            if self.types.is_empty() {
                format!("{} of {}", combinator.keyword(), branches.len())
            } else {
                format!(
                    "{} ({} of {})",
                    types_label(&self.types),
                    combinator.keyword(),
                    branches.len()
                )
            }
        } else {
            self.base_type_label()
        }
    }

    /// The type outside any `oneOf`/`anyOf`: what the node's own `type` allows.
    pub fn base_type_label(&self) -> String {
        if self.never {
            "never".to_owned()
        } else if self.only_null {
            "null".to_owned()
        } else if self.types.is_empty() {
            "any".to_owned()
        } else {
            types_label(&self.types)
        }
    }
}

fn types_label(types: &BTreeSet<String>) -> String {
    types
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("|")
}

/// Normalize a child schema (all of its pointers merged, as `allOf` would).
pub(crate) fn node(doc: &Doc<'_>, sub: &Sub) -> Result<Node, DriftError> {
    let mut stack = Vec::new();
    let mut merged: Option<Node> = None;
    for pointer in sub {
        let next = raw(doc, pointer, &mut stack)?;
        merged = Some(match merged {
            None => next,
            Some(acc) => merge(acc, next),
        });
    }
    Ok(merged.unwrap_or_else(|| Node::any(None)))
}

/// Normalize the schema object at `pointer`. `stack` holds the pointers being normalized
/// at this same level, so `A: {allOf: [$ref A]}` is an error instead of a hang.
fn raw(doc: &Doc<'_>, pointer: &str, stack: &mut Vec<String>) -> Result<Node, DriftError> {
    if stack.iter().any(|p| p == pointer) {
        return Err(DriftError::CyclicRef {
            side: doc.side,
            at: pointer.to_owned(),
        });
    }
    stack.push(pointer.to_owned());
    let result = raw_unguarded(doc, pointer, stack);
    stack.pop();
    result
}

fn raw_unguarded(
    doc: &Doc<'_>,
    pointer: &str,
    stack: &mut Vec<String>,
) -> Result<Node, DriftError> {
    let value = doc
        .get(pointer)
        .ok_or_else(|| doc.malformed(pointer, "missing schema"))?;
    let object = match value {
        Value::Bool(true) => return Ok(Node::any(Some(pointer.to_owned()))),
        Value::Bool(false) => {
            let mut never = Node::any(Some(pointer.to_owned()));
            never.never = true;
            never.sources.insert(pointer.to_owned());
            return Ok(never);
        }
        Value::Object(object) => object,
        _ => return Err(doc.malformed(pointer, "schema is not an object")),
    };

    let mut own = own_keywords(object, pointer);

    // Siblings of `$ref` are ignored by 3.0 but honored by 3.1; honoring them lets
    // `{$ref, nullable: true}` mean what its author meant.
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let target = doc.ref_target(reference, pointer)?;
        own = merge(own, raw(doc, &target, stack)?);
    }

    if let Some(branches) = object.get("allOf").and_then(Value::as_array) {
        let base = join(pointer, "allOf");
        for index in 0..branches.len() {
            let branch = raw(doc, &join(&base, &index.to_string()), stack)?;
            own = merge(own, branch);
        }
    }

    for combinator in [Combinator::OneOf, Combinator::AnyOf] {
        let Some(branches) = object.get(combinator.keyword()).and_then(Value::as_array) else {
            continue;
        };
        let base = join(pointer, combinator.keyword());
        let mut rest = Vec::new();
        let mut saw_null = false;
        for index in 0..branches.len() {
            let branch_pointer = join(&base, &index.to_string());
            let branch = raw(doc, &branch_pointer, stack)?;
            if branch.only_null && !branch.has_content() {
                saw_null = true;
            } else {
                rest.push(Branch {
                    pointer: branch_pointer,
                    node: branch,
                });
            }
        }
        if saw_null {
            own.nullable = true;
        }
        match rest.len() {
            0 if saw_null && !own.has_content() => own.only_null = true,
            0 => {}
            1 => own = merge(own, rest.remove(0).node),
            _ if own.alternatives.is_none() => {
                own.sources.insert(pointer.to_owned());
                own.alternatives = Some((combinator, rest));
            }
            // Both oneOf and anyOf with several branches: rare enough to compare only the first.
            _ => {}
        }
    }

    infer_type(&mut own);
    Ok(own)
}

/// The keywords written directly on this object (not `$ref` or combinators).
fn own_keywords(object: &Map<String, Value>, pointer: &str) -> Node {
    let mut node = Node::any(Some(pointer.to_owned()));

    let mut saw_null_type = false;
    let mut saw_type = false;
    match object.get("type") {
        Some(Value::String(t)) => {
            saw_type = true;
            if t == "null" {
                saw_null_type = true;
            } else {
                node.types.insert(t.clone());
            }
        }
        Some(Value::Array(types)) => {
            saw_type = true;
            for t in types.iter().filter_map(Value::as_str) {
                if t == "null" {
                    saw_null_type = true;
                } else {
                    node.types.insert(t.to_owned());
                }
            }
        }
        _ => {}
    }
    if saw_null_type {
        node.nullable = true;
        node.only_null = node.types.is_empty();
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        node.nullable = true;
    }

    // A keyword says nothing of a value its type excludes (Telnyx's arrays with `properties`,
    // Jira's with `maxLength`).
    let types = node.types.clone();
    let applies = |keyword: &str| {
        !saw_type
            || types
                .iter()
                .any(|kind| crate::keywords::applies_to(keyword, kind))
    };
    node.format = object
        .get("format")
        .and_then(Value::as_str)
        .filter(|_| applies("format"))
        .map(str::to_owned);

    // `const: X` is the 3.1 spelling of `enum: [X]`.
    let values: Option<Vec<&Value>> = match (object.get("enum"), object.get("const")) {
        (Some(Value::Array(values)), _) => Some(values.iter().collect()),
        (_, Some(value)) => Some(vec![value]),
        _ => None,
    };
    if let Some(values) = values {
        let has_null = values.iter().any(|v| v.is_null());
        let non_null: Vec<&Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        if has_null {
            node.nullable = true;
        }
        if non_null.is_empty() && has_null {
            node.only_null = node.types.is_empty();
        } else {
            if !saw_type && let Some(t) = common_type(&non_null) {
                node.types.insert(t.to_owned());
            }
            node.enum_values = Some(non_null.into_iter().map(canonical).collect());
        }
    }

    let (object_keywords, array_keywords) = (applies("properties"), applies("items"));
    if let Some(properties) = object
        .get("properties")
        .and_then(Value::as_object)
        .filter(|_| object_keywords)
    {
        let base = join(pointer, "properties");
        for (name, property) in properties {
            node.properties
                .insert(name.clone(), vec![join(&base, name)]);
            if annotated(property, "readOnly") {
                node.read_only.insert(name.clone());
            }
            if annotated(property, "writeOnly") {
                node.write_only.insert(name.clone());
            }
        }
    }
    node.default = object.get("default").map(canonical);
    for keyword in UNHANDLED_KEYWORDS {
        if let Some(value) = object.get(keyword) {
            let value = canonical(value);
            // Every property name is a string: this says nothing (utoipa writes it for maps,
            // with the map's own annotations, such as `readOnly`, beside).
            if keyword == "propertyNames" && names_anything(object.get(keyword)) {
                continue;
            }
            node.unhandled.insert(keyword, value);
        }
    }
    if let Some(required) = object
        .get("required")
        .and_then(Value::as_array)
        .filter(|_| object_keywords)
    {
        node.required = required
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if array_keywords && matches!(object.get("items"), Some(Value::Object(_) | Value::Bool(_))) {
        node.items = Some(vec![join(pointer, "items")]);
    }
    node.additional = match object.get("additionalProperties") {
        _ if !object_keywords => Additional::Any,
        Some(Value::Bool(false)) => Additional::Forbidden,
        // An empty schema allows anything, exactly like `true`.
        Some(Value::Object(schema)) if schema.is_empty() => Additional::Any,
        Some(Value::Object(_)) => Additional::Schema(vec![join(pointer, "additionalProperties")]),
        _ => Additional::Any,
    };

    read_constraints(object, &mut node.constraints);
    node.constraints.retain(|keyword, _| applies(keyword));
    if node.has_content() {
        node.sources.insert(pointer.to_owned());
    }
    node
}

fn read_constraints(object: &Map<String, Value>, out: &mut BTreeMap<String, String>) {
    const NUMERIC: [&str; 9] = [
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
    ];
    for keyword in NUMERIC {
        if let Some(Value::Number(n)) = object.get(keyword) {
            out.insert(keyword.to_owned(), canonical_number(n));
        }
    }
    // 3.0: `exclusiveMinimum: true` qualifies `minimum`; 3.1: `exclusiveMinimum: 5` stands alone.
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match object.get(exclusive) {
            Some(Value::Bool(true)) => {
                if let Some(value) = out.remove(bound) {
                    out.insert(exclusive.to_owned(), value);
                }
            }
            Some(Value::Number(n)) => {
                out.insert(exclusive.to_owned(), canonical_number(n));
            }
            _ => {}
        }
    }
    // On integers an exclusive bound is the inclusive one next to it (`exclusiveMinimum: 0`
    // is `minimum: 1`): one meaning, one spelling.
    let integer = match object.get("type") {
        Some(Value::String(kind)) => kind == "integer",
        Some(Value::Array(kinds)) => {
            kinds.iter().any(|kind| kind == "integer")
                && kinds.iter().all(|kind| kind == "integer" || kind == "null")
        }
        _ => false,
    };
    if integer {
        for (exclusive, bound, step) in [
            ("exclusiveMinimum", "minimum", 1),
            ("exclusiveMaximum", "maximum", -1),
        ] {
            let next = out
                .get(exclusive)
                .and_then(|value| value.parse::<i64>().ok())
                .and_then(|value| value.checked_add(step));
            if let Some(next) = next {
                out.remove(exclusive);
                out.insert(bound.to_owned(), next.to_string());
            }
        }
    }
    if let Some(Value::String(pattern)) = object.get("pattern")
        && !MATCH_ALL_PATTERNS.contains(&pattern.as_str())
    {
        out.insert("pattern".to_owned(), pattern.clone());
    }
    // `uniqueItems: false` is the default, so only `true` is a constraint.
    if object.get("uniqueItems") == Some(&Value::Bool(true)) {
        out.insert("uniqueItems".to_owned(), "true".to_owned());
    }
}

/// An untyped `enum` still tells the type when all values share one.
fn common_type(values: &[&Value]) -> Option<&'static str> {
    let kind = |v: &Value| match v {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    };
    let first = kind(values.first()?)?;
    values
        .iter()
        .all(|v| kind(v) == Some(first))
        .then_some(first)
}

/// Shapes implied without a `type` keyword: `properties` means object, `items` array.
fn infer_type(node: &mut Node) {
    if !node.types.is_empty() || node.only_null || node.never {
        return;
    }
    if !node.properties.is_empty()
        || !node.required.is_empty()
        || node.additional != Additional::Any
    {
        node.types.insert("object".to_owned());
    } else if node.items.is_some() {
        node.types.insert("array".to_owned());
    }
}

/// Combine two schemas that both apply (allOf, `$ref` siblings, a collapsed single branch).
fn merge(a: Node, b: Node) -> Node {
    // Point at whichever side carries the content: `allOf: [$ref X], nullable: true`
    // should point at X, not at the wrapper.
    let pointer = if a.has_content() || b.pointer.is_none() {
        a.pointer.clone()
    } else {
        b.pointer.clone()
    };
    let only_null = (a.only_null && !b.has_content()) || (b.only_null && !a.has_content());
    let types = match (a.types.is_empty(), b.types.is_empty()) {
        (true, _) => b.types,
        (_, true) => a.types,
        _ => intersect_types(&a.types, &b.types).unwrap_or(a.types),
    };
    let enum_values = match (a.enum_values, b.enum_values) {
        (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
        (x, y) => x.or(y),
    };
    let mut properties = a.properties;
    for (name, sub) in b.properties {
        properties.entry(name).or_default().extend(sub);
    }
    let items = match (a.items, b.items) {
        (Some(mut x), Some(y)) => {
            x.extend(y);
            Some(x)
        }
        (x, y) => x.or(y),
    };
    let additional = match (a.additional, b.additional) {
        (Additional::Forbidden, _) | (_, Additional::Forbidden) => Additional::Forbidden,
        (Additional::Any, other) | (other, Additional::Any) => other,
        (Additional::Schema(mut x), Additional::Schema(y)) => {
            x.extend(y);
            Additional::Schema(x)
        }
    };
    let mut constraints = b.constraints;
    constraints.extend(a.constraints);
    Node {
        pointer,
        never: a.never || b.never,
        only_null,
        types,
        nullable: a.nullable || b.nullable,
        format: a.format.or(b.format),
        enum_values,
        properties,
        required: a.required.union(&b.required).cloned().collect(),
        items,
        additional,
        constraints,
        alternatives: a.alternatives.or(b.alternatives),
        default: a.default.or(b.default),
        read_only: a.read_only.union(&b.read_only).cloned().collect(),
        write_only: a.write_only.union(&b.write_only).cloned().collect(),
        unhandled: {
            let mut unhandled = b.unhandled;
            unhandled.extend(a.unhandled);
            unhandled
        },
        sources: a.sources.union(&b.sources).cloned().collect(),
    }
}

/// `integer` is a subset of `number`, so their intersection is `integer`.
fn intersect_types(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for t in a {
        if b.contains(t) {
            out.insert(t.clone());
        } else if (t == "integer" && b.contains("number"))
            || (t == "number" && b.contains("integer"))
        {
            out.insert("integer".to_owned());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Numbers compare by value: `5`, `5.0` and `5e0` are the same bound.
pub(crate) fn canonical_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // Exact: the value is integral and well inside the range f64 represents exactly.
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// JSON text with sorted keys and canonical numbers, so enum values compare by meaning
/// regardless of key order or of serde_json's `preserve_order` feature.
pub(crate) fn canonical(value: &Value) -> String {
    match value {
        Value::Number(n) => canonical_number(n),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// Whether a property's schema says `keyword: true` itself or in an inline `allOf` branch
/// (`allOf: [{$ref: Workspace}, {readOnly: true}]`: an annotation of any branch is the
/// property's).
fn annotated(property: &Value, keyword: &str) -> bool {
    property.get(keyword) == Some(&Value::Bool(true))
        || property
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                branches
                    .iter()
                    .any(|branch| branch.get(keyword) == Some(&Value::Bool(true)))
            })
}

/// Whether a `propertyNames` schema allows every name: absent, `true`, `{}`, or a string with
/// nothing but annotations beside it.
fn names_anything(names: Option<&Value>) -> bool {
    const ANNOTATIONS: [&str; 6] = [
        "readOnly",
        "writeOnly",
        "description",
        "title",
        "deprecated",
        "example",
    ];
    match names {
        None | Some(Value::Bool(true)) => true,
        Some(Value::Object(schema)) => schema.iter().all(|(keyword, value)| {
            (keyword == "type" && value == "string") || ANNOTATIONS.contains(&keyword.as_str())
        }),
        Some(_) => false,
    }
}
