//! The `sessions-server` binary as a user runs it: `issue-token` for scripts, and
//! `serve --demo` end to end, including a graceful stop on SIGTERM.

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
};

const BINARY: &str = env!("CARGO_BIN_EXE_sessions-server");

fn database_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("sessions.db").display())
}

async fn list_sessions(address: &str, token: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("http://{address}/sessions"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// A `sessions-server serve` child process on a free port.
struct Server {
    child: Child,
    address: String,
    demo_token: Option<String>,
}

impl Server {
    async fn start(dir: &tempfile::TempDir, demo: bool) -> Self {
        let mut command = Command::new(BINARY);
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--database-url", &database_url(dir)])
            .env("SESSIONS_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if demo {
            command.arg("--demo");
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut demo_token = None;
        let address = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("the server prints its address")
                .unwrap()
                .expect("stdout stays open until the address is printed");
            if let Some(token) = line.strip_prefix("Bearer token: ") {
                demo_token = Some(token.to_owned());
            }
            if let Some(address) = line.strip_prefix("Listening on http://") {
                break address.to_owned();
            }
        };
        Self {
            child,
            address,
            demo_token,
        }
    }

    /// Sends SIGTERM and asserts the process exits cleanly.
    async fn terminate(&mut self) {
        let pid = self.child.id().expect("still running").to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the server stops after SIGTERM")
            .unwrap();
        assert!(status.success(), "exit status after SIGTERM: {status}");
    }
}

#[tokio::test]
async fn issue_token_prints_only_a_working_token() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .args(["issue-token", "--user", "alice", "--device-name", "Laptop"])
        .args(["--ttl", "2h", "--database-url", &database_url(&dir)])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(
        !token.contains('\n'),
        "only the token on stdout: {stdout:?}"
    );
    // 256 bits in unpadded URL-safe base64.
    assert_eq!(token.len(), 43, "{token:?}");
    assert!(
        token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    );

    let mut server = Server::start(&dir, false).await;
    let (status, body) = list_sessions(&server.address, token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"][0]["deviceName"], "Laptop");
    server.terminate().await;
}

/// `issue-token --max-sessions-per-user N`: opening one more session retires the user's least
/// recently active one, whose token stops working.
#[tokio::test]
async fn issue_token_past_the_per_user_cap_retires_the_least_recently_active_session() {
    let dir = tempfile::tempdir().unwrap();
    let issue = |device: &'static str| {
        let url = database_url(&dir);
        async move {
            let output = Command::new(BINARY)
                .args(["issue-token", "--user", "alice", "--device-name", device])
                .args(["--max-sessions-per-user", "1", "--database-url", &url])
                .output()
                .await
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            (
                String::from_utf8(output.stdout).unwrap().trim().to_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        }
    };
    let (first, _) = issue("Laptop").await;
    let (second, log) = issue("Phone").await;
    assert!(log.contains("retired"), "the retirement is told: {log}");
    let mut server = Server::start(&dir, false).await;
    assert_eq!(list_sessions(&server.address, &first).await.0, 401);
    let (status, body) = list_sessions(&server.address, &second).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"].as_array().map(Vec::len), Some(1));
    server.terminate().await;
}

#[tokio::test]
async fn serve_demo_seeds_three_devices_once_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();

    let mut first = Server::start(&dir, true).await;
    let first_token = first.demo_token.clone().expect("--demo prints a token");
    let (status, body) = list_sessions(&first.address, &first_token).await;
    assert_eq!(status, 200, "{body}");
    let mut devices: Vec<_> = body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|session| session["deviceName"].as_str().unwrap().to_owned())
        .collect();
    devices.sort();
    devices.dedup();
    assert_eq!(devices.len(), 3, "three sessions on three devices: {body}");
    first.terminate().await;
    // The pool was closed after the drain: SQLite checkpointed and removed its write-ahead log.
    let wal = dir.path().join("sessions.db-wal");
    assert!(!wal.exists(), "{} is left behind", wal.display());

    // Seeding again opens no new session; it only rotates the printed token.
    let mut second = Server::start(&dir, true).await;
    let second_token = second.demo_token.clone().expect("--demo prints a token");
    assert_ne!(first_token, second_token);
    let (status, body) = list_sessions(&second.address, &second_token).await;
    assert_eq!(status, 200);
    assert_eq!(body["sessions"].as_array().unwrap().len(), 3, "{body}");
    let (status, _) = list_sessions(&second.address, &first_token).await;
    assert_eq!(status, 401, "the rotated-out token no longer works");
    second.terminate().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_cannot_hold_up_a_shutdown() {
    use tokio::io::AsyncWriteExt as _;

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BINARY)
        .args(["serve", "--bind", "127.0.0.1:0", "--shutdown-grace", "1s"])
        .args(["--database-url", &database_url(&dir)])
        .env("SESSIONS_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the address is printed");
        if let Some(address) = line.strip_prefix("Listening on http://") {
            break address.to_owned();
        }
    };
    // A request whose body never arrives.
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    stalled
        .write_all(
            b"POST /devices/trust HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Authorization: Bearer x\r\nContent-Length: 1000\r\n\r\n{\"finger",
        )
        .await
        .unwrap();

    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the grace period ends the drain")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(stalled);
}

/// A database file the server may read but not write: the start fails at once, naming the file
/// and what is wrong, instead of a server that answers 500 to every write. Root writes any
/// file, so as root the server runs as `nobody` (util-linux's `runuser`).
#[tokio::test]
async fn a_database_that_cannot_be_written_fails_the_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sessions.db");
    // A migrated database, then read-only for everyone, in a folder everyone may read.
    let created = Command::new(BINARY)
        .args(["issue-token", "--user", "alice", "--device-name", "Laptop"])
        .args(["--database-url", &database_url(&dir)])
        .output()
        .await
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.path().join(format!("sessions.db{suffix}"));
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let root = rustix::process::geteuid().is_root();
    let mut command = if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--", BINARY]);
        command
    } else {
        Command::new(BINARY)
    };
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--database-url", &database_url(&dir)])
            .env("SESSIONS_LOG", "warn")
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("the start fails at once, it does not serve")
    .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {stderr}");
    assert!(
        stderr.contains(&file.display().to_string()) && stderr.contains("cannot be written"),
        "the message names the file and what is wrong: {stderr}"
    );
}
