//! What the generated router owes every spec beyond its operations.

use axum::http::StatusCode;

/// `route` answering `OPTIONS` too: 204 with `Allow: allow` (the route's methods, `HEAD` with
/// `GET`, and `OPTIONS`), as RFC 9110 §9.3.7 describes, for a path whose spec does not document
/// `OPTIONS` itself.
pub fn answering_options<S>(
    route: axum::routing::MethodRouter<S>,
    allow: &'static str,
) -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.options(
        move || async move { (StatusCode::NO_CONTENT, [(axum::http::header::ALLOW, allow)]) },
    )
}
