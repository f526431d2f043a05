//! Binary request bodies in a documented media type.

use super::media::{MediaType, body_bytes, expect_media};
use crate::BodyRejection;

/// A binary request body in the media type `M`: its bytes; 415 for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryBody<M>(pub Vec<u8>, pub std::marker::PhantomData<M>);

impl<S: Send + Sync, M: MediaType> axum::extract::FromRequest<S> for BinaryBody<M> {
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        expect_media::<M>(&request)?;
        let bytes = body_bytes(request, state).await?;
        Ok(Self(bytes.to_vec(), std::marker::PhantomData))
    }
}
