//! Server stubs for the Device/Session Management API.
//!
//! `models`, `operations` and `router` are generated from `openapi/sessions.yaml` by
//! `cargo xtask codegen`; only this file, `support.rs` and `validate.rs` are written by hand. A service
//! implements [`SessionsApi`] and mounts [`router()`].

pub mod models;
pub mod operations;
pub mod router;
mod support;
pub mod validate;

pub use operations::SessionsApi;
pub use router::{ApiDoc, openapi, router};
pub use support::{
    BearerAuth, BinaryBody, BodyRejection, FormBody, HeaderParams, JsonBody, MediaType,
    OptionalBody, PathParams, QueryParams, RequestHead, TextBody, answering_options, double_option,
    error_reply,
};
pub use validate::{Validate, ValidationError};

impl models::ErrorResponse {
    /// The API's error body: `{"success": false, "error": message}`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: false,
            error: message.into(),
        }
    }
}
