-- +goose Up
-- Stored reports (日报/周报/月报/专报, store/reports.go): each report as it
-- was built (package report's Report as JSON), so a past report reopens
-- as it was, and its delivery to each receiver. Times are Unix
-- milliseconds.
--
-- A periodic report is one per kind and period (incident ''); a 专报 is
-- keyed by its incident and its build time (period_start). The scheduler
-- claims a period by inserting its row (or by taking over one built by
-- hand, or one whose claim went stale without a report): the unique key,
-- not a lock in the daemon, makes two schedulers build it once.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly', 'incident')),
    period_start INTEGER NOT NULL,
    incident     TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL DEFAULT '',
    scheduled_at INTEGER,        -- when the scheduler claimed it; NULL: built by hand
    built_at     INTEGER,        -- NULL while being built
    body         TEXT,           -- the report as JSON; NULL while being built
    UNIQUE (kind, period_start, incident)
);
CREATE INDEX reports_built ON reports (id) WHERE built_at IS NOT NULL;

-- One row per report and receiver: sent, or still to be tried (next_at),
-- or given up (neither). claimed_until keeps a second sender off while one
-- is sending.
CREATE TABLE report_deliveries (
    report_id     INTEGER NOT NULL REFERENCES reports (id),
    receiver      TEXT NOT NULL,
    sent_at       INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    last_at       INTEGER,
    next_at       INTEGER,
    claimed_until INTEGER,
    PRIMARY KEY (report_id, receiver)
);
CREATE INDEX report_deliveries_due ON report_deliveries (next_at) WHERE sent_at IS NULL AND next_at IS NOT NULL;

-- +goose Down
DROP TABLE report_deliveries;
DROP TABLE reports;
