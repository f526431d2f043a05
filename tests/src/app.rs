//! A running server for one test, reached through a validating proxy.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{body::Body, extract::State, response::Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use sessions_server::{
    edge::EdgeLimits,
    issue::{SessionRequest, issue_token},
    service::Policy,
    startup::Application,
    store::{Acting, DeviceInfo, PostgresStore, SessionRecord, SqliteStore, Store},
};
use tokio::{net::TcpListener, sync::oneshot};

use crate::{postgres, spec::SpecValidator};

/// The database a [`TestApp`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

tokio::task_local! {
    static BACKEND: Backend;
}

impl Backend {
    /// Runs a test body with [`TestApp::spawn`] bound to this backend. Without PostgreSQL
    /// binaries the PostgreSQL run is skipped, loudly.
    pub async fn run(self, test: impl Future<Output = ()>) {
        if self == Self::Postgres
            && let Err(why) = postgres::cluster()
        {
            eprintln!("\n*** SKIPPED on PostgreSQL: {why} ***\n");
            return;
        }
        BACKEND.scope(self, test).await;
    }

    /// The backend of the running test (SQLite outside [`Backend::run`]).
    pub fn current() -> Self {
        BACKEND.try_with(|backend| *backend).unwrap_or(Self::Sqlite)
    }
}

/// The concrete store under a [`TestApp`], for reaching below the service.
#[derive(Debug, Clone)]
enum Database {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

/// A running server with its own database, stopped when dropped. Every response that passed
/// through [`TestApp::base_url`] was validated against the spec; a violation fails the test when
/// the app is dropped, if nothing failed before.
#[derive(Debug)]
pub struct TestApp {
    /// The validating proxy in front of the server: what clients talk to.
    pub base_url: String,
    /// The server itself.
    pub server_address: SocketAddr,
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    pub policy: Policy,
    database: Database,
    database_url: String,
    recorder: Arc<Recorder>,
    http: reqwest::Client,
    shutdown: Vec<oneshot::Sender<()>>,
    /// Holds the SQLite file until the app is dropped.
    _database_dir: tempfile::TempDir,
}

/// A session opened for a test, with its token in clear.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub record: SessionRecord,
    pub token: String,
}

/// A raw response: what the wire carried, before any client interpreted it.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl RawResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.text))
    }
}

/// How a test session is opened: which device, when, for how long.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub fingerprint: Option<String>,
    pub started_at: DateTime<Utc>,
    pub lifetime: Duration,
    /// `issue-token --max-sessions-per-user`; none by default.
    pub max_active_sessions: Option<std::num::NonZeroU32>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            fingerprint: None,
            started_at: Utc::now(),
            lifetime: Duration::days(1),
            max_active_sessions: None,
        }
    }
}

/// Checks what the proxy forwards and keeps what was wrong.
#[derive(Debug)]
struct Recorder {
    validator: SpecValidator,
    checked: Mutex<usize>,
    violations: Mutex<Vec<String>>,
}

impl Recorder {
    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &str,
    ) {
        // Routes outside the spec (health, the spec itself, unknown routes) are not its business.
        let Some(template) = self.validator.path_template(path) else {
            return;
        };
        if !self.validator.has_operation(method, &template) {
            return;
        }
        *self.checked.lock().expect("not poisoned") += 1;
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let mut problems = Vec::new();
        if let Err(err) =
            self.validator
                .validate_response(method, &template, status, content_type, body)
        {
            problems.push(format!("{err:#}"));
        }
        // The generated stubs only document response headers; the service must send them.
        for header in self
            .validator
            .response_headers(method, &template, status)
            .unwrap_or_default()
        {
            if !headers.contains_key(header.as_str()) {
                problems.push(format!(
                    "{method} {path} → {status} without its documented {header} header"
                ));
            }
        }
        if !problems.is_empty() {
            self.violations.lock().expect("not poisoned").extend(
                problems
                    .into_iter()
                    .map(|problem| format!("{problem}\n  body: {body}")),
            );
        }
    }
}

#[derive(Debug)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    recorder: Arc<Recorder>,
}

/// Forwards one request to the server as it came, records and validates the answer, and
/// returns it unchanged.
async fn forward(State(proxy): State<Arc<Proxy>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the test client sends a readable body");
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or("/");
    let mut upstream = proxy
        .http
        .request(
            parts.method.clone(),
            format!("{}{path_and_query}", proxy.upstream),
        )
        .body(body);
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.expect("the server answers");
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("the server sends a body");
    proxy.recorder.check(
        parts.method.as_str(),
        parts.uri.path(),
        status.as_u16(),
        &headers,
        &String::from_utf8_lossy(&bytes),
    );
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::TRANSFER_ENCODING
        {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

impl TestApp {
    /// Starts the real server on `127.0.0.1:0` over a fresh SQLite file, with the default policy.
    pub async fn spawn() -> Self {
        Self::spawn_with(Policy::default()).await
    }

    /// Starts the real server with `policy` on the current [`Backend`], with a fresh database,
    /// and the validating proxy in front of it.
    pub async fn spawn_with(policy: Policy) -> Self {
        Self::spawn_with_edge(policy, EdgeLimits::default()).await
    }

    /// As [`TestApp::spawn_with`], with the server's edge (timeouts, connection caps, trusted
    /// proxies) under `edge_limits`.
    pub async fn spawn_with_edge(policy: Policy, edge_limits: EdgeLimits) -> Self {
        init_test_logging();
        let backend = Backend::current();
        let database_dir = tempfile::tempdir().expect("a temp dir");
        let (database, database_url) = match backend {
            Backend::Sqlite => {
                let url = format!(
                    "sqlite://{}",
                    database_dir.path().join("sessions.db").display()
                );
                let store = SqliteStore::connect(&url).await.expect("SQLite opens");
                (Database::Sqlite(Arc::new(store)), url)
            }
            Backend::Postgres => {
                let cluster = postgres::cluster().expect("Backend::run checked the cluster");
                let url = cluster.create_database().await.expect("a test database");
                let store = PostgresStore::connect(&url)
                    .await
                    .expect("PostgreSQL opens");
                (Database::Postgres(Arc::new(store)), url)
            }
        };
        let store: Arc<dyn Store> = match &database {
            Database::Sqlite(store) => store.clone(),
            Database::Postgres(store) => store.clone(),
        };
        let application = Application::bind(
            "127.0.0.1:0".parse().expect("an address"),
            store.clone(),
            policy,
        )
        .await
        .expect("port 0 binds")
        .with_edge_limits(edge_limits);
        let server_address = application.local_addr().expect("a bound address");
        let (stop_server, server_stopped) = oneshot::channel::<()>();
        tokio::spawn(application.run_until(async {
            let _ = server_stopped.await;
        }));

        let http = reqwest::Client::new();
        let recorder = Arc::new(Recorder {
            validator: SpecValidator::new(),
            checked: Mutex::new(0),
            violations: Mutex::new(Vec::new()),
        });
        let proxy = Arc::new(Proxy {
            upstream: format!("http://{server_address}"),
            http: http.clone(),
            recorder: recorder.clone(),
        });
        let proxy_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port 0 binds");
        let proxy_address = proxy_listener.local_addr().expect("a bound address");
        let (stop_proxy, proxy_stopped) = oneshot::channel::<()>();
        let proxy_router = axum::Router::new().fallback(forward).with_state(proxy);
        tokio::spawn(async move {
            axum::serve(proxy_listener, proxy_router)
                .with_graceful_shutdown(async {
                    let _ = proxy_stopped.await;
                })
                .await
        });

        Self {
            base_url: format!("http://{proxy_address}"),
            server_address,
            store,
            backend,
            policy,
            database,
            database_url,
            recorder,
            http,
            shutdown: vec![stop_proxy, stop_server],
            _database_dir: database_dir,
        }
    }

    /// Starts another server instance on the same database, as a second replica behind a load
    /// balancer would be: its own process state and pool, nothing shared but the database. On
    /// SQLite both open the same file. Returns its base URL (not behind the proxy).
    pub async fn spawn_second_instance(&self) -> String {
        let store = sessions_server::store::connect(&self.database_url)
            .await
            .expect("the database opens again");
        let application = Application::bind(
            "127.0.0.1:0".parse().expect("an address"),
            store,
            self.policy,
        )
        .await
        .expect("port 0 binds");
        let address = application.local_addr().expect("a bound address");
        tokio::spawn(application.run_until(std::future::pending()));
        format!("http://{address}")
    }

    /// Runs one SQL statement on the app's database, behind the service's back (to break it).
    pub async fn execute_sql(&self, statement: &str) {
        let statement = sqlx::AssertSqlSafe(statement.to_owned());
        match &self.database {
            Database::Sqlite(store) => sqlx::query(statement).execute(store.pool()).await.map(drop),
            Database::Postgres(store) => {
                sqlx::query(statement).execute(store.pool()).await.map(drop)
            }
        }
        .expect("the statement runs");
    }

    /// A PostgreSQL setting as the service's connections see it (`None` on SQLite).
    pub async fn postgres_setting(&self, name: &str) -> Option<String> {
        let Database::Postgres(store) = &self.database else {
            return None;
        };
        let statement = sqlx::AssertSqlSafe(format!("SHOW {name}"));
        Some(
            sqlx::query_scalar(statement)
                .fetch_one(store.pool())
                .await
                .expect("SHOW answers"),
        )
    }

    /// How many responses of spec operations the proxy has validated so far.
    pub fn validated_responses(&self) -> usize {
        *self.recorder.checked.lock().expect("not poisoned")
    }

    /// What failed validation so far.
    pub fn violations(&self) -> Vec<String> {
        self.recorder
            .violations
            .lock()
            .expect("not poisoned")
            .clone()
    }

    /// Opens a session for `user` on the device `device_name`.
    pub async fn issue_with(
        &self,
        user: &str,
        device_name: &str,
        options: SessionOptions,
    ) -> IssuedSession {
        let request = SessionRequest {
            user_id: user.to_owned(),
            device_fingerprint: options
                .fingerprint
                .unwrap_or_else(|| format!("{device_name}-fingerprint")),
            device: DeviceInfo {
                name: device_name.to_owned(),
                device_type: "MOBILE".to_owned(),
                os: "Android 16".to_owned(),
                browser: "Chrome 150".to_owned(),
                user_agent: format!("test-agent/{device_name}"),
                country: "PT".to_owned(),
                city: "Lisbon".to_owned(),
            },
            ip_address: "203.0.113.9".to_owned(),
            location: "Lisbon, PT".to_owned(),
            login_method: "password".to_owned(),
            lifetime: options.lifetime.to_std().expect("a positive lifetime"),
            max_active_sessions: options.max_active_sessions,
        };
        let (record, token) = issue_token(self.store.as_ref(), request, options.started_at)
            .await
            .expect("a session opens");
        IssuedSession {
            record,
            token: token.as_str().to_owned(),
        }
    }

    /// Opens a session for `user` on the device `device_name`, started at `started_at`.
    pub async fn issue_at(
        &self,
        user: &str,
        device_name: &str,
        started_at: DateTime<Utc>,
        lifetime: Duration,
    ) -> IssuedSession {
        let options = SessionOptions {
            started_at,
            lifetime,
            ..SessionOptions::default()
        };
        self.issue_with(user, device_name, options).await
    }

    /// Opens a session for `user` on `device_name` that started now and lasts a day.
    pub async fn issue(&self, user: &str, device_name: &str) -> IssuedSession {
        self.issue_with(user, device_name, SessionOptions::default())
            .await
    }

    /// Revokes a session directly in the store, behind the API's back.
    pub async fn revoke(&self, session: &IssuedSession) {
        let revoked = self
            .store
            .revoke_session(
                Acting {
                    user_id: &session.record.user_id,
                    session_id: &session.record.id,
                },
                &session.record.id,
                Utc::now(),
            )
            .await
            .expect("the store answers");
        assert!(revoked, "the session was active");
    }

    /// The generated client, sending `token` as a bearer token.
    pub fn client(&self, token: &str) -> sessions_client::Client {
        sessions_client::Client::with_bearer_token(&self.base_url, token).expect("a client")
    }

    /// The generated client with exactly `authorization` as its `Authorization` header, or none.
    pub fn client_with_authorization(
        &self,
        authorization: Option<&str>,
    ) -> sessions_client::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                value.parse().expect("a header value"),
            );
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("an HTTP client");
        sessions_client::Client::new_with_client(&self.base_url, http)
    }

    /// A request sent by hand (through the validating proxy), to see the bytes on the wire.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        authorization: Option<&str>,
    ) -> RawResponse {
        self.raw_with_body(method, path, authorization, None).await
    }

    /// Like [`TestApp::raw`], with a body sent as `(content type, bytes)`.
    pub async fn raw_with_body(
        &self,
        method: reqwest::Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> RawResponse {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some((content_type, bytes)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let response = request.send().await.expect("the server answers");
        RawResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("a body"),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for shutdown in self.shutdown.drain(..) {
            let _ = shutdown.send(());
        }
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "{} response(s) broke the spec:\n{}",
                violations.len(),
                violations.join("\n")
            );
        }
    }
}

fn init_test_logging() {
    // Logs only when asked for, so a passing run stays quiet.
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("info")
            .try_init();
    }
}
