-- +goose Up
-- PostgreSQL's 00020: the active jobs' index replaces the index of every job
-- by status (SQLite has no TOAST settings for the snapshot part).
CREATE INDEX idx_generation_jobs_active ON document_generation_jobs (user_id, status)
    WHERE status IN ('queued', 'processing');
DROP INDEX idx_generation_jobs_status;

-- +goose Down
CREATE INDEX idx_generation_jobs_status ON document_generation_jobs (status, user_id);
DROP INDEX idx_generation_jobs_active;
