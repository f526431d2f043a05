//! Cursor paging of `GET /sessions` and `GET /devices`, through the generated client
//! (`.limit(n).cursor(c)`) against the real server; every body is validated against the spec.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use contract_tests::{IssuedSession, SessionOptions, TestApp, both_backends};
use reqwest::Method;

/// Sessions of `user` on one device, started at `started_at`, lasting two days.
async fn open(app: &TestApp, user: &str, started_at: chrono::DateTime<Utc>) -> IssuedSession {
    let options = SessionOptions {
        fingerprint: Some(format!("{user}-laptop")),
        started_at,
        lifetime: Duration::days(2),
        ..SessionOptions::default()
    };
    app.issue_with(user, "Laptop", options).await
}

/// One page of `GET /sessions` through the generated client: the ids and the next cursor.
async fn sessions_page(
    app: &TestApp,
    token: &str,
    limit: u32,
    cursor: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let client = app.client(token);
    let mut request = client.get_sessions().limit(limit);
    if let Some(cursor) = cursor {
        request = request.cursor(cursor);
    }
    let body = request.send().await.expect("a page").into_inner();
    assert!(body.sessions.len() <= limit as usize);
    let ids = body
        .sessions
        .into_iter()
        .map(|session| session.id)
        .collect();
    (ids, body.next_cursor)
}

#[both_backends]
async fn paging_through_250_sessions_sees_each_once_while_sessions_come_and_go() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    // Two sessions per minute of start time, so ties in the sort key are ordered by id.
    let mut sessions = Vec::new();
    for index in 0..250 {
        sessions.push(open(&app, "alice", now - Duration::minutes(index / 2)).await);
    }
    let other_user = open(&app, "bob", now).await;
    let caller = sessions[0].token.clone();
    let original: BTreeSet<String> = sessions.iter().map(|s| s.record.id.clone()).collect();

    let limit = 23;
    let mut seen = Vec::new();
    let mut revoked = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (ids, next) = sessions_page(&app, &caller, limit, cursor.as_deref()).await;
        pages += 1;
        assert!(pages <= 30, "paging must end");
        seen.extend(ids.iter().cloned());
        let Some(next) = next else { break };
        assert_eq!(
            ids.len(),
            limit as usize,
            "a page with a next cursor is full"
        );
        // Between pages: a new session (newest, before the cursor), an old one (after it), and
        // two revocations of sessions not yet seen.
        open(&app, "alice", Utc::now()).await;
        let late = open(&app, "alice", now - Duration::hours(3)).await;
        revoked.insert(late.record.id.clone());
        app.revoke(&late).await;
        let unseen = sessions
            .iter()
            .rev()
            .filter(|s| !seen.contains(&s.record.id) && !revoked.contains(&s.record.id))
            .nth(pages)
            .expect("sessions remain");
        revoked.insert(unseen.record.id.clone());
        app.revoke(unseen).await;
        cursor = Some(next);
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no session is shown twice");
    for id in original.difference(&revoked) {
        assert!(unique.contains(id), "session {id} was never shown: a gap");
    }
    for id in &revoked {
        assert!(!unique.contains(id), "revoked session {id} was shown");
    }
    assert!(!unique.contains(&other_user.record.id));
    assert!(pages >= 250 / limit as usize, "{pages} pages");
}

#[both_backends]
async fn without_limit_everything_comes_at_once_and_no_cursor() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let mut sessions = Vec::new();
    for index in 0..5 {
        sessions.push(open(&app, "alice", now - Duration::minutes(index)).await);
    }
    let body = app
        .client(&sessions[0].token)
        .get_sessions()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(body.sessions.len(), 5);
    assert_eq!(body.next_cursor, None);
    // The raw body carries no `nextCursor` key at all, as before paging existed.
    let raw = app
        .raw(
            Method::GET,
            "/sessions",
            Some(&format!("Bearer {}", sessions[0].token)),
        )
        .await;
    assert!(raw.json().get("nextCursor").is_none(), "{}", raw.text);
    // A limit that holds everything needs no next page.
    let (ids, next) = sessions_page(&app, &sessions[0].token, 5, None).await;
    assert_eq!((ids.len(), next), (5, None));
    let (ids, next) = sessions_page(&app, &sessions[0].token, 4, None).await;
    assert_eq!(ids.len(), 4);
    let (ids, next) = sessions_page(&app, &sessions[0].token, 4, next.as_deref()).await;
    assert_eq!((ids.len(), next), (1, None));
}

#[both_backends]
async fn devices_page_too_and_any_instance_honours_a_cursor() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let mut caller = None;
    for index in 0..7 {
        let options = SessionOptions {
            fingerprint: Some(format!("device-{index}")),
            started_at: now - Duration::minutes(index),
            lifetime: Duration::days(1),
            ..SessionOptions::default()
        };
        let session = app
            .issue_with("alice", &format!("Device {index}"), options)
            .await;
        caller.get_or_insert(session.token);
    }
    let caller = caller.unwrap();
    let first = app
        .client(&caller)
        .get_devices()
        .limit(3u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.devices.len(), 3);
    let cursor = first.next_cursor.expect("more devices remain");

    // The rest, from another instance on the same database.
    let second_instance = app.spawn_second_instance().await;
    let http = reqwest::Client::new();
    let mut seen: Vec<String> = first.devices.iter().map(|d| d.id.clone()).collect();
    let mut cursor = Some(cursor);
    while let Some(current) = cursor.take() {
        let page: serde_json::Value = http
            .get(format!("{second_instance}/devices"))
            .query(&[("limit", "3"), ("cursor", current.as_str())])
            .bearer_auth(&caller)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["success"], true, "{page}");
        for device in page["devices"].as_array().unwrap() {
            seen.push(device["id"].as_str().unwrap().to_owned());
        }
        cursor = page["nextCursor"].as_str().map(str::to_owned);
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (7, 7), "{seen:?}");
}

#[both_backends]
async fn bad_limits_and_cursors_get_400_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let alice = open(&app, "alice", now).await;
    open(&app, "alice", now - Duration::minutes(1)).await;
    let bob = open(&app, "bob", now).await;
    open(&app, "bob", now - Duration::minutes(1)).await;

    let next_cursor = |user: &IssuedSession, path: &'static str| {
        let token = user.token.clone();
        let app = &app;
        async move {
            let response = app
                .raw(
                    Method::GET,
                    &format!("{path}?limit=1"),
                    Some(&format!("Bearer {token}")),
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
            response.json()["nextCursor"].as_str().unwrap().to_owned()
        }
    };
    let alices = next_cursor(&alice, "/sessions").await;
    let bobs = next_cursor(&bob, "/sessions").await;
    let alices_devices_cursor = {
        // Alice has one device; a second makes a second page.
        let options = SessionOptions {
            fingerprint: Some("alice-phone".to_owned()),
            started_at: now - Duration::minutes(5),
            lifetime: Duration::days(1),
            ..SessionOptions::default()
        };
        app.issue_with("alice", "Phone", options).await;
        next_cursor(&alice, "/devices").await
    };
    let mut tampered = alices.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let mut cases: BTreeMap<String, &str> = BTreeMap::new();
    for path in ["/sessions", "/devices"] {
        for (query, names) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=-1", "limit"),
            ("limit=abc", "limit"),
            ("limit=1.5", "limit"),
            ("limit=99999999999", "limit"),
            ("limit=1&limit=2", "limit"),
            ("cursor=", "cursor"),
            ("limit=", "limit"),
            ("cursor=not-a-cursor", "cursor"),
            ("cursor=%00", "cursor"),
        ] {
            cases.insert(format!("{path}?{query}"), names);
        }
    }
    cases.insert(format!("/sessions?cursor={tampered}"), "cursor");
    // Another user's cursor, and a cursor of the other listing, are not the caller's.
    cases.insert(format!("/sessions?limit=1&cursor={bobs}"), "cursor");
    cases.insert(format!("/devices?limit=1&cursor={alices}"), "cursor");
    cases.insert(
        format!("/sessions?cursor={alices_devices_cursor}"),
        "cursor",
    );
    cases.insert(format!("/sessions?cursor={}", "A".repeat(300)), "cursor");

    let bearer = format!("Bearer {}", alice.token);
    for (path, name) in &cases {
        let response = app.raw(Method::GET, path, Some(&bearer)).await;
        assert_eq!(response.status, 400, "{path}: {}", response.text);
        let body = response.json();
        assert_eq!(body["success"], false, "{path}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(name), "{path}: {error}");
    }
    // The good cursor still works, and nothing above changed anything.
    let response = app
        .raw(
            Method::GET,
            &format!("/sessions?cursor={alices}"),
            Some(&bearer),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    // Alice has three sessions (the phone's opened last); the first page showed one.
    assert_eq!(response.json()["sessions"].as_array().unwrap().len(), 2);
}
