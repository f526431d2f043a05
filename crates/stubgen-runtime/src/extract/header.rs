//! Header parameters.

use axum::http::StatusCode;

use super::params::read_params;
use crate::BodyRejection;

/// Header parameters, read into the operation's generated struct (fields named in lower case)
/// and checked like [`QueryParams`]: 400 naming the header. A value that is not visible ASCII
/// counts as absent.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for HeaderParams<T>
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
        let pairs: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        let encoded = serde_html_form::to_string(&pairs).map_err(|_| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: "Invalid header".to_owned(),
        })?;
        read_params(encoded.as_bytes(), "header").map(Self)
    }
}
