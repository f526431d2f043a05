//! Bounded storage: a user holds at most a capped number of active sessions (opening one more
//! retires the least recently active), and sessions that ended longer ago than the retention
//! period are purged, in batches, by the running server too.

use std::{num::NonZeroU32, time::Duration as StdDuration};

use chrono::{Duration, Utc};
use contract_tests::{SessionOptions, TestApp, both_backends};
use sessions_server::{
    purge::{Purged, Retention, purge_ended},
    service::Policy,
    startup::Application,
    store::Store,
    token,
};

async fn is_stored(store: &dyn Store, token_text: &str) -> bool {
    store
        .session_by_token_hash(&token::hash(token_text))
        .await
        .expect("the store answers")
        .is_some()
}

async fn is_active(store: &dyn Store, token_text: &str) -> bool {
    store
        .session_by_token_hash(&token::hash(token_text))
        .await
        .expect("the store answers")
        .is_some_and(|session| session.is_active(Utc::now()))
}

#[both_backends]
async fn opening_a_session_past_the_cap_retires_the_least_recently_active_ones() {
    let app = TestApp::spawn().await;
    let cap = NonZeroU32::new(3);
    let open = |device: &'static str, hours_ago: i64| {
        let app = &app;
        async move {
            let options = SessionOptions {
                started_at: Utc::now() - Duration::hours(hours_ago),
                lifetime: Duration::days(1),
                max_active_sessions: cap,
                ..SessionOptions::default()
            };
            app.issue_with("alice", device, options).await
        }
    };
    let oldest = open("Desktop", 5).await;
    let older = open("Laptop", 4).await;
    let old = open("Phone", 3).await;
    let bob = app.issue("bob", "Phone").await;
    for session in [&oldest, &older, &old] {
        assert!(
            is_active(app.store.as_ref(), &session.token).await,
            "within the cap"
        );
    }
    // Activity, not age, decides: the oldest session was used a moment ago.
    app.client(&oldest.token)
        .session_heartbeat()
        .id(&oldest.record.id)
        .send()
        .await
        .expect("a heartbeat");
    let newest = open("Tablet", 0).await;
    let store = app.store.as_ref();
    assert!(
        !is_active(store, &older.token).await,
        "the least recently active is retired"
    );
    for session in [&oldest, &old, &newest, &bob] {
        assert!(
            is_active(store, &session.token).await,
            "{}",
            session.record.id
        );
    }
    let active = store.active_sessions("alice", Utc::now()).await.unwrap();
    assert_eq!(active.len(), 3);
}

#[both_backends]
async fn sessions_ended_longer_ago_than_the_retention_are_purged_in_batches() {
    let app = TestApp::spawn().await;
    let days_ago = |days: i64| Utc::now() - Duration::days(days);
    let opened_at = |device: &'static str, started: chrono::DateTime<Utc>| {
        app.issue_at("alice", device, started, Duration::days(1))
    };
    let active = app.issue("alice", "Laptop").await;
    let expired_recently = opened_at("Phone", days_ago(2)).await;
    let revoked_recently = app.issue("alice", "Tablet").await;
    app.revoke(&revoked_recently).await;
    let revoked_long_ago = app.issue("alice", "Desktop").await;
    app.revoke(&revoked_long_ago).await;
    app.execute_sql(&format!(
        "UPDATE sessions SET revoked_at = {} WHERE id = '{}'",
        days_ago(40).timestamp_millis(),
        revoked_long_ago.record.id
    ))
    .await;
    let mut expired_long_ago = Vec::new();
    for device in 0..7 {
        expired_long_ago.push(opened_at("Old phone", days_ago(60 + device)).await);
    }

    let purged = purge_ended(app.store.as_ref(), Duration::days(30), 3)
        .await
        .expect("the purge runs");
    assert_eq!(
        purged,
        Purged {
            sessions: 8,
            devices: 1
        },
        "in batches of at most three; the old phone had nothing left, the desktop was seen lately"
    );
    let store = app.store.as_ref();
    for kept in [&active, &expired_recently, &revoked_recently] {
        assert!(
            is_stored(store, &kept.token).await,
            "{} is kept",
            kept.record.id
        );
    }
    for gone in expired_long_ago.iter().chain([&revoked_long_ago]) {
        assert!(
            !is_stored(store, &gone.token).await,
            "{} is purged",
            gone.record.id
        );
    }
    let old_phone = &expired_long_ago[0].record.device_id;
    assert!(store.device("alice", old_phone).await.unwrap().is_none());
    let desktop = &revoked_long_ago.record.device_id;
    assert!(store.device("alice", desktop).await.unwrap().is_some());
    assert_eq!(
        purge_ended(store, Duration::days(30), 3).await.unwrap(),
        Purged::default(),
        "nothing left to purge"
    );
}

/// The running server purges on its own schedule.
#[tokio::test]
async fn the_server_purges_on_its_own() {
    let app = TestApp::spawn().await;
    let old = app
        .issue_at(
            "alice",
            "Old",
            Utc::now() - Duration::days(60),
            Duration::days(1),
        )
        .await;
    let new = app.issue("alice", "New").await;
    // A second server on the same database, purging every 50 ms.
    let application = Application::bind(
        "127.0.0.1:0".parse().expect("an address"),
        app.store.clone(),
        Policy::default(),
    )
    .await
    .expect("port 0 binds")
    .with_retention(Retention {
        period: Duration::days(30),
        every: StdDuration::from_millis(50),
    });
    let serving = tokio::spawn(application.run_until(std::future::pending()));
    let store = app.store.as_ref();
    let mut purged = false;
    for _ in 0..100 {
        if !is_stored(store, &old.token).await {
            purged = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    serving.abort();
    assert!(purged, "the old session is purged within five seconds");
    assert!(is_stored(store, &new.token).await, "the active one stays");
}
