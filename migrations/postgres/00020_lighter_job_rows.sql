-- +goose Up
-- Less work per job for the server, on the two statements every job runs
-- (the claim and the end of its run).
--
-- 1. The claim reads each job's snapshot text (job_snapshots, 00014), about
--    7 KB of JSON for a full project, 3 KB compressed. lz4 (where the server
--    has it: PostgreSQL 14 built with lz4, as the common packages are)
--    decompresses it several times faster than pglz. Rows written from now on.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE job_snapshots ALTER COLUMN project_text SET COMPRESSION lz4;
    ALTER TABLE job_snapshots ALTER COLUMN company_text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
    NULL; -- a server without lz4 keeps pglz
END
$$;
-- +goose StatementEnd

-- 2. The index of every job by status took an entry at each status change,
--    the end of every run included. The queries that need one by status read
--    the active jobs (a user's queued and processing jobs: the header's
--    badge, the fair claim's count, a project's active run); an index of those
--    takes no entry when a run ends. The finished jobs and the queued ones
--    have indexes of their own (the cleanup, the claim); a user's list is
--    read by user; the console's queue depths and failing jobs read the table
--    as their grouping and sort did.
CREATE INDEX idx_generation_jobs_active ON document_generation_jobs (user_id, status)
    WHERE status IN ('queued', 'processing');
DROP INDEX idx_generation_jobs_status;

-- +goose Down
CREATE INDEX idx_generation_jobs_status ON document_generation_jobs (status, user_id);
DROP INDEX idx_generation_jobs_active;
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE job_snapshots ALTER COLUMN project_text SET COMPRESSION DEFAULT;
    ALTER TABLE job_snapshots ALTER COLUMN company_text SET COMPRESSION DEFAULT;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd
