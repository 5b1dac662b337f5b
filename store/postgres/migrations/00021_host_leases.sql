-- +goose Up
-- PostgreSQL translation of store/sqlite/migrations/00021_host_leases.sql.
-- The crawl lease is per host (a site: host[:port] of a source's URL),
-- not per source: every source on one site is crawled by the instance
-- holding its host's lease, so the crawler's per-host politeness holds
-- across instances. Leases lapse within the TTL, so the old rows are
-- dropped, not converted: instances take the hosts' leases at their next
-- heartbeat (stop every instance before upgrading: an old instance would
-- look for source_leases). Rows are claimed with FOR UPDATE SKIP LOCKED.
DROP TABLE source_leases;
CREATE TABLE host_leases (
    host        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at BIGINT,
    expires_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX host_leases_holder ON host_leases (holder);

-- +goose Down
DROP TABLE host_leases;
CREATE TABLE source_leases (
    source      TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at BIGINT,
    expires_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX source_leases_holder ON source_leases (holder);
