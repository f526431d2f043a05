//! `GET /sessions` through the generated client against the real server; every raw body is
//! validated against the spec.

use chrono::{Duration, Utc};
use contract_tests::TestApp;
use contract_tests::both_backends;
use reqwest::Method;
use sessions_client::{Error, types::ErrorResponse};

const PATH: &str = "/sessions";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The raw `GET /sessions`, validated against the spec by the app's proxy.
async fn get_validated(app: &TestApp, authorization: Option<&str>) -> contract_tests::RawResponse {
    let validated_before = app.validated_responses();
    let response = app.raw(Method::GET, PATH, authorization).await;
    assert_eq!(app.validated_responses(), validated_before + 1);
    assert_eq!(app.violations(), Vec::<String>::new());
    response
}

#[both_backends]
async fn a_user_with_sessions_on_three_devices_sees_exactly_those_three() {
    let app = TestApp::spawn().await;
    let laptop = app.issue("alice", "Laptop").await;
    let phone = app.issue("alice", "Phone").await;
    let tablet = app.issue("alice", "Tablet").await;

    let listed = app
        .client(&phone.token)
        .get_sessions()
        .send()
        .await
        .expect("200")
        .into_inner();

    assert!(listed.success);
    let mut ids: Vec<_> = listed
        .sessions
        .iter()
        .map(|session| session.id.clone())
        .collect();
    ids.sort();
    let mut expected = vec![
        laptop.record.id.clone(),
        phone.record.id.clone(),
        tablet.record.id.clone(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    let laptop_listed = listed
        .sessions
        .iter()
        .find(|session| session.id == laptop.record.id)
        .unwrap();
    assert_eq!(laptop_listed.device_name, "Laptop");
    assert_eq!(laptop_listed.ip_address, "203.0.113.9");
    assert_eq!(laptop_listed.location, "Lisbon, PT");
    assert_eq!(laptop_listed.login_method, "password");
    assert_eq!(laptop_listed.started_at, laptop.record.started_at);
    assert_eq!(laptop_listed.expires_at, laptop.record.expires_at);

    let raw = get_validated(&app, Some(&bearer(&laptop.token))).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["sessions"].as_array().unwrap().len(), 3);
}

#[both_backends]
async fn another_users_sessions_never_appear() {
    let app = TestApp::spawn().await;
    let alice = app.issue("alice", "Laptop").await;
    let bob_laptop = app.issue("bob", "Laptop").await;
    let bob_phone = app.issue("bob", "Phone").await;

    let alice_sees = app
        .client(&alice.token)
        .get_sessions()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        alice_sees
            .sessions
            .iter()
            .map(|session| &session.id)
            .collect::<Vec<_>>(),
        vec![&alice.record.id]
    );

    let bob_sees = app
        .client(&bob_phone.token)
        .get_sessions()
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut bob_ids: Vec<_> = bob_sees
        .sessions
        .iter()
        .map(|session| session.id.clone())
        .collect();
    bob_ids.sort();
    let mut expected = vec![bob_laptop.record.id.clone(), bob_phone.record.id.clone()];
    expected.sort();
    assert_eq!(bob_ids, expected);
    assert!(!bob_ids.contains(&alice.record.id));
    get_validated(&app, Some(&bearer(&bob_phone.token))).await;
}

#[both_backends]
async fn expired_and_revoked_sessions_do_not_appear_and_the_rest_come_most_recent_first() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let older = app
        .issue_at(
            "alice",
            "Desktop",
            now - Duration::hours(3),
            Duration::days(1),
        )
        .await;
    let newest = app
        .issue_at(
            "alice",
            "Laptop",
            now - Duration::minutes(1),
            Duration::days(1),
        )
        .await;
    let middle = app
        .issue_at(
            "alice",
            "Phone",
            now - Duration::hours(1),
            Duration::days(1),
        )
        .await;
    let expired = app
        .issue_at(
            "alice",
            "Tablet",
            now - Duration::days(2),
            Duration::days(1),
        )
        .await;
    let revoked = app.issue("alice", "Kiosk").await;
    app.revoke(&revoked).await;

    let listed = app
        .client(&newest.token)
        .get_sessions()
        .send()
        .await
        .unwrap()
        .into_inner();

    let ids: Vec<_> = listed
        .sessions
        .iter()
        .map(|session| session.id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            newest.record.id.as_str(),
            middle.record.id.as_str(),
            older.record.id.as_str()
        ]
    );
    assert!(!ids.contains(&expired.record.id.as_str()));
    assert!(!ids.contains(&revoked.record.id.as_str()));
    get_validated(&app, Some(&bearer(&newest.token))).await;
}

/// Asserts a 401 through the generated client (typed error with the body) and on the wire
/// (`WWW-Authenticate: Bearer`, a body valid against the spec).
async fn assert_unauthorized(app: &TestApp, authorization: Option<&str>, expected_error: &str) {
    let client = app.client_with_authorization(authorization);
    match client.get_sessions().send().await {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status().as_u16(), 401, "{authorization:?}");
            assert_eq!(
                response.into_inner(),
                ErrorResponse {
                    success: false,
                    error: expected_error.to_owned()
                },
                "{authorization:?}"
            );
        }
        other => panic!("{authorization:?}: expected a typed 401, got {other:?}"),
    }
    let raw = get_validated(app, authorization).await;
    assert_eq!(raw.status, 401);
    assert_eq!(
        raw.headers
            .get("www-authenticate")
            .and_then(|value| value.to_str().ok()),
        Some("Bearer"),
        "{authorization:?}"
    );
    assert_eq!(
        raw.json(),
        serde_json::json!({ "success": false, "error": expected_error })
    );
}

#[both_backends]
async fn a_missing_or_malformed_token_gets_401() {
    let app = TestApp::spawn().await;
    let valid = app.issue("alice", "Laptop").await;
    assert_unauthorized(&app, None, "Missing bearer token").await;
    for malformed in [
        "Basic YWxpY2U6c2VjcmV0".to_owned(),
        "Bearer".to_owned(),
        format!("Token {}", valid.token),
        format!("Bearer {} extra", valid.token),
        format!("Bearer {}", "x".repeat(4096)),
        format!("Bearer {}", "y".repeat(48 * 1024)),
    ] {
        assert_unauthorized(&app, Some(&malformed), "Malformed bearer token").await;
    }
    // Bytes that are not even text.
    let garbage = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe\x80token").unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}{PATH}", app.base_url))
        .header(reqwest::header::AUTHORIZATION, garbage)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({ "success": false, "error": "Malformed bearer token" })
    );
}

#[both_backends]
async fn an_unknown_expired_or_revoked_token_gets_401() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let expired = app
        .issue_at(
            "alice",
            "Tablet",
            now - Duration::days(2),
            Duration::days(1),
        )
        .await;
    let revoked = app.issue("alice", "Laptop").await;
    app.revoke(&revoked).await;
    let unknown = sessions_server::token::IssuedToken::generate().unwrap();

    for token in [unknown.as_str(), &expired.token, &revoked.token] {
        assert_unauthorized(&app, Some(&bearer(token)), "Invalid or expired token").await;
    }
}

#[both_backends]
async fn a_revoked_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    let client = app.client(&session.token);
    assert_eq!(
        client
            .get_sessions()
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    app.revoke(&session).await;
    assert!(matches!(
        client.get_sessions().send().await,
        Err(Error::ErrorResponse(response)) if response.status().as_u16() == 401
    ));
}

#[both_backends]
async fn a_failing_database_gets_the_documented_500_and_no_internal_detail() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    // Break the real database under the running server.
    app.execute_sql("ALTER TABLE sessions RENAME TO sessions_gone")
        .await;

    match app.client(&session.token).get_sessions().send().await {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status().as_u16(), 500);
            assert_eq!(
                response.into_inner(),
                ErrorResponse {
                    success: false,
                    error: "Failed to retrieve sessions".to_owned()
                }
            );
        }
        other => panic!("expected a typed 500, got {other:?}"),
    }
    let raw = get_validated(&app, Some(&bearer(&session.token))).await;
    assert_eq!(raw.status, 500);
    assert_eq!(
        raw.text,
        r#"{"success":false,"error":"Failed to retrieve sessions"}"#
    );
}
