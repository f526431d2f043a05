//! Support for the contract tests.
//!
//! [`TestApp`] runs the real server on a real socket over a fresh SQLite database, behind a
//! recording proxy that validates every response against the spec (status documented, body
//! valid for that status), whether the request came from the generated client or by hand.

mod app;
mod spec;

pub use app::{IssuedSession, RawResponse, SessionOptions, TestApp};
pub use spec::{SpecValidator, spec, to_json_schema, workspace_root};
