//! Races between writes, through the real server: a revoke racing a heartbeat never brings a
//! session back, and concurrent revoke-alls leave nothing active.

use chrono::Utc;
use contract_tests::TestApp;
use contract_tests::both_backends;
use sessions_server::token;

const ROUNDS: usize = 30;

#[both_backends(multi_thread)]
async fn a_revoke_racing_a_heartbeat_never_resurrects_the_session() {
    let app = TestApp::spawn().await;
    let controller = app.issue("alice", "Controller").await;
    let client = app.client(&controller.token);
    let mut targets = Vec::new();
    for round in 0..ROUNDS {
        targets.push(app.issue("alice", &format!("Device {round}")).await);
    }

    let mut races = tokio::task::JoinSet::new();
    for target in &targets {
        let (heartbeat_client, revoke_client) = (client.clone(), client.clone());
        let (heartbeat_id, revoke_id) = (target.record.id.clone(), target.record.id.clone());
        let heartbeat = tokio::spawn(async move {
            heartbeat_client
                .session_heartbeat()
                .id(heartbeat_id)
                .send()
                .await
        });
        races.spawn(async move {
            let revoke = revoke_client.revoke_session().id(revoke_id).send().await;
            // Either order is fine for the heartbeat; the revoke always wins the session.
            match heartbeat.await.expect("the heartbeat task runs") {
                Ok(_) => {}
                Err(sessions_client::Error::ErrorResponse(response)) => {
                    assert_eq!(response.status().as_u16(), 404)
                }
                Err(other) => panic!("heartbeat failed: {other}"),
            }
            revoke.expect("the revoke of an active session succeeds");
        });
    }
    while let Some(race) = races.join_next().await {
        race.expect("a race panicked");
    }

    for target in &targets {
        let stored = app
            .store
            .session_by_token_hash(&token::hash(&target.token))
            .await
            .unwrap()
            .unwrap();
        assert!(
            !stored.is_active(Utc::now()),
            "session {} came back",
            stored.id
        );
    }
    let listed = client.get_sessions().send().await.unwrap().into_inner();
    assert_eq!(
        listed
            .sessions
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        vec![controller.record.id.as_str()]
    );
}

#[both_backends(multi_thread)]
async fn concurrent_revoke_alls_leave_no_session_active() {
    let app = TestApp::spawn().await;
    for round in 0..5 {
        let user = format!("user-{round}");
        let mut sessions = Vec::new();
        for device in 0..12 {
            sessions.push(app.issue(&user, &format!("Device {device}")).await);
        }
        let first = app.client(&sessions[0].token);
        let second = app.client(&sessions[1].token);
        let (a, b) = tokio::join!(
            first.revoke_all_sessions().send(),
            second.revoke_all_sessions().send()
        );
        for answer in [a, b] {
            // The later one may find its own token already revoked by the other: 401.
            match answer {
                Ok(response) => assert!(response.into_inner().success),
                Err(sessions_client::Error::ErrorResponse(response)) => {
                    assert_eq!(response.status().as_u16(), 401)
                }
                Err(other) => panic!("revoke-all failed: {other}"),
            }
        }
        let active = app.store.active_sessions(&user, Utc::now()).await.unwrap();
        assert!(
            active.is_empty(),
            "still active after round {round}: {active:?}"
        );
    }
}

#[both_backends(multi_thread)]
async fn heartbeats_racing_untrust_and_remove_never_fail() {
    // They lock a device and its sessions in opposite orders; PostgreSQL may abort one of them
    // to break the deadlock, and the store must retry rather than answer 500.
    let app = TestApp::spawn().await;
    let controller = app.issue("alice", "Controller").await;
    let client = app.client(&controller.token);
    let mut races = tokio::task::JoinSet::new();
    for round in 0..ROUNDS {
        let target = app.issue("alice", &format!("Device {round}")).await;
        let (heartbeat_client, device_client) = (client.clone(), client.clone());
        let session_id = target.record.id.clone();
        let device_id = target.record.device_id.clone();
        races.spawn(async move {
            let heartbeat = heartbeat_client.session_heartbeat().id(session_id).send();
            let device_operation = async {
                if round % 2 == 0 {
                    device_client
                        .untrust_device()
                        .id(device_id)
                        .send()
                        .await
                        .map(|response| response.status())
                } else {
                    device_client
                        .remove_device()
                        .id(device_id)
                        .send()
                        .await
                        .map(|response| response.status())
                }
            };
            let (heartbeat, device_operation) = tokio::join!(heartbeat, device_operation);
            match heartbeat {
                Ok(_) => {}
                Err(sessions_client::Error::ErrorResponse(response)) => {
                    assert_eq!(response.status().as_u16(), 404)
                }
                Err(other) => panic!("heartbeat failed: {other}"),
            }
            assert_eq!(
                device_operation.expect("the device operation succeeds"),
                200
            );
        });
    }
    while let Some(race) = races.join_next().await {
        race.expect("a race panicked");
    }
}

/// A write checks its caller's session in its own statement: once that session is revoked, a
/// write already past authentication changes nothing, whatever it targets, and says why.
#[both_backends]
async fn a_write_for_a_session_revoked_after_it_authenticated_changes_nothing() {
    use sessions_server::store::{Acting, ExpiryPolicy, StoreError, StoredTrust};
    let app = TestApp::spawn().await;
    let caller = app.issue("alice", "Laptop").await;
    let target = app.issue("alice", "Phone").await;
    app.revoke(&caller).await;
    let acting = Acting {
        user_id: "alice",
        session_id: &caller.record.id,
    };
    let now = Utc::now();
    let policy = ExpiryPolicy {
        sliding_ttl: chrono::Duration::days(30),
        absolute_lifetime: chrono::Duration::days(90),
    };
    let store = &app.store;
    let phone = &target.record.device_id;
    let outcomes = [
        (
            "revoke",
            store
                .revoke_session(acting, &target.record.id, now)
                .await
                .map(drop),
        ),
        (
            "revoke all",
            store.revoke_all_sessions(acting, now).await.map(drop),
        ),
        (
            "heartbeat",
            store
                .heartbeat(acting, &target.record.id, now, policy)
                .await
                .map(drop),
        ),
        (
            "trust",
            store
                .trust_device(
                    acting,
                    "Phone-fingerprint",
                    now + chrono::Duration::days(1),
                    now,
                )
                .await
                .map(drop),
        ),
        (
            "untrust",
            store.untrust_device(acting, phone, now).await.map(drop),
        ),
        (
            "remove",
            store.remove_device(acting, phone, now).await.map(drop),
        ),
        // An unknown target too: the ended session is what the caller learns of.
        (
            "revoke unknown",
            store.revoke_session(acting, "unknown", now).await.map(drop),
        ),
    ];
    for (write, outcome) in outcomes {
        assert!(
            matches!(outcome, Err(StoreError::SessionEnded)),
            "{write}: {outcome:?}"
        );
    }
    let stored = store
        .session_by_token_hash(&token::hash(&target.token))
        .await
        .unwrap()
        .expect("the phone's session is still there");
    assert_eq!(stored, target.record, "untouched");
    let device = store
        .device("alice", phone)
        .await
        .unwrap()
        .expect("not removed");
    assert_eq!(
        device.trust,
        StoredTrust::Unknown,
        "neither trusted nor untrusted"
    );

    // A live caller's writes go through as before.
    let live = app.issue("alice", "Tablet").await;
    let acting = Acting {
        user_id: "alice",
        session_id: &live.record.id,
    };
    assert!(
        store
            .revoke_session(acting, &target.record.id, now)
            .await
            .unwrap()
    );
    assert!(!store.revoke_session(acting, "unknown", now).await.unwrap());
}
