-- +goose Up
-- Times are Unix milliseconds (UTC); NULL means "not yet" / "unknown".

CREATE TABLE source_state (
    name                 TEXT PRIMARY KEY,
    next_check_at        INTEGER,
    last_check_at        INTEGER,
    last_success_at      INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT NOT NULL DEFAULT '',
    etag                 TEXT NOT NULL DEFAULT '',
    last_modified        TEXT NOT NULL DEFAULT '',
    last_items           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE posts (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    url           TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    author        TEXT NOT NULL DEFAULT '',
    published_at  INTEGER,
    first_seen_at INTEGER NOT NULL,
    fetched_at    INTEGER NOT NULL,
    replies       INTEGER NOT NULL DEFAULT 0,
    views         INTEGER NOT NULL DEFAULT 0,
    reposts       INTEGER NOT NULL DEFAULT 0,
    content_hash  TEXT NOT NULL,
    title_key     TEXT NOT NULL DEFAULT '',
    -- content_hash of the version last graded; the post awaits grading while they differ.
    graded_hash   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX posts_ungraded ON posts (id) WHERE graded_hash <> content_hash;
CREATE INDEX posts_content_hash ON posts (content_hash);
CREATE INDEX posts_title_key ON posts (title_key) WHERE title_key <> '';

-- Engagement history: one row per observed change of the counts.
CREATE TABLE post_engagement (
    post_id INTEGER NOT NULL REFERENCES posts (id),
    at      INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    views   INTEGER NOT NULL,
    reposts INTEGER NOT NULL
);
CREATE INDEX post_engagement_post ON post_engagement (post_id, at);

CREATE TABLE grades (
    id            INTEGER PRIMARY KEY,
    post_id       INTEGER NOT NULL REFERENCES posts (id),
    content_hash  TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    relevant      INTEGER NOT NULL,
    category      TEXT NOT NULL,
    level         INTEGER NOT NULL,
    score         REAL NOT NULL,
    matches       TEXT NOT NULL, -- JSON array of store.Match
    reasons       TEXT NOT NULL, -- JSON array of strings
    graded_at     INTEGER NOT NULL
);
CREATE INDEX grades_post ON grades (post_id, id);

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    category        TEXT NOT NULL,
    level           INTEGER NOT NULL,
    status          TEXT NOT NULL,
    source          TEXT NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    last_post_at    INTEGER NOT NULL,
    post_count      INTEGER NOT NULL DEFAULT 0,
    ack_due_at      INTEGER,
    followup_due_at INTEGER NOT NULL,
    acked_at        INTEGER,
    followed_up_at  INTEGER,
    closed_at       INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, level, first_seen_at);

-- Per-day sequence behind incident numbers YQ-YYYYMMDD-NNNN.
CREATE TABLE incident_counters (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE incident_posts (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    post_id     INTEGER NOT NULL UNIQUE REFERENCES posts (id),
    reason      TEXT NOT NULL,
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, post_id)
);

CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    post_id     INTEGER
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- The event log is append-only: who did what and when must stay provable.
-- +goose StatementBegin
CREATE TRIGGER incident_events_no_update BEFORE UPDATE ON incident_events
BEGIN
    SELECT RAISE(ABORT, 'incident_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER incident_events_no_delete BEFORE DELETE ON incident_events
BEGIN
    SELECT RAISE(ABORT, 'incident_events is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE incident_events;
DROP TABLE incident_posts;
DROP TABLE incident_counters;
DROP TABLE incidents;
DROP TABLE grades;
DROP TABLE post_engagement;
DROP TABLE posts;
DROP TABLE source_state;
