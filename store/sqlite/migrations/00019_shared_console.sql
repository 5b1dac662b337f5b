-- +goose Up
-- Failed-login limits shared by every instance (auth.Limiter), so that a
-- console behind a load balancer counts one address's or account's
-- failures wherever they land. login_keys: one row per limited key
-- (account+address, address, account), locked while an attempt is
-- checked, and when a refusal by it was last reported. login_attempts:
-- per key, the failures within the window (held_until 0) and the
-- attempts being checked (held until held_until: one whose instance died
-- stops counting then).
CREATE TABLE login_keys (
    key      TEXT PRIMARY KEY,
    used_at  INTEGER NOT NULL,
    noted_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY,
    attempt    INTEGER NOT NULL,
    key        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    held_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_attempts_key ON login_attempts (key, at);
CREATE INDEX login_attempts_attempt ON login_attempts (attempt);
-- How many more refused requests (access.denied, csrf.rejected) of one
-- action, actor and address the audit log takes (auth.Service.AuditRefusal):
-- a token bucket shared by every instance, and the rows left out since
-- the last one written.
CREATE TABLE audit_budgets (
    key     TEXT PRIMARY KEY,
    tokens  REAL NOT NULL,
    at      INTEGER NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0
);
-- The console's reload button reloads every instance: the instance that
-- reloaded moves the generation, the others follow when they see it move.
CREATE TABLE reload_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);

-- +goose Down
DROP TABLE reload_generation;
DROP TABLE audit_budgets;
DROP TABLE login_attempts;
DROP TABLE login_keys;
