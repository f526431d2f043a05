//! The embedded default: SQLite in WAL mode, migrations applied at start. Writes go through
//! sqlx; reads through rusqlite, inline on the calling thread ([`reads`] says why).

mod reads;

use std::{str::FromStr as _, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{
    Row as _,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

use super::{
    Acting, DeviceRecord, ExpiryPolicy, NewSession, Page, SessionRecord, Store, StoreError,
    rows::{duration_millis, from_millis, millis},
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

/// Multi-statement writes take the write lock up front, so two of them never deadlock on a
/// read-to-write upgrade (which SQLite reports as busy without waiting).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// A write's own check that its acting session is still active (`?1` now, `?2` the user, `?3`
/// the acting session). SQLite runs one writer at a time, so the check and the write see the
/// same state: a revoke that committed first makes the write match nothing.
macro_rules! while_acting {
    () => {
        "EXISTS (SELECT 1 FROM sessions AS acting WHERE acting.id = ?3 AND acting.user_id = ?2 \
             AND acting.revoked_at IS NULL AND acting.expires_at > ?1)"
    };
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    readers: reads::Readers,
}

impl SqliteStore {
    /// A write's outcome: done, or matched nothing, because its target is not there (false) or
    /// because its acting session had ended (an error, whatever the target).
    async fn written(
        &self,
        done: bool,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if done {
            return Ok(true);
        }
        let active = sqlx::query(
            "SELECT 1 FROM sessions \
             WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(acting.session_id)
        .bind(acting.user_id)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        match active {
            Some(_) => Ok(false),
            None => Err(StoreError::SessionEnded),
        }
    }

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
        let started = millis(session.started_at);
        let expires = millis(session.expires_at);
        let device = &session.device;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        sqlx::query("INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(&session.user_id)
            .bind(started)
            .execute(&mut *tx)
            .await?;
        // A known device keeps its id and trust, and takes the newest details it is seen with.
        let device_id: String = sqlx::query_scalar(
            "INSERT INTO devices (id, user_id, fingerprint, device_name, device_type, os, browser, \
                 user_agent, ip_address, country, city, created_at, last_seen) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (user_id, fingerprint) DO UPDATE SET \
                 device_name = excluded.device_name, device_type = excluded.device_type, \
                 os = excluded.os, browser = excluded.browser, user_agent = excluded.user_agent, \
                 ip_address = excluded.ip_address, country = excluded.country, city = excluded.city, \
                 last_seen = MAX(devices.last_seen, excluded.last_seen) \
             RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&session.user_id)
        .bind(&session.device_fingerprint)
        .bind(&device.name)
        .bind(&device.device_type)
        .bind(&device.os)
        .bind(&device.browser)
        .bind(&device.user_agent)
        .bind(&session.ip_address)
        .bind(&device.country)
        .bind(&device.city)
        .bind(started)
        .bind(started)
        .fetch_one(&mut *tx)
        .await?;
        let session_id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO sessions (id, user_id, device_id, token_hash, ip_address, location, \
                 login_method, started_at, last_activity, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session_id)
        .bind(&session.user_id)
        .bind(&device_id)
        .bind(&session.token_hash[..])
        .bind(&session.ip_address)
        .bind(&session.location)
        .bind(&session.login_method)
        .bind(started)
        .bind(started)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        if let Some(cap) = session.max_active_sessions {
            // The least recently active sessions past the cap are retired with the opening.
            let retired = sqlx::query(
                "UPDATE sessions SET revoked_at = ?1 WHERE id IN (\
                 SELECT id FROM sessions \
                 WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND id <> ?3 \
                 ORDER BY last_activity DESC, id LIMIT -1 OFFSET ?4)",
            )
            .bind(started)
            .bind(&session.user_id)
            .bind(&session_id)
            .bind(i64::from(cap.get()) - 1)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if retired > 0 {
                tracing::info!(
                    retired,
                    cap = cap.get(),
                    "retired the user's least recently active sessions past the cap"
                );
            }
        }
        tx.commit().await?;
        // Report the times as stored (millisecond precision), as a later read would.
        let started_at = from_millis(started)?;
        Ok(SessionRecord {
            id: session_id,
            user_id: session.user_id,
            device_id,
            device_name: session.device.name,
            ip_address: session.ip_address,
            location: session.location,
            login_method: session.login_method,
            started_at,
            last_activity: started_at,
            expires_at: from_millis(expires)?,
            revoked_at: None,
        })
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
        let result = sqlx::query("UPDATE sessions SET token_hash = ? WHERE id = ?")
            .bind(&token_hash[..])
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_session(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = ?1 \
             WHERE id = ?4 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!()
        ))
        .bind(millis(now))
        .bind(acting.user_id)
        .bind(acting.session_id)
        .bind(session_id)
        .execute(&self.pool)
        .await?;
        self.written(result.rows_affected() == 1, acting, now).await
    }

    async fn revoke_all_sessions(
        &self,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = ?1 \
             WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!()
        ))
        .bind(millis(now))
        .bind(acting.user_id)
        .bind(acting.session_id)
        .execute(&self.pool)
        .await?;
        // The acting session is among those revoked: none means it had ended.
        let revoked = result.rows_affected();
        self.written(revoked > 0, acting, now).await?;
        Ok(revoked)
    }

    async fn heartbeat(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
        policy: ExpiryPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at = millis(now);
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // One statement decides and writes, so a concurrent revoke either lands first (and this
        // matches nothing) or after (and revokes the extended session): never a resurrection.
        let row = sqlx::query(concat!(
            "UPDATE sessions SET last_activity = MAX(last_activity, ?1), \
                 expires_at = MAX(expires_at, MIN(?1 + ?4, started_at + ?5)) \
             WHERE id = ?6 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!(),
            " RETURNING expires_at, device_id"
        ))
        .bind(at)
        .bind(acting.user_id)
        .bind(acting.session_id)
        .bind(duration_millis(policy.sliding_ttl))
        .bind(duration_millis(policy.absolute_lifetime))
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            self.written(false, acting, now).await?;
            return Ok(None);
        };
        let device_id: String = row.try_get("device_id")?;
        sqlx::query("UPDATE devices SET last_seen = MAX(last_seen, ?) WHERE id = ?")
            .bind(at)
            .bind(&device_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(from_millis(row.try_get("expires_at")?)?))
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
        let result = sqlx::query(concat!(
            "UPDATE devices SET trust_level = 'HIGH', trust_expires_at = ?4 \
             WHERE user_id = ?2 AND fingerprint = ?5 AND ",
            while_acting!()
        ))
        .bind(millis(now))
        .bind(acting.user_id)
        .bind(acting.session_id)
        .bind(millis(until))
        .bind(fingerprint)
        .execute(&self.pool)
        .await?;
        self.written(result.rows_affected() == 1, acting, now).await
    }

    async fn untrust_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let updated = sqlx::query(concat!(
            "UPDATE devices SET trust_level = 'LOW', trust_expires_at = NULL \
             WHERE id = ?4 AND user_id = ?2 AND ",
            while_acting!()
        ))
        .bind(millis(now))
        .bind(acting.user_id)
        .bind(acting.session_id)
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            drop(tx);
            return self.written(false, acting, now).await;
        }
        sqlx::query(
            "UPDATE sessions SET revoked_at = ? \
             WHERE device_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(millis(now))
        .bind(device_id)
        .bind(acting.user_id)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn purge_ended_sessions(
        &self,
        ended_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let ended: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sessions \
             WHERE (revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1 LIMIT ?2",
        )
        .bind(millis(ended_before))
        .bind(i64::from(batch))
        .fetch_all(&self.pool)
        .await?;
        if ended.is_empty() {
            return Ok(0);
        }
        let ids =
            serde_json::to_string(&ended).map_err(|err| StoreError::CorruptRow(err.to_string()))?;
        let result = sqlx::query(
            "DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?2)) \
             AND ((revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1)",
        )
        .bind(millis(ended_before))
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    async fn purge_abandoned_devices(
        &self,
        seen_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let abandoned: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM devices AS d WHERE last_seen < ?1 \
             AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.device_id = d.id) LIMIT ?2",
        )
        .bind(millis(seen_before))
        .bind(i64::from(batch))
        .fetch_all(&self.pool)
        .await?;
        if abandoned.is_empty() {
            return Ok(0);
        }
        let ids = serde_json::to_string(&abandoned)
            .map_err(|err| StoreError::CorruptRow(err.to_string()))?;
        let result = sqlx::query(
            "DELETE FROM devices WHERE id IN (SELECT value FROM json_each(?2)) AND last_seen < ?1 \
             AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.device_id = devices.id)",
        )
        .bind(millis(seen_before))
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    async fn close(&self) {
        // The readers first: the last connection to close checkpoints the log.
        self.readers.close();
        self.pool.close().await;
    }

    async fn shared_key(&self, name: &str, candidate: [u8; 32]) -> Result<[u8; 32], StoreError> {
        // Whichever instance stores first wins; every other one reads the winner's key.
        sqlx::query(
            "INSERT INTO shared_keys (name, key) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&candidate[..])
        .execute(&self.pool)
        .await?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM shared_keys WHERE name = ?")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        key.try_into()
            .map_err(|_| StoreError::CorruptRow(format!("shared key {name:?} is not 32 bytes")))
    }

    async fn remove_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Its sessions go with it (ON DELETE CASCADE), so their tokens find nothing any more.
        let result = sqlx::query(concat!(
            "DELETE FROM devices WHERE id = ?4 AND user_id = ?2 AND ",
            while_acting!()
        ))
        .bind(millis(now))
        .bind(acting.user_id)
        .bind(acting.session_id)
        .bind(device_id)
        .execute(&self.pool)
        .await?;
        self.written(result.rows_affected() == 1, acting, now).await
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

    /// An answered write is on disk: `synchronous=FULL` (2) on every connection, in WAL mode.
    #[tokio::test]
    async fn commits_are_synced_before_they_are_answered() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("sessions.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(journal, "wal");
    }
}
