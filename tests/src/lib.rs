//! Support for the contract tests: a real server on a real socket over a fresh SQLite database,
//! the generated client pointed at it, and a validator that checks raw response bodies against
//! the spec's schemas.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sessions_server::{
    issue::{SessionRequest, issue_token},
    startup::Application,
    store::{SessionRecord, SqliteStore, Store as _},
};
use tokio::sync::oneshot;

/// The workspace root, where `openapi/` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The spec, parsed.
pub fn spec() -> Value {
    openapi_drift::load_path(&workspace_root().join("openapi/sessions.yaml"))
        .expect("the spec loads")
}

/// A running server with its own database, stopped when dropped.
#[derive(Debug)]
pub struct TestApp {
    pub address: SocketAddr,
    pub base_url: String,
    pub store: Arc<SqliteStore>,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
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

impl TestApp {
    /// Starts the real server on `127.0.0.1:0` over a fresh SQLite file.
    pub async fn spawn() -> Self {
        init_test_logging();
        let database_dir = tempfile::tempdir().expect("a temp dir");
        let url = format!(
            "sqlite://{}",
            database_dir.path().join("sessions.db").display()
        );
        let store = Arc::new(
            SqliteStore::connect(&url)
                .await
                .expect("the database opens"),
        );
        let application =
            Application::bind("127.0.0.1:0".parse().expect("an address"), store.clone())
                .await
                .expect("port 0 binds");
        let address = application.local_addr().expect("a bound address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(application.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            address,
            base_url: format!("http://{address}"),
            store,
            http: reqwest::Client::new(),
            shutdown: Some(shutdown),
            _database_dir: database_dir,
        }
    }

    /// Opens a session for `user` on the device `device_name`, with the given lifetime from `now`.
    pub async fn issue_at(
        &self,
        user: &str,
        device_name: &str,
        started_at: DateTime<Utc>,
        lifetime: Duration,
    ) -> IssuedSession {
        let request = SessionRequest {
            user_id: user.to_owned(),
            device_name: device_name.to_owned(),
            device_fingerprint: format!("{device_name}-fingerprint"),
            ip_address: "203.0.113.9".to_owned(),
            location: "Lisbon, PT".to_owned(),
            login_method: "password".to_owned(),
            lifetime: lifetime.to_std().expect("a positive lifetime"),
        };
        let (record, token) = issue_token(self.store.as_ref(), request, started_at)
            .await
            .expect("a session opens");
        IssuedSession {
            record,
            token: token.as_str().to_owned(),
        }
    }

    /// Opens a session for `user` on `device_name` that started now and lasts a day.
    pub async fn issue(&self, user: &str, device_name: &str) -> IssuedSession {
        self.issue_at(user, device_name, Utc::now(), Duration::days(1))
            .await
    }

    pub async fn revoke(&self, session: &IssuedSession) {
        let revoked = self
            .store
            .revoke_session(&session.record.user_id, &session.record.id, Utc::now())
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

    /// A request sent by hand, so its body can be validated byte for byte.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        authorization: Option<&str>,
    ) -> RawResponse {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
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
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
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

/// Validates bodies against the spec's response schemas, converted from OpenAPI 3.0 to JSON
/// Schema (draft 4, whose `exclusiveMinimum: true` matches 3.0's). Objects are closed
/// (`additionalProperties: false` unless the spec says otherwise), so a response that sends a
/// field the spec does not document fails too.
#[derive(Debug)]
pub struct SpecValidator {
    spec: Value,
    schemas: Value,
}

impl SpecValidator {
    pub fn new() -> Self {
        let spec = spec();
        let schemas = spec
            .pointer("/components/schemas")
            .cloned()
            .map(|schemas| to_json_schema(&schemas, true))
            .unwrap_or_else(|| Value::Object(Map::new()));
        Self { spec, schemas }
    }

    /// The spec's schema for `status` of `method path`, after following a response `$ref`.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> anyhow::Result<Value> {
        let operation = self
            .spec
            .get("paths")
            .and_then(|paths| paths.get(path))
            .and_then(|item| item.get(method.to_lowercase()))
            .ok_or_else(|| anyhow!("the spec has no operation {method} {path}"))?;
        let mut response = operation
            .get("responses")
            .and_then(|responses| responses.get(status.to_string()))
            .ok_or_else(|| anyhow!("{method} {path} documents no {status} response"))?;
        if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').context("only local $refs")?;
            response = self
                .spec
                .pointer(pointer)
                .ok_or_else(|| anyhow!("unresolvable {reference}"))?;
        }
        response
            .pointer("/content/application~1json/schema")
            .cloned()
            .ok_or_else(|| anyhow!("{method} {path} → {status} has no application/json schema"))
    }

    /// Validates `instance` against a schema of the spec (which may `$ref` its components).
    pub fn validate_against(&self, schema: &Value, instance: &Value) -> anyhow::Result<()> {
        let root = serde_json::json!({
            "allOf": [to_json_schema(schema, true)],
            "components": { "schemas": self.schemas },
        });
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|err| anyhow!("the spec's schema does not compile: {err}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            bail!("{instance} violates the spec: {}", errors.join("; "))
        }
    }

    /// Validates a raw response against the spec's schema for its status.
    pub fn validate(&self, method: &str, path: &str, response: &RawResponse) -> anyhow::Result<()> {
        let content_type = response
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !content_type.starts_with("application/json") {
            bail!(
                "{method} {path} → {}: content type {content_type:?}, spec application/json",
                response.status
            );
        }
        let schema = self.response_schema(method, path, response.status)?;
        self.validate_against(&schema, &response.json())
    }
}

impl Default for SpecValidator {
    fn default() -> Self {
        Self::new()
    }
}

/// OpenAPI 3.0 schema → JSON Schema draft 4: `nullable` becomes a `null` type, keywords JSON
/// Schema does not know are dropped, and objects are closed when `close_objects` is set.
pub fn to_json_schema(schema: &Value, close_objects: bool) -> Value {
    match schema {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| to_json_schema(item, close_objects))
                .collect(),
        ),
        Value::Object(object) => {
            let mut converted = Map::new();
            for (key, value) in object {
                match key.as_str() {
                    "nullable" | "example" | "examples" | "discriminator" | "xml"
                    | "externalDocs" | "deprecated" | "readOnly" | "writeOnly" => {}
                    // `properties` and `components.schemas` map names to schemas: convert each value.
                    "properties" | "schemas" => {
                        let members = value
                            .as_object()
                            .map(|members| {
                                members
                                    .iter()
                                    .map(|(name, member)| {
                                        (name.clone(), to_json_schema(member, close_objects))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        converted.insert(key.clone(), Value::Object(members));
                    }
                    "enum" => {
                        converted.insert(key.clone(), value.clone());
                    }
                    _ => {
                        converted.insert(key.clone(), to_json_schema(value, close_objects));
                    }
                }
            }
            if close_objects
                && converted.get("type").and_then(Value::as_str) == Some("object")
                && !converted.contains_key("additionalProperties")
            {
                converted.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            if object.get("nullable") == Some(&Value::Bool(true)) {
                return make_nullable(converted);
            }
            Value::Object(converted)
        }
        other => other.clone(),
    }
}

fn make_nullable(mut schema: Map<String, Value>) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(single)) => {
            schema.insert("type".to_owned(), serde_json::json!([single, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(schema)
        }
        _ => serde_json::json!({ "anyOf": [Value::Object(schema), { "type": "null" }] }),
    }
}
