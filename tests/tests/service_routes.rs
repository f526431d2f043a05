//! The routes outside the API: `/healthz`, `/openapi.json`, `/docs`, and the error shape of
//! strays.

use contract_tests::TestApp;
use contract_tests::both_backends;
use reqwest::Method;

#[both_backends]
async fn healthz_answers_200() {
    let app = TestApp::spawn().await;
    let response = app.raw(Method::GET, "/healthz", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({ "status": "ok" }));
}

#[both_backends]
async fn openapi_json_serves_the_checked_in_spec() {
    let app = TestApp::spawn().await;
    let response = app.raw(Method::GET, "/openapi.json", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), contract_tests::spec());
}

/// The docs page and its files come from the binary, its copy of the spec names this server
/// first (so "Try it out" calls it), and neither is ever rate limited.
#[both_backends]
async fn the_docs_page_is_served_offline_and_never_rate_limited() {
    use sessions_server::{rate_limit::RateLimits, service::Policy};
    let tight = RateLimits {
        per_token_per_minute: std::num::NonZeroU32::new(1).unwrap(),
        per_ip_per_minute: std::num::NonZeroU32::new(1).unwrap(),
    };
    let app = TestApp::spawn_with(Policy {
        rate_limits: Some(tight),
        ..Policy::default()
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| {
        http.get(format!("http://{}{path}", app.server_address))
            .send()
    };
    let redirect = get("/docs").await.unwrap();
    assert_eq!(redirect.status(), 303);
    assert_eq!(redirect.headers()["location"], "/docs/");
    for _ in 0..5 {
        let page = get("/docs/").await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("swagger-ui-bundle.js"), "{html}");
        assert!(!html.contains("//"), "no absolute URL in the page: {html}");
        let script = get("/docs/swagger-ui-bundle.js").await.unwrap();
        assert_eq!(script.status(), 200);
        let initializer = get("/docs/swagger-initializer.js")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            initializer.contains(r#""url": "/docs/openapi.json""#),
            "{initializer}"
        );
        assert!(
            initializer.contains(r#""validatorUrl": "none""#),
            "{initializer}"
        );
        let copy: serde_json::Value = get("/docs/openapi.json")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(copy["servers"][0]["url"], "/");
        assert_eq!(copy["paths"], contract_tests::spec()["paths"]);
    }
}

#[both_backends]
async fn unknown_routes_and_wrong_methods_answer_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let missing = app.raw(Method::GET, "/no-such-route", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        serde_json::json!({ "success": false, "error": "Not found" })
    );
    let wrong_method = app.raw(Method::DELETE, "/sessions", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(
        wrong_method.json(),
        serde_json::json!({ "success": false, "error": "Method not allowed" })
    );
}

/// A client's `x-request-id` is echoed (and logged) only when it is a short plain token;
/// anything else is replaced by a generated id, so a client cannot flood or forge log lines.
#[both_backends]
async fn only_plain_request_ids_are_kept_and_every_answer_forbids_caching_and_sniffing() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let echo = |id: &str| {
        let request = http
            .get(format!("http://{}/healthz", app.server_address))
            .header("x-request-id", id);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.headers()["cache-control"], "no-store");
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(echo("client-id_1.2").await, "client-id_1.2");
    for refused in [
        "a".repeat(65),
        "has space".to_owned(),
        "semi;colon".to_owned(),
    ] {
        let echoed = echo(&refused).await;
        assert_ne!(echoed, refused);
        assert_eq!(echoed.len(), 36, "a generated UUID: {echoed}");
    }
    let api = app.raw(Method::GET, "/sessions", None).await;
    assert_eq!(api.headers["cache-control"], "no-store");
    assert_eq!(api.headers["x-content-type-options"], "nosniff");
}

/// A statement, or a transaction a connection abandoned, never holds PostgreSQL for long.
#[both_backends]
async fn postgres_connections_time_out_statements_and_idle_transactions() {
    let app = TestApp::spawn().await;
    let expected = match contract_tests::Backend::current() {
        contract_tests::Backend::Postgres => Some("10s".to_owned()),
        contract_tests::Backend::Sqlite => None,
    };
    assert_eq!(app.postgres_setting("statement_timeout").await, expected);
    assert_eq!(
        app.postgres_setting("idle_in_transaction_session_timeout")
            .await,
        expected
    );
}
