-- GET /sessions pages by (last activity descending, id): with the id in the index, the page
-- comes out of the index in order, without sorting the user's sessions first.
DROP INDEX sessions_by_user_activity;
CREATE INDEX sessions_by_user_activity_id ON sessions (user_id, last_activity DESC, id)
    WHERE revoked_at IS NULL;
