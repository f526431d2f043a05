//! Hand-written support the generated handlers call. It knows nothing of any one spec, so
//! `cargo xtask codegen --out` copies it into every standalone crate it writes.

use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};

/// The longest bearer token accepted; anything longer is malformed, never looked up.
const MAX_TOKEN_LEN: usize = 512;

/// What the authentication hook sees of a request, before anything else of it is read: the
/// operation it is routed to, its headers, and the peer it came from (when the server records
/// it, as `axum::extract::ConnectInfo`).
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a, O> {
    pub operation: O,
    pub headers: &'a axum::http::HeaderMap,
    pub peer: Option<std::net::SocketAddr>,
}

impl<'a, O> RequestHead<'a, O> {
    /// The head of a request routed to `operation`, from its parts.
    pub fn new(operation: O, parts: &'a axum::http::request::Parts) -> Self {
        Self {
            operation,
            headers: &parts.headers,
            peer: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0),
        }
    }
}

/// `route` answering `OPTIONS` too: 204 with `Allow: allow` (the route's methods, `HEAD` with
/// `GET`, and `OPTIONS`), as RFC 9110 §9.3.7 describes, for a path whose spec does not document
/// `OPTIONS` itself.
pub fn answering_options<S>(
    route: axum::routing::MethodRouter<S>,
    allow: &'static str,
) -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.options(
        move || async move { (StatusCode::NO_CONTENT, [(axum::http::header::ALLOW, allow)]) },
    )
}

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
        // serde would also build a struct from an array of its fields: refuse that shape before
        // serde sees it.
        if T::JSON_OBJECT && !value.is_object() {
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

/// The request's media type without parameters, lower-cased (`text/plain; charset=utf-8` is
/// `text/plain`).
fn media_type(request: &axum::extract::Request) -> Option<String> {
    let value = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

fn unsupported_media_type(expected: &str) -> BodyRejection {
    BodyRejection {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        message: format!("Expected a body of Content-Type: {expected}"),
    }
}

/// The body's bytes, within the router's body limit (413 beyond it).
async fn body_bytes<S: Send + Sync>(
    request: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, BodyRejection> {
    <axum::body::Bytes as axum::extract::FromRequest<S>>::from_request(request, state)
        .await
        .map_err(|rejection| BodyRejection {
            status: rejection.status(),
            message: if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "Request body too large".to_owned()
            } else {
                "Invalid request body".to_owned()
            },
        })
}

/// An `application/x-www-form-urlencoded` request body, read into its generated type and
/// checked like a [`JsonBody`]: 400 naming the field, 413, or 415 for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct FormBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for FormBody<T>
where
    T: serde::de::DeserializeOwned + crate::Validate,
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

/// The media type a request body must be sent in, as the spec documents it; the generated code
/// names one marker type per media type.
pub trait MediaType {
    /// Such as `application/octet-stream`, or a range such as `image/*` or `*/*`.
    const MEDIA: &'static str;
}

/// Whether the request is sent in `M`'s media type; 415 naming it otherwise.
fn expect_media<M: MediaType>(request: &axum::extract::Request) -> Result<(), BodyRejection> {
    let documented = M::MEDIA.split(';').next().unwrap_or_default().trim();
    let matches = media_type(request).is_some_and(|actual| match documented {
        "*/*" => true,
        range if range.ends_with("/*") => actual.starts_with(&range[..range.len() - 1]),
        exact => actual.eq_ignore_ascii_case(exact),
    });
    if matches {
        Ok(())
    } else {
        Err(unsupported_media_type(M::MEDIA))
    }
}

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
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // serde_html_form reads a repeated key (`tag=a&tag=b`) into a list, as the `form` style
        // with `explode` sends arrays.
        let query = parts.uri.query().unwrap_or_default();
        read_params(query.as_bytes(), "query parameter").map(Self)
    }
}

/// Header parameters, read into the operation's generated struct (fields named in lower case)
/// and checked like [`QueryParams`]: 400 naming the header. A value that is not visible ASCII
/// counts as absent.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for HeaderParams<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::Validate + Send,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        let encoded = serde_html_form::to_string(&pairs).map_err(|_| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: "Invalid header".to_owned(),
        })?;
        read_params(encoded.as_bytes(), "header").map(Self)
    }
}

/// Reads form-encoded parameters into `T` and checks them; a failure names the parameter.
fn read_params<T>(encoded: &[u8], what: &str) -> Result<T, BodyRejection>
where
    T: serde::de::DeserializeOwned + serde::Serialize + crate::Validate,
{
    let invalid = |message: String| BodyRejection {
        status: StatusCode::BAD_REQUEST,
        message: format!("Invalid {what}: {message}"),
    };
    // OpenAPI allows no empty value unless a parameter says `allowEmptyValue` (which the
    // generator does not take); serde_html_form would read one as absent.
    let pairs: Vec<(String, String)> =
        serde_html_form::from_bytes(encoded).map_err(|err| invalid(err.to_string()))?;
    if let Some((name, _)) = pairs.iter().find(|(_, value)| value.is_empty()) {
        let name: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
        return Err(invalid(format!("{name}: an empty value")));
    }
    // serde_path_to_error names the parameter that failed.
    let deserializer = serde_html_form::Deserializer::from_bytes(encoded);
    let params: T = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let cause = err.into_inner();
        invalid(if path == "." {
            cause.to_string()
        } else {
            format!("{path}: {cause}")
        })
    })?;
    params.validate().map_err(|err| invalid(err.to_string()))?;
    let kept = serde_json::to_value(&params).map_err(|err| invalid(err.to_string()))?;
    if let Some(pointer) = first_nul_character(&kept, &mut String::new()) {
        let name = pointer.trim_start_matches('/');
        return Err(invalid(format!("{name} contains a NUL character")));
    }
    Ok(params)
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

/// A response in the error shape `{"success": false, "error": message}`, for errors answered
/// outside the generated handlers (extractor rejections, fallbacks, limits).
pub fn error_reply(status: StatusCode, message: impl Into<String>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let body = serde_json::json!({ "success": false, "error": message.into() });
    (status, axum::Json(body)).into_response()
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

/// serde for an optional and nullable property: `None` when absent, `Some(None)` when `null`,
/// `Some(Some(value))` otherwise. Use with `#[serde(default, skip_serializing_if =
/// "Option::is_none", with = "crate::double_option")]`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        // Called only when the member is present: null is `Some(None)`.
        Option::<T>::deserialize(deserializer).map(Some)
    }

    pub fn serialize<T, S>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
        S: Serializer,
    {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod params_tests {
    use axum::extract::FromRequestParts as _;

    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Params {
        #[serde(rename = "x-budget", default)]
        budget: Option<i32>,
        #[serde(default)]
        tag: Vec<String>,
    }

    impl crate::Validate for Params {
        fn validate(&self) -> Result<(), crate::ValidationError> {
            match self.budget {
                Some(budget) => {
                    crate::validate::range("x-budget", i128::from(budget), None, Some(10))
                }
                None => Ok(()),
            }
        }
    }

    async fn parts(request: axum::http::Request<()>) -> axum::http::request::Parts {
        request.into_parts().0
    }

    #[tokio::test]
    async fn query_lists_and_headers_are_read_and_checked_naming_the_parameter() {
        let mut ok = parts(
            axum::http::Request::get("/x?tag=a&tag=b")
                .header("X-Budget", "7")
                .body(())
                .unwrap(),
        )
        .await;
        let QueryParams(query) = QueryParams::<Params>::from_request_parts(&mut ok, &())
            .await
            .unwrap();
        assert_eq!(query.tag, ["a", "b"]);
        let HeaderParams(headers) = HeaderParams::<Params>::from_request_parts(&mut ok, &())
            .await
            .unwrap();
        assert_eq!(headers.budget, Some(7));

        let mut empty = parts(axum::http::Request::get("/x?x-budget=").body(()).unwrap()).await;
        let rejection = QueryParams::<Params>::from_request_parts(&mut empty, &())
            .await
            .unwrap_err();
        assert!(
            rejection.message.contains("x-budget: an empty value"),
            "{}",
            rejection.message
        );

        let mut bad = parts(
            axum::http::Request::get("/x?tag=%00")
                .header("x-budget", "11")
                .body(())
                .unwrap(),
        )
        .await;
        let rejection = HeaderParams::<Params>::from_request_parts(&mut bad, &())
            .await
            .unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
        assert!(
            rejection.message.contains("x-budget"),
            "{}",
            rejection.message
        );
        let rejection = QueryParams::<Params>::from_request_parts(&mut bad, &())
            .await
            .unwrap_err();
        assert!(rejection.message.contains("NUL"), "{}", rejection.message);
    }
}

#[cfg(test)]
mod body_tests {
    use axum::extract::FromRequest as _;

    use super::*;

    #[derive(Debug)]
    struct OctetStream;
    impl MediaType for OctetStream {
        const MEDIA: &'static str = "application/octet-stream";
    }
    #[derive(Debug)]
    struct AnyImage;
    impl MediaType for AnyImage {
        const MEDIA: &'static str = "image/*";
    }

    fn request(content_type: &str, body: &'static [u8]) -> axum::extract::Request {
        axum::http::Request::post("/x")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn bodies_are_read_only_in_their_documented_media_type() {
        let BinaryBody(bytes, _) = BinaryBody::<OctetStream>::from_request(
            request("application/octet-stream", b"\x00\x01"),
            &(),
        )
        .await
        .unwrap();
        assert_eq!(bytes, [0, 1]);
        let refused = BinaryBody::<OctetStream>::from_request(request("text/plain", b"x"), &())
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            BinaryBody::<AnyImage>::from_request(request("image/png", b"x"), &())
                .await
                .is_ok()
        );
        let not_utf8 = TextBody::<AnyImage>::from_request(request("image/svg", b"\xff"), &())
            .await
            .unwrap_err();
        assert_eq!(not_utf8.status, StatusCode::BAD_REQUEST);
    }
}
