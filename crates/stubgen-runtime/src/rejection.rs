//! Why the generated layer refused a request, and the error body it answers with.

use axum::http::StatusCode;

/// Why a request was refused before reaching the service, as the API's
/// `{"success": false, "error": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRejection {
    pub status: StatusCode,
    pub message: String,
}

impl BodyRejection {
    /// 404: a path that names no resource (a parameter that cannot be read, or that its
    /// schema refuses).
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: "Not found".to_owned(),
        }
    }
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
