-- +goose Up
-- The post list (store.PostFilter) at a million posts: a post's latest
-- grade is marked, so that the list joins it by post id instead of looking
-- up max(id) once per post. New grades are the latest (SaveGrade clears
-- the mark of the one before): only the grades already superseded are
-- written here. (PostgreSQL also indexes the scopes 相关 and 舆情信息 and
-- marks filed posts in its search index; here FTS5 drives every search.)
ALTER TABLE grades ADD COLUMN latest INTEGER NOT NULL DEFAULT 1;
UPDATE grades SET latest = 0
    WHERE EXISTS (SELECT 1 FROM grades n WHERE n.post_id = grades.post_id AND n.id > grades.id);
CREATE UNIQUE INDEX grades_latest ON grades (post_id) WHERE latest;

-- +goose Down
DROP INDEX grades_latest;
ALTER TABLE grades DROP COLUMN latest;
