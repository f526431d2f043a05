//! Path parameters.

use crate::BodyRejection;

/// Path parameters. Unlike `axum::extract::Path`, a path segment that cannot be read (say,
/// invalid UTF-8 once percent-decoded) answers 404 in the API's error shape: no resource has
/// such an id.
#[derive(Debug, Clone, PartialEq)]
pub struct PathParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let not_found = BodyRejection::not_found;
        // No resource has an id with a NUL character, and PostgreSQL cannot even compare one:
        // answer before the value reaches the store.
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        if raw.iter().any(|(_, value)| value.contains('\0')) {
            return Err(not_found());
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(params)) => Ok(Self(params)),
            Err(_) => Err(not_found()),
        }
    }
}
