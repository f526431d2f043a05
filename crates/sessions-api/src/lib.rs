//! Server stubs for the Device/Session Management API.
//!
//! `models`, `operations` and `router` are generated from `openapi/sessions.yaml` by
//! `cargo xtask codegen`; only this file is written by hand. What the generated code calls is
//! `stubgen-runtime`'s. A service implements [`SessionsApi`] and mounts [`router()`].

pub mod models;
pub mod operations;
pub mod router;

pub use operations::SessionsApi;
pub use router::{ApiDoc, openapi, router};
/// What the generated code calls, for the service's own use of the same pieces.
pub use stubgen_runtime::{BearerAuth, BodyRejection, RequestHead};

impl models::ErrorResponse {
    /// The API's error body: `{"success": false, "error": message}`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: false,
            error: message.into(),
        }
    }
}

/// A response in the API's error shape, `{"success": false, "error": message}`, for what is
/// answered outside the typed operations (rejections, fallbacks, limits).
pub fn error_reply(
    status: axum::http::StatusCode,
    message: impl Into<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (status, axum::Json(models::ErrorResponse::new(message))).into_response()
}
