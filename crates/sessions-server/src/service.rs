//! The service: the generated [`SessionsApi`] trait implemented over a [`Store`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use sessions_api::{
    BearerAuth, SessionsApi,
    models::{ErrorResponse, Session, SessionsResponse},
    operations::GetSessionsResponse,
};

use crate::{
    store::{SessionRecord, Store, StoreError},
    token,
};

/// The 401 message for a token that is missing.
pub const MISSING_TOKEN: &str = "Missing bearer token";
/// The 401 message for an `Authorization` header that is not a bearer token.
pub const MALFORMED_TOKEN: &str = "Malformed bearer token";
/// The 401 message for a token that is unknown, expired or revoked: one text, so a caller
/// cannot tell which.
pub const INVALID_TOKEN: &str = "Invalid or expired token";

/// The documented 500 message of `GET /sessions`.
pub const GET_SESSIONS_FAILED: &str = "Failed to retrieve sessions";

/// Who is calling: the owner of an active session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub session_id: String,
}

/// Why a request did not authenticate.
#[derive(Debug)]
enum AuthFailure {
    Unauthorized(&'static str),
    Store(StoreError),
}

#[derive(Debug)]
pub struct SessionService {
    store: Arc<dyn Store>,
}

impl SessionService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Only a token whose session is active authenticates.
    async fn authenticate(&self, auth: BearerAuth) -> Result<Caller, AuthFailure> {
        let token = match auth {
            BearerAuth::Missing => return Err(AuthFailure::Unauthorized(MISSING_TOKEN)),
            BearerAuth::Malformed => return Err(AuthFailure::Unauthorized(MALFORMED_TOKEN)),
            BearerAuth::Token(token) => token,
        };
        let session = self
            .store
            .session_by_token_hash(&token::hash(&token))
            .await
            .map_err(AuthFailure::Store)?;
        match session {
            Some(session) if session.is_active(Utc::now()) => Ok(Caller {
                user_id: session.user_id,
                session_id: session.id,
            }),
            _ => Err(AuthFailure::Unauthorized(INVALID_TOKEN)),
        }
    }
}

fn error_body(message: &str) -> ErrorResponse {
    ErrorResponse {
        success: false,
        error: message.to_owned(),
    }
}

/// Logs an internal failure with its cause and returns the operation's documented message.
fn internal(operation: &str, err: &StoreError, message: &str) -> ErrorResponse {
    tracing::error!(operation, error = %err, "request failed");
    error_body(message)
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

#[async_trait]
impl SessionsApi for SessionService {
    async fn get_sessions(&self, auth: BearerAuth) -> GetSessionsResponse {
        const OPERATION: &str = "getSessions";
        let caller = match self.authenticate(auth).await {
            Ok(caller) => caller,
            Err(AuthFailure::Unauthorized(message)) => {
                return GetSessionsResponse::Unauthorized(error_body(message));
            }
            Err(AuthFailure::Store(err)) => {
                return GetSessionsResponse::InternalServerError(internal(
                    OPERATION,
                    &err,
                    GET_SESSIONS_FAILED,
                ));
            }
        };
        match self
            .store
            .active_sessions(&caller.user_id, Utc::now())
            .await
        {
            Ok(records) => GetSessionsResponse::Ok(SessionsResponse {
                success: true,
                sessions: records.into_iter().map(session_model).collect(),
            }),
            Err(err) => GetSessionsResponse::InternalServerError(internal(
                OPERATION,
                &err,
                GET_SESSIONS_FAILED,
            )),
        }
    }
}
