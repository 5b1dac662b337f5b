-- +goose Up
-- An item whose page answered 429/503 with Retry-After waits alone: the
-- rest of its source is crawled, and this page is fetched after retry_at
-- (Unix ms), also after a restart.
ALTER TABLE item_failures ADD COLUMN retry_at BIGINT;

-- +goose Down
ALTER TABLE item_failures DROP COLUMN retry_at;
