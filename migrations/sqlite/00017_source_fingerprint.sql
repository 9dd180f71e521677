-- +goose Up
-- PostgreSQL's 00017: the fingerprint of the project data and company pack
-- a job snapshotted, copied onto each version it writes.
ALTER TABLE document_generation_jobs ADD COLUMN source_hash text;
ALTER TABLE artifacts ADD COLUMN source_hash text;

-- +goose Down
ALTER TABLE artifacts DROP COLUMN source_hash;
ALTER TABLE document_generation_jobs DROP COLUMN source_hash;
