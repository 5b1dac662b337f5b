-- +goose Up
-- Keyset pages of the incident list (store.IncidentFilter.Sort): one index
-- per sort, on the same key expressions the list orders and compares by,
-- so any page is read from the index rather than by sorting every
-- incident.
CREATE INDEX incidents_by_severity ON incidents ((CASE WHEN status = 'closed' THEN 1 ELSE 0 END), level, (-first_seen_at), (-id));
CREATE INDEX incidents_by_newest ON incidents ((-first_seen_at), (-id));
CREATE INDEX incidents_by_active ON incidents ((-last_post_at), (-id));
-- The list's filters by source and by office (分派的科室).
CREATE INDEX incidents_source ON incidents (source, level);
CREATE INDEX incidents_office ON incidents (office, status);

-- +goose Down
DROP INDEX incidents_office;
DROP INDEX incidents_source;
DROP INDEX incidents_by_active;
DROP INDEX incidents_by_newest;
DROP INDEX incidents_by_severity;
