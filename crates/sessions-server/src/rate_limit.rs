//! Rate limiting of the API: per bearer token, and per client IP for calls without one.
//! Over the limit the answer is 429 with `Retry-After` and the API's error body.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use axum::{
    Json,
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};
use sessions_api::{BearerAuth, models::ErrorResponse};

use crate::token;

/// The message of every 429.
pub const TOO_MANY_REQUESTS: &str = "Too many requests";

/// Requests per minute allowed, each also the burst size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_token_per_minute: NonZeroU32,
    pub per_ip_per_minute: NonZeroU32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_token_per_minute: NonZeroU32::new(600).expect("non-zero"),
            per_ip_per_minute: NonZeroU32::new(120).expect("non-zero"),
        }
    }
}

/// The limiters' state. Tokens are keyed by their hash, so no token is held in clear.
#[derive(Debug)]
pub struct RateLimiter {
    per_token: DefaultKeyedRateLimiter<[u8; 32]>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimiter {
    /// The limiter, with a background task that forgets idle keys so memory stays bounded.
    pub fn new(limits: RateLimits) -> Arc<Self> {
        let limiter = Arc::new(Self {
            per_token: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_token_per_minute,
            )),
            per_ip: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_ip_per_minute)),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(forget_idle_keys(Arc::downgrade(&limiter)));
        }
        limiter
    }

    /// `Err(wait)` when the caller must wait before its next request.
    fn check(&self, request: &Request) -> Result<(), Duration> {
        let outcome = match BearerAuth::from_headers(request.headers()) {
            BearerAuth::Token(token) => self.per_token.check_key(&token::hash(&token)),
            BearerAuth::Missing | BearerAuth::Malformed => {
                let ip = request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
                self.per_ip.check_key(&ip)
            }
        };
        outcome.map_err(|not_until| not_until.wait_time_from(self.per_ip.clock().now()))
    }
}

async fn forget_idle_keys(limiter: Weak<RateLimiter>) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        limiter.per_token.retain_recent();
        limiter.per_ip.retain_recent();
        limiter.per_token.shrink_to_fit();
        limiter.per_ip.shrink_to_fit();
    }
}

/// Axum middleware: refuses requests over the limit before they reach the service.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    match limiter.check(&request) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let body = ErrorResponse {
                success: false,
                error: TOO_MANY_REQUESTS.to_owned(),
            };
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            response
        }
    }
}
