-- +goose Up
-- The fair claim (a per-user cap) reads each user's first queued jobs, and
-- the users that have any, from this index: one probe per user, however
-- many jobs a user has queued ahead of the others. Only queued rows are in
-- it: the claim's move to processing and a job's end write nothing here.
CREATE INDEX idx_generation_jobs_user_queue ON document_generation_jobs (user_id, priority DESC, run_at, queued_at)
    WHERE status = 'queued';

-- +goose Down
DROP INDEX idx_generation_jobs_user_queue;
