-- +goose Up
-- A run's versions keep their "Run #N" once the cleanup removes the run's
-- job (JOB_RETENTION): the cleanup copies the number here before it
-- deletes the job, and the version queries read it when the job is gone.
ALTER TABLE artifacts ADD COLUMN kept_run_number integer;

-- +goose Down
ALTER TABLE artifacts DROP COLUMN kept_run_number;
