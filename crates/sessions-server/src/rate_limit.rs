//! Rate limiting of the API, applied by the service's authentication hook once per request.
//!
//! - Every request is charged to its client's IP (a /64 for IPv6, which one host usually holds
//!   whole) *before* its token is looked up, so concurrent requests cannot overrun the budget.
//!   Over it, a request that does not authenticate (no token, a malformed or made-up one) gets
//!   429: guessing is throttled per client, whatever token each guess carries.
//! - A token that authenticates is never refused for its IP's sake (users behind one NAT or
//!   proxy share an IP with whoever guesses there); it is limited per session instead.
//! - Only sessions that authenticated get a bucket: made-up tokens create no state, so a flood
//!   of them cannot grow the limiter's memory beyond one bucket per client IP.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};
use sessions_api::{models::ErrorResponse, operations::ApiError};

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

/// The limiters' state, keyed by session id and by client network.
#[derive(Debug)]
pub struct RateLimiter {
    per_session: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// The key a client's address is limited under: the address itself for IPv4, its /64 for IPv6.
pub fn client_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

impl RateLimiter {
    /// The limiter, with a background task that forgets idle keys so memory stays bounded.
    pub fn new(limits: RateLimits) -> Arc<Self> {
        let limiter = Arc::new(Self {
            per_session: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_token_per_minute,
            )),
            per_ip: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_ip_per_minute)),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(forget_idle_keys(Arc::downgrade(&limiter)));
        }
        limiter
    }

    /// Charges one request to its client's network, before anything is looked up; `Err(wait)`
    /// when that network is over its budget (which only matters if the request then fails to
    /// authenticate).
    pub fn charge_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        self.per_ip
            .check_key(&client_network(ip))
            .map_err(|not_until| not_until.wait_time_from(self.per_ip.clock().now()))
    }

    /// One request of a session that authenticated; `Err(wait)` when it is over its budget.
    pub fn check_session(&self, session_id: &str) -> Result<(), Duration> {
        self.per_session
            .check_key(&session_id.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.per_session.clock().now()))
    }

    /// How many keys the limiter holds: its memory grows with these, nothing else.
    pub fn keys(&self) -> usize {
        self.per_session.len() + self.per_ip.len()
    }
}

async fn forget_idle_keys(limiter: Weak<RateLimiter>) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        limiter.per_session.retain_recent();
        limiter.per_ip.retain_recent();
        limiter.per_session.shrink_to_fit();
        limiter.per_ip.shrink_to_fit();
    }
}

/// The 429 for a caller who must wait `wait`: `Retry-After` in whole seconds, at least 1.
pub fn too_many_requests(wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        body: ErrorResponse::new(TOO_MANY_REQUESTS),
        retry_after: i32::try_from(seconds.max(1)).unwrap_or(i32::MAX),
    }
}

/// A refusal answered outside the API's operations (unknown route, wrong method), after
/// charging the client's network like any unauthenticated request: 429 once it is over budget.
pub fn charged(
    limiter: Option<&RateLimiter>,
    request: &axum::extract::Request,
    status: axum::http::StatusCode,
    message: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let (Some(limiter), Some(ip)) = (limiter, peer)
        && let Err(wait) = limiter.charge_ip(ip)
    {
        return too_many_requests(wait).into_response();
    }
    sessions_api::error_reply(status, message)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn ipv6_clients_share_a_budget_per_64_and_ipv4_per_address() {
        let one = NonZeroU32::new(1).unwrap();
        let limiter = RateLimiter::new(RateLimits {
            per_token_per_minute: one,
            per_ip_per_minute: one,
        });
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(limiter.charge_ip(ip("2001:db8:1:2::1")).is_ok());
        assert!(
            limiter.charge_ip(ip("2001:db8:1:2:ffff::9")).is_err(),
            "the same /64"
        );
        assert!(
            limiter.charge_ip(ip("2001:db8:1:3::1")).is_ok(),
            "another /64"
        );
        assert!(limiter.charge_ip(ip("192.0.2.1")).is_ok());
        assert!(
            limiter.charge_ip(ip("::ffff:192.0.2.1")).is_err(),
            "IPv4 mapped"
        );
        assert!(limiter.charge_ip(ip("192.0.2.2")).is_ok());
        assert!(limiter.check_session("s1").is_ok());
        assert!(limiter.check_session("s1").is_err());
        assert_eq!(limiter.keys(), 5);
    }
}
