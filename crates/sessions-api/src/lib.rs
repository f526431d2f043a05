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

pub use operations::{DynSessionsApi, SessionsApi};
pub use router::{ApiDoc, SharedApi, router};
pub use support::{BearerAuth, BodyRejection, JsonBody, PathParams, QueryParams, error_reply};
pub use validate::{Validate, ValidationError};
