-- Times are Unix epoch milliseconds (UTC), as in the SQLite schema, so both backends compare and
-- order them the same way.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint       TEXT NOT NULL,
    device_name       TEXT NOT NULL,
    device_type       TEXT NOT NULL DEFAULT 'DESKTOP',
    os                TEXT NOT NULL DEFAULT 'unknown',
    browser           TEXT NOT NULL DEFAULT 'unknown',
    user_agent        TEXT NOT NULL DEFAULT 'unknown',
    ip_address        TEXT NOT NULL DEFAULT 'unknown',
    country           TEXT NOT NULL DEFAULT 'unknown',
    city              TEXT NOT NULL DEFAULT 'unknown',
    -- HIGH while trusted (until trust_expires_at), LOW once untrusted, UNKNOWN before any trust.
    trust_level       TEXT NOT NULL DEFAULT 'UNKNOWN',
    trust_expires_at  BIGINT,
    created_at        BIGINT NOT NULL,
    last_seen         BIGINT NOT NULL,
    UNIQUE (user_id, fingerprint)
);

CREATE INDEX devices_by_user_last_seen ON devices (user_id, last_seen DESC);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id      TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash     BYTEA NOT NULL UNIQUE,
    ip_address     TEXT NOT NULL,
    location       TEXT NOT NULL,
    login_method   TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    last_activity  BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

-- GET /sessions: one user's unrevoked sessions, most recent activity first.
CREATE INDEX sessions_by_user_activity ON sessions (user_id, last_activity DESC)
    WHERE revoked_at IS NULL;
CREATE INDEX sessions_by_device ON sessions (device_id);
