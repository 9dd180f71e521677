-- +goose Up
-- A user's edit of a document is a user-visible change too (README, "Live
-- sync"): the new version (an artifact row written outside a job) bumps
-- the owner's sync position and carries it, like the jobs and
-- notifications of 00002. A version a job writes needs no stamp: the job's
-- own row changes in the same transaction, and that change already reloads
-- the project's library. Its sync_position stays 0.
ALTER TABLE artifacts ADD COLUMN sync_position integer NOT NULL DEFAULT 0;
CREATE INDEX artifacts_sync_idx ON artifacts (user_id, sync_position) WHERE job_id IS NULL;

-- +goose StatementBegin
CREATE TRIGGER artifacts_sync_insert AFTER INSERT ON artifacts
    WHEN NEW.job_id IS NULL
BEGIN
    UPDATE users SET sync_position = sync_position + 1 WHERE id = NEW.user_id;
    UPDATE artifacts SET sync_position = (SELECT sync_position FROM users WHERE id = NEW.user_id)
        WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER artifacts_sync_insert;
DROP INDEX artifacts_sync_idx;
ALTER TABLE artifacts DROP COLUMN sync_position;
