//! Every operation × every documented status, through the generated client against the real
//! server. The proxy validates every body against the spec.

use chrono::{Duration, Utc};
use contract_tests::both_backends;
use contract_tests::{SessionOptions, TestApp, documented_error, error_of};
use reqwest::Method;
use sessions_client::types::{DeviceType, TrustDeviceRequest, TrustLevel};
use sessions_server::{rate_limit::RateLimits, service::Policy, store::ExpiryPolicy};

fn trust(fingerprint: &str) -> TrustDeviceRequest {
    TrustDeviceRequest {
        fingerprint: fingerprint.parse().expect("a valid fingerprint"),
    }
}

/// Whether `token` still authenticates.
async fn token_works(app: &TestApp, token: &str) -> bool {
    match app.client(token).get_sessions().send().await {
        Ok(_) => true,
        Err(sessions_client::Error::ErrorResponse(response)) if response.status() == 401 => false,
        other => panic!("unexpected answer {other:?}"),
    }
}

/// Renames a table under the running server, so every query touching it fails.
async fn break_table(app: &TestApp, table: &str) {
    app.execute_sql(&format!("ALTER TABLE {table} RENAME TO {table}_gone"))
        .await;
}

/// Calls `operation_id` through the generated client with `session`'s ids and returns the
/// documented error it answers. Panics, naming it, on an operation this table does not know:
/// add the new operation here, and every test that covers every operation covers it.
async fn call_for_error(
    client: &sessions_client::Client,
    operation_id: &str,
    session: &contract_tests::IssuedSession,
) -> (u16, String) {
    let id = session.record.id.as_str();
    let device = session.record.device_id.as_str();
    match operation_id {
        "getSessions" => error_of(client.get_sessions().send().await),
        "revokeSession" => error_of(client.revoke_session().id(id).send().await),
        "revokeAllSessions" => error_of(client.revoke_all_sessions().send().await),
        "sessionHeartbeat" => error_of(client.session_heartbeat().id(id).send().await),
        "getDevices" => error_of(client.get_devices().send().await),
        "getDeviceDetails" => error_of(client.get_device_details().id(device).send().await),
        "trustDevice" => error_of(
            client
                .trust_device()
                .body(trust("Laptop-fingerprint"))
                .send()
                .await,
        ),
        "untrustDevice" => error_of(client.untrust_device().id(device).send().await),
        "removeDevice" => error_of(client.remove_device().id(device).send().await),
        other => panic!("no call for the operation {other}: add it to call_for_error"),
    }
}

#[both_backends]
async fn every_operation_answers_401_without_a_valid_token() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    let operations = contract_tests::operation_ids();
    for authorization in [None, Some("Bearer not-a-real-token"), Some("Basic abc")] {
        let client = app.client_with_authorization(authorization);
        for operation in &operations {
            let (status, _) = call_for_error(&client, operation, &session).await;
            assert_eq!(status, 401, "{operation} with {authorization:?}");
        }
    }
    // Nothing was touched.
    assert!(token_works(&app, &session.token).await);
    assert!(app.validated_responses() >= 3 * operations.len());
}

#[both_backends]
async fn every_operation_answers_its_documented_500_when_the_database_fails() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    break_table(&app, "sessions").await;
    let client = app.client(&session.token);
    let operations = contract_tests::operation_ids();
    for operation in &operations {
        // The exact text the spec documents as this operation's 500 example.
        let expected = documented_error(operation, 500)
            .unwrap_or_else(|| panic!("{operation} documents no 500 example"));
        let (status, message) = call_for_error(&client, operation, &session).await;
        assert_eq!((status, message), (500, expected), "{operation}");
    }
}

#[both_backends]
async fn device_operations_answer_500_when_only_the_devices_table_fails_after_auth() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    // Auth reads sessions joined with devices, so break a column the device queries need only.
    app.execute_sql("ALTER TABLE devices DROP COLUMN trust_level")
        .await;
    let client = app.client(&session.token);
    let (status, message) = error_of(client.get_devices().send().await);
    assert_eq!(
        (status, message.as_str()),
        (500, "Failed to retrieve devices")
    );
    let (status, message) = error_of(
        client
            .trust_device()
            .body(trust("Laptop-fingerprint"))
            .send()
            .await,
    );
    assert_eq!((status, message.as_str()), (500, "Failed to trust device"));
    let raw = app
        .raw(
            Method::GET,
            "/devices",
            Some(&format!("Bearer {}", session.token)),
        )
        .await;
    assert_eq!(
        raw.text,
        r#"{"success":false,"error":"Failed to retrieve devices"}"#
    );
}

#[both_backends]
async fn revoke_session_ends_that_session_at_once() {
    let app = TestApp::spawn().await;
    let laptop = app.issue("alice", "Laptop").await;
    let phone = app.issue("alice", "Phone").await;
    let client = app.client(&laptop.token);

    let revoked = client
        .revoke_session()
        .id(&phone.record.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.success);
    assert_eq!(revoked.message, "Session revoked successfully");
    assert!(
        !token_works(&app, &phone.token).await,
        "its very next request is 401"
    );
    assert!(token_works(&app, &laptop.token).await);

    // Revoked, unknown and absurd ids are all "not found".
    for id in [
        phone.record.id.clone(),
        "no-such-session".to_owned(),
        "x".repeat(10_000),
    ] {
        let (status, message) = error_of(client.revoke_session().id(&id).send().await);
        assert_eq!(
            (status, message.as_str()),
            (404, "Session not found"),
            "{}",
            &id[..20.min(id.len())]
        );
    }

    // A session may revoke itself.
    client
        .revoke_session()
        .id(&laptop.record.id)
        .send()
        .await
        .unwrap();
    assert!(!token_works(&app, &laptop.token).await);
}

#[both_backends]
async fn revoke_all_logs_out_everywhere_including_the_caller_and_nobody_else() {
    let app = TestApp::spawn().await;
    let laptop = app.issue("alice", "Laptop").await;
    let phone = app.issue("alice", "Phone").await;
    let bob = app.issue("bob", "Laptop").await;

    let answer = app
        .client(&laptop.token)
        .revoke_all_sessions()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(answer.success);
    assert_eq!(answer.message, "All sessions revoked successfully");
    assert!(!token_works(&app, &laptop.token).await);
    assert!(!token_works(&app, &phone.token).await);
    assert!(token_works(&app, &bob.token).await);
    assert!(
        app.store
            .active_sessions("alice", Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
}

#[both_backends]
async fn heartbeat_slides_the_expiry_within_the_absolute_lifetime() {
    let policy = Policy {
        expiry: ExpiryPolicy {
            sliding_ttl: Duration::hours(1),
            absolute_lifetime: Duration::hours(8),
        },
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let now = Utc::now();
    // Started 2h ago, expiring in 10 minutes: a heartbeat pushes it to now + 1h.
    let young = app
        .issue_at(
            "alice",
            "Laptop",
            now - Duration::hours(2),
            Duration::minutes(130),
        )
        .await;
    // Started 7h30 ago: now + 1h would pass start + 8h, so it stops there.
    let old = app
        .issue_at(
            "alice",
            "Phone",
            now - Duration::minutes(450),
            Duration::minutes(460),
        )
        .await;
    // Expires in 5h: a heartbeat never shortens it.
    let long = app
        .issue_at("alice", "Tablet", now, Duration::hours(5))
        .await;
    let client = app.client(&young.token);

    let before = Utc::now();
    let answer = client
        .session_heartbeat()
        .id(&young.record.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let after = Utc::now();
    assert!(answer.success);
    assert_eq!(answer.message, "Session updated successfully");
    let window = Duration::milliseconds(1);
    assert!(
        answer.new_expiry >= before + Duration::hours(1) - window,
        "{answer:?}"
    );
    assert!(
        answer.new_expiry <= after + Duration::hours(1),
        "{answer:?}"
    );

    let capped = client
        .session_heartbeat()
        .id(&old.record.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        capped.new_expiry,
        old.record.started_at + Duration::hours(8)
    );

    let kept = client
        .session_heartbeat()
        .id(&long.record.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.new_expiry, long.record.expires_at);

    // The listing shows the new activity and expiry.
    let listed = client.get_sessions().send().await.unwrap().into_inner();
    let young_listed = listed
        .sessions
        .iter()
        .find(|s| s.id == young.record.id)
        .unwrap();
    assert_eq!(young_listed.expires_at, answer.new_expiry);
    assert!(young_listed.last_activity >= before - window);
    assert!(young_listed.last_activity > young.record.last_activity);
}

#[both_backends]
async fn heartbeat_of_an_expired_revoked_or_unknown_session_is_404() {
    let app = TestApp::spawn().await;
    let caller = app.issue("alice", "Laptop").await;
    let expired = app
        .issue_at(
            "alice",
            "Phone",
            Utc::now() - Duration::days(2),
            Duration::days(1),
        )
        .await;
    let revoked = app.issue("alice", "Tablet").await;
    app.revoke(&revoked).await;
    let client = app.client(&caller.token);
    for id in [
        &expired.record.id,
        &revoked.record.id,
        &"unknown".to_owned(),
    ] {
        let (status, message) = error_of(client.session_heartbeat().id(id).send().await);
        assert_eq!(
            (status, message.as_str()),
            (404, "Session not found or expired")
        );
    }
    // A revoked session stays revoked.
    assert!(!token_works(&app, &revoked.token).await);
}

#[both_backends]
async fn devices_list_every_field_and_sessions_with_one_fingerprint_share_a_device() {
    let app = TestApp::spawn().await;
    let shared = SessionOptions {
        fingerprint: Some("fp-laptop".to_owned()),
        ..SessionOptions::default()
    };
    let first = app.issue_with("alice", "Laptop", shared.clone()).await;
    let second = app.issue_with("alice", "Laptop", shared).await;
    let phone = app.issue("alice", "Phone").await;
    assert_eq!(first.record.device_id, second.record.device_id);

    let listed = app
        .client(&first.token)
        .get_devices()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(listed.success);
    let mut ids: Vec<_> = listed
        .devices
        .iter()
        .map(|device| device.id.clone())
        .collect();
    ids.sort();
    let mut expected = vec![
        first.record.device_id.clone(),
        phone.record.device_id.clone(),
    ];
    expected.sort();
    assert_eq!(ids, expected);

    let laptop = listed
        .devices
        .iter()
        .find(|d| d.id == first.record.device_id)
        .unwrap();
    assert_eq!(laptop.device_name, "Laptop");
    assert_eq!(laptop.device_type, DeviceType::Mobile);
    assert_eq!(laptop.os, "Android 16");
    assert_eq!(laptop.browser, "Chrome 150");
    assert_eq!(laptop.ip_address, "203.0.113.9");
    assert_eq!(laptop.country, "PT");
    assert_eq!(laptop.city, "Lisbon");
    assert!(!laptop.is_trusted);
    assert_eq!(laptop.trust_level, TrustLevel::Unknown);
    assert_eq!(laptop.trust_expires_at, None);
    assert_eq!(laptop.created_at, first.record.started_at);
}

#[both_backends]
async fn device_details_show_only_active_sessions() {
    let app = TestApp::spawn().await;
    let device = SessionOptions {
        fingerprint: Some("fp".to_owned()),
        ..SessionOptions::default()
    };
    let active = app.issue_with("alice", "Laptop", device.clone()).await;
    let revoked = app.issue_with("alice", "Laptop", device.clone()).await;
    app.revoke(&revoked).await;
    let expired = app
        .issue_with(
            "alice",
            "Laptop",
            SessionOptions {
                started_at: Utc::now() - Duration::days(3),
                lifetime: Duration::days(1),
                ..device
            },
        )
        .await;
    let client = app.client(&active.token);

    let details = client
        .get_device_details()
        .id(&active.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(details.success);
    assert_eq!(details.device.id, active.record.device_id);
    assert_eq!(details.device.device_fingerprint, "fp");
    assert_eq!(details.device.user_agent, "test-agent/Laptop");
    let ids: Vec<_> = details
        .device
        .sessions
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, vec![active.record.id.as_str()]);
    assert!(!ids.contains(&expired.record.id.as_str()));

    for id in ["unknown", &"9".repeat(5_000)] {
        let (status, message) = error_of(client.get_device_details().id(id).send().await);
        assert_eq!((status, message.as_str()), (404, "Device not found"));
    }
}

#[both_backends]
async fn trust_finds_the_device_by_fingerprint_for_the_trust_period() {
    let app = TestApp::spawn().await;
    let session = app
        .issue_with(
            "alice",
            "Laptop",
            SessionOptions {
                fingerprint: Some("fp-1".to_owned()),
                ..SessionOptions::default()
            },
        )
        .await;
    let client = app.client(&session.token);

    let before = Utc::now();
    let answer = client
        .trust_device()
        .body(trust("fp-1"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(answer.success);
    assert_eq!(answer.message, "Device trusted successfully");
    assert!(
        answer.trust_expires_at >= before + app.policy.trust_period - Duration::milliseconds(1)
    );
    assert!(answer.trust_expires_at <= Utc::now() + app.policy.trust_period);

    let device = client
        .get_device_details()
        .id(&session.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .device;
    assert!(device.is_trusted);
    assert_eq!(device.trust_level, TrustLevel::High);
    assert_eq!(device.trust_expires_at, Some(answer.trust_expires_at));

    let (status, message) = error_of(client.trust_device().body(trust("fp-unknown")).send().await);
    assert_eq!((status, message.as_str()), (404, "Device not found"));
}

#[both_backends]
async fn an_expired_trust_reads_as_untrusted() {
    let policy = Policy {
        trust_period: Duration::milliseconds(1),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let session = app.issue("alice", "Laptop").await;
    let client = app.client(&session.token);
    let answer = client
        .trust_device()
        .body(trust("Laptop-fingerprint"))
        .send()
        .await
        .unwrap()
        .into_inner();
    // Wait until the trust period has certainly passed.
    while Utc::now() <= answer.trust_expires_at {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let device = client
        .get_devices()
        .send()
        .await
        .unwrap()
        .into_inner()
        .devices
        .remove(0);
    assert!(!device.is_trusted);
    assert_eq!(device.trust_level, TrustLevel::Unknown);
    assert_eq!(device.trust_expires_at, Some(answer.trust_expires_at));
}

#[both_backends]
async fn a_trust_body_that_cannot_be_read_gets_400_413_or_415_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    let bearer = format!("Bearer {}", session.token);
    let cases: [(&str, Vec<u8>, u16); 6] = [
        ("application/json", b"{not json".to_vec(), 400),
        ("application/json", b"{}".to_vec(), 400),
        ("application/json", br#"{"fingerprint": 7}"#.to_vec(), 400),
        ("text/plain", br#"{"fingerprint": "x"}"#.to_vec(), 415),
        (
            "application/json",
            format!(r#"{{"fingerprint": "{}"}}"#, "x".repeat(70 * 1024)).into_bytes(),
            413,
        ),
        ("application/json", br#"["fingerprint"]"#.to_vec(), 400),
    ];
    for (content_type, body, expected) in cases {
        let response = app
            .raw_with_body(
                Method::POST,
                "/devices/trust",
                Some(&bearer),
                Some((content_type, body)),
            )
            .await;
        assert_eq!(response.status, expected, "{}", response.text);
        let body = response.json();
        assert_eq!(body["success"], false);
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|error| !error.is_empty())
        );
    }
    let missing = app.raw(Method::POST, "/devices/trust", Some(&bearer)).await;
    assert_eq!(missing.status, 415, "{}", missing.text);
}

#[both_backends]
async fn untrust_clears_trust_and_revokes_only_that_devices_sessions() {
    let app = TestApp::spawn().await;
    let laptop = app.issue("alice", "Laptop").await;
    let laptop_again = app.issue("alice", "Laptop").await;
    let phone = app.issue("alice", "Phone").await;
    let client = app.client(&phone.token);
    client
        .trust_device()
        .body(trust("Laptop-fingerprint"))
        .send()
        .await
        .unwrap();

    let answer = client
        .untrust_device()
        .id(&laptop.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(answer.success);
    assert_eq!(answer.message, "Device untrusted successfully");
    assert!(!token_works(&app, &laptop.token).await);
    assert!(!token_works(&app, &laptop_again.token).await);
    assert!(token_works(&app, &phone.token).await);

    let devices = client
        .get_devices()
        .send()
        .await
        .unwrap()
        .into_inner()
        .devices;
    let laptop_device = devices
        .iter()
        .find(|d| d.id == laptop.record.device_id)
        .unwrap();
    assert!(!laptop_device.is_trusted);
    assert_eq!(laptop_device.trust_level, TrustLevel::Low);
    assert_eq!(laptop_device.trust_expires_at, None);

    let (status, message) = error_of(client.untrust_device().id("unknown").send().await);
    assert_eq!((status, message.as_str()), (404, "Device not found"));
}

#[both_backends]
async fn removing_a_device_deletes_it_and_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let laptop = app.issue("alice", "Laptop").await;
    let phone = app.issue("alice", "Phone").await;
    let client = app.client(&phone.token);

    let answer = client
        .remove_device()
        .id(&laptop.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(answer.success);
    assert_eq!(answer.message, "Device removed successfully");
    assert!(!token_works(&app, &laptop.token).await);

    let devices = client
        .get_devices()
        .send()
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert_eq!(
        devices.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        vec![phone.record.device_id.as_str()]
    );
    for result in [
        error_of(
            client
                .get_device_details()
                .id(&laptop.record.device_id)
                .send()
                .await,
        ),
        error_of(
            client
                .remove_device()
                .id(&laptop.record.device_id)
                .send()
                .await,
        ),
    ] {
        assert_eq!((result.0, result.1.as_str()), (404, "Device not found"));
    }

    // The caller may remove its own device, and is logged out with it.
    client
        .remove_device()
        .id(&phone.record.device_id)
        .send()
        .await
        .unwrap();
    assert!(!token_works(&app, &phone.token).await);
}

#[both_backends]
async fn every_operation_answers_429_with_retry_after_over_the_token_limit() {
    let one = std::num::NonZeroU32::new(1).unwrap();
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: one,
            per_ip_per_minute: one,
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let operations = contract_tests::operation_ids();
    for (index, operation) in operations.iter().enumerate() {
        // A fresh token per operation, its one request of the minute spent first.
        let session = app.issue("alice", &format!("Device {index}")).await;
        let client = app.client(&session.token);
        client
            .get_sessions()
            .send()
            .await
            .expect("the first request passes");
        let (status, message) = call_for_error(&client, operation, &session).await;
        assert_eq!(
            (status, message.as_str()),
            (429, "Too many requests"),
            "{operation}"
        );
        // Refused before the service: the session is untouched.
        assert!(
            app.store
                .active_sessions("alice", Utc::now())
                .await
                .unwrap()
                .iter()
                .any(|s| s.id == session.record.id)
        );
    }
    let bearer = format!("Bearer {}", app.issue("alice", "Raw").await.token);
    assert_eq!(
        app.raw(Method::GET, "/sessions", Some(&bearer))
            .await
            .status,
        200
    );
    let limited = app.raw(Method::GET, "/sessions", Some(&bearer)).await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[both_backends]
async fn calls_without_a_token_are_limited_per_ip_and_health_checks_never() {
    let two = std::num::NonZeroU32::new(2).unwrap();
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: std::num::NonZeroU32::new(100).unwrap(),
            per_ip_per_minute: two,
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let anonymous = app.client_with_authorization(None);
    assert_eq!(error_of(anonymous.get_sessions().send().await).0, 401);
    assert_eq!(error_of(anonymous.get_devices().send().await).0, 401);
    let (status, message) = error_of(anonymous.get_sessions().send().await);
    assert_eq!((status, message.as_str()), (429, "Too many requests"));
    // A caller with a token has its own allowance.
    let session = app.issue("alice", "Laptop").await;
    app.client(&session.token)
        .get_sessions()
        .send()
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(app.raw(Method::GET, "/healthz", None).await.status, 200);
    }
}

#[both_backends]
async fn a_revoke_through_one_instance_holds_on_the_next_request_to_another() {
    let app = TestApp::spawn().await;
    let other = app.spawn_second_instance().await;
    let session = app.issue("alice", "Laptop").await;
    let controller = app.issue("alice", "Phone").await;
    let via_second = sessions_client::Client::with_bearer_token(&other, &session.token).unwrap();
    assert_eq!(
        via_second.get_sessions().send().await.unwrap().status(),
        200
    );

    app.client(&controller.token)
        .revoke_session()
        .id(&session.record.id)
        .send()
        .await
        .unwrap();

    let (status, _) = error_of(via_second.get_sessions().send().await);
    assert_eq!(status, 401, "the other instance honours the revoke at once");
}

#[both_backends]
async fn an_unreadable_or_absurd_path_id_is_404_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    let bearer = format!("Bearer {}", session.token);
    let absurd = "9".repeat(20_000);
    for path in [
        "/sessions/%FF%FE/revoke".to_owned(),
        "/devices/%C0%AF".to_owned(),
        format!("/sessions/{absurd}/heartbeat"),
        format!("/devices/{absurd}/untrust"),
    ] {
        let method = if path.starts_with("/devices/%") {
            Method::GET
        } else {
            Method::POST
        };
        let response = app.raw(method, &path, Some(&bearer)).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text);
        assert_eq!(response.json()["success"], false, "{path}");
    }
    assert!(token_works(&app, &session.token).await);
}

async fn trust_with_body(app: &TestApp, bearer: &str, body: &str) -> contract_tests::RawResponse {
    app.raw_with_body(
        Method::POST,
        "/devices/trust",
        Some(bearer),
        Some(("application/json", body.as_bytes().to_vec())),
    )
    .await
}

/// PostgreSQL cannot store or even compare text with a NUL character; SQLite can. On both,
/// such a value is refused before it reaches the store: 404 for an id, 400 for a body field.
#[both_backends]
async fn values_the_database_cannot_hold_are_refused_before_the_store() {
    let app = TestApp::spawn().await;
    let session = app.issue("alice", "Laptop").await;
    let bearer = format!("Bearer {}", session.token);
    let id = "ab%00cd";
    for (method, path) in [
        (Method::POST, format!("/sessions/{id}/revoke")),
        (Method::POST, format!("/sessions/{id}/heartbeat")),
        (Method::GET, format!("/devices/{id}")),
        (Method::POST, format!("/devices/{id}/untrust")),
        (Method::DELETE, format!("/devices/{id}")),
    ] {
        let response = app.raw(method.clone(), &path, Some(&bearer)).await;
        assert_eq!(response.status, 404, "{method} {path}: {}", response.text);
        assert_eq!(response.json()["success"], false, "{method} {path}");
    }
    // The spec's pattern for `fingerprint` excludes NUL: the edge answers 400, naming the field.
    for body in [
        r#"{"fingerprint": "ab\u0000cd"}"#,
        r#"{"fingerprint": "\u0000"}"#,
    ] {
        let response = trust_with_body(&app, &bearer, body).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        let error = response.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains("/fingerprint"), "{body}: {error}");
        assert!(
            !error.contains('\0'),
            "the error never echoes a NUL: {error:?}"
        );
    }
    // Members the body does not define are never read, so they never reach the store.
    for body in [
        r#"{"fingerprint": "unknown", "extra\u0000": 1}"#,
        r#"{"fingerprint": "unknown", "extra": ["\u0000"]}"#,
    ] {
        let response = trust_with_body(&app, &bearer, body).await;
        assert_eq!(response.status, 404, "{body}: {}", response.text);
    }
    assert!(
        token_works(&app, &session.token).await,
        "nothing was revoked"
    );
}

#[both_backends]
async fn made_up_tokens_are_limited_per_ip_but_never_a_token_that_authenticates() {
    let three = std::num::NonZeroU32::new(3).unwrap();
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: std::num::NonZeroU32::new(100).unwrap(),
            per_ip_per_minute: three,
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let session = app.issue("alice", "Laptop").await;
    let mut statuses = Vec::new();
    for attempt in 0..6 {
        // A fresh random token every time: each would have a bucket of its own.
        let guess = format!("Bearer guess-{attempt}-{}", uuid_like(attempt));
        statuses.push(app.raw(Method::GET, "/sessions", Some(&guess)).await.status);
    }
    assert_eq!(&statuses[..3], &[401, 401, 401], "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // The block throttles guessing only: a user who shares the IP is still served.
    for _ in 0..3 {
        let listed = app.client(&session.token).get_sessions().send().await;
        assert!(listed.is_ok(), "{listed:?}");
    }
    // And guesses stay refused meanwhile, with or without a token.
    let guess = app
        .raw(Method::GET, "/sessions", Some("Bearer still-guessing"))
        .await;
    assert_eq!(guess.status, 429);
    assert!(guess.headers.contains_key("retry-after"));
    assert_eq!(app.raw(Method::GET, "/sessions", None).await.status, 429);
}

fn uuid_like(seed: u64) -> String {
    format!(
        "{:016x}{:016x}",
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        !seed
    )
}

/// The generated layer authenticates before it reads the path, the query or the body: a request
/// without a valid token gets 401 whatever else is wrong with it, and learns nothing more.
#[both_backends]
async fn without_a_valid_token_everything_is_401_before_anything_else_is_read() {
    let app = TestApp::spawn().await;
    for authorization in [None, Some("Bearer made-up"), Some("Basic abc")] {
        for (method, path, body) in [
            (
                Method::POST,
                "/devices/trust",
                Some(("application/json", b"{not json".to_vec())),
            ),
            (
                Method::POST,
                "/devices/trust",
                Some(("text/plain", b"x".to_vec())),
            ),
            (
                Method::POST,
                "/devices/trust",
                Some(("application/json", vec![b' '; 70 * 1024])),
            ),
            (Method::GET, "/sessions?limit=0", None),
            (Method::GET, "/devices?cursor=forged", None),
            (Method::POST, "/sessions/%FF%FE/revoke", None),
            (Method::GET, "/devices/ab%00cd", None),
        ] {
            let response = app
                .raw_with_body(method.clone(), path, authorization, body)
                .await;
            assert_eq!(
                response.status, 401,
                "{method} {path} with {authorization:?}: {}",
                response.text
            );
            assert_eq!(response.headers["www-authenticate"], "Bearer");
            assert_eq!(response.json()["success"], false);
        }
    }
}

/// One answer stays small however many sessions a device has: `GET /devices/{id}` lists the
/// newest [`DEVICE_SESSIONS_SHOWN`] (the spec says 100); `GET /sessions` pages through them all.
#[both_backends]
async fn device_details_list_at_most_a_hundred_sessions_newest_first() {
    use sessions_server::store::DEVICE_SESSIONS_SHOWN;
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let mut sessions = Vec::new();
    for index in 0..DEVICE_SESSIONS_SHOWN + 5 {
        let options = SessionOptions {
            fingerprint: Some("busy-device".to_owned()),
            started_at: now - Duration::seconds(index as i64),
            lifetime: Duration::days(1),
            ..SessionOptions::default()
        };
        sessions.push(app.issue_with("alice", "Busy", options).await);
    }
    let caller = &sessions[0];
    let details = app
        .client(&caller.token)
        .get_device_details()
        .id(&caller.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let shown: Vec<&str> = details
        .device
        .sessions
        .iter()
        .map(|session| session.id.as_str())
        .collect();
    assert_eq!(shown.len(), DEVICE_SESSIONS_SHOWN);
    let newest: Vec<&str> = sessions[..DEVICE_SESSIONS_SHOWN]
        .iter()
        .map(|session| session.record.id.as_str())
        .collect();
    assert_eq!(shown, newest);
}
