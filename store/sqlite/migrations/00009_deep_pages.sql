-- +goose Up
-- When a source's deeper list pages (2..N) were last read: they are sampled
-- on their own cadence (deep_interval), page 1 at every crawl. Unix ms.
ALTER TABLE source_state ADD COLUMN last_deep_at INTEGER;

-- +goose Down
ALTER TABLE source_state DROP COLUMN last_deep_at;
