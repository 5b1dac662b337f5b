-- +goose Up
-- Filing looks up the posts a new post could join by key instead of
-- reading every open incident's fingerprint (issue 10). A post is indexed
-- under (incident.IndexKeys, which this backfill must match):
--   b<n>:<hex>  band n of a non-zero SimHash (its bits n, n+4, ..., n+60 as the
--               bits 0..15 of a number), as 4 hex digits;
--   e:<name>    each institution or place name;
--   s:<suffix>  each proper suffix of a name of at least 4 characters.
-- first_seen_at (the post's) lets a lookup read only the grouping window;
-- simhash (the post's) lets it pass over band hits too far apart without
-- reading the fingerprint; open is 0 while the post's incident is closed,
-- so that closed incidents cost a lookup nothing (and come back when
-- reopened).
CREATE TABLE fingerprint_keys (
    key           TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    post_id       INTEGER NOT NULL REFERENCES posts (id),
    simhash       INTEGER NOT NULL,
    open          INTEGER NOT NULL,
    PRIMARY KEY (key, open, first_seen_at, post_id)
) WITHOUT ROWID;
CREATE INDEX fingerprint_keys_post ON fingerprint_keys (post_id);

-- Moved by every transaction that saves a fingerprint, attaches a post or
-- updates an incident: a lookup made before the write lock is still exact
-- inside it while the version is unchanged.
CREATE TABLE grouping_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO grouping_version (id, version) VALUES (1, 0);

-- Every stored fingerprint, those of closed incidents marked closed.
CREATE TEMPORARY TABLE fingerprint_open AS
SELECT f.post_id, CASE WHEN i.status = 'closed' THEN 0 ELSE 1 END AS open
FROM post_fingerprints f LEFT JOIN incident_posts ip ON ip.post_id = f.post_id
LEFT JOIN incidents i ON i.id = ip.incident_id;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
WITH RECURSIVE bit (j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM bit WHERE j < 15)
SELECT printf('b%d:%04x', b.n, (SELECT sum(((f.simhash >> (4 * bit.j + b.n)) & 1) << bit.j) FROM bit)),
       f.first_seen_at, f.post_id, f.simhash, o.open
FROM post_fingerprints f JOIN fingerprint_open o ON o.post_id = f.post_id, (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) b
WHERE f.simhash <> 0
ON CONFLICT DO NOTHING;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
SELECT 'e:' || e.value, f.first_seen_at, f.post_id, f.simhash, o.open
FROM post_fingerprints f JOIN fingerprint_open o ON o.post_id = f.post_id, json_each(f.entities) e
WHERE true
ON CONFLICT DO NOTHING;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
WITH RECURSIVE suffixes (post_id, first_seen_at, simhash, suffix) AS (
    SELECT f.post_id, f.first_seen_at, f.simhash, substr(e.value, 2)
    FROM post_fingerprints f, json_each(f.entities) e WHERE length(e.value) >= 5
    UNION ALL
    SELECT post_id, first_seen_at, simhash, substr(suffix, 2) FROM suffixes WHERE length(suffix) >= 5
)
SELECT 's:' || s.suffix, s.first_seen_at, s.post_id, s.simhash, o.open
FROM suffixes s JOIN fingerprint_open o ON o.post_id = s.post_id
WHERE true
ON CONFLICT DO NOTHING;

DROP TABLE fingerprint_open;

-- +goose Down
DROP TABLE grouping_version;
DROP INDEX fingerprint_keys_post;
DROP TABLE fingerprint_keys;
