//! Emits the operations module: the service trait, one response enum per operation and the
//! query structs.

use super::*;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The struct the handler reads an operation's query string (or headers) into, and its
/// validation.
pub(super) fn generate_param_struct(
    ident: &Ident,
    doc: &str,
    params: &[QueryParam],
) -> TokenStream {
    let fields = params.iter().map(|param| {
        let field = param.field();
        let name = &param.name;
        let ty = param.rust_type();
        let doc = doc_attrs(param.description.as_deref());
        let optional = match &param.default_fn {
            Some(function) => Some(quote! { #[serde(default = #function)] }),
            None if !param.required => {
                Some(quote! { #[serde(default, skip_serializing_if = "Option::is_none")] })
            }
            None => None,
        };
        // An object arrives as its own properties, form-encoded, in one value.
        let object = match (param.object, param.object_or_value, param.always_present()) {
            (true, _, true) => Some(
                quote! { #[serde(deserialize_with = "::stubgen_runtime::extract::styles::form_object")] },
            ),
            (true, _, false) => Some(
                quote! { #[serde(deserialize_with = "::stubgen_runtime::extract::styles::optional_form_object")] },
            ),
            // An object or a value arrives marked as which it is.
            (_, true, true) => Some(
                quote! { #[serde(deserialize_with = "::stubgen_runtime::extract::styles::object_or_value")] },
            ),
            (_, true, false) => Some(
                quote! { #[serde(deserialize_with = "::stubgen_runtime::extract::styles::optional_object_or_value")] },
            ),
            _ => None,
        };
        let rename = (field != name.as_str()).then(|| quote! { #[serde(rename = #name)] });
        quote! { #doc #rename #optional #object pub #field: #ty, }
    });
    let styles: Vec<TokenStream> = params
        .iter()
        .filter_map(|param| {
            let name = &param.name;
            let style = param.style.as_ref()?;
            Some(quote! { ::stubgen_runtime::ParamStyle { name: #name, style: #style } })
        })
        .collect();
    let styles = (!styles.is_empty()).then(|| {
        quote! { const STYLES: &'static [::stubgen_runtime::ParamStyle] = &[#(#styles),*]; }
    });
    let checks = params.iter().map(|param| {
        let field = param.field();
        let checks = param
            .constraints
            .checks(&param.name, param.validates_nested);
        if checks.is_empty() {
            checks
        } else if param.always_present() {
            quote! { { let value = &self.#field; #checks } }
        } else {
            quote! { if let Some(value) = &self.#field { #checks } }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct #ident {
            #(#fields)*
        }

        impl ::stubgen_runtime::Validate for #ident {
            fn validate(&self) -> Result<(), ::stubgen_runtime::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }

        impl ::stubgen_runtime::ParamStyles for #ident {
            #styles
        }
    }
}

/// The variant name and `StatusCode` constant of well-known statuses.
pub(super) fn status_names(status: u16) -> (Ident, TokenStream) {
    let known = match status {
        200 => Some(("Ok", "OK")),
        201 => Some(("Created", "CREATED")),
        202 => Some(("Accepted", "ACCEPTED")),
        204 => Some(("NoContent", "NO_CONTENT")),
        400 => Some(("BadRequest", "BAD_REQUEST")),
        401 => Some(("Unauthorized", "UNAUTHORIZED")),
        403 => Some(("Forbidden", "FORBIDDEN")),
        404 => Some(("NotFound", "NOT_FOUND")),
        405 => Some(("MethodNotAllowed", "METHOD_NOT_ALLOWED")),
        409 => Some(("Conflict", "CONFLICT")),
        413 => Some(("PayloadTooLarge", "PAYLOAD_TOO_LARGE")),
        415 => Some(("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE")),
        422 => Some(("UnprocessableEntity", "UNPROCESSABLE_ENTITY")),
        429 => Some(("TooManyRequests", "TOO_MANY_REQUESTS")),
        500 => Some(("InternalServerError", "INTERNAL_SERVER_ERROR")),
        503 => Some(("ServiceUnavailable", "SERVICE_UNAVAILABLE")),
        _ => None,
    };
    match known {
        Some((variant, constant)) => {
            let constant = format_ident!("{constant}");
            (
                format_ident!("{variant}"),
                quote! { axum::http::StatusCode::#constant },
            )
        }
        None => (
            format_ident!("Status{status}"),
            // `from_u16` takes 100 to 999; a spec's status outside that range answers 500.
            quote! {
                match axum::http::StatusCode::from_u16(#status) {
                    Ok(status) => status,
                    Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                }
            },
        ),
    }
}

/// The responses several operations share through `components/responses`, and the 500 every
/// authenticated operation documents alike: the one error type the generated layer answers
/// (the authentication hook's 401, 429 and 500) and every operation's response converts from.
pub(super) struct SharedErrors {
    /// (status, component) → variant.
    variants: Vec<(u16, Option<String>, Ident)>,
    tokens: TokenStream,
}

impl SharedErrors {
    pub(super) fn variant(&self, stub: &ResponseStub) -> Option<&Ident> {
        let StatusKey::Code(code) = stub.status else {
            return None;
        };
        let component = stub.component.as_ref()?;
        self.variants
            .iter()
            .find(|(status, name, _)| *status == code && name.as_ref() == Some(component))
            .map(|(_, _, variant)| variant)
    }
}

/// Whether the operations have a shared error type (and so the `refused` hook).
pub(super) fn has_api_error(operations: &[OperationStub]) -> bool {
    !shared_errors(operations).variants.is_empty()
}

fn shared_errors(operations: &[OperationStub]) -> SharedErrors {
    let mut shared: Vec<(u16, Option<String>, ResponseStub)> = Vec::new();
    for operation in operations {
        for stub in &operation.responses {
            let (StatusKey::Code(code), Some(component)) = (stub.status, &stub.component) else {
                continue;
            };
            // A shared success is each operation's own answer, not an error.
            if code < 400 {
                continue;
            }
            if !shared
                .iter()
                .any(|(status, name, _)| *status == code && name.as_ref() == Some(component))
            {
                shared.push((code, Some(component.clone()), stub.clone()));
            }
        }
    }
    // The 500 the authentication hook answers when it cannot tell: only where every
    // authenticated operation documents it with the same body.
    let authenticated: Vec<&OperationStub> = operations
        .iter()
        .filter(|operation| operation.security.is_some())
        .collect();
    let internal: Vec<&ResponseStub> = authenticated
        .iter()
        .filter_map(|operation| {
            operation
                .responses
                .iter()
                .find(|stub| stub.status == StatusKey::Code(500) && stub.component.is_none())
        })
        .collect();
    let body_of = |stub: &ResponseStub| stub.body.as_ref().map(|body| body.tokens().to_string());
    let same_body = internal
        .windows(2)
        .all(|pair| body_of(pair[0]) == body_of(pair[1]));
    if !internal.is_empty()
        && internal.len() == authenticated.len()
        && same_body
        && !shared.iter().any(|(status, _, _)| *status == 500)
    {
        let mut stub = internal[0].clone();
        stub.description = "The server failed.".to_owned();
        shared.push((500, None, stub));
    }
    // The hook must be able to refuse a request even where the spec documents no 401.
    if !authenticated.is_empty() && !shared.iter().any(|(status, _, _)| *status == 401) {
        let stub = ResponseStub {
            status: StatusKey::Code(401),
            description: "The request does not authenticate (not documented by the spec)."
                .to_owned(),
            body: None,
            headers: Vec::new(),
            component: None,
            example_error: None,
        };
        shared.push((401, None, stub));
    }
    let mut variants: Vec<(u16, Option<String>, Ident)> = Vec::new();
    let mut items = Vec::new();
    let mut arms = Vec::new();
    let mut seen_names = std::collections::BTreeSet::new();
    for (code, component, stub) in shared {
        let (base, _) = status_names(code);
        let mut name = base.to_string();
        if !seen_names.insert(name.clone()) {
            name = format!(
                "{base}{}",
                component.as_deref().unwrap_or("Error").to_pascal_case()
            );
            seen_names.insert(name.clone());
        }
        let variant = rust_ident(&name);
        let (tokens, arm) = response_variant(&variant, &stub, quote! { ApiError });
        items.push(tokens);
        arms.push(arm);
        variants.push((code, component, variant));
    }
    let mut statuses: Vec<u16> = variants.iter().map(|(code, _, _)| *code).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let statuses = statuses
        .into_iter()
        .map(proc_macro2::Literal::u16_unsuffixed);
    let tokens = if variants.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            /// The error responses the generated layer answers itself (authentication, limits),
            /// shared by the operations; each operation's response converts from it.
            #[allow(clippy::large_enum_variant)]
            #[derive(Debug, Clone, PartialEq)]
            pub enum ApiError {
                #(#items)*
            }

            impl axum::response::IntoResponse for ApiError {
                fn into_response(self) -> axum::response::Response {
                    match self {
                        #(#arms)*
                    }
                }
            }

            impl ApiError {
                /// The statuses it has a variant for: a refusal of another status (a 413 or
                /// 415 the document does not declare) goes to `Api::rejected` instead.
                pub const STATUSES: &'static [u16] = &[#(#statuses),*];
            }
        }
    };
    SharedErrors { variants, tokens }
}

/// A response enum variant for `stub`, and its `IntoResponse` arm. A fixed status with only a
/// body is a tuple variant; a chosen status (range, `default`) or documented headers make a
/// struct variant whose fields the service must fill, so no header is added behind its back.
pub(super) fn response_variant(
    variant: &Ident,
    stub: &ResponseStub,
    _owner: TokenStream,
) -> (TokenStream, TokenStream) {
    let doc = format!(" {}: {}", stub.status, stub.description.trim());
    let status = match stub.status {
        StatusKey::Code(code) => status_names(code).1,
        _ => quote! { status },
    };
    let chosen_status = !matches!(stub.status, StatusKey::Code(_));
    let body_field = stub.body.as_ref().map(|body| {
        let ty = body.tokens();
        quote! { body: #ty, }
    });
    let respond = match &stub.body {
        Some(body) => body.response(&status),
        None => quote! { #status.into_response() },
    };
    if !chosen_status && stub.headers.is_empty() {
        return match &stub.body {
            Some(body) => {
                let ty = body.tokens();
                (
                    quote! { #[doc = #doc] #variant(#ty), },
                    quote! { Self::#variant(body) => #respond, },
                )
            }
            None => (
                quote! { #[doc = #doc] #variant, },
                quote! { Self::#variant => #respond, },
            ),
        };
    }
    let status_field = chosen_status.then(|| quote! { status: axum::http::StatusCode, });
    let status_binding = chosen_status.then(|| quote! { status, });
    let body_binding = stub.body.as_ref().map(|_| quote! { body, });
    let mut header_fields = Vec::new();
    let mut header_bindings = Vec::new();
    let mut header_inserts = Vec::new();
    for (name, ty, description) in &stub.headers {
        let field = snake_ident(name);
        let doc = doc_attrs(description.as_deref());
        let lower = name.to_ascii_lowercase();
        header_fields.push(quote! { #doc #field: #ty, });
        header_bindings.push(quote! { #field, });
        // A list is sent comma-separated (the `simple` style).
        let text = if ty.to_string().starts_with("Vec <") {
            quote! { #field.iter().map(ToString::to_string).collect::<Vec<_>>().join(",") }
        } else {
            quote! { #field.to_string() }
        };
        header_inserts.push(quote! {
            // A value that cannot be a header (a control character) is left out.
            if let Ok(value) = axum::http::HeaderValue::try_from(#text) {
                response.headers_mut().insert(axum::http::HeaderName::from_static(#lower), value);
            }
        });
    }
    // Mutable only when there are headers to insert.
    let answer = if header_inserts.is_empty() {
        respond
    } else {
        quote! {
            let mut response = #respond;
            #(#header_inserts)*
            response
        }
    };
    (
        quote! {
            #[doc = #doc]
            #variant { #status_field #body_field #(#header_fields)* },
        },
        quote! {
            Self::#variant { #status_binding #body_binding #(#header_bindings)* } => {
                #answer
            }
        },
    )
}

pub(super) fn generate_operations(operations: &[OperationStub], api_trait: &Ident) -> TokenStream {
    let shared = shared_errors(operations);
    let has_errors = !shared.variants.is_empty();
    let authenticates = operations
        .iter()
        .any(|operation| operation.security.is_some());
    let mut methods = Vec::new();
    let mut enums = Vec::new();
    let mut operation_variants = Vec::new();
    let mut operation_ids = Vec::new();
    let mut documented_errors = Vec::new();
    for operation in operations {
        let method = operation.method_ident();
        let response = operation.response_ident();
        let title = format!(" `{} {}`", operation.method.to_uppercase(), operation.path);
        let summary = doc_attrs(operation.summary.as_deref());
        let description = doc_attrs(operation.description.as_deref());

        let variant = operation.variant_ident();
        let operation_id = &operation.operation_id;
        operation_variants.push(quote! { #[doc = #title] #variant, });
        operation_ids.push(quote! { Self::#variant => #operation_id, });
        for stub in &operation.responses {
            if let (StatusKey::Code(code), Some(error)) = (stub.status, &stub.example_error) {
                documented_errors.push(quote! { (Self::#variant, #code) => Some(#error), });
            }
        }

        // Every argument after `&self`, as (name, type).
        let mut arguments: Vec<(Ident, TokenStream)> = Vec::new();
        if operation.security.is_some() {
            arguments.push((format_ident!("caller"), quote! { Self::Caller }));
        }
        // (name, where it comes from, type): a name taken by an earlier argument gets its
        // place as a suffix, so parameters of one name in several places all arrive.
        let mut values: Vec<(String, &str, TokenStream)> = Vec::new();
        for param in &operation.path_params {
            let ty = &param.ty;
            values.push((snake_ident(&param.name).to_string(), "path", quote! { #ty }));
        }
        for (params, place) in [
            (&operation.query_params, "query"),
            (&operation.header_params, "header"),
            (&operation.cookie_params, "cookie"),
        ] {
            for param in params {
                values.push((param.field().to_string(), place, param.rust_type()));
            }
        }
        if let Some(body) = &operation.body {
            let ty = body.ty.tokens();
            let ty = if body.required {
                ty
            } else {
                quote! { Option<#ty> }
            };
            values.push(("body".to_owned(), "request", ty));
        }
        let mut taken: std::collections::BTreeSet<String> =
            arguments.iter().map(|(name, _)| name.to_string()).collect();
        for (name, place, ty) in values {
            let name = name.trim_start_matches("r#").to_owned();
            let mut unique = name.clone();
            let mut counter = 2;
            while taken.contains(&unique) || unique == "self" {
                unique = match counter {
                    2 => format!("{name}_{place}"),
                    _ => format!("{name}_{place}{counter}"),
                };
                counter += 1;
            }
            taken.insert(unique.clone());
            arguments.push((rust_ident(&unique), ty));
        }
        let declared = arguments.iter().map(|(name, ty)| quote! { #name: #ty, });
        // Paragraphs apart, and no empty ones where the document has no summary or description.
        let paragraph_break = |doc: &TokenStream| (!doc.is_empty()).then(|| quote! { #[doc = ""] });
        let (after_summary, after_description) =
            (paragraph_break(&summary), paragraph_break(&description));
        methods.push(quote! {
            #summary
            #after_summary
            #description
            #after_description
            #[doc = #title]
            fn #method(&self, #(#declared)*) -> impl std::future::Future<Output = #response> + Send;
        });
        if !operation.query_params.is_empty() {
            let doc = format!(" The query parameters of `{}`.", operation.operation_id);
            enums.push(generate_param_struct(
                &operation.query_ident(),
                &doc,
                &operation.query_params,
            ));
        }
        if !operation.header_params.is_empty() {
            let doc = format!(" The header parameters of `{}`.", operation.operation_id);
            enums.push(generate_param_struct(
                &operation.headers_ident(),
                &doc,
                &operation.header_params,
            ));
        }
        if !operation.cookie_params.is_empty() {
            let doc = format!(" The cookie parameters of `{}`.", operation.operation_id);
            enums.push(generate_param_struct(
                &operation.cookies_ident(),
                &doc,
                &operation.cookie_params,
            ));
        }

        let mut variants = Vec::new();
        let mut arms = Vec::new();
        let mut shares = false;
        for stub in &operation.responses {
            if shared.variant(stub).is_some() {
                shares = true;
                continue;
            }
            let variant = match stub.status {
                StatusKey::Code(code) => status_names(code).0,
                StatusKey::Range(digit) => format_ident!("Status{digit}XX"),
                StatusKey::Default => format_ident!("Default"),
            };
            let (tokens, arm) = response_variant(&variant, stub, quote! { #response });
            variants.push(tokens);
            arms.push(arm);
        }
        let conversion = shares.then(|| {
            variants.push(quote! {
                /// A shared error response (see [`ApiError`]).
                Error(ApiError),
            });
            arms.push(quote! { Self::Error(error) => error.into_response(), });
            quote! {
                impl From<ApiError> for #response {
                    fn from(error: ApiError) -> Self {
                        Self::Error(error)
                    }
                }
            }
        });
        let enum_doc = format!(
            " Every documented response of `{}`: one variant per status it answers itself, and the shared errors.",
            operation.operation_id
        );
        enums.push(quote! {
            #[doc = #enum_doc]
            // Built once per request and serialized at once: boxing would only burden implementers.
            #[allow(clippy::large_enum_variant)]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #response {
                #(#variants)*
            }

            impl axum::response::IntoResponse for #response {
                fn into_response(self) -> axum::response::Response {
                    match self {
                        #(#arms)*
                    }
                }
            }

            #conversion
        });
    }
    let (caller_type, hook) = if authenticates {
        (
            quote! {
                /// Who an authenticated request comes from.
                type Caller: Send + Sync + 'static;
            },
            quote! {
                /// Authenticates a request, once, before its path, query or body is read: the
                /// caller, or the error to answer (refused credentials, a limit, a failure).
                fn authenticate(
                    &self,
                    request: ::stubgen_runtime::RequestHead<'_, Operation>,
                ) -> impl std::future::Future<Output = Result<Self::Caller, ApiError>> + Send;
            },
        )
    } else {
        Default::default()
    };
    let refused = if has_errors {
        quote! {
            /// The error to answer when the generated layer refuses a request's query, headers
            /// or body (400, 413 or 415, and why), after it authenticated; only for a status
            /// `ApiError` has (`ApiError::STATUSES`), the others go to `rejected`.
            fn refused(&self, operation: Operation, rejection: ::stubgen_runtime::BodyRejection) -> ApiError;
        }
    } else {
        Default::default()
    };
    let rejected_doc = if has_errors {
        " The answer to a request the generated layer refuses where `refused` does not apply: a\n path parameter that cannot be read or that its schema refuses (404), or a refusal of a\n status `ApiError` has no variant for (413, 415). By default RFC 9457\n problem details (`application/problem+json`); override it to answer in the document's\n own error shape."
    } else {
        " The answer to a request the generated layer refuses: a path parameter that cannot be read\n or that its schema refuses (404), or a query, headers or body it refuses (400, 413 or 415,\n and why). By default RFC 9457 problem details (`application/problem+json`), as the\n document declares no shared error schema; override it to answer in a shape of your own."
    };
    let rejected = quote! {
        #[doc = #rejected_doc]
        fn rejected(&self, operation: Operation, rejection: ::stubgen_runtime::BodyRejection) -> axum::response::Response {
            let _ = operation;
            axum::response::IntoResponse::into_response(rejection)
        }
    };
    let method_not_allowed = quote! {
        /// The answer to a method that a path of the document does not have (405; the router
        /// adds `Allow`). By default RFC 9457 problem details (`application/problem+json`);
        /// override it to answer in the document's own error shape, or to count the request
        /// against its client.
        fn method_not_allowed(&self, request: &axum::extract::Request) -> axum::response::Response {
            let _ = request;
            axum::response::IntoResponse::into_response(::stubgen_runtime::BodyRejection::method_not_allowed())
        }
    };
    let trait_doc = " One method per operation of the spec. The service implements it, with `async fn`s; the generated router calls it.";
    let api_error = &shared.tokens;
    // One marker type per media type a text or binary request body is documented in.
    let mut media_types = std::collections::BTreeSet::new();
    for operation in operations {
        let Some(body) = &operation.body else {
            continue;
        };
        let alternatives = match &body.ty {
            BodyType::Alternatives { media, .. } => media.iter().map(|(_, body)| body).collect(),
            body => vec![body],
        };
        for body in alternatives {
            if let BodyType::Text(media) | BodyType::Binary(media) = body {
                media_types.insert(media.clone());
            }
        }
    }
    let binary = operations.iter().any(|operation| {
        let binary = |body: &BodyType| match body {
            BodyType::Alternatives { media, .. } => media
                .iter()
                .any(|(_, body)| matches!(body, BodyType::Binary(_))),
            body => matches!(body, BodyType::Binary(_)),
        };
        operation.body.as_ref().is_some_and(|body| binary(&body.ty))
            || operation
                .responses
                .iter()
                .any(|response| response.body.as_ref().is_some_and(binary))
    });
    let binary_content = binary.then(|| {
        quote! {
            /// How a binary body is documented: a string of format `binary`, as OpenAPI 3.0
            /// says one (the service reads and answers it as bytes).
            #[derive(utoipa::ToSchema)]
            #[schema(value_type = String, format = Binary)]
            pub struct BinaryContent(pub Vec<u8>);
        }
    });
    let markers = media_types.iter().map(|media| {
        let marker = media_marker(media);
        let doc = format!(" The media type `{media}`, as request bodies are documented in.");
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct #marker;

            impl ::stubgen_runtime::MediaType for #marker {
                const MEDIA: &'static str = #media;
            }
        }
    });
    quote! {
        /// The operations of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            #(#operation_variants)*
        }

        impl Operation {
            /// The operationId.
            pub fn id(self) -> &'static str {
                match self {
                    #(#operation_ids)*
                }
            }

            /// The `error` of the JSON example the spec documents for `status`, if any: the
            /// exact message the service answers there.
            pub fn documented_error(self, status: u16) -> Option<&'static str> {
                match (self, status) {
                    #(#documented_errors)*
                    _ => None,
                }
            }
        }

        #api_error

        #(#markers)*

        #binary_content

        #[doc = #trait_doc]
        pub trait #api_trait: Send + Sync + 'static {
            #caller_type
            #hook
            #refused
            #rejected
            #method_not_allowed
            #(#methods)*
        }

        #(#enums)*
    }
}
