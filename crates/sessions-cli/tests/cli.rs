//! The `sessions` binary against the live server (behind the contract tests' validating proxy):
//! list, heartbeat, revoke, trust, and errors in the API's shape.

use std::process::Output;

use contract_tests::TestApp;
use serde_json::{Value, json};

/// Runs `sessions ARGS` against `app` with `token` in `SESSIONS_TOKEN`.
async fn sessions(app: &TestApp, token: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args(args)
        .env("SESSIONS_URL", &app.base_url)
        .env("SESSIONS_TOKEN", token)
        .output()
        .await
        .expect("the binary runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn stderr_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stderr).unwrap_or_else(|err| {
        panic!(
            "stderr is not JSON ({err}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn lists_heartbeats_revokes_and_trusts_as_the_token_s_user() {
    let app = TestApp::spawn().await;
    let caller = app.issue("cli-user", "Laptop").await;
    let phone = app.issue("cli-user", "Phone").await;
    let stranger = app.issue("someone-else", "Tablet").await;

    let listed = stdout_json(&sessions(&app, &caller.token, &["get-sessions"]).await);
    assert_eq!(listed["success"], true);
    let mut ids: Vec<&str> = listed["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|session| session["id"].as_str())
        .collect();
    ids.sort_unstable();
    let mut own = vec![caller.record.id.as_str(), phone.record.id.as_str()];
    own.sort_unstable();
    assert_eq!(ids, own);
    let page = stdout_json(&sessions(&app, &caller.token, &["get-sessions", "--limit", "1"]).await);
    assert_eq!(page["sessions"].as_array().map(Vec::len), Some(1));
    assert!(page["nextCursor"].is_string(), "{page}");

    let beat = stdout_json(
        &sessions(
            &app,
            &caller.token,
            &["session-heartbeat", "--id", &caller.record.id],
        )
        .await,
    );
    assert_eq!(beat["success"], true);
    assert!(beat["newExpiry"].is_string(), "{beat}");

    // The token also comes from --token, over the environment's.
    let trusted = stdout_json(
        &sessions(
            &app,
            "not-this-one",
            &[
                "trust-device",
                "--token",
                &caller.token,
                "--fingerprint",
                "Laptop-fingerprint",
            ],
        )
        .await,
    );
    assert_eq!(trusted["success"], true, "{trusted}");
    let devices = stdout_json(&sessions(&app, &caller.token, &["get-devices"]).await);
    let laptop = devices["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["deviceName"] == "Laptop")
        .expect("the laptop is listed");
    assert_eq!(laptop["isTrusted"], true, "{laptop}");

    let revoked = stdout_json(
        &sessions(
            &app,
            &caller.token,
            &["revoke-session", "--id", &phone.record.id],
        )
        .await,
    );
    assert_eq!(revoked["success"], true);
    let refused = sessions(&app, &phone.token, &["get-sessions"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(stderr_json(&refused)["success"], false);

    // Another user's session is not found for this caller, and stays active.
    let foreign = sessions(
        &app,
        &caller.token,
        &["revoke-session", "--id", &stranger.record.id],
    )
    .await;
    assert_eq!(foreign.status.code(), Some(1));
    assert_eq!(
        stderr_json(&foreign),
        json!({"success": false, "error": "Session not found"})
    );
    assert!(
        sessions(&app, &stranger.token, &["get-sessions"])
            .await
            .status
            .success()
    );
}

#[tokio::test]
async fn errors_print_the_api_error_body_and_exit_non_zero() {
    let app = TestApp::spawn().await;
    let refused = sessions(&app, "made-up-token", &["get-sessions"]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    let body = stderr_json(&refused);
    assert_eq!(body["success"], false);
    assert!(
        body["error"].as_str().is_some_and(|text| !text.is_empty()),
        "{body}"
    );

    // No server there: not an API error, and said so.
    let nowhere = tokio::process::Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args([
            "get-sessions",
            "--base-url",
            "http://127.0.0.1:9",
            "--token",
            "t",
        ])
        .output()
        .await
        .expect("the binary runs");
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nowhere.stderr).starts_with("error: "));

    // A missing required argument is clap's usage error.
    let usage = sessions(&app, "t", &["session-heartbeat"]).await;
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("--id"));
}
