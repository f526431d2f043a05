//! The reads both backends run, in one place. Parameters are written `$1`, `$2`, … in order of
//! first appearance: PostgreSQL numbers them so, and SQLite numbers named parameters by first
//! appearance, so the same text binds the same way on both. (The writes differ by dialect:
//! `MAX`/`GREATEST`, row locks; each backend keeps its own.)

/// `SELECT` of every session column joined with its device's name, followed by `$rest`; the
/// columns in the order the row readers expect.
macro_rules! select_sessions {
    ($rest:literal) => {
        concat!(
            "SELECT s.id, s.user_id, s.device_id, d.device_name, s.ip_address, s.location, ",
            "s.login_method, s.started_at, s.last_activity, s.expires_at, s.revoked_at ",
            "FROM sessions s JOIN devices d ON d.id = s.device_id ",
            $rest
        )
    };
}

/// `SELECT` of every device column, followed by `$rest`.
macro_rules! select_devices {
    ($rest:literal) => {
        concat!(
            "SELECT id, user_id, fingerprint, device_name, device_type, os, browser, user_agent, ",
            "ip_address, country, city, trust_level, trust_expires_at, created_at, last_seen ",
            "FROM devices ",
            $rest
        )
    };
}

/// The session (id, user) a token hash (`$1`) authenticates at `$2`: only while it is active.
/// Authentication reads nothing more, and so touches neither the devices nor the other columns.
pub const ACTIVE_SESSION_BY_TOKEN_HASH: &str = "SELECT id, user_id FROM sessions \
     WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2";

/// The session a token hash (`$1`) belongs to, active or not.
pub const SESSION_BY_TOKEN_HASH: &str = select_sessions!("WHERE s.token_hash = $1");

/// A page of a user's (`$1`) sessions active at `$2`, after the key (`$3` at, `$4` id), at most
/// `$5`, most recent activity first.
pub const ACTIVE_SESSIONS_PAGE: &str = select_sessions!(
    "WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
     AND (s.last_activity < $3 OR (s.last_activity = $3 AND s.id > $4)) \
     ORDER BY s.last_activity DESC, s.id LIMIT $5"
);

/// A user's (`$1`) most recently active session on the device with fingerprint `$2`, active at
/// `$3`.
pub const ACTIVE_SESSION_ON_DEVICE: &str = select_sessions!(
    "WHERE s.user_id = $1 AND d.fingerprint = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
     ORDER BY s.last_activity DESC, s.id LIMIT 1"
);

/// A user's (`$1`) sessions on device `$2` active at `$3`, at most `$4`, newest activity first.
pub const ACTIVE_SESSIONS_OF_DEVICE: &str = select_sessions!(
    "WHERE s.user_id = $1 AND s.device_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
     ORDER BY s.last_activity DESC, s.id LIMIT $4"
);

/// A page of a user's (`$1`) devices after the key (`$2` at, `$3` id), at most `$4`, most
/// recently seen first.
pub const DEVICES_PAGE: &str = select_devices!(
    "WHERE user_id = $1 AND (last_seen < $2 OR (last_seen = $2 AND id > $3)) \
     ORDER BY last_seen DESC, id LIMIT $4"
);

/// One device (`$1`) of a user (`$2`).
pub const DEVICE: &str = select_devices!("WHERE id = $1 AND user_id = $2");

/// Up to `$2` sessions revoked or expired before `$1`: what the purge deletes next.
pub const ENDED_SESSION_IDS: &str = "SELECT id FROM sessions \
     WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1 LIMIT $2";

/// Up to `$2` devices left without sessions and last seen before `$1`.
pub const ABANDONED_DEVICE_IDS: &str = "SELECT id FROM devices AS d WHERE last_seen < $1 \
     AND NOT EXISTS (SELECT 1 FROM sessions AS s WHERE s.device_id = d.id) LIMIT $2";

/// Stores key `$2` under name `$1` unless a key of that name is there already.
pub const INSERT_SHARED_KEY: &str =
    "INSERT INTO shared_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

/// The key stored under name `$1`.
pub const SHARED_KEY: &str = "SELECT key FROM shared_keys WHERE name = $1";
