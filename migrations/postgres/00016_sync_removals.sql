-- +goose Up
-- A row that goes away (the daily cleanup removes old finished jobs and old
-- notifications) leaves nothing stamped for a tab to catch up from. The
-- cleanup bumps the owner's position in the same transaction and records
-- it here: a tab behind it resyncs (SyncState.Reset), re-reading the badge,
-- the bell and the lists, instead of showing what is gone until the user's
-- next change.
ALTER TABLE users ADD COLUMN sync_removed_at bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN sync_removed_at;
