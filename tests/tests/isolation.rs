//! One user can never read, revoke, trust, untrust, heartbeat or delete another user's sessions
//! and devices. Every such attempt answers 404 with the documented message, exactly as an
//! unknown id would, and leaves the other user's state as it was: checked in the store behind
//! the API and through the API as that user. The proxy validates every response against the spec.

use chrono::Utc;
use contract_tests::both_backends;
use contract_tests::{IssuedSession, SessionOptions, TestApp, error_of};
use reqwest::Method;
use sessions_client::types::{TrustDeviceRequest, TrustLevel};
use sessions_server::store::{DeviceRecord, SessionRecord, StoredTrust};

fn trust(fingerprint: &str) -> TrustDeviceRequest {
    TrustDeviceRequest {
        fingerprint: fingerprint.parse().expect("a valid fingerprint"),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn sorted(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<_> = ids.into_iter().collect();
    ids.sort();
    ids
}

/// What the store holds for one user: active sessions and devices, every field.
#[derive(Debug, PartialEq)]
struct StoredState {
    sessions: Vec<SessionRecord>,
    devices: Vec<DeviceRecord>,
}

async fn stored_state(app: &TestApp, user: &str) -> StoredState {
    StoredState {
        sessions: app
            .store
            .active_sessions(user, Utc::now())
            .await
            .expect("the store answers"),
        devices: app.store.devices(user).await.expect("the store answers"),
    }
}

/// Alice, the caller, on a laptop; Bob on a phone he trusts (two sessions) and a tablet he
/// never trusted, so any change to his sessions, devices or trust would show.
struct AliceAndBob {
    app: TestApp,
    alice: IssuedSession,
    bob_phone: IssuedSession,
    bob_phone_again: IssuedSession,
    bob_tablet: IssuedSession,
}

impl AliceAndBob {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let alice = app.issue("alice", "Laptop").await;
        let bob_phone = app.issue("bob", "Phone").await;
        let bob_phone_again = app.issue("bob", "Phone").await;
        let bob_tablet = app.issue("bob", "Tablet").await;
        assert_eq!(
            bob_phone.record.device_id, bob_phone_again.record.device_id,
            "one fingerprint, one device"
        );
        app.client(&bob_phone.token)
            .trust_device()
            .body(trust("Phone-fingerprint"))
            .send()
            .await
            .expect("Bob trusts his own phone");
        Self {
            app,
            alice,
            bob_phone,
            bob_phone_again,
            bob_tablet,
        }
    }

    fn alice_client(&self) -> sessions_client::Client {
        self.app.client(&self.alice.token)
    }

    fn bob_sessions(&self) -> [&IssuedSession; 3] {
        [&self.bob_phone, &self.bob_phone_again, &self.bob_tablet]
    }

    fn bob_device_ids(&self) -> [&str; 2] {
        [
            self.bob_phone.record.device_id.as_str(),
            self.bob_tablet.record.device_id.as_str(),
        ]
    }

    fn bob_session_ids(&self) -> Vec<String> {
        sorted(self.bob_sessions().map(|session| session.record.id.clone()))
    }

    async fn bob_before(&self) -> StoredState {
        let before = stored_state(&self.app, "bob").await;
        assert_eq!(before.sessions.len(), 3, "Bob starts with three sessions");
        assert_eq!(before.devices.len(), 2, "Bob starts with two devices");
        before
    }

    /// Bob's store rows are exactly as before, every token of his still works and lists all
    /// his sessions, and his devices keep their trust as Bob sees them.
    async fn assert_bob_untouched(&self, before: &StoredState) {
        assert_eq!(
            &stored_state(&self.app, "bob").await,
            before,
            "Bob's sessions and devices in the store"
        );
        for session in self.bob_sessions() {
            let listed = self
                .app
                .client(&session.token)
                .get_sessions()
                .send()
                .await
                .expect("Bob's token still works")
                .into_inner();
            assert_eq!(
                sorted(listed.sessions.into_iter().map(|session| session.id)),
                self.bob_session_ids()
            );
        }
        let devices = self
            .app
            .client(&self.bob_tablet.token)
            .get_devices()
            .send()
            .await
            .expect("Bob lists his devices")
            .into_inner()
            .devices;
        assert_eq!(devices.len(), 2, "{devices:?}");
        let phone = devices
            .iter()
            .find(|device| device.id == self.bob_phone.record.device_id)
            .expect("Bob's phone is still listed");
        assert!(phone.is_trusted, "Bob's phone is still trusted");
        assert_eq!(phone.trust_level, TrustLevel::High);
        let tablet = devices
            .iter()
            .find(|device| device.id == self.bob_tablet.record.device_id)
            .expect("Bob's tablet is still listed");
        assert!(!tablet.is_trusted, "Bob's tablet is still untrusted");
        assert_eq!(tablet.trust_level, TrustLevel::Unknown);
        assert_eq!(tablet.trust_expires_at, None);
    }
}

#[both_backends]
async fn alice_cannot_revoke_bobs_sessions() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    for session in users.bob_sessions() {
        let (status, message) =
            error_of(alice.revoke_session().id(&session.record.id).send().await);
        assert_eq!((status, message.as_str()), (404, "Session not found"));
    }

    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn alice_cannot_heartbeat_bobs_sessions() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    for session in users.bob_sessions() {
        let (status, message) = error_of(
            alice
                .session_heartbeat()
                .id(&session.record.id)
                .send()
                .await,
        );
        assert_eq!(
            (status, message.as_str()),
            (404, "Session not found or expired")
        );
    }

    // Same lastActivity and expiresAt: the heartbeat extended nothing.
    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn alice_cannot_read_bobs_device_details() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    for device in users.bob_device_ids() {
        let (status, message) = error_of(alice.get_device_details().id(device).send().await);
        assert_eq!((status, message.as_str()), (404, "Device not found"));
    }

    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn alice_cannot_untrust_bobs_devices() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    for device in users.bob_device_ids() {
        let (status, message) = error_of(alice.untrust_device().id(device).send().await);
        assert_eq!((status, message.as_str()), (404, "Device not found"));
    }

    // Untrust would have revoked the phone's two sessions and cleared its trust.
    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn alice_cannot_remove_bobs_devices() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    for device in users.bob_device_ids() {
        let (status, message) = error_of(alice.remove_device().id(device).send().await);
        assert_eq!((status, message.as_str()), (404, "Device not found"));
    }

    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn alice_cannot_trust_bobs_fingerprints_although_she_has_a_device_of_her_own() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice = users.alice_client();

    // The tablet would turn trusted; the phone would get a later trustExpiresAt.
    for fingerprint in ["Tablet-fingerprint", "Phone-fingerprint"] {
        let (status, message) =
            error_of(alice.trust_device().body(trust(fingerprint)).send().await);
        assert_eq!(
            (status, message.as_str()),
            (404, "Device not found"),
            "{fingerprint}"
        );
    }
    // Her own fingerprint does work, so the 404s above are about ownership.
    alice
        .trust_device()
        .body(trust("Laptop-fingerprint"))
        .send()
        .await
        .expect("Alice trusts her own laptop");

    users.assert_bob_untouched(&before).await;
}

#[both_backends]
async fn listings_never_contain_another_users_sessions_or_devices() {
    let users = AliceAndBob::new().await;
    let alice = users.alice_client();

    let sessions = alice.get_sessions().send().await.unwrap().into_inner();
    assert_eq!(
        sorted(sessions.sessions.into_iter().map(|session| session.id)),
        vec![users.alice.record.id.clone()]
    );
    let devices = alice.get_devices().send().await.unwrap().into_inner();
    assert_eq!(
        sorted(devices.devices.into_iter().map(|device| device.id)),
        vec![users.alice.record.device_id.clone()]
    );
    let details = alice
        .get_device_details()
        .id(&users.alice.record.device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        sorted(
            details
                .device
                .sessions
                .into_iter()
                .map(|session| session.id)
        ),
        vec![users.alice.record.id.clone()]
    );

    // And the other way round.
    let bob = users.app.client(&users.bob_phone.token);
    let bob_sessions = bob.get_sessions().send().await.unwrap().into_inner();
    assert_eq!(
        sorted(bob_sessions.sessions.into_iter().map(|session| session.id)),
        users.bob_session_ids()
    );
    let bob_devices = bob.get_devices().send().await.unwrap().into_inner();
    assert_eq!(
        sorted(bob_devices.devices.into_iter().map(|device| device.id)),
        sorted(users.bob_device_ids().map(str::to_owned))
    );
}

/// A 404 for another user's id must not say that the id exists: byte for byte the same answer
/// as for an id nobody has.
#[both_backends]
async fn another_users_ids_answer_exactly_like_unknown_ids() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let authorization = bearer(&users.alice.token);
    let bob_session = &users.bob_phone.record.id;
    let bob_device = &users.bob_phone.record.device_id;
    let unknown = "00000000-0000-4000-8000-000000000000";

    let requests = [
        (Method::POST, "/sessions/{}/revoke", bob_session),
        (Method::POST, "/sessions/{}/heartbeat", bob_session),
        (Method::GET, "/devices/{}", bob_device),
        (Method::POST, "/devices/{}/untrust", bob_device),
        (Method::DELETE, "/devices/{}", bob_device),
    ];
    for (method, template, bobs) in requests {
        let for_bobs = users
            .app
            .raw(
                method.clone(),
                &template.replace("{}", bobs),
                Some(&authorization),
            )
            .await;
        let for_unknown = users
            .app
            .raw(
                method.clone(),
                &template.replace("{}", unknown),
                Some(&authorization),
            )
            .await;
        assert_eq!(for_bobs.status, 404, "{method} {template}");
        assert_eq!(
            (for_bobs.status, &for_bobs.text),
            (for_unknown.status, &for_unknown.text),
            "{method} {template}"
        );
    }

    let trust_raw = |fingerprint: &str| {
        let body =
            serde_json::to_vec(&serde_json::json!({ "fingerprint": fingerprint })).expect("JSON");
        users.app.raw_with_body(
            Method::POST,
            "/devices/trust",
            Some(&authorization),
            Some(("application/json", body)),
        )
    };
    let for_bobs = trust_raw("Phone-fingerprint").await;
    let for_unknown = trust_raw("nobody-has-this-fingerprint").await;
    assert_eq!(for_bobs.status, 404);
    assert_eq!(
        (for_bobs.status, &for_bobs.text),
        (for_unknown.status, &for_unknown.text)
    );

    users.assert_bob_untouched(&before).await;
}

/// Alice's operations on her own things, even on a device with the same fingerprint as Bob's
/// trusted phone, never reach Bob.
#[both_backends]
async fn alices_own_trust_untrust_remove_and_revoke_all_leave_bob_alone() {
    let users = AliceAndBob::new().await;
    let before = users.bob_before().await;
    let alice_phone = users.app.issue("alice", "Phone").await;
    assert_ne!(
        alice_phone.record.device_id, users.bob_phone.record.device_id,
        "the same fingerprint under another user is another device"
    );
    let alice = users.app.client(&alice_phone.token);

    alice
        .trust_device()
        .body(trust("Phone-fingerprint"))
        .send()
        .await
        .expect("Alice trusts her phone");
    users.assert_bob_untouched(&before).await;

    alice
        .untrust_device()
        .id(&alice_phone.record.device_id)
        .send()
        .await
        .expect("Alice untrusts her phone");
    users.assert_bob_untouched(&before).await;

    // Untrust revoked Alice's phone session; her laptop still works.
    let alice = users.alice_client();
    alice
        .remove_device()
        .id(&alice_phone.record.device_id)
        .send()
        .await
        .expect("Alice removes her phone");
    users.assert_bob_untouched(&before).await;

    alice
        .revoke_all_sessions()
        .send()
        .await
        .expect("Alice logs out everywhere");
    users.assert_bob_untouched(&before).await;
    assert!(
        users
            .app
            .store
            .active_sessions("alice", Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "revoke-all did end Alice's sessions"
    );
}

#[both_backends]
async fn trusting_a_fingerprint_both_users_have_trusts_only_the_callers_device() {
    let app = TestApp::spawn().await;
    let shared = || SessionOptions {
        fingerprint: Some("shared-fingerprint".to_owned()),
        ..SessionOptions::default()
    };
    let alice = app.issue_with("alice", "Laptop", shared()).await;
    let bob = app.issue_with("bob", "Laptop", shared()).await;
    assert_ne!(alice.record.device_id, bob.record.device_id);
    let bob_before = stored_state(&app, "bob").await;

    let trusted = app
        .client(&alice.token)
        .trust_device()
        .body(trust("shared-fingerprint"))
        .send()
        .await
        .expect("Alice trusts her device")
        .into_inner();

    let alice_device = app
        .store
        .device("alice", &alice.record.device_id)
        .await
        .unwrap()
        .expect("Alice's device");
    assert_eq!(
        alice_device.trust,
        StoredTrust::High {
            until: trusted.trust_expires_at
        }
    );
    assert_eq!(
        stored_state(&app, "bob").await,
        bob_before,
        "Bob's device and session in the store"
    );
    let bob_sees = app
        .client(&bob.token)
        .get_device_details()
        .id(&bob.record.device_id)
        .send()
        .await
        .expect("Bob's token still works")
        .into_inner()
        .device;
    assert!(!bob_sees.is_trusted);
    assert_eq!(bob_sees.trust_level, TrustLevel::Unknown);
    assert_eq!(bob_sees.trust_expires_at, None);
    assert_eq!(bob_sees.device_fingerprint, "shared-fingerprint");
    assert_eq!(
        sorted(bob_sees.sessions.into_iter().map(|session| session.id)),
        vec![bob.record.id.clone()]
    );
}

#[both_backends]
async fn untrusting_or_removing_a_device_leaves_another_users_device_with_the_same_fingerprint() {
    let app = TestApp::spawn().await;
    let shared = || SessionOptions {
        fingerprint: Some("shared-fingerprint".to_owned()),
        ..SessionOptions::default()
    };
    let alice_laptop = app.issue("alice", "Laptop").await;
    let alice_shared = app.issue_with("alice", "Tablet", shared()).await;
    let bob = app.issue_with("bob", "Tablet", shared()).await;
    app.client(&bob.token)
        .trust_device()
        .body(trust("shared-fingerprint"))
        .send()
        .await
        .expect("Bob trusts his device");
    let bob_before = stored_state(&app, "bob").await;
    let alice = app.client(&alice_laptop.token);

    alice
        .untrust_device()
        .id(&alice_shared.record.device_id)
        .send()
        .await
        .expect("Alice untrusts her device");
    assert_eq!(stored_state(&app, "bob").await, bob_before);
    alice
        .remove_device()
        .id(&alice_shared.record.device_id)
        .send()
        .await
        .expect("Alice removes her device");
    assert_eq!(stored_state(&app, "bob").await, bob_before);

    let bob_sees = app
        .client(&bob.token)
        .get_devices()
        .send()
        .await
        .expect("Bob's token still works")
        .into_inner()
        .devices;
    assert_eq!(bob_sees.len(), 1);
    assert_eq!(bob_sees[0].id, bob.record.device_id);
    assert!(bob_sees[0].is_trusted);
    assert_eq!(bob_sees[0].trust_level, TrustLevel::High);
}
