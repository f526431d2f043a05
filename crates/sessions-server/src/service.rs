//! The service: the generated [`SessionsApi`] trait implemented over a [`Store`].
//!
//! Every operation first authenticates the caller, then acts only on the caller's own sessions
//! and devices. Another user's id answers exactly like an unknown one (404), so existence never
//! leaks.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
};

use chrono::{DateTime, DurationRound as _, Utc};
use sessions_api::{
    BearerAuth, BodyRejection, RequestHead, SessionsApi,
    models::{
        Device, DeviceDetails, DeviceDetailsResponse, DeviceSession, DeviceType, DevicesResponse,
        ErrorResponse, HeartbeatResponse, MessageResponse, Session, SessionsResponse,
        TrustDeviceRequest, TrustLevel,
    },
    operations::{self, ApiError, Operation},
};

use crate::{
    paging::{Cursors, Listing},
    rate_limit::{self, RateLimiter, RateLimits},
    store::{
        Acting, DeviceRecord, ExpiryPolicy, Page, PageKey, SessionRecord, Store, StoreError,
        StoredTrust,
    },
    token,
};

/// The 401 message for a token that is missing.
pub const MISSING_TOKEN: &str = "Missing bearer token";
/// The 401 message for an `Authorization` header that is not a bearer token.
pub const MALFORMED_TOKEN: &str = "Malformed bearer token";
/// The 401 message for a token that is unknown, expired or revoked: one text, so a caller
/// cannot tell which.
pub const INVALID_TOKEN: &str = "Invalid or expired token";

/// Lifetimes and limits the service applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How heartbeats extend sessions.
    pub expiry: ExpiryPolicy,
    /// How long `POST /devices/trust` trusts a device.
    pub trust_period: chrono::Duration,
    /// Requests allowed per token and per IP; `None` turns rate limiting off.
    pub rate_limits: Option<RateLimits>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            expiry: ExpiryPolicy {
                sliding_ttl: chrono::Duration::days(30),
                absolute_lifetime: chrono::Duration::days(90),
            },
            trust_period: chrono::Duration::days(30),
            rate_limits: Some(RateLimits::default()),
        }
    }
}

/// Who is calling: the owner of an active session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub session_id: String,
}

impl Caller {
    /// The caller's session, as the one a write is made by.
    fn acting(&self) -> Acting<'_> {
        Acting {
            user_id: &self.user_id,
            session_id: &self.session_id,
        }
    }
}

const SESSION_NOT_FOUND: &str = "Session not found";
const SESSION_NOT_FOUND_OR_EXPIRED: &str = "Session not found or expired";
const DEVICE_NOT_FOUND: &str = "Device not found";

/// The 401 for a write whose caller's session ended (revoked or expired) after it
/// authenticated: nothing was written, exactly as if the token had been refused at the door.
fn session_ended() -> ApiError {
    ApiError::Unauthorized {
        body: ErrorResponse::new(INVALID_TOKEN),
        www_authenticate: "Bearer".to_owned(),
    }
}

/// Logs the cause and returns the body the spec documents for the operation's 500; the cause
/// never reaches the client.
fn internal_error(operation: Operation, err: &dyn std::fmt::Display) -> ErrorResponse {
    tracing::error!(operation = operation.id(), error = %err, "request failed");
    ErrorResponse::new(
        operation
            .documented_error(500)
            .unwrap_or("Internal server error"),
    )
}

/// How long a client is told to wait when the database does not answer.
const RETRY_UNAVAILABLE_AFTER_SECONDS: i32 = 1;

/// The answer to a store failure: 503 with `Retry-After` when the database is away or takes no
/// writes (the client may retry), the operation's documented 500 otherwise. The cause is
/// logged, never sent.
fn store_failed<R: From<ApiError>>(
    operation: Operation,
    err: &StoreError,
    internal: impl FnOnce(ErrorResponse) -> R,
) -> R {
    if err.is_unavailable() {
        tracing::warn!(operation = operation.id(), error = %err, "the database is unavailable");
        ApiError::ServiceUnavailable {
            body: ErrorResponse::new(
                operation
                    .documented_error(503)
                    .unwrap_or("Service unavailable, retry later"),
            ),
            retry_after: RETRY_UNAVAILABLE_AFTER_SECONDS,
        }
        .into()
    } else {
        internal(internal_error(operation, err))
    }
}

#[derive(Debug)]
pub struct SessionService {
    store: Arc<dyn Store>,
    policy: Policy,
    limiter: Option<Arc<RateLimiter>>,
    /// Loaded from the database on the first paged request.
    cursors: tokio::sync::OnceCell<Cursors>,
}

/// Why a page could not be read: a cursor to refuse (400), or the store failed (500).
enum PageFailure {
    InvalidCursor,
    Store(StoreError),
}

/// What a paged listing asks the store for, and how to cut the answer.
struct PageRequest {
    /// One row more than the page holds, to learn whether more remain.
    page: Page,
    limit: Option<usize>,
}

/// The message of the 400 a cursor gets when this API did not give it to the caller.
const INVALID_CURSOR: &str = "Invalid query parameter: cursor is not one this API gave the caller";

impl SessionService {
    pub fn new(store: Arc<dyn Store>, policy: Policy) -> Self {
        Self {
            limiter: policy.rate_limits.map(RateLimiter::new),
            store,
            policy,
            cursors: tokio::sync::OnceCell::new(),
        }
    }

    /// The rate limiter the service charges, when limits are on: the rest of the HTTP surface
    /// charges the same budgets.
    pub fn limiter(&self) -> Option<Arc<RateLimiter>> {
        self.limiter.clone()
    }

    async fn cursors(&self) -> Result<&Cursors, StoreError> {
        self.cursors
            .get_or_try_init(|| Cursors::load(self.store.as_ref()))
            .await
    }

    /// Reads `limit` and `cursor` (the generated layer has checked `limit` is 1 to 100).
    async fn page_request(
        &self,
        listing: Listing,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<PageRequest, PageFailure> {
        let after = match cursor {
            None => None,
            Some(cursor) => Some(
                self.cursors()
                    .await
                    .map_err(PageFailure::Store)?
                    .decode(listing, &caller.user_id, cursor)
                    .map_err(|_| PageFailure::InvalidCursor)?,
            ),
        };
        let limit = limit.and_then(|limit| usize::try_from(limit).ok());
        Ok(PageRequest {
            page: Page {
                after,
                limit: limit.and_then(|limit| u32::try_from(limit + 1).ok()),
            },
            limit,
        })
    }

    /// Cuts `rows` to the page and returns the cursor of the next page, if more remain.
    async fn finish_page<T>(
        &self,
        listing: Listing,
        caller: &Caller,
        request: &PageRequest,
        rows: &mut Vec<T>,
        key_of: impl Fn(&T) -> PageKey,
    ) -> Result<Option<String>, StoreError> {
        let Some(limit) = request.limit.filter(|limit| rows.len() > *limit) else {
            return Ok(None);
        };
        rows.truncate(limit);
        let last = rows.last().expect("a page holds at least one row");
        Ok(Some(self.cursors().await?.encode(
            listing,
            &caller.user_id,
            &key_of(last),
        )))
    }
}

fn message(text: &str) -> MessageResponse {
    MessageResponse {
        success: true,
        message: text.to_owned(),
    }
}

fn session_model(record: SessionRecord) -> Session {
    Session {
        id: record.id,
        device_name: record.device_name,
        ip_address: record.ip_address,
        location: record.location,
        started_at: record.started_at,
        last_activity: record.last_activity,
        expires_at: record.expires_at,
        login_method: record.login_method,
    }
}

fn device_session_model(record: SessionRecord) -> DeviceSession {
    DeviceSession {
        id: record.id,
        ip_address: record.ip_address,
        location: record.location,
        started_at: record.started_at,
        last_activity: record.last_activity,
        expires_at: record.expires_at,
        login_method: record.login_method,
    }
}

/// How a device's trust reads at `now`: an expired trust reads as untrusted.
fn trust_at(trust: StoredTrust, now: DateTime<Utc>) -> (bool, TrustLevel, Option<DateTime<Utc>>) {
    match trust {
        StoredTrust::High { until } if until > now => (true, TrustLevel::High, Some(until)),
        StoredTrust::High { until } => (false, TrustLevel::Unknown, Some(until)),
        StoredTrust::Low => (false, TrustLevel::Low, None),
        StoredTrust::Unknown => (false, TrustLevel::Unknown, None),
    }
}

fn device_type(stored: &str) -> Result<DeviceType, StoreError> {
    match stored {
        "DESKTOP" => Ok(DeviceType::Desktop),
        "MOBILE" => Ok(DeviceType::Mobile),
        "TABLET" => Ok(DeviceType::Tablet),
        other => Err(StoreError::CorruptRow(format!("device type {other:?}"))),
    }
}

fn device_model(record: DeviceRecord, now: DateTime<Utc>) -> Result<Device, StoreError> {
    let (is_trusted, trust_level, trust_expires_at) = trust_at(record.trust, now);
    Ok(Device {
        device_type: device_type(&record.info.device_type)?,
        id: record.id,
        device_name: record.info.name,
        os: record.info.os,
        browser: record.info.browser,
        ip_address: record.ip_address,
        country: record.info.country,
        city: record.info.city,
        is_trusted,
        trust_level,
        last_seen: record.last_seen,
        created_at: record.created_at,
        trust_expires_at,
    })
}

fn device_details_model(
    record: DeviceRecord,
    sessions: Vec<SessionRecord>,
    now: DateTime<Utc>,
) -> Result<DeviceDetails, StoreError> {
    let user_agent = record.info.user_agent.clone();
    let device_fingerprint = record.fingerprint.clone();
    Ok(DeviceDetails {
        device: device_model(record, now)?,
        user_agent,
        device_fingerprint,
        sessions: sessions.into_iter().map(device_session_model).collect(),
    })
}

impl SessionsApi for SessionService {
    type Caller = Caller;

    /// A query or body the generated layer refused, in the shared error responses the spec
    /// documents for it.
    fn refused(&self, operation: Operation, rejection: BodyRejection) -> ApiError {
        tracing::debug!(operation = operation.id(), status = %rejection.status, "refused");
        let body = ErrorResponse::new(rejection.message);
        match rejection.status {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(body),
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(body),
            _ => ApiError::BadRequest(body),
        }
    }

    /// A path the generated layer cannot read names no session: 404 in the API's error shape.
    fn rejected(&self, operation: Operation, rejection: BodyRejection) -> axum::response::Response {
        tracing::debug!(operation = operation.id(), status = %rejection.status, "rejected");
        sessions_api::error_reply(rejection.status, rejection.message)
    }

    /// A method a path of the API lacks: 405 in the API's error shape, charged to the client's
    /// network like any unauthenticated request (429 once over budget).
    fn method_not_allowed(&self, request: &axum::extract::Request) -> axum::response::Response {
        rate_limit::charged(
            self.limiter.as_deref(),
            request,
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
        )
    }

    /// Charges the client's IP, then looks the token up (read and hashed once per request), then
    /// limits the session. Only a token whose session is active authenticates; a request that
    /// does not gets 429 once its IP is over budget, else 401.
    async fn authenticate(&self, request: RequestHead<'_, Operation>) -> Result<Caller, ApiError> {
        let ip = request
            .peer
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip());
        // Reserved before the lookup, so concurrent guesses cannot overrun the budget.
        let ip_budget = match &self.limiter {
            Some(limiter) => limiter.charge_ip(ip),
            None => Ok(()),
        };
        let refuse = |message: &str| match ip_budget {
            Err(wait) => rate_limit::too_many_requests(wait),
            Ok(()) => ApiError::Unauthorized {
                body: ErrorResponse::new(message),
                www_authenticate: "Bearer".to_owned(),
            },
        };
        let token = match BearerAuth::from_headers(request.headers) {
            BearerAuth::Token(token) => token,
            BearerAuth::Missing => return Err(refuse(MISSING_TOKEN)),
            BearerAuth::Malformed => return Err(refuse(MALFORMED_TOKEN)),
        };
        let owner = self
            .store
            .token_owner(&token::hash(&token), Utc::now())
            .await
            .map_err(|err| store_failed(request.operation, &err, ApiError::InternalServerError))?;
        let Some(owner) = owner else {
            return Err(refuse(INVALID_TOKEN));
        };
        // An authenticating token is limited per session, never for its IP's sake.
        if let Some(limiter) = &self.limiter
            && let Err(wait) = limiter.check_session(&owner.session_id)
        {
            return Err(rate_limit::too_many_requests(wait));
        }
        Ok(Caller {
            user_id: owner.user_id,
            session_id: owner.session_id,
        })
    }

    async fn get_sessions(
        &self,
        caller: Caller,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> operations::GetSessionsResponse {
        use operations::GetSessionsResponse as Response;
        let listing = Listing::Sessions;
        let sessions = async {
            let request = self
                .page_request(listing, &caller, limit, cursor.as_deref())
                .await?;
            let mut records = self
                .store
                .active_sessions_page(&caller.user_id, Utc::now(), &request.page)
                .await
                .map_err(PageFailure::Store)?;
            let next_cursor = self
                .finish_page(listing, &caller, &request, &mut records, |record| PageKey {
                    at: record.last_activity.timestamp_millis(),
                    id: record.id.clone(),
                })
                .await
                .map_err(PageFailure::Store)?;
            Ok(SessionsResponse {
                success: true,
                sessions: records.into_iter().map(session_model).collect(),
                next_cursor,
            })
        };
        match sessions.await {
            Ok(body) => Response::Ok(body),
            Err(PageFailure::InvalidCursor) => {
                ApiError::BadRequest(ErrorResponse::new(INVALID_CURSOR)).into()
            }
            Err(PageFailure::Store(err)) => {
                store_failed(Operation::GetSessions, &err, Response::InternalServerError)
            }
        }
    }

    async fn revoke_session(
        &self,
        caller: Caller,
        id: String,
    ) -> operations::RevokeSessionResponse {
        use operations::RevokeSessionResponse as Response;
        match self
            .store
            .revoke_session(caller.acting(), &id, Utc::now())
            .await
        {
            Ok(true) => Response::Ok(message("Session revoked successfully")),
            Ok(false) => Response::NotFound(ErrorResponse::new(SESSION_NOT_FOUND)),
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(
                Operation::RevokeSession,
                &err,
                Response::InternalServerError,
            ),
        }
    }

    async fn revoke_all_sessions(&self, caller: Caller) -> operations::RevokeAllSessionsResponse {
        use operations::RevokeAllSessionsResponse as Response;
        match self
            .store
            .revoke_all_sessions(caller.acting(), Utc::now())
            .await
        {
            Ok(revoked) => {
                tracing::info!(revoked, "revoked all sessions of the caller");
                Response::Ok(message("All sessions revoked successfully"))
            }
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(
                Operation::RevokeAllSessions,
                &err,
                Response::InternalServerError,
            ),
        }
    }

    async fn session_heartbeat(
        &self,
        caller: Caller,
        id: String,
    ) -> operations::SessionHeartbeatResponse {
        use operations::SessionHeartbeatResponse as Response;
        let extended = self
            .store
            .heartbeat(caller.acting(), &id, Utc::now(), self.policy.expiry)
            .await;
        match extended {
            Ok(Some(new_expiry)) => Response::Ok(HeartbeatResponse {
                success: true,
                message: "Session updated successfully".to_owned(),
                new_expiry,
            }),
            Ok(None) => Response::NotFound(ErrorResponse::new(SESSION_NOT_FOUND_OR_EXPIRED)),
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(
                Operation::SessionHeartbeat,
                &err,
                Response::InternalServerError,
            ),
        }
    }

    async fn get_devices(
        &self,
        caller: Caller,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> operations::GetDevicesResponse {
        use operations::GetDevicesResponse as Response;
        let listing = Listing::Devices;
        let now = Utc::now();
        let devices = async {
            let request = self
                .page_request(listing, &caller, limit, cursor.as_deref())
                .await?;
            let mut records = self
                .store
                .devices_page(&caller.user_id, &request.page)
                .await
                .map_err(PageFailure::Store)?;
            let next_cursor = self
                .finish_page(listing, &caller, &request, &mut records, |record| PageKey {
                    at: record.last_seen.timestamp_millis(),
                    id: record.id.clone(),
                })
                .await
                .map_err(PageFailure::Store)?;
            let devices = records
                .into_iter()
                .map(|record| device_model(record, now))
                .collect::<Result<Vec<_>, _>>()
                .map_err(PageFailure::Store)?;
            Ok(DevicesResponse {
                success: true,
                devices,
                next_cursor,
            })
        };
        match devices.await {
            Ok(body) => Response::Ok(body),
            Err(PageFailure::InvalidCursor) => {
                ApiError::BadRequest(ErrorResponse::new(INVALID_CURSOR)).into()
            }
            Err(PageFailure::Store(err)) => {
                store_failed(Operation::GetDevices, &err, Response::InternalServerError)
            }
        }
    }

    async fn trust_device(
        &self,
        caller: Caller,
        body: TrustDeviceRequest,
    ) -> operations::TrustDeviceResponse {
        use operations::TrustDeviceResponse as Response;
        // Millisecond precision, as stored, so the answer equals what later reads show.
        let until = Utc::now()
            .checked_add_signed(self.policy.trust_period)
            .and_then(|until| until.duration_trunc(chrono::Duration::milliseconds(1)).ok());
        let Some(until) = until else {
            tracing::error!(
                operation = Operation::TrustDevice.id(),
                "the trust period overflows the calendar"
            );
            return Response::InternalServerError(internal_error(
                Operation::TrustDevice,
                &"the trust period overflows the calendar",
            ));
        };
        match self
            .store
            .trust_device(caller.acting(), &body.fingerprint, until, Utc::now())
            .await
        {
            Ok(true) => Response::Ok(sessions_api::models::TrustDeviceResponse {
                success: true,
                message: "Device trusted successfully".to_owned(),
                trust_expires_at: until,
            }),
            Ok(false) => Response::NotFound(ErrorResponse::new(DEVICE_NOT_FOUND)),
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(Operation::TrustDevice, &err, Response::InternalServerError),
        }
    }

    async fn get_device_details(
        &self,
        caller: Caller,
        id: String,
    ) -> operations::GetDeviceDetailsResponse {
        use operations::GetDeviceDetailsResponse as Response;
        let now = Utc::now();
        let details = async {
            let Some(device) = self.store.device(&caller.user_id, &id).await? else {
                return Ok(None);
            };
            let sessions = self
                .store
                .active_sessions_of_device(&caller.user_id, &id, now)
                .await?;
            device_details_model(device, sessions, now).map(Some)
        };
        match details.await {
            Ok(Some(device)) => Response::Ok(DeviceDetailsResponse {
                success: true,
                device,
            }),
            Ok(None) => Response::NotFound(ErrorResponse::new(DEVICE_NOT_FOUND)),
            Err(err) => store_failed(
                Operation::GetDeviceDetails,
                &err,
                Response::InternalServerError,
            ),
        }
    }

    async fn remove_device(&self, caller: Caller, id: String) -> operations::RemoveDeviceResponse {
        use operations::RemoveDeviceResponse as Response;
        match self
            .store
            .remove_device(caller.acting(), &id, Utc::now())
            .await
        {
            Ok(true) => Response::Ok(message("Device removed successfully")),
            Ok(false) => Response::NotFound(ErrorResponse::new(DEVICE_NOT_FOUND)),
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(Operation::RemoveDevice, &err, Response::InternalServerError),
        }
    }

    async fn untrust_device(
        &self,
        caller: Caller,
        id: String,
    ) -> operations::UntrustDeviceResponse {
        use operations::UntrustDeviceResponse as Response;
        match self
            .store
            .untrust_device(caller.acting(), &id, Utc::now())
            .await
        {
            Ok(true) => Response::Ok(message("Device untrusted successfully")),
            Ok(false) => Response::NotFound(ErrorResponse::new(DEVICE_NOT_FOUND)),
            Err(StoreError::SessionEnded) => session_ended().into(),
            Err(err) => store_failed(
                Operation::UntrustDevice,
                &err,
                Response::InternalServerError,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// Made-up tokens create no limiter state: a flood of distinct ones from one client leaves
    /// one key (its network) however long it goes on.
    #[tokio::test]
    async fn a_flood_of_made_up_tokens_leaves_one_limiter_key_per_client_network() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("sessions.db").display());
        let store = Arc::new(SqliteStore::connect(&url).await.unwrap());
        let service = SessionService::new(store, Policy::default());
        let peer: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
        let mut refused = 0;
        for guess in 0..2_000 {
            let (parts, ()) = axum::http::Request::get("/sessions")
                .header(
                    axum::http::header::AUTHORIZATION,
                    format!("Bearer made-up-{guess}"),
                )
                .extension(axum::extract::ConnectInfo(peer))
                .body(())
                .unwrap()
                .into_parts();
            let request = RequestHead::new(Operation::GetSessions, &parts);
            match service.authenticate(request).await {
                Err(ApiError::Unauthorized { .. } | ApiError::TooManyRequests { .. }) => {
                    refused += 1;
                }
                other => panic!("a made-up token: {other:?}"),
            }
        }
        assert_eq!(refused, 2_000);
        let limiter = service.limiter.as_ref().expect("limits are on by default");
        assert_eq!(limiter.keys(), 1, "one client network, no token");
    }

    /// A caller whose session is revoked between authentication and the write gets the 401 of
    /// a refused token, and nothing is written.
    #[tokio::test]
    async fn a_write_whose_caller_session_ended_meanwhile_answers_401() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("sessions.db").display());
        let store = Arc::new(SqliteStore::connect(&url).await.unwrap());
        let (caller, _) = crate::issue::issue_token(
            store.as_ref(),
            crate::issue::SessionRequest {
                user_id: "alice".to_owned(),
                device_fingerprint: "laptop".to_owned(),
                device: crate::store::DeviceInfo {
                    name: "Laptop".to_owned(),
                    device_type: "DESKTOP".to_owned(),
                    os: "os".to_owned(),
                    browser: "browser".to_owned(),
                    user_agent: "agent".to_owned(),
                    country: "PT".to_owned(),
                    city: "Lisbon".to_owned(),
                },
                ip_address: "192.0.2.1".to_owned(),
                location: "Lisbon".to_owned(),
                login_method: "password".to_owned(),
                lifetime: std::time::Duration::from_secs(3600),
                max_active_sessions: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
        let service = SessionService::new(store.clone(), Policy::default());
        let authenticated = Caller {
            user_id: caller.user_id.clone(),
            session_id: caller.id.clone(),
        };
        // The revoke lands after authentication, before the write.
        let acting = authenticated.acting();
        assert!(
            store
                .revoke_session(acting, &caller.id, Utc::now())
                .await
                .unwrap()
        );
        let answer = service
            .session_heartbeat(authenticated, caller.id.clone())
            .await;
        assert!(
            matches!(
                answer,
                operations::SessionHeartbeatResponse::Error(ApiError::Unauthorized { ref body, .. })
                    if body.error == INVALID_TOKEN
            ),
            "{answer:?}"
        );
    }
}
