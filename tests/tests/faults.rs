//! The database goes away under a running server and comes back: while it is down every
//! operation answers its documented 500 body and nothing else, the server keeps running, and once
//! the database is back the same server, with the same pool, serves again by itself.
//!
//! The server here is built in the test (not through `TestApp`) so the test holds its task, to
//! see that it never died, and so the PostgreSQL run can use a cluster of its own: stopping the
//! process's shared cluster would break every other test running beside it. Every response is
//! still validated against the spec.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use chrono::Utc;
use contract_tests::{SpecValidator, error_of, postgres};
use sessions_client::types::TrustDeviceRequest;
use sessions_server::{
    issue::{SessionRequest, issue_token},
    service::Policy,
    startup::Application,
    store::{DeviceInfo, PostgresStore, SqliteStore, Store},
};
use sqlx::Connection as _;
use tokio::{sync::oneshot, task::JoinHandle};

/// How many times the test asks `GET /sessions` before it gives up on the recovery.
/// (On PostgreSQL a failing attempt itself waits for the pool's 5 s acquire timeout.)
const RECOVERY_ATTEMPTS: usize = 100;
const RECOVERY_PAUSE: Duration = Duration::from_millis(100);

/// Internal words that must never reach a client, whatever failed underneath.
const INTERNAL_WORDS: [&str; 8] = [
    "sqlite",
    "postgres",
    "database",
    "pool",
    "connection",
    "refused",
    "sqlx",
    "timed out",
];

/// How the database is taken away from the running server, and given back.
#[derive(Debug)]
enum Outage {
    /// See [`Outage::take_down`].
    Sqlite {
        file: PathBuf,
        saved_header: Option<Vec<u8>>,
    },
    /// A cluster of the test's own, stopped with `pg_ctl -m immediate stop` and started again.
    Postgres(postgres::DedicatedCluster),
}

/// The SQLite header: 100 bytes that begin with the magic string every connection checks.
const SQLITE_HEADER_BYTES: usize = 100;

impl Outage {
    /// Makes every read of the database fail, under the server's open connections.
    ///
    /// SQLite: `chmod 000` cannot do it, not even as a non-root user: permissions are checked
    /// when a file is opened, and the pool's connections opened it long before (root would pass
    /// them anyway). So the content becomes unreadable instead: the file's 100-byte header is
    /// saved and overwritten with garbage, and reading page 1 answers "file is not a database"
    /// (SQLITE_NOTADB) to any process, root included, through descriptors already open. Two
    /// things would hide the damage from the pool, both from WAL mode: a connection keeps its
    /// page cache for as long as the WAL index header (in `-shm`) is unchanged, so with no write
    /// since its last read it serves page 1 from memory; and page 1 may live in the WAL rather
    /// than in the main file. So, first, a `PRAGMA wal_checkpoint(TRUNCATE)` on a connection of
    /// the test's own copies the WAL into the main file, empties it and rewrites the WAL index
    /// header (new salts): every pooled connection drops its cache at its next transaction and
    /// reads page 1 from the file. (Measured: without the checkpoint, every request made during
    /// the "outage" succeeds.)
    async fn take_down(&mut self) {
        match self {
            Self::Sqlite { file, saved_header } => {
                checkpoint_and_truncate_wal(file).await;
                let mut header = std::fs::read(&*file).expect("the database file reads");
                header.truncate(SQLITE_HEADER_BYTES);
                assert!(header.starts_with(b"SQLite format 3\0"), "a SQLite file");
                write_at_start(file, &[0xA5; SQLITE_HEADER_BYTES]);
                *saved_header = Some(header);
            }
            Self::Postgres(cluster) => {
                tokio::task::block_in_place(|| cluster.stop()).expect("pg_ctl stops the cluster");
            }
        }
    }

    /// Gives the database back, as it was.
    ///
    /// SQLite: the saved header is written back. Connections that read the garbage page 1 during
    /// the outage keep it in their page cache, and would keep failing until the WAL index header
    /// changed: nothing told SQLite that the file was rewritten behind its back. Any write through
    /// SQLite tells it; a second `wal_checkpoint(TRUNCATE)` on a fresh connection of the test's
    /// does, without touching a row. (Measured: without it, `GET /sessions` still fails after
    /// every recovery attempt, since the pool's own connections, writes included, all fail on
    /// their cached page 1.) The server, its pool and its connections are left as they are.
    async fn bring_back(&mut self) {
        match self {
            Self::Sqlite { file, saved_header } => {
                let header = saved_header.take().expect("the database was taken down");
                write_at_start(file, &header);
                checkpoint_and_truncate_wal(file).await;
            }
            Self::Postgres(cluster) => {
                tokio::task::block_in_place(|| cluster.start_server())
                    .expect("pg_ctl starts the cluster again");
            }
        }
    }
}

fn write_at_start(file: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .expect("the database file opens for writing");
    handle.write_all(bytes).expect("the bytes are written");
    handle.sync_all().expect("the file syncs");
}

/// Copies the WAL into the main file and truncates it, on a connection outside the pool.
async fn checkpoint_and_truncate_wal(file: &Path) {
    let url = format!("sqlite://{}", file.display());
    let mut connection = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("a side connection opens");
    // An idle pool holds no read transaction, so nothing blocks the checkpoint; retry a little
    // in case one is just finishing.
    let mut attempts = 0;
    loop {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut connection)
            .await
            .expect("the checkpoint runs");
        if busy == 0 {
            break;
        }
        attempts += 1;
        assert!(attempts < 100, "the WAL checkpoint stays busy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    connection
        .close()
        .await
        .expect("the side connection closes");
}

/// The real server over `store`, on `127.0.0.1:0`, run by the test itself.
#[derive(Debug)]
struct Server {
    base_url: String,
    task: JoinHandle<std::io::Result<()>>,
    stop: Option<oneshot::Sender<()>>,
    store: Arc<dyn Store>,
    http: reqwest::Client,
    validator: SpecValidator,
}

impl Server {
    async fn start(store: Arc<dyn Store>) -> Self {
        let application = Application::bind(
            "127.0.0.1:0".parse().expect("an address"),
            store.clone(),
            Policy::default(),
        )
        .await
        .expect("port 0 binds");
        let address = application.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base_url: format!("http://{address}"),
            task,
            stop: Some(stop),
            store,
            http: reqwest::Client::new(),
            validator: SpecValidator::new(),
        }
    }

    fn client(&self, token: &str) -> sessions_client::Client {
        sessions_client::Client::with_bearer_token(&self.base_url, token).expect("a client")
    }

    /// Sends a request by hand and returns the status and the exact body, validated against the
    /// spec.
    async fn raw(&self, method: reqwest::Method, path: &str, token: &str) -> (u16, String) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .bearer_auth(token);
        if path == "/devices/trust" {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(r#"{"fingerprint":"Laptop-fingerprint"}"#);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.expect("a whole body");
        let template = self
            .validator
            .path_template(path)
            .expect("a path of the spec");
        self.validator
            .validate_response(
                method.as_str(),
                &template,
                status,
                content_type.as_deref(),
                &body,
            )
            .unwrap_or_else(|err| panic!("{err:#}\n  body: {body}"));
        (status, body)
    }

    /// `GET /readyz`: its status, and its `Retry-After` when there is one.
    async fn readiness(&self) -> (u16, Option<String>) {
        let response = self
            .http
            .get(format!("{}/readyz", self.base_url))
            .send()
            .await
            .expect("the server answers");
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), retry_after)
    }

    /// The server task has neither returned nor panicked.
    async fn assert_alive(&self) {
        assert!(!self.task.is_finished(), "the server task ended");
        let health = self
            .http
            .get(format!("{}/healthz", self.base_url))
            .send()
            .await
            .expect("the server still accepts connections");
        assert_eq!(health.status().as_u16(), 200);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A session opened for the test, with its token in clear.
#[derive(Debug, Clone)]
struct Issued {
    id: String,
    device_id: String,
    token: String,
}

async fn issue(store: &dyn Store, user: &str, device_name: &str) -> Issued {
    let request = SessionRequest {
        user_id: user.to_owned(),
        device_fingerprint: format!("{device_name}-fingerprint"),
        device: DeviceInfo {
            name: device_name.to_owned(),
            device_type: "DESKTOP".to_owned(),
            os: "Linux".to_owned(),
            browser: "Firefox 150".to_owned(),
            user_agent: format!("test-agent/{device_name}"),
            country: "PT".to_owned(),
            city: "Lisbon".to_owned(),
        },
        ip_address: "203.0.113.9".to_owned(),
        location: "Lisbon, PT".to_owned(),
        login_method: "password".to_owned(),
        lifetime: Duration::from_secs(24 * 60 * 60),
        max_active_sessions: None,
    };
    let (record, token) = issue_token(store, request, Utc::now())
        .await
        .expect("a session opens");
    Issued {
        id: record.id,
        device_id: record.device_id,
        token: token.as_str().to_owned(),
    }
}

fn trust_laptop() -> TrustDeviceRequest {
    TrustDeviceRequest {
        fingerprint: "Laptop-fingerprint".parse().expect("a valid fingerprint"),
    }
}

/// Every operation through the generated client, at once (a PostgreSQL outage makes each wait
/// for the pool's acquire timeout): its status and `error`.
async fn every_operation_fails(
    client: &sessions_client::Client,
    laptop: &Issued,
    phone: &Issued,
) -> Vec<(u16, String)> {
    let answers = tokio::join!(
        client.get_sessions().send(),
        client.revoke_session().id(&phone.id).send(),
        client.revoke_all_sessions().send(),
        client.session_heartbeat().id(&laptop.id).send(),
        client.get_devices().send(),
        client.get_device_details().id(&phone.device_id).send(),
        client.trust_device().body(trust_laptop()).send(),
        client.untrust_device().id(&phone.device_id).send(),
        client.remove_device().id(&phone.device_id).send(),
    );
    vec![
        error_of(answers.0),
        error_of(answers.1),
        error_of(answers.2),
        error_of(answers.3),
        error_of(answers.4),
        error_of(answers.5),
        error_of(answers.6),
        error_of(answers.7),
        error_of(answers.8),
    ]
}

const GET_SESSIONS_500: &str = "Failed to retrieve sessions";
const GET_DEVICES_500: &str = "Failed to retrieve devices";
const HEARTBEAT_500: &str = "Failed to update session";

fn expected_status(during: DuringOutage) -> u16 {
    match during {
        DuringOutage::Documented500 => 500,
        DuringOutage::Unavailable503 => 503,
    }
}

/// The documented 500 `error` of each operation, in [`every_operation_fails`]'s order.
const DOCUMENTED_500S: [&str; 9] = [
    GET_SESSIONS_500,
    "Failed to revoke session",
    "Failed to revoke all sessions",
    HEARTBEAT_500,
    GET_DEVICES_500,
    "Failed to retrieve device details",
    "Failed to trust device",
    "Failed to untrust device",
    "Failed to remove device",
];

/// The session ids `GET /sessions` lists for `token`, or the error status.
async fn listed_ids(server: &Server, token: &str) -> Result<BTreeSet<String>, u16> {
    match server.client(token).get_sessions().send().await {
        Ok(response) => Ok(response
            .into_inner()
            .sessions
            .into_iter()
            .map(|session| session.id)
            .collect()),
        Err(sessions_client::Error::ErrorResponse(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("GET /sessions: not a documented answer: {other}"),
    }
}

/// What every operation answers while the database is out: its documented 500 (the database
/// answers, wrongly: a SQLite file whose header is garbage), or 503 with `Retry-After` (the
/// database is away: PostgreSQL stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DuringOutage {
    Documented500,
    Unavailable503,
}

/// The documented 503 `error`, the same for every operation.
const UNAVAILABLE: &str = "Service unavailable, retry later";

async fn database_outage_then_recovery(
    store: Arc<dyn Store>,
    mut outage: Outage,
    during: DuringOutage,
) {
    let server = Server::start(store).await;
    let laptop = issue(server.store.as_ref(), "alice", "Laptop").await;
    let phone = issue(server.store.as_ref(), "alice", "Phone").await;
    let tablet = issue(server.store.as_ref(), "alice", "Tablet").await;
    let all_three: BTreeSet<String> = [&laptop, &phone, &tablet]
        .into_iter()
        .map(|session| session.id.clone())
        .collect();
    let client = server.client(&laptop.token);
    // The pool is warm: its connections are open (and have the pages cached) when the
    // database goes.
    assert_eq!(
        listed_ids(&server, &laptop.token).await,
        Ok(all_three.clone())
    );
    client.get_devices().send().await.expect("devices list");
    assert_eq!(
        server.readiness().await,
        (200, None),
        "ready before the outage"
    );

    outage.take_down().await;
    // Liveness and readiness part: the process serves, the database does not. (A result is
    // reused for a second: the one before the outage may still be in use.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        server.readiness().await,
        (503, Some("1".to_owned())),
        "not ready while the database is away"
    );

    // Twice, so the second round runs on connections that already failed once.
    for _ in 0..2 {
        // The same operations by hand, for the exact bytes of their bodies.
        let raw_requests = [
            (
                reqwest::Method::GET,
                "/sessions".to_owned(),
                GET_SESSIONS_500,
            ),
            (reqwest::Method::GET, "/devices".to_owned(), GET_DEVICES_500),
            (
                reqwest::Method::POST,
                format!("/sessions/{}/heartbeat", laptop.id),
                HEARTBEAT_500,
            ),
            (
                reqwest::Method::POST,
                format!("/sessions/{}/revoke", phone.id),
                "Failed to revoke session",
            ),
            (
                reqwest::Method::POST,
                "/devices/trust".to_owned(),
                "Failed to trust device",
            ),
            (
                reqwest::Method::DELETE,
                format!("/devices/{}", phone.device_id),
                "Failed to remove device",
            ),
        ];
        let send = |index: usize| {
            let (method, path, _) = &raw_requests[index];
            server.raw(method.clone(), path, &laptop.token)
        };
        // All at once, client calls and raw calls alike.
        let (typed, raw) = tokio::join!(every_operation_fails(&client, &laptop, &phone), async {
            let answers = tokio::join!(send(0), send(1), send(2), send(3), send(4), send(5));
            [
                answers.0, answers.1, answers.2, answers.3, answers.4, answers.5,
            ]
        });
        let expected = |documented: &'static str| match during {
            DuringOutage::Documented500 => (500, documented),
            DuringOutage::Unavailable503 => (503, UNAVAILABLE),
        };
        for ((status, message), documented) in typed.iter().zip(DOCUMENTED_500S) {
            assert_eq!((*status, message.as_str()), expected(documented));
        }
        for ((method, path, documented), (status, body)) in raw_requests.iter().zip(&raw) {
            let (expected_status, message) = expected(documented);
            assert_eq!(*status, expected_status, "{method} {path}: {body}");
            // The documented body, byte for byte: nothing of the cause is added.
            assert_eq!(
                body,
                &format!(r#"{{"success":false,"error":"{message}"}}"#),
                "{method} {path}"
            );
            let lowercase = body.to_lowercase();
            for word in INTERNAL_WORDS {
                assert!(
                    !lowercase.contains(word),
                    "{method} {path} leaks {word:?}: {body}"
                );
            }
        }
        server.assert_alive().await;
    }

    outage.bring_back().await;

    // The same server, with the same pool, recovers by itself: no restart, no reconnect by hand.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match listed_ids(&server, &laptop.token).await {
            Ok(ids) => {
                assert_eq!(ids, all_three, "the sessions are those issued");
                break;
            }
            Err(status) => assert_eq!(
                status,
                expected_status(during),
                "only the outage's answer before recovery"
            ),
        }
        assert!(
            attempts < RECOVERY_ATTEMPTS,
            "GET /sessions still fails after {attempts} attempts"
        );
        tokio::time::sleep(RECOVERY_PAUSE).await;
    }
    server.assert_alive().await;
    let mut ready = server.readiness().await;
    for _ in 0..RECOVERY_ATTEMPTS {
        if ready.0 == 200 {
            break;
        }
        tokio::time::sleep(RECOVERY_PAUSE).await;
        ready = server.readiness().await;
    }
    assert_eq!(ready, (200, None), "ready again once the database is back");

    // Then every operation works, and nothing the outage's requests asked for took effect.
    let devices = client.get_devices().send().await.expect("devices list");
    assert_eq!(devices.devices.len(), 3);
    assert!(
        devices.devices.iter().all(|device| !device.is_trusted),
        "the trust asked for during the outage did not happen"
    );
    let details = client
        .get_device_details()
        .id(&phone.device_id)
        .send()
        .await
        .expect("device details");
    assert_eq!(details.device.sessions.len(), 1);
    assert_eq!(details.device.sessions[0].id, phone.id);
    client
        .session_heartbeat()
        .id(&laptop.id)
        .send()
        .await
        .expect("heartbeat");
    let trusted = client
        .trust_device()
        .body(trust_laptop())
        .send()
        .await
        .expect("trust");
    assert!(trusted.success);
    client
        .revoke_session()
        .id(&phone.id)
        .send()
        .await
        .expect("revoke");
    assert_eq!(listed_ids(&server, &phone.token).await, Err(401));
    client
        .untrust_device()
        .id(&tablet.device_id)
        .send()
        .await
        .expect("untrust");
    assert_eq!(listed_ids(&server, &tablet.token).await, Err(401));
    client
        .remove_device()
        .id(&phone.device_id)
        .send()
        .await
        .expect("remove");
    assert_eq!(
        listed_ids(&server, &laptop.token).await,
        Ok(BTreeSet::from([laptop.id.clone()]))
    );
    client
        .revoke_all_sessions()
        .send()
        .await
        .expect("revoke all");
    assert_eq!(listed_ids(&server, &laptop.token).await, Err(401));
    server.assert_alive().await;
}

mod the_database_goes_away_and_comes_back {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("sessions.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("SQLite opens");
        let outage = Outage::Sqlite {
            file,
            saved_header: None,
        };
        database_outage_then_recovery(Arc::new(store), outage, DuringOutage::Documented500).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let cluster = match tokio::task::block_in_place(postgres::dedicated) {
            Ok(cluster) => cluster,
            Err(why) => {
                eprintln!("\n*** SKIPPED on PostgreSQL: {why:#} ***\n");
                return;
            }
        };
        let url = cluster.create_database().await.expect("a test database");
        let store = PostgresStore::connect(&url)
            .await
            .expect("PostgreSQL opens");
        database_outage_then_recovery(
            Arc::new(store),
            Outage::Postgres(cluster),
            DuringOutage::Unavailable503,
        )
        .await;
    }
}

/// A PostgreSQL database that takes no writes (here `default_transaction_read_only`, as a
/// standby behaves) fails the start, saying so, as a read-only SQLite file does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_that_takes_no_writes_fails_the_start() {
    let cluster = match postgres::cluster() {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("\n*** SKIPPED on PostgreSQL: {why} ***\n");
            return;
        }
    };
    let url = cluster.create_database().await.expect("a test database");
    let name = url.rsplit('/').next().expect("a database name").to_owned();
    let mut connection = sqlx::PgConnection::connect(&url)
        .await
        .expect("PostgreSQL answers");
    // The name is the one the throwaway cluster made: no input of anyone's.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
    )))
    .execute(&mut connection)
    .await
    .expect("the setting is taken");
    let refused = PostgresStore::connect(&url).await;
    match refused {
        Err(sessions_server::store::StoreError::NotWritable(why)) => {
            assert!(why.contains("takes no writes"), "{why}");
        }
        other => panic!("expected the start to fail as not writable, got {other:?}"),
    }
}
