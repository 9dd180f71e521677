-- +goose Up
-- A document's dependency depth within its job (0: depends on nothing in the
-- job). Every document of the lowest wave not yet completed is ready to run,
-- so the claim can start the first documents in the same statement.
ALTER TABLE job_documents ADD COLUMN wave integer NOT NULL DEFAULT 0;

-- Notifications store facts; the views write the words.
ALTER TABLE notifications ADD COLUMN documents_done integer NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN documents_total integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE notifications DROP COLUMN documents_total;
ALTER TABLE notifications DROP COLUMN documents_done;
ALTER TABLE job_documents DROP COLUMN wave;
