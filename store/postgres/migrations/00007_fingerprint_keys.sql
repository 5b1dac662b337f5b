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
    first_seen_at BIGINT NOT NULL,
    post_id       BIGINT NOT NULL REFERENCES posts (id),
    simhash       BIGINT NOT NULL,
    open          INTEGER NOT NULL,
    PRIMARY KEY (key, open, first_seen_at, post_id) INCLUDE (simhash)
);
CREATE INDEX fingerprint_keys_post ON fingerprint_keys (post_id);

-- Moved by every transaction that saves a fingerprint, attaches a post or
-- updates an incident: a lookup made before the write lock is still exact
-- inside it while the version is unchanged.
CREATE TABLE grouping_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO grouping_version (id, version) VALUES (1, 0);

-- Every stored fingerprint, those of closed incidents marked closed.
CREATE TEMPORARY TABLE fingerprint_open AS
SELECT f.post_id, CASE WHEN i.status = 'closed' THEN 0 ELSE 1 END AS open
FROM post_fingerprints f LEFT JOIN incident_posts ip ON ip.post_id = f.post_id
LEFT JOIN incidents i ON i.id = ip.incident_id;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
SELECT 'b' || b.n || ':' || lpad(to_hex((SELECT sum(((f.simhash >> (4 * j + b.n)) & 1) << j)
                                         FROM generate_series(0, 15) AS j)::bigint), 4, '0'),
       f.first_seen_at, f.post_id, f.simhash, o.open
FROM post_fingerprints f JOIN fingerprint_open o ON o.post_id = f.post_id, generate_series(0, 3) AS b (n)
WHERE f.simhash <> 0
ON CONFLICT DO NOTHING;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
SELECT 'e:' || e.value, f.first_seen_at, f.post_id, f.simhash, o.open
FROM post_fingerprints f JOIN fingerprint_open o ON o.post_id = f.post_id, jsonb_array_elements_text(f.entities::jsonb) AS e (value)
ON CONFLICT DO NOTHING;

INSERT INTO fingerprint_keys (key, first_seen_at, post_id, simhash, open)
WITH RECURSIVE suffixes (post_id, first_seen_at, simhash, suffix) AS (
    SELECT f.post_id, f.first_seen_at, f.simhash, substr(e.value, 2)
    FROM post_fingerprints f, jsonb_array_elements_text(f.entities::jsonb) AS e (value) WHERE length(e.value) >= 5
    UNION ALL
    SELECT post_id, first_seen_at, simhash, substr(suffix, 2) FROM suffixes WHERE length(suffix) >= 5
)
SELECT 's:' || s.suffix, s.first_seen_at, s.post_id, s.simhash, o.open
FROM suffixes s JOIN fingerprint_open o ON o.post_id = s.post_id
ON CONFLICT DO NOTHING;

DROP TABLE fingerprint_open;

-- +goose Down
DROP TABLE grouping_version;
DROP TABLE fingerprint_keys;
