//! The operations of the spec, read into the intermediate representation the emitters share.

use super::*;
use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    Components, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response,
    Schema, SchemaKind, SecurityRequirement, SecurityScheme, StatusCode, Type,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// One operation, as much of it as the trait, the response enum and the handler need.
#[derive(Debug)]
pub(super) struct OperationStub {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) operation_id: String,
    /// The operation's name in Rust (snake case), unique among the operations and the trait's
    /// hooks; `operation_id` stays the document's own.
    pub(super) rust_name: String,
    pub(super) summary: Option<String>,
    pub(super) description: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) path_params: Vec<PathParam>,
    pub(super) query_params: Vec<QueryParam>,
    /// Header parameters, named in lower case as HTTP compares them.
    pub(super) header_params: Vec<QueryParam>,
    /// Cookie parameters.
    pub(super) cookie_params: Vec<QueryParam>,
    pub(super) body: Option<JsonBody>,
    /// The security requirements: alternatives, each the schemes it needs together; `None`
    /// when the operation requires none.
    pub(super) security: Option<Vec<Vec<SchemeUse>>>,
    pub(super) responses: Vec<ResponseStub>,
}

#[derive(Debug)]
pub(super) struct PathParam {
    pub(super) name: String,
    pub(super) ty: TokenStream,
    /// A format utoipa must be told explicitly.
    pub(super) format: Option<String>,
    pub(super) description: Option<String>,
    /// The schema's own constraints, checked once the value is read.
    pub(super) constraints: Constraints,
    /// The value is a generated type with checks of its own.
    pub(super) validates_nested: bool,
}

/// A query parameter: a field of the operation's generated query struct.
#[derive(Debug)]
pub(super) struct QueryParam {
    pub(super) name: String,
    /// Its field's name, unique among the parameters of its place (`StartTime`, `StartTime<`
    /// and `StartTime>` are `start_time`, `start_time_2` and `start_time_3`).
    pub(super) rust_field: String,
    pub(super) ty: TokenStream,
    /// The value holds generated types with checks of their own.
    pub(super) validates_nested: bool,
    /// A format utoipa must be told explicitly.
    pub(super) format: Option<String>,
    /// The path of the function that gives the spec's default, when the parameter has one.
    pub(super) default_fn: Option<String>,
    pub(super) required: bool,
    pub(super) constraints: Constraints,
    pub(super) description: Option<String>,
    /// The `::stubgen_runtime::Style` it is serialized in, when not a plain `name=value`.
    pub(super) style: Option<TokenStream>,
    /// An object, read from its gathered properties.
    pub(super) object: bool,
    /// An object or a value (`anyOf`), read as it was sent.
    pub(super) object_or_value: bool,
    /// The document's `default`, for the document utoipa writes (its parameter attributes take
    /// none).
    pub(super) default_value: Option<serde_json::Value>,
    /// utoipa's `style`, `explode` and `allow_reserved`, as the document declares them (none
    /// when it keeps its location's defaults).
    pub(super) documented_style: Vec<TokenStream>,
}

impl QueryParam {
    pub(super) fn field(&self) -> Ident {
        rust_ident(&self.rust_field)
    }

    /// Whether the service always receives a value: the parameter is required or has a default.
    pub(super) fn always_present(&self) -> bool {
        self.required || self.default_fn.is_some()
    }

    /// The type the service receives: `Option` unless a value is always present.
    pub(super) fn rust_type(&self) -> TokenStream {
        let ty = &self.ty;
        if self.always_present() {
            quote! { #ty }
        } else {
            quote! { Option<#ty> }
        }
    }
}

#[derive(Debug)]
pub(super) struct JsonBody {
    pub(super) ty: BodyType,
    /// An optional body reaches the service as an `Option`.
    pub(super) required: bool,
    pub(super) description: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct ResponseStub {
    pub(super) status: StatusKey,
    pub(super) description: String,
    pub(super) body: Option<BodyType>,
    pub(super) headers: Vec<(String, TokenStream, Option<String>)>,
    /// The `components/responses` entry it refers to: shared responses make the error type.
    pub(super) component: Option<String>,
    /// The `error` of its JSON example, if it documents one.
    pub(super) example_error: Option<String>,
}

/// A key of an operation's `responses`: a status, a range such as `4XX`, or `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusKey {
    Code(u16),
    /// The first digit: 4 for `4XX`.
    Range(u16),
    Default,
}

impl StatusKey {
    /// Whether a response with status `code` falls under this key.
    pub(super) fn covers(self, code: u16) -> bool {
        match self {
            Self::Code(own) => own == code,
            Self::Range(digit) => code / 100 == digit,
            Self::Default => true,
        }
    }
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code(code) => write!(f, "{code}"),
            Self::Range(digit) => write!(f, "{digit}XX"),
            Self::Default => f.write_str("default"),
        }
    }
}

impl OperationStub {
    /// The operation's name in types: its `Operation` variant, and the prefix of its own types.
    pub(super) fn type_name(&self) -> String {
        pascal_name(&self.rust_name, "Operation")
    }

    pub(super) fn variant_ident(&self) -> Ident {
        rust_ident(&self.type_name())
    }

    pub(super) fn method_ident(&self) -> Ident {
        rust_ident(&self.rust_name)
    }

    pub(super) fn response_ident(&self) -> Ident {
        format_ident!("{}Response", self.type_name())
    }

    pub(super) fn headers_ident(&self) -> Ident {
        format_ident!("{}Headers", self.type_name())
    }

    pub(super) fn cookies_ident(&self) -> Ident {
        format_ident!("{}Cookies", self.type_name())
    }

    pub(super) fn query_ident(&self) -> Ident {
        format_ident!("{}Query", self.type_name())
    }
}

pub(super) fn collect_operations(
    spec: &OpenAPI,
    components: &Components,
    options: Requirements,
    hoisted: &mut Hoisted,
) -> Result<Vec<OperationStub>, GenerateError> {
    let paths = Pointer::default().join("paths");
    let mut operations = Vec::new();
    // The trait's own methods are taken before any operation's name.
    let mut taken_names: std::collections::BTreeSet<String> =
        TRAIT_HOOKS.iter().map(|name| (*name).to_owned()).collect();
    for (path, item) in &spec.paths.paths {
        let path_pointer = paths.join(path);
        let ReferenceOr::Item(item) = item else {
            return Err(unsupported(&path_pointer, "a path item $ref"));
        };
        for (method, operation) in item.iter() {
            let pointer = path_pointer.join(method);
            let before = hoisted.items.len();
            let stub = operation_stub(
                spec,
                components,
                options,
                (path, method, operation, item),
                &pointer,
                &mut taken_names,
                hoisted,
            );
            match stub {
                Ok(stub) => operations.push(stub),
                Err(error) => {
                    hoisted.items.truncate(before);
                    hoisted.fail(
                        Item::Operation {
                            path: path.clone(),
                            method: method.to_owned(),
                        },
                        error,
                    )?;
                }
            }
        }
    }
    Ok(operations)
}

/// One operation's intermediate representation, with the parameters it inherits from its path.
fn operation_stub(
    spec: &OpenAPI,
    components: &Components,
    options: Requirements,
    (path, method, operation, item): (&str, &str, &Operation, &openapiv3::PathItem),
    pointer: &Pointer,
    taken_names: &mut std::collections::BTreeSet<String>,
    hoisted: &mut Hoisted,
) -> Result<OperationStub, GenerateError> {
    let path_pointer = Pointer::default().join("paths").join(path);
    let pointer = pointer.clone();
    let document = Document {
        spec,
        components,
        options,
    };
    // Path-level parameters apply to every operation of the path, unless the operation
    // declares one of the same name and location (OpenAPI 3.0 §4.7.9.1).
    let mut parameters = Vec::new();
    for (index, parameter) in operation.parameters.iter().enumerate() {
        parameters.push((
            parameter,
            pointer.join("parameters").join(index.to_string()),
        ));
    }
    let own = parameters
        .iter()
        .map(|(parameter, pointer)| {
            let (parameter, _) = resolve_parameter(parameter, components, pointer.clone())?;
            Ok(parameter_key(parameter))
        })
        .collect::<Result<Vec<_>, GenerateError>>()?;
    for (index, parameter) in item.parameters.iter().enumerate() {
        let inherited = path_pointer.join("parameters").join(index.to_string());
        let (resolved, _) = resolve_parameter(parameter, components, inherited.clone())?;
        if !own.contains(&parameter_key(resolved)) {
            parameters.push((parameter, inherited));
        }
    }
    let mut stub = collect_operation(
        &document,
        path,
        method,
        operation,
        &parameters,
        &pointer,
        hoisted,
    )?;
    stub.rust_name = unique_operation_name(&stub.operation_id, taken_names);
    Ok(stub)
}

/// The trait methods every generated trait has beside its operations, and the router module's
/// own functions (the handlers are named after the operations).
const TRAIT_HOOKS: [&str; 6] = [
    "authenticate",
    "refused",
    "rejected",
    "method_not_allowed",
    "router",
    "openapi",
];

/// `operation_id` in snake case, suffixed (`_2`, `_3`, …) until neither it nor its Pascal case
/// form (the operation's types) is taken: `getFoo` and `get_foo` are two operations.
fn unique_operation_name(
    operation_id: &str,
    taken_names: &mut std::collections::BTreeSet<String>,
) -> String {
    let base = snake_ident(operation_id).to_string();
    let base = base.strip_prefix("r#").unwrap_or(&base).to_owned();
    let mut name = base.clone();
    let mut suffix = 1;
    while taken_names.contains(&name) || taken_names.contains(&pascal_name(&name, "Operation")) {
        suffix += 1;
        name = format!("{base}_{suffix}");
    }
    taken_names.insert(pascal_name(&name, "Operation"));
    taken_names.insert(name.clone());
    name
}

/// The name of an operation without operationId, from its method and path:
/// `GET /pets/{petId}/photos` is `get_pets_by_pet_id_photos`, `GET /` is `get_root`.
pub(super) fn operation_id_from(method: &str, path: &str) -> String {
    let mut name = method.to_lowercase();
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    if segments.is_empty() {
        name.push_str("_root");
    }
    for segment in segments {
        let words = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(parameter) => format!("by_{}", parameter.to_snake_case()),
            None => segment.to_snake_case(),
        };
        if !words.is_empty() {
            name.push('_');
            name.push_str(&words);
        }
    }
    name
}

/// What every operation is read against.
pub(super) struct Document<'a> {
    pub(super) spec: &'a OpenAPI,
    pub(super) components: &'a Components,
    pub(super) options: Requirements,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

/// What a parameter's value is, as far as its serialization style cares.
pub(super) enum Shape {
    Scalar,
    Array,
    /// An object, with the names of its properties.
    Object(Vec<String>),
    /// An `anyOf`/`oneOf` of one object (of values) and values (Stripe's `created`: a range or
    /// a time).
    ObjectOrValue,
}

/// The shape of a parameter's schema (a `$ref` reads as an `allOf` of its component).
fn param_shape(
    schema: &Schema,
    hoisted: &Hoisted,
    pointer: &Pointer,
) -> Result<Shape, GenerateError> {
    let resolved;
    let schema = match &schema.schema_kind {
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => match &all_of[0] {
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix(SCHEMA_REF_PREFIX)
                    .unwrap_or_default();
                match hoisted.schema(name) {
                    Some(ReferenceOr::Item(component)) => {
                        resolved = component.clone();
                        &resolved
                    }
                    _ => return Ok(Shape::Scalar),
                }
            }
            ReferenceOr::Item(inner) => inner,
        },
        _ => schema,
    };
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::Array(_)) => Shape::Array,
        SchemaKind::Type(Type::Object(object)) => {
            // Each property is one value on the wire: a nested object has no form.
            for (name, property) in &object.properties {
                if let ReferenceOr::Item(property) = property
                    && matches!(property.schema_kind, SchemaKind::Type(Type::Object(_)))
                {
                    return Err(unsupported(
                        &pointer.join("properties").join(name),
                        "an object nested in an object parameter",
                    ));
                }
            }
            Shape::Object(object.properties.keys().cloned().collect())
        }
        SchemaKind::AnyOf { any_of: branches } | SchemaKind::OneOf { one_of: branches } => {
            let keyword = if matches!(schema.schema_kind, SchemaKind::AnyOf { .. }) {
                "anyOf"
            } else {
                "oneOf"
            };
            let mut objects = 0;
            for (index, branch) in branches.iter().enumerate() {
                let branch = match branch {
                    ReferenceOr::Item(branch) => branch,
                    ReferenceOr::Reference { reference } => {
                        let name = reference
                            .strip_prefix(SCHEMA_REF_PREFIX)
                            .unwrap_or_default();
                        match hoisted.schema(name) {
                            Some(ReferenceOr::Item(component)) => component,
                            _ => return Ok(Shape::Scalar),
                        }
                    }
                };
                match param_shape(
                    branch,
                    hoisted,
                    &pointer.join(keyword).join(index.to_string()),
                )? {
                    Shape::Object(_) => objects += 1,
                    Shape::Scalar
                        if matches!(
                            branch.schema_kind,
                            SchemaKind::Type(
                                Type::String(_)
                                    | Type::Integer(_)
                                    | Type::Number(_)
                                    | Type::Boolean(_)
                            )
                        ) => {}
                    _ => return Ok(Shape::Scalar),
                }
            }
            if objects == 1 {
                Shape::ObjectOrValue
            } else {
                Shape::Scalar
            }
        }
        _ => Shape::Scalar,
    })
}

/// The runtime `Style` of a parameter, when it is not sent as a plain `name=value`.
/// utoipa's attributes for how a query, header or cookie parameter is serialized, when the
/// document declares other than its location's defaults (`form` exploded in the query and
/// cookies, `simple` not exploded in headers).
fn documented_style(parameter: &Parameter) -> Vec<TokenStream> {
    use openapiv3::QueryStyle;
    let (style, default_style, explode, allow_reserved) = match parameter {
        Parameter::Query {
            parameter_data,
            style,
            allow_reserved,
            ..
        } => {
            let style = match style {
                QueryStyle::Form => quote! { Form },
                QueryStyle::SpaceDelimited => quote! { SpaceDelimited },
                QueryStyle::PipeDelimited => quote! { PipeDelimited },
                QueryStyle::DeepObject => quote! { DeepObject },
            };
            let default = matches!(style.to_string().as_str(), "Form");
            (style, default, parameter_data.explode, *allow_reserved)
        }
        Parameter::Cookie { parameter_data, .. } => {
            (quote! { Form }, true, parameter_data.explode, false)
        }
        Parameter::Header { parameter_data, .. } => {
            (quote! { Simple }, true, parameter_data.explode, false)
        }
        Parameter::Path { .. } => return Vec::new(),
    };
    let mut attrs = Vec::new();
    if !default_style || explode.is_some() {
        // OpenAPI's default: exploded for `form` only.
        let explode = explode.unwrap_or(style.to_string() == "Form");
        attrs.push(quote! { style = #style });
        attrs.push(quote! { explode = #explode });
    }
    if allow_reserved {
        attrs.push(quote! { allow_reserved });
    }
    attrs
}

fn param_style(
    location: Location,
    query_style: Option<&openapiv3::QueryStyle>,
    explode: Option<bool>,
    shape: &Shape,
    allows_empty: bool,
    pointer: &Pointer,
) -> Result<Option<TokenStream>, GenerateError> {
    use openapiv3::QueryStyle;
    let style = |tokens: TokenStream| Ok(Some(quote! { ::stubgen_runtime::Style::#tokens }));
    // `explode` defaults to true for the form style (queries and cookies) only.
    let form = matches!(location, Location::Query | Location::Cookie)
        && matches!(query_style, None | Some(QueryStyle::Form));
    let explode = explode.unwrap_or(form);
    if allows_empty {
        return match shape {
            Shape::Scalar => style(quote! { AllowEmpty }),
            _ => Err(unsupported(
                pointer,
                "allowEmptyValue on an array or object",
            )),
        };
    }
    match (location, query_style, shape) {
        (Location::Path, _, Shape::Object(_)) => {
            Err(unsupported(pointer, "a path parameter that is an object"))
        }
        (Location::Path, _, Shape::Array) => {
            Err(unsupported(pointer, "a path parameter that is an array"))
        }
        (Location::Query, Some(QueryStyle::DeepObject), Shape::ObjectOrValue) => {
            style(quote! { DeepObjectOrValue })
        }
        (_, _, Shape::ObjectOrValue) => Err(unsupported(
            pointer,
            "an object-or-value parameter (anyOf) other than a deepObject query parameter",
        )),
        (_, Some(QueryStyle::DeepObject), Shape::Scalar) => Err(unsupported(
            &pointer.join("style"),
            "deepObject on a parameter that is neither an object nor an array",
        )),
        (_, _, Shape::Scalar) => Ok(None),
        (Location::Header, _, Shape::Array) => style(quote! { Delimited(',') }),
        (Location::Header | Location::Cookie, _, Shape::Object(_)) => Err(unsupported(
            pointer,
            "a header or cookie parameter that is an object",
        )),
        (_, Some(QueryStyle::SpaceDelimited), Shape::Array) => style(quote! { Delimited(' ') }),
        (_, Some(QueryStyle::PipeDelimited), Shape::Array) => style(quote! { Delimited('|') }),
        (_, Some(QueryStyle::DeepObject), Shape::Object(_)) => style(quote! { DeepObject }),
        (_, Some(QueryStyle::DeepObject), Shape::Array) => style(quote! { DeepArray }),
        (_, Some(QueryStyle::SpaceDelimited | QueryStyle::PipeDelimited), _) => Err(unsupported(
            &pointer.join("style"),
            "a style its parameter's type does not take",
        )),
        (_, _, Shape::Array) if explode => Ok(None),
        (_, _, Shape::Array) => style(quote! { Delimited(',') }),
        (_, _, Shape::Object(properties)) if explode => {
            style(quote! { ExplodedObject(&[#(#properties),*]) })
        }
        (_, _, Shape::Object(_)) => style(quote! { DelimitedObject }),
    }
}

/// A parameter's identity: its name and location.
fn parameter_key(parameter: &Parameter) -> (String, &'static str) {
    let (data, location) = match parameter {
        Parameter::Path { parameter_data, .. } => (parameter_data, "path"),
        Parameter::Query { parameter_data, .. } => (parameter_data, "query"),
        Parameter::Header { parameter_data, .. } => (parameter_data, "header"),
        Parameter::Cookie { parameter_data, .. } => (parameter_data, "cookie"),
    };
    (data.name.clone(), location)
}

/// An operation's intermediate representation; `parameters` are its own and those it inherits
/// from its path, each with where it stands.
pub(super) fn collect_operation(
    document: &Document<'_>,
    path: &str,
    method: &str,
    operation: &Operation,
    parameters: &[(&ReferenceOr<Parameter>, Pointer)],
    pointer: &Pointer,
    hoisted: &mut Hoisted,
) -> Result<OperationStub, GenerateError> {
    let Document {
        spec,
        components,
        options,
    } = *document;
    // Callbacks describe requests this server makes, not routes it serves: nothing to generate.
    let operation_id = operation
        .operation_id
        .clone()
        .unwrap_or_else(|| operation_id_from(method, path));
    let operation_name = &operation_id;

    let mut path_params = Vec::new();
    let mut query_params: Vec<QueryParam> = Vec::new();
    let mut header_params: Vec<QueryParam> = Vec::new();
    let mut cookie_params: Vec<QueryParam> = Vec::new();
    for (parameter, param_pointer) in parameters {
        let (parameter, param_pointer) =
            resolve_parameter(parameter, components, param_pointer.clone())?;
        // `allowReserved` only says how clients may encode the value: a server decodes it
        // the same.
        let (parameter_data, location, query_style, allows_empty) = match parameter {
            Parameter::Path {
                parameter_data,
                style,
            } => {
                if !matches!(style, openapiv3::PathStyle::Simple) {
                    return Err(unsupported(
                        &param_pointer.join("style"),
                        "a path parameter in the label or matrix style",
                    ));
                }
                (parameter_data, Location::Path, None, false)
            }
            Parameter::Query {
                parameter_data,
                style,
                allow_empty_value,
                ..
            } => (
                parameter_data,
                Location::Query,
                Some(style),
                *allow_empty_value == Some(true),
            ),
            Parameter::Header { parameter_data, .. } => {
                // OpenAPI: these three are described elsewhere, and such a parameter is ignored.
                let name = parameter_data.name.to_ascii_lowercase();
                if ["accept", "content-type", "authorization"].contains(&name.as_str()) {
                    continue;
                }
                (parameter_data, Location::Header, None, false)
            }
            Parameter::Cookie { parameter_data, .. } => {
                (parameter_data, Location::Cookie, None, false)
            }
        };
        let documented_style = documented_style(parameter);
        let (is_path, is_header) = (location == Location::Path, location == Location::Header);
        // A `$ref`'d schema reads as an `allOf` of that one component: the component's type.
        let referenced;
        let schema = match &parameter_data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => schema,
            ParameterSchemaOrContent::Schema(reference @ ReferenceOr::Reference { .. }) => {
                referenced = Schema {
                    schema_data: Default::default(),
                    schema_kind: SchemaKind::AllOf {
                        all_of: vec![reference.clone()],
                    },
                };
                &referenced
            }
            ParameterSchemaOrContent::Content(_) => {
                return Err(unsupported(
                    &param_pointer,
                    "a parameter described by `content`",
                ));
            }
        };
        let InlineType {
            ty,
            format,
            constraints,
            validates_nested,
        } = inline_type(
            schema,
            &param_pointer.join("schema"),
            &format!(
                "{}{}",
                operation_name.to_pascal_case(),
                parameter_data.name.to_pascal_case()
            ),
            hoisted,
        )?;
        if is_path {
            // A path segment is never null: `nullable` changes nothing there.
            if matches!(
                schema.schema_kind,
                SchemaKind::Type(Type::Array(_) | Type::Object(_))
            ) {
                return Err(unsupported(
                    &param_pointer,
                    "a path parameter that is an array or object",
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
                format,
                description: parameter_data.description.clone(),
                constraints,
                validates_nested,
            });
            continue;
        }
        let shape = param_shape(schema, hoisted, &param_pointer.join("schema"))?;
        let style = param_style(
            location,
            query_style,
            parameter_data.explode,
            &shape,
            allows_empty,
            &param_pointer,
        )?;
        if let Some(value) = &schema.schema_data.default {
            check_default(value, schema, &param_pointer.join("schema"), hoisted)?;
        }
        // A `$ref`'d component's own default applies where the parameter is left out too.
        let component_default = match &parameter_data.format {
            ParameterSchemaOrContent::Schema(ReferenceOr::Reference { reference }) => reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .and_then(|name| hoisted.schema(name))
                .and_then(|component| match component {
                    ReferenceOr::Item(component) => component.schema_data.default.clone(),
                    ReferenceOr::Reference { .. } => None,
                }),
            _ => None,
        };
        let default = match schema
            .schema_data
            .default
            .as_ref()
            .or(component_default.as_ref())
        {
            Some(value) if !parameter_data.required => Some(default_fn(
                &format!(
                    "{}{}",
                    operation_name.to_pascal_case(),
                    parameter_data.name.to_pascal_case()
                ),
                &ty,
                value,
                hoisted,
            )),
            _ => None,
        };
        let mut param = QueryParam {
            rust_field: String::new(),
            name: if is_header {
                parameter_data.name.to_ascii_lowercase()
            } else {
                parameter_data.name.clone()
            },
            ty,
            validates_nested,
            format,
            default_fn: default,
            required: parameter_data.required,
            constraints,
            description: parameter_data.description.clone(),
            style,
            object: matches!(shape, Shape::Object(_)),
            object_or_value: matches!(shape, Shape::ObjectOrValue),
            default_value: schema
                .schema_data
                .default
                .clone()
                .filter(|_| !parameter_data.required),
            documented_style,
        };
        let params = match location {
            Location::Header => &mut header_params,
            Location::Cookie => &mut cookie_params,
            _ => &mut query_params,
        };
        let base = snake_ident(&param.name).to_string();
        let base = base.strip_prefix("r#").unwrap_or(&base).to_owned();
        param.rust_field = base.clone();
        let mut suffix = 1;
        while params
            .iter()
            .any(|other| other.rust_field == param.rust_field)
        {
            suffix += 1;
            param.rust_field = format!("{base}_{suffix}");
        }
        params.push(param);
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
        Some(body) => Some(json_body(
            body,
            components,
            &pointer.join("requestBody"),
            &format!("{}Request", operation_name.to_pascal_case()),
            hoisted,
        )?),
    };

    let security = operation.security.as_ref().or(spec.security.as_ref());
    let security = security_requirements(security, components, pointer)?;

    let mut responses = Vec::new();
    let keyed = operation
        .responses
        .responses
        .iter()
        .map(|(status, response)| {
            let key = match status {
                StatusCode::Code(code) => StatusKey::Code(*code),
                StatusCode::Range(digit) => StatusKey::Range(*digit),
            };
            (key, response)
        })
        .chain(
            operation
                .responses
                .default
                .iter()
                .map(|response| (StatusKey::Default, response)),
        );
    for (key, response) in keyed {
        let response_pointer = pointer.join("responses").join(key.to_string());
        if let StatusKey::Range(digit) = key
            && !(1..=5).contains(&digit)
        {
            return Err(invalid(
                &response_pointer,
                "a status range other than 1XX to 5XX",
            ));
        }
        let component = match response {
            ReferenceOr::Reference { reference } => component_of(reference)
                .filter(|(section, _)| section == "responses")
                .map(|(_, name)| name),
            ReferenceOr::Item(_) => None,
        };
        let (response, response_pointer) =
            resolve_response(response, components, response_pointer)?;
        let hint = format!(
            "{}Response{}",
            operation_name.to_pascal_case(),
            key.to_string().to_pascal_case()
        );
        let mut stub = response_stub(components, key, response, &response_pointer, &hint, hoisted)?;
        stub.component = component;
        responses.push(stub);
    }
    // Some answer must not be an error: a 1xx to 3xx status (a redirect is how some operations
    // succeed), or `default` (an operation that documents nothing else).
    let not_an_error = |status: StatusKey| match status {
        StatusKey::Code(code) => code < 400,
        StatusKey::Range(digit) => digit < 4,
        StatusKey::Default => true,
    };
    if !responses
        .iter()
        .any(|response| not_an_error(response.status))
    {
        return Err(invalid(
            &pointer.join("responses"),
            "an operation whose every documented answer is an error",
        ));
    }
    // The generated extractors answer these statuses themselves, so the spec must document them.
    let mut answered_by_extractors = Vec::new();
    if !path_params.is_empty() {
        answered_by_extractors.push((404, "a path parameter that cannot be read"));
    }
    if !query_params.is_empty() || !header_params.is_empty() || !cookie_params.is_empty() {
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
        if options.require_extractor_statuses
            && !responses
                .iter()
                .any(|response| response.status.covers(status))
        {
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
        rust_name: operation_id.clone(),
        operation_id,
        summary: operation.summary.clone(),
        description: operation.description.clone(),
        tags: operation.tags.clone(),
        path_params,
        query_params,
        header_params,
        cookie_params,
        body,
        security,
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
    let name = component_of(reference)
        .filter(|(of, _)| of == section)
        .map(|(_, name)| name)
        .ok_or_else(|| {
            unsupported(
                &pointer,
                format!("$ref `{reference}`; only `#/components/{section}/*` is read"),
            )
        })?;
    let target = Pointer::default()
        .join("components")
        .join(section)
        .join(&name);
    match lookup(&name) {
        Some(ReferenceOr::Item(item)) => Ok((item, target)),
        Some(ReferenceOr::Reference { .. }) => Err(unsupported(&target, "a $ref to a $ref")),
        None => Err(invalid(
            &pointer,
            format!("unresolvable $ref `{reference}`"),
        )),
    }
}

/// One scheme of a security requirement, as the generated code names it.
#[derive(Debug, Clone)]
pub(super) struct SchemeUse {
    pub(super) name: String,
    /// The `::stubgen_runtime::Scheme` it is.
    pub(super) scheme: TokenStream,
    pub(super) scopes: Vec<String>,
}

impl SchemeUse {
    /// The `::stubgen_runtime::SchemeUse` constant.
    pub(super) fn tokens(&self) -> TokenStream {
        let Self {
            name,
            scheme,
            scopes,
        } = self;
        quote! { ::stubgen_runtime::SchemeUse { name: #name, scheme: #scheme, scopes: &[#(#scopes),*] } }
    }
}

/// The security requirements of an operation (its own, or the document's): `None` when there
/// are none, or none requires anything.
pub(super) fn security_requirements(
    security: Option<&Vec<SecurityRequirement>>,
    components: &Components,
    pointer: &Pointer,
) -> Result<Option<Vec<Vec<SchemeUse>>>, GenerateError> {
    let requirements = security.map(Vec::as_slice).unwrap_or_default();
    if requirements
        .iter()
        .all(|requirement| requirement.is_empty())
    {
        return Ok(None);
    }
    let schemes = Pointer::default()
        .join("components")
        .join("securitySchemes");
    let mut alternatives = Vec::new();
    for (index, requirement) in requirements.iter().enumerate() {
        let mut uses = Vec::new();
        for (name, scopes) in requirement {
            let scheme = match components.security_schemes.get(name) {
                Some(ReferenceOr::Item(scheme)) => scheme,
                Some(ReferenceOr::Reference { .. }) => {
                    return Err(unsupported(&schemes.join(name), "a security scheme $ref"));
                }
                None => {
                    return Err(invalid(
                        &pointer.join("security").join(index.to_string()),
                        format!("undefined security scheme `{name}`"),
                    ));
                }
            };
            let scheme = match scheme {
                SecurityScheme::HTTP { scheme, .. } => {
                    quote! { ::stubgen_runtime::Scheme::Http { scheme: #scheme } }
                }
                SecurityScheme::APIKey { location, name, .. } => {
                    let location = match location {
                        openapiv3::APIKeyLocation::Header => quote! { Header },
                        openapiv3::APIKeyLocation::Query => quote! { Query },
                        openapiv3::APIKeyLocation::Cookie => quote! { Cookie },
                    };
                    quote! {
                        ::stubgen_runtime::Scheme::ApiKey {
                            location: ::stubgen_runtime::KeyLocation::#location,
                            name: #name,
                        }
                    }
                }
                SecurityScheme::OAuth2 { .. } => quote! { ::stubgen_runtime::Scheme::OAuth2 },
                SecurityScheme::OpenIDConnect { .. } => {
                    quote! { ::stubgen_runtime::Scheme::OpenIdConnect }
                }
            };
            uses.push(SchemeUse {
                name: name.clone(),
                scheme,
                scopes: scopes.clone(),
            });
        }
        alternatives.push(uses);
    }
    Ok(Some(alternatives))
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
    components: &Components,
    status: StatusKey,
    response: &Response,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<ResponseStub, GenerateError> {
    // Links document how responses relate to other operations; they change nothing on the wire.
    let body = single_json_schema(&response.content, &pointer.join("content"), hint, hoisted)?;
    if matches!(body, Some(BodyType::Multipart(_))) {
        return Err(unsupported(
            &pointer.join("content"),
            "a multipart/form-data response",
        ));
    }
    let mut headers = Vec::new();
    for (name, header) in &response.headers {
        let header_pointer = pointer.join("headers").join(name);
        // RFC 9110's token: what a header name may be.
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(invalid(
                &header_pointer,
                "a header name that is not a token",
            ));
        }
        let (header, header_pointer) =
            resolve_component(header, "headers", header_pointer, |name| {
                components.headers.get(name)
            })?;
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
        } = inline_type(
            schema,
            &header_pointer.join("schema"),
            &format!("{name}Header"),
            hoisted,
        )?;
        if format.is_some() || !constraints.is_empty() {
            return Err(unsupported(
                &header_pointer,
                "a header with a custom format or constraints",
            ));
        }
        headers.push((name.clone(), ty, header.description.clone()));
    }
    let example_error = response
        .content
        .get(JSON)
        .and_then(|media| media.example.as_ref())
        .and_then(|example| example.get("error"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Ok(ResponseStub {
        status,
        description: response.description.clone(),
        body,
        headers,
        component: None,
        example_error,
    })
}
