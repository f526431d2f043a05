//! Bearer credentials, as read from the `Authorization` header.

use axum::http::{HeaderMap, header::AUTHORIZATION};

/// The longest credential accepted; anything longer is malformed, never looked up.
pub(super) const MAX_TOKEN_LEN: usize = 512;

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
