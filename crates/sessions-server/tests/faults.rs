//! The `sessions-server` binary under faults of its own process: killed with SIGKILL in the
//! middle of a burst of revocations (nothing it acknowledged is lost), and stopped with SIGTERM
//! under load (it drains what it accepted and exits 0).

use std::{
    collections::{BTreeMap, BTreeSet},
    os::unix::process::ExitStatusExt as _,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use sessions_server::{
    issue::{SessionRequest, issue_token},
    store::{DeviceInfo, SqliteStore, Store},
    token,
};
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
    sync::{Notify, Semaphore},
    task::JoinSet,
};

const BINARY: &str = env!("CARGO_BIN_EXE_sessions-server");

/// A cap on every wait for the server, so a hung server fails the test instead of hanging it.
/// Never an assertion about speed.
const PATIENCE: Duration = Duration::from_secs(60);

const REVOKED_BODY: &str = r#"{"success":true,"message":"Session revoked successfully"}"#;
const INVALID_TOKEN_BODY: &str = r#"{"success":false,"error":"Invalid or expired token"}"#;

fn database_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("sessions.db").display())
}

/// A session opened through the library, with its token in clear.
#[derive(Debug, Clone)]
struct Issued {
    id: String,
    token: String,
}

async fn issue(store: &dyn Store, user: &str, device_name: &str) -> Issued {
    let request = SessionRequest {
        user_id: user.to_owned(),
        device_fingerprint: device_name.to_owned(),
        device: DeviceInfo {
            name: device_name.to_owned(),
            device_type: "DESKTOP".to_owned(),
            os: "unknown".to_owned(),
            browser: "unknown".to_owned(),
            user_agent: "unknown".to_owned(),
            country: "unknown".to_owned(),
            city: "unknown".to_owned(),
        },
        ip_address: "unknown".to_owned(),
        location: "unknown".to_owned(),
        login_method: "token".to_owned(),
        lifetime: Duration::from_secs(24 * 60 * 60),
        max_active_sessions: None,
    };
    let (record, token) = issue_token(store, request, Utc::now())
        .await
        .expect("a session opens");
    Issued {
        id: record.id,
        token: token.as_str().to_owned(),
    }
}

/// A `sessions-server serve --no-rate-limit` child process on a free port.
#[derive(Debug)]
struct Server {
    /// Shared, so a request task can kill it at the very moment it chooses.
    child: Arc<tokio::sync::Mutex<Child>>,
    address: String,
    /// Every stderr line, once the process has closed it; when asked for.
    stderr: Option<tokio::task::JoinHandle<Vec<String>>>,
}

impl Server {
    /// Starts the server on `database_url`, logging `log_filter` (as `SESSIONS_LOG`) to stderr.
    /// With `capture_stderr` the log is kept, as JSON lines; otherwise it is inherited.
    async fn start(database_url: &str, log_filter: &str, capture_stderr: bool) -> Self {
        let mut command = Command::new(BINARY);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--no-rate-limit"])
            .args(["--database-url", database_url])
            .env("SESSIONS_LOG", log_filter)
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if capture_stderr {
            command
                .args(["--log-format", "json"])
                .stderr(Stdio::piped());
        }
        let mut child = command.spawn().expect("the binary starts");
        let stderr = child.stderr.take().map(|stderr| {
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                let mut kept = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    kept.push(line);
                }
                kept
            })
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let address = loop {
            let line = tokio::time::timeout(PATIENCE, lines.next_line())
                .await
                .expect("the server prints its address")
                .expect("stdout reads")
                .expect("stdout stays open until the address is printed");
            if let Some(address) = line.strip_prefix("Listening on http://") {
                break address.to_owned();
            }
        };
        Self {
            child: Arc::new(tokio::sync::Mutex::new(child)),
            address,
            stderr,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends SIGTERM and waits for the process to end.
    async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self
            .child
            .lock()
            .await
            .id()
            .expect("still running")
            .to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
        self.wait().await
    }

    async fn wait(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.lock().await;
        tokio::time::timeout(PATIENCE, child.wait())
            .await
            .expect("the server ends after the signal")
            .expect("the exit status")
    }
}

/// What a client saw of one `GET /sessions` with `token`: its status and body.
async fn list_sessions(server: &Server, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(server.url("/sessions"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a whole body"))
}

const BURST: usize = 200;
/// SIGKILL is sent, by the task that sees it, as soon as this many revocations were answered 200.
const KILL_AFTER: usize = 50;
/// At most this many revocations in flight, so at most this many more can be answered after
/// the kill: the burst is still going when it lands, however slow the machine.
const IN_FLIGHT: usize = 24;

/// What the client saw of one revocation.
#[derive(Debug)]
enum Revocation {
    /// 200 with the documented body, read in full: the server promised the revocation.
    Acknowledged,
    /// No complete answer: the kill came first (refused, reset, or cut in the body).
    Unanswered,
    /// Any other answer, which a revocation of an active session must never get.
    Unexpected(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_revocation_answered_200_survives_a_kill_9_in_the_middle_of_the_burst() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = database_url(&dir);
    // Open the sessions through the library (as `issue-token` does, minus a process each).
    let store = SqliteStore::connect(&url).await.expect("SQLite opens");
    let controller = issue(&store, "alice", "Controller").await;
    let mut targets = Vec::with_capacity(BURST);
    for index in 0..BURST {
        targets.push(issue(&store, "alice", &format!("Device {index}")).await);
    }
    store.pool().close().await;
    drop(store);

    let mut server = Server::start(&url, "warn", false).await;
    let http = reqwest::Client::new();
    let acknowledged_so_far = Arc::new(AtomicUsize::new(0));
    let killer = server.child.clone();
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut burst = JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let (http, slots) = (http.clone(), slots.clone());
        let (acknowledged_so_far, killer) = (acknowledged_so_far.clone(), killer.clone());
        let request = http
            .post(server.url(&format!("/sessions/{}/revoke", target.id)))
            .bearer_auth(&controller.token);
        burst.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let outcome = match request.send().await {
                Err(_) => Revocation::Unanswered,
                Ok(response) => {
                    let status = response.status().as_u16();
                    match response.text().await {
                        Err(_) => Revocation::Unanswered,
                        Ok(body) if status == 200 && body == REVOKED_BODY => {
                            Revocation::Acknowledged
                        }
                        Ok(body) => Revocation::Unexpected(format!("{status} {body}")),
                    }
                }
            };
            if matches!(outcome, Revocation::Acknowledged)
                && acknowledged_so_far.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER
            {
                // Straight from here (no `kill` process to start first, no other task to wake).
                killer.lock().await.start_kill().expect("SIGKILL is sent");
            }
            (index, outcome)
        });
    }

    let mut acknowledged = BTreeSet::new();
    let mut unanswered = 0;
    while let Some(joined) = burst.join_next().await {
        match joined.expect("a revocation task panicked") {
            (index, Revocation::Acknowledged) => {
                acknowledged.insert(index);
            }
            (_, Revocation::Unanswered) => unanswered += 1,
            (index, Revocation::Unexpected(answer)) => {
                panic!("revocation {index} was answered {answer}")
            }
        }
    }
    assert!(
        acknowledged.len() >= KILL_AFTER,
        "only {} revocations answered 200",
        acknowledged.len()
    );
    let status = server.wait().await;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status}");
    assert!(
        unanswered > 0,
        "the kill landed after the burst: {} of {BURST} acknowledged",
        acknowledged.len()
    );
    eprintln!(
        "kill -9 after {} of {BURST} revocations acknowledged, {unanswered} unanswered",
        acknowledged.len()
    );

    // The same database, a new process: what was acknowledged holds.
    let mut restarted = Server::start(&url, "warn", false).await;
    for &index in &acknowledged {
        let (status, body) = list_sessions(&restarted, &targets[index].token).await;
        assert_eq!(
            (status, body.as_str()),
            (401, INVALID_TOKEN_BODY),
            "revocation {index} was answered 200 before the kill but did not hold"
        );
    }
    let store = SqliteStore::connect(&url).await.expect("SQLite opens");
    let mut still_active = BTreeSet::from([controller.id.clone()]);
    for (index, target) in targets.iter().enumerate() {
        let stored = store
            .session_by_token_hash(&token::hash(&target.token))
            .await
            .expect("the store answers")
            .expect("the session exists");
        if acknowledged.contains(&index) {
            assert!(stored.revoked_at.is_some(), "revocation {index} is stored");
        }
        if stored.revoked_at.is_none() {
            still_active.insert(stored.id);
        }
    }
    store.pool().close().await;
    // The controller was never revoked, and the server lists exactly what the store holds.
    let (status, body) = list_sessions(&restarted, &controller.token).await;
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    let listed: BTreeSet<String> = listed["sessions"]
        .as_array()
        .expect("a session list")
        .iter()
        .map(|session| session["id"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(listed, still_active);
    assert!(
        restarted.terminate().await.success(),
        "the restarted server stops cleanly"
    );
}

const LOAD_CLIENTS: usize = 16;
/// A cap on each client's loop; they stop long before, once the listener is gone.
const MAX_REQUESTS_PER_CLIENT: usize = 5_000;
/// SIGTERM is sent once this many requests have completed.
const TERMINATE_AFTER: usize = 300;

/// What a load client saw of one request.
#[derive(Debug)]
enum Outcome {
    /// A whole, valid 200 response.
    Completed,
    /// A response, read in full, that is not the valid 200 expected.
    Invalid(String),
    /// No connection: the listener was closed.
    Refused,
    /// Connected, then no whole response (reset, closed, cut body).
    FailedAfterConnect(String),
}

/// Checks one whole response of the load: `GET /sessions` lists `session_id`, a heartbeat of it
/// answers with a new expiry.
fn check_load_response(
    heartbeat: bool,
    session_id: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Outcome {
    let invalid =
        |why: &str| Outcome::Invalid(format!("{why}: {status} {}", String::from_utf8_lossy(body)));
    if status != 200 {
        return invalid("not 200");
    }
    if !content_type.is_some_and(|value| value.starts_with("application/json")) {
        return invalid("not JSON");
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return invalid("not a JSON body");
    };
    if json["success"] != true {
        return invalid("not success");
    }
    let valid = if heartbeat {
        json["message"] == "Session updated successfully"
            && json["newExpiry"]
                .as_str()
                .is_some_and(|expiry| chrono::DateTime::parse_from_rfc3339(expiry).is_ok())
    } else {
        json["sessions"].as_array().is_some_and(|sessions| {
            sessions.len() == 1 && sessions[0]["id"].as_str() == Some(session_id)
        })
    };
    if valid {
        Outcome::Completed
    } else {
        invalid("not the expected body")
    }
}

/// The `x-request-id`s of the requests the server began to process, from its JSON log
/// (tower-http's `started processing request`, at debug level, inside the request's span).
fn started_request_ids(log: &[String]) -> BTreeSet<String> {
    log.iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "started processing request")
        .filter_map(|event| event["span"]["request_id"].as_str().map(str::to_owned))
        .collect()
}

/// SIGTERM while clients hammer the server: it drains and exits 0.
///
/// How "accepted, then cut" is told from "never accepted": a client cannot tell by itself. An
/// error with `is_connect()` is a refused connection (the listener was closed): never accepted.
/// But an error after the connection was made is ambiguous from the client's side: the kernel
/// completes handshakes into the listen backlog before the server accepts them, and closing the
/// listener resets those; and a connection the server did accept but whose request it had not
/// started to read is idle, which graceful shutdown closes at once. Neither was ever processed,
/// and both look like "connected, then reset" to the client, just like a request processed and
/// then cut would. So each request carries its own `x-request-id` (the server keeps a given one),
/// and the server's log says which requests it began to process: the drain guarantee is that
/// every one of those completed with a whole, valid response, and nothing else (no invalid
/// response, no processed request without its response).
///
/// Connections are never reused (`pool_max_idle_per_host(0)`): on a kept-alive connection a
/// request racing the shutdown's close of that idle connection would be reset without ever being
/// processed too, and the client would retry it on a new connection with the same request id,
/// which would blur the accounting. Fresh connections rule out retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_drains_accepted_requests_and_exits_0() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = database_url(&dir);
    let store = SqliteStore::connect(&url).await.expect("SQLite opens");
    let session = issue(&store, "alice", "Laptop").await;
    store.pool().close().await;
    drop(store);

    // tower-http's request events, inside the request span (which carries the request id).
    let log_filter = "warn,tower_http=debug,sessions_server::startup=info";
    let mut server = Server::start(&url, log_filter, true).await;
    let completed_so_far = Arc::new(AtomicUsize::new(0));
    let time_to_terminate = Arc::new(Notify::new());
    let outcomes = Arc::new(Mutex::new(BTreeMap::<String, Outcome>::new()));
    let mut clients = JoinSet::new();
    for client_index in 0..LOAD_CLIENTS {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        let (sessions_url, heartbeat_url) = (
            server.url("/sessions"),
            server.url(&format!("/sessions/{}/heartbeat", session.id)),
        );
        let (session, outcomes) = (session.clone(), outcomes.clone());
        let (completed_so_far, time_to_terminate) =
            (completed_so_far.clone(), time_to_terminate.clone());
        clients.spawn(async move {
            for request_index in 0..MAX_REQUESTS_PER_CLIENT {
                let request_id = format!("load-{client_index}-{request_index}");
                let heartbeat = request_index % 2 == 1;
                let request = if heartbeat {
                    http.post(&heartbeat_url)
                } else {
                    http.get(&sessions_url)
                };
                let sent = request
                    .bearer_auth(&session.token)
                    .header("x-request-id", &request_id)
                    .send()
                    .await;
                let outcome = match sent {
                    Err(err) if err.is_connect() => Outcome::Refused,
                    Err(err) => Outcome::FailedAfterConnect(format!("{err:?}")),
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let content_type = response
                            .headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned);
                        match response.bytes().await {
                            Err(err) => Outcome::FailedAfterConnect(format!("body: {err:?}")),
                            Ok(body) => check_load_response(
                                heartbeat,
                                &session.id,
                                status,
                                content_type.as_deref(),
                                &body,
                            ),
                        }
                    }
                };
                let stop = matches!(outcome, Outcome::Refused);
                if matches!(outcome, Outcome::Completed)
                    && completed_so_far.fetch_add(1, Ordering::SeqCst) + 1 == TERMINATE_AFTER
                {
                    time_to_terminate.notify_one();
                }
                outcomes
                    .lock()
                    .expect("not poisoned")
                    .insert(request_id, outcome);
                if stop {
                    break;
                }
            }
        });
    }

    tokio::time::timeout(PATIENCE, time_to_terminate.notified())
        .await
        .expect("the load gets going");
    let status = server.terminate().await;
    while let Some(joined) = clients.join_next().await {
        joined.expect("a load client panicked");
    }
    let log = tokio::time::timeout(PATIENCE, server.stderr.take().expect("stderr is captured"))
        .await
        .expect("stderr closes when the process ends")
        .expect("the stderr reader ran");
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status}\n{}",
        log.join("\n")
    );

    let outcomes = std::mem::take(&mut *outcomes.lock().expect("not poisoned"));
    let started = started_request_ids(&log);
    assert!(
        !started.is_empty(),
        "the log names no processed request:\n{}",
        log.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    let mut counts = BTreeMap::<&str, usize>::new();
    let mut resets = BTreeSet::new();
    for (request_id, outcome) in &outcomes {
        let kind = match outcome {
            Outcome::Completed => "completed",
            Outcome::Refused => "refused",
            Outcome::FailedAfterConnect(error) => {
                resets.insert(error.as_str());
                "reset before being processed"
            }
            Outcome::Invalid(answer) => panic!("{request_id} got an invalid response: {answer}"),
        };
        *counts.entry(kind).or_default() += 1;
        // Processed by the server ⇔ completed with a whole, valid response.
        assert_eq!(
            started.contains(request_id),
            matches!(outcome, Outcome::Completed),
            "{request_id}: {outcome:?}, processed by the server: {}",
            started.contains(request_id)
        );
    }
    assert!(
        started.iter().all(|id| outcomes.contains_key(id)),
        "the server processed only requests the clients sent"
    );
    assert!(counts.get("completed").copied().unwrap_or(0) >= TERMINATE_AFTER);
    assert!(
        counts.get("refused").copied().unwrap_or(0) > 0,
        "the clients were still running when the listener closed"
    );
    eprintln!("SIGTERM under load: {counts:?}, resets seen: {resets:?}");
}
