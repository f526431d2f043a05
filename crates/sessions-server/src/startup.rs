//! Builds the HTTP application: the generated API routes, the service routes outside the API,
//! and the layers every request goes through.

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock},
};

use axum::{
    Json, Router,
    extract::Request,
    http::{
        HeaderName, HeaderValue, StatusCode,
        header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS},
    },
    routing::get,
};
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    edge::{self, EdgeLimits},
    purge::{self, Retention},
    rate_limit,
    service::{Policy, SessionService},
    store::Store,
};

/// The checked-in spec, compiled in so `/openapi.json` always describes this very build.
const SPEC_YAML: &str = include_str!("../../../openapi/sessions.yaml");

static SPEC_JSON: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_yaml::from_str(SPEC_YAML).expect("openapi/sessions.yaml is valid YAML"));

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document utoipa derives from the implementation (3.1). `cargo xtask check`
/// compares it with the spec.
pub fn implementation_openapi() -> utoipa::openapi::OpenApi {
    sessions_api::openapi()
}

/// The whole HTTP surface over `store`.
pub fn app(store: Arc<dyn Store>, policy: Policy) -> Router {
    // Authentication and rate limiting run in the service's hook, which the generated handlers
    // call before reading anything else of a request.
    let readiness = Arc::new(Readiness::new(store.clone()));
    let service = Arc::new(SessionService::new(store, policy));
    // An unknown route or method is an unauthenticated request like any other: its client
    // network pays for it, so it cannot be flooded for free. (The API's own paths answer a
    // method they lack through the service's `method_not_allowed` hook, charged the same way.)
    let limiter = service.limiter();
    let not_found = {
        let limiter = limiter.clone();
        move |request: Request| async move {
            rate_limit::charged(
                limiter.as_deref(),
                &request,
                StatusCode::NOT_FOUND,
                "Not found",
            )
        }
    };
    let method_not_allowed = move |request: Request| async move {
        rate_limit::charged(
            limiter.as_deref(),
            &request,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
        )
    };
    sessions_api::router(service)
        .route_layer(axum::middleware::from_fn(record_route))
        .route("/openapi.json", get(|| async { Json(SPEC_JSON.clone()) }))
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route(
            "/readyz",
            get(move || async move { readiness.answer().await }),
        )
        .merge(docs_page())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        // Session data must not be cached, nor a body sniffed into another type.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Outermost: a client's id reaches the logs and the echo only if it is a short token.
        .layer(axum::middleware::map_request(keep_only_plain_request_ids))
}

/// How long the readiness probe may take: past it the database counts as not answering.
const READINESS_BOUND: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a probe's result is reused, so a flood of `/readyz` costs the database one probe
/// a second.
const READINESS_REUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// `/readyz`: whether the store answers a read and would take a write, within
/// [`READINESS_BOUND`]. `/healthz` says only that the process serves (liveness).
#[derive(Debug)]
struct Readiness {
    store: Arc<dyn Store>,
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, Result<(), String>)>>,
}

impl Readiness {
    fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            last: tokio::sync::Mutex::new(None),
        }
    }

    async fn answer(&self) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let outcome = {
            // One probe at a time; the others wait for its result.
            let mut last = self.last.lock().await;
            match &*last {
                Some((at, outcome)) if at.elapsed() < READINESS_REUSE => outcome.clone(),
                _ => {
                    let outcome =
                        match tokio::time::timeout(READINESS_BOUND, self.store.probe()).await {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(err)) => Err(err.to_string()),
                            Err(_) => Err(format!("no answer within {READINESS_BOUND:?}")),
                        };
                    // Logged once per probe, not once per answer: a flood of /readyz during an
                    // outage does not flood the log.
                    if let Err(why) = &outcome {
                        tracing::warn!(error = %why, "not ready: the database failed its probe");
                    }
                    *last = Some((tokio::time::Instant::now(), outcome.clone()));
                    outcome
                }
            }
        };
        match outcome {
            Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
            // The API's own 503, with its `Retry-After`.
            Err(_) => sessions_api::operations::ApiError::ServiceUnavailable {
                body: sessions_api::models::ErrorResponse::new(
                    "Not ready: the database cannot be read or written",
                ),
                retry_after: 1,
            }
            .into_response(),
        }
    }
}

/// The most of a request's path a log line holds; the rest is cut, and the cut marked.
const LOGGED_PATH_BYTES: usize = 256;
/// The most of a request's method a log line holds (a method is any token a client makes up).
const LOGGED_METHOD_BYTES: usize = 16;

/// The span every log line of a request carries: its method and path, cut to a few hundred
/// bytes so no client sizes a log line, its request id (at most 64 plain characters), and,
/// once routed, the route's template.
fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %cut(request.method().as_str(), LOGGED_METHOD_BYTES),
        path = %cut(request.uri().path(), LOGGED_PATH_BYTES),
        route = tracing::field::Empty,
        request_id,
    )
}

/// `text` whole when it holds at most `limit` bytes; else its first `limit` bytes (on a
/// character boundary) and a mark that says how long it was.
fn cut(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= limit {
        return text.into();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…(cut, {} bytes)", &text[..end], text.len()).into()
}

/// Records the route's template (`/sessions/{id}/revoke`) in the request's span.
async fn record_route(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    if let Some(route) = request.extensions().get::<axum::extract::MatchedPath>() {
        tracing::Span::current().record("route", route.as_str());
    }
    next.run(request).await
}

/// `/docs`: Swagger UI over the checked-in spec, served from files compiled into the binary, so
/// the page works on a machine without a network. Its copy of the spec
/// (`/docs/openapi.json`) names first the server the page comes from, so "Try it out" calls this
/// very server whatever its address. The online validator is off: it would send the spec's
/// address to validator.swagger.io.
fn docs_page() -> Router {
    use utoipa_swagger_ui::{Config, SwaggerUi};
    let mut spec = SPEC_JSON.clone();
    let this_server =
        serde_json::json!({"url": "/", "description": "This server, which serves this page"});
    match spec
        .get_mut("servers")
        .and_then(serde_json::Value::as_array_mut)
    {
        Some(servers) => servers.insert(0, this_server),
        None => spec["servers"] = serde_json::json!([this_server]),
    }
    SwaggerUi::new("/docs")
        .external_url_unchecked("/docs/openapi.json", spec)
        .config(
            Config::from("/docs/openapi.json")
                .validator_url("none")
                .persist_authorization(false),
        )
        .into()
}

/// Drops an `x-request-id` that is not 1 to 64 of `A-Z a-z 0-9 . _ -`, so a generated one takes
/// its place in the log and in the echo: a client cannot flood the logs or forge log lines.
async fn keep_only_plain_request_ids(mut request: Request) -> Request {
    let plain = |value: &HeaderValue| {
        let bytes = value.as_bytes();
        (1..=64).contains(&bytes.len())
            && bytes
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(byte))
    };
    let headers = request.headers_mut();
    let values: Vec<&HeaderValue> = headers.get_all(&REQUEST_ID).iter().collect();
    if !(values.len() == 1 && plain(values[0])) {
        headers.remove(&REQUEST_ID);
    }
    request
}

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    edge_limits: EdgeLimits,
    store: Arc<dyn Store>,
    retention: Retention,
}

impl Application {
    /// Binds `address` (port 0 picks a free one) and prepares the app over `store`.
    pub async fn bind(
        address: SocketAddr,
        store: Arc<dyn Store>,
        policy: Policy,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        Ok(Self {
            listener,
            router: app(store.clone(), policy),
            edge_limits: EdgeLimits::default(),
            store,
            retention: Retention::default(),
        })
    }

    /// Serves under `limits` rather than the defaults.
    #[must_use]
    pub fn with_edge_limits(mut self, limits: EdgeLimits) -> Self {
        self.edge_limits = limits;
        self
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Purges ended sessions under `retention` rather than the default.
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Serves until `shutdown` completes, then drains in-flight requests. The purge runs
    /// alongside, and stops with the serving.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let purge = tokio::spawn(purge::keep_purging(self.store, self.retention));
        let served = edge::serve(self.listener, self.router, self.edge_limits, shutdown).await;
        purge.abort();
        served
    }
}
