//! SQLite reads through rusqlite, run on the calling thread.
//!
//! Why a second library: sqlx runs each SQLite connection on a thread of its own, so every
//! statement costs thread hops (a wake-up and a context switch each way), more than an indexed
//! read from the page cache itself costs. rusqlite calls SQLite directly, so a read runs inline
//! on the request's own thread, in microseconds. In WAL mode a reader never waits for a writer.
//! Writes go to one writer thread ([`super::writer`]): they wait for the disk
//! (`synchronous=FULL`), which must not hold a runtime thread. rusqlite and sqlx link the one
//! SQLite that `libsqlite3-sys` builds.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, config::DbConfig, params};

use crate::store::{
    DeviceInfo, DeviceRecord, Page, SessionRecord, StoreError, StoredTrust, TokenOwner,
    rows::{from_millis, millis},
    sql,
};

/// Idle connections kept for reuse; more are opened when more threads read at once.
const MAX_IDLE: usize = 16;

/// Read connections to one database file.
#[derive(Debug, Clone)]
pub(super) struct Readers {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Arc::default(),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(5))?;
        // Plans never depend on bound values: otherwise SQLite re-prepares a cached statement
        // whenever a value bound against an indexed column changes, which is every request
        // (the profile showed a third of the server's CPU in the parser).
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Reads only, with an 8 MiB page cache each. Not `mmap_size`: every connection's mapping
        // of the file counts in full towards the process's resident memory (+550 MiB in the
        // soak on a 1 GB database), for a few µs saved per page past the cache.
        connection.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -8192;")?;
        Ok(connection)
    }

    /// Runs `read` on an idle connection, or a new one. A connection that failed is dropped,
    /// so the next read opens a fresh one (after the file came back, say).
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().expect("never poisoned").pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let value = read(&connection)?;
        let mut idle = self.idle.lock().expect("never poisoned");
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
        Ok(value)
    }

    /// A `PRAGMA` as the read connections see it.
    pub(super) fn pragma(&self, name: &str) -> Result<i64, StoreError> {
        self.read(|connection| Ok(connection.pragma_query_value(None, name, |row| row.get(0))?))
    }

    /// Closes every idle connection.
    pub(super) fn close(&self) {
        self.idle.lock().expect("never poisoned").clear();
    }

    pub(super) fn token_owner(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError> {
        self.read(|connection| {
            Ok(connection
                .prepare_cached(sql::ACTIVE_SESSION_BY_TOKEN_HASH)?
                .query_row(params![&token_hash[..], millis(now)], |row| {
                    Ok(TokenOwner {
                        session_id: row.get(0)?,
                        user_id: row.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    pub(super) fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached(sql::SESSION_BY_TOKEN_HASH)?
                .query_row(params![&token_hash[..]], |row| Ok(session_from(row)))
                .optional()?
                .transpose()
        })
    }

    pub(super) fn active_sessions_page(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let (after_at, after_id, limit) = page.bounds();
        self.read(|connection| {
            connection
                .prepare_cached(sql::ACTIVE_SESSIONS_PAGE)?
                .query_map(
                    params![user_id, millis(now), after_at, after_id, limit],
                    |row| Ok(session_from(row)),
                )?
                .map(|row| row?)
                .collect()
        })
    }

    pub(super) fn active_session_on_device(
        &self,
        user_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached(sql::ACTIVE_SESSION_ON_DEVICE)?
                .query_row(params![user_id, fingerprint, millis(now)], |row| {
                    Ok(session_from(row))
                })
                .optional()?
                .transpose()
        })
    }

    pub(super) fn active_sessions_of_device(
        &self,
        user_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached(sql::ACTIVE_SESSIONS_OF_DEVICE)?
                .query_map(
                    params![user_id, device_id, millis(now), limit as i64],
                    |row| Ok(session_from(row)),
                )?
                .map(|row| row?)
                .collect()
        })
    }

    pub(super) fn devices_page(
        &self,
        user_id: &str,
        page: &Page,
    ) -> Result<Vec<DeviceRecord>, StoreError> {
        let (after_at, after_id, limit) = page.bounds();
        self.read(|connection| {
            connection
                .prepare_cached(sql::DEVICES_PAGE)?
                .query_map(params![user_id, after_at, after_id, limit], |row| {
                    Ok(device_from(row))
                })?
                .map(|row| row?)
                .collect()
        })
    }

    pub(super) fn device(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached(sql::DEVICE)?
                .query_row(params![device_id, user_id], |row| Ok(device_from(row)))
                .optional()?
                .transpose()
        })
    }
}

fn time(row: &Row<'_>, column: usize) -> Result<DateTime<Utc>, StoreError> {
    from_millis(row.get(column)?)
}

fn optional_time(row: &Row<'_>, column: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.get::<_, Option<i64>>(column)?
        .map(from_millis)
        .transpose()
}

/// A row of a [`sql`] sessions query.
fn session_from(row: &Row<'_>) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        device_id: row.get(2)?,
        device_name: row.get(3)?,
        ip_address: row.get(4)?,
        location: row.get(5)?,
        login_method: row.get(6)?,
        started_at: time(row, 7)?,
        last_activity: time(row, 8)?,
        expires_at: time(row, 9)?,
        revoked_at: optional_time(row, 10)?,
    })
}

/// A row of a [`sql`] devices query.
fn device_from(row: &Row<'_>) -> Result<DeviceRecord, StoreError> {
    let level: String = row.get(11)?;
    let trust = match (level.as_str(), optional_time(row, 12)?) {
        ("UNKNOWN", _) => StoredTrust::Unknown,
        ("LOW", _) => StoredTrust::Low,
        ("HIGH", Some(until)) => StoredTrust::High { until },
        _ => return Err(StoreError::CorruptRow(format!("trust level {level:?}"))),
    };
    Ok(DeviceRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        fingerprint: row.get(2)?,
        info: DeviceInfo {
            name: row.get(3)?,
            device_type: row.get(4)?,
            os: row.get(5)?,
            browser: row.get(6)?,
            user_agent: row.get(7)?,
            country: row.get(9)?,
            city: row.get(10)?,
        },
        ip_address: row.get(8)?,
        trust,
        created_at: time(row, 13)?,
        last_seen: time(row, 14)?,
    })
}
