//! `application/x-www-form-urlencoded` request bodies with objects inside, each declared with
//! `encoding: {member: {style: deepObject}}`: `address[city]=Oslo&items[0][price]=7`, as Stripe's
//! clients and Rails send them.

use axum::http::StatusCode;

use super::form_text;
use super::media::{body_bytes, media_type, unsupported_media_type};
use crate::BodyRejection;

/// How deep brackets may nest (`a[b][c]` is 2): past it, the rest of a key is read as text,
/// which names no member.
const MAX_DEPTH: usize = 32;

/// A form body whose members may be objects and arrays written with brackets, read into its
/// generated type and checked like a [`super::FormBody`]: 400 naming the field, 413, or 415 for
/// another content type. A member sent twice is refused, not read as its last value.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedFormBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for NestedFormBody<T>
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
        if let Some(message) =
            form_text::not_utf8(&bytes).or_else(|| form_text::nul_character(&bytes))
        {
            return Err(invalid(message));
        }
        let config = serde_qs::Config::new()
            .max_depth(MAX_DEPTH)
            .use_form_encoding(true)
            .duplicate_key_behavior(serde_qs::DuplicateKeyBehavior::Error);
        let deserializer = serde_qs::Deserializer::with_config(config, &bytes)
            .map_err(|err| invalid(super::messages::public(&err.to_string())))?;
        let body: T = serde_path_to_error::deserialize(deserializer)
            .map_err(|err| invalid(super::messages::at_path(&err)))?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        Ok(Self(body))
    }
}
