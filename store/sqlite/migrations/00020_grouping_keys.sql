-- +goose Up
-- Filing no longer checks a global grouping version: it locks the
-- grouping keys it reads (PostgreSQL advisory locks per key) and reads
-- the candidates inside its transaction, so filings on several instances
-- commit side by side. The version row every filing updated goes.
DROP TABLE grouping_version;

-- +goose Down
CREATE TABLE grouping_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO grouping_version (id, version) VALUES (1, 0);
