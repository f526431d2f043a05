//! `#[both_backends]` turns `async fn name() { … }` into a module `name` with two tokio tests,
//! `name::sqlite` and `name::postgres`, each running the body with `TestApp::spawn` bound to that
//! backend. `#[both_backends(multi_thread)]` runs them on a multi-threaded runtime.

use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, parse_macro_input};

#[proc_macro_attribute]
pub fn both_backends(attribute: TokenStream, item: TokenStream) -> TokenStream {
    let function = parse_macro_input!(item as ItemFn);
    let flavor = match attribute.to_string().trim() {
        "" => quote! { #[tokio::test] },
        "multi_thread" => quote! { #[tokio::test(flavor = "multi_thread", worker_threads = 4)] },
        other => {
            let message = format!("unknown option `{other}`: use `multi_thread` or nothing");
            return quote! { compile_error!(#message); }.into();
        }
    };
    if function.sig.asyncness.is_none() || !function.sig.inputs.is_empty() {
        return syn::Error::new_spanned(&function.sig, "expected `async fn name()`")
            .to_compile_error()
            .into();
    }
    let name = &function.sig.ident;
    let attributes = &function.attrs;
    let body = &function.block;
    quote! {
        #(#attributes)*
        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #flavor
            async fn sqlite() {
                ::contract_tests::Backend::Sqlite.run(async #body).await
            }

            #flavor
            async fn postgres() {
                ::contract_tests::Backend::Postgres.run(async #body).await
            }
        }
    }
    .into()
}
