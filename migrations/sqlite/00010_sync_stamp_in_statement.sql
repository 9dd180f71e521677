-- +goose Up
-- PostgreSQL's 00010 lets the queue's hot statements stamp sync positions
-- themselves; SQLite keeps its triggers. Both drop the locked_by index:
-- every query of locked_by also asks status = 'processing'.
DROP INDEX idx_generation_jobs_locked_by;

-- +goose Down
CREATE INDEX idx_generation_jobs_locked_by ON document_generation_jobs (locked_by)
    WHERE locked_by IS NOT NULL;
