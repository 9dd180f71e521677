-- +goose Up
-- What a job went through before its current state: each manual retry
-- records the end it retried from (cancelled or failed, when, how far it
-- had got, why), so that a job cancelled, retried and then completed does
-- not read as only "Completed".
ALTER TABLE document_generation_jobs ADD COLUMN history jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE document_generation_jobs DROP COLUMN history;
