-- +goose Up
-- PostgreSQL translation of store/sqlite/migrations/00017_cluster.sql.
-- Several daemons on one database (package cluster). instances: one row
-- per running daemon, its heartbeat, and since when it leads (NULL: it
-- does not). source_leases: which instance crawls a source until when
-- (holder '': released); rows are claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    version      TEXT NOT NULL,
    listen       TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    leader_since BIGINT
);
CREATE TABLE source_leases (
    source      TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at BIGINT,
    expires_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX source_leases_holder ON source_leases (holder);

-- +goose Down
DROP TABLE source_leases;
DROP TABLE instances;
