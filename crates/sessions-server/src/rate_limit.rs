//! Rate limiting of the API: per bearer token, and per client IP for calls that do not
//! authenticate (no token, a malformed one, or one that gets 401). Over the limit the answer is
//! 429 with `Retry-After` and the API's error body. The service's authentication hook applies
//! it, once per request, with the token hash it computed for the lookup.
//!
//! A made-up token gets a bucket of its own, so its failures are also charged to the client's
//! IP; once that IP is over its limit, it is refused whatever token it sends, until the limit
//! has room again. Without that, a fresh random token per request would never be limited.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
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

/// The limiters' state. Tokens are keyed by their hash, so no token is held in clear.
#[derive(Debug)]
pub struct RateLimiter {
    per_token: DefaultKeyedRateLimiter<[u8; 32]>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// IPs whose calls that failed to authenticate went over the per-IP limit, until when.
    blocked_ips: Mutex<HashMap<IpAddr, Instant>>,
}

impl RateLimiter {
    /// The limiter, with a background task that forgets idle keys so memory stays bounded.
    pub fn new(limits: RateLimits) -> Arc<Self> {
        let limiter = Arc::new(Self {
            per_token: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                limits.per_token_per_minute,
            )),
            per_ip: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_ip_per_minute)),
            blocked_ips: Mutex::new(HashMap::new()),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(forget_idle_keys(Arc::downgrade(&limiter)));
        }
        limiter
    }

    /// `Err(wait)` when the caller must wait before its next request: a request with a token
    /// (by its hash) counts against that token, one without against its IP.
    pub fn check(&self, token_hash: Option<&[u8; 32]>, ip: IpAddr) -> Result<(), Duration> {
        if let Some(until) = self.blocked_until(ip) {
            return Err(until.saturating_duration_since(Instant::now()));
        }
        let outcome = match token_hash {
            Some(hash) => self.per_token.check_key(hash),
            None => self.per_ip.check_key(&ip),
        };
        outcome.map_err(|not_until| not_until.wait_time_from(self.per_ip.clock().now()))
    }

    /// Charges a token that did not authenticate to its IP; blocks the IP once over the limit.
    pub fn charge_failed_token(&self, ip: IpAddr) {
        if let Err(not_until) = self.per_ip.check_key(&ip) {
            let wait = not_until.wait_time_from(self.per_ip.clock().now());
            self.blocked_ips
                .lock()
                .expect("never poisoned: no panics while held")
                .insert(ip, Instant::now() + wait);
        }
    }

    fn blocked_until(&self, ip: IpAddr) -> Option<Instant> {
        let mut blocked = self
            .blocked_ips
            .lock()
            .expect("never poisoned: no panics while held");
        match blocked.get(&ip) {
            Some(until) if *until > Instant::now() => Some(*until),
            Some(_) => {
                blocked.remove(&ip);
                None
            }
            None => None,
        }
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
        let now = Instant::now();
        limiter
            .blocked_ips
            .lock()
            .expect("never poisoned: no panics while held")
            .retain(|_, until| *until > now);
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
