//! Support for the contract tests.
//!
//! [`TestApp`] runs the real server on a real socket over a fresh SQLite database, behind a
//! recording proxy that validates every response against the spec (status documented, body
//! valid for that status), whether the request came from the generated client or by hand.

mod app;
mod spec;

/// The throwaway PostgreSQL clusters the tests run on.
pub use pg_throwaway as postgres;

pub use app::{Backend, IssuedSession, RawResponse, SessionOptions, TestApp};
pub use contract_test_macros::both_backends;
pub use spec::{
    SpecValidator, documented_error, operation_ids, spec, to_json_schema, workspace_root,
};

/// The status and `error` text of a typed error response from the generated client; panics
/// on success or on a transport error, naming what came instead.
pub fn error_of<T: std::fmt::Debug>(
    result: Result<
        sessions_client::ResponseValue<T>,
        sessions_client::Error<sessions_client::types::ErrorResponse>,
    >,
) -> (u16, String) {
    match result {
        Err(sessions_client::Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            let body = response.into_inner();
            assert!(!body.success, "an error body says success: false");
            (status, body.error)
        }
        other => panic!("expected a documented error response, got {other:?}"),
    }
}
