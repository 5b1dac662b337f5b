-- +goose Up
-- The crawl lease is per host (a site: host[:port] of a source's URL),
-- not per source: every source on one site is crawled by the instance
-- holding its host's lease, so the crawler's per-host politeness (one
-- crawl and one request at a time, the delay between requests) holds
-- across instances. Leases are renewed every heartbeat and lapse within
-- the TTL, so the old rows are dropped, not converted: instances take
-- the hosts' leases at their next heartbeat. (Not used on SQLite, where
-- one instance crawls everything; the table exists so that status reads
-- the same way.)
DROP TABLE source_leases;
CREATE TABLE host_leases (
    host        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at INTEGER,
    expires_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX host_leases_holder ON host_leases (holder);

-- +goose Down
DROP TABLE host_leases;
CREATE TABLE source_leases (
    source      TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    acquired_at INTEGER,
    expires_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX source_leases_holder ON source_leases (holder);
