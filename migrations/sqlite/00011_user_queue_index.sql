-- +goose Up
-- The per-user queue index of PostgreSQL's 00011, for the fair claim.
CREATE INDEX idx_generation_jobs_user_queue ON document_generation_jobs (user_id, priority DESC, run_at, queued_at)
    WHERE status = 'queued';

-- +goose Down
DROP INDEX idx_generation_jobs_user_queue;
