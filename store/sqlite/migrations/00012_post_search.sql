-- +goose Up
-- Search over every post (store.PostFilter.Words). The grader stores a
-- post's search text, the gse tokens of its title and body joined by
-- spaces, in post_fts under the post's id; unicode61 splits it at those
-- spaces, so a two-character word is a token of its own. Contentless: the
-- text is not kept twice, only its index (contentless_delete lets a post
-- graded again replace its entry).
CREATE VIRTUAL TABLE post_fts USING fts5(words, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
-- content_hash of the content post_fts holds the search text of; the posts
-- graded before this migration are indexed by the grader's catch-up.
ALTER TABLE posts ADD COLUMN indexed_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_unindexed ON posts (id) WHERE indexed_hash <> content_hash;
-- The post list is paged newest first by id (the primary key); by source
-- on this index.
CREATE INDEX posts_source ON posts (source, id);

-- +goose Down
DROP INDEX posts_source;
DROP INDEX posts_unindexed;
ALTER TABLE posts DROP COLUMN indexed_hash;
DROP TABLE post_fts;
