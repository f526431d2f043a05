//! Hand-written support the generated handlers call.

use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};

/// The longest bearer token accepted; anything longer is malformed, never looked up.
const MAX_TOKEN_LEN: usize = 512;

/// The credentials of a request, as read from its `Authorization` header. The service decides
/// what a token is worth; this only says what was sent.
#[derive(Clone, PartialEq, Eq)]
pub enum BearerAuth {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>` with a plausible token.
    Malformed,
    /// A well-formed bearer token, not yet verified.
    Token(String),
}

impl std::fmt::Debug for BearerAuth {
    // Never print a token: logs must not leak credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("Missing"),
            Self::Malformed => f.write_str("Malformed"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl BearerAuth {
    /// Reads `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return if headers.contains_key(AUTHORIZATION) {
                Self::Malformed
            } else {
                Self::Missing
            };
        };
        let Ok(value) = value.to_str() else {
            return Self::Malformed;
        };
        let Some((scheme, token)) = value.split_once(' ') else {
            return Self::Malformed;
        };
        let token = token.trim_start_matches(' ');
        let plausible = |token: &str| {
            !token.is_empty()
                && token.len() <= MAX_TOKEN_LEN
                && token.bytes().all(|byte| byte.is_ascii_graphic())
        };
        if scheme.eq_ignore_ascii_case("bearer") && plausible(token) {
            Self::Token(token.to_owned())
        } else {
            Self::Malformed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn read(values: &[&str]) -> BearerAuth {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        BearerAuth::from_headers(&headers)
    }

    #[test]
    fn reads_a_bearer_token_with_any_scheme_case() {
        assert_eq!(read(&["Bearer abc"]), BearerAuth::Token("abc".into()));
        assert_eq!(read(&["bearer abc"]), BearerAuth::Token("abc".into()));
    }

    #[test]
    fn tells_missing_from_malformed() {
        assert_eq!(read(&[]), BearerAuth::Missing);
        for malformed in ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "abc"] {
            assert_eq!(read(&[malformed]), BearerAuth::Malformed, "{malformed:?}");
        }
        assert_eq!(read(&["Bearer a", "Bearer b"]), BearerAuth::Malformed);
        assert_eq!(
            read(&[&format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1))]),
            BearerAuth::Malformed
        );
    }

    #[test]
    fn never_prints_the_token() {
        assert!(!format!("{:?}", read(&["Bearer secret"])).contains("secret"));
    }
}

/// A JSON request body. Unlike `axum::Json`, a body that cannot be read answers in the API's
/// error shape: 400 for invalid JSON, a missing field or a non-object, 413 when too large, 415
/// for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::Validate,
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
        // Every generated body is an object schema, and serde would also build a struct from an
        // array: refuse that shape before serde sees it.
        if !value.is_object() {
            return Err(invalid("expected a JSON object".to_owned()));
        }
        let body: T = serde_json::from_value(value).map_err(|err| invalid(err.to_string()))?;
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
        let not_found = || BodyRejection {
            status: StatusCode::NOT_FOUND,
            message: "Not found".to_owned(),
        };
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

/// Query parameters, read into the operation's generated struct. Unlike `axum::extract::Query`,
/// a parameter that cannot be read, breaks a constraint of the spec or holds a NUL character
/// answers 400 in the API's error shape, naming the parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::Validate + Send,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let invalid = |message: String| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid query parameter: {message}"),
        };
        let axum::extract::Query(params) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| {
                    let text = rejection.body_text();
                    let cause = text
                        .strip_prefix("Failed to deserialize query string: ")
                        .unwrap_or(&text);
                    invalid(cause.to_owned())
                })?;
        params.validate().map_err(|err| invalid(err.to_string()))?;
        let kept = serde_json::to_value(&params).map_err(|err| invalid(err.to_string()))?;
        if let Some(pointer) = first_nul_character(&kept, &mut String::new()) {
            let name = pointer.trim_start_matches('/');
            return Err(invalid(format!("{name} contains a NUL character")));
        }
        Ok(Self(params))
    }
}

/// The JSON pointer of the first string or object key in `value` that holds a NUL character
/// (such a key is shown escaped).
fn first_nul_character(value: &serde_json::Value, pointer: &mut String) -> Option<String> {
    use serde_json::Value;
    let descend = |pointer: &mut String, segment: &str, child: &Value| {
        let length = pointer.len();
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        let found = first_nul_character(child, pointer);
        pointer.truncate(length);
        found
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(pointer.clone()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| descend(pointer, &index.to_string(), item)),
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            if key.contains('\0') {
                return Some(format!("{pointer}/{}", key.escape_debug()));
            }
            descend(pointer, key, field)
        }),
        _ => None,
    }
}

/// Why a request was refused before reaching the service, as the API's
/// `{"success": false, "error": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRejection {
    pub status: StatusCode,
    pub message: String,
}

impl From<axum::extract::rejection::JsonRejection> for BodyRejection {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection;
        let (status, message) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a JSON body (Content-Type: application/json)".to_owned(),
            ),
            JsonRejection::JsonDataError(error) => (
                StatusCode::BAD_REQUEST,
                format!("Invalid request body: {}", error.body_text()),
            ),
            JsonRejection::JsonSyntaxError(error) => (
                StatusCode::BAD_REQUEST,
                format!("Invalid request body: {}", error.body_text()),
            ),
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large".to_owned(),
            ),
            _ => (StatusCode::BAD_REQUEST, "Invalid request body".to_owned()),
        };
        Self { status, message }
    }
}

impl axum::response::IntoResponse for BodyRejection {
    fn into_response(self) -> axum::response::Response {
        error_reply(self.status, self.message)
    }
}

impl crate::models::ErrorResponse {
    /// The API's error body: `{"success": false, "error": message}`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            success: false,
            error: message.into(),
        }
    }
}

/// A response in the API's error shape, for errors answered outside the generated handlers.
pub fn error_reply(status: StatusCode, message: impl Into<String>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (
        status,
        axum::Json(crate::models::ErrorResponse::new(message)),
    )
        .into_response()
}

#[cfg(test)]
mod nul_tests {
    use super::first_nul_character;

    fn find(json: &str) -> Option<String> {
        first_nul_character(&serde_json::from_str(json).unwrap(), &mut String::new())
    }

    #[test]
    fn names_the_first_string_or_key_with_a_nul_character() {
        assert_eq!(find(r#"{"a": "x", "b": "y"}"#), None);
        assert_eq!(find(r#"{"a": "x\u0000"}"#), Some("/a".to_owned()));
        assert_eq!(
            find(r#"{"a": {"b/c": [1, "\u0000"]}}"#),
            Some("/a/b~1c/1".to_owned())
        );
        assert_eq!(find(r#"{"k\u0000": 1}"#), Some("/k\\0".to_owned()));
    }
}
