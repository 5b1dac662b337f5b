-- +goose Up
-- Burst stage per incident (0: none, 1: raised at BurstPosts posts within
-- the burst window, 2: raised again at four times that). The stage is kept
-- so a sliding window does not raise again, and so a level staff lowered
-- is not raised back by the next post of the same burst.
-- incident_id is the incident's id, not a generated key.
CREATE TABLE incident_bursts (
    incident_id BIGINT PRIMARY KEY REFERENCES incidents (id),
    stage       BIGINT NOT NULL CHECK (stage BETWEEN 0 AND 2)
);

-- Incidents raised by a burst before this table existed: the burst raise
-- was logged as a system level change ending in "舆情聚集）".
-- (SQLite's two-argument scalar min() is LEAST() in PostgreSQL.)
INSERT INTO incident_bursts (incident_id, stage)
SELECT incident_id, LEAST(count(*), 2) FROM incident_events
WHERE kind = 'level_changed' AND actor = '系统' AND note LIKE '%舆情聚集）'
GROUP BY incident_id;

-- +goose Down
DROP TABLE incident_bursts;
