-- +goose Up
-- Incident grouping (near-duplicate and same-event fingerprints), the
-- handling workflow (分派, 调查核实, 答复反馈, 办结 with outcome, 误报) and
-- false-positive counts per rule (issue 5).
ALTER TABLE incidents ADD COLUMN office TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN assigned_at INTEGER;
ALTER TABLE incidents ADD COLUMN investigate_due_at INTEGER;
ALTER TABLE incidents ADD COLUMN investigated_at INTEGER;
ALTER TABLE incidents ADD COLUMN feedback_due_at INTEGER;
ALTER TABLE incidents ADD COLUMN replied_at INTEGER;
ALTER TABLE incidents ADD COLUMN reply TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN false_positive INTEGER NOT NULL DEFAULT 0;

-- One row per filed post: 64-bit SimHash (stored as a signed integer),
-- institution/place names and key terms (JSON arrays of strings).
CREATE TABLE post_fingerprints (
    post_id       INTEGER PRIMARY KEY REFERENCES posts (id),
    simhash       INTEGER NOT NULL,
    entities      TEXT NOT NULL,
    terms         TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL
);
CREATE INDEX post_fingerprints_seen ON post_fingerprints (first_seen_at);
CREATE INDEX incident_posts_incident ON incident_posts (incident_id);

CREATE TABLE rule_false_positives (
    rule    TEXT PRIMARY KEY,
    count   INTEGER NOT NULL,
    last_at INTEGER NOT NULL
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
