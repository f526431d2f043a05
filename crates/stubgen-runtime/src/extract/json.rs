//! JSON request bodies.

use axum::http::StatusCode;

use super::nul_character::first_nul_character;
use crate::BodyRejection;

/// A JSON request body. Unlike `axum::Json`, a body that cannot be read answers in the API's
/// error shape: 400 for invalid JSON, a missing field or a non-object, 413 when too large, 415
/// for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::validate::Validate,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let invalid = |message: String| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid request body: {message}"),
        };
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        // serde would also build a struct from an array of its fields: refuse that shape before
        // serde sees it.
        if T::JSON_OBJECT && !value.is_object() {
            return Err(invalid("expected a JSON object".to_owned()));
        }
        let body: T = serde_path_to_error::deserialize(super::strict::Strict(value))
            .map_err(|err| invalid(super::messages::at_path(&err)))?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        // PostgreSQL cannot store a NUL character in text, so no field the service reads may
        // hold one, whatever the spec says. Members the type does not read are dropped by serde
        // and never reach the store, so only what the type keeps is searched.
        let kept = serde_json::to_value(&body).map_err(|err| invalid(err.to_string()))?;
        if let Some(pointer) = first_nul_character(&kept, &mut String::new()) {
            return Err(invalid(format!("{pointer} contains a NUL character")));
        }
        Ok(Self(body))
    }
}
