-- What GET /devices shows of a device, and its trust.
ALTER TABLE devices ADD COLUMN device_type TEXT NOT NULL DEFAULT 'DESKTOP';
ALTER TABLE devices ADD COLUMN os TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN browser TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN user_agent TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN ip_address TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN country TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN city TEXT NOT NULL DEFAULT 'unknown';
-- HIGH while trusted (until trust_expires_at), LOW once untrusted, UNKNOWN before any trust.
ALTER TABLE devices ADD COLUMN trust_level TEXT NOT NULL DEFAULT 'UNKNOWN';
ALTER TABLE devices ADD COLUMN trust_expires_at INTEGER;

CREATE INDEX devices_by_user_last_seen ON devices (user_id, last_seen DESC);
