-- +goose Up
-- Source health and the circuit breaker (issue 4), and an index for finding
-- posts whose engagement changed recently (hot-thread revisits).
ALTER TABLE source_state ADD COLUMN last_error_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE source_state ADD COLUMN breaker_open_until BIGINT;
ALTER TABLE source_state ADD COLUMN last_new_item_at BIGINT;
-- Milliseconds.
ALTER TABLE source_state ADD COLUMN new_item_gap BIGINT NOT NULL DEFAULT 0;
CREATE INDEX post_engagement_at ON post_engagement (at);
CREATE INDEX posts_source_fetched ON posts (source, fetched_at);

-- +goose Down
DROP INDEX posts_source_fetched;
DROP INDEX post_engagement_at;
ALTER TABLE source_state DROP COLUMN new_item_gap;
ALTER TABLE source_state DROP COLUMN last_new_item_at;
ALTER TABLE source_state DROP COLUMN breaker_open_until;
ALTER TABLE source_state DROP COLUMN last_error_kind;
