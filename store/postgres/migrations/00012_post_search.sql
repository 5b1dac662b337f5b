-- +goose Up
-- Search over every post (store.PostFilter.Words). The grader stores a
-- post's search text, the gse tokens of its title and body joined by
-- spaces, as to_tsvector('simple', …): the simple configuration neither
-- stems nor drops words, so a two-character word is a lexeme of its own.
CREATE TABLE post_search (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id),
    words   tsvector NOT NULL
);
CREATE INDEX post_search_words ON post_search USING gin (words);
-- content_hash of the content post_search holds the search text of; the
-- posts graded before this migration are indexed by the grader's catch-up.
ALTER TABLE posts ADD COLUMN indexed_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_unindexed ON posts (id) WHERE indexed_hash <> content_hash;
-- The post list is paged newest first by id (the primary key); by source
-- on this index.
CREATE INDEX posts_source ON posts (source, id);

-- +goose Down
DROP INDEX posts_source;
DROP INDEX posts_unindexed;
ALTER TABLE posts DROP COLUMN indexed_hash;
DROP TABLE post_search;
