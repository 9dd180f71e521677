-- +goose Up
-- PostgreSQL bumps a user's sync position once per transaction and records
-- the transaction in sync_xact (postgres/00008). SQLite keeps one bump per
-- changed row: it has one writer at a time, so the user's row is no point of
-- contention, and no transaction id to compare. The column keeps the two
-- schemas alike; SQLite leaves it NULL.
ALTER TABLE users ADD COLUMN sync_xact integer;

-- +goose Down
ALTER TABLE users DROP COLUMN sync_xact;
