//! Builds the HTTP application: the generated API routes, the service routes outside the API,
//! and the layers every request goes through.

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock},
};

use axum::{
    Json, Router,
    extract::Request,
    http::{HeaderName, StatusCode},
    routing::get,
};
use sessions_api::SharedApi;
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
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
    sessions_api::router().split_for_parts().1
}

/// The whole HTTP surface over `store`.
pub fn app(store: Arc<dyn Store>, policy: Policy) -> Router {
    // Authentication and rate limiting run in the service's hook, which the generated handlers
    // call before reading anything else of a request.
    let api: SharedApi = Arc::new(SessionService::new(store, policy));
    let (api_routes, _) = sessions_api::router().split_for_parts();
    api_routes
        .with_state(api)
        .route("/openapi.json", get(|| async { Json(SPEC_JSON.clone()) }))
        .route("/healthz", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
        .fallback(|| async { sessions_api::error_reply(StatusCode::NOT_FOUND, "Not found") })
        .method_not_allowed_fallback(|| async { sessions_api::error_reply(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed") })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        .on_failure(DefaultOnFailure::new().level(Level::ERROR)))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
}

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
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
            router: app(store, policy),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Connect info gives the rate limiter each client's address.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
