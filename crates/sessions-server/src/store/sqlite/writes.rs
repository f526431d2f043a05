//! The statements of every write the service makes, run by the [`super::writer`] inside a group
//! transaction. Each checks, in its own statement, that the acting session is still active;
//! when a write matches nothing, the same transaction tells an ended session from a missing
//! target.

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::store::{
    Acting, ExpiryPolicy, NewSession, SessionRecord, StoreError,
    rows::{duration_millis, millis},
};

/// A write's own check that its acting session is still active (`?1` now, `?2` the user, `?3`
/// the acting session). One writer at a time: the check and the write see the same state, so
/// a revoke that committed first makes the write match nothing.
macro_rules! while_acting {
    () => {
        "EXISTS (SELECT 1 FROM sessions AS acting WHERE acting.id = ?3 AND acting.user_id = ?2 \
             AND acting.revoked_at IS NULL AND acting.expires_at > ?1)"
    };
}

/// [`Acting`], owned, to travel to the writer thread.
#[derive(Debug, Clone)]
pub(super) struct ActingSession {
    user_id: String,
    session_id: String,
}

impl From<Acting<'_>> for ActingSession {
    fn from(acting: Acting<'_>) -> Self {
        Self {
            user_id: acting.user_id.to_owned(),
            session_id: acting.session_id.to_owned(),
        }
    }
}

/// A write's outcome: done, or matched nothing, because its target is not there (false) or
/// because its acting session had ended (an error, whatever the target).
fn written(
    connection: &Connection,
    done: bool,
    acting: &ActingSession,
    now: i64,
) -> Result<bool, StoreError> {
    if done {
        return Ok(true);
    }
    let active = connection
        .prepare_cached(
            "SELECT 1 FROM sessions \
             WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        )?
        .query_row(params![acting.session_id, acting.user_id, now], |_| Ok(()))
        .optional()?;
    match active {
        Some(()) => Ok(false),
        None => Err(StoreError::SessionEnded),
    }
}

pub(super) fn create_session(
    connection: &Connection,
    session: NewSession,
) -> Result<SessionRecord, StoreError> {
    let started = millis(session.started_at);
    let expires = millis(session.expires_at);
    let device = &session.device;
    connection
        .prepare_cached(
            "INSERT INTO users (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![session.user_id, started])?;
    // A known device keeps its id and trust, and takes the newest details it is seen with.
    let device_id: String = connection
        .prepare_cached(
            "INSERT INTO devices (id, user_id, fingerprint, device_name, device_type, os, browser, \
                 user_agent, ip_address, country, city, created_at, last_seen) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) \
             ON CONFLICT (user_id, fingerprint) DO UPDATE SET \
                 device_name = excluded.device_name, device_type = excluded.device_type, \
                 os = excluded.os, browser = excluded.browser, user_agent = excluded.user_agent, \
                 ip_address = excluded.ip_address, country = excluded.country, city = excluded.city, \
                 last_seen = MAX(devices.last_seen, excluded.last_seen) \
             RETURNING id",
        )?
        .query_row(
            params![
                uuid::Uuid::new_v4().to_string(),
                session.user_id,
                session.device_fingerprint,
                device.name,
                device.device_type,
                device.os,
                device.browser,
                device.user_agent,
                session.ip_address,
                device.country,
                device.city,
                started,
            ],
            |row| row.get(0),
        )?;
    let session_id = uuid::Uuid::new_v4().to_string();
    connection
        .prepare_cached(
            "INSERT INTO sessions (id, user_id, device_id, token_hash, ip_address, location, \
                 login_method, started_at, last_activity, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        )?
        .execute(params![
            session_id,
            session.user_id,
            device_id,
            &session.token_hash[..],
            session.ip_address,
            session.location,
            session.login_method,
            started,
            expires,
        ])?;
    if let Some(cap) = session.max_active_sessions {
        // The least recently active sessions past the cap are retired with the opening.
        let retired = connection
            .prepare_cached(
                "UPDATE sessions SET revoked_at = ?1 WHERE id IN (\
                 SELECT id FROM sessions \
                 WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND id <> ?3 \
                 ORDER BY last_activity DESC, id LIMIT -1 OFFSET ?4)",
            )?
            .execute(params![
                started,
                session.user_id,
                session_id,
                i64::from(cap.get()) - 1
            ])?;
        crate::store::log_retired(retired as u64, cap);
    }
    session.into_record(session_id, device_id)
}

pub(super) fn replace_token(
    connection: &Connection,
    session_id: &str,
    token_hash: &[u8; 32],
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached("UPDATE sessions SET token_hash = ?1 WHERE id = ?2")?
        .execute(params![&token_hash[..], session_id])?;
    Ok(changed == 1)
}

pub(super) fn revoke_session(
    connection: &Connection,
    acting: &ActingSession,
    session_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(concat!(
            "UPDATE sessions SET revoked_at = ?1 \
             WHERE id = ?4 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!()
        ))?
        .execute(params![now, acting.user_id, acting.session_id, session_id])?;
    written(connection, changed == 1, acting, now)
}

pub(super) fn revoke_all_sessions(
    connection: &Connection,
    acting: &ActingSession,
    now: i64,
) -> Result<u64, StoreError> {
    let revoked = connection
        .prepare_cached(concat!(
            "UPDATE sessions SET revoked_at = ?1 \
             WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!()
        ))?
        .execute(params![now, acting.user_id, acting.session_id])?;
    // The acting session is among those revoked: none means it had ended.
    written(connection, revoked > 0, acting, now)?;
    Ok(revoked as u64)
}

pub(super) fn heartbeat(
    connection: &Connection,
    acting: &ActingSession,
    session_id: &str,
    now: i64,
    policy: ExpiryPolicy,
) -> Result<Option<i64>, StoreError> {
    // One statement decides and writes, so a revoke either landed first (and this matches
    // nothing) or lands after (and revokes the extended session): never a resurrection.
    let extended = connection
        .prepare_cached(concat!(
            "UPDATE sessions SET last_activity = MAX(last_activity, ?1), \
                 expires_at = MAX(expires_at, MIN(?1 + ?4, started_at + ?5)) \
             WHERE id = ?6 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1 AND ",
            while_acting!(),
            " RETURNING expires_at, device_id"
        ))?
        .query_row(
            params![
                now,
                acting.user_id,
                acting.session_id,
                duration_millis(policy.sliding_ttl),
                duration_millis(policy.absolute_lifetime),
                session_id,
            ],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((expires_at, device_id)) = extended else {
        written(connection, false, acting, now)?;
        return Ok(None);
    };
    connection
        .prepare_cached("UPDATE devices SET last_seen = MAX(last_seen, ?1) WHERE id = ?2")?
        .execute(params![now, device_id])?;
    Ok(Some(expires_at))
}

pub(super) fn trust_device(
    connection: &Connection,
    acting: &ActingSession,
    fingerprint: &str,
    until: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(concat!(
            "UPDATE devices SET trust_level = 'HIGH', trust_expires_at = ?4 \
             WHERE user_id = ?2 AND fingerprint = ?5 AND ",
            while_acting!()
        ))?
        .execute(params![
            now,
            acting.user_id,
            acting.session_id,
            until,
            fingerprint
        ])?;
    written(connection, changed == 1, acting, now)
}

pub(super) fn untrust_device(
    connection: &Connection,
    acting: &ActingSession,
    device_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = connection
        .prepare_cached(concat!(
            "UPDATE devices SET trust_level = 'LOW', trust_expires_at = NULL \
             WHERE id = ?4 AND user_id = ?2 AND ",
            while_acting!()
        ))?
        .execute(params![now, acting.user_id, acting.session_id, device_id])?;
    if !written(connection, changed == 1, acting, now)? {
        return Ok(false);
    }
    connection
        .prepare_cached(
            "UPDATE sessions SET revoked_at = ?1 \
             WHERE device_id = ?2 AND user_id = ?3 AND revoked_at IS NULL AND expires_at > ?1",
        )?
        .execute(params![now, device_id, acting.user_id])?;
    Ok(true)
}

pub(super) fn remove_device(
    connection: &Connection,
    acting: &ActingSession,
    device_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    // Its sessions go with it (ON DELETE CASCADE), so their tokens find nothing any more.
    let changed = connection
        .prepare_cached(concat!(
            "DELETE FROM devices WHERE id = ?4 AND user_id = ?2 AND ",
            while_acting!()
        ))?
        .execute(params![now, acting.user_id, acting.session_id, device_id])?;
    written(connection, changed == 1, acting, now)
}

/// The purge's deletes, by id (`ids` as found by [`crate::store::sql::ENDED_SESSION_IDS`]),
/// checked again against `ended_before`.
pub(super) fn delete_ended_sessions(
    connection: &Connection,
    ids: &[String],
    ended_before: i64,
) -> Result<u64, StoreError> {
    let deleted = connection
        .prepare_cached(
            "DELETE FROM sessions WHERE id IN (SELECT value FROM json_each(?2)) \
             AND ((revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1)",
        )?
        .execute(params![ended_before, json_array(ids)?])?;
    Ok(deleted as u64)
}

/// Deletes the devices `ids` that are still without sessions and unseen since `seen_before`.
pub(super) fn delete_abandoned_devices(
    connection: &Connection,
    ids: &[String],
    seen_before: i64,
) -> Result<u64, StoreError> {
    let deleted = connection
        .prepare_cached(
            "DELETE FROM devices WHERE id IN (SELECT value FROM json_each(?2)) AND last_seen < ?1 \
             AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.device_id = devices.id)",
        )?
        .execute(params![seen_before, json_array(ids)?])?;
    Ok(deleted as u64)
}

/// A list of ids as one bound value, for `json_each`.
fn json_array(ids: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(ids).map_err(|err| StoreError::CorruptRow(err.to_string()))
}
