//! The runtime of the server stubs `stubgen` generates: what generated code calls, and nothing
//! that depends on any one spec.
//!
//! Generated handlers read a request in order (the service's authentication hook first, then
//! path, query, headers and body) with the readers in [`extract`], check values against the
//! spec's constraints with [`validate`], and answer what they refuse as a [`BodyRejection`].
//! Generated code names everything here as `::stubgen_runtime::…`, so a generated crate depends
//! on this crate instead of carrying copies of it.
//!
//! A reader used by hand, as a generated handler uses it:
//!
//! ```
//! use axum::extract::FromRequestParts as _;
//! use stubgen_runtime::{QueryParams, Validate, ValidationError};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! struct Page {
//!     limit: Option<i32>,
//! }
//!
//! impl stubgen_runtime::ParamStyles for Page {}
//!
//! impl Validate for Page {
//!     fn validate(&self) -> Result<(), ValidationError> {
//!         match self.limit {
//!             Some(limit) => stubgen_runtime::validate::range("limit", limit.into(), Some(1), Some(100)),
//!             None => Ok(()),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let (mut parts, ()) = axum::http::Request::get("/things?limit=500").body(()).unwrap().into_parts();
//! let refused = QueryParams::<Page>::from_request_parts(&mut parts, &()).await.unwrap_err();
//! assert_eq!(refused.status, axum::http::StatusCode::BAD_REQUEST);
//! assert_eq!(refused.message, "Invalid query parameter: limit must be at most 100");
//! # });
//! ```

mod auth;
pub mod double_option;
pub mod extract;
mod rejection;
mod routing;
pub mod validate;

pub use auth::{BearerAuth, Credential, KeyLocation, RequestHead, Scheme, SchemeUse};
pub use extract::{
    BinaryBody, CookieParams, FilePart, FormBody, FromMultipart, HeaderParams, JsonBody,
    JsonOrFormBody, MediaType, MultipartBody, MultipartParts, NestedFormBody, OptionalBody,
    ParamStyle, ParamStyles, PathParams, QueryParams, Style, TextBody, sent_in,
};
pub use rejection::{BodyRejection, PROBLEM_JSON};
pub use routing::answering_options;
pub use validate::{Validate, ValidationError};
