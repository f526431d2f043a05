//! The operations of the spec, read into the intermediate representation the emitters share.

use super::*;
use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    Components, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody,
    Response, Schema, SchemaKind, SecurityRequirement, SecurityScheme, StatusCode, Type,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// One operation, as much of it as the trait, the response enum and the handler need.
#[derive(Debug)]
pub(super) struct OperationStub {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) operation_id: String,
    pub(super) summary: Option<String>,
    pub(super) description: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) path_params: Vec<PathParam>,
    pub(super) query_params: Vec<QueryParam>,
    pub(super) body: Option<JsonBody>,
    pub(super) bearer_scheme: Option<String>,
    pub(super) responses: Vec<ResponseStub>,
}

#[derive(Debug)]
pub(super) struct PathParam {
    pub(super) name: String,
    pub(super) ty: TokenStream,
    pub(super) description: Option<String>,
}

/// A query parameter: a field of the operation's generated query struct.
#[derive(Debug)]
pub(super) struct QueryParam {
    pub(super) name: String,
    pub(super) ty: TokenStream,
    pub(super) required: bool,
    pub(super) constraints: Constraints,
    pub(super) description: Option<String>,
}

impl QueryParam {
    pub(super) fn field(&self) -> Ident {
        rust_ident(&self.name.to_snake_case())
    }

    /// The type the service receives: `Option` unless the parameter is required.
    pub(super) fn rust_type(&self) -> TokenStream {
        let ty = &self.ty;
        if self.required {
            quote! { #ty }
        } else {
            quote! { Option<#ty> }
        }
    }
}

#[derive(Debug)]
pub(super) struct JsonBody {
    pub(super) ty: Ident,
    pub(super) description: Option<String>,
}

#[derive(Debug)]
pub(super) struct ResponseStub {
    pub(super) status: u16,
    pub(super) description: String,
    pub(super) body: Option<Ident>,
    pub(super) headers: Vec<(String, TokenStream, Option<String>)>,
}

impl OperationStub {
    pub(super) fn method_ident(&self) -> Ident {
        rust_ident(&self.operation_id.to_snake_case())
    }

    pub(super) fn response_ident(&self) -> Ident {
        format_ident!("{}Response", self.operation_id.to_pascal_case())
    }

    pub(super) fn query_ident(&self) -> Ident {
        format_ident!("{}Query", self.operation_id.to_pascal_case())
    }
}

pub(super) fn collect_operations(
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

pub(super) fn collect_operation(
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
pub(super) fn resolve_parameter<'a>(
    parameter: &'a ReferenceOr<Parameter>,
    components: &'a Components,
    pointer: Pointer,
) -> Result<(&'a Parameter, Pointer), GenerateError> {
    resolve_component(parameter, "parameters", pointer, |name| {
        components.parameters.get(name)
    })
}

/// The item itself, following one `$ref` to `#/components/{section}/…`, and where it stands.
pub(super) fn resolve_component<'a, T>(
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

pub(super) fn json_body(
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
pub(super) fn single_json_schema(
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

pub(super) fn bearer_scheme(
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

pub(super) fn resolve_response<'a>(
    response: &'a ReferenceOr<Response>,
    components: &'a Components,
    pointer: Pointer,
) -> Result<(&'a Response, Pointer), GenerateError> {
    resolve_component(response, "responses", pointer, |name| {
        components.responses.get(name)
    })
}

pub(super) fn response_stub(
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
