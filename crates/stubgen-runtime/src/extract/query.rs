//! Query parameters.

use super::params::read_params;
use crate::BodyRejection;

/// Query parameters, read into the operation's generated struct. Unlike `axum::extract::Query`,
/// a parameter that cannot be read, breaks a constraint of the spec or holds a NUL character
/// answers 400 in the API's error shape, naming the parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned
        + serde::Serialize
        + crate::validate::Validate
        + super::styles::ParamStyles
        + Send,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // serde_html_form reads a repeated key (`tag=a&tag=b`) into a list, as the `form` style
        // with `explode` sends arrays.
        let query = parts.uri.query().unwrap_or_default();
        read_params(query.as_bytes(), "query parameter").map(Self)
    }
}
