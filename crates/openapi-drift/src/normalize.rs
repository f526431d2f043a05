//! Document normalization: operations, parameters, bodies, responses and security of one
//! document, in a shape where both 3.0 and 3.1 spellings look the same. Schemas stay as
//! pointers here; see [`crate::schema`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::DriftError;
use crate::pointer::{Doc, join};
use crate::schema::Sub;

pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

#[derive(Debug)]
pub(crate) struct Api {
    /// Keyed on (path with parameter names erased, method).
    pub operations: BTreeMap<(String, String), Operation>,
    /// `components.schemas` name → pointer.
    pub schema_names: BTreeMap<String, String>,
    pub security_schemes: BTreeMap<String, SecurityScheme>,
    /// OpenAPI 3.1 `webhooks`: name → (pointer, canonical JSON of the path item).
    pub webhooks: BTreeMap<String, (String, String)>,
}

#[derive(Debug)]
pub(crate) struct SecurityScheme {
    pub pointer: String,
    /// Comparable summary, e.g. `http bearer`; lowercased because `scheme` is case-insensitive.
    pub summary: String,
}

#[derive(Debug)]
pub(crate) struct Operation {
    pub method: String,
    /// The path as written, with this document's parameter names.
    pub path: String,
    pub pointer: String,
    /// Path template parameter names, in order.
    pub path_params: Vec<String>,
    pub operation_id: Option<String>,
    pub parameters: BTreeMap<ParamKey, Parameter>,
    pub request_body: Option<RequestBody>,
    pub responses: BTreeMap<String, Response>,
    pub security: Security,
    /// `callbacks`: name → (pointer, canonical JSON of the callback object).
    pub callbacks: BTreeMap<String, (String, String)>,
}

impl Operation {
    /// `GET /sessions`: the prefix of every place inside this operation.
    pub fn place(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Path parameters match by position (their names may differ), others by location and
/// name (header names case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ParamKey {
    Path(usize),
    Named { location: String, name: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub schema: Option<Sub>,
    pub pointer: String,
    /// How the value is written into the request (`style`, `explode`, `allowReserved`, with
    /// OpenAPI's defaults filled in), e.g. `style form, explode true`.
    pub serialization: String,
}

impl Parameter {
    pub fn label(&self) -> String {
        format!("{}.{}", self.location, self.name)
    }
}

#[derive(Debug)]
pub(crate) struct RequestBody {
    pub pointer: String,
    pub required: bool,
    pub content: BTreeMap<String, Media>,
}

#[derive(Debug)]
pub(crate) struct Media {
    pub pointer: String,
    pub schema: Option<Sub>,
}

#[derive(Debug)]
pub(crate) struct Response {
    pub pointer: String,
    pub content: BTreeMap<String, Media>,
    /// Keyed on the lowercased header name.
    pub headers: BTreeMap<String, Header>,
}

#[derive(Debug)]
pub(crate) struct Header {
    pub name: String,
    /// `required: true` (the default is optional).
    pub required: bool,
    pub pointer: String,
    pub schema: Option<Sub>,
}

#[derive(Debug)]
pub(crate) struct Security {
    /// Alternatives, each the set of scheme names required together. Empty: no security.
    pub alternatives: BTreeSet<BTreeSet<String>>,
    pub pointer: Option<String>,
}

impl Security {
    pub fn label(&self) -> String {
        if self.alternatives.is_empty() {
            return "none".to_owned();
        }
        self.alternatives
            .iter()
            .map(|alternative| {
                if alternative.is_empty() {
                    "anonymous".to_owned()
                } else {
                    alternative
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" and ")
                }
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

pub(crate) fn api(doc: &Doc<'_>) -> Result<Api, DriftError> {
    let root = doc
        .root
        .as_object()
        .ok_or_else(|| doc.malformed("", "document is not an object"))?;
    let root_security = match root.get("security") {
        Some(value) => Some(security(doc, value, "/security")?),
        None => None,
    };

    let mut operations = BTreeMap::new();
    if let Some(paths) = root.get("paths") {
        let paths = paths
            .as_object()
            .ok_or_else(|| doc.malformed("/paths", "not an object"))?;
        // `x-` keys are specification extensions, not paths.
        for path in paths.keys().filter(|key| !key.starts_with("x-")) {
            let (item_pointer, item) = doc.deref(&join("/paths", path))?;
            let item = as_object(doc, item, &item_pointer)?;
            let (template, path_params) = path_template(path);
            let shared = parameters(doc, item, &item_pointer, BTreeMap::new())?;
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let pointer = join(&item_pointer, method);
                let op = as_object(doc, op, &pointer)?;
                let raw = parameters(doc, op, &pointer, shared.clone())?;
                let security = match op.get("security") {
                    Some(value) => security(doc, value, &join(&pointer, "security"))?,
                    None => match &root_security {
                        Some(root) => Security {
                            alternatives: root.alternatives.clone(),
                            pointer: root.pointer.clone(),
                        },
                        None => Security {
                            alternatives: BTreeSet::new(),
                            pointer: None,
                        },
                    },
                };
                let operation = Operation {
                    method: method.to_owned(),
                    path: path.clone(),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    parameters: key_parameters(raw, &path_params),
                    request_body: request_body(doc, op, &pointer)?,
                    responses: responses(doc, op, &pointer)?,
                    security,
                    callbacks: callbacks(op, &pointer),
                    path_params: path_params.clone(),
                    pointer,
                };
                operations.insert((template.clone(), method.to_owned()), operation);
            }
        }
    }

    let components = root.get("components").and_then(Value::as_object);
    let schema_names = components
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .keys()
                .map(|name| (name.clone(), join("/components/schemas", name)))
                .collect()
        })
        .unwrap_or_default();
    let mut security_schemes = BTreeMap::new();
    if let Some(schemes) = components
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_object)
    {
        for name in schemes.keys() {
            let (pointer, scheme) = doc.deref(&join("/components/securitySchemes", name))?;
            let summary = scheme_summary(scheme);
            security_schemes.insert(name.clone(), SecurityScheme { pointer, summary });
        }
    }

    let webhooks = root
        .get("webhooks")
        .and_then(Value::as_object)
        .map(|webhooks| {
            webhooks
                .iter()
                .map(|(name, item)| {
                    let pointer = join("/webhooks", name);
                    (name.clone(), (pointer, crate::schema::canonical(item)))
                })
                .collect()
        })
        .unwrap_or_default();

    Ok(Api {
        operations,
        schema_names,
        security_schemes,
        webhooks,
    })
}

/// The operation's callbacks, each as canonical JSON: requests the server makes to its
/// client, compared for presence and, beyond that, flagged when changed.
fn callbacks(op: &Map<String, Value>, pointer: &str) -> BTreeMap<String, (String, String)> {
    op.get("callbacks")
        .and_then(Value::as_object)
        .map(|callbacks| {
            callbacks
                .iter()
                .map(|(name, callback)| {
                    let at = join(&join(pointer, "callbacks"), name);
                    (name.clone(), (at, crate::schema::canonical(callback)))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn as_object<'a>(
    doc: &Doc<'_>,
    value: &'a Value,
    pointer: &str,
) -> Result<&'a Map<String, Value>, DriftError> {
    value
        .as_object()
        .ok_or_else(|| doc.malformed(pointer, "not an object"))
}

/// `/devices/{deviceId}/keys` → (`/devices/{}/keys`, [`deviceId`]).
fn path_template(path: &str) -> (String, Vec<String>) {
    let mut template = String::with_capacity(path.len());
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        template.push_str(&rest[..=open]);
        template.push('}');
        names.push(rest[open + 1..open + close].to_owned());
        rest = &rest[open + close + 1..];
    }
    template.push_str(rest);
    (template, names)
}

/// Raw parameters keyed on (location, name as written), later entries replacing earlier
/// ones so operation-level parameters win over path-level ones.
type RawParams = BTreeMap<(String, String), Parameter>;

fn parameters(
    doc: &Doc<'_>,
    owner: &Map<String, Value>,
    owner_pointer: &str,
    mut out: RawParams,
) -> Result<RawParams, DriftError> {
    let Some(list) = owner.get("parameters") else {
        return Ok(out);
    };
    let list_pointer = join(owner_pointer, "parameters");
    let list = list
        .as_array()
        .ok_or_else(|| doc.malformed(&list_pointer, "not an array"))?;
    for index in 0..list.len() {
        let (pointer, param) = doc.deref(&join(&list_pointer, &index.to_string()))?;
        let param = as_object(doc, param, &pointer)?;
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| doc.malformed(&pointer, "parameter without `name`"))?;
        let location = param
            .get("in")
            .and_then(Value::as_str)
            .ok_or_else(|| doc.malformed(&pointer, "parameter without `in`"))?;
        // OpenAPI says these header parameters are ignored; they are described elsewhere.
        if location == "header"
            && ["accept", "content-type", "authorization"]
                .contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        let required = location == "path" || param.get("required") == Some(&Value::Bool(true));
        let schema = schema_of(param, &pointer);
        let serialization = serialization(param, location);
        out.insert(
            (location.to_owned(), name.to_owned()),
            Parameter {
                name: name.to_owned(),
                location: location.to_owned(),
                required,
                schema,
                pointer,
                serialization,
            },
        );
    }
    Ok(out)
}

/// `style`, `explode` and `allowReserved` with their defaults (OpenAPI 3.x, "Style Values"):
/// `form` in the query and cookies, `simple` in the path and headers; `explode` only for `form`.
fn serialization(param: &Map<String, Value>, location: &str) -> String {
    let default_style = match location {
        "query" | "cookie" => "form",
        _ => "simple",
    };
    let style = param
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(default_style);
    let explode = param
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    let allow_reserved = param.get("allowReserved") == Some(&Value::Bool(true));
    format!(
        "style {style}, explode {explode}{}",
        if allow_reserved {
            ", allowReserved"
        } else {
            ""
        }
    )
}

/// A parameter or header schema: `schema`, or the schema of its single `content` entry.
fn schema_of(object: &Map<String, Value>, pointer: &str) -> Option<Sub> {
    if object.contains_key("schema") {
        return Some(vec![join(pointer, "schema")]);
    }
    let content = object.get("content")?.as_object()?;
    let (media, entry) = content.iter().next()?;
    entry
        .get("schema")
        .map(|_| vec![join(&join(&join(pointer, "content"), media), "schema")])
}

fn key_parameters(raw: RawParams, path_params: &[String]) -> BTreeMap<ParamKey, Parameter> {
    raw.into_values()
        .map(|param| {
            let position = (param.location == "path")
                .then(|| path_params.iter().position(|n| *n == param.name))
                .flatten();
            let key = match position {
                Some(index) => ParamKey::Path(index),
                None => ParamKey::Named {
                    location: param.location.clone(),
                    name: if param.location == "header" {
                        param.name.to_ascii_lowercase()
                    } else {
                        param.name.clone()
                    },
                },
            };
            (key, param)
        })
        .collect()
}

fn request_body(
    doc: &Doc<'_>,
    op: &Map<String, Value>,
    op_pointer: &str,
) -> Result<Option<RequestBody>, DriftError> {
    if !op.contains_key("requestBody") {
        return Ok(None);
    }
    let (pointer, body) = doc.deref(&join(op_pointer, "requestBody"))?;
    let body = as_object(doc, body, &pointer)?;
    Ok(Some(RequestBody {
        required: body.get("required") == Some(&Value::Bool(true)),
        content: content(doc, body, &pointer)?,
        pointer,
    }))
}

fn content(
    doc: &Doc<'_>,
    owner: &Map<String, Value>,
    owner_pointer: &str,
) -> Result<BTreeMap<String, Media>, DriftError> {
    let mut out = BTreeMap::new();
    let Some(content) = owner.get("content") else {
        return Ok(out);
    };
    let content_pointer = join(owner_pointer, "content");
    let content = as_object(doc, content, &content_pointer)?;
    for (media, entry) in content {
        let pointer = join(&content_pointer, media);
        let entry = as_object(doc, entry, &pointer)?;
        let schema = entry
            .contains_key("schema")
            .then(|| vec![join(&pointer, "schema")]);
        out.insert(media_type_key(media), Media { pointer, schema });
    }
    Ok(out)
}

/// Media types are case-insensitive and may carry spaced parameters.
fn media_type_key(media: &str) -> String {
    media
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn responses(
    doc: &Doc<'_>,
    op: &Map<String, Value>,
    op_pointer: &str,
) -> Result<BTreeMap<String, Response>, DriftError> {
    let mut out = BTreeMap::new();
    let Some(responses) = op.get("responses") else {
        return Ok(out);
    };
    let responses_pointer = join(op_pointer, "responses");
    let responses = as_object(doc, responses, &responses_pointer)?;
    // `x-` keys are specification extensions, not statuses.
    for status in responses.keys().filter(|key| !key.starts_with("x-")) {
        let (pointer, response) = doc.deref(&join(&responses_pointer, status))?;
        let response = as_object(doc, response, &pointer)?;
        let mut headers = BTreeMap::new();
        if let Some(map) = response.get("headers").and_then(Value::as_object) {
            let headers_pointer = join(&pointer, "headers");
            for name in map.keys() {
                let (header_pointer, header) = doc.deref(&join(&headers_pointer, name))?;
                let header = as_object(doc, header, &header_pointer)?;
                // Content-Type in `headers` is ignored by OpenAPI; media types cover it.
                if name.eq_ignore_ascii_case("content-type") {
                    continue;
                }
                headers.insert(
                    name.to_ascii_lowercase(),
                    Header {
                        name: name.clone(),
                        required: header.get("required") == Some(&Value::Bool(true)),
                        schema: schema_of(header, &header_pointer),
                        pointer: header_pointer,
                    },
                );
            }
        }
        out.insert(
            status_key(status),
            Response {
                content: content(doc, response, &pointer)?,
                headers,
                pointer,
            },
        );
    }
    Ok(out)
}

/// `2xx` and `2XX` are the same range; `Default` is `default`.
fn status_key(status: &str) -> String {
    let status = status.trim();
    if status.eq_ignore_ascii_case("default") {
        "default".to_owned()
    } else {
        status.to_ascii_uppercase()
    }
}

fn security(doc: &Doc<'_>, value: &Value, pointer: &str) -> Result<Security, DriftError> {
    let list = value
        .as_array()
        .ok_or_else(|| doc.malformed(pointer, "security is not an array"))?;
    let mut alternatives = BTreeSet::new();
    for (index, requirement) in list.iter().enumerate() {
        let requirement = requirement
            .as_object()
            .ok_or_else(|| doc.malformed(&join(pointer, &index.to_string()), "not an object"))?;
        alternatives.insert(requirement.keys().cloned().collect::<BTreeSet<_>>());
    }
    // `[{}]` (anonymous only) means the same as no security at all.
    if alternatives.len() == 1 && alternatives.iter().all(BTreeSet::is_empty) {
        alternatives.clear();
    }
    Ok(Security {
        alternatives,
        pointer: Some(pointer.to_owned()),
    })
}

fn scheme_summary(scheme: &Value) -> String {
    let field = |name: &str| {
        scheme
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let kind = field("type");
    let summary = match kind.to_ascii_lowercase().as_str() {
        "http" => format!("http {}", field("scheme")),
        "apikey" => format!("apiKey {} {}", field("in"), field("name")),
        _ => kind,
    };
    summary.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_erase_parameter_names() {
        assert_eq!(
            path_template("/devices/{deviceId}/keys/{k}"),
            (
                "/devices/{}/keys/{}".to_owned(),
                vec!["deviceId".to_owned(), "k".to_owned()]
            )
        );
        assert_eq!(
            path_template("/a/{broken"),
            ("/a/{broken".to_owned(), vec![])
        );
    }

    #[test]
    fn status_keys() {
        assert_eq!(status_key("2xx"), "2XX");
        assert_eq!(status_key("Default"), "default");
        assert_eq!(status_key("200"), "200");
    }
}
