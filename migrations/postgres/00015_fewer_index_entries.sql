-- +goose Up
-- Fewer index entries per job on the hot path.
--
-- A 1-document job updates its checkpoint twice (started, completed), and
-- no indexed column of it changes: with room left on the page, both updates
-- are HOT and write no index entry (four before). Rows written from now on
-- leave that room.
ALTER TABLE job_documents SET (fillfactor = 70);

-- (status, user_id) took an entry at every change of a job's status,
-- including its end; what reads it (the header badge, the fair claim's
-- running count) asks only for queued and processing jobs.
DROP INDEX idx_generation_jobs_status;
CREATE INDEX idx_generation_jobs_active ON document_generation_jobs (user_id)
    WHERE status IN ('queued', 'processing');

-- +goose Down
DROP INDEX idx_generation_jobs_active;
CREATE INDEX idx_generation_jobs_status ON document_generation_jobs (status, user_id);
ALTER TABLE job_documents RESET (fillfactor);
