-- +goose Up
-- The post list (store.PostFilter) at a million posts.
--
-- A post's latest grade is marked, so that the list joins it by post id, a
-- join the planner can estimate and order, instead of looking up max(id)
-- once per post; and the scopes 相关 and 舆情信息 are indexes in post id
-- order, which the list reads beside the search index or the posts, newest
-- first. New grades are the latest (SaveGrade clears the mark of the one
-- before): only the grades already superseded are written here.
ALTER TABLE grades ADD COLUMN latest BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE grades SET latest = FALSE
    WHERE EXISTS (SELECT 1 FROM grades n WHERE n.post_id = grades.post_id AND n.id > grades.id);
CREATE UNIQUE INDEX grades_latest ON grades (post_id) WHERE latest;
CREATE INDEX grades_latest_relevant ON grades (post_id) WHERE latest AND relevant;
CREATE INDEX grades_latest_information ON grades (post_id) WHERE latest AND information;
-- The search text says whether its post is filed into an incident (a post
-- once filed stays filed: AttachPost sets it, IndexPost copies it): a
-- search within 已立事件 reads the incident posts' entries from this index
-- instead of each one's search text through incident_posts.
ALTER TABLE post_search ADD COLUMN filed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE post_search SET filed = TRUE WHERE post_id IN (SELECT post_id FROM incident_posts);
CREATE INDEX post_search_filed ON post_search (post_id) WHERE filed;

-- +goose Down
DROP INDEX post_search_filed;
ALTER TABLE post_search DROP COLUMN filed;
DROP INDEX grades_latest_information;
DROP INDEX grades_latest_relevant;
DROP INDEX grades_latest;
ALTER TABLE grades DROP COLUMN latest;
