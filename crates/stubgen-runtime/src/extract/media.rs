//! Media types: the marker trait generated code implements, and what the body readers share.

use axum::http::StatusCode;

use crate::BodyRejection;

/// The media type a request body must be sent in, as the spec documents it; the generated code
/// names one marker type per media type.
pub trait MediaType {
    /// Such as `application/octet-stream`, or a range such as `image/*` or `*/*`.
    const MEDIA: &'static str;
}

/// Whether the request is sent in `M`'s media type; 415 naming it otherwise.
pub(crate) fn expect_media<M: MediaType>(
    request: &axum::extract::Request,
) -> Result<(), BodyRejection> {
    let documented = essence(M::MEDIA);
    let matches = media_type(request).is_some_and(|actual| match range_of(documented) {
        Some(range) => in_range(&actual, range),
        None => actual.eq_ignore_ascii_case(documented),
    });
    if matches {
        Ok(())
    } else {
        Err(unsupported_media_type(M::MEDIA))
    }
}

/// Whether `request` is sent in `documented`: a media type (a JSON one takes any JSON type,
/// `+json` included), or a range such as `image/*` or `*/*`, in any case (the generator writes
/// it lower-cased). For a body the document offers in several media types, each read as its
/// own.
pub fn sent_in(request: &axum::extract::Request, documented: &str) -> bool {
    let documented = essence(documented);
    media_type(request).is_some_and(|actual| match range_of(documented) {
        Some(range) => in_range(&actual, range),
        // `application/json` takes the JSON types a document does not name on their own
        // (`+json` ones it names are read first, as themselves).
        None if documented.eq_ignore_ascii_case("application/json") => {
            actual == "application/json" || actual.ends_with("+json")
        }
        None => actual.eq_ignore_ascii_case(documented),
    })
}

/// A documented media type without its parameters.
fn essence(documented: &str) -> &str {
    documented.split(';').next().unwrap_or_default().trim()
}

/// What a range (`image/*`, `*/*`) requires a media type to start with: `image/`, nothing.
fn range_of(documented: &str) -> Option<&str> {
    if documented == "*/*" {
        Some("")
    } else {
        documented
            .strip_suffix('*')
            .filter(|kind| kind.ends_with('/'))
    }
}

/// Whether `actual` (lower-cased) starts with `range`'s type, in any case.
fn in_range(actual: &str, range: &str) -> bool {
    actual
        .get(..range.len())
        .is_some_and(|kind| kind.eq_ignore_ascii_case(range))
}

/// The request's media type without parameters, lower-cased (`text/plain; charset=utf-8` is
/// `text/plain`).
pub(crate) fn media_type(request: &axum::extract::Request) -> Option<String> {
    let value = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

pub(crate) fn unsupported_media_type(expected: &str) -> BodyRejection {
    BodyRejection {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        message: format!("Expected a body of Content-Type: {expected}"),
    }
}

/// The body's bytes, within the router's body limit (413 beyond it).
pub(crate) async fn body_bytes<S: Send + Sync>(
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

#[cfg(test)]
mod tests {
    use axum::extract::FromRequest as _;

    use axum::http::StatusCode;

    use crate::{BinaryBody, MediaType, TextBody, sent_in};

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
    #[test]
    fn sent_in_matches_in_any_case() {
        let sent =
            |content_type: &str, documented: &str| sent_in(&request(content_type, b""), documented);
        assert!(sent("Application/JSON; charset=utf-8", "application/json"));
        assert!(sent("application/json", "Application/Json; charset=utf-8"));
        assert!(sent("application/merge-patch+json", "application/json"));
        assert!(!sent("application/merge-patch+json", "application/xml"));
        assert!(sent("IMAGE/PNG", "image/*"));
        assert!(sent("image/png", "Image/*"));
        assert!(!sent("text/png", "image/*"));
        assert!(sent("text/plain", "*/*"));
        assert!(sent("Text/Plain", "TEXT/plain"));
        assert!(!sent("text/plain", "text/plainer"));
    }
}
