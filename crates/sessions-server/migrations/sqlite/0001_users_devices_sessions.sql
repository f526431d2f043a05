-- Times are Unix epoch milliseconds (UTC), so ordering and expiry are integer comparisons
-- and the schema carries over to PostgreSQL's BIGINT unchanged.

CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint  TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    UNIQUE (user_id, fingerprint)
);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id      TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash     BLOB NOT NULL UNIQUE,
    ip_address     TEXT NOT NULL,
    location       TEXT NOT NULL,
    login_method   TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    last_activity  INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);

-- GET /sessions: one user's unrevoked sessions, most recent activity first.
CREATE INDEX sessions_by_user_activity ON sessions (user_id, last_activity DESC)
    WHERE revoked_at IS NULL;
CREATE INDEX sessions_by_device ON sessions (device_id);
