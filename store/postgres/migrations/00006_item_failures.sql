-- +goose Up
-- A body longer than its source's max_body_chars is stored cut; the post
-- keeps the full length in characters (0: stored whole).
ALTER TABLE posts ADD COLUMN full_body_chars INTEGER NOT NULL DEFAULT 0;

-- Items whose detail page failed at their last fetches: a deleted thread
-- is given up after a few tries (given_up_at set) and then retried only
-- rarely, without making its whole source look down. Times: Unix ms.
CREATE TABLE item_failures (
    url             TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    tries           INTEGER NOT NULL,
    last_error_kind TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    first_at        BIGINT NOT NULL,
    last_at         BIGINT NOT NULL,
    given_up_at     BIGINT
);
CREATE INDEX item_failures_source ON item_failures (source, last_at);

-- +goose Down
DROP INDEX item_failures_source;
DROP TABLE item_failures;
ALTER TABLE posts DROP COLUMN full_body_chars;
