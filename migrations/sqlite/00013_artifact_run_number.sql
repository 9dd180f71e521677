-- +goose Up
-- PostgreSQL's 00013: a run's versions keep their run number once the
-- cleanup removes the run's job.
ALTER TABLE artifacts ADD COLUMN kept_run_number integer;

-- +goose Down
ALTER TABLE artifacts DROP COLUMN kept_run_number;
