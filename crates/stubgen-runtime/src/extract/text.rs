//! Text request bodies in a documented media type.

use axum::http::StatusCode;

use super::media::{MediaType, body_bytes, expect_media};
use crate::BodyRejection;

/// A text request body in the media type `M`: the UTF-8 text; 400 when it is not UTF-8 or
/// holds a NUL, 415 for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBody<M>(pub String, pub std::marker::PhantomData<M>);

impl<S: Send + Sync, M: MediaType> axum::extract::FromRequest<S> for TextBody<M> {
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        expect_media::<M>(&request)?;
        let bytes = body_bytes(request, state).await?;
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) if !text.contains('\0') => Ok(Self(text, std::marker::PhantomData)),
            _ => Err(BodyRejection {
                status: StatusCode::BAD_REQUEST,
                message: "Invalid request body: expected UTF-8 text without NUL".to_owned(),
            }),
        }
    }
}
