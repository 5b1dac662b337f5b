-- +goose Up
-- Incident grouping (near-duplicate and same-event fingerprints), the
-- handling workflow (分派, 调查核实, 答复反馈, 办结 with outcome, 误报) and
-- false-positive counts per rule (issue 5).
ALTER TABLE incidents ADD COLUMN office TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN assigned_at BIGINT;
ALTER TABLE incidents ADD COLUMN investigate_due_at BIGINT;
ALTER TABLE incidents ADD COLUMN investigated_at BIGINT;
ALTER TABLE incidents ADD COLUMN feedback_due_at BIGINT;
ALTER TABLE incidents ADD COLUMN replied_at BIGINT;
ALTER TABLE incidents ADD COLUMN reply TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN false_positive BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per filed post: 64-bit SimHash (stored as a signed BIGINT),
-- institution/place names and key terms (JSON arrays of strings).
-- post_id is the post's id, not a generated key (SQLite's INTEGER PRIMARY
-- KEY here only aliased the rowid).
CREATE TABLE post_fingerprints (
    post_id       BIGINT PRIMARY KEY REFERENCES posts (id),
    simhash       BIGINT NOT NULL,
    entities      TEXT NOT NULL,
    terms         TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL
);
CREATE INDEX post_fingerprints_seen ON post_fingerprints (first_seen_at);
CREATE INDEX incident_posts_incident ON incident_posts (incident_id);

CREATE TABLE rule_false_positives (
    rule    TEXT PRIMARY KEY,
    count   BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE rule_false_positives;
DROP INDEX incident_posts_incident;
DROP TABLE post_fingerprints;
ALTER TABLE incidents DROP COLUMN false_positive;
ALTER TABLE incidents DROP COLUMN outcome;
ALTER TABLE incidents DROP COLUMN reply;
ALTER TABLE incidents DROP COLUMN replied_at;
ALTER TABLE incidents DROP COLUMN feedback_due_at;
ALTER TABLE incidents DROP COLUMN investigated_at;
ALTER TABLE incidents DROP COLUMN investigate_due_at;
ALTER TABLE incidents DROP COLUMN assigned_at;
ALTER TABLE incidents DROP COLUMN office;
