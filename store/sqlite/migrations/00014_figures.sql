-- +goose Up
-- Figures for the overview and the reports (store/stats.go). Posts count
-- on the interval they were first seen in, by source and by what their
-- latest grade said: SaveGrade keeps that beside graded_hash (graded_*:
-- NULL relevance until graded), so that a month of posts is counted from
-- one index, without looking up each post's latest grade.
ALTER TABLE posts ADD COLUMN graded_relevant INTEGER;
ALTER TABLE posts ADD COLUMN graded_category TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN graded_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN graded_sentiment TEXT NOT NULL DEFAULT '';
UPDATE posts SET graded_relevant = g.relevant, graded_category = g.category, graded_level = g.level,
    graded_sentiment = g.sentiment
FROM (SELECT post_id, max(id) AS id FROM grades GROUP BY post_id) latest JOIN grades g ON g.id = latest.id
WHERE posts.id = latest.post_id;
CREATE INDEX posts_figures ON posts (first_seen_at, source, graded_relevant, graded_category, graded_level, graded_sentiment);
-- The words of each relevant post's search text (store.PostTerms: each
-- once, two characters or more), a JSON array: rising terms are counted
-- from them (post_fts keeps no text to read back). Written with the search
-- text (Tx.IndexPost) when the post's latest grade is relevant.
CREATE TABLE post_terms (
    post_id INTEGER PRIMARY KEY REFERENCES posts (id),
    terms   TEXT NOT NULL
);
-- The relevant posts of the last 60 days are indexed again by the
-- grader's catch-up (UnindexedPosts), which keeps their words: rising
-- terms then have their baseline at once.
UPDATE posts SET indexed_hash = ''
WHERE first_seen_at >= (CAST(strftime('%s', 'now') AS INTEGER) - 60 * 86400) * 1000
  AND graded_hash = content_hash AND graded_relevant = 1;

-- +goose Down
DROP TABLE post_terms;
DROP INDEX posts_figures;
ALTER TABLE posts DROP COLUMN graded_sentiment;
ALTER TABLE posts DROP COLUMN graded_level;
ALTER TABLE posts DROP COLUMN graded_category;
ALTER TABLE posts DROP COLUMN graded_relevant;
