-- Keys every instance on this database must agree on, such as the one that signs paging cursors:
-- kept here, so a cursor one instance gave is honoured by all the others.
CREATE TABLE shared_keys (
    name  TEXT PRIMARY KEY,
    key   BYTEA NOT NULL
);
