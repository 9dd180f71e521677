-- +goose Up
-- The time a job spent queued between its runs (waiting for its automatic
-- retry, or for a worker after a manual retry or a hand-back), added up at
-- each claim that resumes it, in milliseconds: the job page shows the time
-- it ran apart from the time it waited. NULL for jobs from before, whose
-- waits were not recorded.
ALTER TABLE document_generation_jobs ADD COLUMN waited_ms bigint;

-- +goose Down
ALTER TABLE document_generation_jobs DROP COLUMN waited_ms;
