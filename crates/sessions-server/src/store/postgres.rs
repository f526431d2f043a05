//! The shared backend: PostgreSQL through sqlx, migrations applied at start, for several
//! instances behind one database. Nothing is cached in the process: every request reads the
//! database, so a revoke through one instance holds on the next request to any other.

use std::{str::FromStr as _, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{
    Row as _,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};

use super::{
    Acting, DeviceRecord, ExpiryPolicy, NewSession, Page, SessionRecord, Store, StoreError,
    TokenOwner,
    rows::{device_from_row, duration_millis, from_millis, millis, session_from_row},
    sql, through_sqlx,
};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`) and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        // A statement or an abandoned transaction never holds a connection (and its locks)
        // for long, whatever a request does.
        let options = PgConnectOptions::from_str(url)?.options([
            ("statement_timeout", "10s"),
            ("idle_in_transaction_session_timeout", "10s"),
        ]);
        // A second at most for a connection: past it the database counts as away, and the
        // client gets 503 with Retry-After rather than a long stall.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(1))
            .connect_with(options)
            .await?;
        let store = Self { pool };
        // A server that takes no writes (a standby) fails the start, as a read-only SQLite
        // file does, before the migrations would fail less clearly: never a service that
        // answers every write with an error.
        store.writable().await?;
        MIGRATIONS.run(&store.pool).await?;
        Ok(store)
    }

    /// Whether the server takes writes: not a hot standby, not `default_transaction_read_only`.
    async fn writable(&self) -> Result<(), StoreError> {
        let read_only: String =
            sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                .fetch_one(&self.pool)
                .await?;
        if read_only == "on" {
            return Err(StoreError::NotWritable(
                "the PostgreSQL server takes no writes (a standby, or read-only transactions)"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The pool, for tests that need to reach under the service.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// How often a transaction PostgreSQL aborted to break a deadlock or a serialization conflict is
/// tried again. Writes that lock a device and its sessions (heartbeat, untrust, remove) can meet
/// in opposite orders; PostgreSQL then aborts one of them, which is safe to repeat.
const RETRIES: usize = 3;

/// A write's own check that its acting session is still active (`$1` now, `$2` the user, `$3`
/// the acting session). `FOR SHARE` makes a concurrent revoke of that session wait for this
/// write, or this write wait for the revoke and then find the session ended: whichever commits
/// first wins.
macro_rules! while_acting {
    () => {
        "EXISTS (SELECT 1 FROM sessions AS acting WHERE acting.id = $3 AND acting.user_id = $2 \
             AND acting.revoked_at IS NULL AND acting.expires_at > $1 FOR SHARE)"
    };
}

async fn retrying<T, F, Attempt>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Attempt,
    Attempt: Future<Output = Result<T, StoreError>>,
{
    for _ in 0..RETRIES {
        match attempt().await {
            Err(StoreError::Database(sqlx::Error::Database(error)))
                if matches!(error.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::warn!(code = ?error.code(), "transaction aborted by PostgreSQL; retrying");
            }
            outcome => return outcome,
        }
    }
    attempt().await
}

impl PostgresStore {
    async fn create_session_once(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        let started = millis(session.started_at);
        let expires = millis(session.expires_at);
        let device = &session.device;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&session.user_id)
        .bind(started)
        .execute(&mut *tx)
        .await?;
        // A known device keeps its id and trust, and takes the newest details it is seen with.
        let device_id: String = sqlx::query_scalar(
            "INSERT INTO devices (id, user_id, fingerprint, device_name, device_type, os, browser, \
                 user_agent, ip_address, country, city, created_at, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (user_id, fingerprint) DO UPDATE SET \
                 device_name = excluded.device_name, device_type = excluded.device_type, \
                 os = excluded.os, browser = excluded.browser, user_agent = excluded.user_agent, \
                 ip_address = excluded.ip_address, country = excluded.country, city = excluded.city, \
                 last_seen = GREATEST(devices.last_seen, excluded.last_seen) \
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
        .fetch_one(&mut *tx)
        .await?;
        let session_id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO sessions (id, user_id, device_id, token_hash, ip_address, location, \
                 login_method, started_at, last_activity, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        )
        .bind(&session_id)
        .bind(&session.user_id)
        .bind(&device_id)
        .bind(&session.token_hash[..])
        .bind(&session.ip_address)
        .bind(&session.location)
        .bind(&session.login_method)
        .bind(started)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        if let Some(cap) = session.max_active_sessions {
            // The least recently active sessions past the cap are retired with the opening.
            let retired = sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE id IN (\
                 SELECT id FROM sessions \
                 WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND id <> $3 \
                 ORDER BY last_activity DESC, id OFFSET $4)",
            )
            .bind(started)
            .bind(&session.user_id)
            .bind(&session_id)
            .bind(i64::from(cap.get()) - 1)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            crate::store::log_retired(retired, cap);
        }
        tx.commit().await?;
        session.into_record(session_id, device_id)
    }

    async fn revoke_all_sessions_once(
        &self,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = $1 \
             WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND ",
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

    async fn heartbeat_once(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
        policy: ExpiryPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at = millis(now);
        let mut tx = self.pool.begin().await?;
        // One statement decides and writes. Under READ COMMITTED a concurrent revoke either
        // commits first (PostgreSQL re-checks the WHERE on the new row and matches nothing) or
        // waits for this one and revokes the extended session: never a resurrection.
        let row = sqlx::query(concat!(
            "UPDATE sessions SET last_activity = GREATEST(last_activity, $1), \
                 expires_at = GREATEST(expires_at, LEAST($1 + $4, started_at + $5)) \
             WHERE id = $6 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND ",
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
        sqlx::query("UPDATE devices SET last_seen = GREATEST(last_seen, $1) WHERE id = $2")
            .bind(at)
            .bind(&device_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(from_millis(row.try_get("expires_at")?)?))
    }

    async fn untrust_device_once(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(concat!(
            "UPDATE devices SET trust_level = 'LOW', trust_expires_at = NULL \
             WHERE id = $4 AND user_id = $2 AND ",
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
            "UPDATE sessions SET revoked_at = $1 \
             WHERE device_id = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(millis(now))
        .bind(device_id)
        .bind(acting.user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn remove_device_once(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Its sessions go with it (ON DELETE CASCADE), so their tokens find nothing any more.
        let result = sqlx::query(concat!(
            "DELETE FROM devices WHERE id = $4 AND user_id = $2 AND ",
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

    async fn revoke_session_once(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(concat!(
            "UPDATE sessions SET revoked_at = $1 \
             WHERE id = $4 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND ",
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

    async fn trust_device_once(
        &self,
        acting: Acting<'_>,
        fingerprint: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(concat!(
            "UPDATE devices SET trust_level = 'HIGH', trust_expires_at = $4 \
             WHERE user_id = $2 AND fingerprint = $5 AND ",
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
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
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
}

#[async_trait]
impl Store for PostgresStore {
    async fn token_owner(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(sql::ACTIVE_SESSION_BY_TOKEN_HASH)
            .bind(&token_hash[..])
            .bind(millis(now))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(session_id, user_id)| TokenOwner {
            session_id,
            user_id,
        }))
    }

    async fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(sql::SESSION_BY_TOKEN_HASH)
            .bind(&token_hash[..])
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn active_sessions_page(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let (after_at, after_id, limit) = page.bounds();
        let rows = sqlx::query(sql::ACTIVE_SESSIONS_PAGE)
            .bind(user_id)
            .bind(millis(now))
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    async fn create_session(&self, session: NewSession) -> Result<SessionRecord, StoreError> {
        retrying(|| self.create_session_once(session.clone())).await
    }

    async fn active_session_on_device(
        &self,
        user_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(sql::ACTIVE_SESSION_ON_DEVICE)
            .bind(user_id)
            .bind(fingerprint)
            .bind(millis(now))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn replace_token(
        &self,
        session_id: &str,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE sessions SET token_hash = $1 WHERE id = $2")
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
        retrying(|| self.revoke_session_once(acting, session_id, now)).await
    }

    async fn revoke_all_sessions(
        &self,
        acting: Acting<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        retrying(|| self.revoke_all_sessions_once(acting, now)).await
    }

    async fn heartbeat(
        &self,
        acting: Acting<'_>,
        session_id: &str,
        now: DateTime<Utc>,
        policy: ExpiryPolicy,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        retrying(|| self.heartbeat_once(acting, session_id, now, policy)).await
    }

    async fn devices_page(
        &self,
        user_id: &str,
        page: &Page,
    ) -> Result<Vec<DeviceRecord>, StoreError> {
        let (after_at, after_id, limit) = page.bounds();
        let rows = sqlx::query(sql::DEVICES_PAGE)
            .bind(user_id)
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn device(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let row = sqlx::query(sql::DEVICE)
            .bind(device_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn active_sessions_of_device(
        &self,
        user_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(sql::ACTIVE_SESSIONS_OF_DEVICE)
            .bind(user_id)
            .bind(device_id)
            .bind(millis(now))
            .bind(super::DEVICE_SESSIONS_SHOWN as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    async fn trust_device(
        &self,
        acting: Acting<'_>,
        fingerprint: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying(|| self.trust_device_once(acting, fingerprint, until, now)).await
    }

    async fn untrust_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying(|| self.untrust_device_once(acting, device_id, now)).await
    }

    async fn purge_ended_sessions(
        &self,
        ended_before: DateTime<Utc>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let ended =
            through_sqlx::ids_before(&self.pool, sql::ENDED_SESSION_IDS, ended_before, batch)
                .await?;
        if ended.is_empty() {
            return Ok(0);
        }
        let result = sqlx::query(
            "DELETE FROM sessions WHERE id = ANY($2) \
             AND ((revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1)",
        )
        .bind(millis(ended_before))
        .bind(&ended)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
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
        let result = sqlx::query(
            "DELETE FROM devices WHERE id = ANY($2) AND last_seen < $1 \
             AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.device_id = devices.id)",
        )
        .bind(millis(seen_before))
        .bind(&abandoned)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn shared_key(&self, name: &str, candidate: [u8; 32]) -> Result<[u8; 32], StoreError> {
        through_sqlx::shared_key(&self.pool, name, candidate).await
    }

    /// One round trip: a read, and whether this server would take a write (not a hot standby,
    /// not `default_transaction_read_only`).
    async fn probe(&self) -> Result<(), StoreError> {
        let read_only: String =
            sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                .fetch_one(&self.pool)
                .await?;
        if read_only == "on" {
            return Err(StoreError::NotWritable(
                "the server takes no writes (a standby, or read-only transactions)".to_owned(),
            ));
        }
        Ok(())
    }

    async fn remove_device(
        &self,
        acting: Acting<'_>,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying(|| self.remove_device_once(acting, device_id, now)).await
    }
}
