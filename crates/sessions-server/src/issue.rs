//! Opening sessions outside the API: `issue-token` and the `--demo` seed.

use chrono::{DateTime, Utc};

use crate::{
    store::{NewSession, SessionRecord, Store, StoreError},
    token::IssuedToken,
};

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no randomness for a token: {0}")]
    Random(#[from] getrandom::Error),
    #[error("the lifetime {0:?} is out of range")]
    Lifetime(std::time::Duration),
}

/// What `issue-token` asks for.
#[derive(Debug, Clone)]
pub struct SessionRequest {
    pub user_id: String,
    pub device_name: String,
    /// Identifies the device within its user; sessions with the same one share a device.
    pub device_fingerprint: String,
    pub ip_address: String,
    pub location: String,
    pub login_method: String,
    pub lifetime: std::time::Duration,
}

/// Opens a session starting at `now` and returns it with its token, shown only this once.
pub async fn issue_token(
    store: &dyn Store,
    request: SessionRequest,
    now: DateTime<Utc>,
) -> Result<(SessionRecord, IssuedToken), IssueError> {
    let lifetime = chrono::Duration::from_std(request.lifetime)
        .map_err(|_| IssueError::Lifetime(request.lifetime))?;
    let expires_at = now
        .checked_add_signed(lifetime)
        .ok_or(IssueError::Lifetime(request.lifetime))?;
    let token = IssuedToken::generate()?;
    let record = store
        .create_session(NewSession {
            user_id: request.user_id,
            device_fingerprint: request.device_fingerprint,
            device_name: request.device_name,
            token_hash: token.hash(),
            ip_address: request.ip_address,
            location: request.location,
            login_method: request.login_method,
            started_at: now,
            expires_at,
        })
        .await?;
    Ok((record, token))
}

/// The demo user's name.
pub const DEMO_USER: &str = "demo";
const DEMO_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 60 * 60);

/// (fingerprint, device name, IP address, location, login method) of the demo's three devices.
const DEMO_DEVICES: [(&str, &str, &str, &str, &str); 3] = [
    (
        "demo-macbook",
        "MacBook Pro",
        "203.0.113.24",
        "Lisbon, PT",
        "password",
    ),
    (
        "demo-iphone",
        "iPhone 15",
        "198.51.100.7",
        "Porto, PT",
        "passkey",
    ),
    (
        "demo-thinkpad",
        "ThinkPad X1 (Firefox)",
        "192.0.2.55",
        "Berlin, DE",
        "google",
    ),
];

/// Ensures the demo user has one active session on each of three devices, and returns a fresh
/// token for the first one. Idempotent: running it again opens no new session while the old
/// ones are active; it only rotates that first session's token, since tokens are not stored.
pub async fn seed_demo(store: &dyn Store, now: DateTime<Utc>) -> Result<IssuedToken, IssueError> {
    let mut first = None;
    for (fingerprint, device_name, ip_address, location, login_method) in DEMO_DEVICES {
        let session = match store
            .active_session_on_device(DEMO_USER, fingerprint, now)
            .await?
        {
            Some(session) => session,
            None => {
                let request = SessionRequest {
                    user_id: DEMO_USER.to_owned(),
                    device_name: device_name.to_owned(),
                    device_fingerprint: fingerprint.to_owned(),
                    ip_address: ip_address.to_owned(),
                    location: location.to_owned(),
                    login_method: login_method.to_owned(),
                    lifetime: DEMO_LIFETIME,
                };
                issue_token(store, request, now).await?.0
            }
        };
        first.get_or_insert(session);
    }
    let first = first.expect("the demo has devices");
    let token = IssuedToken::generate()?;
    store.replace_token(&first.id, &token.hash()).await?;
    Ok(token)
}
