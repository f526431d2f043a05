//! The benchmark's data set, written with bulk SQL in one transaction per call.
//!
//! Everything is derived from the user's index, so the load generator can recompute any user's
//! tokens without storing them: user `u` has [`DEVICES_PER_USER`] devices and
//! [`SESSIONS_PER_USER`] active sessions spread over them, each with its own bearer token. Token
//! hashes are computed by the service's own [`sessions_server::token::hash`], so they
//! authenticate exactly like issued tokens.

use std::{ops::Range, time::Duration};

use base64::Engine as _;
use sqlx::{PgPool, QueryBuilder, SqlitePool};

/// Active sessions of every user: what `GET /sessions` returns.
pub const SESSIONS_PER_USER: usize = 10;
/// Devices of every user; sessions are spread over them.
pub const DEVICES_PER_USER: usize = 3;

const DEVICES: [(&str, &str, &str, &str); DEVICES_PER_USER] = [
    ("MacBook Pro", "DESKTOP", "macOS 15", "Safari 19"),
    ("iPhone 15", "MOBILE", "iOS 19", "Safari Mobile 19"),
    ("ThinkPad X1", "DESKTOP", "Debian 13", "Firefox 140"),
];
const CITIES: [(&str, &str); 4] = [
    ("Lisbon", "PT"),
    ("Porto", "PT"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
];

pub fn user_id(user: usize) -> String {
    format!("bench-user-{user:07}")
}

/// The bearer token of session `session` of user `user`: 256 bits, URL-safe base64, as issued.
pub fn token(user: usize, session: usize) -> String {
    let bytes = sessions_server::token::hash(&format!("sessions-bench token {user} {session}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The fingerprint of every user's first device, which the trust workload trusts.
pub const TRUSTED_FINGERPRINT: &str = "bench-fp-0";

/// The id of session `session` of user `user`.
pub fn session_id(user: usize, session: usize) -> String {
    uuid_like(&format!("session {user} {session}"))
}

/// A session a load connection acts as: its bearer token, and its id (what a heartbeat names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub token: String,
    pub session_id: String,
}

impl Credential {
    fn of(user: usize, session: usize) -> Self {
        Self {
            token: token(user, session),
            session_id: session_id(user, session),
        }
    }
}

/// A UUID-shaped id derived from `seed`, so reruns produce the same rows.
fn uuid_like(seed: &str) -> String {
    let b = sessions_server::token::hash(seed);
    let hex: String = b[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

struct DeviceRow {
    id: String,
    user_id: String,
    fingerprint: String,
    name: &'static str,
    device_type: &'static str,
    os: &'static str,
    browser: &'static str,
    user_agent: String,
    ip_address: String,
    country: &'static str,
    city: &'static str,
    created_at: i64,
    last_seen: i64,
}

struct SessionRow {
    id: String,
    user_id: String,
    device_id: String,
    token_hash: Vec<u8>,
    ip_address: String,
    location: String,
    login_method: &'static str,
    started_at: i64,
    last_activity: i64,
    expires_at: i64,
}

struct Batch {
    users: Vec<(String, i64)>,
    devices: Vec<DeviceRow>,
    sessions: Vec<SessionRow>,
}

const HOUR_MS: i64 = 3_600_000;

fn batch(users: Range<usize>, now_ms: i64) -> Batch {
    let mut batch = Batch {
        users: Vec::with_capacity(users.len()),
        devices: Vec::with_capacity(users.len() * DEVICES_PER_USER),
        sessions: Vec::with_capacity(users.len() * SESSIONS_PER_USER),
    };
    for user in users {
        let uid = user_id(user);
        let created = now_ms - 60 * 24 * HOUR_MS;
        batch.users.push((uid.clone(), created));
        let (city, country) = CITIES[user % CITIES.len()];
        let device_ids: Vec<String> = (0..DEVICES_PER_USER)
            .map(|device| uuid_like(&format!("device {user} {device}")))
            .collect();
        for (device, (name, device_type, os, browser)) in DEVICES.into_iter().enumerate() {
            batch.devices.push(DeviceRow {
                id: device_ids[device].clone(),
                user_id: uid.clone(),
                fingerprint: format!("bench-fp-{device}"),
                name,
                device_type,
                os,
                browser,
                user_agent: format!("Mozilla/5.0 ({os}) {browser}"),
                ip_address: format!("198.51.100.{}", (user + device) % 250 + 1),
                country,
                city,
                created_at: created,
                last_seen: now_ms - device as i64 * 60_000,
            });
        }
        for session in 0..SESSIONS_PER_USER {
            let started = now_ms - (session as i64 + 1) * 24 * HOUR_MS;
            batch.sessions.push(SessionRow {
                id: session_id(user, session),
                user_id: uid.clone(),
                device_id: device_ids[session % DEVICES_PER_USER].clone(),
                token_hash: sessions_server::token::hash(&token(user, session)).to_vec(),
                ip_address: format!("203.0.113.{}", (user * 7 + session) % 250 + 1),
                location: format!("{city}, {country}"),
                login_method: ["password", "passkey", "google"][session % 3],
                started_at: started,
                last_activity: now_ms - (session as i64 * 37 + (user % 60) as i64) * 60_000,
                expires_at: now_ms + 30 * 24 * HOUR_MS,
            });
        }
    }
    batch
}

/// Users per generated batch: bounds the memory a million sessions need.
const USERS_PER_BATCH: usize = 10_000;

/// Adds users `users` with their devices and sessions to a migrated SQLite database, in one
/// transaction. Returns how long it took.
pub async fn sqlite(
    pool: &SqlitePool,
    users: Range<usize>,
    now_ms: i64,
) -> anyhow::Result<Duration> {
    let started = std::time::Instant::now();
    let mut conn = pool.acquire().await?;
    // A big page cache for this connection: the indexes of a million rows are inserted in
    // random order (token hashes, ids).
    sqlx::query("PRAGMA cache_size = -524288")
        .execute(&mut *conn)
        .await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for first in users.clone().step_by(USERS_PER_BATCH) {
        let batch = batch(first..(first + USERS_PER_BATCH).min(users.end), now_ms);
        for chunk in batch.users.chunks(2_000) {
            let mut insert = QueryBuilder::new("INSERT INTO users (id, created_at) ");
            insert.push_values(chunk, |mut row, (id, created)| {
                row.push_bind(id).push_bind(created);
            });
            insert.build().execute(&mut *tx).await?;
        }
        for chunk in batch.devices.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO devices (id, user_id, fingerprint, device_name, device_type, os, \
                 browser, user_agent, ip_address, country, city, created_at, last_seen) ",
            );
            insert.push_values(chunk, |mut row, device| {
                row.push_bind(&device.id)
                    .push_bind(&device.user_id)
                    .push_bind(&device.fingerprint)
                    .push_bind(device.name)
                    .push_bind(device.device_type)
                    .push_bind(device.os)
                    .push_bind(device.browser)
                    .push_bind(&device.user_agent)
                    .push_bind(&device.ip_address)
                    .push_bind(device.country)
                    .push_bind(device.city)
                    .push_bind(device.created_at)
                    .push_bind(device.last_seen);
            });
            insert.build().execute(&mut *tx).await?;
        }
        for chunk in batch.sessions.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO sessions (id, user_id, device_id, token_hash, ip_address, location, \
                 login_method, started_at, last_activity, expires_at) ",
            );
            insert.push_values(chunk, |mut row, session| {
                row.push_bind(&session.id)
                    .push_bind(&session.user_id)
                    .push_bind(&session.device_id)
                    .push_bind(&session.token_hash)
                    .push_bind(&session.ip_address)
                    .push_bind(&session.location)
                    .push_bind(session.login_method)
                    .push_bind(session.started_at)
                    .push_bind(session.last_activity)
                    .push_bind(session.expires_at);
            });
            insert.build().execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// Adds users `users` with their devices and sessions to a migrated PostgreSQL database, in one
/// transaction (one `INSERT … SELECT FROM UNNEST` per table and batch), then `VACUUM ANALYZE`s
/// so the planner and the visibility map see the steady state a live database would.
pub async fn postgres(pool: &PgPool, users: Range<usize>, now_ms: i64) -> anyhow::Result<Duration> {
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    for first in users.clone().step_by(USERS_PER_BATCH) {
        let batch = batch(first..(first + USERS_PER_BATCH).min(users.end), now_ms);
        let (ids, created): (Vec<String>, Vec<i64>) = batch.users.into_iter().unzip();
        sqlx::query(
            "INSERT INTO users (id, created_at) SELECT * FROM UNNEST($1::text[], $2::int8[])",
        )
        .bind(ids)
        .bind(created)
        .execute(&mut *tx)
        .await?;
        let devices = &batch.devices;
        let text = |field: fn(&DeviceRow) -> String| devices.iter().map(field).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO devices (id, user_id, fingerprint, device_name, device_type, os, browser, \
                 user_agent, ip_address, country, city, created_at, last_seen) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                 $12::int8[], $13::int8[])",
        )
        .bind(text(|d| d.id.clone()))
        .bind(text(|d| d.user_id.clone()))
        .bind(text(|d| d.fingerprint.clone()))
        .bind(text(|d| d.name.to_owned()))
        .bind(text(|d| d.device_type.to_owned()))
        .bind(text(|d| d.os.to_owned()))
        .bind(text(|d| d.browser.to_owned()))
        .bind(text(|d| d.user_agent.clone()))
        .bind(text(|d| d.ip_address.clone()))
        .bind(text(|d| d.country.to_owned()))
        .bind(text(|d| d.city.to_owned()))
        .bind(devices.iter().map(|d| d.created_at).collect::<Vec<_>>())
        .bind(devices.iter().map(|d| d.last_seen).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let sessions = &batch.sessions;
        let text =
            |field: fn(&SessionRow) -> String| sessions.iter().map(field).collect::<Vec<_>>();
        let times = |field: fn(&SessionRow) -> i64| sessions.iter().map(field).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO sessions (id, user_id, device_id, token_hash, ip_address, location, \
                 login_method, started_at, last_activity, expires_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], \
                 $6::text[], $7::text[], $8::int8[], $9::int8[], $10::int8[])",
        )
        .bind(text(|s| s.id.clone()))
        .bind(text(|s| s.user_id.clone()))
        .bind(text(|s| s.device_id.clone()))
        .bind(
            sessions
                .iter()
                .map(|s| s.token_hash.clone())
                .collect::<Vec<_>>(),
        )
        .bind(text(|s| s.ip_address.clone()))
        .bind(text(|s| s.location.clone()))
        .bind(text(|s| s.login_method.to_owned()))
        .bind(times(|s| s.started_at))
        .bind(times(|s| s.last_activity))
        .bind(times(|s| s.expires_at))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    Ok(started.elapsed())
}

/// Which tokens each of `connections` connections cycles through: distinct tokens for every
/// connection, of users spread evenly over all `users` (at most `per_connection` each), so a
/// large table is read all over, not only at its start.
pub fn assign_sessions(
    connections: usize,
    users: usize,
    per_connection: usize,
) -> Vec<Vec<Credential>> {
    let mut assigned = vec![Vec::new(); connections];
    if connections > users {
        // More connections than users: several sessions of one user, each its own token.
        for (index, tokens) in assigned.iter_mut().enumerate() {
            tokens.push(Credential::of(
                index % users,
                (index / users) % SESSIONS_PER_USER,
            ));
        }
        return assigned;
    }
    let slots = users.min(connections * per_connection);
    for slot in 0..slots {
        let user = slot * users / slots;
        assigned[slot % connections].push(Credential::of(user, user % SESSIONS_PER_USER));
    }
    assigned
}
