//! Why the generated layer refused a request, and the error body it answers with.

use axum::http::StatusCode;

/// Why the generated layer refused a request before it reached the service: the status HTTP asks
/// for and a message naming what was wrong. The service words it in its document's error schema
/// (its `refused` or `rejected` hook); by default it is answered as RFC 9457 problem details.
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

    /// 415: a body in none of the media types `expected` names.
    pub fn unsupported_media_type(expected: &str) -> Self {
        crate::extract::unsupported_media_type(expected)
    }

    /// 405: a method the path does not have.
    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: "Method not allowed".to_owned(),
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

/// RFC 9457's media type for problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl axum::response::IntoResponse for BodyRejection {
    /// RFC 9457 problem details: `{"type": "about:blank", "title", "status", "detail"}` as
    /// `application/problem+json`, for a document that declares no error schema of its own.
    fn into_response(self) -> axum::response::Response {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.message,
        });
        (
            self.status,
            [(axum::http::header::CONTENT_TYPE, PROBLEM_JSON)],
            body.to_string(),
        )
            .into_response()
    }
}
