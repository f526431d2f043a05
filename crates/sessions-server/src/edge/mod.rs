//! The HTTP edge: accepts connections and serves them with hyper, under the limits that keep
//! slow or flooding clients from taking the server down (timeouts, connection caps), and
//! attributes each request to its client (through trusted proxies).

mod caps;
mod client_ip;
mod clock;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{
        HeaderValue, Request, Response, StatusCode,
        header::{CONNECTION, CONTENT_LENGTH},
    },
};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::watch};
use tower::ServiceExt as _;

pub use caps::{ConnectionCaps, Refusal};
pub use client_ip::TrustedProxies;
pub use clock::Timeouts;
use clock::{ConnectionClock, DeadlineBody, TimedIo, TrackedBody};

/// How long a newcomer waits for the slot of the idle connection reclaimed for it.
const RECLAIM_WAIT: Duration = Duration::from_millis(500);

/// The largest request head (request line and headers) accepted; hyper answers 431 past it.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the edge allows each client.
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    pub timeouts: Timeouts,
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections per client network (an IPv4 address, an IPv6 /64); trusted proxies
    /// count only against the total.
    pub max_connections_per_ip: usize,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            timeouts: Timeouts {
                header_read: Duration::from_secs(10),
                body: Duration::from_secs(30),
                idle: Duration::from_secs(30),
                request: Duration::from_secs(60),
            },
            max_connections: 2048,
            max_connections_per_ip: 128,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// File descriptors the process needs beside its connections: the listener, the database pool
/// and its files, logs.
pub const RESERVED_FILE_DESCRIPTORS: usize = 256;

impl EdgeLimits {
    /// The open-file limit the service needs with these limits.
    pub fn file_descriptors_needed(&self) -> usize {
        self.max_connections + RESERVED_FILE_DESCRIPTORS
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// (idle connections close at once) and returns when every connection is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: EdgeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let caps = Arc::new(ConnectionCaps::new(
        limits.max_connections,
        limits.max_connections_per_ip,
    ));
    let limits = Arc::new(limits);
    let (stop, stopping) = watch::channel(false);
    let mut refusals = RefusalLog::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before it was accepted: wait a
                    // little rather than spin, and keep serving the connections already open.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let exempt = limits.trusted_proxies.contains(peer.ip());
        let clock = ConnectionClock::new(limits.timeouts, caps.pressure());
        let start = {
            let clock = clock.clone();
            let router = router.clone();
            let limits = limits.clone();
            let stopping = stopping.clone();
            move |slot| {
                let _ = stream.set_nodelay(true);
                let connection = serve_connection(stream, peer, router, clock, limits, stopping);
                tokio::spawn(async move {
                    connection.await;
                    drop(slot);
                });
            }
        };
        match caps.admit(peer.ip(), exempt, &clock) {
            Ok(slot) => start(slot),
            // An idle connection is asked to give its slot back; the newcomer waits for it
            // (the accept loop does not).
            Err(refusal) => match caps.wait_turn() {
                Some(turn) if caps.reclaim_for(peer.ip(), exempt, refusal) => {
                    refusals.record_reclaim(refusal);
                    let caps = caps.clone();
                    let clock = clock.clone();
                    tokio::spawn(async move {
                        let admitted = caps
                            .admit_within(peer.ip(), exempt, &clock, RECLAIM_WAIT)
                            .await;
                        drop(turn);
                        if let Ok(slot) = admitted {
                            start(slot);
                        }
                    });
                }
                // Nothing idle to reclaim, or too many already waiting: dropping the stream
                // closes it.
                _ => refusals.record(refusal),
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    caps.all_closed().await;
    Ok(())
}

/// Logs refused connections at most every ten seconds, so a flood cannot flood the log.
#[derive(Debug, Default)]
struct RefusalLog {
    total: u64,
    per_ip: u64,
    reclaimed: u64,
    last: Option<tokio::time::Instant>,
}

impl RefusalLog {
    fn record(&mut self, refusal: Refusal) {
        match refusal {
            Refusal::Total => self.total += 1,
            Refusal::PerNetwork => self.per_ip += 1,
        }
        self.log_now_and_then();
    }

    /// A cap was reached and an idle connection reclaimed for the newcomer.
    fn record_reclaim(&mut self, _cap: Refusal) {
        self.reclaimed += 1;
        self.log_now_and_then();
    }

    fn log_now_and_then(&mut self) {
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_none_or(|last| now - last >= Duration::from_secs(10))
        {
            tracing::warn!(
                over_total_cap = self.total,
                over_per_ip_cap = self.per_ip,
                idle_reclaimed = self.reclaimed,
                "connection caps reached"
            );
            *self = Self {
                last: Some(now),
                ..Self::default()
            };
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    clock: Arc<ConnectionClock>,
    limits: Arc<EdgeLimits>,
    mut stopping: watch::Receiver<bool>,
) {
    let io = TokioIo::new(TimedIo::new(stream, clock.clone()));
    let service = {
        let clock = clock.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            handle(request, peer, router.clone(), clock.clone(), limits.clone())
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None) // The clock times heads, and idle keep-alives too.
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let overrun = clock.overrun();
    tokio::pin!(overrun);
    let mut draining = *stopping.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            // The connection first: bytes already read are served before a reclaim is heeded.
            biased;
            served = connection.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            () = &mut overrun => {
                tracing::debug!(%peer, "connection timed out");
                return; // Dropping the connection closes it.
            }
            // Its slot is wanted: closed if it is still idle (a request that began meanwhile
            // keeps the connection).
            () = clock.reclaimed(), if !draining => {
                if clock.idle_since().is_some() {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
            changed = stopping.changed(), if !draining => {
                if changed.is_err() || *stopping.borrow() {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn handle(
    mut request: Request<Incoming>,
    peer: SocketAddr,
    router: Router,
    clock: Arc<ConnectionClock>,
    limits: Arc<EdgeLimits>,
) -> Result<Response<TrackedBody<Body>>, std::convert::Infallible> {
    let in_flight = clock.request_started();
    // hyper refuses a head that outgrows its buffer while arriving; one that arrives whole in a
    // single read is parsed all the same, whatever its size. Its parsed size decides, so the
    // limit does not depend on how the bytes were split.
    if head_size(&request) > MAX_HEAD_BYTES {
        let mut response = sessions_api::error_reply(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request header fields too large",
        );
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return Ok(response.map(|body| TrackedBody::new(body, in_flight)));
    }
    let client = if limits.trusted_proxies.is_empty() {
        peer
    } else {
        SocketAddr::new(
            limits.trusted_proxies.client(peer.ip(), request.headers()),
            peer.port(),
        )
    };
    request.extensions_mut().insert(ConnectInfo(client));
    let request = if http_body::Body::is_end_stream(request.body()) {
        request.map(Body::new)
    } else {
        request.map(|body| Body::new(DeadlineBody::new(body, clock.clone())))
    };
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let response = if clock.body_timed_out() {
        timed_out(response)
    } else {
        response
    };
    Ok(response.map(|body| TrackedBody::new(body, in_flight)))
}

/// The size of a request's head as its canonical bytes: `METHOD target HTTP/1.1\r\n`, each
/// `name: value\r\n`, and the closing `\r\n`. What a client sends is at least this long (it
/// may add optional whitespace, never remove anything).
fn head_size<B>(request: &Request<B>) -> usize {
    let uri = request.uri();
    let target = uri.scheme_str().map_or(0, |scheme| scheme.len() + 3)
        + uri
            .authority()
            .map_or(0, |authority| authority.as_str().len())
        + uri
            .path_and_query()
            .map_or(0, |target| target.as_str().len());
    let request_line = request.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    request_line + headers + 2
}

/// The answer to a request whose body missed its deadline: 408 in the error shape, keeping the
/// headers every answer carries, and the connection closed (the rest of the body is unread).
fn timed_out(answered: Response<Body>) -> Response<Body> {
    let (mut parts, _) = answered.into_parts();
    let (reply, body) = sessions_api::error_reply(
        StatusCode::REQUEST_TIMEOUT,
        "The request body was not received in time",
    )
    .into_parts();
    parts.status = reply.status;
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.extend(reply.headers);
    parts
        .headers
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Response::from_parts(parts, body)
}
