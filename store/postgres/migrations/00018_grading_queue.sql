-- +goose Up
-- PostgreSQL translation of store/sqlite/migrations/00018_grading_queue.sql.
-- Grading as a queue (store.Store.ClaimUngraded): a post awaiting its
-- grade is claimed by one grader (claim_holder, an instance id) until
-- claim_until (ms), taken with FOR UPDATE SKIP LOCKED on the post's row,
-- so that the claim and the row lock are one row and a concurrent claimer
-- re-checks claim_until on the row version it would lock. A lapsed claim
-- is taken again: the posts of an instance that died return to the queue.
ALTER TABLE posts ADD COLUMN claim_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN claim_until BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE posts DROP COLUMN claim_until;
ALTER TABLE posts DROP COLUMN claim_holder;
