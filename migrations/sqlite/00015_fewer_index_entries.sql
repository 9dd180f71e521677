-- +goose Up
-- As PostgreSQL's 00015: the status index only for queued and processing
-- jobs (SQLite has no fillfactor).
DROP INDEX idx_generation_jobs_status;
CREATE INDEX idx_generation_jobs_active ON document_generation_jobs (user_id)
    WHERE status IN ('queued', 'processing');

-- +goose Down
DROP INDEX idx_generation_jobs_active;
CREATE INDEX idx_generation_jobs_status ON document_generation_jobs (status, user_id);
