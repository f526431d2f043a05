//! `application/x-www-form-urlencoded` request bodies.

use axum::http::StatusCode;

use super::form_text;
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
        if let Some(message) = form_text::not_utf8(&bytes) {
            return Err(invalid(message));
        }
        let deserializer = serde_html_form::Deserializer::from_bytes(&bytes);
        let body: T = serde_path_to_error::deserialize(deserializer)
            .map_err(|err| invalid(super::messages::at_path(&err)))?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        // After the fields are read, so a field that fails is named first.
        if let Some(message) = form_text::nul_character(&bytes) {
            return Err(invalid(message));
        }
        Ok(Self(body))
    }
}
