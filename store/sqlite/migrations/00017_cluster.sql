-- +goose Up
-- Several daemons on one database (package cluster). instances: one row
-- per running daemon, its heartbeat, and since when it leads (NULL: it
-- does not). source_leases: which instance crawls a source until when
-- (holder '': released). On SQLite only one daemon runs (a lock file
-- beside the database keeps out a second), so no lease is taken there;
-- its row in instances is what `yuqing status` shows.
CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    version      TEXT NOT NULL,
    listen       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    leader_since INTEGER
);
CREATE TABLE source_leases (
    source      TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at INTEGER,
    expires_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX source_leases_holder ON source_leases (holder);

-- +goose Down
DROP TABLE source_leases;
DROP TABLE instances;
