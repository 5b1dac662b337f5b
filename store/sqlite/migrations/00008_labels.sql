-- +goose Up
-- Issue 11: every grade says its sentiment, which part decided it (rules,
-- model, both, or staff), whether rules and model disagreed on a possible
-- Ⅰ/Ⅱ (review: filed as 疑似), and whether it is 舆情信息 (relevant, but
-- neutral or positive and only 一般: listed and counted, no incident).
ALTER TABLE grades ADD COLUMN sentiment TEXT NOT NULL DEFAULT '';
ALTER TABLE grades ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE grades ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grades ADD COLUMN information INTEGER NOT NULL DEFAULT 0;

-- An incident opened by a 疑似 grade stays suspected until a handler
-- confirms or downgrades it.
ALTER TABLE incidents ADD COLUMN suspected INTEGER NOT NULL DEFAULT 0;

-- What staff decided about a post (误报, 升级/降级, a category change, a
-- confirmation, a missed post entered by hand): one row per post, the
-- latest decision. Training reads them (yuqing train -store). sentiment ''
-- means staff did not judge it. at: Unix ms.
CREATE TABLE post_labels (
    post_id   INTEGER PRIMARY KEY REFERENCES posts (id),
    relevant  INTEGER NOT NULL,
    category  TEXT NOT NULL,
    level     INTEGER NOT NULL,
    sentiment TEXT NOT NULL,
    origin    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    note      TEXT NOT NULL,
    at        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE post_labels;
ALTER TABLE incidents DROP COLUMN suspected;
ALTER TABLE grades DROP COLUMN information;
ALTER TABLE grades DROP COLUMN review;
ALTER TABLE grades DROP COLUMN decided_by;
ALTER TABLE grades DROP COLUMN sentiment;
