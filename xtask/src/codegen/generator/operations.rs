//! Emits the operations module: the service trait, one response enum per operation and the
//! query structs.

use super::*;
use heck::ToSnakeCase;
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
        let rename = (field != name.as_str()).then(|| quote! { #[serde(rename = #name)] });
        quote! { #doc #rename #optional pub #field: #ty, }
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

        impl crate::Validate for #ident {
            fn validate(&self) -> Result<(), crate::ValidationError> {
                #(#checks)*
                Ok(())
            }
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
            quote! { axum::http::StatusCode::from_u16(#status).expect("a status code from the spec") },
        ),
    }
}

pub(super) fn generate_operations(operations: &[OperationStub], api_trait: &Ident) -> TokenStream {
    let mut methods = Vec::new();
    let mut dyn_methods = Vec::new();
    let mut forwarding = Vec::new();
    let mut enums = Vec::new();
    for operation in operations {
        let method = operation.method_ident();
        let response = operation.response_ident();
        let title = format!(" `{} {}`", operation.method.to_uppercase(), operation.path);
        let summary = doc_attrs(operation.summary.as_deref());
        let description = doc_attrs(operation.description.as_deref());
        // Every argument after `&self`, as (name, type).
        let mut arguments: Vec<(Ident, TokenStream)> = Vec::new();
        if operation.bearer_scheme.is_some() {
            arguments.push((format_ident!("auth"), quote! { crate::BearerAuth }));
        }
        for param in &operation.path_params {
            let ty = &param.ty;
            arguments.push((rust_ident(&param.name.to_snake_case()), quote! { #ty }));
        }
        for param in operation
            .query_params
            .iter()
            .chain(&operation.header_params)
        {
            arguments.push((param.field(), param.rust_type()));
        }
        if let Some(body) = &operation.body {
            let ty = body.ty.tokens();
            let ty = if body.required {
                ty
            } else {
                quote! { Option<#ty> }
            };
            arguments.push((format_ident!("body"), ty));
        }
        let declared = arguments.iter().map(|(name, ty)| quote! { #name: #ty, });
        let names = arguments.iter().map(|(name, _)| name);
        methods.push(quote! {
            #summary
            #[doc = ""]
            #description
            #[doc = ""]
            #[doc = #title]
            fn #method(&self, #(#declared)*) -> impl std::future::Future<Output = #response> + Send;
        });
        let declared = arguments.iter().map(|(name, ty)| quote! { #name: #ty, });
        dyn_methods.push(quote! {
            fn #method(&self, #(#declared)*) -> BoxedResponse<'_, #response>;
        });
        let declared = arguments.iter().map(|(name, ty)| quote! { #name: #ty, });
        forwarding.push(quote! {
            fn #method(&self, #(#declared)*) -> BoxedResponse<'_, #response> {
                Box::pin(#api_trait::#method(self, #(#names),*))
            }
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

        let mut variants = Vec::new();
        let mut arms = Vec::new();
        for stub in &operation.responses {
            let doc = format!(" {}: {}", stub.status, stub.description.trim());
            let body = stub.body.as_ref();
            match (stub.status, body) {
                (StatusKey::Code(code), Some(body_type)) => {
                    let (variant, status) = status_names(code);
                    let body = body_type.tokens();
                    let response = body_type.response(&status);
                    variants.push(quote! { #[doc = #doc] #variant(#body), });
                    arms.push(quote! { Self::#variant(body) => #response, });
                }
                (StatusKey::Code(code), None) => {
                    let (variant, status) = status_names(code);
                    variants.push(quote! { #[doc = #doc] #variant, });
                    arms.push(quote! { Self::#variant => #status.into_response(), });
                }
                // A range or `default`: the service chooses the status.
                (key, body) => {
                    let variant = match key {
                        StatusKey::Range(digit) => format_ident!("Status{digit}XX"),
                        _ => format_ident!("Default"),
                    };
                    match body {
                        Some(body_type) => {
                            let body = body_type.tokens();
                            let response = body_type.response(&quote! { status });
                            variants.push(quote! {
                                #[doc = #doc]
                                #variant { status: axum::http::StatusCode, body: #body },
                            });
                            arms.push(quote! { Self::#variant { status, body } => #response, });
                        }
                        None => {
                            variants.push(quote! {
                                #[doc = #doc]
                                #variant { status: axum::http::StatusCode },
                            });
                            arms.push(
                                quote! { Self::#variant { status } => status.into_response(), },
                            );
                        }
                    }
                }
            }
        }
        let enum_doc = format!(
            " Every documented response of `{}`, one variant per status.",
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
        });
    }
    let trait_doc = " One method per operation of the spec. The service implements it, with `async fn`s; the generated router calls it.";
    let dyn_trait = format_ident!("Dyn{api_trait}");
    let dyn_doc = format!(
        " The object-safe form of [`{api_trait}`] the router holds; every implementation of [`{api_trait}`] has it."
    );
    quote! {
        #[doc = #trait_doc]
        pub trait #api_trait: Send + Sync + 'static {
            #(#methods)*
        }

        /// A response future, boxed so the router can hold the service as a trait object.
        pub type BoxedResponse<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

        #[doc = #dyn_doc]
        pub trait #dyn_trait: Send + Sync + 'static {
            #(#dyn_methods)*
        }

        impl<T: #api_trait> #dyn_trait for T {
            #(#forwarding)*
        }

        #(#enums)*
    }
}
