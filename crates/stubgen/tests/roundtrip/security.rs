//! `security.yaml`'s generated server, answering real requests on a socket: the authentication
//! hook reads, for every scheme type, the credential the scheme names, and sees the document's
//! alternatives and scopes. (Copied into the generated crate as `tests/roundtrip.rs` by
//! `tests/crates.rs`.)

use std::sync::Arc;

use reqwest::Method;
use security::{models::*, operations::*};
use serde_json::{Value, json};
use stubgen_runtime::{BodyRejection, Credential, RequestHead};
use support::{Server, answer};

mod support;

/// Accepts the key or token `good`, and the basic password `opensesame`; the caller is named
/// after the schemes that authenticated it (with their scopes).
struct Guard;

impl Api for Guard {
    type Caller = String;

    async fn authenticate(&self, request: RequestHead<'_, Operation>) -> Result<String, ApiError> {
        for alternative in request.security.iter().filter(|uses| !uses.is_empty()) {
            let names: Option<Vec<String>> = alternative
                .iter()
                .map(|scheme| {
                    let name = match scheme.scopes {
                        [] => scheme.name.to_owned(),
                        scopes => format!("{}[{}]", scheme.name, scopes.join(" ")),
                    };
                    match request.credential(scheme) {
                        Credential::Key(key) | Credential::Bearer(key) if key == "good" => {
                            Some(name)
                        }
                        Credential::Basic { user, password } if password == "opensesame" => {
                            Some(format!("{name}:{user}"))
                        }
                        _ => None,
                    }
                })
                .collect();
            if let Some(names) = names {
                return Ok(names.join("+"));
            }
        }
        if request.security.iter().any(|uses| uses.is_empty()) {
            return Ok("anonymous".to_owned());
        }
        Err(ApiError::Unauthorized(Problem {
            error: "Who are you?".to_owned(),
        }))
    }

    fn refused(&self, _operation: Operation, rejection: BodyRejection) -> ApiError {
        ApiError::Unauthorized(Problem {
            error: rejection.message,
        })
    }

    async fn by_default(&self, caller: String) -> ByDefaultResponse {
        ByDefaultResponse::Ok(Who { caller })
    }

    async fn by_query_key(&self, caller: String, page: Option<i32>) -> ByQueryKeyResponse {
        ByQueryKeyResponse::Ok(Who {
            caller: format!("{caller} page {page:?}"),
        })
    }

    async fn by_cookie(&self, caller: String) -> ByCookieResponse {
        ByCookieResponse::Ok(Who { caller })
    }

    async fn by_basic(&self, caller: String) -> ByBasicResponse {
        ByBasicResponse::Ok(Who { caller })
    }

    async fn by_oauth(&self, caller: String) -> ByOauthResponse {
        ByOauthResponse::Ok(Who { caller })
    }

    async fn by_open_id_connect(&self, caller: String) -> ByOpenIdConnectResponse {
        ByOpenIdConnectResponse::Ok(Who { caller })
    }

    async fn by_either(&self, caller: String) -> ByEitherResponse {
        ByEitherResponse::Ok(Who { caller })
    }

    async fn optionally(&self, caller: String) -> OptionallyResponse {
        OptionallyResponse::Ok(Who { caller })
    }

    async fn publicly(&self) -> PubliclyResponse {
        PubliclyResponse::Ok(Who {
            caller: "nobody asked".to_owned(),
        })
    }
}

fn caller(name: &str) -> (u16, Value) {
    (200, json!({ "caller": name }))
}

fn refused() -> (u16, Value) {
    (401, json!({ "error": "Who are you?" }))
}

#[tokio::test]
async fn each_scheme_type_authenticates_by_its_own_credential() {
    let server = Server::start(security::router(Arc::new(Guard))).await;
    let get = |path: &str| server.request(Method::GET, path);
    // The document's default requirement: a key in a header.
    assert_eq!(
        answer(get("/default").header("X-API-Key", "good")).await,
        caller("apiKeyHeader")
    );
    assert_eq!(answer(get("/default")).await, refused());
    assert_eq!(
        answer(get("/default").header("X-API-Key", "bad")).await,
        refused()
    );
    // Elsewhere, the same key is no credential.
    assert_eq!(answer(get("/default?X-API-Key=good")).await, refused());
    assert_eq!(
        answer(get("/query?page=2&api_key=good")).await,
        caller("apiKeyQuery page Some(2)")
    );
    assert_eq!(
        answer(get("/query").header("api_key", "good")).await,
        refused()
    );
    assert_eq!(
        answer(get("/cookie").header("Cookie", "theme=dark; session=good")).await,
        caller("apiKeyCookie")
    );
    assert_eq!(
        answer(get("/basic").basic_auth("aladdin", Some("opensesame"))).await,
        caller("basic:aladdin")
    );
    assert_eq!(
        answer(get("/basic").bearer_auth("good")).await,
        refused(),
        "a bearer token is no basic credential"
    );
    // OAuth2 and OpenID Connect tokens come as bearer tokens; the hook sees the scopes.
    assert_eq!(
        answer(get("/oauth").bearer_auth("good")).await,
        caller("oauth[read:things write:things]")
    );
    assert_eq!(
        answer(get("/oidc").bearer_auth("good")).await,
        caller("oidc")
    );
}

#[tokio::test]
async fn alternatives_schemes_together_optional_and_public_security() {
    let server = Server::start(security::router(Arc::new(Guard))).await;
    let get = |path: &str| server.request(Method::GET, path);
    assert_eq!(
        answer(get("/either").basic_auth("aladdin", Some("opensesame"))).await,
        caller("basic:aladdin")
    );
    // One of two schemes required together is not enough.
    assert_eq!(
        answer(get("/either").header("X-API-Key", "good")).await,
        refused()
    );
    assert_eq!(
        answer(get("/either?api_key=good").header("X-API-Key", "good")).await,
        caller("apiKeyHeader+apiKeyQuery")
    );
    assert_eq!(answer(get("/optional")).await, caller("anonymous"));
    assert_eq!(
        answer(get("/optional").bearer_auth("good")).await,
        caller("bearer")
    );
    assert_eq!(answer(get("/public")).await, caller("nobody asked"));
}

#[test]
fn the_document_of_the_routes_declares_every_scheme_and_requirement() {
    let document = serde_json::to_value(security::openapi()).unwrap();
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        schemes["apiKeyHeader"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-Key"})
    );
    assert_eq!(
        schemes["apiKeyCookie"],
        json!({"type": "apiKey", "in": "cookie", "name": "session"})
    );
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(
        schemes["oauth"]["flows"]["authorizationCode"]["scopes"]["read:things"],
        "Read things"
    );
    assert_eq!(schemes["oidc"]["type"], "openIdConnect");
    assert_eq!(
        document["paths"]["/either"]["get"]["security"],
        json!([{"basic": []}, {"apiKeyHeader": [], "apiKeyQuery": []}])
    );
    assert_eq!(
        document["paths"]["/optional"]["get"]["security"],
        json!([{}, {"bearer": []}])
    );
}

/// The document's shared errors have no 400: a query the reader refuses is not forced into the
/// 401 the `refused` hook can answer, but goes to `rejected` (problem details by default).
#[tokio::test]
async fn a_refusal_of_a_status_the_shared_errors_lack_goes_to_rejected() {
    assert_eq!(ApiError::STATUSES, &[401]);
    let server = Server::start(security::router(Arc::new(Guard))).await;
    let response = server
        .request(Method::GET, "/query?page=many&api_key=good")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
