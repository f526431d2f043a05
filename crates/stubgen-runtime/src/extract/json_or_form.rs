//! A request body the document offers both as JSON and as a form, of one schema.

use super::media::media_type;
use super::{FormBody, JsonBody};
use crate::BodyRejection;

/// A request body read as JSON or as `application/x-www-form-urlencoded`, as its
/// `Content-Type` says, into one type: each checked as [`JsonBody`] and [`FormBody`] are; 415
/// naming both for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonOrFormBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonOrFormBody<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::validate::Validate,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        const FORM: &str = "application/x-www-form-urlencoded";
        let media = media_type(&request);
        let json = media
            .as_deref()
            .is_some_and(|media| media == "application/json" || media.ends_with("+json"));
        if media.as_deref() == Some(FORM) {
            FormBody::<T>::from_request(request, state)
                .await
                .map(|body| Self(body.0))
        } else if json {
            JsonBody::<T>::from_request(request, state)
                .await
                .map(|body| Self(body.0))
        } else {
            Err(super::media::unsupported_media_type(&format!(
                "application/json or {FORM}"
            )))
        }
    }
}
