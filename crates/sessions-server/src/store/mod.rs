//! Persistence behind a trait, so the service does not care which database holds the rows.
//! Every method that names a session or a device also takes the user it must belong to:
//! ownership is enforced in the query itself, never after the fact. Every write made for a
//! caller also takes its session ([`Acting`]), and writes only while that session is active.

mod postgres;
mod rows;
pub mod sql;
mod sqlite;
mod through_sqlx;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The most sessions `GET /devices/{id}` lists (the spec says so); `GET /sessions` pages them all.
pub const DEVICE_SESSIONS_SHOWN: usize = 100;

/// A database failure. Its text is for logs only, never for a response.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    CorruptRow(String),
    #[error("unsupported database URL: use sqlite://… or postgres://…")]
    UnsupportedUrl,
    /// A write's transaction did not commit: nothing of it was written. `unavailable` when the
    /// cause was the database's (locked past the busy timeout, full, read-only, an I/O error),
    /// not the write's.
    #[error("the transaction did not commit: {why}")]
    CommitFailed { why: String, unavailable: bool },
    /// The store was closed (the service is shutting down).
    #[error("the store is closed")]
    Closed,
    /// The database can be read but not written (a read-only file, a read-only replica).
    #[error("the database cannot be written: {0}")]
    NotWritable(String),
    /// The acting session was revoked or expired before the write: nothing was written.
    #[error("the acting session ended before the write")]
    SessionEnded,
}

impl StoreError {
    /// Whether the database is away or takes no writes, rather than the request or the data
    /// being at fault: the client may retry later (503), nothing was done.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Closed | Self::NotWritable(_) => true,
            Self::CommitFailed { unavailable, .. } => *unavailable,
            Self::Database(error) => match error {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_) => true,
                // Class 08: connection exceptions; 57P01-03: the server is shutting down or
                // starting; 25006: a read-only transaction (a standby).
                sqlx::Error::Database(error) => error.code().is_some_and(|code| {
                    code.starts_with("08")
                        || matches!(&*code, "57P01" | "57P02" | "57P03" | "25006")
                }),
                _ => false,
            },
            Self::Sqlite(error) => sqlite_unavailable(error),
            _ => false,
        }
    }
}

/// Whether SQLite failed for the database's sake (read-only, cannot open, full, locked past the
/// busy timeout, an I/O error) rather than the statement's.
pub(crate) fn sqlite_unavailable(error: &rusqlite::Error) -> bool {
    match error {
        rusqlite::Error::SqliteFailure(error, _) => matches!(
            error.code,
            rusqlite::ErrorCode::ReadOnly
                | rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::DiskFull
                | rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::SystemIoFailure
        ),
        _ => false,
    }
}

/// The session a write is made by. Every write checks, in its own statement, that this session
/// is still active, so a revoke that commits first wins over a write already on its way.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub user_id: &'a str,
    pub session_id: &'a str,
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

/// How far a device is trusted, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredTrust {
    /// Never trusted.
    Unknown,
    /// Trusted until the time given (which may have passed).
    High { until: DateTime<Utc> },
    /// Trust withdrawn.
    Low,
}

/// A device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub user_id: String,
    pub fingerprint: String,
    pub info: DeviceInfo,
    pub ip_address: String,
    pub trust: StoredTrust,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// What a client tells of its device when a session opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    /// `DESKTOP`, `MOBILE` or `TABLET`.
    pub device_type: String,
    pub os: String,
    pub browser: String,
    pub user_agent: String,
    pub country: String,
    pub city: String,
}

/// Everything needed to open a session. The user and the device are created when new; a device
/// is identified by its fingerprint within its user, and takes the newest details it is seen with.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: String,
    pub device_fingerprint: String,
    pub device: DeviceInfo,
    pub token_hash: [u8; 32],
    pub ip_address: String,
    pub location: String,
    pub login_method: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The most active sessions the user may hold, this one included; the least recently
    /// active ones past it are revoked in the same transaction. `None`: no cap.
    pub max_active_sessions: Option<std::num::NonZeroU32>,
}

impl NewSession {
    /// The session as a later read reports it once stored under `id` on `device_id`: its times
    /// at the millisecond precision they are stored at.
    pub(crate) fn into_record(
        self,
        id: String,
        device_id: String,
    ) -> Result<SessionRecord, StoreError> {
        let started_at = rows::from_millis(rows::millis(self.started_at))?;
        Ok(SessionRecord {
            id,
            user_id: self.user_id,
            device_id,
            device_name: self.device.name,
            ip_address: self.ip_address,
            location: self.location,
            login_method: self.login_method,
            started_at,
            last_activity: started_at,
            expires_at: rows::from_millis(rows::millis(self.expires_at))?,
            revoked_at: None,
        })
    }
}

/// Logs the sessions a new one retired past the user's cap, whichever backend retired them.
pub(crate) fn log_retired(retired: u64, cap: std::num::NonZeroU32) {
    if retired > 0 {
        tracing::info!(
            retired,
            cap = cap.get(),
            "retired the user's least recently active sessions past the cap"
        );
    }
}

/// Where a listing stands: the sort key of its last row, newest first (`at`, in epoch
/// milliseconds: `last_activity` of a session, `last_seen` of a device), ties by `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    pub at: i64,
    pub id: String,
}

/// One slice of a listing: the rows after `after` in the listing's order, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub after: Option<PageKey>,
    pub limit: Option<u32>,
}

impl Page {
    /// Every row.
    pub const ALL: Self = Self {
        after: None,
        limit: None,
    };

    /// The bounds every backend binds: the key to start after (a key past every real row when
    /// starting at the top, so one statement serves both) and the row limit.
    fn bounds(&self) -> (i64, &str, i64) {
        let (at, id) = match &self.after {
            Some(key) => (key.at, key.id.as_str()),
            None => (i64::MAX, ""),
        };
        (at, id, self.limit.map_or(i64::MAX, i64::from))
    }
}

/// How a heartbeat moves a session's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// A heartbeat pushes the expiry to `now + sliding_ttl` (never earlier than it was) ...
    pub sliding_ttl: chrono::Duration,
    /// ... but never past `started_at + absolute_lifetime`.
    pub absolute_lifetime: chrono::Duration,
}

/// Who a token authenticates: its session, while that session is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub session_id: String,
    pub user_id: String,
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The session whose token hashes to `token_hash`, if it is active at `now`: what
    /// authentication needs, and nothing more.
    async fn token_owner(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError>;

    /// The session whose token hashes to `token_hash`, active or not.
    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// One page of the user's sessions that are active at `now`, most recent activity first.
    async fn active_sessions_page(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, StoreError>;

    /// All the user's sessions that are active at `now`, most recent activity first.
    async fn active_sessions(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.active_sessions_page(user_id, now, &Page::ALL).await
    }

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

    /// Revokes one of the user's active sessions. False when there is no such active session.
    async fn revoke_session(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Revokes every session of the user active at `now`; returns how many.
    async fn revoke_all_sessions(
        &self,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Marks activity on one of the user's active sessions and extends its expiry under
    /// `policy`, atomically. Returns the new expiry, or `None` when there is no such active
    /// session (a revoked one is never brought back).
    async fn heartbeat(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
        policy: ExpiryPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// One page of the user's devices, most recently seen first.
    async fn devices_page(
        &self,
        user_id: &str,
        page: &Page,
    ) -> Result<Vec<DeviceRecord>, StoreError>;

    /// All the user's devices, most recently seen first.
    async fn devices(&self, user_id: &str) -> Result<Vec<DeviceRecord>, StoreError> {
        self.devices_page(user_id, &Page::ALL).await
    }

    /// Deletes up to `batch` sessions that were revoked, or expired, before `ended_before`;
    /// returns how many. The rows are found by a read first and deleted by id, so the write is
    /// short however large the table.
    async fn purge_ended_sessions(
        &self,
        ended_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes up to `batch` devices left without sessions and last seen before `seen_before`;
    /// returns how many. Found by a read, deleted by id, as sessions are.
    async fn purge_abandoned_devices(
        &self,
        seen_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError>;

    /// Closes every connection, after the requests have drained: SQLite then checkpoints its
    /// write-ahead log, PostgreSQL ends its backends cleanly.
    async fn close(&self);

    /// Whether the database answers a read and would take a write, now: what `/readyz` asks.
    /// The write probe changes nothing.
    async fn probe(&self) -> Result<(), StoreError>;

    /// The key stored under `name`, shared by every instance on this database; `candidate` is
    /// stored first when there is none yet.
    async fn shared_key(&self, name: &str, candidate: [u8; 32]) -> Result<[u8; 32], StoreError>;

    /// One of the user's devices.
    async fn device(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError>;

    /// The sessions of one of the user's devices active at `now`, most recent activity first; at
    /// most [`DEVICE_SESSIONS_SHOWN`], so one answer stays small however many a device has.
    async fn active_sessions_of_device(
        &self,
        user_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError>;

    /// Trusts the user's device with `fingerprint` until `until`. False when there is none.
    async fn trust_device(
        &self,
        acting: Acting<'_>,
        fingerprint: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Withdraws the trust of one of the user's devices and revokes its active sessions, in one
    /// transaction. False when there is no such device.
    async fn untrust_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Deletes one of the user's devices with its sessions, whose tokens stop authenticating.
    /// False when there is no such device.
    async fn remove_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// Opens the backend `url` names: `sqlite://…` (the embedded default) or `postgres://…`.
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// What a database URL that cannot be parsed is shown as: nothing of it, since where its
/// password starts and ends cannot be told.
pub const UNPARSABLE_URL: &str = "<the database URL, not shown: it cannot be parsed>";

/// `url` with every password replaced by `***`, fit for logs and error messages: the userinfo's
/// password, and every query parameter whose key, once percent-decoded, names a password
/// (`password`, `sslpassword`, `pass%77ord`). Read with a real URL parser, so a password holding
/// `/`, `?`, `#` or `@` is never mistaken for the host or the path; a URL that does not parse is
/// not shown at all. A fragment is dropped: no driver reads one.
pub fn redact_password(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return UNPARSABLE_URL.to_owned();
    };
    if url.password().is_some() && url.set_password(Some("***")).is_err() {
        return UNPARSABLE_URL.to_owned();
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if !pairs.is_empty() {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (key, value) in &pairs {
            if key.to_ascii_lowercase().contains("password") {
                query.append_pair(key, "***");
            } else {
                query.append_pair(key, value);
            }
        }
    }
    url.set_fragment(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_password("postgres://app:s3cr%40t@db:5432/sessions?sslmode=require"),
            "postgres://app:***@db:5432/sessions?sslmode=require"
        );
        assert_eq!(
            redact_password("postgres://app@db/sessions"),
            "postgres://app@db/sessions"
        );
        assert_eq!(
            redact_password("sqlite://sessions.db"),
            "sqlite://sessions.db"
        );
        assert_eq!(redact_password("not a url"), super::UNPARSABLE_URL);
        assert_eq!(
            redact_password(
                "postgres://db/sessions?user=app&password=s3cret&sslpassword=k3y&sslmode=verify-full"
            ),
            "postgres://db/sessions?user=app&password=***&sslpassword=***&sslmode=verify-full"
        );
        // A password with `/`, `?` or `#` in it ends the authority for a naive split, and
        // leaked whole; a parser takes the URL apart as the driver does, or refuses it.
        for leaky in [
            "postgres://app:S3cr/3tPw@host/db",
            "postgres://app:S3cr?3tPw@host/db",
            "postgres://app:S3cr#3tPw@host/db",
        ] {
            let shown = redact_password(leaky);
            assert!(!shown.contains("3tPw"), "{leaky} shown as {shown}");
        }
        // Encoded, they are a URL, and only the password is masked.
        assert_eq!(
            redact_password("postgres://app:S3cr%2F3t%3FPw%23@host:5432/db"),
            "postgres://app:***@host:5432/db"
        );
        // A query key is judged once decoded, as the driver decodes it.
        let shown = redact_password("postgres://host/db?pass%77ord=S3cr3t&sslmode=require");
        assert!(!shown.contains("S3cr3t"), "{shown}");
        assert!(shown.contains("sslmode=require"), "{shown}");
        let shown = redact_password("postgres://host/db?SSLPassword=k3y#frag-S3cr3t");
        assert!(
            !shown.contains("k3y") && !shown.contains("S3cr3t"),
            "{shown}"
        );
    }
}
