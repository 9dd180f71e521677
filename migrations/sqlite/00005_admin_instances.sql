-- +goose Up
-- Administrators see the operator console at /admin.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT 0;

-- One row per running process, renewed by its heartbeat; a row whose
-- last_seen is older than the timeout is a dead instance and is dropped.
CREATE TABLE instances (
    id         text PRIMARY KEY, -- the worker name that locked_by carries
    role       text NOT NULL,    -- web, worker or all
    version    text NOT NULL,
    started_at datetime NOT NULL,
    last_seen  datetime NOT NULL
);
CREATE INDEX instances_last_seen_idx ON instances (last_seen);

-- +goose Down
DROP TABLE instances;
ALTER TABLE users DROP COLUMN is_admin;
