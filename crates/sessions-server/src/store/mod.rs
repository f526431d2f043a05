//! Persistence behind a trait, so the service does not care which database holds the rows.

mod sqlite;

pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A database failure. Its text is for logs only, never for a response.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    CorruptRow(String),
}

/// A session as stored, joined with its device's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub device_id: String,
    pub device_name: String,
    pub ip_address: String,
    pub location: String,
    pub login_method: String,
    pub started_at: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SessionRecord {
    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Everything needed to open a session. The user and the device are created when new; a device
/// is identified by its fingerprint within its user.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: String,
    pub device_fingerprint: String,
    pub device_name: String,
    pub token_hash: [u8; 32],
    pub ip_address: String,
    pub location: String,
    pub login_method: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The session whose token hashes to `token_hash`, active or not.
    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// The user's sessions that are active at `now`, most recent activity first.
    async fn active_sessions(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError>;

    /// Opens a session, creating its user and device when they are new.
    async fn create_session(&self, session: NewSession) -> Result<SessionRecord, StoreError>;

    /// The user's session on the device with `fingerprint` that is active at `now`, if any.
    async fn active_session_on_device(
        &self,
        user_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Gives a session a new token; the old one stops authenticating at once.
    async fn replace_token(
        &self,
        session_id: &str,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError>;

    /// Revokes one session of `user_id`. Returns false when it is not the user's or not active.
    async fn revoke_session(
        &self,
        user_id: &str,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
