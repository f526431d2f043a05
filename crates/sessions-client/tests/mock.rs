//! How a user of the client tests their own code without a server: progenitor's typed
//! httpmock helpers (`sessions_client::mock`, the `mock` feature) answer as the API would.

use httpmock::MockServer;
use sessions_client::{Client, mock::MockServerExt as _, types};

/// The user's code under test: the names of the devices the caller is signed in on, each once,
/// following `nextCursor` page by page.
async fn signed_in_devices(client: &Client) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client.get_sessions().limit(2u32);
        if let Some(cursor) = &cursor {
            request = request.cursor(cursor.as_str());
        }
        let page = request.send().await.map_err(|err| match err {
            sessions_client::Error::ErrorResponse(body) => body.into_inner().error,
            other => other.to_string(),
        })?;
        for session in &page.sessions {
            if !names.contains(&session.device_name) {
                names.push(session.device_name.clone());
            }
        }
        match &page.next_cursor {
            Some(next) => cursor = Some(next.to_string()),
            None => return Ok(names),
        }
    }
}

fn session(id: &str, device: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "deviceName": device, "ipAddress": "203.0.113.9", "location": "Berlin, DE",
        "loginMethod": "password", "startedAt": "2026-11-01T10:00:00Z",
        "lastActivity": "2026-11-30T10:00:00Z", "expiresAt": "2026-12-30T10:00:00Z",
        "isCurrent": false
    })
}

fn page(sessions: Vec<serde_json::Value>, next: Option<&str>) -> types::SessionsResponse {
    let mut body = serde_json::json!({"success": true, "sessions": sessions});
    if let Some(next) = next {
        body["nextCursor"] = next.into();
    }
    serde_json::from_value(body).expect("a valid SessionsResponse")
}

#[tokio::test]
async fn pages_are_followed_and_devices_listed_once() {
    let server = MockServer::start_async().await;
    let first = server.get_sessions(|when, then| {
        when.limit(std::num::NonZeroU32::new(2)).cursor(None);
        then.ok(&page(
            vec![session("s1", "Laptop"), session("s2", "Phone")],
            Some("page-2"),
        ));
    });
    let cursor: types::GetSessionsCursor = "page-2".parse().expect("a valid cursor");
    let second = server.get_sessions(|when, then| {
        when.limit(std::num::NonZeroU32::new(2)).cursor(&cursor);
        then.ok(&page(vec![session("s3", "Laptop")], None));
    });
    let client = Client::with_bearer_token(&server.base_url(), "token").expect("a client");

    let devices = signed_in_devices(&client).await.expect("both pages");

    assert_eq!(devices, ["Laptop", "Phone"]);
    first.assert_async().await;
    second.assert_async().await;
}

#[tokio::test]
async fn an_expired_token_surfaces_the_api_s_error() {
    let server = MockServer::start_async().await;
    let refused = server.get_sessions(|_, then| {
        then.unauthorized(&types::ErrorResponse {
            success: false,
            error: "Invalid or expired token".to_owned(),
        });
    });
    let client = Client::with_bearer_token(&server.base_url(), "expired").expect("a client");

    let error = signed_in_devices(&client).await.expect_err("refused");

    assert_eq!(error, "Invalid or expired token");
    refused.assert_async().await;
}
