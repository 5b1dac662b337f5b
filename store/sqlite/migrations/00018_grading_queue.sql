-- +goose Up
-- Grading as a queue (store.Store.ClaimUngraded): a post awaiting its
-- grade is claimed by one grader (claim_holder, an instance id) until
-- claim_until (ms); a claim that lapsed is taken again, so the posts of an
-- instance that died return to the queue. The claim ends in the
-- transaction that files the grade. On SQLite one daemon runs, so its
-- claims are never contested; the columns keep one code path.
ALTER TABLE posts ADD COLUMN claim_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE posts DROP COLUMN claim_until;
ALTER TABLE posts DROP COLUMN claim_holder;
