-- +goose Up
-- PostgreSQL's 00012: a project's runs are numbered from a counter of their
-- own, not from the jobs the cleanup has left.
ALTER TABLE projects ADD COLUMN last_run_number integer NOT NULL DEFAULT 0;
UPDATE projects SET last_run_number = COALESCE(
    (SELECT MAX(run_number) FROM document_generation_jobs j WHERE j.project_id = projects.id), 0);

-- +goose Down
ALTER TABLE projects DROP COLUMN last_run_number;
