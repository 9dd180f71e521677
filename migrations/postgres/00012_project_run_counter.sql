-- +goose Up
-- A project's runs are numbered from a counter of their own: the next
-- number was MAX(run_number) + 1 over the jobs still in the table, so once
-- the cleanup removed a project's finished jobs (JOB_RETENTION), its next
-- run was Run #1 again.
ALTER TABLE projects ADD COLUMN last_run_number integer NOT NULL DEFAULT 0;
UPDATE projects p SET last_run_number = j.n
FROM (SELECT project_id, MAX(run_number) AS n FROM document_generation_jobs GROUP BY project_id) j
WHERE j.project_id = p.id;

-- +goose Down
ALTER TABLE projects DROP COLUMN last_run_number;
