//! Cookie parameters.

use axum::http::{StatusCode, header::COOKIE};

use super::params::read_params;
use crate::BodyRejection;

/// Cookie parameters (`Cookie: name=value; other=value`), read into the operation's generated
/// struct and checked like [`crate::QueryParams`]: 400 naming the cookie.
#[derive(Debug, Clone, PartialEq)]
pub struct CookieParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for CookieParams<T>
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
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .map(|(name, value)| (name, value.trim_matches('"')))
            .collect();
        let encoded = serde_html_form::to_string(&pairs).map_err(|_| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: "Invalid cookie".to_owned(),
        })?;
        read_params(encoded.as_bytes(), "cookie").map(Self)
    }
}
