//! Request bodies a spec does not require.

use crate::BodyRejection;

/// An optional request body, read by `E` (a [`JsonBody`], [`FormBody`] ...): `None` when the
/// request carries none (no `Content-Type` and no content).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionalBody<E>(pub Option<E>);

impl<S, E> axum::extract::FromRequest<S> for OptionalBody<E>
where
    E: axum::extract::FromRequest<S, Rejection = BodyRejection>,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let headers = request.headers();
        let has_content = headers.contains_key(axum::http::header::TRANSFER_ENCODING)
            || headers
                .get(axum::http::header::CONTENT_LENGTH)
                .is_some_and(|length| length != "0");
        if !headers.contains_key(axum::http::header::CONTENT_TYPE) && !has_content {
            return Ok(Self(None));
        }
        Ok(Self(Some(E::from_request(request, state).await?)))
    }
}
