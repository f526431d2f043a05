//! The security schemes of OpenAPI 3.0 (`http` with any scheme, `apiKey` in a header, the query
//! or a cookie, `oauth2`, `openIdConnect`) and the credential each names in a request.

use axum::http::header::{AUTHORIZATION, COOKIE};
use base64::Engine as _;

use super::{BearerAuth, RequestHead, bearer::MAX_TOKEN_LEN};

/// Where an `apiKey` scheme's key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    Header,
    Query,
    Cookie,
}

/// A security scheme as the document declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `type: http`: `Authorization: <scheme> <credentials>`, `scheme` as declared (`bearer`,
    /// `basic`, or another registered one).
    Http { scheme: &'static str },
    /// `type: apiKey`: a key under `name` in the header, the query or a cookie.
    ApiKey {
        location: KeyLocation,
        name: &'static str,
    },
    /// `type: oauth2`: an access token, sent as a bearer token (RFC 6750).
    OAuth2,
    /// `type: openIdConnect`: a token sent as a bearer token.
    OpenIdConnect,
}

/// One scheme of a security requirement: its name in `components/securitySchemes`, what it
/// is, and the scopes the operation requires of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemeUse {
    pub name: &'static str,
    pub scheme: Scheme,
    pub scopes: &'static [&'static str],
}

/// The credential a request carries for one scheme, as sent: the service decides what it is
/// worth. `Debug` never prints a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// Nothing where the scheme looks.
    Missing,
    /// Something there, but not a credential of the scheme (or sent twice, or too long).
    Malformed,
    /// A bearer token (`http` bearer, `oauth2`, `openIdConnect`).
    Bearer(String),
    /// `http` basic: the user id and password.
    Basic { user: String, password: String },
    /// An `apiKey`, or the credentials of another `http` scheme.
    Key(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("Missing"),
            Self::Malformed => f.write_str("Malformed"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::Basic { user, .. } => {
                write!(f, "Basic {{ user: {user:?}, password: <redacted> }}")
            }
            Self::Key(_) => f.write_str("Key(<redacted>)"),
        }
    }
}

impl<O> RequestHead<'_, O> {
    /// The credential the request carries for `scheme`.
    pub fn credential(&self, scheme: &SchemeUse) -> Credential {
        match scheme.scheme {
            Scheme::Http { scheme } if scheme.eq_ignore_ascii_case("bearer") => self.bearer(),
            Scheme::OAuth2 | Scheme::OpenIdConnect => self.bearer(),
            Scheme::Http { scheme } => {
                let Some(value) = self.authorization() else {
                    return Credential::Missing;
                };
                let Some((sent, credentials)) = value.split_once(' ') else {
                    return Credential::Malformed;
                };
                let credentials = credentials.trim_start_matches(' ');
                if !sent.eq_ignore_ascii_case(scheme) || !plausible(credentials) {
                    return Credential::Malformed;
                }
                if scheme.eq_ignore_ascii_case("basic") {
                    basic(credentials)
                } else {
                    Credential::Key(credentials.to_owned())
                }
            }
            Scheme::ApiKey { location, name } => {
                let mut values = self.keys(location, name).into_iter();
                match (values.next(), values.next()) {
                    (None, _) => Credential::Missing,
                    (Some(value), None) if plausible(&value) => Credential::Key(value),
                    _ => Credential::Malformed,
                }
            }
        }
    }

    fn bearer(&self) -> Credential {
        match BearerAuth::from_headers(self.headers) {
            BearerAuth::Missing => Credential::Missing,
            BearerAuth::Malformed => Credential::Malformed,
            BearerAuth::Token(token) => Credential::Bearer(token),
        }
    }

    /// The one `Authorization` header, when it is text; `Some("")` marks one that is not.
    fn authorization(&self) -> Option<&str> {
        let mut values = self.headers.get_all(AUTHORIZATION).iter();
        let first = values.next()?;
        match (first.to_str(), values.next()) {
            (Ok(value), None) => Some(value),
            _ => Some(""),
        }
    }

    /// Every value sent under `name` where `location` says.
    fn keys(&self, location: KeyLocation, name: &str) -> Vec<String> {
        match location {
            KeyLocation::Header => self
                .headers
                .get_all(name)
                .iter()
                .map(|value| value.to_str().unwrap_or_default().to_owned())
                .collect(),
            KeyLocation::Query => {
                let query = self.uri.query().unwrap_or_default();
                serde_html_form::from_str::<Vec<(String, String)>>(query)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(key, _)| key == name)
                    .map(|(_, value)| value)
                    .collect()
            }
            KeyLocation::Cookie => self
                .headers
                .get_all(COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .filter(|(key, _)| *key == name)
                .map(|(_, value)| value.trim_matches('"').to_owned())
                .collect(),
        }
    }
}

fn plausible(credential: &str) -> bool {
    !credential.is_empty()
        && credential.len() <= MAX_TOKEN_LEN
        && credential.bytes().all(|byte| byte.is_ascii_graphic())
}

/// `user-id:password`, base64-encoded (RFC 7617).
fn basic(encoded: &str) -> Credential {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|pair| pair.split_once(':')) {
        Some((user, password)) if !user.is_empty() => Credential::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        },
        _ => Credential::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER_KEY: SchemeUse = SchemeUse {
        name: "key",
        scheme: Scheme::ApiKey {
            location: KeyLocation::Header,
            name: "x-api-key",
        },
        scopes: &[],
    };
    const QUERY_KEY: SchemeUse = SchemeUse {
        name: "key",
        scheme: Scheme::ApiKey {
            location: KeyLocation::Query,
            name: "api_key",
        },
        scopes: &[],
    };
    const COOKIE_KEY: SchemeUse = SchemeUse {
        name: "key",
        scheme: Scheme::ApiKey {
            location: KeyLocation::Cookie,
            name: "session",
        },
        scopes: &[],
    };
    const BASIC: SchemeUse = SchemeUse {
        name: "basic",
        scheme: Scheme::Http { scheme: "basic" },
        scopes: &[],
    };
    const OAUTH: SchemeUse = SchemeUse {
        name: "oauth",
        scheme: Scheme::OAuth2,
        scopes: &["read"],
    };

    fn credential(request: axum::http::request::Builder, scheme: &SchemeUse) -> Credential {
        let (parts, ()) = request.body(()).unwrap().into_parts();
        RequestHead::new((), &parts).credential(scheme)
    }

    fn get(uri: &str) -> axum::http::request::Builder {
        axum::http::Request::get(uri)
    }

    #[test]
    fn each_scheme_reads_its_own_credential() {
        let key = |value: &str| Credential::Key(value.to_owned());
        assert_eq!(
            credential(get("/").header("X-API-Key", "k1"), &HEADER_KEY),
            key("k1")
        );
        assert_eq!(
            credential(get("/?a=1&api_key=k%202"), &QUERY_KEY),
            Credential::Malformed,
            "a key with a space is no key"
        );
        assert_eq!(credential(get("/?a=1&api_key=k2"), &QUERY_KEY), key("k2"));
        assert_eq!(
            credential(get("/").header("Cookie", "a=1; session=k3"), &COOKIE_KEY),
            key("k3")
        );
        assert_eq!(
            credential(
                get("/").header("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
                &BASIC
            ),
            Credential::Basic {
                user: "aladdin".to_owned(),
                password: "opensesame".to_owned()
            }
        );
        assert_eq!(
            credential(get("/").header("Authorization", "Bearer t"), &OAUTH),
            Credential::Bearer("t".to_owned())
        );
    }

    #[test]
    fn tells_missing_from_malformed() {
        assert_eq!(credential(get("/"), &HEADER_KEY), Credential::Missing);
        assert_eq!(
            credential(get("/?api_key="), &QUERY_KEY),
            Credential::Malformed
        );
        assert_eq!(
            credential(get("/?api_key=a&api_key=b"), &QUERY_KEY),
            Credential::Malformed
        );
        assert_eq!(credential(get("/"), &BASIC), Credential::Missing);
        for malformed in ["Bearer abc", "Basic !!!", "Basic", "Basic Om5vdXNlcg=="] {
            assert_eq!(
                credential(get("/").header("Authorization", malformed), &BASIC),
                Credential::Malformed,
                "{malformed}"
            );
        }
    }

    #[test]
    fn never_prints_a_secret() {
        let basic = credential(
            get("/").header("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
            &BASIC,
        );
        let shown = format!("{basic:?}");
        assert!(
            shown.contains("aladdin") && !shown.contains("opensesame"),
            "{shown}"
        );
        let key = credential(get("/").header("X-API-Key", "secret"), &HEADER_KEY);
        assert!(!format!("{key:?}").contains("secret"));
    }
}
