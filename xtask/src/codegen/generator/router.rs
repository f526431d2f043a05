//! Emits the router module: one utoipa-annotated axum handler per operation, and the routes.

use super::*;
use heck::ToSnakeCase;
use openapiv3::{Components, ReferenceOr, SecurityScheme};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub(super) fn generate_router(
    operations: &[OperationStub],
    components: &Components,
    api_trait: &Ident,
) -> Result<TokenStream, GenerateError> {
    let schemas = components
        .schemas
        .keys()
        .map(|name| {
            let ident = component_type(name);
            quote! { crate::models::#ident }
        })
        .collect::<Vec<_>>();

    let schemes_pointer = Pointer::default()
        .join("components")
        .join("securitySchemes");
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
            _ => {
                return Err(unsupported(
                    &schemes_pointer.join(name),
                    "a security scheme other than http bearer",
                ));
            }
        }
    }

    let refusals = has_api_error(operations);
    let mut handlers = Vec::new();
    let mut routes_by_path: Vec<(&str, Vec<Ident>)> = Vec::new();
    for operation in operations {
        let handler = operation.method_ident();
        match routes_by_path
            .iter_mut()
            .find(|(path, _)| *path == operation.path)
        {
            Some((_, handlers)) => handlers.push(handler.clone()),
            None => routes_by_path.push((&operation.path, vec![handler.clone()])),
        }
        handlers.push(generate_handler(operation, refusals));
    }
    let routes = routes_by_path.iter().map(|(_, handlers)| {
        quote! { .routes(utoipa_axum::routes!(#(#handlers),*)) }
    });

    let dyn_trait = format_ident!("Dyn{api_trait}");
    let authenticated = operations
        .iter()
        .any(|operation| operation.bearer_scheme.is_some())
        .then(|| {
            quote! {
                /// The caller of a request, from the service's authentication hook, called once
                /// per request before anything else of it is read. A request it refuses gets the
                /// hook's [`crate::operations::ApiError`].
                #[derive(Debug)]
                pub struct Authenticated(pub crate::ErasedCaller);

                impl axum::extract::FromRequestParts<SharedApi> for Authenticated {
                    type Rejection = crate::operations::ApiError;

                    async fn from_request_parts(
                        parts: &mut axum::http::request::Parts,
                        api: &SharedApi,
                    ) -> Result<Self, Self::Rejection> {
                        let template = parts
                            .extensions
                            .get::<axum::extract::MatchedPath>()
                            .map(|path| path.as_str().to_owned())
                            .unwrap_or_default();
                        let operation = crate::operations::Operation::of(&parts.method, &template)
                            .expect("every generated route is an operation of the spec");
                        let peer = parts
                            .extensions
                            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                            .map(|info| info.0);
                        let head = crate::RequestHead {
                            operation,
                            headers: &parts.headers,
                            peer,
                        };
                        api.authenticate(head).await.map(Self)
                    }
                }
            }
        });
    Ok(quote! {
        use utoipa::OpenApi as _;

        /// The state every handler receives: the service behind the generated trait.
        pub type SharedApi = std::sync::Arc<dyn crate::operations::#dyn_trait>;

        #authenticated

        /// The components and security schemes of the spec, as utoipa sees them.
        #[derive(Debug, utoipa::OpenApi)]
        #[openapi(components(schemas(#(#schemas),*)), modifiers(&SecuritySchemes))]
        pub struct ApiDoc;

        /// Adds the spec's security schemes, which utoipa cannot derive.
        #[derive(Debug)]
        pub struct SecuritySchemes;

        impl utoipa::Modify for SecuritySchemes {
            fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                let components = openapi.components.get_or_insert_with(Default::default);
                #(#security_schemes)*
            }
        }

        /// Every operation of the spec, routed to the service and documented by utoipa.
        pub fn router() -> utoipa_axum::router::OpenApiRouter<SharedApi> {
            utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
                #(#routes)*
        }

        #(#handlers)*
    })
}

/// A handler; with `refusals`, what its query, headers or body extractors refuse goes through
/// the service's `refused` hook, so it answers in the shared error type.
pub(super) fn generate_handler(operation: &OperationStub, refusals: bool) -> TokenStream {
    let handler = operation.method_ident();
    let response = operation.response_ident();
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
        quote! { (#name = #ty, Path #description #format) }
    });
    let query_docs = operation
        .query_params
        .iter()
        .map(|param| (param, quote! { Query }));
    let header_docs = operation
        .header_params
        .iter()
        .map(|param| (param, quote! { Header }));
    let query_docs = query_docs.chain(header_docs).map(|(param, location)| {
        let name = &param.name;
        let ty = param.rust_type();
        let description = param
            .description
            .as_deref()
            .map(str::trim)
            .map(|text| quote! { , description = #text });
        let mut constraints = param.constraints.attrs();
        if let Some(format) = &param.format {
            constraints.push(quote! { format = #format });
        }
        quote! { (#name = #ty, #location #description #(, #constraints)*) }
    });
    let param_docs = param_docs.chain(query_docs).collect::<Vec<_>>();
    let params = (!param_docs.is_empty()).then(|| quote! { params(#(#param_docs),*), });

    let request_body = operation.body.as_ref().map(|body| {
        let ty = body.ty.tokens();
        let description = body
            .description
            .as_ref()
            .map(|text| quote! { , description = #text });
        let media_type = body.ty.media_type();
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
            let body = body.tokens();
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

    let security = operation
        .bearer_scheme
        .as_ref()
        .map(|scheme| quote! { security((#scheme = [])), });

    let mut extractors =
        vec![quote! { axum::extract::State(api): axum::extract::State<SharedApi> }];
    let mut arguments = Vec::new();
    // First, so a request that does not authenticate gets the hook's answer whatever else is
    // wrong with it.
    if operation.bearer_scheme.is_some() {
        extractors.push(quote! { Authenticated(caller): Authenticated });
        arguments.push(quote! { caller });
    }
    if !operation.path_params.is_empty() {
        let names = operation
            .path_params
            .iter()
            .map(|param| rust_ident(&param.name.to_snake_case()))
            .collect::<Vec<_>>();
        let types = operation.path_params.iter().map(|param| &param.ty);
        extractors.push(quote! {
            crate::PathParams((#(#names,)*)): crate::PathParams<(#(#types,)*)>
        });
        arguments.extend(names.iter().map(|name| quote! { #name }));
    }
    let operation_variant = format_ident!("{}", operation.operation_id.to_pascal_case());
    let mut unwraps = Vec::new();
    // With refusals, an extractor is read as a `Result` and its rejection answered by the hook.
    let mut read = |binding: TokenStream, name: Ident, reader: TokenStream| {
        if refusals {
            extractors.push(quote! { #name: Result<#reader, crate::BodyRejection> });
            unwraps.push(quote! {
                let #binding = match #name {
                    Ok(value) => value,
                    Err(rejection) => {
                        let refused = api.refused(crate::operations::Operation::#operation_variant, rejection);
                        return axum::response::IntoResponse::into_response(refused);
                    }
                };
            });
        } else {
            extractors.push(quote! { #binding: #reader });
        }
    };
    if !operation.query_params.is_empty() {
        let ty = operation.query_ident();
        read(
            quote! { crate::QueryParams(query) },
            format_ident!("query_params"),
            quote! { crate::QueryParams<crate::operations::#ty> },
        );
        arguments.extend(operation.query_params.iter().map(|param| {
            let field = param.field();
            quote! { query.#field }
        }));
    }
    if !operation.header_params.is_empty() {
        let ty = operation.headers_ident();
        read(
            quote! { crate::HeaderParams(header_params) },
            format_ident!("header_params_read"),
            quote! { crate::HeaderParams<crate::operations::#ty> },
        );
        arguments.extend(operation.header_params.iter().map(|param| {
            let field = param.field();
            quote! { header_params.#field }
        }));
    }
    if let Some(body) = &operation.body {
        read(
            quote! { body },
            format_ident!("body_read"),
            body.ty.reader(body.required),
        );
        arguments.push(BodyType::argument(body.required));
    }

    let call = quote! { api.#handler(#(#arguments),*).await };
    let (returns, call) = if refusals {
        (
            quote! { axum::response::Response },
            quote! { axum::response::IntoResponse::into_response(#call) },
        )
    } else {
        (quote! { crate::operations::#response }, call)
    };
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
        pub async fn #handler(#(#extractors),*) -> #returns {
            #(#unwraps)*
            #call
        }
    }
}
