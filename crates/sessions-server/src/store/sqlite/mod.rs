//! The embedded default: SQLite in WAL mode, migrations applied at start (sqlx). Reads run
//! through rusqlite inline on the calling thread ([`reads`] says why); the service's writes
//! through rusqlite on one writer thread that commits them in groups ([`writer`]). sqlx keeps
//! the migrations, the purge's scans and the shared key.

mod reads;
mod writer;
mod writes;

use std::{str::FromStr as _, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use writes::ActingSession;

use super::{
    Acting, DeviceRecord, ExpiryPolicy, NewSession, Page, SessionRecord, Store, StoreError,
    TokenOwner,
    rows::{from_millis, millis},
    sql, through_sqlx,
};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Creates the database file readable and writable by its owner only (0600) when it does not
/// exist yet: it holds every session's token hash. SQLite gives its `-wal` and `-shm` files the
/// same permissions.
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" || path.exists() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .or_else(|err| match err.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(StoreError::Database(sqlx::Error::Io(err))),
        })
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    readers: reads::Readers,
    writer: writer::Writer,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`, e.g. `sqlite://sessions.db`, and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?;
        let path = options.get_filename().to_owned();
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            // Readers open the file by its path: an in-memory database has none to share.
            return Err(StoreError::UnsupportedUrl);
        }
        create_private(&path)?;
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before its answer leaves, so an acknowledged revocation
            // survives a power loss too (NORMAL in WAL mode survives only a process crash).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATIONS.run(&pool).await?;
        Ok(Self {
            pool,
            writer: writer::Writer::start(&path)?,
            readers: reads::Readers::new(path),
        })
    }

    /// A `PRAGMA` (`cache_size`, `mmap_size`, …) as the connections that serve reads see it.
    pub fn read_pragma(&self, name: &str) -> Result<i64, StoreError> {
        self.readers.pragma(name)
    }

    /// The pool, for tests that need to reach under the service.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn token_owner(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError> {
        self.readers.token_owner(token_hash, now)
    }

    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.readers.session_by_token_hash(token_hash)
    }

    async fn active_sessions_page(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.readers.active_sessions_page(user_id, now, page)
    }

    async fn create_session(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        self.writer
            .write(move |connection| writes::create_session(connection, session))
            .await
    }

    async fn active_session_on_device(
        &self,
        user_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.readers
            .active_session_on_device(user_id, fingerprint, now)
    }

    async fn replace_token(
        &self,
        session_id: &str,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let (session_id, token_hash) = (session_id.to_owned(), *token_hash);
        self.writer
            .write(move |connection| writes::replace_token(connection, &session_id, &token_hash))
            .await
    }

    async fn revoke_session(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (acting, session_id) = (ActingSession::from(acting), session_id.to_owned());
        self.writer
            .write(move |connection| {
                writes::revoke_session(connection, &acting, &session_id, millis(now))
            })
            .await
    }

    async fn revoke_all_sessions(
        &self,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let acting = ActingSession::from(acting);
        self.writer
            .write(move |connection| writes::revoke_all_sessions(connection, &acting, millis(now)))
            .await
    }

    async fn heartbeat(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
        policy: ExpiryPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (acting, session_id) = (ActingSession::from(acting), session_id.to_owned());
        let expires_at = self
            .writer
            .write(move |connection| {
                writes::heartbeat(connection, &acting, &session_id, millis(now), policy)
            })
            .await?;
        expires_at.map(from_millis).transpose()
    }

    async fn devices_page(
        &self,
        user_id: &str,
        page: &Page,
    ) -> Result<Vec<DeviceRecord>, StoreError> {
        self.readers.devices_page(user_id, page)
    }

    async fn device(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        self.readers.device(user_id, device_id)
    }

    async fn active_sessions_of_device(
        &self,
        user_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.readers.active_sessions_of_device(
            user_id,
            device_id,
            now,
            super::DEVICE_SESSIONS_SHOWN,
        )
    }

    async fn trust_device(
        &self,
        acting: Acting<'_>,
        fingerprint: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (acting, fingerprint) = (ActingSession::from(acting), fingerprint.to_owned());
        self.writer
            .write(move |connection| {
                writes::trust_device(
                    connection,
                    &acting,
                    &fingerprint,
                    millis(until),
                    millis(now),
                )
            })
            .await
    }

    async fn untrust_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (acting, device_id) = (ActingSession::from(acting), device_id.to_owned());
        self.writer
            .write(move |connection| {
                writes::untrust_device(connection, &acting, &device_id, millis(now))
            })
            .await
    }

    async fn purge_ended_sessions(
        &self,
        ended_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        // Found by a read on sqlx's own thread (a scan must not hold a runtime thread, nor the
        // writer), deleted by id through the writer like every other write.
        let ended =
            through_sqlx::ids_before(&self.pool, sql::ENDED_SESSION_IDS, ended_before, batch)
                .await?;
        if ended.is_empty() {
            return Ok(0);
        }
        self.writer
            .write(move |connection| {
                writes::delete_ended_sessions(connection, &ended, millis(ended_before))
            })
            .await
    }

    async fn purge_abandoned_devices(
        &self,
        seen_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let abandoned =
            through_sqlx::ids_before(&self.pool, sql::ABANDONED_DEVICE_IDS, seen_before, batch)
                .await?;
        if abandoned.is_empty() {
            return Ok(0);
        }
        self.writer
            .write(move |connection| {
                writes::delete_abandoned_devices(connection, &abandoned, millis(seen_before))
            })
            .await
    }

    async fn close(&self) {
        // The readers and the writer first: the last connection to close checkpoints the log.
        self.readers.close();
        self.writer.close().await;
        self.pool.close().await;
    }

    async fn shared_key(&self, name: &str, candidate: [u8; 32]) -> Result<[u8; 32], StoreError> {
        through_sqlx::shared_key(&self.pool, name, candidate).await
    }

    /// A read on a reader's connection, and, through the writer, the write lock taken (its
    /// group's `BEGIN IMMEDIATE`) on a connection that is not read-only.
    async fn probe(&self) -> Result<(), StoreError> {
        self.readers.pragma("schema_version")?;
        self.writer
            .write(|connection| {
                if connection.is_readonly(rusqlite::MAIN_DB)? {
                    return Err(StoreError::NotWritable("the file is read-only".to_owned()));
                }
                Ok(())
            })
            .await
    }

    async fn remove_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (acting, device_id) = (ActingSession::from(acting), device_id.to_owned());
        self.writer
            .write(move |connection| {
                writes::remove_device(connection, &acting, &device_id, millis(now))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[tokio::test]
    async fn a_new_database_file_is_private_to_its_owner() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("sessions.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        for file in ["sessions.db", "sessions.db-wal", "sessions.db-shm"] {
            let path = folder.path().join(file);
            if let Ok(metadata) = std::fs::metadata(&path) {
                assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "{file}");
            } else {
                assert_ne!(file, "sessions.db", "the database exists");
            }
        }
        drop(store);
    }

    /// An answered write is on disk: `synchronous=FULL` (2) in WAL mode, on the connection the
    /// service's writes go through and on sqlx's (migrations, the purge, the shared key).
    #[tokio::test]
    async fn commits_are_synced_before_they_are_answered() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("sessions.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let (synchronous, journal) = store
            .writer
            .write(|connection| {
                let synchronous: i64 =
                    connection.pragma_query_value(None, "synchronous", |row| row.get(0))?;
                let journal: String =
                    connection.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
                Ok((synchronous, journal))
            })
            .await
            .unwrap();
        assert_eq!(
            (synchronous, journal),
            (2_i64, "wal".to_owned()),
            "the writer"
        );
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "sqlx's connections");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(journal, "wal");
    }
}
