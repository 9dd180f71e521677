-- +goose Up
-- The position of the user's last removed rows (postgres/00016): a tab
-- behind it resyncs.
ALTER TABLE users ADD COLUMN sync_removed_at integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN sync_removed_at;
