//! Opening sessions outside the API: `issue-token` and the `--demo` seed.

use chrono::{DateTime, Utc};

use crate::{
    store::{DeviceInfo, NewSession, SessionRecord, Store, StoreError},
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
    /// Identifies the device within its user; sessions with the same one share a device.
    pub device_fingerprint: String,
    pub device: DeviceInfo,
    pub ip_address: String,
    pub location: String,
    pub login_method: String,
    pub lifetime: std::time::Duration,
    /// The most active sessions the user may hold; the least recently active past it are
    /// revoked as this one opens. `None`: no cap.
    pub max_active_sessions: Option<std::num::NonZeroU32>,
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
            device: request.device,
            token_hash: token.hash(),
            ip_address: request.ip_address,
            location: request.location,
            login_method: request.login_method,
            started_at: now,
            expires_at,
            max_active_sessions: request.max_active_sessions,
        })
        .await?;
    Ok((record, token))
}

/// The demo user's name.
pub const DEMO_USER: &str = "demo";
const DEMO_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 60 * 60);

/// A demo device and the session it holds.
struct DemoDevice {
    fingerprint: &'static str,
    name: &'static str,
    device_type: &'static str,
    os: &'static str,
    browser: &'static str,
    user_agent: &'static str,
    country: &'static str,
    city: &'static str,
    ip_address: &'static str,
    login_method: &'static str,
}

const DEMO_DEVICES: [DemoDevice; 3] = [
    DemoDevice {
        fingerprint: "demo-macbook",
        name: "MacBook Pro",
        device_type: "DESKTOP",
        os: "macOS 15",
        browser: "Safari 19",
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 15_0) AppleWebKit/605.1.15 Safari/605.1.15",
        country: "PT",
        city: "Lisbon",
        ip_address: "203.0.113.24",
        login_method: "password",
    },
    DemoDevice {
        fingerprint: "demo-iphone",
        name: "iPhone 15",
        device_type: "MOBILE",
        os: "iOS 19",
        browser: "Safari Mobile 19",
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 19_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        country: "PT",
        city: "Porto",
        ip_address: "198.51.100.7",
        login_method: "passkey",
    },
    DemoDevice {
        fingerprint: "demo-thinkpad",
        name: "ThinkPad X1",
        device_type: "DESKTOP",
        os: "Debian 13",
        browser: "Firefox 140",
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        country: "DE",
        city: "Berlin",
        ip_address: "192.0.2.55",
        login_method: "google",
    },
];

/// Ensures the demo user has one active session on each of three devices, and returns a fresh
/// token for the first one. Idempotent: running it again opens no new session while the old
/// ones are active; it only rotates that first session's token, since tokens are not stored.
pub async fn seed_demo(store: &dyn Store, now: DateTime<Utc>) -> Result<IssuedToken, IssueError> {
    let mut first = None;
    for device in DEMO_DEVICES {
        let active = store
            .active_session_on_device(DEMO_USER, device.fingerprint, now)
            .await?;
        let session = match active {
            Some(session) => session,
            None => {
                let request = SessionRequest {
                    user_id: DEMO_USER.to_owned(),
                    device_fingerprint: device.fingerprint.to_owned(),
                    device: DeviceInfo {
                        name: device.name.to_owned(),
                        device_type: device.device_type.to_owned(),
                        os: device.os.to_owned(),
                        browser: device.browser.to_owned(),
                        user_agent: device.user_agent.to_owned(),
                        country: device.country.to_owned(),
                        city: device.city.to_owned(),
                    },
                    ip_address: device.ip_address.to_owned(),
                    location: format!("{}, {}", device.city, device.country),
                    login_method: device.login_method.to_owned(),
                    lifetime: DEMO_LIFETIME,
                    max_active_sessions: None,
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
