//! Emits the router module: one utoipa-annotated axum handler per operation, generic over the
//! service, and `router()`, which routes every operation to it.
//!
//! The request path is statically typed end to end, as dropshot's `api_description::<T>()`:
//! each handler is instantiated for the service's own type and names its own [`Operation`]
//! constant, so nothing is looked up, erased or downcast, and no generated line can panic.
//! HTTP semantics every spec is owed come from axum's method routing: `HEAD` on a `GET` route
//! is answered by the `GET` handler without a body, a method the path lacks gets 405 with
//! `Allow`; and `OPTIONS` on a path that does not document it answers 204 with `Allow`.

use super::*;
use openapiv3::{Components, ReferenceOr, SecurityScheme};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub(super) fn generate_router(
    operations: &[OperationStub],
    components: &Components,
    documented: &[Ident],
    api_trait: &Ident,
) -> Result<TokenStream, GenerateError> {
    let schemas = documented
        .iter()
        .map(|ident| quote! { crate::models::#ident })
        .collect::<Vec<_>>();

    let mut security_schemes = Vec::new();
    for (name, scheme) in &components.security_schemes {
        match scheme {
            ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
                if scheme.eq_ignore_ascii_case("bearer") =>
            {
                security_schemes.push(quote! {
                    components.add_security_scheme(
                        #name,
                        utoipa::openapi::security::SecurityScheme::Http(
                            utoipa::openapi::security::Http::new(utoipa::openapi::security::HttpAuthScheme::Bearer),
                        ),
                    );
                });
            }
            // Any other scheme, as the document declares it (utoipa reads OpenAPI's own shape).
            ReferenceOr::Item(scheme) => {
                let json = serde_json::to_string(scheme).map_err(|err| {
                    invalid(
                        &Pointer::default()
                            .join("components")
                            .join("securitySchemes")
                            .join(name),
                        err.to_string(),
                    )
                })?;
                security_schemes.push(quote! {
                    if let Ok(scheme) = serde_json::from_str::<utoipa::openapi::security::SecurityScheme>(#json) {
                        components.add_security_scheme(#name, scheme);
                    }
                });
            }
            // Refused where an operation requires it.
            ReferenceOr::Reference { .. } => {}
        }
    }

    let refusals = has_api_error(operations);
    let mut handlers = Vec::new();
    let mut handler_names = Vec::new();
    // Each path with its operations, in the spec's order: (method, handler).
    let mut routes_by_path: Vec<(&str, Vec<(&str, Ident)>)> = Vec::new();
    for operation in operations {
        let handler = operation.method_ident();
        let route = (operation.method.as_str(), handler.clone());
        match routes_by_path
            .iter_mut()
            .find(|(path, _)| *path == operation.path)
        {
            Some((_, methods)) => methods.push(route),
            None => routes_by_path.push((&operation.path, vec![route])),
        }
        handlers.push(generate_handler(operation, api_trait, refusals));
        handler_names.push(handler);
    }
    let routes = routes_by_path
        .iter()
        .map(|(path, methods)| route(path, methods));

    let defaults_modifier = document_fixes(operations);
    let security_modifier = (!security_schemes.is_empty()).then(|| {
        quote! {
            /// Adds the spec's security schemes, which utoipa cannot derive.
            #[derive(Debug)]
            pub struct SecuritySchemes;

            impl utoipa::Modify for SecuritySchemes {
                fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                    let components = openapi.components.get_or_insert_with(Default::default);
                    #(#security_schemes)*
                }
            }
        }
    });
    let modifier_names: Vec<TokenStream> = [
        defaults_modifier
            .as_ref()
            .map(|_| quote! { &DocumentFixes }),
        security_modifier
            .as_ref()
            .map(|_| quote! { &SecuritySchemes }),
    ]
    .into_iter()
    .flatten()
    .collect();
    let modifiers =
        (!modifier_names.is_empty()).then(|| quote! { , modifiers(#(#modifier_names),*) });
    let security_modifier = quote! { #defaults_modifier #security_modifier };
    Ok(quote! {
        use utoipa::OpenApi as _;

        /// Every operation of the spec, routed to `api`: each handler is instantiated for `T`
        /// itself, so the request path holds no trait object and no lookup. `HEAD` on a `GET`
        /// route answers as `GET` without a body; a method a path does not have gets 405 with
        /// `Allow` from the service's `method_not_allowed` hook; `OPTIONS` on a path gets 204
        /// with `Allow`, unless the spec documents it.
        pub fn router<T: crate::operations::#api_trait>(api: std::sync::Arc<T>) -> axum::Router {
            axum::Router::new()
                #(#routes)*
                .method_not_allowed_fallback(method_not_allowed::<T>)
                .with_state(api)
        }

        /// A method that a path of the document does not have: the service's
        /// `method_not_allowed` hook answers (axum adds `Allow`). A path the document does not
        /// have is left to the router this one is merged into (a router with a fallback of its
        /// own could not be merged into one that has another).
        async fn method_not_allowed<T: crate::operations::#api_trait>(
            axum::extract::State(api): axum::extract::State<std::sync::Arc<T>>,
            request: axum::extract::Request,
        ) -> axum::response::Response {
            api.method_not_allowed(&request)
        }

        /// The OpenAPI document of the routes: every operation's annotations, the components
        /// and the security schemes, as utoipa sees them.
        pub fn openapi() -> utoipa::openapi::OpenApi {
            ApiDoc::openapi()
        }

        /// The operations, components and security schemes of the spec, as utoipa sees them.
        #[derive(Debug, utoipa::OpenApi)]
        #[openapi(
            paths(#(#handler_names),*),
            components(schemas(#(#schemas),*))
            #modifiers
        )]
        pub struct ApiDoc;

        #security_modifier

        #(#handlers)*
    })
}

/// A `utoipa::Modify` that says what utoipa's attributes cannot: the `default` of query,
/// header and cookie parameters, and request bodies that are optional (an `Option` would also
/// make them nullable).
fn document_fixes(operations: &[OperationStub]) -> Option<TokenStream> {
    let mut patches = Vec::new();
    for operation in operations {
        if operation.body.as_ref().is_some_and(|body| !body.required) {
            let path = &operation.path;
            let method = format_ident!("{}", operation.method);
            patches.push(quote! {
                if let Some(utoipa::openapi::RefOr::T(body)) = openapi
                    .paths
                    .paths
                    .get_mut(#path)
                    .and_then(|item| item.#method.as_mut())
                    .and_then(|operation| operation.request_body.as_mut())
                {
                    body.required = Some(utoipa::openapi::Required::False);
                }
            });
        }
        let params = operation
            .query_params
            .iter()
            .chain(&operation.header_params)
            .chain(&operation.cookie_params);
        for param in params {
            let Some(default) = &param.default_value else {
                continue;
            };
            let (path, name) = (&operation.path, &param.name);
            let method = format_ident!("{}", operation.method);
            let json = serde_json::to_string(default).unwrap_or_default();
            patches.push(quote! {
                if let Some(operation) = openapi.paths.paths.get_mut(#path).and_then(|item| item.#method.as_mut()) {
                    set_default(operation, #name, #json);
                }
            });
        }
    }
    if patches.is_empty() {
        return None;
    }
    Some(quote! {
        /// Says what utoipa's attributes cannot: parameters' `default`s, optional request bodies.
        #[derive(Debug)]
        pub struct DocumentFixes;

        impl utoipa::Modify for DocumentFixes {
            fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                #[allow(dead_code)]
                fn set_default(operation: &mut utoipa::openapi::path::Operation, name: &str, json: &str) {
                    use utoipa::openapi::{RefOr, schema::{AllOf, Schema}};
                    let default = serde_json::from_str(json).ok();
                    let parameters = operation.parameters.iter_mut().flatten();
                    for parameter in parameters {
                        let RefOr::T(parameter) = parameter else { continue };
                        if !parameter.name.eq_ignore_ascii_case(name) {
                            continue;
                        }
                        match &mut parameter.schema {
                            Some(RefOr::T(Schema::Object(object))) => object.default = default.clone(),
                            // Beside a `$ref`, as OpenAPI 3.0 says it: an `allOf` of the one.
                            Some(RefOr::Ref(reference)) => {
                                let mut all_of = AllOf::new();
                                all_of.items.push(RefOr::Ref(reference.clone()));
                                all_of.default = default.clone();
                                parameter.schema = Some(RefOr::T(Schema::AllOf(all_of)));
                            }
                            _ => {}
                        }
                    }
                }
                #(#patches)*
            }
        }
    })
}

/// One path's route: its operations' handlers for the service type `T`, and `OPTIONS`.
fn route(path: &str, methods: &[(&str, Ident)]) -> TokenStream {
    let handlers = methods.iter().map(|(method, handler)| {
        let method = format_ident!("{method}");
        quote! { .#method(#handler::<T>) }
    });
    let route = quote! { axum::routing::MethodRouter::new() #(#handlers)* };
    if methods.iter().any(|(method, _)| *method == "options") {
        return quote! { .route(#path, #route) };
    }
    let mut allowed = Vec::new();
    for (method, _) in methods {
        allowed.push(method.to_uppercase());
        if *method == "get" && !methods.iter().any(|(method, _)| *method == "head") {
            allowed.push("HEAD".to_owned());
        }
    }
    allowed.push("OPTIONS".to_owned());
    let allow = allowed.join(", ");
    quote! { .route(#path, ::stubgen_runtime::answering_options(#route, #allow)) }
}
/// A handler, generic over the service. It reads a request in the order the service is owed:
/// authentication first (so a request that does not authenticate gets the hook's answer whatever
/// else is wrong with it), then the path, query, headers and body. With `refusals`, what the
/// query, headers or body readers refuse goes through
/// the service's `refused` hook, so it answers in the shared error type.
pub(super) fn generate_handler(
    operation: &OperationStub,
    api_trait: &Ident,
    refusals: bool,
) -> TokenStream {
    let handler = operation.method_ident();
    let http_method = format_ident!("{}", operation.method);
    let path = &operation.path;
    let operation_id = &operation.operation_id;
    let tags = &operation.tags;
    let summary = operation
        .summary
        .as_ref()
        .map(|summary| quote! { summary = #summary, });
    let description = operation.description.as_ref().map(|description| {
        let description = description.trim();
        quote! { description = #description, }
    });

    let param_docs = operation.path_params.iter().map(|param| {
        let name = &param.name;
        let ty = &param.ty;
        let description = param
            .description
            .as_ref()
            .map(|text| quote! { , description = #text });
        let format = param
            .format
            .as_ref()
            .map(|format| quote! { , format = #format });
        let constraints = param.constraints.attrs();
        quote! { (#name = #ty, Path #description #format #(, #constraints)*) }
    });
    let query_docs = operation
        .query_params
        .iter()
        .map(|param| (param, quote! { Query }));
    let header_docs = operation
        .header_params
        .iter()
        .map(|param| (param, quote! { Header }));
    let cookie_docs = operation
        .cookie_params
        .iter()
        .map(|param| (param, quote! { Cookie }));
    let query_docs = query_docs
        .chain(header_docs)
        .chain(cookie_docs)
        .map(|(param, location)| {
            let name = &param.name;
            // Documented as optional unless required, default or not (the service always
            // receives a value when there is a default).
            let ty = &param.ty;
            let ty = if param.required {
                quote! { #ty }
            } else {
                quote! { Option<#ty> }
            };
            let description = param
                .description
                .as_deref()
                .map(str::trim)
                .map(|text| quote! { , description = #text });
            let mut constraints = param.constraints.attrs();
            if let Some(format) = &param.format {
                constraints.push(quote! { format = #format });
            }
            constraints.extend(param.documented_style.iter().cloned());
            quote! { (#name = #ty, #location #description #(, #constraints)*) }
        });
    let param_docs = param_docs.chain(query_docs).collect::<Vec<_>>();
    let params = (!param_docs.is_empty()).then(|| quote! { params(#(#param_docs),*), });

    let request_body = operation.body.as_ref().map(|body| {
        let ty = body.ty.documented();
        let description = body
            .description
            .as_ref()
            .map(|text| quote! { , description = #text });
        let media_type = body.ty.media_type();
        if let BodyType::Alternatives { media, .. } = &body.ty {
            let content = media.iter().map(|(media, body)| {
                let ty = body.documented();
                quote! { (#ty = #media) }
            });
            return quote! {
                request_body(content(#(#content),*) #description),
            };
        }
        if let BodyType::JsonOrForm(..) = body.ty {
            let form = "application/x-www-form-urlencoded";
            return quote! {
                request_body(content((#ty = #media_type), (#ty = #form)) #description),
            };
        }
        quote! { request_body(content = #ty, content_type = #media_type #description), }
    });

    let responses = operation.responses.iter().map(|stub| {
        let status = match stub.status {
            StatusKey::Code(code) => {
                let code = proc_macro2::Literal::u16_unsuffixed(code);
                quote! { #code }
            }
            key => {
                let key = key.to_string();
                quote! { #key }
            }
        };
        let description = stub.description.trim();
        let body = stub.body.as_ref().map(|body| {
            let media_type = body.media_type();
            let body = body.documented();
            quote! { , body = #body, content_type = #media_type }
        });
        let headers = (!stub.headers.is_empty()).then(|| {
            let headers = stub.headers.iter().map(|(name, ty, description)| {
                let description = description
                    .as_deref()
                    .map(str::trim)
                    .map(|text| quote! { , description = #text });
                quote! { (#name = #ty #description) }
            });
            quote! { , headers(#(#headers),*) }
        });
        quote! { (status = #status, description = #description #body #headers) }
    });

    let security = operation.security.as_ref().map(|alternatives| {
        let alternatives = alternatives.iter().map(|uses| {
            let uses = uses.iter().map(|scheme| {
                let name = &scheme.name;
                let scopes = &scheme.scopes;
                quote! { #name = [#(#scopes),*] }
            });
            quote! { (#(#uses),*) }
        });
        quote! { security(#(#alternatives),*), }
    });

    let operation_variant = operation.variant_ident();
    // The request's parts are read in order; `steps` are the statements that read them.
    let mut steps = Vec::new();
    let mut arguments = Vec::new();
    let mut reads_parts = false;
    let security_const = operation.security.as_ref().map(|alternatives| {
        let alternatives = alternatives.iter().map(|uses| {
            let uses = uses.iter().map(SchemeUse::tokens);
            quote! { &[#(#uses),*] }
        });
        quote! { const SECURITY: &[&[::stubgen_runtime::SchemeUse]] = &[#(#alternatives),*]; }
    });
    if operation.security.is_some() {
        steps.push(quote! {
            let caller = match api.authenticate(::stubgen_runtime::RequestHead::secured(OPERATION, &parts, SECURITY)).await {
                Ok(caller) => caller,
                Err(error) => return axum::response::IntoResponse::into_response(error),
            };
        });
        arguments.push(quote! { caller });
    }
    // A reader's rejection: answered by the service's `refused` hook (its typed errors) when
    // there is one and its errors have the status, else by its `rejected` hook (problem
    // details unless overridden).
    let refuse = |refused: bool| {
        if refused {
            quote! {
                if crate::operations::ApiError::STATUSES.contains(&rejection.status.as_u16()) {
                    axum::response::IntoResponse::into_response(api.refused(OPERATION, rejection))
                } else {
                    api.rejected(OPERATION, rejection)
                }
            }
        } else {
            quote! { api.rejected(OPERATION, rejection) }
        }
    };
    // `then`: statements that check what was read.
    let mut read_part = |binding: TokenStream,
                         reader: TokenStream,
                         refused: bool,
                         then: TokenStream| {
        reads_parts = true;
        let refuse = refuse(refused);
        steps.push(quote! {
            let #binding = match <#reader as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &()).await {
                Ok(value) => value,
                Err(rejection) => return #refuse,
            };
            #then
        });
    };
    if !operation.path_params.is_empty() {
        // Bindings of their own (`path_id`), apart from the handler's other locals (`api`,
        // `query`, `body`) and from each other (`{id}` and `{Id}` meet in Rust).
        let mut taken = std::collections::BTreeSet::new();
        let names = operation
            .path_params
            .iter()
            .map(|param| {
                let base = format!(
                    "path_{}",
                    snake_ident(&param.name)
                        .to_string()
                        .trim_start_matches("r#")
                );
                let mut unique = base.clone();
                let mut suffix = 1;
                while !taken.insert(unique.clone()) {
                    suffix += 1;
                    unique = format!("{base}_{suffix}");
                }
                format_ident!("{unique}")
            })
            .collect::<Vec<_>>();
        let types = operation.path_params.iter().map(|param| &param.ty);
        // A value its schema refuses names no resource either.
        let checks: Vec<TokenStream> = operation
            .path_params
            .iter()
            .zip(&names)
            .filter_map(|(param, binding)| {
                let checks = param
                    .constraints
                    .checks(&param.name, param.validates_nested);
                (!checks.is_empty()).then(|| quote! { { let value = &#binding; #checks } })
            })
            .collect();
        let then = if checks.is_empty() {
            TokenStream::new()
        } else {
            quote! {
                let checked = (|| -> Result<(), ::stubgen_runtime::ValidationError> {
                    #(#checks)*
                    Ok(())
                })();
                if checked.is_err() {
                    return api.rejected(OPERATION, ::stubgen_runtime::BodyRejection::not_found());
                }
            }
        };

        // An unreadable path parameter is the path's fault (404), not a refusal `refused` words.
        read_part(
            quote! { ::stubgen_runtime::PathParams((#(#names,)*)) },
            quote! { ::stubgen_runtime::PathParams<(#(#types,)*)> },
            false,
            then,
        );
        arguments.extend(names.iter().map(|name| quote! { #name }));
    }
    if !operation.query_params.is_empty() {
        let ty = operation.query_ident();
        read_part(
            quote! { ::stubgen_runtime::QueryParams(query) },
            quote! { ::stubgen_runtime::QueryParams<crate::operations::#ty> },
            refusals,
            TokenStream::new(),
        );
        arguments.extend(operation.query_params.iter().map(|param| {
            let field = param.field();
            quote! { query.#field }
        }));
    }
    if !operation.header_params.is_empty() {
        let ty = operation.headers_ident();
        read_part(
            quote! { ::stubgen_runtime::HeaderParams(header_params) },
            quote! { ::stubgen_runtime::HeaderParams<crate::operations::#ty> },
            refusals,
            TokenStream::new(),
        );
        arguments.extend(operation.header_params.iter().map(|param| {
            let field = param.field();
            quote! { header_params.#field }
        }));
    }
    if !operation.cookie_params.is_empty() {
        let ty = operation.cookies_ident();
        read_part(
            quote! { ::stubgen_runtime::CookieParams(cookie_params) },
            quote! { ::stubgen_runtime::CookieParams<crate::operations::#ty> },
            refusals,
            TokenStream::new(),
        );
        arguments.extend(operation.cookie_params.iter().map(|param| {
            let field = param.field();
            quote! { cookie_params.#field }
        }));
    }
    let mutates_parts = reads_parts;
    let reads_parts = reads_parts || operation.security.is_some();
    let parts_binding = if mutates_parts {
        quote! { mut parts }
    } else {
        quote! { parts }
    };
    let split = match (&operation.body, reads_parts) {
        (Some(body), reads_parts) => {
            let reader = body.ty.reader(body.required);
            let refuse = refuse(refusals);
            let request = if reads_parts {
                quote! { axum::extract::Request::from_parts(parts, body) }
            } else {
                quote! { request }
            };
            steps.push(quote! {
                let body = match <#reader as axum::extract::FromRequest<()>>::from_request(#request, &()).await {
                    Ok(value) => value,
                    Err(rejection) => return #refuse,
                };
            });
            arguments.push(BodyType::argument(body.required));
            reads_parts.then(|| quote! { let (#parts_binding, body) = request.into_parts(); })
        }
        (None, true) => Some(quote! { let (#parts_binding, _) = request.into_parts(); }),
        (None, false) => None,
    };
    let request = if steps.is_empty() {
        TokenStream::new()
    } else {
        quote! { request: axum::extract::Request, }
    };
    // Every reader's refusal goes to a hook, which is told the operation.
    let names_operation = operation.security.is_some()
        || operation.body.is_some()
        || !operation.path_params.is_empty()
        || !operation.query_params.is_empty()
        || !operation.header_params.is_empty()
        || !operation.cookie_params.is_empty();
    let operation_const = names_operation.then(|| {
        quote! {
            const OPERATION: crate::operations::Operation = crate::operations::Operation::#operation_variant;
        }
    });

    quote! {
        #[utoipa::path(
            #http_method,
            path = #path,
            operation_id = #operation_id,
            tags = [#(#tags),*],
            #summary
            #description
            #params
            #request_body
            responses(#(#responses),*),
            #security
        )]
        pub async fn #handler<T: crate::operations::#api_trait>(
            axum::extract::State(api): axum::extract::State<std::sync::Arc<T>>,
            #request
        ) -> axum::response::Response {
            #operation_const
            #security_const
            #split
            #(#steps)*
            axum::response::IntoResponse::into_response(api.#handler(#(#arguments),*).await)
        }
    }
}
