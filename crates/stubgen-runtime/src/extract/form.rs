//! `application/x-www-form-urlencoded` request bodies.

use axum::http::StatusCode;

use super::media::{body_bytes, media_type, unsupported_media_type};
use crate::BodyRejection;

/// An `application/x-www-form-urlencoded` request body, read into its generated type and
/// checked like a [`JsonBody`]: 400 naming the field, 413, or 415 for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct FormBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for FormBody<T>
where
    T: serde::de::DeserializeOwned + crate::validate::Validate,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        const FORM: &str = "application/x-www-form-urlencoded";
        if media_type(&request).as_deref() != Some(FORM) {
            return Err(unsupported_media_type(FORM));
        }
        let bytes = body_bytes(request, state).await?;
        let invalid = |message: String| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid request body: {message}"),
        };
        let deserializer = serde_html_form::Deserializer::from_bytes(&bytes);
        let body: T = serde_path_to_error::deserialize(deserializer)
            .map_err(|err| invalid(format!("{}: {}", err.path(), err.inner())))?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        if bytes.contains(&0) || bytes.windows(3).any(|window| window == b"%00") {
            return Err(invalid("a field contains a NUL character".to_owned()));
        }
        Ok(Self(body))
    }
}
