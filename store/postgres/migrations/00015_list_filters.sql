-- +goose Up
-- The list filters shared by incidents and posts (store.ListFilter).
--
-- An incident keeps the sentiments of its posts' latest grades as a small
-- bitset (1 负面, 2 中性, 4 正面, in the order of taxonomy.Sentiments):
-- filing, attaching and moving a post and grading a filed post again keep
-- it up to date, so the list filters by sentiment on the incident row.
ALTER TABLE incidents ADD COLUMN sentiments BIGINT NOT NULL DEFAULT 0;
UPDATE incidents SET sentiments = (
    SELECT coalesce(max(CASE WHEN p.graded_sentiment = 'negative' THEN 1 ELSE 0 END), 0)
         + coalesce(max(CASE WHEN p.graded_sentiment = 'neutral' THEN 2 ELSE 0 END), 0)
         + coalesce(max(CASE WHEN p.graded_sentiment = 'positive' THEN 4 ELSE 0 END), 0)
    FROM incident_posts ip JOIN posts p ON p.id = ip.post_id WHERE ip.incident_id = incidents.id);
-- The office (科室) an account works in: 我的科室 on the incident list.
ALTER TABLE users ADD COLUMN office TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN office;
ALTER TABLE incidents DROP COLUMN sentiments;
