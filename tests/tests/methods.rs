//! Every method, to every path of the spec, with and without a valid token, straight to the
//! server's socket: each answer is a well-formed HTTP response with a status the spec documents
//! for that operation, or the one HTTP mandates (`HEAD` as `GET` without a body, 405 with
//! `Allow` for a method the path does not have, 204 with `Allow` for `OPTIONS`), never a 5xx,
//! never a dropped connection, and nothing on the way panics.

use std::{
    collections::BTreeSet,
    num::NonZeroU32,
    sync::{
        Once,
        atomic::{AtomicUsize, Ordering},
    },
};

use contract_tests::{TestApp, both_backends, spec};
use reqwest::{Method, header};
use serde_json::Value;
use sessions_server::{rate_limit::RateLimits, service::Policy};

/// Panics anywhere in this test binary since the hook was installed: a handler that panics is
/// caught by the server (the connection drops) and would otherwise be seen only in the log.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// What every request sends as its method: the spec's eight, and a token HTTP allows but no
/// server knows.
fn methods() -> Vec<Method> {
    let mut methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
    ]
    .map(|name| Method::from_bytes(name.as_bytes()).expect("a method"))
    .to_vec();
    methods.push(Method::from_bytes(b"BREW").expect("a method token"));
    methods
}

/// A path's operations: method (lower case) → the statuses documented for it.
fn operations_of(item: &Value) -> Vec<(String, BTreeSet<u16>)> {
    item.as_object()
        .expect("a path item")
        .iter()
        .filter(|(method, _)| Method::from_bytes(method.to_uppercase().as_bytes()).is_ok())
        .filter_map(|(method, operation)| {
            let statuses = operation.get("responses")?.as_object()?;
            let statuses = statuses
                .keys()
                .filter_map(|status| status.parse().ok())
                .collect();
            Some((method.clone(), statuses))
        })
        .collect()
}

struct Answer {
    status: u16,
    headers: header::HeaderMap,
    body: Vec<u8>,
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> Answer {
    let mut request = http.request(method.clone(), format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|err| panic!("{method} {path}: no well-formed answer: {err}"));
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response
            .bytes()
            .await
            .unwrap_or_else(|err| panic!("{method} {path}: the body breaks off: {err}"))
            .to_vec(),
    }
}

fn allow_of(answer: &Answer) -> BTreeSet<String> {
    let allow = answer
        .headers
        .get(header::ALLOW)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    allow
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|method| !method.is_empty())
        .collect()
}

#[both_backends]
async fn every_method_on_every_path_answers_as_http_and_the_spec_say() {
    count_panics();
    let panics_before = PANICS.load(Ordering::SeqCst);
    // Generous limits: a 429 would be documented, but would hide what a method answers.
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: NonZeroU32::new(100_000).expect("non-zero"),
            per_ip_per_minute: NonZeroU32::new(100_000).expect("non-zero"),
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let base = format!("http://{}", app.server_address);
    let http = reqwest::Client::new();
    let spec = spec();
    let paths = spec["paths"].as_object().expect("the spec has paths");
    let mut checked = 0;
    let mut user = 0;
    for (template, item) in paths {
        let operations = operations_of(item);
        let documented = |method: &str| {
            operations
                .iter()
                .find(|(documented, _)| documented == method)
                .map(|(_, statuses)| statuses.clone())
        };
        let mut expected_allow: BTreeSet<String> = operations
            .iter()
            .map(|(method, _)| method.to_uppercase())
            .collect();
        if expected_allow.contains("GET") {
            expected_allow.insert("HEAD".to_owned());
        }
        for method in methods() {
            for authenticated in [false, true] {
                // A user of its own per request: a revoke, a removal or a revoke-all answered
                // to one request never decides what another one gets.
                user += 1;
                let session = app.issue(&format!("user-{user}"), "Laptop").await;
                // `{id}` names a device under /devices, a session elsewhere.
                let id = if template.starts_with("/devices/") {
                    &session.record.device_id
                } else {
                    &session.record.id
                };
                let path = template.replace("{id}", id);
                let token = authenticated.then_some(session.token.as_str());
                let answer = send(&http, &base, method.clone(), &path, token).await;
                let seen = format!(
                    "{method} {template} ({}): {} {}",
                    if authenticated { "token" } else { "no token" },
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                assert!(answer.status < 500, "a server error: {seen}");
                let lower = method.as_str().to_lowercase();
                if let Some(statuses) = documented(&lower) {
                    assert!(statuses.contains(&answer.status), "undocumented: {seen}");
                    if authenticated && method == Method::GET {
                        assert_eq!(answer.status, 200, "{seen}");
                    }
                    if !authenticated {
                        assert_eq!(answer.status, 401, "{seen}");
                    }
                } else if method == Method::HEAD && documented("get").is_some() {
                    // As GET would answer, without a body (RFC 9110 §9.3.2).
                    let get = send(&http, &base, Method::GET, &path, token).await;
                    assert_eq!(answer.status, get.status, "HEAD is not GET: {seen}");
                    assert!(answer.body.is_empty(), "HEAD with a body: {seen}");
                    assert!(!get.body.is_empty(), "GET {template} without a body");
                    assert_eq!(
                        answer.headers.get(header::CONTENT_TYPE),
                        get.headers.get(header::CONTENT_TYPE),
                        "HEAD and GET disagree on the content type: {seen}"
                    );
                    if !authenticated {
                        assert_eq!(answer.status, 401, "{seen}");
                        assert!(
                            answer.headers.contains_key(header::WWW_AUTHENTICATE),
                            "{seen}"
                        );
                    }
                } else if method == Method::OPTIONS {
                    assert_eq!(answer.status, 204, "{seen}");
                    let mut with_options = expected_allow.clone();
                    with_options.insert("OPTIONS".to_owned());
                    assert_eq!(allow_of(&answer), with_options, "{seen}");
                    assert!(answer.body.is_empty(), "{seen}");
                } else {
                    assert_eq!(answer.status, 405, "{seen}");
                    let mut allowed = allow_of(&answer);
                    allowed.remove("OPTIONS");
                    assert_eq!(allowed, expected_allow, "Allow: {seen}");
                    if method != Method::HEAD {
                        let body: Value = serde_json::from_slice(&answer.body)
                            .unwrap_or_else(|_| panic!("not the error shape: {seen}"));
                        assert_eq!(body["success"], false, "{seen}");
                        assert!(body["error"].is_string(), "{seen}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, paths.len() * methods().len() * 2);
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        panics_before,
        "something panicked while answering (see the output above)"
    );
}
