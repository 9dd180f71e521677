-- +goose Up
-- A user's edit of a document is a user-visible change too (README, "Live
-- sync"): the new version (an artifact row written outside a job) bumps
-- the owner's sync position and carries it, like the jobs and
-- notifications of 00002, so a tab that shows the project's library
-- catches up from positions. A version a job writes needs no stamp: the
-- job's own row changes in the same transaction (its checkpoint), and that
-- change already reloads the project's library. Its sync_position stays 0,
-- and the group commit's inserts fire nothing.
ALTER TABLE artifacts ADD COLUMN sync_position bigint NOT NULL DEFAULT 0;
CREATE INDEX artifacts_sync_idx ON artifacts (user_id, sync_position) WHERE job_id IS NULL;
CREATE TRIGGER artifacts_sync_insert BEFORE INSERT ON artifacts
    FOR EACH ROW WHEN (NEW.job_id IS NULL) EXECUTE FUNCTION dossier_sync_stamp();

-- +goose Down
DROP TRIGGER artifacts_sync_insert ON artifacts;
DROP INDEX artifacts_sync_idx;
ALTER TABLE artifacts DROP COLUMN sync_position;
