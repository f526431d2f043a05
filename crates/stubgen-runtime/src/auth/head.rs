//! What the authentication hook sees of a request.

use super::SchemeUse;

/// What the authentication hook sees of a request, before anything else of it is read: the
/// operation it is routed to, its URI and headers, the peer it came from (when the server
/// records it, as `axum::extract::ConnectInfo`), and the security requirements the document
/// declares for the operation.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a, O> {
    pub operation: O,
    pub uri: &'a axum::http::Uri,
    pub headers: &'a axum::http::HeaderMap,
    pub peer: Option<std::net::SocketAddr>,
    /// The operation's security requirements: alternatives, any one of which is enough, each
    /// the schemes it needs together. An empty alternative means the operation may also be
    /// called anonymously. Empty when the hook was not told.
    pub security: &'static [&'static [SchemeUse]],
}

impl<'a, O> RequestHead<'a, O> {
    /// The head of a request routed to `operation`, from its parts.
    pub fn new(operation: O, parts: &'a axum::http::request::Parts) -> Self {
        Self::secured(operation, parts, &[])
    }

    /// The head of a request routed to `operation`, which `security` protects.
    pub fn secured(
        operation: O,
        parts: &'a axum::http::request::Parts,
        security: &'static [&'static [SchemeUse]],
    ) -> Self {
        Self {
            operation,
            uri: &parts.uri,
            headers: &parts.headers,
            security,
            peer: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0),
        }
    }
}
